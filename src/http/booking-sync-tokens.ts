// Booking sync tokens: a tenant's booking change number (migration 000019), signed
// (token-signing.ts) with a short tag of the tenant, so a token of another tenant, or one
// forged, edited or truncated, is refused with 400 BOOKING_SYNC_TOKEN_INVALID rather than
// misread. Not 410 as an expired events token is: booking rows are never purged (a
// cancelled or expired booking stays), so a token never stops covering what changed
// since; only deleting a resource removes its past bookings' records.
import { createHash } from 'node:crypto';
import { CalsyncError } from '../errors.ts';
import type { TokenSigner } from './token-signing.ts';

const kind = 'bookings sync token';
const tag = (tenantId: string): string => createHash('sha256').update(tenantId).digest('base64url').slice(0, 8);

export function encodeBookingSyncToken(signer: TokenSigner, tenantId: string, position: number): string {
  return signer.sign(kind, { t: tag(tenantId), p: position });
}

/** The change number the token was given at, or BOOKING_SYNC_TOKEN_INVALID. */
export function decodeBookingSyncToken(signer: TokenSigner, tenantId: string, token: string): number {
  const value = signer.open(kind, token) as { t?: unknown; p?: unknown } | null;
  if (typeof value !== 'object' || value === null || value.t !== tag(tenantId) || typeof value.p !== 'number' || !Number.isSafeInteger(value.p) || value.p < 0) {
    throw new CalsyncError('BOOKING_SYNC_TOKEN_INVALID', 'syncToken is not a booking sync token calsync gave this tenant', { parameter: 'syncToken' });
  }
  return value.p;
}
