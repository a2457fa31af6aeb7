// CalDAV responses → ConnectorError kinds, decided once here. The body is read
// namespace-aware, so a WebDAV precondition element counts whatever its prefix and
// whatever status carried it (RFC 6578 §3.2 names DAV:valid-sync-token; Radicale sends
// it with 403, sabre/dav with 403, other servers with 412 or 409).
import { ConnectorError, type ConnectorErrorKind } from '../connector.ts';
import { networkFailure } from '../request-failures.ts';
import { CALDAV, DAV, child, children, descendant, parseXml, type XmlElement } from './xml.ts';

export type DavOperation = 'read' | 'create' | 'update' | 'delete';

export interface DavFailure {
  status: number;
  /** The Retry-After header, if any. */
  retryAfter: string | null;
  /** The response body as text (bounded by the caller). */
  body: string;
  operation: DavOperation;
  url: string;
  remoteId?: string | null;
  /** Epoch milliseconds, for Retry-After given as an HTTP date. */
  now: number;
}

/** A WebDAV/CalDAV precondition or postcondition element from a DAV:error body. */
export interface Condition {
  ns: string;
  local: string;
}

function parsed(body: string): XmlElement | null {
  if (!/^\s*</.test(body)) return null;
  try {
    return parseXml(body);
  } catch {
    return null;
  }
}

/**
 * The DAV: and CalDAV conditions a body names: the children of a DAV:error, be it the
 * root (Radicale, sabre/dav) or inside a one-response multistatus (Xandikos answers a
 * refused PUT with 207 and a 412 response holding the error). Other namespaces are
 * diagnostics, not conditions (sabre/dav puts s:exception and s:message first).
 */
export function conditionsOf(body: string): Condition[] {
  const root = parsed(body);
  const error = root === null ? null : descendant(root, DAV, 'error');
  return (error?.children ?? []).filter((c) => c.ns === DAV || c.ns === CALDAV).map((c) => ({ ns: c.ns, local: c.local }));
}

/** The status inside a multistatus that answers for one resource (Xandikos PUT errors). */
export function innerStatus(body: string): number | null {
  const root = parsed(body);
  const responses = children(root, DAV, 'response');
  if (root?.ns !== DAV || root.local !== 'multistatus' || responses.length !== 1) return null;
  return statusCode(child(responses[0], DAV, 'status')?.text ?? '');
}

/** `HTTP/1.1 404 Not Found` → 404. */
export function statusCode(line: string): number | null {
  const match = /^\s*HTTP\/[\d.]+\s+(\d{3})\b/.exec(line);
  return match ? Number(match[1]) : null;
}

/** Delta-seconds or an HTTP date (RFC 9110 §10.2.3); null when absent or unreadable. */
export function retryAfterSeconds(header: string | null, now: number): number | null {
  if (header === null || header.trim() === '') return null;
  if (/^\s*\d+\s*$/.test(header)) return Number(header);
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

function kindOf(failure: DavFailure, conditions: Condition[], status: number): ConnectorErrorKind {
  const has = (ns: string, local: string) => conditions.some((c) => c.ns === ns && c.local === local);
  if (has(DAV, 'valid-sync-token')) return 'cursor-expired';
  if (status === 401) return 'auth-revoked';
  // The UID lives at another href (Radicale 409, Xandikos 412): a pull finds it by UID.
  if (has(CALDAV, 'no-uid-conflict')) return 'precondition-failed';
  // valid-calendar-data, max-resource-size…: this content is refused, whatever the status.
  if (conditions.some((c) => c.ns === CALDAV)) return 'permanent';
  if (status === 412) return 'precondition-failed';
  // 403 without a condition, or with need-privileges, refuses this account.
  if (status === 403) return conditions.length === 0 || has(DAV, 'need-privileges') ? 'auth-revoked' : 'permanent';
  if (status === 429) return 'rate-limited';
  if (status === 503 && retryAfterSeconds(failure.retryAfter, failure.now) !== null) return 'rate-limited';
  if (status === 404 || status === 410) return 'not-found';
  if (status === 408 || status >= 500) return 'transient';
  // A 2xx that is not the answer the request needed (200 HTML for a PROPFIND): garbage.
  if (status >= 200 && status <= 299) return 'transient';
  return 'permanent';
}

export function classifyResponse(failure: DavFailure): ConnectorError {
  const conditions = conditionsOf(failure.body);
  const status = failure.status === 207 ? (innerStatus(failure.body) ?? failure.status) : failure.status;
  const kind = kindOf(failure, conditions, status);
  const named = conditions.map((c) => `${c.ns === DAV ? 'DAV:' : 'CALDAV:'}${c.local}`).join(', ');
  const detail = named !== '' ? ` (${named})` : bodyDetail(failure.body);
  return new ConnectorError(kind, `CalDAV ${failure.operation} ${failure.url}: HTTP ${status}${detail}`, {
    retryAfterSeconds: kind === 'rate-limited' ? retryAfterSeconds(failure.retryAfter, failure.now) : null,
    remoteId: failure.remoteId ?? null,
  });
}

/** A short excerpt of an error body; a web page is named as one, never pasted. */
export function bodyDetail(body: string): string {
  if (isHtml(body)) return ': an HTML page, not a WebDAV answer';
  const excerpt = body.trim().slice(0, 200).replace(/\s+/g, ' ');
  return excerpt === '' ? '' : `: ${excerpt}`;
}

export function isHtml(body: string): boolean {
  return /^\s*(<!--[\s\S]*?-->\s*)*<(!doctype\s+html|html|head|body)\b/i.test(body);
}

/**
 * A 2xx body that is not the XML asked for: a captive portal, a proxy's HTML page, a
 * body cut off mid-stream. Transient, not permanent: those pass, and a server that
 * keeps answering garbage ends in the dead-job list after its retries, visible there.
 */
export function garbage(operation: DavOperation, url: string, reason: string, cause?: unknown): ConnectorError {
  return new ConnectorError('transient', `CalDAV ${operation} ${url}: unreadable answer: ${reason}`, { cause });
}

/**
 * Anything thrown while talking to the server: network errors and timeouts are
 * transient; a refused connection and a certificate that does not verify say so.
 */
export function classifyThrown(error: unknown, operation: DavOperation, url: string): ConnectorError {
  return networkFailure(error, `CalDAV ${operation} ${url}`);
}
