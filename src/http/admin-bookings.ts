// Bookings of the key's tenant's resources (src/engine/bookings.ts): hold or confirm a
// slot, with an Idempotency-Key so a retried request books once; confirm a hold, cancel,
// move. A slot another booking or an event holds is 409 SLOT_TAKEN, also when a
// concurrent request won it; never a 5xx.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { book, cancelBooking, confirmBooking, rescheduleBooking, type BookingDeps, type BookingRequest } from '../engine/bookings.ts';
import { CalsyncError } from '../errors.ts';
import { bookingPosition, getBooking, listBookingChanges, listBookings, type Booking, type BookingStatus } from '../store/bookings.ts';
import { absentBodyIsEmpty, adminTags, decodePageToken, encodePageToken, errorAnswer, maxResults, nullableDate, nullableString, pageToken, uuidString } from './admin-schemas.ts';
import { tenantOf } from './auth.ts';
import { decodeBookingSyncToken, encodeBookingSyncToken } from './booking-sync-tokens.ts';
import { instantParam, pageOf } from './list-params.ts';
import { noParameters, pathParams } from './route-schemas.ts';
import type { TokenSigner } from './token-signing.ts';

export interface AdminBookingsDeps extends BookingDeps {
  tokens: TokenSigner;
  now: () => Date;
}

const booking = {
  type: 'object',
  properties: {
    id: { type: 'string' }, resourceId: { type: 'string' }, status: { type: 'string', enum: ['held', 'confirmed', 'cancelled', 'expired'] },
    start: { type: 'string', format: 'date-time' }, end: { type: 'string', format: 'date-time' },
    summary: { type: 'string' }, description: { type: 'string' },
    attendees: { type: 'array', items: { type: 'object', properties: { email: { type: 'string' }, name: nullableString } } },
    eventId: nullableString, holdExpiresAt: nullableDate, idempotencyKey: nullableString,
    createdAt: { type: 'string', format: 'date-time' }, confirmedAt: nullableDate, cancelledAt: nullableDate,
    attention: { ...nullableString, description: 'Why a person must look at it: its event was moved (in a provider, or through the events API) onto another booking\'s time or a busy event of the resource\'s calendars, so it kept its own.' },
  },
} as const;

const attendees = {
  type: 'array', maxItems: 100,
  items: { type: 'object', additionalProperties: false, required: ['email'], properties: { email: { type: 'string', minLength: 3, maxLength: 320, pattern: '^[^\\s@]+@[^\\s@]+$' }, name: { type: 'string', maxLength: 200 } } },
} as const;
const time = { type: 'string', maxLength: 64, description: 'RFC 3339 instant with an offset.' } as const;

const notFound = errorAnswer('No such booking for this tenant.');
const taken = errorAnswer('SLOT_TAKEN: the time is held by another booking or an event of the resource\'s calendars (buffers included), or a concurrent request took it; SLOT_UNAVAILABLE: outside working hours, notice or horizon; nothing was changed.');

const iso = (ms: number) => new Date(ms).toISOString();

export function bookingView(b: Booking): object {
  return {
    id: b.id, resourceId: b.resourceId, status: b.status, start: iso(b.start), end: iso(b.end), summary: b.summary, description: b.description,
    attendees: b.attendees, eventId: b.eventId, holdExpiresAt: b.holdExpiresAt?.toISOString() ?? null, idempotencyKey: b.idempotencyKey,
    createdAt: b.createdAt.toISOString(), confirmedAt: b.confirmedAt?.toISOString() ?? null, cancelledAt: b.cancelledAt?.toISOString() ?? null,
    attention: b.attention,
  };
}

/** The Idempotency-Key header: at most 255 printable ASCII characters; null when absent. */
function idempotencyKeyOf(request: FastifyRequest): string | null {
  const raw = request.headers['idempotency-key'];
  if (raw === undefined) return null;
  const key = Array.isArray(raw) ? raw[0] ?? '' : raw;
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) throw new CalsyncError('INVALID_REQUEST', 'Idempotency-Key must be 1 to 255 printable ASCII characters without spaces (a UUID is a good one)', { field: 'Idempotency-Key' });
  return key;
}

interface Cursor { start: number; id: string; p?: number }
const isCursor = (v: unknown): v is Cursor => typeof v === 'object' && v !== null && typeof (v as Cursor).start === 'number' && typeof (v as Cursor).id === 'string'
  && ((v as Cursor).p === undefined || Number.isSafeInteger((v as Cursor).p));

