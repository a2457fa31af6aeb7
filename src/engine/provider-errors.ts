// A provider failure (ConnectorError) as one of calsync's error codes, for commands and
// API responses that report it to a person. Failures a person can fix (a bad or refused
// URL, a refused connection, a certificate, a server that is no CalDAV server, a feed
// that is gone) have codes of their own whose fix says what to do; the rest go by kind.
import { isConnectorError } from '../connectors/connector.ts';
import { requestFailureOf, type RequestFailureReason } from '../connectors/request-failures.ts';
import { CalsyncError, type ErrorCode } from '../errors.ts';

const codeOfReason: Record<RequestFailureReason, ErrorCode> = {
  'url-invalid': 'PROVIDER_URL_INVALID',
  'url-refused': 'PROVIDER_URL_REFUSED',
  'host-unknown': 'PROVIDER_HOST_UNKNOWN',
  'connection-refused': 'PROVIDER_CONNECTION_REFUSED',
  tls: 'PROVIDER_TLS_FAILED',
  'not-caldav': 'NOT_A_CALDAV_SERVER',
  'feed-not-found': 'FEED_NOT_FOUND',
  'origin-refused': 'CALDAV_ORIGIN_REFUSED',
};

export function asCalsyncError(error: unknown): unknown {
  const known = requestFailureOf(error);
  if (known) return new CalsyncError(codeOfReason[known.reason], known.message, {}, { cause: error });
  if (!isConnectorError(error)) return error;
  switch (error.kind) {
    case 'auth-revoked':
      return new CalsyncError('PROVIDER_AUTH_FAILED', error.message, {}, { cause: error });
    case 'transient':
    case 'rate-limited':
      return new CalsyncError('PROVIDER_UNAVAILABLE', error.message, { retryAfterSeconds: error.retryAfterSeconds }, { cause: error });
    default:
      return new CalsyncError('PROVIDER_REFUSED', error.message, {}, { cause: error });
  }
}
