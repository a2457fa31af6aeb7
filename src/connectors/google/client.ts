// The Calendar API client (@googleapis/calendar) on an OAuth2Client (google-auth-library)
// with an injected fetch, and the one place requests are retried and their failures
// classified (errors.ts).
//
// The OAuth2Client is the one @googleapis/calendar re-exports (`auth.OAuth2`): the
// package carries its own copy of google-auth-library (10.5.0 under googleapis-common
// beside the top-level 10.9.1), and only that copy's client type-checks as its `auth`.
//
// Retries are ours, not gaxios's (`retry: false` on every request): gaxios would retry
// 429 and 5xx on its own schedule, uncounted, without Retry-After, and the library's
// own refresh-on-failure would also fire on 403 rate limits. Here: a transient failure
// (5xx, no answer) is retried with exponential backoff and jitter; a rate limit waits
// for Retry-After (or backs off from 1 s) while that is short, and otherwise ends the
// call as `rate-limited` so the pass is rescheduled; a 401 refreshes the access token
// once, and a second 401 or a refused refresh is `auth-revoked`. Reads, inserts with a
// client id, If-Match updates and deletes are all safe to repeat (index.ts says how each
// handles the answer a repeat gets).
import { auth as googleAuth, calendar, type calendar_v3, type MethodOptions } from '@googleapis/calendar';
import { ConnectorError } from '../connector.ts';
import type { GoogleEndpoints } from './endpoints.ts';
import { classifyFailure, failureOf, type GoogleOperation } from './errors.ts';

export interface GoogleCredentials {
  refreshToken: string;
  accessToken: string | null;
  /** When the access token expires, epoch milliseconds. */
  expiry: number | null;
  /** The OAuth client the grant belongs to, when not the configured one. */
  clientId?: string;
}

export interface GoogleClientOptions {
  clientId: string;
  clientSecret?: string;
  credentials: GoogleCredentials;
  endpoints: GoogleEndpoints;
  fetch?: typeof fetch;
  /** Epoch milliseconds: Retry-After dates. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1): backoff jitter. */
  random?: () => number;
  /** Attempts per request, the first included. Default 4. */
  maxAttempts?: number;
  /** First backoff of a transient failure; doubles per attempt. Default 500 ms. */
  backoffMs?: number;
  /** Longest wait (Retry-After or backoff) taken inside a call; longer ends it as rate-limited. Default 10 s. */
  maxInlineWaitSeconds?: number;
  /** Milliseconds per request. Default 60 s. */
  requestTimeoutMs?: number;
  /** Called with the credentials after a refresh (a new access token; a new refresh token when Google rotates it). */
  onCredentials?: (credentials: GoogleCredentials) => Promise<void>;
}

export type Answer<T> =
  | { ok: true; status: number; data: T }
  | { ok: false; status: number; reason: string | null; error: ConnectorError };

interface TokenEvent {
  access_token?: string | null;
  refresh_token?: string | null;
  expiry_date?: number | null;
}

export class GoogleClient {
  readonly api: calendar_v3.Calendar;
  readonly oauth: InstanceType<typeof googleAuth.OAuth2>;
  private readonly options: GoogleClientOptions;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private pending: TokenEvent | null = null;

  constructor(options: GoogleClientOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    const fetchImplementation = options.fetch ?? globalThis.fetch;
    this.oauth = new googleAuth.OAuth2({
      clientId: options.credentials.clientId ?? options.clientId,
      clientSecret: options.clientSecret,
      endpoints: { oauth2AuthBaseUrl: options.endpoints.authUrl, oauth2TokenUrl: options.endpoints.tokenUrl, oauth2RevokeUrl: options.endpoints.revokeUrl },
      transporterOptions: { fetchImplementation },
      // Refresh a minute before expiry rather than the library's five: Google's tokens
      // live 3599 s, and a request in flight needs far less than a minute.
      eagerRefreshThresholdMillis: 60_000,
    });
    const { refreshToken, accessToken, expiry } = options.credentials;
    this.oauth.setCredentials({ refresh_token: refreshToken, access_token: accessToken ?? undefined, expiry_date: expiry ?? undefined });
    this.oauth.on('tokens', (tokens: TokenEvent) => {
      this.pending = { ...this.pending, ...tokens };
    });
    this.api = calendar({ version: 'v3', rootUrl: options.endpoints.apiUrl, auth: this.oauth });
  }

