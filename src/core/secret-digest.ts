// Secrets a provider echoes in its notifications (Google's channel token, Graph's
// clientState) are stored as their SHA-256 only, and a notification's secret is hashed
// and compared with the stored digest in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';

export const secretDigest = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');

/** The secret's digest equals `storedDigest` (hex SHA-256), compared in constant time. */
export function secretMatches(secret: string, storedDigest: string): boolean {
  const x = Buffer.from(secretDigest(secret), 'hex');
  const y = Buffer.from(storedDigest, 'hex');
  return y.length === 32 && timingSafeEqual(x, y);
}
