// CalDAV over HTTP with an injected fetch: PROPFIND, the three REPORTs, GET, PUT, DELETE.
//
// Not tsdav's request helpers, although they accept a custom fetch (tsdav 2.3.4
// `davRequest`): their parser turns number-like text into numbers (a ctag or sync-token
// such as `123e4` becomes 1230000, and must be echoed back exactly), drops namespaces
// (camel-cased local names, so DAV:valid-sync-token cannot be told from a look-alike),
// cuts error bodies at 4,096 characters and reads a whole multistatus into memory
// (5,000 events with calendar-data is the whole calendar). Here bodies are parsed with
// sax, which xml-js, tsdav's XML dependency, is built on (xml.ts).
import { ConnectorError } from '../connector.ts';
import { redirectedRequest } from '../http-guard.ts';
import { RequestFailure } from '../request-failures.ts';
import { classifyResponse, classifyThrown, garbage, statusCode, type DavOperation } from './errors.ts';
import { CALDAV, DAV, XmlError, child, parseXml, streamMultistatus, type MultistatusTail, type XmlElement } from './xml.ts';

export interface DavCredentials {
  username: string;
  password: string;
}

export interface DavClientOptions extends DavCredentials {
  /** Expected to be guardedFetch (../http-guard.ts); redirects are followed here, within the account's origins. */
  fetch?: typeof fetch;
  /** Milliseconds until response headers arrive; body reads are bounded by the fetch's own idle timeout. */
  requestTimeoutMs?: number;
  now?: () => number;
}

/** One member of a multistatus, read. */
export interface DavResponse {
  /** The href as a path, resolved against the request URL. */
  path: string;
  /** The response-level status (404 for removed members in sync-collection), else 200. */
  status: number;
  /** Properties from 2xx propstats, by `{ns}local`. */
  props: Map<string, XmlElement>;
}

export const propKey = (ns: string, local: string): string => `{${ns}}${local}`;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/** Error bodies are read up to this size: enough for any DAV:error, bounded for garbage. */
const ERROR_BODY_LIMIT = 64 * 1024;

export function readResponse(element: XmlElement, base: URL): DavResponse {
  const href = child(element, DAV, 'href')?.text.trim() ?? '';
  const status = statusCode(child(element, DAV, 'status')?.text ?? '') ?? 200;
  const props = new Map<string, XmlElement>();
  for (const propstat of element.children.filter((c) => c.ns === DAV && c.local === 'propstat')) {
    const code = statusCode(child(propstat, DAV, 'status')?.text ?? '') ?? 200;
    if (code < 200 || code > 299) continue;
    for (const prop of child(propstat, DAV, 'prop')?.children ?? []) props.set(propKey(prop.ns, prop.local), prop);
  }
  return { path: new URL(href, base).pathname, status, props };
}

export class DavClient {
  private readonly fetch: typeof fetch;
  private readonly authorization: string;
  private readonly timeoutMs: number;
  readonly now: () => number;

  private readonly origins: Set<string>;

