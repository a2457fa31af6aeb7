// Bookings of resources (migration 000014). A booking is `held` until its hold expires
// (then `expired`, marked by the next booking decision of its resource, and read as
// expired before that), `confirmed`, or `cancelled`. Only src/engine/bookings.ts writes
// them, under the resource's row lock. Every query names its tenant.
import { busyFor, type Period } from '../core/busy.ts';
import { expandSeries } from '../core/ical/index.ts';
import { CalsyncError } from '../errors.ts';
import { recurringSeriesIn, singleBusyPeriods } from './busy.ts';
import type { Queryable } from './db.ts';
import { getSeries } from './events.ts';

export type BookingStatus = 'held' | 'confirmed' | 'cancelled' | 'expired';

export interface BookingAttendee {
  email: string;
  name: string | null;
}

export interface Booking {
  id: string;
  tenantId: string;
  resourceId: string;
  status: BookingStatus;
  /** Epoch milliseconds; the end is exclusive. */
  start: number;
  end: number;
  /** What the booking keeps from others: its time widened by the buffers it was made with. */
  occupied: Period;
  summary: string;
  description: string;
  attendees: BookingAttendee[];
  /** The event in the resource's booking calendar while confirmed. */
  eventId: string | null;
  holdExpiresAt: Date | null;
  idempotencyKey: string | null;
  requestHash: string | null;
  createdAt: Date;
  confirmedAt: Date | null;
  cancelledAt: Date | null;
  updatedAt: Date;
  /** Why a person must look at it (its event moved onto another booking's time); null when nothing is wrong. */
  attention: string | null;
}