  /** The credentials as they stand (after any refresh). */
  credentials(): GoogleCredentials {
    const c = this.oauth.credentials;
    return {
      refreshToken: c.refresh_token ?? this.options.credentials.refreshToken,
      accessToken: c.access_token ?? null,
      expiry: c.expiry_date ?? null,
      ...(this.options.credentials.clientId ? { clientId: this.options.credentials.clientId } : {}),
    };
  }

  /**
   * One request with retries. Statuses in `expected` come back as `ok: false` answers
   * for the caller to read (409 on insert, 410 on delete); every other failure throws
   * its ConnectorError.
   */
  async call<T>(
    operation: GoogleOperation,
    remoteId: string | null,
    request: (options: MethodOptions) => Promise<{ status: number; data: T }>,
    expected: number[] = [],
  ): Promise<Answer<T>> {
    const maxAttempts = this.options.maxAttempts ?? 4;
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      let failure;
      try {
        const response = await request({ retry: false, timeout: this.options.requestTimeoutMs ?? 60_000 });
        await this.persistCredentials();
        return { ok: true, status: response.status, data: response.data };
      } catch (thrown) {
        await this.persistCredentials();
        failure = failureOf(thrown, operation, this.options.endpoints.tokenUrl, this.now(), remoteId);
      }
      const error = classifyFailure(failure);
      if (failure.status !== null && !failure.fromTokenEndpoint && expected.includes(failure.status)) {
        return { ok: false, status: failure.status, reason: failure.reason, error };
      }
      if (failure.status === 401 && !failure.fromTokenEndpoint && !refreshed) {
        // An access token can die before its expiry (revoked, rotated keys): refresh once.
        refreshed = true;
        this.oauth.setCredentials({ refresh_token: this.oauth.credentials.refresh_token });
        continue;
      }
      if ((error.kind !== 'transient' && error.kind !== 'rate-limited') || attempt >= maxAttempts) throw this.withWait(error, attempt);
      const waitMs = this.waitMs(error, attempt);
      if (waitMs > (this.options.maxInlineWaitSeconds ?? 10) * 1000) throw this.withWait(error, attempt);
      await this.sleep(waitMs);
    }
  }

  /** Backoff: `backoffMs` (transient) or 1 s (rate limits, as Google's guide starts) doubling, ±25 %. */
  private waitMs(error: ConnectorError, attempt: number): number {
    if (error.retryAfterSeconds !== null) return error.retryAfterSeconds * 1000;
    const base = error.kind === 'rate-limited' ? 1000 : (this.options.backoffMs ?? 500);
    return Math.round(base * 2 ** (attempt - 1) * (0.75 + this.random() * 0.5));
  }

  /** A rate limit handed up says when to try again, also when Google did not. */
  private withWait(error: ConnectorError, attempt: number): ConnectorError {
    if (error.kind !== 'rate-limited' || error.retryAfterSeconds !== null) return error;
    return new ConnectorError(error.kind, error.message, {
      retryAfterSeconds: Math.ceil(this.waitMs(error, attempt + 1) / 1000), remoteId: error.remoteId, cause: error.cause,
    });
  }

  /**
   * Stores refreshed tokens. The library keeps the old refresh token after a refresh
   * (oauth2client.js, getRequestMetadataAsync), so a rotated one is put back here.
   * A failure to store is retried after the next request: the access token can always
   * be refreshed again, and a rotated refresh token stays in memory meanwhile.
   */
  private async persistCredentials(): Promise<void> {
    const pending = this.pending;
    if (pending === null) return;
    if (pending.refresh_token && pending.refresh_token !== this.oauth.credentials.refresh_token) {
      this.oauth.setCredentials({ ...this.oauth.credentials, refresh_token: pending.refresh_token });
    }
    if (!this.options.onCredentials) {
      this.pending = null;
      return;
    }
    try {
      await this.options.onCredentials(this.credentials());
      if (this.pending === pending) this.pending = null;
    } catch {
      // kept pending: stored after the next request
    }
  }
}
