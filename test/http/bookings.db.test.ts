// Resources, availability and bookings through the admin API on a real database: busy
// time from the resource's calendars (single, recurring, cancelled, transparent and
// declined events), holds that expire, idempotent retries, confirm, cancel and move with
// the booking's event in the booking calendar, and refusals that change nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { appOn, tenantWithKey, type TestApp } from '../helpers/app.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

let t: TestDatabase;
let app: FastifyInstance;
// Sunday 2026-03-01, 08:00 UTC; tests move it.
let clock = Date.parse('2026-03-01T08:00:00Z');
before(async () => {
  t = await freshDatabase();
  app = await appOn(t, { now: () => new Date(clock) });
});
after(async () => {
  await app.close();
  await t.drop();
});

type Json = any;
async function tenant(name: string) {
  const { auth, tenantId } = await tenantWithKey({ app, database: t, close: async () => {} } as TestApp, name);
  const call = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> => {
    const response = await app.inject({ method: method as 'GET', url, headers: { ...auth, ...headers }, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : null };
  };
  const calendar = async (summary: string) => (await call('POST', '/calendar/v3/calendars', { summary, timeZone: 'Europe/Berlin' })).body.id as string;
  return { call, calendar, tenantId };
}

const monday = { timeMin: '2026-03-02T00:00:00Z', timeMax: '2026-03-03T00:00:00Z' };
const starts = (answer: Json) => answer.slots.map((s: Json) => s.start);
const bookingsIn = async (tenantId: string) => (await t.db.query(`select status, lower(during) as start from bookings where tenant_id = $1 order by 2`, [tenantId])).rows;

test('availability leaves out busy events of every calendar of the resource, and not free ones', async () => {
  const { call, calendar } = await tenant('availability');
  const work = await calendar('Work');
  const personal = await calendar('Personal');
  const resource = await call('POST', '/admin/v1/resources', {
    name: 'Dr. Ada', timeZone: 'Europe/Berlin', email: 'ada@clinic.example', bookingCalendarId: work, busyCalendarIds: [personal], slotMinutes: 60,
  });
  assert.equal(resource.status, 201, JSON.stringify(resource.body));
  assert.deepEqual(resource.body.busyCalendarIds.sort(), [work, personal].sort());
  const event = (calendarId: string, body: object) => call('POST', `/calendar/v3/calendars/${calendarId}/events`, body);
  // Busy: 10:00 Berlin in Work; a daily 14:00 series in Personal whose Monday instance stays.
  assert.equal((await event(work, { summary: 'Surgery', start: { dateTime: '2026-03-02T10:00:00+01:00' }, end: { dateTime: '2026-03-02T11:00:00+01:00' } })).status, 200);
  const series = await event(personal, {
    summary: 'School run', start: { dateTime: '2026-02-23T14:00:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2026-02-23T15:00:00', timeZone: 'Europe/Berlin' },
    recurrence: ['RRULE:FREQ=DAILY;COUNT=20'],
  });
  assert.equal(series.status, 200, JSON.stringify(series.body));
  // Free: transparent, cancelled, and one the resource declined.
  await event(work, { summary: 'Hold', transparency: 'transparent', start: { dateTime: '2026-03-02T12:00:00+01:00' }, end: { dateTime: '2026-03-02T13:00:00+01:00' } });
  await event(work, {
    summary: 'Declined', attendees: [{ email: 'ada@clinic.example', responseStatus: 'declined' }],
    start: { dateTime: '2026-03-02T15:00:00+01:00' }, end: { dateTime: '2026-03-02T16:00:00+01:00' },
  });
  const answer = await call('POST', `/admin/v1/resources/${resource.body.id}/availability`, monday);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.deepEqual(starts(answer.body), [
    '2026-03-02T08:00:00.000Z', '2026-03-02T10:00:00.000Z', '2026-03-02T11:00:00.000Z', '2026-03-02T12:00:00.000Z', '2026-03-02T14:00:00.000Z', '2026-03-02T15:00:00.000Z',
  ]);
  // The series' Monday instance cancelled: 14:00 Berlin is free again.
  const instances = await call('GET', `/calendar/v3/calendars/${personal}/events/${series.body.id}/instances?timeMin=2026-03-02T00:00:00Z&timeMax=2026-03-03T00:00:00Z`);
  const mondayInstance = instances.body.items[0];
  assert.equal((await call('DELETE', `/calendar/v3/calendars/${personal}/events/${mondayInstance.id}`)).status, 204);
  assert.ok(starts((await call('POST', `/admin/v1/resources/${resource.body.id}/availability`, monday)).body).includes('2026-03-02T13:00:00.000Z'));
  // Booking a busy time is refused; the event deleted, it can be booked.
  const busySlot = { resourceId: resource.body.id, start: '2026-03-02T10:00:00+01:00' };
  const refused = await call('POST', '/admin/v1/bookings', busySlot);
  assert.equal(refused.status, 409);
  assert.equal(refused.body.error.calsync.code, 'SLOT_TAKEN');
});

test('a confirmed booking is an event in the booking calendar; the slot is taken; cancelling frees it and deletes the event', async () => {
  const { call, calendar, tenantId } = await tenant('book');
  const work = await calendar('Work');
  const room = (await call('POST', '/admin/v1/resources', { name: 'Room 1', timeZone: 'Europe/Berlin', bookingCalendarId: work, bufferAfterMinutes: 15 })).body;
  const made = await call('POST', '/admin/v1/bookings', {
    resourceId: room.id, start: '2026-03-02T09:00:00+01:00', end: '2026-03-02T10:00:00+01:00', summary: 'Check-up', attendees: [{ email: 'Pat@Example.com', name: 'Pat' }],
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  assert.equal(made.body.status, 'confirmed');
  const events = (await call('GET', `/calendar/v3/calendars/${work}/events`)).body.items;
  assert.equal(events.length, 1);
  assert.deepEqual([events[0].summary, events[0].start.dateTime, events[0].attendees[0].email], ['Check-up', '2026-03-02T09:00:00+01:00', 'pat@example.com']);
  // The 15 minutes after it are the buffer: 10:00 is not offered, 10:30 is.
  const slots = starts((await call('POST', `/admin/v1/resources/${room.id}/availability`, monday)).body);
  assert.ok(!slots.includes('2026-03-02T08:00:00.000Z') && !slots.includes('2026-03-02T09:00:00.000Z') && slots.includes('2026-03-02T09:30:00.000Z'), slots.join(' '));
  const clash = await call('POST', '/admin/v1/bookings', { resourceId: room.id, start: '2026-03-02T10:00:00+01:00' });
  assert.deepEqual([clash.status, clash.body.error.calsync.code], [409, 'SLOT_TAKEN']);
  const cancelled = await call('POST', `/admin/v1/bookings/${made.body.id}/cancel`);
  assert.deepEqual([cancelled.status, cancelled.body.status, cancelled.body.eventId], [200, 'cancelled', null]);
  assert.deepEqual((await call('GET', `/calendar/v3/calendars/${work}/events`)).body.items, []);
  assert.ok(starts((await call('POST', `/admin/v1/resources/${room.id}/availability`, monday)).body).includes('2026-03-02T08:00:00.000Z'));
  assert.equal((await call('POST', `/admin/v1/bookings/${made.body.id}/cancel`)).body.status, 'cancelled', 'cancelling again changes nothing');
  assert.deepEqual((await bookingsIn(tenantId)).map((r) => r.status), ['cancelled']);
});

test('an Idempotency-Key books once: the same request answers the same booking, another request with it is refused', async () => {
  const { call, tenantId } = await tenant('idempotent');
  const room = (await call('POST', '/admin/v1/resources', { name: 'Room', timeZone: 'Europe/Berlin' })).body;
  const request = { resourceId: room.id, start: '2026-03-03T11:00:00+01:00', summary: 'Demo' };
  const key = { 'idempotency-key': 'c0ffee00-0000-4000-8000-000000000001' };
  const first = await call('POST', '/admin/v1/bookings', request, key);
  const again = await call('POST', '/admin/v1/bookings', request, key);
  assert.deepEqual([first.status, again.status, again.body.id], [201, 200, first.body.id]);
  const other = await call('POST', '/admin/v1/bookings', { ...request, start: '2026-03-03T13:00:00+01:00' }, key);
  assert.deepEqual([other.status, other.body.error.calsync.code], [409, 'IDEMPOTENCY_KEY_REUSED']);
  assert.equal((await bookingsIn(tenantId)).length, 1);
  const badKey = await call('POST', '/admin/v1/bookings', request, { 'idempotency-key': 'has space' });
  assert.equal(badKey.status, 400);
});

test('a hold blocks its slot until it expires; an expired hold cannot be confirmed and its slot is bookable', async () => {
  const { call } = await tenant('holds');
  const room = (await call('POST', '/admin/v1/resources', { name: 'Room', timeZone: 'Europe/Berlin' })).body;
  const slot = { resourceId: room.id, start: '2026-03-04T09:00:00+01:00' };
  const held = await call('POST', '/admin/v1/bookings', { ...slot, holdSeconds: 600 });
  assert.deepEqual([held.status, held.body.status, held.body.eventId], [201, 'held', null]);
  assert.equal((await call('POST', '/admin/v1/bookings', slot)).status, 409);
  clock += 601_000;
  try {
    const read = await call('GET', `/admin/v1/bookings/${held.body.id}`);
    assert.equal(read.body.status, 'expired');
    const late = await call('POST', `/admin/v1/bookings/${held.body.id}/confirm`);
    assert.deepEqual([late.status, late.body.error.calsync.code], [409, 'BOOKING_NOT_LIVE']);
    const taken = await call('POST', '/admin/v1/bookings', { ...slot, holdSeconds: 600 });
    assert.equal(taken.status, 201, JSON.stringify(taken.body));
    const confirmed = await call('POST', `/admin/v1/bookings/${taken.body.id}/confirm`);
    assert.deepEqual([confirmed.status, confirmed.body.status], [200, 'confirmed']);
  } finally {
    clock -= 601_000;
  }
});

test('moving a booking moves its event; a move onto busy time is refused and changes nothing', async () => {
  const { call, calendar } = await tenant('move');
  const work = await calendar('Work');
  const room = (await call('POST', '/admin/v1/resources', { name: 'Room', timeZone: 'Europe/Berlin', bookingCalendarId: work })).body;
  const a = (await call('POST', '/admin/v1/bookings', { resourceId: room.id, start: '2026-03-05T09:00:00+01:00' })).body;
  const b = (await call('POST', '/admin/v1/bookings', { resourceId: room.id, start: '2026-03-05T11:00:00+01:00' })).body;
  // Half an hour later overlaps a's own old time only: allowed.
  const moved = await call('POST', `/admin/v1/bookings/${a.id}/reschedule`, { start: '2026-03-05T09:15:00+01:00' });
  assert.deepEqual([moved.status, moved.body.start, moved.body.end], [200, '2026-03-05T08:15:00.000Z', '2026-03-05T08:45:00.000Z']);
  const event = (await call('GET', `/calendar/v3/calendars/${work}/events`)).body.items.find((e: Json) => e.id === a.eventId || e.start.dateTime.startsWith('2026-03-05T09:15'));
  assert.equal(event.start.dateTime, '2026-03-05T09:15:00+01:00');
  const onto = await call('POST', `/admin/v1/bookings/${a.id}/reschedule`, { start: '2026-03-05T11:00:00+01:00' });
  assert.deepEqual([onto.status, onto.body.error.calsync.code], [409, 'SLOT_TAKEN']);
  assert.equal((await call('GET', `/admin/v1/bookings/${a.id}`)).body.start, '2026-03-05T08:15:00.000Z');
  assert.equal((await call('GET', `/admin/v1/bookings/${b.id}`)).body.status, 'confirmed');
});

test('refusals change nothing: bad times, outside hours, unknown resources and calendars, malformed rules', async () => {
  const { call, tenantId } = await tenant('refusals');
  const other = await tenant('other');
  const foreign = await other.calendar('Not yours');
  for (const [body, status] of [
    [{ name: 'X', timeZone: 'Mars/Olympus' }, 400], [{ name: 'X', workingHours: { monday: [['17:00', '09:00']] } }, 400], [{ name: 'X', busyCalendarIds: [foreign] }, 404],
    [{ name: 'X', slotMinutes: 1 }, 400], [{ name: '' }, 400], [{ name: 'X', email: 'not an address' }, 400],
  ] as const) {
    const refused = await call('POST', '/admin/v1/resources', body);
    assert.equal(refused.status, status, JSON.stringify([body, refused.body]));
  }
  assert.deepEqual((await call('GET', '/admin/v1/resources')).body.items, []);
  const room = (await call('POST', '/admin/v1/resources', { name: 'Room', timeZone: 'Europe/Berlin' })).body;
  const cases: Array<[object, number, string]> = [
    [{ resourceId: room.id, start: '2026-03-02T18:00:00+01:00' }, 409, 'SLOT_UNAVAILABLE'],
    [{ resourceId: room.id, start: '2026-03-07T10:00:00+01:00' }, 409, 'SLOT_UNAVAILABLE'],
    [{ resourceId: room.id, start: '2026-02-31T10:00:00+01:00' }, 400, 'VALUE_MALFORMED'],
    [{ resourceId: room.id, start: '2026-03-02T10:00:00' }, 400, 'VALUE_MALFORMED'],
    [{ resourceId: room.id, start: '2026-03-02T10:00:00+01:00', end: '2026-03-02T09:00:00+01:00' }, 400, 'INVALID_REQUEST'],
    [{ resourceId: '00000000-0000-4000-8000-000000000000', start: '2026-03-02T10:00:00+01:00' }, 404, 'NOT_FOUND'],
    [{ resourceId: room.id, start: '2026-03-02T10:00:00+01:00', holdSeconds: 0 }, 400, 'INVALID_REQUEST'],
  ];
  for (const [body, status, code] of cases) {
    const refused = await call('POST', '/admin/v1/bookings', body);
    assert.deepEqual([refused.status, refused.body.error.calsync.code], [status, code], JSON.stringify(body));
  }
  assert.equal((await call('POST', '/admin/v1/availability', { resourceIds: [room.id], timeMin: '2026-03-02T00:00:00Z', timeMax: '2026-07-02T00:00:00Z' })).status, 400);
  assert.equal((await other.call('GET', `/admin/v1/resources/${room.id}`)).status, 404, 'another tenant does not see it');
  assert.deepEqual(await bookingsIn(tenantId), []);
  // A resource with bookings to come is not deleted.
  const kept = await call('POST', '/admin/v1/bookings', { resourceId: room.id, start: '2026-03-02T10:00:00+01:00' });
  assert.equal(kept.status, 201);
  const deleting = await call('DELETE', `/admin/v1/resources/${room.id}`);
  assert.deepEqual([deleting.status, deleting.body.error.calsync.code], [409, 'RESOURCE_IN_USE']);
  await call('POST', `/admin/v1/bookings/${kept.body.id}/cancel`);
  assert.equal((await call('DELETE', `/admin/v1/resources/${room.id}`)).status, 204);
});

test('several resources: slots where all are free, and where any is, naming them', async () => {
  const { call } = await tenant('shared');
  const a = (await call('POST', '/admin/v1/resources', { name: 'A', timeZone: 'Europe/Berlin', slotMinutes: 60 })).body;
  const b = (await call('POST', '/admin/v1/resources', { name: 'B', timeZone: 'Europe/Berlin', slotMinutes: 60, workingHours: { monday: [['09:00', '11:00']] } })).body;
  assert.equal((await call('POST', '/admin/v1/bookings', { resourceId: a.id, start: '2026-03-02T09:00:00+01:00' })).status, 201);
  const all = await call('POST', '/admin/v1/availability', { resourceIds: [a.id, b.id], mode: 'all', ...monday });
  assert.deepEqual(starts(all.body), ['2026-03-02T09:00:00.000Z']);
  const any = await call('POST', '/admin/v1/availability', { resourceIds: [a.id, b.id], mode: 'any', ...monday });
  assert.deepEqual(any.body.slots[0], { start: '2026-03-02T08:00:00.000Z', end: '2026-03-02T09:00:00.000Z', resourceIds: [b.id] });
});
