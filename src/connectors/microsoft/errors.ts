// Microsoft Graph and Microsoft identity platform answers → ConnectorError kinds,
// decided once here. Graph bodies are `{error: {code, message, innerError}}` (Graph
// error responses); Outlook resources use Exchange's codes (ErrorItemNotFound,
// ErrorIrresolvableConflict, ErrorAccessDenied…) next to Graph's own (itemNotFound,
// syncStateNotFound, resyncRequired…). The token endpoint answers RFC 6749 §5.2's
// `{error, error_description, error_codes}`, with AADSTS codes naming the cause.
// Codes are compared without regard to case: answers spell syncStateNotFound both ways.
import { ConnectorError, type ConnectorErrorKind } from '../connector.ts';

export type GraphOperation = 'list' | 'get' | 'instances' | 'create' | 'update' | 'delete' | 'subscribe' | 'calendar';

export interface GraphFailure {
  /** HTTP status; null when no answer came (network error, timeout). */
  status: number | null;
  /** `error.code` (Graph) or `error` (token endpoint). */
  code: string | null;
  /** `error.innerError.code`, when there is one. */
  innerCode?: string | null;
  message: string;
  /** The Retry-After header as sent. */
  retryAfter: string | null;
  operation: GraphOperation;
  /** The token endpoint answered (refreshing the access token failed). */
  fromTokenEndpoint: boolean;
  /** AADSTS numbers from the token endpoint's `error_codes` or its description. */
  aadCodes?: number[];
  remoteId?: string | null;
  /** Epoch milliseconds, for Retry-After given as an HTTP date. */
  now: number;
}

/** An expired delta token: "the delta token is expired and data must be synchronized again". */
const CURSOR_CODES = new Set(['syncstatenotfound', 'resyncrequired', 'syncstateinvalid', 'resyncchangesapplydifferences', 'resyncchangesuploaddifferences']);
const PRECONDITION_CODES = new Set(['errorirresolvableconflict', 'resourcemodified', 'preconditionfailed']);
const NOT_FOUND_CODES = new Set(['erroritemnotfound', 'itemnotfound', 'errorobjectnotfound']);
/**
 * "Application is over its MailboxConcurrency limit" comes as ApplicationThrottled:
 * Outlook takes four concurrent requests per mailbox (throttling limits).
 */
const THROTTLE_CODES = new Set(['toomanyrequests', 'applicationthrottled', 'mailboxconcurrency', 'activitylimitreached', 'errorserverbusy']);
const AUTH_CODES = new Set(['invalidauthenticationtoken', 'unauthenticated', 'authenticationerror', 'errorinvalidauthenticationtoken']);

/**
 * The token endpoint's `error` decides (Microsoft: "apps that take a dependency on text
 * or error code numbers will be broken over time", AADSTS reference); the AADSTS
 * numbers only add cases its `error` would leave transient. AADSTS errors that mean the grant is dead and only the user can mend it: 70000 the
 * grant is invalid (revoked, or used after expiry), 700082 the refresh token expired
 * from inactivity, 70008 the refresh token expired, 50173 the grant expired (password
 * changed or sessions revoked), 700084 a single-page app's refresh token passed its
 * 24 hours, 50076/50079 multi-factor authentication is now required, 65001 consent is
 * missing, 50057 the account is disabled, 50053 it is locked, 530003 a device policy.
 */
export const DEAD_GRANT_AADSTS = new Set([70000, 700082, 70008, 50173, 700084, 50076, 50079, 65001, 50057, 50053, 530003]);
const DEAD_GRANT_ERRORS = new Set(['invalid_grant', 'interaction_required', 'consent_required', 'invalid_client', 'unauthorized_client']);

