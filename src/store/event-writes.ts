// Writes of canonical events, a batch of series at a time: every changed row gets its
// own calendar version, a change-log row and a history row, in the caller's
// transaction. A batch costs a fixed number of statements whatever its size (the
// existing rows, one version reservation, one upsert, the tombstones, the change log and
// the history), so a pass writes a slice of 200 series in about as many
// round trips as one series used to take.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { CalsyncError } from '../errors.ts';
import { contentHash } from '../core/hash.ts';
import { instanceId, originalStartTime } from '../core/google/index.ts';
import { eventTimeInstant } from '../core/ical/index.ts';
import { eventKind, type CanonicalEvent, type EventSeries } from '../core/model.ts';
import { ruleEndMs } from '../core/rrule/bound.ts';
import { validateSeries } from '../core/validate.ts';
import { followBookingEvents } from './bookings.ts';
import type { Queryable } from './db.ts';

export interface WriteContext {
  tenantId: string;
  calendarId: string;
  /** Who made the change: `app`, `binding:<id>`, `operator`. */
  actor: string;
  passId?: string | null;
}

export interface SeriesWrite {
  /** null creates a series with a new id. */
  eventId: string | null;
  series: EventSeries;
  /** The id apps see for a new series (an id an app chose on insert); default: apiIdOf(series id). */
  apiId?: string;
  /**
   * Rows whose extras changed are written even when their content did not. An app's
   * write states the whole Google resource, and some of its members (extendedProperties,
   * colorId) live only in extras, which hashing leaves out; a provider's reads keep the
   * default, so extras that differ between providers never make a change.
   */
  writeExtras?: boolean;
}

export interface SeriesWritten {
  eventId: string;
  /** Rows written or tombstoned (0: the series already held this content). */
  changed: number;
  /** The highest version the write gave a row of the series; null when nothing changed. */
  version: number | null;
}

interface RowValues {
  kind: string;
  event: CanonicalEvent;
  startAt: string;
  endAt: string;
  seriesUntilAt: string | null;
  hash: string;
}

interface ExistingRow {
  id: string;
  series_id: string;
  api_id: string;
  original_start: string | null;
  content_hash: string;
  deleted_at: Date | null;
  kind: string;
  extras: CanonicalEvent['extras'] | null;
}

type RowChange =
  | { op: 'create' | 'update'; rowId: string; seriesId: string; apiId: string; values: RowValues; version: number }
  | { op: 'delete'; rowId: string; seriesId: string; version: number };

// A master's instants span its first instance; series_until_at bounds the end of its
// last one for range queries, which expand candidates exactly afterwards (the bound is
// src/core/rrule/bound.ts's).
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

async function calendarZone(db: Queryable, ctx: WriteContext): Promise<string> {
  const { rows: [calendar] } = await db.query<{ time_zone: string }>(
    'select time_zone from calendars where tenant_id = $1 and id = $2 and deleted_at is null', [ctx.tenantId, ctx.calendarId]);
  if (!calendar) throw new CalsyncError('NOT_FOUND', `calendar ${ctx.calendarId} not found`, { calendarId: ctx.calendarId });
  return calendar.time_zone;
}

/** Bumps the calendar's version by `count`; the first of the versions reserved. */
async function reserveVersions(db: Queryable, ctx: WriteContext, count: number): Promise<number> {
  const { rows: [row] } = await db.query<{ version: string }>(
    `update calendars set version = version + $3, updated_at = now() where tenant_id = $1 and id = $2 and deleted_at is null
     returning version`, [ctx.tenantId, ctx.calendarId, count]);
  if (!row) throw new CalsyncError('NOT_FOUND', `calendar ${ctx.calendarId} not found`, { calendarId: ctx.calendarId });
  return Number(row.version) - count + 1;
}

