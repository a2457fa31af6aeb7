// Booking decisions. Each runs in one transaction that first locks the resource's row, so
// the decisions of one resource are serialised: the check of its busy time (its
// calendars' events and its live bookings, with buffers) and the write that depends on it
// cannot interleave with another's. The exclusion constraint on bookings.occupied
// (migration 000014) is the last line; a violation of it, a deadlock or a serialisation
// failure under contention is SLOT_TAKEN (409), never a 500.
//
// A confirmed booking is an event in the resource's booking calendar, written in the same
// transaction as the booking through the app's write path (src/engine/app-writes.ts):
// every binding of that calendar gets a pass, and its watch channels and event streams
// hear of it, as for any write of the app. Cancelling deletes the event; moving moves it.
import { createHash } from 'node:crypto';
import { occupiedBy as occupiedFor, sharedSlots, whyNotBookable } from '../core/availability.ts';
import { busyPeriods, type Period } from '../core/busy.ts';
import { instantToLocal } from '../core/ical/zoned.ts';
import type { EventSeries } from '../core/model.ts';
import { CalsyncError } from '../errors.ts';
import {
  bookingByIdempotencyKey, bookingEventIds, expireHolds, getBooking, insertBooking, lockBooking, occupiedBy, updateBooking,
  type Booking, type BookingAttendee,
} from '../store/bookings.ts';
import { getCalendar } from '../store/calendars.ts';
import { withTransaction, type Db, type DbClient, type Queryable } from '../store/db.ts';
import { queueHoldExpiry } from '../store/outbox.ts';
import { getResource, type Resource } from '../store/resources.ts';
import { appTransaction, deleteAppSeries, writeAppSeries, type AppScope } from './app-writes.ts';
import { calendarBusy } from './busy-time.ts';

export interface BookingDeps {
  db: Db;
  /** Debounce of the passes a booking's event queues on its calendar's bindings. */
  debounceMs: number;
  now?: () => Date;
}

export interface BookingRequest {
  resourceId: string;
  /** RFC 3339 instants. `end` defaults to the resource's slot length after `start`. */
  start: string;
  end?: string;
  /** Seconds to hold the slot before it must be confirmed; absent: confirmed at once. */
  holdSeconds?: number;
  summary?: string;
  description?: string;
  attendees?: BookingAttendee[];
}

const MINUTE = 60_000;
/** Availability answers at most this much at once, as freeBusy does. */
export const maxAvailabilityDays = 93;
const maxHoldSeconds = 86_400;
const pgCodes = new Set(['23P01', '40P01', '40001']);

const nowOf = (deps: Pick<BookingDeps, 'now'>): Date => deps.now?.() ?? new Date();

/** An RFC 3339 instant with an offset; Date.parse alone would roll 02-31 over into March. */
function instant(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const parts = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/i.exec(value);
  const [year, month, day] = parts ? [Number(parts[1]), Number(parts[2]), Number(parts[3])] : [0, 0, 0];
  const date = new Date(Date.UTC(2000, month - 1, day));
  date.setUTCFullYear(year);
  const ms = Date.parse(value);
  if (!parts || year < 1 || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || Number.isNaN(ms)) {
    throw new CalsyncError('VALUE_MALFORMED', `${field} ${JSON.stringify(value)} is not an RFC 3339 time with an offset, such as 2026-03-02T10:00:00+01:00`, { field });
  }
  return ms;
}