interface ChangeCursor { change: number; id: string; since: number }
const isChangeCursor = (v: unknown): v is ChangeCursor => typeof v === 'object' && v !== null && Number.isSafeInteger((v as ChangeCursor).change)
  && typeof (v as ChangeCursor).id === 'string' && /^[0-9a-f-]{36}$/.test((v as ChangeCursor).id) && Number.isSafeInteger((v as ChangeCursor).since);

// After every booking with the token's change number: those are what the token has seen.
const maxUuid = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

/** Bookings changed since the sync token's position, in change order, paged; the new token on the last page. */
async function listChanges(deps: AdminBookingsDeps, tenantId: string, q: { resourceId?: string; timeMin?: string; timeMax?: string; status?: string; pageToken?: string; syncToken?: string }, limit: number): Promise<object> {
  const restricted = (['timeMin', 'timeMax', 'status'] as const).find((name) => q[name] !== undefined);
  if (restricted) {
    throw new CalsyncError('INVALID_REQUEST', `syncToken cannot be combined with ${restricted}: a booking that changed out of it would go unseen; list with syncToken (and resourceId) alone`, { parameter: restricted });
  }
  const since = decodeBookingSyncToken(deps.tokens, tenantId, q.syncToken!);
  const cursor = decodePageToken(deps.tokens, 'booking changes', q.pageToken, isChangeCursor);
  if (cursor && cursor.since !== since) throw new CalsyncError('INVALID_REQUEST', 'pageToken belongs to a listing with another syncToken; repeat the query that returned it', { parameter: 'pageToken' });
  const { items, position } = await listBookingChanges(deps.db, tenantId, {
    resourceId: q.resourceId, after: cursor ? { change: cursor.change, id: cursor.id } : { change: since, id: maxUuid }, limit: limit + 1,
  }, deps.now());
  const { page, continueAfter } = pageOf(items, limit);
  return {
    items: page.map(bookingView),
    nextPageToken: continueAfter ? encodePageToken(deps.tokens, 'booking changes', { change: continueAfter.change, id: continueAfter.id, since }) : null,
    nextSyncToken: continueAfter ? null : encodeBookingSyncToken(deps.tokens, tenantId, Math.max(position, page.at(-1)?.change ?? since, since)),
  };
}

