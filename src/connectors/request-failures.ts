// Failures of requests to user-given URLs that a person can fix, each with a reason that
// src/engine/provider-errors.ts turns into its own error code and fix: a URL that is not
// one, an address the guard refuses, a host that does not resolve, a port nobody listens
// on, a certificate that does not verify, a server that is no CalDAV server, a feed that
// is gone, a CalDAV request that would take the login to another origin. The kind stays
// what the sync engine needs (a refused connection is retried, a refused URL is not).
import { ConnectorError, type ConnectorErrorKind } from './connector.ts';

export type RequestFailureReason =
  | 'url-invalid' | 'url-refused' | 'host-unknown' | 'connection-refused' | 'tls'
  | 'not-caldav' | 'feed-not-found' | 'origin-refused';

export class RequestFailure extends ConnectorError {
  constructor(kind: ConnectorErrorKind, readonly reason: RequestFailureReason, message: string, options: { remoteId?: string | null; cause?: unknown } = {}) {
    super(kind, message, options);
  }
}

/** The reason of a RequestFailure, found also as the cause of another error (fetch wraps what its connection threw). */
export function requestFailureOf(error: unknown): RequestFailure | null {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof RequestFailure) return e;
  }
  return null;
}

// OpenSSL's verification codes (CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT,
// UNABLE_TO_VERIFY_LEAF_SIGNATURE…), Node's own (ERR_TLS_CERT_ALTNAME_INVALID) and
// handshake failures (ERR_SSL_WRONG_VERSION_NUMBER: https to a plain http port).
const TLS_CODE = /^(CERT_|ERR_TLS_|ERR_SSL_|DEPTH_ZERO_|SELF_SIGNED_|UNABLE_TO_|EPROTO$)/;

function codeOf(error: unknown): string | null {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return code;
  }
  return null;
}

/**
 * What a fetch that threw (no answer at all) means, for `what` (e.g. "CalDAV read
 * https://dav.example/"): a refusal the guard or the CalDAV origin check made is passed
 * on as it is; a refused connection and a certificate that does not verify get their
 * reason; anything else (reset, timeout, unreachable network) is transient.
 */
export function networkFailure(error: unknown, what: string): ConnectorError {
  const known = requestFailureOf(error);
  if (known) return known;
  if (error instanceof ConnectorError) return error;
  const code = codeOf(error);
  if (code === 'ECONNREFUSED') {
    return new RequestFailure('transient', 'connection-refused', `${what}: connection refused (nothing listens on that host and port)`, { cause: error });
  }
  if (code !== null && TLS_CODE.test(code)) {
    return new RequestFailure('transient', 'tls', `${what}: the TLS connection failed (${code}: ${deepestMessage(error)})`, { cause: error });
  }
  // fetch says only "fetch failed"; its cause says what failed ("connect ETIMEDOUT …", "bad port").
  return new ConnectorError('transient', `${what}: ${deepestMessage(error)}`, { cause: error });
}

/** The innermost cause's words, on one line: OpenSSL's own reason rather than its multi-line message. */
function deepestMessage(error: unknown): string {
  let e = error;
  for (let depth = 0; e instanceof Error && e.cause instanceof Error && depth < 5; depth++) e = e.cause;
  if (!(e instanceof Error)) return String(e);
  const reason = (e as { reason?: unknown }).reason;
  return (typeof reason === 'string' ? reason : e.message || e.name).split('\n')[0]!.trim();
}