  /** `origins`: where the login may go (README "Origins"); every request and redirect outside them is refused. */
  constructor(options: DavClientOptions, origins: Iterable<string>) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.authorization = `Basic ${Buffer.from(`${options.username}:${options.password}`, 'utf8').toString('base64')}`;
    this.timeoutMs = options.requestTimeoutMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.origins = new Set(origins);
  }

  /** Lets the login go to `origin` too: discovery adds the origins the account's principal names. */
  allowOrigin(origin: string): void {
    this.origins.add(origin);
  }

  /**
   * One request, following redirects within the account's origins (at most five);
   * throws a classified ConnectorError for network failures and for a request or
   * redirect that would take the login to another origin.
   */
  async send(method: string, url: URL, init: { headers?: Record<string, string>; body?: string; operation: DavOperation }): Promise<Response> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`no answer within ${this.timeoutMs / 1000} s (CALSYNC_CALDAV_TIMEOUT_SECONDS)`)), this.timeoutMs);
    const what = `CalDAV ${init.operation} ${url.href}`;
    let target = url;
    let request: RequestInit = {
      method, headers: { authorization: this.authorization, ...init.headers }, body: init.body, signal: controller.signal, redirect: 'manual',
    };
    try {
      for (let hop = 0; ; hop++) {
        if (!this.origins.has(target.origin)) {
          throw new RequestFailure('permanent', 'origin-refused', `${what}: ${target.origin} is not one of this account's servers (${[...this.origins].join(', ')}); its login is sent only there`);
        }
        let response: Response;
        try {
          response = await this.fetch(target, request);
        } catch (error) {
          throw classifyThrown(error, init.operation, target.href);
        }
        const location = response.headers.get('location');
        if (!REDIRECTS.has(response.status) || location === null) return response;
        await response.body?.cancel();
        if (hop === MAX_REDIRECTS) throw new ConnectorError('permanent', `${what}: redirected more than ${MAX_REDIRECTS} times`);
        const next = new URL(location, target);
        if (!this.origins.has(next.origin)) {
          throw new RequestFailure('permanent', 'origin-refused', `${what} redirects to ${next.href}, on another server than this account's (${[...this.origins].join(', ')}); its login is not sent there: connect with that address if it is the CalDAV server`);
        }
        request = redirectedRequest(request, response.status, false);
        target = next;
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** The ConnectorError for a response that is not what the operation needed. */
  async failure(response: Response, operation: DavOperation, url: URL, remoteId: string | null = null, body?: string): Promise<ConnectorError> {
    return classifyResponse({
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: body ?? (await boundedText(response)),
      operation,
      url: url.href,
      remoteId,
      now: this.now(),
    });
  }

  async propfind(url: URL, depth: 0 | 1, props: string): Promise<DavResponse[]> {
    return (await this.propfindDated(url, depth, props)).responses;
  }

  /** propfind with the answer's Date header (server time), for readings that depend on when they were taken. */
  async propfindDated(url: URL, depth: 0 | 1, props: string): Promise<{ responses: DavResponse[]; date: string | null }> {
    const response = await this.propfindAnswer(url, depth, props);
    if (response.status !== 207) throw await this.failure(response, 'read', url);
    return { responses: await this.multistatus(response, url), date: response.headers.get('date') };
  }

  /** The answer to a PROPFIND, whatever its status. */
  async propfindAnswer(url: URL, depth: 0 | 1, props: string): Promise<Response> {
    const body = `<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:" xmlns:c="${CALDAV}" xmlns:cs="http://calendarserver.org/ns/" xmlns:a="http://apple.com/ns/ical/"><d:prop>${props}</d:prop></d:propfind>`;
    return this.send('PROPFIND', url, { headers: xmlHeaders(depth), body, operation: 'read' });
  }

  /** The responses of a 207 answer read whole; anything but a DAV:multistatus is garbage. */
  async multistatus(response: Response, url: URL): Promise<DavResponse[]> {
    const text = await response.text();
    let root: XmlElement;
    try {
      root = parseXml(text);
    } catch (error) {
      throw garbage('read', url.href, (error as Error).message, error);
    }
    if (root.ns !== DAV || root.local !== 'multistatus') throw garbage('read', url.href, `expected a DAV:multistatus, got {${root.ns}}${root.local}`);
    return root.children.filter((c) => c.ns === DAV && c.local === 'response').map((r) => readResponse(r, url));
  }

  /** A REPORT whose multistatus is read as a stream of responses (see streamMultistatus). */
  async report(url: URL, depth: 0 | 1, body: string): Promise<Response> {
    return this.send('REPORT', url, { headers: xmlHeaders(depth), body: `<?xml version="1.0" encoding="utf-8"?>${body}`, operation: 'read' });
  }

  /** The responses of a 207 REPORT answer; parse failures and cut-off bodies are transient. */
  async *responses(response: Response, url: URL): AsyncGenerator<DavResponse, MultistatusTail, undefined> {
    if (response.body === null) throw garbage('read', url.href, 'empty body');
    const stream = streamMultistatus(response.body);
    try {
      for (;;) {
        const next = await stream.next();
        if (next.done) return next.value;
        yield readResponse(next.value, url);
      }
    } catch (error) {
      throw error instanceof XmlError ? garbage('read', url.href, error.message, error) : classifyThrown(error, 'read', url.href);
    } finally {
      await stream.return({ syncToken: null });
      await response.body.cancel().catch(() => undefined);
    }
  }
}

function xmlHeaders(depth: 0 | 1): Record<string, string> {
  return { depth: String(depth), 'content-type': 'application/xml; charset=utf-8' };
}

export async function boundedText(response: Response): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < ERROR_BODY_LIMIT) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // A body cut off mid-error still classifies by status.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text.slice(0, ERROR_BODY_LIMIT);
}
