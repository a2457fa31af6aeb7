// Bookable resources (migration 000014): a person, a room, a practitioner, with the rules
// its bookings follow (src/core/availability.ts), the calendars whose busy time counts
// against it, and the calendar its confirmed bookings are written to (which counts too).
// Every query names its tenant.
import { defaultWorkingHours, parseWorkingHours, type BookingRules, type WorkingHours } from '../core/availability.ts';
import { CoreError } from '../core/errors.ts';
import { isIanaZone } from '../core/timezones.ts';
import { CalsyncError } from '../errors.ts';
import type { Queryable } from './db.ts';

export interface Resource extends BookingRules {
  id: string;
  tenantId: string;
  name: string;
  /** The address the resource has among events' attendees; an event it declined is free time. */
  email: string | null;
  /** Where confirmed bookings become events; null: bookings are kept in calsync only. */
  bookingCalendarId: string | null;
  /** Every calendar whose busy time counts, the booking calendar included. */
  busyCalendarIds: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface ResourceInput {
  name?: string;
  timeZone?: string;
  email?: string | null;
  bookingCalendarId?: string | null;
  busyCalendarIds?: string[];
  workingHours?: unknown;
  bufferBeforeMinutes?: number;
  bufferAfterMinutes?: number;
  minimumNoticeMinutes?: number;
  horizonDays?: number;
  slotMinutes?: number;
}

interface ResourceRow {
  id: string; tenant_id: string; name: string; calendar_id: string | null; time_zone: string; email: string | null;
  working_hours: WorkingHours; buffer_before_minutes: number; buffer_after_minutes: number; minimum_notice_minutes: number;
  horizon_days: number; slot_minutes: number; created_at: Date; updated_at: Date; busy_calendar_ids: string[];
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const emailPattern = /^[^\s@]+@[^\s@]+$/;

const selectResource = `select r.*, coalesce((select array_agg(rc.calendar_id order by rc.calendar_id) from resource_calendars rc
                                where rc.tenant_id = r.tenant_id and rc.resource_id = r.id), '{}') as busy_calendar_ids
                          from resources r`;

function toResource(row: ResourceRow): Resource {
  return {
    id: row.id, tenantId: row.tenant_id, name: row.name, timeZone: row.time_zone, email: row.email,
    bookingCalendarId: row.calendar_id, busyCalendarIds: row.busy_calendar_ids,
    workingHours: row.working_hours, bufferBeforeMinutes: row.buffer_before_minutes, bufferAfterMinutes: row.buffer_after_minutes,
    minimumNoticeMinutes: row.minimum_notice_minutes, horizonDays: row.horizon_days, slotMinutes: row.slot_minutes,
    createdAt: row.created_at, updatedAt: row.updated_at,
  };
}

export function resourceNotFound(id: string): CalsyncError {
  return new CalsyncError('NOT_FOUND', `resource ${id} not found`, { resourceId: id });
}

/** The input checked; what the database checks too (ranges) is checked here first, for messages that name the field. */
function checked(input: ResourceInput): ResourceInput {
  if (input.name !== undefined && (input.name.trim() === '' || input.name.length > 200)) throw new CalsyncError('INVALID_REQUEST', 'name must be 1 to 200 characters', { field: 'name' });
  if (input.timeZone !== undefined && !isIanaZone(input.timeZone)) {
    throw new CalsyncError('INVALID_REQUEST', `timeZone ${JSON.stringify(input.timeZone)} is not an IANA time zone name such as Europe/Berlin`, { field: 'timeZone' });
  }
  if (input.email !== undefined && input.email !== null && (!emailPattern.test(input.email) || input.email.length > 320)) {
    throw new CalsyncError('INVALID_REQUEST', `email ${JSON.stringify(input.email)} is not an address`, { field: 'email' });
  }
  let workingHours: WorkingHours | undefined;
  if (input.workingHours !== undefined) {
    try {
      workingHours = parseWorkingHours(input.workingHours);
    } catch (error) {
      if (error instanceof CoreError) throw new CalsyncError('INVALID_REQUEST', error.message, { field: 'workingHours' });
      throw error;
    }
  }
  for (const id of [...(input.busyCalendarIds ?? []), ...(input.bookingCalendarId ? [input.bookingCalendarId] : [])]) {
    if (!uuidPattern.test(id)) throw new CalsyncError('NOT_FOUND', `calendar ${JSON.stringify(id)} not found`, { calendarId: id });
  }
  return { ...input, ...(workingHours ? { workingHours } : {}), ...(input.email ? { email: input.email.toLowerCase() } : {}) };
}

/** The calendars named that the tenant does not have: not found, as any other tenant's id. */
async function checkCalendars(db: Queryable, tenantId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const { rows } = await db.query<{ id: string }>(`select id from calendars where tenant_id = $1 and id = any($2::uuid[])`, [tenantId, ids]);
  const known = new Set(rows.map((r) => r.id));
  const missing = ids.find((id) => !known.has(id.toLowerCase()));
  if (missing !== undefined) throw new CalsyncError('NOT_FOUND', `calendar ${missing} not found`, { calendarId: missing });
}

async function setBusyCalendars(db: Queryable, tenantId: string, resourceId: string, ids: string[]): Promise<void> {
  await db.query(`delete from resource_calendars where tenant_id = $1 and resource_id = $2 and calendar_id <> all($3::uuid[])`, [tenantId, resourceId, ids]);
  await db.query(
    `insert into resource_calendars (tenant_id, resource_id, calendar_id) select $1, $2, unnest($3::uuid[]) on conflict do nothing`,
    [tenantId, resourceId, ids]);
}

/** Creates a resource (call inside a transaction: it writes two tables). */
export async function createResource(db: Queryable, tenantId: string, raw: ResourceInput): Promise<Resource> {
  const input = checked(raw);
  if (input.name === undefined) throw new CalsyncError('INVALID_REQUEST', 'name is required', { field: 'name' });
  const busy = [...new Set([...(input.busyCalendarIds ?? []), ...(input.bookingCalendarId ? [input.bookingCalendarId] : [])].map((id) => id.toLowerCase()))];
  await checkCalendars(db, tenantId, busy);
  const { rows: [row] } = await db.query<{ id: string }>(
    `insert into resources (tenant_id, name, time_zone, email, calendar_id, working_hours, buffer_before_minutes, buffer_after_minutes,
                            minimum_notice_minutes, horizon_days, slot_minutes)
     values ($1, $2, coalesce($3, 'UTC'), $4, $5, $6::jsonb, $7, $8, $9, $10, $11)
     returning id`,
    [tenantId, input.name, input.timeZone ?? null, input.email ?? null, input.bookingCalendarId ?? null,
      JSON.stringify(input.workingHours ?? defaultWorkingHours), input.bufferBeforeMinutes ?? 0, input.bufferAfterMinutes ?? 0,
      input.minimumNoticeMinutes ?? 0, input.horizonDays ?? 60, input.slotMinutes ?? 30]);
  await setBusyCalendars(db, tenantId, row!.id, busy);
  return getResource(db, tenantId, row!.id);
}

export async function getResource(db: Queryable, tenantId: string, id: string, options: { forUpdate?: boolean } = {}): Promise<Resource> {
  if (!uuidPattern.test(id)) throw resourceNotFound(id);
  // Locking the row serialises every booking decision of the resource (src/engine/bookings.ts).
  if (options.forUpdate) await db.query(`select 1 from resources where tenant_id = $1 and id = $2 for update`, [tenantId, id]);
  const { rows: [row] } = await db.query<ResourceRow>(`${selectResource} where r.tenant_id = $1 and r.id = $2`, [tenantId, id]);
  if (!row) throw resourceNotFound(id);
  return toResource(row);
}

export async function listResources(db: Queryable, tenantId: string): Promise<Resource[]> {
  const { rows } = await db.query<ResourceRow>(`${selectResource} where r.tenant_id = $1 order by r.name, r.id limit 1000`, [tenantId]);
  return rows.map(toResource);
}

/** Changes what `patch` names (call inside a transaction). */
export async function updateResource(db: Queryable, tenantId: string, id: string, raw: ResourceInput): Promise<Resource> {
  const patch = checked(raw);
  const current = await getResource(db, tenantId, id, { forUpdate: true });
  const bookingCalendarId = patch.bookingCalendarId === undefined ? current.bookingCalendarId : patch.bookingCalendarId;
  const busy = [...new Set([...(patch.busyCalendarIds ?? current.busyCalendarIds), ...(bookingCalendarId ? [bookingCalendarId] : [])].map((c) => c.toLowerCase()))];
  await checkCalendars(db, tenantId, busy);
  await db.query(
    `update resources set name = $3, time_zone = $4, email = $5, calendar_id = $6, working_hours = $7::jsonb, buffer_before_minutes = $8,
            buffer_after_minutes = $9, minimum_notice_minutes = $10, horizon_days = $11, slot_minutes = $12, updated_at = now()
      where tenant_id = $1 and id = $2`,
    [tenantId, id, patch.name ?? current.name, patch.timeZone ?? current.timeZone, patch.email === undefined ? current.email : patch.email,
      bookingCalendarId, JSON.stringify(patch.workingHours ?? current.workingHours), patch.bufferBeforeMinutes ?? current.bufferBeforeMinutes,
      patch.bufferAfterMinutes ?? current.bufferAfterMinutes, patch.minimumNoticeMinutes ?? current.minimumNoticeMinutes,
      patch.horizonDays ?? current.horizonDays, patch.slotMinutes ?? current.slotMinutes]);
  await setBusyCalendars(db, tenantId, id, busy);
  return getResource(db, tenantId, id);
}

/** Deletes a resource and its bookings' records; refused while it has live bookings still to come. */
export async function deleteResource(db: Queryable, tenantId: string, id: string, now: Date): Promise<void> {
  await getResource(db, tenantId, id, { forUpdate: true });
  const { rows: [live] } = await db.query<{ n: string }>(
    `select count(*) as n from bookings where tenant_id = $1 and resource_id = $2 and status in ('held', 'confirmed') and upper(during) > $3`, [tenantId, id, now]);
  if (Number(live!.n) > 0) {
    throw new CalsyncError('RESOURCE_IN_USE', `resource ${id} has ${live!.n} live booking(s) still to come: cancel them first`, { resourceId: id });
  }
  await db.query(`delete from resources where tenant_id = $1 and id = $2`, [tenantId, id]);
}
