// Maps one stored delivery of an inbound source onto the source's resource: a booking
// made (confirmed, with the invitee as attendee), moved (a reschedule: the booking it
// replaces is cancelled first) or cancelled, through the booking engine, so the database
// refuses an overlap as for any booking. The booking's idempotency key is the source's
// id of what was booked (`inbound:<source>:<key>`), so a create mapped twice books once.
//
// A refusal the sender cannot fix by retrying (SLOT_TAKEN, an unreadable time) marks the
// delivery `failed` with its code, for an operator to see; never an overlap. A cancel of
// something never booked marks it `ignored`, and is the record that keeps a create
// arriving after it from booking.
import { inboundEvent, type InboundAction } from '../core/inbound-payloads.ts';
import { CalsyncError } from '../errors.ts';
import { bookingByIdempotencyKey } from '../store/bookings.ts';
import { deliveryExists, finishDelivery, getDelivery, getInboundSource, type InboundSource } from '../store/inbound-sources.ts';
import { book, cancelBooking, type BookingDeps } from './bookings.ts';

type Outcome = Parameters<typeof finishDelivery>[3];

/** Codes of refusals that another attempt would meet again: the delivery fails for a person to see. */
const final = new Set(['SLOT_TAKEN', 'SLOT_UNAVAILABLE', 'VALUE_MALFORMED', 'INVALID_REQUEST', 'IDEMPOTENCY_KEY_REUSED', 'BOOKING_NOT_LIVE', 'NOT_FOUND']);

const bookingKey = (source: InboundSource, key: string): string => `inbound:${source.id}:${key}`;
const nowOf = (deps: BookingDeps): Date => deps.now?.() ?? new Date();

async function cancelByKey(deps: BookingDeps, source: InboundSource, key: string): Promise<string | null> {
  const booking = await bookingByIdempotencyKey(deps.db, source.tenantId, bookingKey(source, key), nowOf(deps));
  if (booking === null) return null;
  await cancelBooking(deps, source.tenantId, booking.id);
  return booking.id;
}

async function apply(deps: BookingDeps, source: InboundSource, action: InboundAction): Promise<Outcome> {
  if (action.action === 'cancel') {
    const cancelled = await cancelByKey(deps, source, action.key);
    return cancelled === null
      ? { state: 'ignored', error: 'nothing was booked for it: a booking of it arriving later is not made' }
      : { state: 'done', bookingId: cancelled };
  }
  if (await deliveryExists(deps.db, source.tenantId, source.id, action.cancelEventId)) {
    return { state: 'ignored', error: 'cancelled at the source before this booking arrived: not booked' };
  }
  // A reschedule: the old booking's time is free for the new one whichever arrives first.
  if (action.replaces !== null) await cancelByKey(deps, source, action.replaces);
  const { booking } = await book(deps, source.tenantId, {
    resourceId: source.resourceId, start: action.start, end: action.end, summary: action.summary, description: action.description, attendees: action.attendees,
  }, bookingKey(source, action.key), { madeElsewhere: true });
  return { state: 'done', bookingId: booking.id };
}

/** Maps a queued delivery; one mapped already is left alone (the job ran twice). */
export async function processDelivery(deps: BookingDeps, tenantId: string, deliveryId: string): Promise<void> {
  const found = await getDelivery(deps.db, tenantId, deliveryId);
  if (found === null || found.delivery.state !== 'queued') return;
  const source = await getInboundSource(deps.db, tenantId, found.delivery.sourceId);
  let outcome: Outcome;
  try {
    const { action } = inboundEvent(source.scheme, found.body);
    outcome = action === null ? { state: 'ignored', error: `calsync does not map ${found.delivery.kind}` } : await apply(deps, source, action);
  } catch (error) {
    // Anything else (the database) is thrown: the job is retried.
    if (!(error instanceof CalsyncError && final.has(error.code))) throw error;
    outcome = { state: 'failed', errorCode: error.code, error: error.message };
  }
  await finishDelivery(deps.db, tenantId, deliveryId, outcome, nowOf(deps));
}