/** The rows of the series, locked; their extras only when a write compares them (a pass's writes never do). */
async function existingRows(db: Queryable, ctx: WriteContext, seriesIds: string[], withExtras: boolean): Promise<Map<string, ExistingRow[]>> {
  const { rows } = await db.query<ExistingRow>(
    `select id, series_id, api_id, original_start, content_hash, deleted_at, kind, ${withExtras ? 'extras' : 'null as extras'} from events
      where tenant_id = $1 and calendar_id = $2 and series_id = any($3::uuid[]) order by id for update`,
    [ctx.tenantId, ctx.calendarId, seriesIds]);
  const bySeries = new Map<string, ExistingRow[]>();
  for (const row of rows) bySeries.set(row.series_id, [...(bySeries.get(row.series_id) ?? []), row]);
  return bySeries;
}

const eventColumns = `id, tenant_id, calendar_id, kind, series_id, api_id, original_start, ical_uid, sequence, status, summary,
  description, description_html, location, all_day, start_local, start_tz, end_local, end_tz, start_at, end_at,
  rrule, rdate, exdate, series_until_at, transparency, visibility, organizer, attendees, conference, reminders,
  categories, color, extras, content_hash, etag, version`;

function rowRecord(change: Extract<RowChange, { values: RowValues }>): Record<string, unknown> {
  const { values, version } = change;
  const e = values.event;
  return {
    id: change.rowId, kind: values.kind, series_id: change.seriesId, api_id: change.apiId, original_start: e.recurrenceId, ical_uid: e.uid, sequence: e.sequence,
    status: e.status, summary: e.summary, description: e.description, description_html: e.descriptionHtml, location: e.location,
    all_day: e.allDay, start_local: e.start.local, start_tz: e.start.tz, end_local: e.end.local, end_tz: e.end.tz,
    start_at: values.startAt, end_at: values.endAt, rrule: e.recurrence?.rrule ?? [], rdate: e.recurrence?.rdate ?? [],
    exdate: e.recurrence?.exdate ?? [], series_until_at: values.seriesUntilAt, transparency: e.transparency, visibility: e.visibility,
    organizer: e.organizer, attendees: e.attendees, conference: e.conference, reminders: e.reminders, categories: e.categories,
    color: e.color, extras: e.extras, content_hash: values.hash, etag: `"${version}"`, version,
  };
}

// The rows go as one JSON document (jsonb_to_recordset) rather than bind parameters per
// value: pg escapes every element of array parameters, which costs more than the insert.
async function upsertRows(db: Queryable, ctx: WriteContext, changes: Array<Extract<RowChange, { values: RowValues }>>): Promise<void> {
  if (changes.length === 0) return;
  await db.query(
    `insert into events (${eventColumns})
     select r.id, $1, $2, r.kind, r.series_id, r.api_id, r.original_start, r.ical_uid, r.sequence, r.status, r.summary,
       r.description, r.description_html, r.location, r.all_day, r.start_local, r.start_tz, r.end_local, r.end_tz, r.start_at, r.end_at,
       r.rrule, r.rdate, r.exdate, r.series_until_at, r.transparency, r.visibility, r.organizer, r.attendees, r.conference, r.reminders,
       r.categories, r.color, r.extras, r.content_hash, r.etag, r.version
       from jsonb_to_recordset($3::jsonb) as r(id uuid, kind text, series_id uuid, api_id text, original_start text, ical_uid text, sequence integer,
         status text, summary text, description text, description_html text, location text, all_day boolean,
         start_local timestamp, start_tz text, end_local timestamp, end_tz text, start_at timestamptz, end_at timestamptz,
         rrule text[], rdate text[], exdate text[], series_until_at timestamptz, transparency text, visibility text,
         organizer jsonb, attendees jsonb, conference jsonb, reminders jsonb, categories text[], color text, extras jsonb,
         content_hash text, etag text, version bigint)
     on conflict (id) do update set kind = excluded.kind, original_start = excluded.original_start, ical_uid = excluded.ical_uid,
       sequence = excluded.sequence, status = excluded.status, summary = excluded.summary, description = excluded.description,
       description_html = excluded.description_html, location = excluded.location, all_day = excluded.all_day,
       start_local = excluded.start_local, start_tz = excluded.start_tz, end_local = excluded.end_local, end_tz = excluded.end_tz,
       start_at = excluded.start_at, end_at = excluded.end_at, rrule = excluded.rrule, rdate = excluded.rdate, exdate = excluded.exdate,
       series_until_at = excluded.series_until_at, transparency = excluded.transparency, visibility = excluded.visibility,
       organizer = excluded.organizer, attendees = excluded.attendees, conference = excluded.conference, reminders = excluded.reminders,
       categories = excluded.categories, color = excluded.color, extras = excluded.extras, content_hash = excluded.content_hash,
       etag = excluded.etag, version = excluded.version, updated_at = now(), deleted_at = null`,
    [ctx.tenantId, ctx.calendarId, JSON.stringify(changes.map(rowRecord))]);
}

