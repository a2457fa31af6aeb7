// Google Calendar API and OAuth token endpoint answers → ConnectorError kinds, decided
// once here. Bodies are the errors guide's (error.errors[].reason) or RFC 6749 §5.2's
// ({error, error_description}) from the token endpoint.
import { ConnectorError, type ConnectorErrorKind } from '../connector.ts';

export type GoogleOperation = 'list' | 'get' | 'create' | 'update' | 'delete' | 'watch' | 'stop' | 'calendar';

export interface GoogleFailure {
  /** HTTP status; null when no answer came (network error, timeout). */
  status: number | null;
  /** Google's `error.errors[0].reason`, or the token endpoint's `error`. */
  reason: string | null;
  message: string;
  retryAfter: string | null;
  operation: GoogleOperation;
  /** The token endpoint answered (refreshing the access token failed). */
  fromTokenEndpoint: boolean;
  remoteId?: string | null;
  /** Epoch milliseconds, for Retry-After given as an HTTP date. */
  now: number;
}

/**
 * quotaExceeded is a usage limit, not a burst: "stop writing for that user" (errors
 * guide). Google's Calendar limits are per minute and per day; an hour lets a
 * per-minute limit clear many times over and keeps a day's limit from being hammered.
 */
export const QUOTA_EXCEEDED_SECONDS = 3600;

const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);
const QUOTA_REASONS = new Set(['quotaExceeded', 'dailyLimitExceeded']);

/** Delta-seconds (decimals too) or an HTTP date (RFC 9110 §10.2.3); null when absent or unreadable. */
export function retryAfterSeconds(header: string | null, now: number): number | null {
  if (header === null || header.trim() === '') return null;
  if (/^\s*\d+(\.\d+)?\s*$/.test(header)) return Math.ceil(Number(header));
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

function kindOf(f: GoogleFailure): ConnectorErrorKind {
  if (f.fromTokenEndpoint) {
    // "invalid_grant: Token has been expired or revoked": ask the user to reconnect.
    // invalid_client and unauthorized_client: calsync's OAuth client is wrong or
    // deleted, which no retry mends either.
    if (f.reason === 'invalid_grant' || f.reason === 'invalid_client' || f.reason === 'unauthorized_client') return 'auth-revoked';
    return f.status === null || f.status >= 500 || f.status === 429 ? 'transient' : 'auth-revoked';
  }
  const { status, reason } = f;
  if (status === null || status === 408 || status >= 500) return 'transient';
  if (status === 401) return 'auth-revoked';
  if (status === 429 || (status === 403 && reason !== null && (RATE_LIMIT_REASONS.has(reason) || QUOTA_REASONS.has(reason)))) return 'rate-limited';
  // Any 410 on a listing means the sync token is gone: list in full (sync guide).
  if (status === 410 && f.operation === 'list') return 'cursor-expired';
  if (status === 404 || status === 410) return 'not-found';
  if (status === 412) return 'precondition-failed';
  return 'permanent';
}

export function classifyFailure(f: GoogleFailure): ConnectorError {
  const kind = kindOf(f);
  const quota = f.reason !== null && QUOTA_REASONS.has(f.reason);
  const where = f.fromTokenEndpoint ? 'token refresh' : `Google ${f.operation}${f.remoteId ? ` ${f.remoteId}` : ''}`;
  const status = f.status === null ? 'no answer' : `HTTP ${f.status}`;
  return new ConnectorError(kind, `${where}: ${status}${f.reason ? ` ${f.reason}` : ''}: ${f.message}`.slice(0, 500), {
    retryAfterSeconds: kind !== 'rate-limited' ? null : quota ? QUOTA_EXCEEDED_SECONDS : retryAfterSeconds(f.retryAfter, f.now),
    remoteId: f.remoteId ?? null,
  });
}

interface GaxiosLike {
  message?: string;
  status?: number;
  code?: string | number;
  config?: { url?: string | URL };
  response?: { status?: number; headers?: Headers | Record<string, string>; data?: unknown };
}

function header(headers: Headers | Record<string, string> | undefined, name: string): string | null {
  if (!headers) return null;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name);
  const entry = Object.entries(headers).find(([k]) => k.toLowerCase() === name);
  return entry ? String(entry[1]) : null;
}

/** What a thrown gaxios error says, for classifyFailure. */
export function failureOf(error: unknown, operation: GoogleOperation, tokenUrl: string, now: number, remoteId: string | null): GoogleFailure {
  const e = (error ?? {}) as GaxiosLike;
  const response = e.response;
  const status = typeof response?.status === 'number' ? response.status : null;
  const data = (response?.data ?? null) as { error?: unknown; error_description?: unknown } | null;
  const url = e.config?.url === undefined ? '' : String(e.config.url);
  const fromTokenEndpoint = url !== '' && url.split('?')[0] === tokenUrl.split('?')[0];
  let reason: string | null = null;
  let message = e.message ?? String(error);
  if (data && typeof data.error === 'string') {
    reason = data.error;
    if (typeof data.error_description === 'string') message = data.error_description;
  } else if (data && typeof data.error === 'object' && data.error !== null) {
    const body = data.error as { message?: unknown; errors?: Array<{ reason?: unknown }> };
    if (typeof body.errors?.[0]?.reason === 'string') reason = body.errors[0].reason;
    if (typeof body.message === 'string') message = body.message;
  }
  return { status, reason, message, retryAfter: header(response?.headers, 'retry-after'), operation, fromTokenEndpoint, remoteId, now };
}
