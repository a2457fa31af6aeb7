// Pure: Google event resources ⇄ RemoteItem, through src/core/google. A RemoteItem is a
// whole series: the master (remote id = its event id) and its exceptions. What this file
// adds to the core mapping is what a connector sees and an app's request does not:
// - a deleted event is `{id, status: "cancelled"}` and nothing else, which the core
//   refuses as an event: it is a deleted item here, before any mapping;
// - a cancelled exception comes minimal in a plain listing and whole with showDeleted
//   (events.list, showDeleted): both are read as the minimal one, so the same series
//   listed either way maps and hashes alike (Google keeps no content on a cancelled
//   instance that a person could see);
// - Google fills `organizer` with the calendar itself on every event, and writes
//   through insert and update cannot set it: on an event without attendees (no
//   meeting, so no organizer in iCalendar terms, RFC 5545 §3.8.4.3) it is dropped, or
//   an event written from a CalDAV calendar would come back with a change nobody made;
// - exceptions of a master that no longer recurs are left out (Google drops them when
//   a series becomes a single event; one that lingers describes nothing).
import { createHash } from 'node:crypto';
import { CoreError } from '../../core/errors.ts';
import { calsyncIdOf, seriesFromGoogle, type GoogleEvent } from '../../core/google/index.ts';
import {
  ConnectorError, unreadableItem, type RemoteDeletedItem, type RemoteItem, type UnreadableItem,
} from '../connector.ts';
import { calsyncIdOfEventId } from './ids.ts';

/**
 * A deleted event, stamped by its id: "deleted events are only guaranteed to have the id
 * field populated", and the id of an event calsync created is derived from its calsync
 * id (ids.ts), so a create whose answer was lost is known by it once deleted.
 */
export function deletedItem(remoteId: string): RemoteDeletedItem {
  return { remoteId, etag: null, deleted: true, series: null, calsyncId: calsyncIdOfEventId(remoteId), updatedAt: null };
}

/** The id of the series a resource belongs to: its master's, or its own. */
export function seriesIdOf(resource: GoogleEvent): string {
  return resource.recurringEventId ?? resource.id!;
}

export function isRecurring(resource: GoogleEvent): boolean {
  return resource.recurringEventId !== undefined || (resource.recurrence?.length ?? 0) > 0;
}

export interface SeriesResources {
  master: GoogleEvent | null;
  exceptions: GoogleEvent[];
}

/** The resources of series `seriesId` among `resources` (a listing may hold others). */
export function seriesResources(seriesId: string, resources: GoogleEvent[]): SeriesResources {
  const byId = new Map<string, GoogleEvent>();
  for (const r of resources) if (r.id === seriesId || r.recurringEventId === seriesId) byId.set(r.id!, r);
  const master = byId.get(seriesId) ?? null;
  byId.delete(seriesId);
  const recurs = master === null || (master.recurrence?.length ?? 0) > 0;
  const exceptions = recurs ? [...byId.values()].filter((r) => r.recurringEventId === seriesId).sort((a, b) => (a.id! < b.id! ? -1 : 1)) : [];
  return { master, exceptions };
}

/**
 * The item's etag: the master's own when it stands alone, so updates and deletes of
 * single events send it as If-Match unchanged; else a digest of every resource's id
 * and etag (`series:…`), which moves when any of them does.
 */
export function seriesEtag(resources: SeriesResources): string {
  const all = [...(resources.master ? [resources.master] : []), ...resources.exceptions];
  if (resources.exceptions.length === 0 && resources.master) return resources.master.etag ?? '';
  const digest = createHash('sha256');
  for (const r of all) digest.update(`${r.id}\t${r.etag ?? ''}\n`);
  return `series:${digest.digest('base64url').slice(0, 27)}`;
}

export const isSeriesEtag = (etag: string): boolean => etag.startsWith('series:');

function minimalCancellation(r: GoogleEvent): GoogleEvent {
  const { kind, etag, id, recurringEventId, originalStartTime, updated } = r;
  return { kind, etag, id, status: 'cancelled', recurringEventId, originalStartTime, ...(updated ? { updated } : {}) };
}

function withoutSelfOrganizer(r: GoogleEvent): GoogleEvent {
  if (r.organizer?.self !== true || (r.attendees?.length ?? 0) > 0) return r;
  const { organizer: _, ...rest } = r;
  return rest;
}

/** A resource as the core mapping should read it. */
export function prepared(r: GoogleEvent): GoogleEvent {
  if (r.status === 'cancelled' && r.recurringEventId !== undefined) return minimalCancellation(r);
  return withoutSelfOrganizer(r);
}

/**
 * When the series last changed: the latest `updated` of its resources, or null when one
 * has none. A cancelled exception in a plain listing carries no `updated`, and the newest
 * change of a series can be just that cancellation: a time without it could read as
 * older than one already seen, and the planner skips older versions as stale.
 */
export function seriesUpdatedAt(resources: GoogleEvent[]): string | null {
  const times = resources.map((r) => (r.updated ? Date.parse(r.updated) : Number.NaN));
  if (times.length === 0 || times.some((t) => Number.isNaN(t))) return null;
  return new Date(Math.max(...times)).toISOString();
}

/**
 * What series `seriesId` is, from its resources: deleted when its master is cancelled,
 * or when it has no master and no live exception; else the series mapped by
 * src/core/google. Content the core refuses is unreadable, with the reason naming the
 * event and the field, so a person can fix that one event.
 */
export function readResources(seriesId: string, resources: SeriesResources, calendarTimeZone: string): RemoteItem | UnreadableItem {
  const { master, exceptions } = resources;
  if (master?.status === 'cancelled') return deletedItem(seriesId);
  // Cancelled instances of a master nobody can see say nothing.
  const used = master === null ? exceptions.filter((r) => r.status !== 'cancelled') : exceptions;
  if (master === null && used.length === 0) return deletedItem(seriesId);
  const all = [...(master ? [master] : []), ...used];
  const etag = seriesEtag({ master, exceptions: used });
  try {
    const uid = master === null ? used.find((r) => r.iCalUID)?.iCalUID : undefined;
    const { calsyncId, ...series } = seriesFromGoogle(all.map(prepared), { calendarTimeZone, ...(uid ? { uid } : {}) });
    return { remoteId: seriesId, etag, deleted: false, series, calsyncId, updatedAt: seriesUpdatedAt(all) };
  } catch (error) {
    if (!(error instanceof CoreError)) throw error;
    return unreadableItem(seriesId, `Google event ${seriesId} cannot be read: ${error.message}`, JSON.stringify(all), {
      etag, calsyncId: stampOf(master) ?? calsyncIdOfEventId(seriesId), updatedAt: seriesUpdatedAt(all),
    });
  }
}

/** The stamp in a resource's private properties, where it can be read at all. */
function stampOf(master: GoogleEvent | null): string | null {
  try {
    return master === null ? null : calsyncIdOf(master);
  } catch {
    return null;
  }
}

export const isUnreadable = (entry: RemoteItem | UnreadableItem): entry is UnreadableItem => 'reason' in entry;

/** The item series `seriesId` is; an unreadable one is `permanent`, naming the event. */
export function itemFromResources(seriesId: string, resources: SeriesResources, calendarTimeZone: string): RemoteItem {
  const entry = readResources(seriesId, resources, calendarTimeZone);
  if (isUnreadable(entry)) throw new ConnectorError('permanent', entry.reason, { remoteId: seriesId });
  return entry;
}
