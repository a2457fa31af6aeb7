// Canonical events, stored one row per event (single, master, override) and read and
// written a series at a time. Every write bumps the calendar's version once per changed
// row, in the same transaction, with a change-log row and a history row per change.
// Deletes are tombstones (deleted_at); their rows are purged after the horizon.
import { randomUUID } from 'node:crypto';
import { CalsyncError } from '../errors.ts';
import { contentHash } from '../core/hash.ts';
import { eventKind, type CanonicalEvent, type EventSeries } from '../core/model.ts';
import { eventTimeInstant } from '../core/ical/index.ts';
import { validateSeries } from '../core/validate.ts';
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
}

export interface WriteContext {
  tenantId: string;
  calendarId: string;
  /** Who made the change: `app`, `binding:<id>`, `operator`. */
  actor: string;
  passId?: string | null;
}

interface EventRow {
  id: string;
  series_id: string;
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
const selectColumns = `id, series_id, calendar_id, ical_uid, original_start, sequence, status, summary, description,
  description_html, location, all_day, to_char(start_local, 'YYYY-MM-DD"T"HH24:MI:SS') as start_local, start_tz,
  to_char(end_local, 'YYYY-MM-DD"T"HH24:MI:SS') as end_local, end_tz, rrule, rdate, exdate, kind, transparency,
  visibility, organizer, attendees, conference, reminders, categories, color, extras, content_hash, updated_at,
  version, deleted_at`;

function localOf(local: string, allDay: boolean): string {
  return allDay ? local.slice(0, 10) : local;
}

function toEvent(row: EventRow): CanonicalEvent {
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
    version: Math.max(...rows.map((r) => Number(r.version))),
  };
}

function groupSeries(rows: EventRow[]): StoredSeries[] {
  const bySeries = new Map<string, EventRow[]>();
  for (const row of rows) bySeries.set(row.series_id, [...(bySeries.get(row.series_id) ?? []), row]);
  return [...bySeries.values()].map(toSeries);
}

/** Live series of a calendar by series id; missing ids are absent from the result. */
export async function getSeries(db: Queryable, tenantId: string, calendarId: string, eventIds: string[]): Promise<StoredSeries[]> {
  if (eventIds.length === 0) return [];
  const { rows } = await db.query<EventRow>(
    `select ${selectColumns} from events
      where tenant_id = $1 and calendar_id = $2 and series_id = any($3::uuid[]) and deleted_at is null
      order by series_id, original_start nulls first`, [tenantId, calendarId, eventIds]);
  return groupSeries(rows);
}