/** Delta-seconds, decimals too (Graph has sent `2.128`), rounded up; or an HTTP date; null when absent or unreadable. */
export function retryAfterSeconds(header: string | null, now: number): number | null {
  if (header === null || header.trim() === '') return null;
  if (/^\s*\d+(\.\d+)?\s*$/.test(header)) return Math.ceil(Number(header));
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

const lower = (code: string | null | undefined): string => (code ?? '').toLowerCase();

function kindOf(f: GraphFailure): ConnectorErrorKind {
  const codes = [lower(f.code), lower(f.innerCode)];
  const has = (set: Set<string>): boolean => codes.some((c) => set.has(c));
  if (f.fromTokenEndpoint) {
    if ((f.aadCodes ?? []).some((n) => DEAD_GRANT_AADSTS.has(n)) || DEAD_GRANT_ERRORS.has(lower(f.code))) return 'auth-revoked';
    return f.status === null || f.status >= 500 || f.status === 429 || lower(f.code) === 'temporarily_unavailable' ? 'transient' : 'auth-revoked';
  }
  const { status } = f;
  if (has(CURSOR_CODES)) return 'cursor-expired';
  if (status === null || status === 408) return 'transient';
  if (status === 429 || has(THROTTLE_CODES) || /MailboxConcurrency/i.test(f.message)) return 'rate-limited';
  if (status >= 500) return 'transient';
  if (status === 401 || has(AUTH_CODES)) return 'auth-revoked';
  // A 410 on a delta listing is an expired token whatever its code; elsewhere the item is gone.
  if (status === 410) return f.operation === 'list' ? 'cursor-expired' : 'not-found';
  if (status === 412 || has(PRECONDITION_CODES)) return 'precondition-failed';
  if (status === 404 || has(NOT_FOUND_CODES)) return 'not-found';
  return 'permanent';
}

export function classifyGraphFailure(f: GraphFailure): ConnectorError {
  const kind = kindOf(f);
  const where = f.fromTokenEndpoint ? 'token refresh' : `Graph ${f.operation}${f.remoteId ? ` ${f.remoteId}` : ''}`;
  const status = f.status === null ? 'no answer' : `HTTP ${f.status}`;
  const wait = kind === 'rate-limited' || kind === 'transient' ? retryAfterSeconds(f.retryAfter, f.now) : null;
  return new ConnectorError(kind, `${where}: ${status}${f.code ? ` ${f.code}` : ''}: ${f.message}`.slice(0, 500), {
    retryAfterSeconds: wait,
    remoteId: f.remoteId ?? null,
  });
}

export interface GraphErrorBody {
  code: string | null;
  innerCode: string | null;
  message: string | null;
  aadCodes: number[];
}

/** What an error body says: Graph's `{error: {code, message, innerError}}` or the token endpoint's `{error, error_description, error_codes}`. */
export function errorBodyOf(body: unknown): GraphErrorBody {
  const out: GraphErrorBody = { code: null, innerCode: null, message: null, aadCodes: [] };
  if (typeof body !== 'object' || body === null) return out;
  const b = body as Record<string, unknown>;
  if (typeof b.error === 'string') {
    out.code = b.error;
    if (typeof b.error_description === 'string') out.message = b.error_description;
    if (Array.isArray(b.error_codes)) out.aadCodes = b.error_codes.filter((n): n is number => typeof n === 'number');
    for (const m of (out.message ?? '').matchAll(/AADSTS(\d+)/g)) out.aadCodes.push(Number(m[1]));
    out.aadCodes = [...new Set(out.aadCodes)];
    return out;
  }
  if (typeof b.error === 'object' && b.error !== null) {
    const e = b.error as Record<string, unknown>;
    if (typeof e.code === 'string') out.code = e.code;
    if (typeof e.message === 'string') out.message = e.message;
    // The errors page spells it innerError in its examples and innererror in its schema.
    const inner = (e.innerError ?? e.innererror) as Record<string, unknown> | undefined;
    if (typeof inner?.code === 'string') out.innerCode = inner.code;
  }
  return out;
}

/** One answer (or none) → the failure to classify. */
export function failureOf(
  answer: { status: number | null; headers?: Headers | Record<string, string> | null; body?: unknown; error?: unknown },
  context: { operation: GraphOperation; fromTokenEndpoint?: boolean; remoteId?: string | null; now: number },
): GraphFailure {
  const body = errorBodyOf(answer.body);
  const headers = answer.headers ?? null;
  const retryAfter = headers === null ? null
    : typeof (headers as Headers).get === 'function' ? (headers as Headers).get('retry-after')
      : Object.entries(headers).find(([k]) => k.toLowerCase() === 'retry-after')?.[1] ?? null;
  const fallback = answer.error instanceof Error ? answer.error.message : answer.status === null ? 'no answer' : `HTTP ${answer.status}`;
  return {
    status: answer.status, code: body.code, innerCode: body.innerCode, message: body.message ?? fallback, retryAfter,
    operation: context.operation, fromTokenEndpoint: context.fromTokenEndpoint ?? false, aadCodes: body.aadCodes,
    remoteId: context.remoteId ?? null, now: context.now,
  };
}
