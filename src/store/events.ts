// Canonical events, stored one row per event (single, master, override) and read a
// series at a time; event-writes.ts writes them. Deletes are tombstones (deleted_at);
// their rows are purged after the horizon.
import { CalsyncError } from '../errors.ts';
import type { CanonicalEvent, EventSeries } from '../core/model.ts';
import type { Queryable } from './db.ts';

export interface StoredSeries {
  /** The series id: the master's id, the calsync id stamped on remote copies. */
  eventId: string;
  calendarId: string;
  series: EventSeries;
  /** Latest write of any row of the series (ISO instant). */
  updatedAt: string;
  /** Highest calendar version of any row of the series. */
  version: number;
}

export interface Tombstone {
  eventId: string;
  uid: string;
  deletedAt: string;
  version: number;
  /** The series as it was when deleted: the rows tombstoned with it, last of all. */
  lastSeries: EventSeries | null;
}

export interface EventRow {
  id: string;
  series_id: string;
  api_id: string;
  created_at: Date;
  calendar_id: string;
  ical_uid: string;
  original_start: string | null;
  sequence: number;
  status: CanonicalEvent['status'];
  summary: string;
  description: string;
  description_html: string | null;
  location: string;
  all_day: boolean;
  start_local: string;
  start_tz: string | null;
  end_local: string;
  end_tz: string | null;
  rrule: string[];
  rdate: string[];
  exdate: string[];
  kind: string;
  transparency: CanonicalEvent['transparency'];
  visibility: CanonicalEvent['visibility'];
  organizer: CanonicalEvent['organizer'];
  attendees: CanonicalEvent['attendees'];
  conference: CanonicalEvent['conference'];
  reminders: CanonicalEvent['reminders'];
  categories: string[];
  color: string | null;
  extras: Record<string, unknown>;
  content_hash: string;
  updated_at: Date;
  version: string;
  deleted_at: Date | null;
}

// timestamp columns are read as text so no process time zone can shift them.
export const selectColumns = `id, series_id, api_id, created_at, calendar_id, ical_uid, original_start, sequence, status, summary, description,
  description_html, location, all_day, to_char(start_local, 'YYYY-MM-DD"T"HH24:MI:SS') as start_local, start_tz,
  to_char(end_local, 'YYYY-MM-DD"T"HH24:MI:SS') as end_local, end_tz, rrule, rdate, exdate, kind, transparency,
  visibility, organizer, attendees, conference, reminders, categories, color, extras, content_hash, updated_at,
  version, deleted_at`;

function localOf(local: string, allDay: boolean): string {
  return allDay ? local.slice(0, 10) : local;
}

export function toEvent(row: EventRow): CanonicalEvent {
  return {
    uid: row.ical_uid,
    recurrenceId: row.original_start,
    sequence: row.sequence,
    status: row.status,
    summary: row.summary,
    description: row.description,
    descriptionHtml: row.description_html,
    location: row.location,
    allDay: row.all_day,
    start: { local: localOf(row.start_local, row.all_day), tz: row.start_tz },
    end: { local: localOf(row.end_local, row.all_day), tz: row.end_tz },
    recurrence: row.kind === 'master' ? { rrule: row.rrule, rdate: row.rdate, exdate: row.exdate } : null,
    transparency: row.transparency,
    visibility: row.visibility,
    organizer: row.organizer,
    attendees: row.attendees,
    conference: row.conference,
    reminders: row.reminders,
    categories: row.categories,
    color: row.color,
    extras: row.extras,
  };
}

function toSeries(rows: EventRow[]): StoredSeries {
  const master = rows.find((r) => r.kind !== 'override') ?? null;
  const overrides = rows.filter((r) => r.kind === 'override').sort((a, b) => (a.original_start! < b.original_start! ? -1 : 1));
  const first = rows[0]!;
  return {
    eventId: first.series_id,
    calendarId: first.calendar_id,
    series: { uid: first.ical_uid, master: master ? toEvent(master) : null, overrides: overrides.map(toEvent) },
    updatedAt: new Date(Math.max(...rows.map((r) => r.updated_at.getTime()))).toISOString(),
    version: Math.max(...rows.map((r) => Number((r as EventRow & { series_version?: string }).series_version ?? r.version))),
  };
}

function groupSeries(rows: EventRow[]): StoredSeries[] {
  const bySeries = new Map<string, EventRow[]>();
  for (const row of rows) bySeries.set(row.series_id, [...(bySeries.get(row.series_id) ?? []), row]);
  return [...bySeries.values()].map(toSeries);
}

/**
 * The live rows of the series a condition picks, each with its series' highest version
 * over every row, tombstones included: removing an override changes the series (and only
 * its row), so a plan made before it must see the series as changed
 * (lockSeriesVersions in event-writes.ts reads the same).
 */
async function liveSeries(db: Queryable, tenantId: string, calendarId: string, where: string, keys: string[]): Promise<StoredSeries[]> {
  if (keys.length === 0) return [];
  const { rows } = await db.query<EventRow & { series_version: string }>(
    `with live as (select ${selectColumns} from events where tenant_id = $1 and calendar_id = $2 and ${where} and deleted_at is null),
          versions as (select series_id as versioned_id, max(version) as series_version from events
                        where tenant_id = $1 and calendar_id = $2 and series_id in (select series_id from live) group by series_id)
     select live.*, series_version from live join versions on versioned_id = series_id
      order by series_id, original_start nulls first`, [tenantId, calendarId, keys]);
  return groupSeries(rows);
}