interface BookingRow {
  id: string; tenant_id: string; resource_id: string; status: BookingStatus; start_at: Date; end_at: Date; occupied_start: Date; occupied_end: Date;
  summary: string; description: string; attendees: BookingAttendee[]; event_id: string | null; held_until: Date | null;
  idempotency_key: string | null; request_hash: string | null; created_at: Date; confirmed_at: Date | null; cancelled_at: Date | null; updated_at: Date;
  attention: string | null;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const columns = `b.*, lower(b.during) as start_at, upper(b.during) as end_at, lower(b.occupied) as occupied_start, upper(b.occupied) as occupied_end`;

function toBooking(row: BookingRow, now: Date): Booking {
  // A hold past its time no longer counts, whether or not a later decision marked it.
  const expired = row.status === 'held' && row.held_until !== null && row.held_until <= now;
  return {
    id: row.id, tenantId: row.tenant_id, resourceId: row.resource_id, status: expired ? 'expired' : row.status,
    start: row.start_at.getTime(), end: row.end_at.getTime(), occupied: { start: row.occupied_start.getTime(), end: row.occupied_end.getTime() },
    summary: row.summary, description: row.description, attendees: row.attendees, eventId: row.event_id, holdExpiresAt: row.held_until,
    idempotencyKey: row.idempotency_key, requestHash: row.request_hash, createdAt: row.created_at, confirmedAt: row.confirmed_at,
    cancelledAt: row.cancelled_at, updatedAt: row.updated_at, attention: row.attention,
  };
}

export function bookingNotFound(id: string): CalsyncError {
  return new CalsyncError('NOT_FOUND', `booking ${id} not found`, { bookingId: id });
}

export async function getBooking(db: Queryable, tenantId: string, id: string, now: Date): Promise<Booking> {
  if (!uuidPattern.test(id)) throw bookingNotFound(id);
  const { rows: [row] } = await db.query<BookingRow>(`select ${columns} from bookings b where b.tenant_id = $1 and b.id = $2`, [tenantId, id]);
  if (!row) throw bookingNotFound(id);
  return toBooking(row, now);
}

export async function bookingByIdempotencyKey(db: Queryable, tenantId: string, key: string, now: Date): Promise<Booking | null> {
  const { rows: [row] } = await db.query<BookingRow>(`select ${columns} from bookings b where b.tenant_id = $1 and b.idempotency_key = $2`, [tenantId, key]);
  return row ? toBooking(row, now) : null;
}

/** Holds of the resource past their time become `expired`: they stop counting, in the exclusion constraint too. */
export async function expireHolds(db: Queryable, tenantId: string, resourceId: string, now: Date): Promise<void> {
  await db.query(
    `update bookings set status = 'expired', updated_at = now()
      where tenant_id = $1 and resource_id = $2 and status = 'held' and held_until <= $3`, [tenantId, resourceId, now]);
}

/** What the resource's live bookings occupy within `window`, but `except`'s. */
export async function occupiedBy(db: Queryable, tenantId: string, resourceIds: string[], window: Period, now: Date, except: string | null = null): Promise<Map<string, Period[]>> {
  const { rows } = await db.query<{ resource_id: string; start_at: Date; end_at: Date }>(
    `select resource_id, lower(occupied) as start_at, upper(occupied) as end_at from bookings
      where tenant_id = $1 and resource_id = any($2::uuid[]) and occupied && tstzrange($3, $4, '[)')
        and (status = 'confirmed' or (status = 'held' and held_until > $5)) and id is distinct from $6::uuid
      order by lower(occupied)`,
    [tenantId, resourceIds, new Date(window.start), new Date(window.end), now, except]);
  const byResource = new Map<string, Period[]>(resourceIds.map((id) => [id, []]));
  for (const r of rows) byResource.get(r.resource_id)?.push({ start: r.start_at.getTime(), end: r.end_at.getTime() });
  return byResource;
}

/** The events of the resources' live bookings: their time counts as bookings (with buffers), not again as events. */
export async function bookingEventIds(db: Queryable, tenantId: string, resourceIds: string[]): Promise<string[]> {
  const { rows } = await db.query<{ event_id: string }>(
    `select event_id from bookings where tenant_id = $1 and resource_id = any($2::uuid[]) and event_id is not null and status = 'confirmed'`,
    [tenantId, resourceIds]);
  return rows.map((r) => r.event_id);
}

export interface NewBooking {
  resourceId: string;
  start: number;
  end: number;
  occupied: Period;
  status: 'held' | 'confirmed';
  holdExpiresAt: Date | null;
  summary: string;
  description: string;
  attendees: BookingAttendee[];
  idempotencyKey: string | null;
  requestHash: string | null;
}

export async function insertBooking(db: Queryable, tenantId: string, b: NewBooking, now: Date): Promise<Booking> {
  const { rows: [row] } = await db.query<BookingRow>(
    `with inserted as (
       insert into bookings (tenant_id, resource_id, during, occupied, status, held_until, summary, description, attendees, idempotency_key, request_hash, confirmed_at)
       values ($1, $2, tstzrange($3, $4, '[)'), tstzrange($5, $6, '[)'), $7, $8, $9, $10, $11::jsonb, $12, $13, case when $7 = 'confirmed' then $14::timestamptz end)
       returning *)
     select ${columns} from inserted b`,
    [tenantId, b.resourceId, new Date(b.start), new Date(b.end), new Date(b.occupied.start), new Date(b.occupied.end), b.status, b.holdExpiresAt,
      b.summary, b.description, JSON.stringify(b.attendees), b.idempotencyKey, b.requestHash, now]);
  return toBooking(row!, now);
}

/** Sets what `change` names; the booking as it is then. */
export async function updateBooking(
  db: Queryable, tenantId: string, id: string, now: Date,
  change: { status?: BookingStatus; start?: number; end?: number; occupied?: Period; eventId?: string | null },
): Promise<Booking> {
  const { rows: [row] } = await db.query<BookingRow>(
    `with updated as (
       update bookings set
         status = coalesce($3, status),
         held_until = case when coalesce($3, status) = 'confirmed' then null else held_until end,
         confirmed_at = case when $3 = 'confirmed' then $4::timestamptz else confirmed_at end,
         cancelled_at = case when $3 = 'cancelled' then $4::timestamptz else cancelled_at end,
         during = case when $5::timestamptz is null then during else tstzrange($5, $6, '[)') end,
         occupied = case when $7::timestamptz is null then occupied else tstzrange($7, $8, '[)') end,
         event_id = case when $9 then $10::uuid else event_id end,
         updated_at = now()
       where tenant_id = $1 and id = $2 returning *)
     select ${columns} from updated b`,
    [tenantId, id, change.status ?? null, now, change.start === undefined ? null : new Date(change.start), change.end === undefined ? null : new Date(change.end),
      change.occupied ? new Date(change.occupied.start) : null, change.occupied ? new Date(change.occupied.end) : null,
      change.eventId !== undefined, change.eventId ?? null]);
  if (!row) throw bookingNotFound(id);
  return toBooking(row, now);
}

/** Locks a booking's row for a decision; its resource's lock must be held first. */
export async function lockBooking(db: Queryable, tenantId: string, id: string, now: Date): Promise<Booking> {
  if (!uuidPattern.test(id)) throw bookingNotFound(id);
  const { rows: [row] } = await db.query<BookingRow>(`select ${columns} from bookings b where b.tenant_id = $1 and b.id = $2 for update`, [tenantId, id]);
  if (!row) throw bookingNotFound(id);
  return toBooking(row, now);
}

export interface BookingFilter {
  resourceId?: string;
  /** Bookings that overlap `[from, to)`. */
  from?: number;
  to?: number;
  status?: BookingStatus;
  limit: number;
  /** Continue after this (start, id). */
  after?: { start: number; id: string };
}

export async function listBookings(db: Queryable, tenantId: string, filter: BookingFilter, now: Date): Promise<Booking[]> {
  if (filter.resourceId !== undefined && !uuidPattern.test(filter.resourceId)) return [];
  const { rows } = await db.query<BookingRow>(
    `select ${columns} from bookings b
      where b.tenant_id = $1 and ($2::uuid is null or b.resource_id = $2)
        and b.during && tstzrange($3::timestamptz, $4::timestamptz, '[)')
        and ($5::text is null
             or ($5 = 'expired' and (b.status = 'expired' or (b.status = 'held' and b.held_until <= $8)))
             or ($5 = 'held' and b.status = 'held' and b.held_until > $8)
             or ($5 not in ('expired', 'held') and b.status = $5))
        and ($6::timestamptz is null or (lower(b.during), b.id) > ($6::timestamptz, $7::uuid))
      order by lower(b.during), b.id limit $9`,
    [tenantId, filter.resourceId ?? null, filter.from === undefined ? null : new Date(filter.from), filter.to === undefined ? null : new Date(filter.to),
      filter.status ?? null, filter.after ? new Date(filter.after.start) : null, filter.after?.id ?? null, now, filter.limit]);
  return rows.map((r) => toBooking(r, now));
}

/** The tenant's booking change number: every booking changed after now gets a higher one (migration 000019). */
export async function bookingPosition(db: Queryable, tenantId: string): Promise<number> {
  const { rows: [row] } = await db.query<{ change_number: string }>('select change_number from booking_change_counters where tenant_id = $1', [tenantId]);
  return row ? Number(row.change_number) : 0;
}

export interface BookingChangeFilter {
  resourceId?: string;
  /** Continue after this (change number, id); a sync token's position starts after (position, the greatest uuid). */
  after: { change: number; id: string };
  limit: number;
}

/**
 * Bookings changed after `filter.after`, in change order (a booking changed twice shows
 * once, at its last change), and the tenant's change number read in the same snapshot:
 * every change numbered up to it is committed and listed or passed.
 */
export async function listBookingChanges(db: Queryable, tenantId: string, filter: BookingChangeFilter, now: Date): Promise<{ items: Array<Booking & { change: number }>; position: number }> {
  if (filter.resourceId !== undefined && !uuidPattern.test(filter.resourceId)) return { items: [], position: await bookingPosition(db, tenantId) };
  const { rows } = await db.query<BookingRow & { position: string; change_number: string | null }>(
    `select p.position, b.* from
       (select coalesce((select change_number from booking_change_counters where tenant_id = $1), 0) as position) p
       left join lateral (
         select ${columns} from bookings b
          where b.tenant_id = $1 and ($2::uuid is null or b.resource_id = $2) and (b.change_number, b.id) > ($3::bigint, $4::uuid)
          order by b.change_number, b.id limit $5) b on true`,
    [tenantId, filter.resourceId ?? null, filter.after.change, filter.after.id, filter.limit]);
  const position = Number(rows[0]?.position ?? 0);
  const items = rows.filter((r) => r.id !== null).map((r) => ({ ...toBooking(r, now), change: Number(r.change_number) }));
  return { items, position };
}

// A moved booking's new time is checked against at most this many recurring series of
// each calendar; a calendar with more is taken as busy there (its time is unknown).
const seriesChecked = 2_000;

/**
 * Whether an event of the resource's calendars blocks time within `period`, as
 * availability counts it (src/engine/busy-time.ts): not the events of the resource's
 * confirmed bookings (their time is the bookings'), not events the resource declined. A
 * series whose instances there cannot all be listed counts as blocking.
 */
async function eventsBlock(db: Queryable, tenantId: string, resourceId: string, period: Period): Promise<boolean> {
  const { rows: calendars } = await db.query<{ id: string; time_zone: string; email: string | null }>(
    `select c.id, c.time_zone, lower(r.email) as email from resource_calendars rc
       join calendars c on c.tenant_id = rc.tenant_id and c.id = rc.calendar_id
       join resources r on r.tenant_id = rc.tenant_id and r.id = rc.resource_id
      where rc.tenant_id = $1 and rc.resource_id = $2`, [tenantId, resourceId]);
  const excluded = await bookingEventIds(db, tenantId, [resourceId]);
  const [from, to] = [new Date(period.start).toISOString(), new Date(period.end).toISOString()];
  for (const calendar of calendars) {
    if ((await singleBusyPeriods(db, tenantId, calendar.id, from, to, { excludeEventIds: excluded, declinedBy: calendar.email })).length > 0) return true;
    const seriesIds = await recurringSeriesIn(db, tenantId, calendar.id, from, to, seriesChecked + 1);
    if (seriesIds.length > seriesChecked) return true;
    for (const stored of await getSeries(db, tenantId, calendar.id, seriesIds.filter((id) => !excluded.includes(id)))) {
      const { instances, truncated } = expandSeries(stored.series, { from, to, defaultZone: calendar.time_zone });
      if (truncated || instances.some(({ event }) => busyFor(event, calendar.email))) return true;
    }
  }
  return false;
}

/**
 * Bookings follow what happens to their events wherever it happens (a pass bringing a
 * provider's change, the app's event API): a confirmed booking whose event was deleted or
 * cancelled is cancelled, its time free again; one whose event moved takes the new time
 * when it is free (no other live booking of its resource holds it and no event of the
 * resource's calendars blocks it, its buffers kept), else keeps its time and is flagged
 * for a person (`attention`), never overlapping. Called by every write
 * of events, inside its transaction, with the series it wrote; one indexed query when
 * none of them is a booking's.
 */
export async function followBookingEvents(db: Queryable, tenantId: string, seriesIds: string[]): Promise<void> {
  if (seriesIds.length === 0) return;
  const { rows: [any] } = await db.query(
    `select 1 from bookings where tenant_id = $1 and event_id = any($2::uuid[]) and status = 'confirmed' limit 1`, [tenantId, seriesIds]);
  if (!any) return;
  await db.query(
    `update bookings b set status = 'cancelled', cancelled_at = now(), updated_at = now(), event_id = null, attention = null
       from events e
      where b.tenant_id = $1 and b.event_id = any($2::uuid[]) and b.status = 'confirmed'
        and e.tenant_id = b.tenant_id and e.id = b.event_id and (e.deleted_at is not null or e.status = 'cancelled')`, [tenantId, seriesIds]);
  const { rows: moved } = await db.query<{ id: string; resource_id: string; start_at: Date; end_at: Date; before_ms: string; after_ms: string }>(
    `select b.id, b.resource_id, e.start_at, e.end_at,
            extract(epoch from lower(b.during) - lower(b.occupied)) * 1000 as before_ms, extract(epoch from upper(b.occupied) - upper(b.during)) * 1000 as after_ms
       from bookings b join events e on e.tenant_id = b.tenant_id and e.id = b.event_id
      where b.tenant_id = $1 and b.event_id = any($2::uuid[]) and b.status = 'confirmed' and e.deleted_at is null
        and (lower(b.during), upper(b.during)) is distinct from (e.start_at, e.end_at)
      order by b.id`, [tenantId, seriesIds]);
  for (const m of moved) {
    const occupied = { start: m.start_at.getTime() - Number(m.before_ms), end: m.end_at.getTime() + Number(m.after_ms) };
    // Holds past their time would still trip the exclusion constraint until marked.
    await expireHolds(db, tenantId, m.resource_id, new Date());
    const { rows: [clash] } = m.end_at > m.start_at ? await db.query(
      `select id from bookings where tenant_id = $1 and resource_id = $2 and id <> $3 and status in ('held', 'confirmed')
          and occupied && tstzrange($4, $5, '[)') limit 1`,
      [tenantId, m.resource_id, m.id, new Date(occupied.start), new Date(occupied.end)]) : { rows: [{ id: null }] };
    const busy = clash ? null : await eventsBlock(db, tenantId, m.resource_id, occupied);
    if (clash || busy) {
      const where = !clash ? 'where an event of its calendars is busy' : clash.id ? `where booking ${clash.id} is` : 'which is no time';
      await db.query(`update bookings set attention = $3, updated_at = now() where tenant_id = $1 and id = $2`, [tenantId, m.id,
        `its event was moved to ${m.start_at.toISOString()}-${m.end_at.toISOString()}, ${where}: it keeps its time until a person moves or cancels it`]);
      continue;
    }
    await db.query(
      `update bookings set during = tstzrange($3, $4, '[)'), occupied = tstzrange($5, $6, '[)'), attention = null, updated_at = now() where tenant_id = $1 and id = $2`,
      [tenantId, m.id, m.start_at, m.end_at, new Date(occupied.start), new Date(occupied.end)]);
  }
}