/** What a repeated request must match to be the same: the request's own members, in a fixed order. */
function requestHash(r: BookingRequest): string {
  const canonical = JSON.stringify([r.resourceId.toLowerCase(), Date.parse(r.start), r.end === undefined ? null : Date.parse(r.end), r.holdSeconds ?? null,
    r.summary ?? '', r.description ?? '', (r.attendees ?? []).map((a) => [a.email.toLowerCase(), a.name ?? null])]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** Contention the database settled against this request: the slot went to another. */
function slotTakenOnContention(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && pgCodes.has(code)) {
    return new CalsyncError('SLOT_TAKEN', 'another booking of this resource took the time at the same moment', {}, { cause: error });
  }
  return error;
}

/** The busy time of the resource within `window`: its calendars' events (less its bookings' events) and its live bookings but `except`. */
async function resourceBusy(db: Queryable, resource: Resource, window: Period, now: Date, except: string | null): Promise<Period[]> {
  const periods = [...(await occupiedBy(db, resource.tenantId, [resource.id], window, now, except)).get(resource.id) ?? []];
  const excludeEventIds = await bookingEventIds(db, resource.tenantId, [resource.id]);
  for (const calendarId of resource.busyCalendarIds) {
    const calendar = await getCalendar(db, resource.tenantId, calendarId);
    const busy = await calendarBusy(db, resource.tenantId, calendar, { from: window.start, to: window.end }, { excludeEventIds, declinedBy: resource.email });
    if (busy === null) {
      throw new CalsyncError('INVALID_REQUEST', `a recurring series of calendar ${calendarId} cannot be expanded in full over this time, so the resource's busy time is unknown: fix the series' rule`, { calendarId });
    }
    periods.push(...busy);
  }
  return busyPeriods(periods, window.start, window.end);
}

/** Refuses `[start, end)` unless the resource takes it now; `except`: the booking being moved or confirmed. */
async function checkFree(db: Queryable, resource: Resource, start: number, end: number, now: Date, except: string | null, busyOnly = false): Promise<void> {
  if (!(end > start)) throw new CalsyncError('INVALID_REQUEST', 'end must be after start', { field: 'end' });
  const occupied = occupiedFor(resource, start, end);
  const busy = await resourceBusy(db, resource, occupied, now, except);
  const why = whyNotBookable(resource, start, end, busy, now.getTime(), { busyOnly });
  if (why?.reason === 'busy') throw new CalsyncError('SLOT_TAKEN', why.message, { resourceId: resource.id });
  if (why) throw new CalsyncError('SLOT_UNAVAILABLE', why.message, { resourceId: resource.id, reason: why.reason });
}

function bookingSeries(booking: Booking, resource: Resource): EventSeries {
  const zone = resource.timeZone;
  const uid = `booking-${booking.id}@calsync`;
  return {
    uid,
    master: {
      uid, recurrenceId: null, sequence: 0, status: 'confirmed', summary: booking.summary || resource.name, description: booking.description,
      descriptionHtml: null, location: '', allDay: false,
      start: { local: instantToLocal(booking.start, zone), tz: zone }, end: { local: instantToLocal(booking.end, zone), tz: zone },
      recurrence: null, transparency: 'opaque', visibility: 'default', organizer: null,
      attendees: booking.attendees.map((a) => ({ email: a.email, name: a.name, role: 'required' as const, response: 'needs-action' as const, respondedAt: null })),
      conference: null, reminders: null, categories: [], color: null, extras: {},
    },
    overrides: [],
  };
}

/** Writes (or moves) the confirmed booking's event in the booking calendar; the booking with its event. */
async function writeEvent(tx: DbClient, booking: Booking, resource: Resource, changed: AppScope[], now: Date): Promise<Booking> {
  if (resource.bookingCalendarId === null) return booking;
  const scope = { tenantId: resource.tenantId, calendarId: resource.bookingCalendarId };
  const written = await writeAppSeries(tx, scope, { eventId: booking.eventId, series: bookingSeries(booking, resource) });
  changed.push(scope);
  return booking.eventId === written.eventId ? booking : updateBooking(tx, resource.tenantId, booking.id, now, { eventId: written.eventId });
}

async function removeEvent(tx: DbClient, booking: Booking, resource: Resource, changed: AppScope[]): Promise<void> {
  if (booking.eventId === null || resource.bookingCalendarId === null) return;
  const scope = { tenantId: resource.tenantId, calendarId: resource.bookingCalendarId };
  await deleteAppSeries(tx, scope, booking.eventId);
  changed.push(scope);
}

function attendeesOf(attendees: BookingAttendee[] | undefined): BookingAttendee[] {
  return (attendees ?? []).map((a) => ({ email: a.email.toLowerCase(), name: a.name ?? null }));
}

/**
 * Books `request.start`–`end` of the resource: held for `holdSeconds`, or confirmed at
 * once. With an idempotency key, the same request again answers the booking it made
 * (`replayed`); another request with the key is refused. `madeElsewhere`: a booking a
 * booking tool already made (an inbound source), refused only where the resource is busy.
 */
export async function book(deps: BookingDeps, tenantId: string, request: BookingRequest, idempotencyKey: string | null = null, options: { madeElsewhere?: boolean } = {}): Promise<{ booking: Booking; replayed: boolean }> {
  const start = instant(request.start, 'start')!;
  const explicitEnd = instant(request.end, 'end');
  if (request.holdSeconds !== undefined && !(Number.isInteger(request.holdSeconds) && request.holdSeconds >= 1 && request.holdSeconds <= maxHoldSeconds)) {
    throw new CalsyncError('INVALID_REQUEST', `holdSeconds must be a whole number from 1 to ${maxHoldSeconds}`, { field: 'holdSeconds' });
  }
  const hash = idempotencyKey === null ? null : requestHash(request);
  const replay = async (db: Queryable): Promise<{ booking: Booking; replayed: boolean } | null> => {
    if (idempotencyKey === null) return null;
    const earlier = await bookingByIdempotencyKey(db, tenantId, idempotencyKey, nowOf(deps));
    if (earlier === null) return null;
    if (earlier.requestHash !== hash) throw new CalsyncError('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key ${JSON.stringify(idempotencyKey)} was used for booking ${earlier.id}, made by another request`, { bookingId: earlier.id });
    return { booking: earlier, replayed: true };
  };
  const earlier = await replay(deps.db);
  if (earlier) return earlier;
  // Before the lock: a slot another live booking holds is refused at once, so the losers
  // of a race for one slot do not queue behind the resource's lock (500 attempts at one
  // slot went from 69 to 446 a second with it on a loaded 2-core machine; bench/booking-contention.ts).
  // The decision itself is still made under the lock.
  const unlocked = await getResource(deps.db, tenantId, request.resourceId);
  const wanted = occupiedFor(unlocked, start, explicitEnd ?? start + unlocked.slotMinutes * MINUTE);
  if (wanted.end > wanted.start && ((await occupiedBy(deps.db, tenantId, [unlocked.id], wanted, nowOf(deps))).get(unlocked.id) ?? []).length > 0) {
    throw new CalsyncError('SLOT_TAKEN', 'another booking of the resource holds this time (with the buffers)', { resourceId: unlocked.id });
  }
  try {
    return await appTransaction(deps, async (tx) => {
      const now = nowOf(deps);
      const resource = await getResource(tx, tenantId, request.resourceId, { forUpdate: true });
      // A request with the same key that waited for the lock finds the first one's booking.
      const waited = await replay(tx);
      if (waited) return { result: waited, changed: [] };
      await expireHolds(tx, tenantId, resource.id, now);
      const end = explicitEnd ?? start + resource.slotMinutes * MINUTE;
      await checkFree(tx, resource, start, end, now, null, options.madeElsewhere === true);
      const changed: AppScope[] = [];
      let booking = await insertBooking(tx, tenantId, {
        resourceId: resource.id, start, end, occupied: occupiedFor(resource, start, end),
        status: request.holdSeconds === undefined ? 'confirmed' : 'held',
        holdExpiresAt: request.holdSeconds === undefined ? null : new Date(now.getTime() + request.holdSeconds * 1000),
        summary: request.summary ?? '', description: request.description ?? '', attendees: attendeesOf(request.attendees),
        idempotencyKey, requestHash: hash,
      }, now);
      if (booking.status === 'confirmed') booking = await writeEvent(tx, booking, resource, changed, now);
      else if (booking.holdExpiresAt) await queueHoldExpiry(tx, tenantId, resource.id, booking.id, booking.holdExpiresAt);
      return { result: { booking, replayed: false }, changed };
    });
  } catch (error) {
    // The same key used at once for another resource: the unique key settles it.
    if ((error as { code?: unknown }).code === '23505' && idempotencyKey !== null) {
      const settled = await replay(deps.db);
      if (settled) return settled;
    }
    throw slotTakenOnContention(error);
  }
}

/** Runs `decide` on a booking under its resource's lock. */
async function decide(deps: BookingDeps, tenantId: string, bookingId: string, decide: (tx: DbClient, booking: Booking, resource: Resource, now: Date, changed: AppScope[]) => Promise<Booking>): Promise<Booking> {
  const { resourceId } = await getBooking(deps.db, tenantId, bookingId, nowOf(deps));
  try {
    return await appTransaction(deps, async (tx) => {
      const now = nowOf(deps);
      const resource = await getResource(tx, tenantId, resourceId, { forUpdate: true });
      await expireHolds(tx, tenantId, resource.id, now);
      const booking = await lockBooking(tx, tenantId, bookingId, now);
      const changed: AppScope[] = [];
      return { result: await decide(tx, booking, resource, now, changed), changed };
    });
  } catch (error) {
    throw slotTakenOnContention(error);
  }
}

/** Marks the resource's holds past their time expired, under its lock (the job a hold queues for its end); a resource gone has none. */
export async function expireResourceHolds(deps: Pick<BookingDeps, 'db' | 'now'>, tenantId: string, resourceId: string): Promise<void> {
  await withTransaction(deps.db, async (tx) => {
    const resource = await getResource(tx, tenantId, resourceId, { forUpdate: true }).catch((error: unknown) => {
      if (error instanceof CalsyncError && error.code === 'NOT_FOUND') return null;
      throw error;
    });
    if (resource) await expireHolds(tx, tenantId, resource.id, nowOf(deps));
  });
}

const notLive = (booking: Booking): CalsyncError =>
  new CalsyncError('BOOKING_NOT_LIVE', `booking ${booking.id} is ${booking.status}`, { bookingId: booking.id, status: booking.status });

/** A held booking confirmed: its event is written. Confirming a confirmed one changes nothing. */
export function confirmBooking(deps: BookingDeps, tenantId: string, bookingId: string): Promise<Booking> {
  return decide(deps, tenantId, bookingId, async (tx, booking, resource, now, changed) => {
    if (booking.status === 'confirmed') return booking;
    if (booking.status !== 'held') throw notLive(booking);
    const confirmed = await updateBooking(tx, tenantId, booking.id, now, { status: 'confirmed' });
    return writeEvent(tx, confirmed, resource, changed, now);
  });
}

/** Cancels a booking and deletes its event; cancelling a cancelled or expired one changes nothing. */
export function cancelBooking(deps: BookingDeps, tenantId: string, bookingId: string): Promise<Booking> {
  return decide(deps, tenantId, bookingId, async (tx, booking, resource, now, changed) => {
    if (booking.status === 'cancelled' || booking.status === 'expired') return booking;
    await removeEvent(tx, booking, resource, changed);
    return updateBooking(tx, tenantId, booking.id, now, { status: 'cancelled', eventId: null });
  });
}

/** Moves a live booking to `start`–`end` (default: its length) if the resource takes that; its event moves with it. */
export function rescheduleBooking(deps: BookingDeps, tenantId: string, bookingId: string, to: { start: string; end?: string }): Promise<Booking> {
  const start = instant(to.start, 'start')!;
  const explicitEnd = instant(to.end, 'end');
  return decide(deps, tenantId, bookingId, async (tx, booking, resource, now, changed) => {
    if (booking.status !== 'held' && booking.status !== 'confirmed') throw notLive(booking);
    const end = explicitEnd ?? start + (booking.end - booking.start);
    if (start === booking.start && end === booking.end) return booking;
    await checkFree(tx, resource, start, end, now, booking.id);
    const moved = await updateBooking(tx, tenantId, booking.id, now, { start, end, occupied: occupiedFor(resource, start, end) });
    return moved.status === 'confirmed' ? writeEvent(tx, moved, resource, changed, now) : moved;
  });
}

export interface AvailabilityRequest {
  resourceIds: string[];
  /** `all`: every resource is free; `any`: at least one is. */
  mode: 'all' | 'any';
  timeMin: string;
  timeMax: string;
  /** Default: the (first) resource's slot length. */
  durationMinutes?: number;
  /** Default: the duration. */
  stepMinutes?: number;
}

export interface Availability {
  from: number;
  to: number;
  durationMinutes: number;
  slots: Array<{ start: number; end: number; resourceIds: string[] }>;
}

/** Free slots of the resources within `[timeMin, timeMax)`, from calsync's own store. */
export async function availability(deps: Pick<BookingDeps, 'db' | 'now'>, tenantId: string, request: AvailabilityRequest): Promise<Availability> {
  const from = instant(request.timeMin, 'timeMin')!;
  const to = instant(request.timeMax, 'timeMax')!;
  if (to <= from) throw new CalsyncError('TIME_RANGE_EMPTY', 'timeMax must be after timeMin.', { parameter: 'timeMax' });
  if (to - from > maxAvailabilityDays * 86_400_000) throw new CalsyncError('TIME_RANGE_TOO_LONG', `availability answers at most ${maxAvailabilityDays} days at once`, { parameter: 'timeMax' });
  const now = nowOf(deps);
  const ids = [...new Set(request.resourceIds.map((id) => id.toLowerCase()))];
  const resources: Resource[] = [];
  for (const id of ids) resources.push(await getResource(deps.db, tenantId, id));
  const durationMinutes = request.durationMinutes ?? resources[0]!.slotMinutes;
  const busyOf = async (resource: Resource): Promise<Period[]> => {
    // Buffers reach past the window: busy time there still keeps a slot inside it.
    return resourceBusy(deps.db, resource, occupiedFor(resource, from, to), now, null);
  };
  const withBusy = [];
  for (const resource of resources) withBusy.push({ id: resource.id, rules: resource, busy: await busyOf(resource) });
  const slots = sharedSlots(withBusy, request.mode, from, to, now.getTime(), { durationMinutes, stepMinutes: request.stepMinutes, limit: 5000 });
  return { from, to, durationMinutes, slots };
}

