// What an operator does about a binding's last error. A pass records the kind of what went
// wrong (src/engine/sync-pass.ts: a connector error's kind, `internal`, `lease-lost`, or
// a brake's `wipe` / `deletion-budget`); the fix is the catalogue's (src/errors.ts), so
// the console, the API and the command line give the same advice.
import { errorCatalogue, type ErrorCode } from '../errors.ts';

const codeOfKind: Record<string, ErrorCode> = {
  'auth-revoked': 'ACCOUNT_NOT_ACTIVE',
  'rate-limited': 'PROVIDER_UNAVAILABLE',
  transient: 'PROVIDER_UNAVAILABLE',
  permanent: 'PROVIDER_REFUSED',
  'not-found': 'PROVIDER_REFUSED',
  wipe: 'PASS_STOPPED',
  'deletion-budget': 'PASS_STOPPED',
};

/** The recorded error with the catalogue code that applies and its fix; unknown kinds are INTERNAL. */
export function passErrorAdvice(error: { code: string; message: string }): { kind: string; code: ErrorCode; message: string; hint: string } {
  const code = codeOfKind[error.code] ?? 'INTERNAL';
  return { kind: error.code, code, message: error.message, hint: errorCatalogue[code].hint };
}
