// Loads what the planner needs for one slice of a pass: the sync statuses and calendar
// events that the slice's remote items or calendar events can match (by remote id,
// stamped calsync id, event id or iCalUID), and nothing else, so a pass over a large
// calendar holds one slice in memory at a time.
import type { RemoteItem } from '../connectors/connector.ts';
import type { CalendarEvent, SyncStatus } from '../core/plan.ts';
import type { Queryable } from '../store/db.ts';
import { getSeries, getSeriesByUid, getTombstones, getTombstonesByUid } from '../store/events.ts';
import { statusesByEventIds, statusesByRemoteIds } from '../store/sync-status.ts';

export interface SliceScope {
  tenantId: string;
  calendarId: string;
  bindingId: string;
}

export interface Slice {
  statuses: SyncStatus[];
  calendar: CalendarEvent[];
  /**
   * The version of every calendar event as loaded (0: none). Applying checks them, so
   * a plan made before another binding's pass changed an event is made again instead
   * of overwriting that change.
   */
  versions: Map<string, number>;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function loadSlice(db: Queryable, scope: SliceScope, items: RemoteItem[], eventIds: string[]): Promise<Slice> {
  const { tenantId, calendarId } = scope;
  const stamped = items.map((i) => i.calsyncId).filter((id): id is string => id !== null && uuidPattern.test(id));
  const statuses = new Map<string, SyncStatus>();
  for (const status of await statusesByRemoteIds(db, scope, items.map((i) => i.remoteId))) statuses.set(status.eventId, status);
  for (const status of await statusesByEventIds(db, scope, [...new Set([...stamped, ...eventIds])])) statuses.set(status.eventId, status);

  const uids = [...new Set(items.flatMap((i) => (i.deleted ? [] : [i.series.uid.trim()])))];
  const ids = [...new Set([...statuses.keys(), ...stamped, ...eventIds])];
  const calendar = new Map<string, CalendarEvent>();
  const versions = new Map<string, number>();
  for (const stored of [...(await getSeries(db, tenantId, calendarId, ids)), ...(await getSeriesByUid(db, tenantId, calendarId, uids))]) {
    calendar.set(stored.eventId, { eventId: stored.eventId, series: stored.series, uid: stored.series.uid, updatedAt: stored.updatedAt });
    versions.set(stored.eventId, stored.version);
  }
  for (const tomb of [...(await getTombstones(db, tenantId, calendarId, ids)), ...(await getTombstonesByUid(db, tenantId, calendarId, uids))]) {
    if (!calendar.has(tomb.eventId)) {
      calendar.set(tomb.eventId, { eventId: tomb.eventId, series: null, uid: tomb.uid, updatedAt: tomb.deletedAt, lastSeries: tomb.lastSeries });
      versions.set(tomb.eventId, tomb.version);
    }
  }
  // Statuses of the events found by UID come along, so a bound event is never linked twice.
  const extra = [...calendar.keys()].filter((id) => !statuses.has(id));
  for (const status of await statusesByEventIds(db, scope, extra)) statuses.set(status.eventId, status);
  return { statuses: [...statuses.values()], calendar: [...calendar.values()], versions };
}
