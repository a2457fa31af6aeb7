// Microsoft Graph v1.0 over an injected fetch: a bearer token refreshed with the
// refresh_token grant, retries with backoff, at most four requests in flight, and every
// failure classified once (errors.ts).
//
// Plain fetch, not a library: msal-node keeps refresh tokens in its own cache and does
// not hand them back, so rotated ones could not be sealed by the caller; the Graph
// JavaScript client (@microsoft/microsoft-graph-client) is in maintenance mode and adds
// nothing a JSON request needs.
//
// Refresh tokens rotate ("refresh tokens replace themselves with a fresh token upon every
// use", refresh-tokens page): the new credentials go to `onCredentials` before anything
// else is sent, and the used token is never sent again. Outlook takes four concurrent
// requests per mailbox (throttling limits, "Outlook service limits"); a fifth is answered
// 429 ApplicationThrottled, so one limiter holds each connector (one account) to four.
import { classifyGraphFailure, failureOf, type GraphOperation } from './errors.ts';

export interface MicrosoftCredentials {
  refreshToken: string;
  accessToken: string | null;
  /** When the access token expires, epoch milliseconds. */
  expiry: number | null;
}

export interface GraphEndpoints {
  /** Graph's root with its version: https://graph.microsoft.com/v1.0 */
  graphUrl: string;
  /** The identity platform's authority root: https://login.microsoftonline.com */
  authorityUrl: string;
  /** The tenant segment of the token endpoint: `common` (default), `organizations`, `consumers` or a tenant id. */
  tenant?: string;
}

export const GRAPH_SCOPES = ['offline_access', 'https://graph.microsoft.com/Calendars.ReadWrite', 'https://graph.microsoft.com/User.Read'];

export const microsoftEndpoints = (e: Partial<GraphEndpoints> = {}): GraphEndpoints => ({
  graphUrl: e.graphUrl ?? 'https://graph.microsoft.com/v1.0',
  authorityUrl: e.authorityUrl ?? 'https://login.microsoftonline.com',
  tenant: e.tenant ?? 'common',
});

export const tokenUrlOf = (e: GraphEndpoints): string => `${e.authorityUrl.replace(/\/$/, '')}/${e.tenant ?? 'common'}/oauth2/v2.0/token`;

export interface GraphClientOptions {
  clientId: string;
  clientSecret?: string;
  credentials: MicrosoftCredentials;
  endpoints: GraphEndpoints;
  fetch?: typeof fetch;
  /** Epoch milliseconds. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Attempts per request, the first included. Default 5. */
  maxAttempts?: number;
  /** First backoff without Retry-After; doubles per attempt. Default 500 ms. */
  backoffMs?: number;
  /** Longest wait taken inside a call; a longer Retry-After ends it as rate-limited. Default 30 s. */
  maxInlineWaitSeconds?: number;
  /** Requests in flight at once. Default 4, Outlook's per-mailbox limit. */
  concurrency?: number;
  requestTimeoutMs?: number;
  /** Called at once with new credentials after every refresh; the refresh token has rotated. */
  onCredentials?: (credentials: MicrosoftCredentials) => Promise<void>;
}

export interface GraphAnswer {
  status: number;
  headers: Headers;
  body: any;
  /** An earlier attempt got no answer: it may have been carried out (a 412 or 404 now may be its own doing). */
  afterLostAnswer?: boolean;
}

export interface GraphRequest {
  operation: GraphOperation;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** A path under graphUrl (`/me/events`) or an absolute link Graph gave (nextLink). */
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  remoteId?: string | null;
  /** Statuses answered to the caller instead of thrown (404 on a read, 412 on a write). */
  expected?: number[];
}

/** Refresh a minute before expiry: a request in flight needs far less. */
const EARLY_REFRESH_MS = 60_000;

/** A counting semaphore: a dozen lines, not worth a dependency. */
class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly size: number) {}
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