/** Live series of a calendar by series id; missing ids are absent from the result. */
export async function getSeries(db: Queryable, tenantId: string, calendarId: string, eventIds: string[]): Promise<StoredSeries[]> {
  return liveSeries(db, tenantId, calendarId, 'series_id = any($3::uuid[])', eventIds);
}

/** Live series of a calendar by iCalendar UID. */
export async function getSeriesByUid(db: Queryable, tenantId: string, calendarId: string, uids: string[]): Promise<StoredSeries[]> {
  return liveSeries(db, tenantId, calendarId, 'ical_uid = any($3::text[])', uids);
}

/** Live series of a calendar in pages ordered by series id (keyset: pass the last id). */
export async function listSeriesPage(db: Queryable, tenantId: string, calendarId: string, after: string | null, limit: number): Promise<StoredSeries[]> {
  const { rows } = await db.query<EventRow>(
    `with page as (select distinct series_id from events
                    where tenant_id = $1 and calendar_id = $2 and deleted_at is null and ($3::uuid is null or series_id > $3::uuid)
                    order by series_id limit $4)
     select ${selectColumns} from events
      where tenant_id = $1 and calendar_id = $2 and deleted_at is null and series_id in (select series_id from page)
      order by series_id, original_start nulls first`, [tenantId, calendarId, after, limit]);
  return groupSeries(rows);
}

/**
 * Rows of deleted series (every row tombstoned): the rows deleted last, together, are
 * the series as it was when deleted (overrides removed earlier are left out).
 */
async function tombstones(db: Queryable, tenantId: string, calendarId: string, where: string, keys: string[]): Promise<Tombstone[]> {
  if (keys.length === 0) return [];
  const { rows } = await db.query<EventRow & { last_deleted_at: Date; series_version: string }>(
    `with dead as (
       select series_id as dead_series_id, max(deleted_at) as last_deleted_at, max(version) as series_version from events
        where tenant_id = $1 and calendar_id = $2 and ${where}
        group by series_id having bool_and(deleted_at is not null))
     select ${selectColumns}, last_deleted_at, series_version
       from events join dead on dead_series_id = series_id
      where tenant_id = $1 and calendar_id = $2 and deleted_at = last_deleted_at
      order by series_id, original_start nulls first`, [tenantId, calendarId, keys]);
  const bySeries = new Map<string, typeof rows>();
  for (const row of rows) bySeries.set(row.series_id, [...(bySeries.get(row.series_id) ?? []), row]);
  return [...bySeries.values()].map((group) => {
    const first = group[0]!;
    return {
      eventId: first.series_id, uid: first.ical_uid, deletedAt: first.last_deleted_at.toISOString(), version: Number(first.series_version),
      lastSeries: toSeries(group).series,
    };
  });
}

/** Series deleted (every row tombstoned) among the given ids, with their UIDs and last content. */
export async function getTombstones(db: Queryable, tenantId: string, calendarId: string, eventIds: string[]): Promise<Tombstone[]> {
  return tombstones(db, tenantId, calendarId, 'series_id = any($3::uuid[])', eventIds);
}

/**
 * Series changed in the next `limit` change-log rows after a calendar version, each once
 * with its latest version among them, in version order; `upTo` is the last version read.
 * Reading a window of rows (not the whole rest of the log, grouped) keeps each call
 * O(limit) on the log's (calendar, version) key, so a pass pushing a large calendar stays
 * linear. A series changed again after the window comes back in a later one.
 */
export async function changedSince(db: Queryable, tenantId: string, calendarId: string, version: number, limit: number): Promise<{ changes: Array<{ eventId: string; version: number }>; upTo: number }> {
  const { rows } = await db.query<{ series_id: string | null; version: string }>(
    `select e.series_id, c.version
       from (select event_id, version from change_log
              where tenant_id = $1 and calendar_id = $2 and version > $3 order by version limit $4) c
       left join events e on e.tenant_id = $1 and e.id = c.event_id
      order by c.version`, [tenantId, calendarId, version, limit]);
  const latest = new Map<string, number>();
  for (const row of rows) if (row.series_id !== null) latest.set(row.series_id, Number(row.version));
  const changes = [...latest].map(([eventId, v]) => ({ eventId, version: v })).sort((a, b) => a.version - b.version);
  // The window's end, also when its rows name no event (one purged since).
  return { changes, upTo: rows.length ? Number(rows.at(-1)!.version) : version };
}

/** Tombstoned series of a calendar carrying any of the UIDs (a deleted meeting's copies must not revive it). */
export async function getTombstonesByUid(db: Queryable, tenantId: string, calendarId: string, uids: string[]): Promise<Tombstone[]> {
  return tombstones(db, tenantId, calendarId, 'ical_uid = any($3::text[])', uids);
}

export async function countLiveSeries(db: Queryable, tenantId: string, calendarId: string): Promise<number> {
  const { rows: [row] } = await db.query<{ n: string }>(
    'select count(distinct series_id) as n from events where tenant_id = $1 and calendar_id = $2 and deleted_at is null', [tenantId, calendarId]);
  return Number(row!.n);
}

export async function calendarVersion(db: Queryable, tenantId: string, calendarId: string): Promise<number> {
  const { rows: [row] } = await db.query<{ version: string }>('select version from calendars where tenant_id = $1 and id = $2', [tenantId, calendarId]);
  if (!row) throw new CalsyncError('NOT_FOUND', `calendar ${calendarId} not found`, { calendarId });
  return Number(row.version);
}
