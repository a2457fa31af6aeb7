// Sync tokens and page tokens of the app API. Both are opaque to apps: base64url JSON
// with a short tag of the calendar they belong to, so a token of another calendar or
// one an app edited is refused instead of misread. A sync token is a calendar version
// (ARCHITECTURE: versions, never timestamps) and the time it was issued, which bounds
// its age by the tombstone horizon: deletions older than that may be purged, so an older
// token could miss them and gets 410 fullSyncRequired.
import { createHash } from 'node:crypto';
import { CalsyncError } from '../errors.ts';

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

function encode(kind: 's' | 'p', calendarId: string, value: object): string {
  return Buffer.from(JSON.stringify({ k: kind, c: tag(calendarId), ...value })).toString('base64url');
}

function decode(kind: 's' | 'p', calendarId: string, token: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>;
    return value && value.k === kind && value.c === tag(calendarId) ? value : null;
  } catch {
    return null;
  }
}

export function encodeSyncToken(calendarId: string, token: SyncToken): string {
  return encode('s', calendarId, { v: token.version, t: token.issuedAt });
}

/** The token, or SYNC_TOKEN_EXPIRED (Google answers an unreadable token with 410 too). */
export function decodeSyncToken(calendarId: string, text: string, now: number, horizonMs: number, minVersion: number): SyncToken {
  const value = decode('s', calendarId, text);
  const version = value?.v;
  const issuedAt = value?.t;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0 || typeof issuedAt !== 'number') {
    throw new CalsyncError('SYNC_TOKEN_EXPIRED', 'Sync token is no longer valid, a full sync is required.', { parameter: 'syncToken' });
  }
  if (now - issuedAt > horizonMs || version < minVersion) {
    throw new CalsyncError('SYNC_TOKEN_EXPIRED', 'Sync token is no longer valid, a full sync is required.', { parameter: 'syncToken' });
  }
  return { version, issuedAt };
}

export function encodePageToken(calendarId: string, token: PageToken): string {
  return encode('p', calendarId, { q: token.query, u: token.upTo, s: token.since, a: token.after });
}

/** The page token of this query, or INVALID_REQUEST naming pageToken. */
export function decodePageToken(calendarId: string, text: string, query: string): PageToken {
  const value = decode('p', calendarId, text);
  const upTo = value?.u;
  const since = value?.s;
  const after = value?.a;
  if (!value || value.q !== query || typeof upTo !== 'number' || (since !== null && typeof since !== 'number') || !Array.isArray(after)) {
    throw new CalsyncError('INVALID_REQUEST', 'Invalid pageToken: it belongs to another query or calendar; repeat the query that returned it.', { parameter: 'pageToken' });
  }
  return { query, upTo, since: since as number | null, after: after as Array<string | number> };
}

/** A digest of the parameters a page token must be repeated with. */
export function queryDigest(parameters: Record<string, unknown>): string {
  const stable = Object.keys(parameters).sort().map((key) => [key, parameters[key] ?? null]);
  return createHash('sha256').update(JSON.stringify(stable)).digest('base64url').slice(0, 12);
}
