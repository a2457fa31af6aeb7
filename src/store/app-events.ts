// Events as the app API reads them: one row per Google event resource (a single, a
// series master, or an exception), addressed by the id apps see (api_id), listed by
// version for sync tokens, by modification time, or by time range. Every query is scoped
// by tenant and calendar.
import type { Queryable } from './db.ts';
import { selectColumns, toEvent, type EventRow } from './events.ts';
import type { CanonicalEvent } from '../core/model.ts';

export interface AppEvent {
  rowId: string;
  seriesId: string;
  apiId: string;
  kind: 'single' | 'master' | 'override';
  event: CanonicalEvent;
  version: number;
  etag: string;
  created: Date;
  updated: Date;
  deleted: boolean;
  /** Start and end instants (of the first instance, for a master). */
  startAt: string;
  endAt: string;
  /** updated_at as Postgres writes it, to the microsecond: the key of orderBy=updated pages. */
  updatedKey: string;
}

interface AppRow extends EventRow {
  start_at: Date;
  end_at: Date;
  updated_key: string;
}

const columns = `${selectColumns}, start_at, end_at, updated_at::text as updated_key`;

function toAppEvent(row: AppRow): AppEvent {
  return {
    rowId: row.id, seriesId: row.series_id, apiId: row.api_id, kind: row.kind as AppEvent['kind'], event: toEvent(row),
    version: Number(row.version), etag: `"${row.version}"`, created: row.created_at, updated: row.updated_at,
    deleted: row.deleted_at !== null, startAt: row.start_at.toISOString(), endAt: row.end_at.toISOString(), updatedKey: row.updated_key,
  };
}

/** The row an api id names, deleted or not. */
export async function appEventByApiId(db: Queryable, tenantId: string, calendarId: string, apiId: string): Promise<AppEvent | null> {
  const { rows: [row] } = await db.query<AppRow>(
    `select ${columns} from events where tenant_id = $1 and calendar_id = $2 and api_id = $3`, [tenantId, calendarId, apiId]);
  return row ? toAppEvent(row) : null;
}

/** Every row of a series, deleted ones included, master first. */
export async function appSeriesRows(db: Queryable, tenantId: string, calendarId: string, seriesId: string): Promise<AppEvent[]> {
  const { rows } = await db.query<AppRow>(
    `select ${columns} from events where tenant_id = $1 and calendar_id = $2 and series_id = $3
      order by kind = 'override', original_start`, [tenantId, calendarId, seriesId]);
  return rows.map(toAppEvent);
}

/** Live rows of a calendar with this iCalendar UID (a series and its exceptions). */
export async function appEventsByUid(db: Queryable, tenantId: string, calendarId: string, uid: string): Promise<AppEvent[]> {
  const { rows } = await db.query<AppRow>(
    `select ${columns} from events where tenant_id = $1 and calendar_id = $2 and ical_uid = $3 and deleted_at is null
      order by kind = 'override', original_start`, [tenantId, calendarId, uid]);
  return rows.map(toAppEvent);
}

/** One `propertyName=value` constraint of events.list (privateExtendedProperty, sharedExtendedProperty). */
export interface PropertyFilter {
  scope: 'private' | 'shared';
  name: string;
  value: string;
}

// Where an event keeps the extendedProperties of its Google resource (core/google/extras.ts),
// calsync's own private keys aside; indexed (GIN, migration 000008) for containment.
const extendedProperties = "(extras -> 'google' -> 'fields' -> 'extendedProperties')";

/** One containment condition per constraint: all must hold, so two values for one name match nothing. */
function propertyConditions(filters: PropertyFilter[], param: (value: unknown) => string): string[] {
  return filters.map((f) => `${extendedProperties} @> ${param(JSON.stringify({ [f.scope]: { [f.name]: f.value } }))}::jsonb`);
}

export interface AppEventQuery {
  /** Only rows changed after this version (a sync token's). */
  since: number | null;
  /** Only rows at or below this version: the snapshot the listing's nextSyncToken names. */
  upTo: number;
  showDeleted: boolean;
  iCalUID?: string;
  /** Every term must appear in the summary, description, location, organizer or attendees. */
  terms?: string[];
  /** Every constraint must hold. */
  properties?: PropertyFilter[];
  /** Rows modified at or after this instant. */
  updatedMin?: string;
  /** Events ending after timeMin and starting before timeMax (Google's exclusive bounds). */
  timeMin?: string;
  timeMax?: string;
  order: 'version' | 'updated';
  /** Keyset: the last (version) or (updated instant, version) of the previous page. */
  after: Array<string | number>;
  limit: number;
}