async function tombstoneRows(db: Queryable, ctx: WriteContext, changes: Array<Extract<RowChange, { op: 'delete' }>>): Promise<void> {
  if (changes.length === 0) return;
  await db.query(
    `update events e set deleted_at = now(), updated_at = now(), version = t.version, etag = '"' || t.version || '"'
       from unnest($3::uuid[], $4::bigint[]) as t(id, version) where e.tenant_id = $1 and e.calendar_id = $2 and e.id = t.id`,
    [ctx.tenantId, ctx.calendarId, changes.map((c) => c.rowId), changes.map((c) => c.version)]);
}

/** The change-log row and the history row of every change. */
async function recordChanges(db: Queryable, ctx: WriteContext, changes: RowChange[]): Promise<void> {
  const ids = changes.map((c) => c.rowId);
  const versions = changes.map((c) => c.version);
  const operations = changes.map((c) => c.op);
  await db.query(
    `insert into change_log (tenant_id, calendar_id, version, event_id, operation)
     select $1, $2, c.version, c.id, c.operation from unnest($3::uuid[], $4::bigint[], $5::text[]) as c(id, version, operation)`,
    [ctx.tenantId, ctx.calendarId, ids, versions, operations]);
  await db.query(
    `insert into event_history (tenant_id, event_id, calendar_id, version, operation, content, actor, pass_id)
     select $1, c.id, $2, c.version, c.operation, coalesce(c.content, 'null'::jsonb), $3, $4
       from jsonb_to_recordset($5::jsonb) as c(id uuid, version bigint, operation text, content jsonb)`,
    [ctx.tenantId, ctx.calendarId, ctx.actor, ctx.passId ?? null,
      JSON.stringify(changes.map((c) => ({ id: c.rowId, version: c.version, operation: c.op, content: c.op === 'delete' ? null : c.values.event })))]);
}

/** The id apps see for a series created without one: its uuid without hyphens (valid base32hex). */
export function apiIdOf(seriesId: string): string {
  return seriesId.replace(/-/g, '');
}

/** The series part of a row's api id (ids apps choose are base32hex, so contain no "_"). */
export function seriesApiIdOf(apiId: string): string {
  const cut = apiId.indexOf('_');
  return cut < 0 ? apiId : apiId.slice(0, cut);
}

/**
 * The api id of an instance (an override's, or one its master generates): the series id,
 * "_" and the original start as Google writes it in instance ids (core/google/ids.ts),
 * `…_20260302T090000Z` (UTC) for a timed series, `…_20260302` for an all-day one. The
 * recurrence id is in `master`'s start terms; without a master, in the override's own.
 */
export function instanceApiId(
  seriesApiId: string, override: Pick<CanonicalEvent, 'recurrenceId' | 'start'>, master: Pick<CanonicalEvent, 'allDay' | 'start'> | null, calendarZone: string,
): string {
  return instanceId(seriesApiId, originalStartTime(override, master, calendarZone), calendarZone);
}

