// Proof Key for Code Exchange (RFC 7636), as both identity providers check it. When a
// bad method is refused and which error each failure answers are the provider's. The
// code and grant bookkeeping around it stays in each oauth.ts although it reads alike:
// Google forgets a used code (invalid_grant "Bad Request") and keeps one refresh token,
// the identity platform remembers a redeemed code (AADSTS54005) and rotates refresh
// tokens on every use.
import { createHash } from 'node:crypto';

export type PkceMethod = 'S256' | 'plain';

export const isPkceMethod = (x: unknown): x is PkceMethod => x === 'S256' || x === 'plain';

/** Whether a code_verifier matches the challenge recorded with the code (RFC 7636 §4.6). */
export function verifierMatches(challenge: string, method: PkceMethod, verifier: string): boolean {
  const derived = method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
  return derived === challenge;
}
