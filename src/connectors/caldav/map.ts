// Pure: CalDAV resources ⇄ RemoteItem, through the iCalendar layer (src/core/ical).
// One resource holds one UID: the master and its RECURRENCE-ID overrides (RFC 4791 §4.1).
import { createHash } from 'node:crypto';
import { CoreError } from '../../core/errors.ts';
import { parseCalendar, renderCalendar } from '../../core/ical/index.ts';
import type { CalsyncId, EventSeries } from '../../core/model.ts';
import {
  ConnectorError, unreadableItem, type RemoteDeletedItem, type RemoteItem, type UnreadableItem,
} from '../connector.ts';

/** A member that is gone, stamped by its href: a create whose answer was lost is known by it. */
export function deletedItem(remoteId: string): RemoteDeletedItem {
  return { remoteId, etag: null, deleted: true, series: null, calsyncId: hrefStamp(remoteId), updatedAt: null };
}

/**
 * What a resource holds. A resource without a VEVENT (a VTODO sharing the collection)
 * holds no event, so it reads as deleted: calsync never knew it, or it no longer is an
 * event. Text the iCalendar layer refuses, or several UIDs in one resource, is
 * unreadable, with the reason naming the href, so a person can fix that one resource.
 */
export function readResource(remoteId: string, etag: string, calendarData: string, updatedAt: string | null): RemoteItem | UnreadableItem {
  const unreadable = (reason: string) => unreadableItem(remoteId, reason, calendarData, { etag, calsyncId: hrefStamp(remoteId), updatedAt });
  let parsed;
  try {
    parsed = parseCalendar(calendarData);
  } catch (error) {
    if (error instanceof CoreError) return unreadable(`CalDAV resource ${remoteId} is not usable iCalendar: ${error.message}`);
    throw error;
  }
  if (parsed.series.length === 0) return deletedItem(remoteId);
  if (parsed.series.length > 1) return unreadable(`CalDAV resource ${remoteId} holds ${parsed.series.length} UIDs; RFC 4791 allows one`);
  const { calsyncId, ...series } = parsed.series[0]!;
  return { remoteId, etag, deleted: false, series, calsyncId: calsyncId ?? hrefStamp(remoteId), updatedAt };
}

export const isUnreadable = (entry: RemoteItem | UnreadableItem): entry is UnreadableItem => 'reason' in entry;

/** The item a resource holds; an unreadable one is `permanent` with its href. */
export function itemFromResource(remoteId: string, etag: string, calendarData: string, updatedAt: string | null): RemoteItem {
  const entry = readResource(remoteId, etag, calendarData, updatedAt);
  if (isUnreadable(entry)) throw new ConnectorError('permanent', entry.reason, { remoteId });
  return entry;
}

/** calsync event ids are lower-case UUIDs (randomUUID); so are the members it creates. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The stamp a resource's href carries: the id in `<collection>/<uuid>.ics`, the member
 * name create gives it (memberName). The href is the stamp (ARCHITECTURE: CalDAV
 * `If-None-Match: *` on a deterministic href), so items need no X-CALSYNC-ID line.
 */
export function hrefStamp(remoteId: string): CalsyncId | null {
  const name = remoteId.slice(remoteId.lastIndexOf('/') + 1);
  const id = name.endsWith('.ics') ? name.slice(0, -4) : '';
  return UUID.test(id) ? id : null;
}

/**
 * The calsync stamp of the resource at `remoteId`: its X-CALSYNC-ID (items written before
 * the href was the stamp, and ids the href cannot carry), else its href's. Null when
 * neither has one, or when the text does not parse.
 */
export function stampOf(calendarData: string, remoteId: string): CalsyncId | null {
  let parsed;
  try {
    parsed = parseCalendar(calendarData);
  } catch {
    return null;
  }
  return parsed.series[0]?.calsyncId ?? hrefStamp(remoteId);
}

/**
 * The X-CALSYNC-ID to write into the resource at `remoteId` stamped `calsyncId`: none
 * when the href carries the stamp (every id calsync's engine makes), so the item holds
 * only what its source held; the line for other ids, which no href gives back.
 */
export function propertyStamp(calsyncId: CalsyncId | null, remoteId: string): CalsyncId | null {
  return calsyncId === null || hrefStamp(remoteId) === calsyncId ? null : calsyncId;
}

/**
 * The resource text. METHOD is left out whatever the series kept: calendar object
 * resources must not carry it (RFC 4791 §4.1), and a feed's METHOD:PUBLISH rides along.
 */
export function renderResource(series: EventSeries, calsyncId: CalsyncId | null, dtstamp: string): string {
  try {
    return renderCalendar(series, { dtstamp, calsyncId, withoutCalendarProperties: ['METHOD'] });
  } catch (error) {
    if (error instanceof CoreError) throw new ConnectorError('permanent', `invalid item: ${error.message}`, { cause: error });
    throw error;
  }
}

/**
 * The deterministic member name of the item stamped `calsyncId`, so a repeated create
 * hits the same href and `If-None-Match: *` refuses the second copy. Ids made of
 * unreserved characters are used as they are (readable on the server); others are
 * hashed, because servers re-encode reserved characters in hrefs differently.
 */
export function memberName(calsyncId: CalsyncId): string {
  if (/^[A-Za-z0-9_-]{1,120}$/.test(calsyncId)) return `${calsyncId}.ics`;
  return `calsync-${createHash('sha256').update(calsyncId).digest('base64url')}.ics`;
}

/** DAV:getlastmodified is an HTTP date; the model wants an ISO instant. */
export function lastModified(httpDate: string | null): string | null {
  if (httpDate === null) return null;
  const at = Date.parse(httpDate);
  return Number.isNaN(at) ? null : new Date(at).toISOString();
}