/** Live series of a calendar by iCalendar UID. */
export async function getSeriesByUid(db: Queryable, tenantId: string, calendarId: string, uids: string[]): Promise<StoredSeries[]> {
  if (uids.length === 0) return [];
  const { rows } = await db.query<EventRow>(
    `select ${selectColumns} from events
      where tenant_id = $1 and calendar_id = $2 and ical_uid = any($3::text[]) and deleted_at is null
      order by series_id, original_start nulls first`, [tenantId, calendarId, uids]);
  return groupSeries(rows);
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

/** Series deleted (every row tombstoned) among the given ids, with their UIDs. */
export async function getTombstones(db: Queryable, tenantId: string, calendarId: string, eventIds: string[]): Promise<Tombstone[]> {
  if (eventIds.length === 0) return [];
  const { rows } = await db.query<{ series_id: string; ical_uid: string; deleted_at: Date; version: string }>(
    `select series_id, min(ical_uid) as ical_uid, max(deleted_at) as deleted_at, max(version) as version from events
      where tenant_id = $1 and calendar_id = $2 and series_id = any($3::uuid[])
      group by series_id having bool_and(deleted_at is not null)`, [tenantId, calendarId, eventIds]);
  return rows.map((r) => ({ eventId: r.series_id, uid: r.ical_uid, deletedAt: r.deleted_at.toISOString(), version: Number(r.version) }));
}

/** Series changed after a calendar version, with their latest change, in version order, at most `limit`. */
export async function changedSince(db: Queryable, tenantId: string, calendarId: string, version: number, limit: number): Promise<{ changes: Array<{ eventId: string; version: number }>; upTo: number }> {
  const { rows } = await db.query<{ series_id: string; version: string }>(
    `select e.series_id, max(c.version) as version from change_log c join events e on e.tenant_id = c.tenant_id and e.id = c.event_id
      where c.tenant_id = $1 and c.calendar_id = $2 and c.version > $3
      group by e.series_id order by max(c.version) limit $4`, [tenantId, calendarId, version, limit]);
  const changes = rows.map((r) => ({ eventId: r.series_id, version: Number(r.version) }));
  return { changes, upTo: changes.length ? Math.max(...changes.map((c) => c.version)) : version };
}

interface RowValues {
  kind: string;
  event: CanonicalEvent;
  startAt: string;
  endAt: string;
  seriesUntilAt: string | null;
  hash: string;
}

// A master's instants span its first instance; series_until_at bounds the end of its
// last one for range queries, which expand candidates exactly afterwards. The bound is
// computed from the rule, not by expansion (about 0.1 ms an instance: a daily series
// until 2100 would cost seconds per write): UNTIL plus a day and the duration, or COUNT
// periods of the rule's frequency at their longest; null when a rule has no end.
const longestPeriodMs: Record<string, number> = {
  SECONDLY: 1000, MINUTELY: 60_000, HOURLY: 3_600_000, DAILY: 86_400_000 + 3_600_000,
  WEEKLY: 7 * 86_400_000 + 3_600_000, MONTHLY: 31 * 86_400_000 + 3_600_000, YEARLY: 366 * 86_400_000 + 3_600_000,
};

function ruleEndMs(rule: string, startMs: number): number | null {
  const parts = new Map(rule.split(';').map((part) => {
    const [key, value] = part.split('=');
    return [key!.toUpperCase(), value ?? ''] as const;
  }));
  const until = parts.get('UNTIL');
  if (until) {
    const m = /^(\d{4})(\d{2})(\d{2})/.exec(until);
    return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + 2 * 86_400_000 : null;
  }
  const count = Number(parts.get('COUNT'));
  const period = longestPeriodMs[parts.get('FREQ') ?? ''];
  if (!Number.isInteger(count) || count < 1 || period === undefined) return null;
  return startMs + count * Math.max(1, Number(parts.get('INTERVAL') ?? 1) || 1) * period;
}

function seriesUntil(event: CanonicalEvent, startAt: string, endAt: string, zone: string): string | null {
  const startMs = Date.parse(startAt);
  const durationMs = Math.max(0, Date.parse(endAt) - startMs);
  let last = startMs;
  for (const rule of event.recurrence!.rrule) {
    const end = ruleEndMs(rule, startMs);
    if (end === null) return null;
    last = Math.max(last, end);
  }
  for (const rdate of event.recurrence!.rdate) {
    last = Math.max(last, Date.parse(eventTimeInstant({ local: rdate, tz: event.start.tz }, zone)));
  }
  return new Date(last + durationMs).toISOString();
}

function rowValues(event: CanonicalEvent, zone: string): RowValues {
  const kind = eventKind(event);
  const startAt = eventTimeInstant(event.start, zone);
  const rawEnd = eventTimeInstant(event.end, zone);
  const endAt = rawEnd < startAt ? startAt : rawEnd;
  const seriesUntilAt = kind === 'master' ? seriesUntil(event, startAt, endAt, zone) : null;
  return { kind, event, startAt, endAt, seriesUntilAt, hash: contentHash(event) };
}

async function nextVersion(db: Queryable, tenantId: string, calendarId: string): Promise<{ version: number }> {
  const { rows: [row] } = await db.query<{ version: string }>(
    `update calendars set version = version + 1, updated_at = now() where tenant_id = $1 and id = $2 and deleted_at is null
     returning version`, [tenantId, calendarId]);
  if (!row) throw new CalsyncError('NOT_FOUND', `calendar ${calendarId} not found`, { calendarId });
  return { version: Number(row.version) };
}

async function recordChange(db: Queryable, ctx: WriteContext, rowId: string, version: number, operation: 'create' | 'update' | 'delete', content: unknown): Promise<void> {
  await db.query('insert into change_log (tenant_id, calendar_id, version, event_id, operation) values ($1, $2, $3, $4, $5)',
    [ctx.tenantId, ctx.calendarId, version, rowId, operation]);
  await db.query(
    `insert into event_history (tenant_id, event_id, calendar_id, version, operation, content, actor, pass_id)
     values ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [ctx.tenantId, rowId, ctx.calendarId, version, operation, JSON.stringify(content), ctx.actor, ctx.passId ?? null]);
}

/**
 * Writes a series: rows that changed (by content hash) get a new version; rows no
 * longer in the series become tombstones. Call inside a transaction. Returns the
 * series id (new when `eventId` is null) and the number of rows changed.
 */
export async function writeSeries(db: Queryable, ctx: WriteContext, eventId: string | null, input: EventSeries): Promise<{ eventId: string; changed: number; version: number | null }> {
  const series = validateSeries(input);
  const seriesId = eventId ?? randomUUID();
  const { rows: existingRows } = await db.query<{ id: string; original_start: string | null; content_hash: string; deleted_at: Date | null; kind: string }>(
    `select id, original_start, content_hash, deleted_at, kind from events where tenant_id = $1 and calendar_id = $2 and series_id = $3 for update`,
    [ctx.tenantId, ctx.calendarId, seriesId]);
  const key = (recurrenceId: string | null): string => recurrenceId ?? '';
  const existing = new Map(existingRows.map((r) => [key(r.original_start), r]));
  const wanted = [...(series.master ? [series.master] : []), ...series.overrides];
  const { rows: [calendar] } = await db.query<{ time_zone: string }>(
    'select time_zone from calendars where tenant_id = $1 and id = $2 and deleted_at is null', [ctx.tenantId, ctx.calendarId]);
  if (!calendar) throw new CalsyncError('NOT_FOUND', `calendar ${ctx.calendarId} not found`, { calendarId: ctx.calendarId });
  const zone = calendar.time_zone;
  let lastVersion: number | null = null;
  const bump = async (): Promise<number> => {
    lastVersion = (await nextVersion(db, ctx.tenantId, ctx.calendarId)).version;
    return lastVersion;
  };
  let changed = 0;
  for (const event of wanted) {
    const values = rowValues(event, zone);
    const current = existing.get(key(event.recurrenceId));
    existing.delete(key(event.recurrenceId));
    if (current && current.deleted_at === null && current.content_hash === values.hash && current.kind === values.kind) continue;
    const version = await bump();
    const rowId = current?.id ?? (values.kind === 'override' ? randomUUID() : seriesId);
    const e = values.event;
    await db.query(
      `insert into events (id, tenant_id, calendar_id, kind, series_id, original_start, ical_uid, sequence, status, summary,
         description, description_html, location, all_day, start_local, start_tz, end_local, end_tz, start_at, end_at,
         rrule, rdate, exdate, series_until_at, transparency, visibility, organizer, attendees, conference, reminders,
         categories, color, extras, content_hash, etag, version)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24,
         $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36)
       on conflict (id) do update set kind = excluded.kind, original_start = excluded.original_start, ical_uid = excluded.ical_uid,
         sequence = excluded.sequence, status = excluded.status, summary = excluded.summary, description = excluded.description,
         description_html = excluded.description_html, location = excluded.location, all_day = excluded.all_day,
         start_local = excluded.start_local, start_tz = excluded.start_tz, end_local = excluded.end_local, end_tz = excluded.end_tz,
         start_at = excluded.start_at, end_at = excluded.end_at, rrule = excluded.rrule, rdate = excluded.rdate, exdate = excluded.exdate,
         series_until_at = excluded.series_until_at, transparency = excluded.transparency, visibility = excluded.visibility,
         organizer = excluded.organizer, attendees = excluded.attendees, conference = excluded.conference, reminders = excluded.reminders,
         categories = excluded.categories, color = excluded.color, extras = excluded.extras, content_hash = excluded.content_hash,
         etag = excluded.etag, version = excluded.version, updated_at = now(), deleted_at = null`,
      [rowId, ctx.tenantId, ctx.calendarId, values.kind, seriesId, e.recurrenceId, e.uid, e.sequence, e.status, e.summary,
        e.description, e.descriptionHtml, e.location, e.allDay, e.start.local, e.start.tz, e.end.local, e.end.tz, values.startAt, values.endAt,
        e.recurrence?.rrule ?? [], e.recurrence?.rdate ?? [], e.recurrence?.exdate ?? [], values.seriesUntilAt, e.transparency, e.visibility,
        JSON.stringify(e.organizer), JSON.stringify(e.attendees), JSON.stringify(e.conference), JSON.stringify(e.reminders),
        e.categories, e.color, JSON.stringify(e.extras), values.hash, `"${version}"`, version]);
    await recordChange(db, ctx, rowId, version, current && current.deleted_at === null ? 'update' : 'create', e);
    changed++;
  }
  for (const gone of existing.values()) {
    if (gone.deleted_at !== null) continue;
    const version = await bump();
    await db.query('update events set deleted_at = now(), updated_at = now(), version = $2, etag = $3 where id = $1', [gone.id, version, `"${version}"`]);
    await recordChange(db, ctx, gone.id, version, 'delete', null);
    changed++;
  }
  return { eventId: seriesId, changed, version: lastVersion };
}

/** Tombstones every row of a series. Returns the rows deleted (0 when already gone). */
export async function deleteSeries(db: Queryable, ctx: WriteContext, eventId: string): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    `select id from events where tenant_id = $1 and calendar_id = $2 and series_id = $3 and deleted_at is null for update`,
    [ctx.tenantId, ctx.calendarId, eventId]);
  for (const row of rows) {
    const { version } = await nextVersion(db, ctx.tenantId, ctx.calendarId);
    await db.query('update events set deleted_at = now(), updated_at = now(), version = $2, etag = $3 where id = $1', [row.id, version, `"${version}"`]);
    await recordChange(db, ctx, row.id, version, 'delete', null);
  }
  return rows.length;
}

/** Tombstoned series of a calendar carrying any of the UIDs (a deleted meeting's copies must not revive it). */
export async function getTombstonesByUid(db: Queryable, tenantId: string, calendarId: string, uids: string[]): Promise<Tombstone[]> {
  if (uids.length === 0) return [];
  const { rows } = await db.query<{ series_id: string; ical_uid: string; deleted_at: Date; version: string }>(
    `select series_id, min(ical_uid) as ical_uid, max(deleted_at) as deleted_at, max(version) as version from events
      where tenant_id = $1 and calendar_id = $2 and ical_uid = any($3::text[])
      group by series_id having bool_and(deleted_at is not null)`, [tenantId, calendarId, uids]);
  return rows.map((r) => ({ eventId: r.series_id, uid: r.ical_uid, deletedAt: r.deleted_at.toISOString(), version: Number(r.version) }));
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

/** Locks a series' rows for the rest of the transaction; its highest version (0: none). */
export async function lockSeriesVersion(db: Queryable, tenantId: string, calendarId: string, eventId: string): Promise<number> {
  const { rows } = await db.query<{ version: string }>(
    'select version from events where tenant_id = $1 and calendar_id = $2 and series_id = $3 for update', [tenantId, calendarId, eventId]);
  return rows.reduce((max, r) => Math.max(max, Number(r.version)), 0);
}
