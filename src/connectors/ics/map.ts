// Pure: a parsed feed → remote items, and the synthesised cursor. An ICS feed has no
// change log, so the cursor remembers the feed's validators and one content digest per
// UID; the next listing compares against it and returns only what differs.
import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { CoreError } from '../../core/errors.ts';
import { contentHash } from '../../core/hash.ts';
import { parseCalendar, type ParsedCalendar } from '../../core/ical/index.ts';
import { unreadableItem, type RemoteItem, type RemoteLiveItem, type UnreadableItem } from '../connector.ts';
import type { FeedValidators } from './client.ts';
import type { FeedPart } from './split.ts';

/** A feed item is one UID series; the UID is what a feed keeps stable across edits. */
export function remoteIdOf(uid: string): string {
  return `uid:${uid}`;
}

/**
 * One live item per UID, in feed order. The etag is the content hash, so an item that a
 * server merely restamped (DTSTAMP on every download) keeps its etag.
 */
export function feedItems(parsed: ParsedCalendar): RemoteLiveItem[] {
  return parsed.series.map(({ uid, master, overrides, calsyncId }) => {
    const series = { uid, master, overrides };
    return { remoteId: remoteIdOf(uid), etag: contentHash(series), deleted: false, series, calsyncId, updatedAt: null };
  });
}

/** What a feed holds: the series it could read, and the UIDs whose VEVENTs it could not. */
export interface FeedRead {
  items: RemoteLiveItem[];
  unreadable: UnreadableItem[];
}

/**
 * A feed read UID by UID (split.ts), after it failed as a whole: a part the iCalendar
 * layer refuses is unreadable, its reason naming the feed's line, its etag a hash of its
 * text without DTSTAMP lines (restamped on every download by Google), so an unchanged
 * one keeps it. A VEVENT without a UID has no remote id a later feed would give it
 * again: it is named by that hash.
 */
export function readParts(parts: FeedPart[]): FeedRead {
  const read: FeedRead = { items: [], unreadable: [] };
  for (const part of parts) {
    try {
      read.items.push(...feedItems(parseCalendar(part.document)));
    } catch (error) {
      if (!(error instanceof CoreError)) throw error;
      const raw = new TextDecoder().decode(part.events);
      const etag = createHash('sha256').update(raw.replace(/^DTSTAMP[;:].*$(\r?\n[ \t].*$)*/gim, '')).digest('hex');
      const remoteId = part.uid === null ? `vevent-without-uid:${etag.slice(0, 16)}` : remoteIdOf(part.uid);
      read.unreadable.push(unreadableItem(remoteId, `${part.uid === null ? 'a VEVENT without UID' : `UID ${part.uid}`} cannot be read: ${feedMessage(error, part)}`, raw, { etag }));
    }
  }
  return read;
}

/** The error with its line counted in the feed, not in the part. */
function feedMessage(error: CoreError, part: FeedPart): string {
  const line = /^line (\d+)$/.exec(error.path ?? '');
  const feedLine = line === null ? null : part.feedLine(Number(line[1]));
  if (feedLine === null) return error.message;
  return `${error.message.slice(0, error.message.length - ` (at ${error.path})`.length)} (at line ${feedLine})`;
}

/** The UID an unreadable item stands for in the cursor; null for a VEVENT without one. */
const unreadableUid = (item: UnreadableItem): string | null => (item.remoteId.startsWith('uid:') ? item.remoteId.slice(4) : null);

export interface FeedCursor extends FeedValidators {
  /** UID → digest of the item's etag. */
  digests: Map<string, string>;
}

// 96 bits of the SHA-256 etag: a false "unchanged" needs a collision between two
// versions of one item, about 2^-96; a full hash would double the cursor's size.
const DIGEST_CHARS = 24;
const digestOf = (etag: string) => etag.slice(0, DIGEST_CHARS);
const PREFIX = 'ics1.';

/** Unreadable UIDs are kept with their etag's digest too: present, and unchanged until it moves. */
export function cursorOf(read: FeedRead, validators: FeedValidators): FeedCursor {
  const digests = new Map(read.items.map((i) => [i.series.uid, digestOf(i.etag)]));
  for (const u of read.unreadable) {
    const uid = unreadableUid(u);
    if (uid !== null) digests.set(uid, digestOf(u.etag!));
  }
  return { ...validators, digests };
}

/**
 * `ics1.` + base64url of deflated JSON. Measured on 5,000 Google-style UIDs (26 random
 * characters + `@google.com`): 205 KB, against 345 KB of plain JSON. It grows with the
 * feed, which the size limit bounds.
 */
export function encodeCursor(cursor: FeedCursor): string {
  const json = JSON.stringify({ e: cursor.etag, m: cursor.lastModified, d: [...cursor.digests] });
  return PREFIX + deflateRawSync(json).toString('base64url');
}

/** null when the text is not a cursor this version wrote. */
export function decodeCursor(text: string): FeedCursor | null {
  if (!text.startsWith(PREFIX)) return null;
  try {
    const value: unknown = JSON.parse(inflateRawSync(Buffer.from(text.slice(PREFIX.length), 'base64url')).toString('utf8'));
    const { e, m, d } = value as { e: unknown; m: unknown; d: unknown };
    const optional = (x: unknown) => x === null || typeof x === 'string';
    const pair = (p: unknown) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string';
    if (!optional(e) || !optional(m) || !Array.isArray(d) || !d.every(pair)) return null;
    return { etag: e as string | null, lastModified: m as string | null, digests: new Map(d as [string, string][]) };
  } catch {
    return null;
  }
}

/**
 * Items added or changed since the cursor, then deletions for UIDs no longer in the
 * feed; unreadable UIDs new or changed since (a VEVENT without UID only when the feed
 * changed, having no digest).
 */
export function changesSince(read: FeedRead, previous: FeedCursor): { items: RemoteItem[]; unreadable: UnreadableItem[] } {
  const items: RemoteItem[] = read.items.filter((i) => previous.digests.get(i.series.uid) !== digestOf(i.etag));
  const unreadable = read.unreadable.filter((u) => {
    const uid = unreadableUid(u);
    return uid === null || previous.digests.get(uid) !== digestOf(u.etag!);
  });
  const present = new Set([...read.items.map((i) => i.series.uid), ...read.unreadable.map(unreadableUid)]);
  for (const uid of previous.digests.keys()) {
    if (!present.has(uid)) items.push({ remoteId: remoteIdOf(uid), etag: null, deleted: true, series: null, calsyncId: null, updatedAt: null });
  }
  return { items, unreadable };
}

/** A digest of the listing's content, to tell whether a refetched feed is the same one. */
export function listingDigest(read: FeedRead): string {
  const hash = createHash('sha256');
  for (const item of read.items) hash.update(`${item.series.uid}\n${item.etag}\n`);
  for (const item of read.unreadable) hash.update(`!${item.remoteId}\n${item.etag}\n`);
  return hash.digest('base64url').slice(0, 22);
}
