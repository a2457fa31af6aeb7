// Pure: CalDAV resources ⇄ RemoteItem, through the iCalendar layer (src/core/ical).
// One resource holds one UID: the master and its RECURRENCE-ID overrides (RFC 4791 §4.1).
import { createHash } from 'node:crypto';
import { CoreError } from '../../core/errors.ts';
import { parseCalendar, renderCalendar } from '../../core/ical/index.ts';
import type { CalsyncId, EventSeries } from '../../core/model.ts';
import { ConnectorError, type RemoteDeletedItem, type RemoteItem } from '../connector.ts';

export function deletedItem(remoteId: string): RemoteDeletedItem {
  return { remoteId, etag: null, deleted: true, series: null, calsyncId: null, updatedAt: null };
}

/**
 * The item a resource holds. A resource without a VEVENT (a VTODO sharing the
 * collection) holds no event, so it reads as deleted: calsync never knew it, or it no
 * longer is an event. Text the iCalendar layer refuses, or several UIDs in one
 * resource, is `permanent` with the href, so a person can fix that one resource.
 */
export function itemFromResource(remoteId: string, etag: string, calendarData: string, updatedAt: string | null): RemoteItem {
  let parsed;
  try {
    parsed = parseCalendar(calendarData);
  } catch (error) {
    if (error instanceof CoreError) throw new ConnectorError('permanent', `CalDAV resource ${remoteId} is not usable iCalendar: ${error.message}`, { remoteId, cause: error });
    throw error;
  }
  if (parsed.series.length === 0) return deletedItem(remoteId);
  if (parsed.series.length > 1) {
    throw new ConnectorError('permanent', `CalDAV resource ${remoteId} holds ${parsed.series.length} UIDs; RFC 4791 allows one`, { remoteId });
  }
  const { calsyncId, ...series } = parsed.series[0]!;
  return { remoteId, etag, deleted: false, series, calsyncId, updatedAt };
}

/** The calsync stamp of a resource, or null (also for text that does not parse). */
export function stampOf(calendarData: string): CalsyncId | null {
  try {
    return parseCalendar(calendarData).series[0]?.calsyncId ?? null;
  } catch {
    return null;
  }
}

export function renderResource(series: EventSeries, calsyncId: CalsyncId | null, dtstamp: string): string {
  try {
    return renderCalendar(series, { dtstamp, calsyncId });
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
