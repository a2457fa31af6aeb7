// Sync and page tokens. Both are opaque to clients (base64url of JSON here; Google's
// look like "CPDAlvWDx70CEPDAlvWDx70CGAU="). A sync token is a change number of one
// calendar, the token generation it was issued in and when: it answers 410 once the
// generation is expired by the control API or it is older than the emulator's token
// lifetime ("the server will respond with a 410 GONE response code", events.list
// `syncToken`). A page token repeats the listing's snapshot change number, where the
// previous page ended, and a digest of the query, so a later page answers the same query.
import { createHash } from 'node:crypto';

export interface SyncTokenData {
  calendarId: string;
  seq: number;
  generation: number;
  issuedAt: number;
}

export interface PageTokenData {
  /** The change number the listing's first page saw: its nextSyncToken. */
  snapshot: number;
  /** Sort key and id of the last item answered. */
  after: [key: number | string, id: string];
  /** Digest of every query parameter except pageToken. */
  query: string;
}

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function decode(token: string): unknown {
  try {
    return JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
}

export function encodeSyncToken(data: SyncTokenData): string {
  return encode({ c: data.calendarId, s: data.seq, g: data.generation, t: data.issuedAt });
}

export function decodeSyncToken(token: string): SyncTokenData | null {
  const d = decode(token) as { c?: unknown; s?: unknown; g?: unknown; t?: unknown } | null;
  if (d === null || typeof d !== 'object' || typeof d.c !== 'string' || !Number.isSafeInteger(d.s) || !Number.isSafeInteger(d.g) || !Number.isSafeInteger(d.t)) return null;
  return { calendarId: d.c, seq: d.s as number, generation: d.g as number, issuedAt: d.t as number };
}

export function encodePageToken(data: PageTokenData): string {
  return encode({ s: data.snapshot, a: data.after, q: data.query });
}

export function decodePageToken(token: string): PageTokenData | null {
  const d = decode(token) as { s?: unknown; a?: unknown; q?: unknown } | null;
  if (d === null || typeof d !== 'object' || !Number.isSafeInteger(d.s) || typeof d.q !== 'string' || !Array.isArray(d.a) || d.a.length !== 2) return null;
  const [key, id] = d.a as unknown[];
  if ((typeof key !== 'number' && typeof key !== 'string') || typeof id !== 'string') return null;
  return { snapshot: d.s as number, after: [key, id], query: d.q };
}

/** A digest of a query's parameters, pageToken left out, independent of their order. */
export function queryDigest(query: Record<string, unknown>): string {
  const entries = Object.entries(query)
    .filter(([k, v]) => k !== 'pageToken' && v !== undefined)
    .map(([k, v]) => [k, Array.isArray(v) ? [...v].map(String).sort() : String(v)] as const)
    .sort(([a], [b]) => a.localeCompare(b));
  return createHash('sha256').update(JSON.stringify(entries)).digest('base64url').slice(0, 16);
}