export function adminBookingRoutes(app: FastifyInstance, deps: AdminBookingsDeps): void {
  app.post<{ Body: BookingRequest }>('/admin/v1/bookings', {
    schema: {
      summary: 'Book a resource: hold a slot (holdSeconds) or confirm it at once; a confirmed booking becomes an event in the resource\'s booking calendar', tags: adminTags,
      description: 'Send an `Idempotency-Key` header (a UUID) so a retried request books once: the same key with the same request answers the booking it made (200); with another request it is refused (409 IDEMPOTENCY_KEY_REUSED).',
      querystring: noParameters,
      headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', maxLength: 255 } } },
      body: {
        type: 'object', additionalProperties: false, required: ['resourceId', 'start'],
        properties: {
          resourceId: uuidString, start: time, end: { ...time, description: 'Default: the resource\'s slot length after start.' },
          holdSeconds: { type: 'integer', minimum: 1, maximum: 86_400, description: 'Hold the slot this long; confirm it within that time. Absent: confirmed at once.' },
          summary: { type: 'string', maxLength: 1024 }, description: { type: 'string', maxLength: 8192 }, attendees,
        },
      },
      response: {
        201: booking, 200: booking, 400: errorAnswer('A malformed body or Idempotency-Key; nothing was changed.'), 404: errorAnswer('No such resource.'),
        409: errorAnswer('SLOT_TAKEN, SLOT_UNAVAILABLE or IDEMPOTENCY_KEY_REUSED; nothing was changed.'),
      },
    },
  }, async (request, reply) => {
    const { booking: made, replayed } = await book(deps, tenantOf(request), request.body, idempotencyKeyOf(request));
    return reply.code(replayed ? 200 : 201).send(bookingView(made));
  });

  app.get('/admin/v1/bookings', {
    schema: {
      summary: 'List bookings by start time, of one resource or all, overlapping a window; or, with a sync token, every booking changed since it was given', tags: adminTags,
      description: 'The last page of a listing carries `nextSyncToken`. Listed again with `syncToken`, it returns every booking changed since (cancelled and expired ones too, and those whose event was changed in a provider), in the order of their changes, paged, and a new `nextSyncToken` on its last page. A sync token can be combined with resourceId, not with timeMin, timeMax or status (a booking moving out of them would go unseen). Booking channels (POST /admin/v1/bookings/watch) say when to list.',
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          resourceId: uuidString, timeMin: time, timeMax: time, status: { type: 'string', enum: ['held', 'confirmed', 'cancelled', 'expired'] }, maxResults, pageToken,
          syncToken: { ...pageToken, description: 'The nextSyncToken of an earlier listing of this tenant.' },
        },
      },
      response: {
        200: { type: 'object', properties: { items: { type: 'array', items: booking }, nextPageToken: nullableString, nextSyncToken: nullableString } },
        400: errorAnswer('A parameter is invalid; BOOKING_SYNC_TOKEN_INVALID: the sync token is not one calsync gave this tenant.'),
      },
    },
  }, async (request) => {
    const q = request.query as { resourceId?: string; timeMin?: string; timeMax?: string; status?: BookingStatus; maxResults?: string; pageToken?: string; syncToken?: string };
    const tenantId = tenantOf(request);
    const limit = Number(q.maxResults ?? 100);
    if (q.syncToken !== undefined) return listChanges(deps, tenantId, q, limit);
    const after = decodePageToken(deps.tokens, 'bookings', q.pageToken, isCursor);
    // Read before the bookings: a change committed after it has a higher number, so the sync token misses nothing.
    const position = after?.p ?? await bookingPosition(deps.db, tenantId);
    const from = q.timeMin === undefined ? undefined : Date.parse(instantParam(q.timeMin, 'timeMin')!);
    const to = q.timeMax === undefined ? undefined : Date.parse(instantParam(q.timeMax, 'timeMax')!);
    const items = await listBookings(deps.db, tenantId, {
      resourceId: q.resourceId, from, to, status: q.status, limit: limit + 1, after: after ? { start: after.start, id: after.id } : undefined,
    }, deps.now());
    const { page, continueAfter } = pageOf(items, limit);
    return {
      items: page.map(bookingView),
      nextPageToken: continueAfter ? encodePageToken(deps.tokens, 'bookings', { start: continueAfter.start, id: continueAfter.id, p: position }) : null,
      nextSyncToken: continueAfter ? null : encodeBookingSyncToken(deps.tokens, tenantId, position),
    };
  });

  app.get<{ Params: { bookingId: string } }>('/admin/v1/bookings/:bookingId', {
    schema: { summary: 'One booking', tags: adminTags, params: pathParams('bookingId'), querystring: noParameters, response: { 200: booking, 404: notFound } },
  }, async (request) => bookingView(await getBooking(deps.db, tenantOf(request), request.params.bookingId, deps.now())));

  const empty = { type: 'object', additionalProperties: false, properties: {} } as const;

  app.post<{ Params: { bookingId: string } }>('/admin/v1/bookings/:bookingId/confirm', {
    preValidation: absentBodyIsEmpty,
    schema: {
      summary: 'Confirm a held booking before its hold expires: it becomes an event in the booking calendar (confirming a confirmed one changes nothing)', tags: adminTags,
      params: pathParams('bookingId'), querystring: noParameters, body: empty,
      response: { 200: booking, 404: notFound, 409: errorAnswer('The booking is cancelled or its hold expired (BOOKING_NOT_LIVE); nothing was changed.') },
    },
  }, async (request) => bookingView(await confirmBooking(deps, tenantOf(request), request.params.bookingId)));

  app.post<{ Params: { bookingId: string } }>('/admin/v1/bookings/:bookingId/cancel', {
    preValidation: absentBodyIsEmpty,
    schema: {
      summary: 'Cancel a booking: its time is free again and its event is deleted, in every bound calendar (cancelling it again changes nothing)', tags: adminTags,
      params: pathParams('bookingId'), querystring: noParameters, body: empty, response: { 200: booking, 404: notFound },
    },
  }, async (request) => bookingView(await cancelBooking(deps, tenantOf(request), request.params.bookingId)));

  app.post<{ Params: { bookingId: string }; Body: { start: string; end?: string } }>('/admin/v1/bookings/:bookingId/reschedule', {
    schema: {
      summary: 'Move a held or confirmed booking to a free time (default: the same length); its event moves with it', tags: adminTags,
      params: pathParams('bookingId'), querystring: noParameters,
      body: { type: 'object', additionalProperties: false, required: ['start'], properties: { start: time, end: time } },
      response: { 200: booking, 400: errorAnswer('A malformed time; nothing was changed.'), 404: notFound, 409: taken },
    },
  }, async (request) => bookingView(await rescheduleBooking(deps, tenantOf(request), request.params.bookingId, request.body)));
}