/** One page of rows in the query's order; `limit + 1` are read to tell whether more follow. */
export async function listAppEvents(db: Queryable, tenantId: string, calendarId: string, query: AppEventQuery): Promise<{ events: AppEvent[]; more: boolean }> {
  const where = ['tenant_id = $1', 'calendar_id = $2', 'version <= $3'];
  const params: unknown[] = [tenantId, calendarId, query.upTo];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  if (query.since !== null) where.push(`version > ${param(query.since)}`);
  if (!query.showDeleted) where.push('deleted_at is null');
  if (query.iCalUID !== undefined) where.push(`ical_uid = ${param(query.iCalUID)}`);
  if (query.updatedMin !== undefined) where.push(`updated_at >= ${param(query.updatedMin)}::timestamptz`);
  if (query.timeMax !== undefined) where.push(`start_at < ${param(query.timeMax)}::timestamptz`);
  if (query.timeMin !== undefined) {
    where.push(`(case when kind = 'master' then coalesce(series_until_at, 'infinity') else end_at end) > ${param(query.timeMin)}::timestamptz`);
  }
  for (const term of query.terms ?? []) {
    const like = param(`%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    where.push(`(summary ilike ${like} or description ilike ${like} or location ilike ${like}
      or coalesce(organizer::text, '') ilike ${like} or attendees::text ilike ${like})`);
  }
  where.push(...propertyConditions(query.properties ?? [], param));
  let order: string;
  if (query.order === 'updated') {
    if (query.after.length === 2) where.push(`(updated_at, version) > (${param(query.after[0])}::timestamptz, ${param(query.after[1])}::bigint)`);
    order = 'updated_at, version';
  } else {
    if (query.after.length === 1) where.push(`version > ${param(query.after[0])}::bigint`);
    order = 'version';
  }
  const { rows } = await db.query<AppRow>(
    `select ${columns} from events where ${where.join(' and ')} order by ${order} limit ${param(query.limit + 1)}`, params);
  return { events: rows.slice(0, query.limit).map(toAppEvent), more: rows.length > query.limit };
}

/** The keyset a page ends at, for its page token. */
export function keyOf(event: AppEvent, order: AppEventQuery['order']): Array<string | number> {
  return order === 'updated' ? [event.updatedKey, event.version] : [event.version];
}

/** The calendar's version and the oldest version a sync token may start from. */
export async function calendarVersions(db: Queryable, tenantId: string, calendarId: string): Promise<{ version: number; minVersion: number; timeZone: string } | null> {
  const { rows: [row] } = await db.query<{ version: string; min_version: string; time_zone: string }>(
    'select version, min_version, time_zone from calendars where tenant_id = $1 and id = $2 and deleted_at is null', [tenantId, calendarId]);
  return row ? { version: Number(row.version), minVersion: Number(row.min_version), timeZone: row.time_zone } : null;
}

/** Every row (deleted ones too) of these series, masters first. */
export async function appRowsOfSeries(db: Queryable, tenantId: string, calendarId: string, seriesIds: string[]): Promise<AppEvent[]> {
  if (seriesIds.length === 0) return [];
  const { rows } = await db.query<AppRow>(
    `select ${columns} from events where tenant_id = $1 and calendar_id = $2 and series_id = any($3::uuid[])
      order by series_id, kind = 'override', original_start`, [tenantId, calendarId, seriesIds]);
  return rows.map(toAppEvent);
}

/**
 * The series with a row changed in (since, upTo], or (without `since`) with a live row
 * that may have an instance in [timeMin, timeMax); with `properties`, a row that also
 * meets them (its instances are checked one by one afterwards). At most `limit`, in
 * series id order.
 */
export async function seriesIdsFor(db: Queryable, tenantId: string, calendarId: string, query: {
  since: number | null; upTo: number; timeMin: string; timeMax: string; iCalUID: string | null; properties: PropertyFilter[]; limit: number;
}): Promise<string[]> {
  const params: unknown[] = [tenantId, calendarId, query.upTo];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const where = ['tenant_id = $1', 'calendar_id = $2', 'version <= $3'];
  if (query.since !== null) {
    where.push(`version > ${param(query.since)}`);
  } else {
    where.push('deleted_at is null', `start_at < ${param(query.timeMax)}::timestamptz`,
      `(case when kind = 'master' then coalesce(series_until_at, 'infinity') else end_at end) > ${param(query.timeMin)}::timestamptz`);
  }
  if (query.iCalUID !== null) where.push(`ical_uid = ${param(query.iCalUID)}`);
  where.push(...propertyConditions(query.properties, param));
  const { rows } = await db.query<{ series_id: string }>(
    `select distinct series_id from events where ${where.join(' and ')} order by series_id limit ${param(query.limit)}`, params);
  return rows.map((r) => r.series_id);
}