/** Splits writes so no series appears twice in one part; parts keep the input order. */
function partsWithDistinctSeries<T extends { seriesId: string }>(writes: T[]): T[][] {
  const parts: T[][] = [];
  let current: T[] = [];
  let ids = new Set<string>();
  for (const write of writes) {
    if (ids.has(write.seriesId)) {
      parts.push(current);
      current = [];
      ids = new Set();
    }
    current.push(write);
    ids.add(write.seriesId);
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

/**
 * Writes series: rows whose content changed (by content hash) get a new version; rows no
 * longer in their series become tombstones. Call inside a transaction. Returns, in input
 * order, each series' id (new where `eventId` was null) and what changed.
 */
export async function writeSeriesBatch(db: Queryable, ctx: WriteContext, writes: SeriesWrite[]): Promise<SeriesWritten[]> {
  if (writes.length === 0) return [];
  const prepared = writes.map((w) => ({ seriesId: w.eventId ?? randomUUID(), series: validateSeries(w.series), apiId: w.apiId, writeExtras: w.writeExtras ?? false }));
  const zone = await calendarZone(db, ctx);
  const results: SeriesWritten[] = [];
  for (const part of partsWithDistinctSeries(prepared)) {
    const existing = await existingRows(db, ctx, part.map((p) => p.seriesId), part.some((p) => p.writeExtras));
    const planned: Array<{ seriesId: string; rows: Array<Omit<RowChange, 'version'>> }> = part.map(({ seriesId, series, apiId, writeExtras }) => {
      const key = (recurrenceId: string | null): string => recurrenceId ?? '';
      const rowsBefore = existing.get(seriesId) ?? [];
      const current = new Map(rowsBefore.map((r) => [key(r.original_start), r]));
      // A series keeps the id it was first given; new rows of it take theirs from it.
      const seriesApiId = rowsBefore[0] ? seriesApiIdOf(rowsBefore[0].api_id) : (apiId ?? apiIdOf(seriesId));
      const rows: Array<Omit<RowChange, 'version'>> = [];
      for (const event of [...(series.master ? [series.master] : []), ...series.overrides]) {
        const values = rowValues(event, zone);
        const row = current.get(key(event.recurrenceId));
        current.delete(key(event.recurrenceId));
        if (row && row.deleted_at === null && row.content_hash === values.hash && row.kind === values.kind
          && (!writeExtras || isDeepStrictEqual(row.extras, JSON.parse(JSON.stringify(event.extras))))) continue;
        const rowId = row?.id ?? (values.kind === 'override' ? randomUUID() : seriesId);
        const rowApiId = row?.api_id ?? (values.kind === 'override' ? instanceApiId(seriesApiId, event, series.master, zone) : seriesApiId);
        rows.push({ op: row && row.deleted_at === null ? 'update' : 'create', rowId, seriesId, apiId: rowApiId, values } as Omit<RowChange, 'version'>);
      }
      for (const gone of current.values()) if (gone.deleted_at === null) rows.push({ op: 'delete', rowId: gone.id, seriesId });
      return { seriesId, rows };
    });
    const count = planned.reduce((n, p) => n + p.rows.length, 0);
    let version = count > 0 ? await reserveVersions(db, ctx, count) : 0;
    const changes: RowChange[] = [];
    for (const { seriesId, rows } of planned) {
      const stamped = rows.map((row) => ({ ...row, version: version++ }) as RowChange);
      changes.push(...stamped);
      results.push({ eventId: seriesId, changed: stamped.length, version: stamped.length ? stamped.at(-1)!.version : null });
    }
    if (changes.length === 0) continue;
    await tombstoneRows(db, ctx, changes.filter((c): c is Extract<RowChange, { op: 'delete' }> => c.op === 'delete'));
    await upsertRows(db, ctx, changes.filter((c): c is Extract<RowChange, { values: RowValues }> => c.op !== 'delete'));
    await recordChanges(db, ctx, changes);
    await followBookingEvents(db, ctx.tenantId, [...new Set(changes.map((c) => c.seriesId))]);
  }
  return results;
}

/** writeSeriesBatch for one series. */
export async function writeSeries(db: Queryable, ctx: WriteContext, eventId: string | null, series: EventSeries): Promise<SeriesWritten> {
  return (await writeSeriesBatch(db, ctx, [{ eventId, series }]))[0]!;
}

/** Tombstones every row of the series. Returns, per series, the rows deleted (0 when already gone). */
export async function deleteSeriesBatch(db: Queryable, ctx: WriteContext, eventIds: string[]): Promise<number[]> {
  if (eventIds.length === 0) return [];
  const { rows } = await db.query<{ id: string; series_id: string }>(
    `select id, series_id from events where tenant_id = $1 and calendar_id = $2 and series_id = any($3::uuid[]) and deleted_at is null
      order by id for update`, [ctx.tenantId, ctx.calendarId, [...new Set(eventIds)]]);
  if (rows.length === 0) return eventIds.map(() => 0);
  let version = await reserveVersions(db, ctx, rows.length);
  const changes = rows.map((row): RowChange => ({ op: 'delete', rowId: row.id, seriesId: row.series_id, version: version++ }));
  await tombstoneRows(db, ctx, changes as Array<Extract<RowChange, { op: 'delete' }>>);
  await recordChanges(db, ctx, changes);
  await followBookingEvents(db, ctx.tenantId, [...new Set(rows.map((r) => r.series_id))]);
  const perSeries = new Map<string, number>();
  for (const row of rows) perSeries.set(row.series_id, (perSeries.get(row.series_id) ?? 0) + 1);
  // A series listed twice is deleted once.
  return eventIds.map((id) => {
    const n = perSeries.get(id) ?? 0;
    perSeries.delete(id);
    return n;
  });
}

/** deleteSeriesBatch for one series. */
export async function deleteSeries(db: Queryable, ctx: WriteContext, eventId: string): Promise<number> {
  return (await deleteSeriesBatch(db, ctx, [eventId]))[0]!;
}

/**
 * Locks the rows of the series for the rest of the transaction; the highest version of
 * each (0: no rows).
 *
 * The versions are read by a second statement: a row another transaction added to the
 * series (an override) while this one waited for the lock is not in the locking
 * statement's snapshot (READ COMMITTED re-checks only the rows it locked), so reading
 * them there would miss that change and let this transaction overwrite it. Writers of a
 * series lock its existing rows first, so none can add another once this holds them.
 */
export async function lockSeriesVersions(db: Queryable, tenantId: string, calendarId: string, eventIds: string[]): Promise<Map<string, number>> {
  const versions = new Map<string, number>(eventIds.map((id) => [id, 0]));
  if (eventIds.length === 0) return versions;
  const ids = [...new Set(eventIds)];
  await db.query('select 1 from events where tenant_id = $1 and calendar_id = $2 and series_id = any($3::uuid[]) order by id for update', [tenantId, calendarId, ids]);
  const { rows } = await db.query<{ series_id: string; version: string }>(
    'select series_id, max(version) as version from events where tenant_id = $1 and calendar_id = $2 and series_id = any($3::uuid[]) group by series_id',
    [tenantId, calendarId, ids]);
  for (const row of rows) versions.set(row.series_id, Number(row.version));
  return versions;
}

/**
 * Gives a series' master (or first) row a new version without changing its content:
 * the change log then names it again, so every binding's next pass plans it (after a
 * person's decision moved a binding's base) and apps syncing see it. A deleted series'
 * last tombstone is touched as a deletion. Returns the version, or null when the series
 * has no row.
 */
export async function touchSeries(db: Queryable, ctx: WriteContext, eventId: string): Promise<number | null> {
  const { rows: [row] } = await db.query<{ id: string; deleted: boolean }>(
    `select id, deleted_at is not null as deleted from events where tenant_id = $1 and calendar_id = $2 and series_id = $3
      order by deleted_at desc nulls first, original_start nulls first, id limit 1 for update`, [ctx.tenantId, ctx.calendarId, eventId]);
  if (!row) return null;
  const version = await reserveVersions(db, ctx, 1);
  await db.query(`update events set version = $3::bigint, etag = '"' || $3::text || '"', updated_at = now() where tenant_id = $1 and id = $2`, [ctx.tenantId, row.id, version]);
  const operation = row.deleted ? 'delete' : 'update';
  await db.query(
    `insert into change_log (tenant_id, calendar_id, version, event_id, operation) values ($1, $2, $3, $4, $5)`,
    [ctx.tenantId, ctx.calendarId, version, row.id, operation]);
  await db.query(
    `insert into event_history (tenant_id, event_id, calendar_id, version, operation, content, actor, pass_id)
     select $1, $2, $3, $4, $5, case when $5 = 'delete' then 'null'::jsonb else coalesce((select content from event_history h
              where h.tenant_id = $1 and h.event_id = $2 order by version desc limit 1), 'null'::jsonb) end, $6, $7`,
    [ctx.tenantId, row.id, ctx.calendarId, version, operation, ctx.actor, ctx.passId ?? null]);
  return version;
}
