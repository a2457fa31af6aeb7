// Sync tokens and page tokens of the app API. Both are opaque to apps: signed JSON
// (token-signing.ts) with a short tag of the calendar they belong to, so a token of
// another calendar or one an app forged or edited is refused instead of misread: a sync
// token with 410 fullSyncRequired, as Google answers an invalid one (guides/sync: "the
// server will respond to an incremental request with a response code 410"), a page
// token with 400 naming pageToken. A sync token is a calendar version
// (ARCHITECTURE: versions, never timestamps) and the time it was issued, which bounds
// its age by the tombstone horizon: deletions older than that may be purged, so an older
// token could miss them and gets 410 fullSyncRequired.
import { createHash } from 'node:crypto';
import { CalsyncError } from '../errors.ts';
import type { TokenSigner } from './token-signing.ts';

export interface SyncToken {
  /** Changes with a version above this are what the token has not seen. */
  version: number;
  /** Epoch ms the token was issued. */
  issuedAt: number;
}

/**
 * Where a listing continues: the query it belongs to (a digest of its parameters), the
 * version it reads up to (the nextSyncToken of its last page) and the last key it gave.
 */
export interface PageToken {
  query: string;
  upTo: number;
  /** The version the listing starts after (a sync token's), or null for a full listing. */
  since: number | null;
  after: Array<string | number>;
}

const tag = (calendarId: string): string => createHash('sha256').update(calendarId).digest('base64url').slice(0, 8);

const kinds = { s: 'events sync token', p: 'events page token' } as const;

function encode(signer: TokenSigner, kind: 's' | 'p', calendarId: string, value: object): string {
  return signer.sign(kinds[kind], { c: tag(calendarId), ...value });
}

function decode(signer: TokenSigner, kind: 's' | 'p', calendarId: string, token: string): Record<string, unknown> | null {
  const value = signer.open(kinds[kind], token) as Record<string, unknown> | null;
  return typeof value === 'object' && value !== null && value.c === tag(calendarId) ? value : null;
}

export function encodeSyncToken(signer: TokenSigner, calendarId: string, token: SyncToken): string {
  return encode(signer, 's', calendarId, { v: token.version, t: token.issuedAt });
}

/** The token, or SYNC_TOKEN_EXPIRED (Google answers an unreadable token with 410 too). */
export function decodeSyncToken(signer: TokenSigner, calendarId: string, text: string, now: number, horizonMs: number, minVersion: number): SyncToken {
  const value = decode(signer, 's', calendarId, text);
  const version = value?.v;
  const issuedAt = value?.t;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0 || typeof issuedAt !== 'number' || !Number.isSafeInteger(issuedAt)) {
    throw new CalsyncError('SYNC_TOKEN_EXPIRED', 'Sync token is no longer valid, a full sync is required.', { parameter: 'syncToken' });
  }
  if (now - issuedAt > horizonMs || version < minVersion) {
    throw new CalsyncError('SYNC_TOKEN_EXPIRED', 'Sync token is no longer valid, a full sync is required.', { parameter: 'syncToken' });
  }
  return { version, issuedAt };
}

export function encodePageToken(signer: TokenSigner, calendarId: string, token: PageToken): string {
  return encode(signer, 'p', calendarId, { q: token.query, u: token.upTo, s: token.since, a: token.after });
}

/** The page token of this query, or INVALID_REQUEST naming pageToken. */
export function decodePageToken(signer: TokenSigner, calendarId: string, text: string, query: string): PageToken {
  const value = decode(signer, 'p', calendarId, text);
  const upTo = value?.u;
  const since = value?.s;
  const after = value?.a;
  if (!value || value.q !== query || typeof upTo !== 'number' || (since !== null && typeof since !== 'number') || !Array.isArray(after)) {
    throw new CalsyncError('INVALID_REQUEST', 'Invalid pageToken: calsync did not give it out for this query and calendar; repeat the query that returned it.', { parameter: 'pageToken' });
  }
  return { query, upTo, since: since as number | null, after: after as Array<string | number> };
}

/** A digest of the parameters a page token must be repeated with. */
export function queryDigest(parameters: Record<string, unknown>): string {
  const stable = Object.keys(parameters).sort().map((key) => [key, parameters[key] ?? null]);
  return createHash('sha256').update(JSON.stringify(stable)).digest('base64url').slice(0, 12);
}