export class GraphClient {
  private credentials: MicrosoftCredentials;
  private refreshing: Promise<void> | null = null;
  private readonly limiter: Limiter;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(readonly options: GraphClientOptions) {
    this.credentials = { ...options.credentials };
    this.limiter = new Limiter(options.concurrency ?? 4);
    this.fetch = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  current(): MicrosoftCredentials {
    return { ...this.credentials };
  }

  urlOf(url: string): string {
    return /^https?:\/\//.test(url) ? url : `${this.options.endpoints.graphUrl.replace(/\/$/, '')}${url}`;
  }

  /** One request with refresh and retries; a status in `expected` is answered, any other failure thrown classified. */
  async request(r: GraphRequest): Promise<GraphAnswer> {
    const maxAttempts = this.options.maxAttempts ?? 5;
    let refreshed = false;
    let lost = false;
    for (let attempt = 1; ; attempt++) {
      const token = await this.accessToken();
      let answer: GraphAnswer | null = null;
      let thrown: unknown = null;
      try {
        answer = await this.limiter.run(() => this.send(r, token));
      } catch (e) {
        thrown = e;
      }
      if (answer !== null && (answer.status < 400 || (r.expected ?? []).includes(answer.status))) return lost ? { ...answer, afterLostAnswer: true } : answer;
      // A 504 may also have been carried out (Graph's gateway gave up waiting).
      if (answer === null || answer.status === 504) lost = true;
      if (answer?.status === 401 && !refreshed) {
        // An access token can die before its expiry (revoked sessions, continuous access evaluation): refresh once.
        refreshed = true;
        await this.refresh(token);
        continue;
      }
      const failure = failureOf(answer ?? { status: null, error: thrown }, { operation: r.operation, remoteId: r.remoteId ?? null, now: this.now() });
      const error = classifyGraphFailure(failure);
      const retryable = error.kind === 'transient' || error.kind === 'rate-limited';
      if (!retryable || attempt >= maxAttempts) throw error;
      const waitMs = this.waitMs(failure.retryAfter, attempt, error.kind === 'rate-limited');
      if (waitMs > (this.options.maxInlineWaitSeconds ?? 30) * 1000) throw error;
      await this.sleep(waitMs);
    }
  }

  /** Retry-After in seconds, decimals kept (Graph sends `2.128`); else exponential backoff with jitter. */
  private waitMs(retryAfter: string | null, attempt: number, rateLimited: boolean): number {
    if (retryAfter !== null && /^\s*\d+(\.\d+)?\s*$/.test(retryAfter)) return Math.ceil(Number(retryAfter) * 1000);
    if (retryAfter !== null && !Number.isNaN(Date.parse(retryAfter))) return Math.max(0, Date.parse(retryAfter) - this.now());
    const base = rateLimited ? 1000 : (this.options.backoffMs ?? 500);
    return Math.round(base * 2 ** (attempt - 1) * (0.75 + this.random() * 0.5));
  }

  private async send(r: GraphRequest, token: string): Promise<GraphAnswer> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json', ...r.headers };
    if (r.body !== undefined) headers['content-type'] = 'application/json';
    const response = await this.fetch(this.urlOf(r.url), {
      method: r.method, headers, body: r.body === undefined ? undefined : JSON.stringify(r.body),
      signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 60_000),
    });
    const text = await response.text();
    let body: unknown = null;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    return { status: response.status, headers: response.headers, body };
  }

  private async accessToken(): Promise<string> {
    const { accessToken, expiry } = this.credentials;
    if (accessToken !== null && (expiry === null || expiry - EARLY_REFRESH_MS > this.now())) return accessToken;
    await this.refresh(accessToken);
    return this.credentials.accessToken!;
  }

  /**
   * The refresh_token grant, once at a time: concurrent callers wait for the same
   * refresh (a rotated token used twice is refused). `stale` is the access token the
   * caller found wanting; when another refresh replaced it meanwhile, none is needed.
   */
  private async refresh(stale: string | null): Promise<void> {
    if (this.refreshing) return this.refreshing;
    if (this.credentials.accessToken !== stale && this.credentials.accessToken !== null) return;
    this.refreshing = this.redeem().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async redeem(): Promise<void> {
    const form = new URLSearchParams({
      client_id: this.options.clientId, grant_type: 'refresh_token', refresh_token: this.credentials.refreshToken, scope: GRAPH_SCOPES.join(' '),
    });
    if (this.options.clientSecret) form.set('client_secret', this.options.clientSecret);
    const url = tokenUrlOf(this.options.endpoints);
    for (let attempt = 1; ; attempt++) {
      let status: number | null = null;
      let body: any = null;
      let headers: Headers | null = null;
      let thrown: unknown = null;
      try {
        const response = await this.fetch(url, {
          method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: form.toString(),
          signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 60_000),
        });
        status = response.status;
        headers = response.headers;
        body = await response.json().catch(() => null);
      } catch (e) {
        thrown = e;
      }
      if (status === 200 && typeof body?.access_token === 'string') {
        this.credentials = {
          // Without offline_access no refresh token comes back: the old one stays.
          refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : this.credentials.refreshToken,
          accessToken: body.access_token,
          expiry: typeof body.expires_in === 'number' ? this.now() + body.expires_in * 1000 : null,
        };
        await this.options.onCredentials?.(this.current());
        return;
      }
      const error = classifyGraphFailure(failureOf({ status, headers, body, error: thrown }, { operation: 'calendar', fromTokenEndpoint: true, now: this.now() }));
      if (error.kind !== 'transient' || attempt >= (this.options.maxAttempts ?? 5)) throw error;
      await this.sleep(this.waitMs(headers?.get('retry-after') ?? null, attempt, false));
    }
  }
}
