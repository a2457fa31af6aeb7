// A provider failure (ConnectorError) as one of calsync's error codes, for commands and
// API responses that report it to a person.
import { isConnectorError } from '../connectors/connector.ts';
import { CalsyncError } from '../errors.ts';

export function asCalsyncError(error: unknown): unknown {
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
