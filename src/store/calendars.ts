// Canonical calendars. Every query is scoped by tenant.
import { isIanaZone } from '../core/timezones.ts';
import { CalsyncError } from '../errors.ts';
import type { Queryable } from './db.ts';

export interface Calendar {
  id: string;
  tenantId: string;
  summary: string;
  description: string;
  location: string;
  timeZone: string;
  version: number;
  etag: string;
  updatedAt: Date;
}

export interface CalendarInput {
  summary: string;
  description?: string;
  location?: string;
  timeZone?: string;
}

interface CalendarRow {
  id: string; tenant_id: string; summary: string; description: string; location: string;
  time_zone: string; version: string; updated_at: Date;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toCalendar(row: CalendarRow): Calendar {
  return {
    id: row.id, tenantId: row.tenant_id, summary: row.summary, description: row.description, location: row.location,
    timeZone: row.time_zone, version: Number(row.version), etag: `"${row.version}-${row.updated_at.getTime()}"`, updatedAt: row.updated_at,
  };
}

function notFound(id: string): CalsyncError {
  return new CalsyncError('NOT_FOUND', `calendar ${id} not found`, { calendarId: id });
}

/** A calendar's zone reads its floating and all-day events on every pass: an unknown one would fail each. */
function checkZone(timeZone: string | undefined): void {
  if (timeZone !== undefined && !isIanaZone(timeZone)) {
    throw new CalsyncError('INVALID_REQUEST', `time zone ${JSON.stringify(timeZone)} is not an IANA time zone name such as Europe/Berlin`, { field: 'timeZone' });
  }
}

export async function createCalendar(db: Queryable, tenantId: string, input: CalendarInput): Promise<Calendar> {
  checkZone(input.timeZone);
  const { rows: [row] } = await db.query<CalendarRow>(
    `insert into calendars (tenant_id, summary, description, location, time_zone) values ($1, $2, $3, $4, $5) returning *`,
    [tenantId, input.summary, input.description ?? '', input.location ?? '', input.timeZone ?? 'UTC']);
  return toCalendar(row!);
}

export async function getCalendar(db: Queryable, tenantId: string, id: string): Promise<Calendar> {
  // An id that is not a uuid cannot exist; answering 404 keeps ids opaque to clients.
  if (!uuidPattern.test(id)) throw notFound(id);
  const { rows: [row] } = await db.query<CalendarRow>(
    'select * from calendars where tenant_id = $1 and id = $2 and deleted_at is null', [tenantId, id]);
  if (!row) throw notFound(id);
  return toCalendar(row);
}

export async function listCalendars(db: Queryable, tenantId: string): Promise<Calendar[]> {
  const { rows } = await db.query<CalendarRow>(
    'select * from calendars where tenant_id = $1 and deleted_at is null order by created_at, id', [tenantId]);
  return rows.map(toCalendar);
}

export async function deleteCalendar(db: Queryable, tenantId: string, id: string): Promise<void> {
  if (!uuidPattern.test(id)) throw notFound(id);
  const { rowCount } = await db.query(
    'update calendars set deleted_at = now(), updated_at = now() where tenant_id = $1 and id = $2 and deleted_at is null', [tenantId, id]);
  if (rowCount === 0) throw notFound(id);
}

/** Changes the given fields of a calendar; its etag changes with them. */
export async function updateCalendar(db: Queryable, tenantId: string, id: string, input: Partial<CalendarInput>): Promise<Calendar> {
  if (!uuidPattern.test(id)) throw notFound(id);
  checkZone(input.timeZone);
  const { rows: [row] } = await db.query<CalendarRow>(
    `update calendars set summary = coalesce($3, summary), description = coalesce($4, description), location = coalesce($5, location),
            time_zone = coalesce($6, time_zone), updated_at = now()
      where tenant_id = $1 and id = $2 and deleted_at is null returning *`,
    [tenantId, id, input.summary ?? null, input.description ?? null, input.location ?? null, input.timeZone ?? null]);
  if (!row) throw notFound(id);
  return toCalendar(row);
}
