// Bookings follow their events wherever they change: confirmed through the engine, a
// booking's event reaches a bound remote calendar; deleted or cancelled there (the
// customer cancels from the invite), the booking is cancelled and its time offered again;
// moved there to free time, the booking moves; moved onto another booking or onto an event
// of the resource's calendars (a recurring one's instance), it keeps its time and is
// flagged for a person.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { availability, book } from '../../src/engine/bookings.ts';
import { getBooking } from '../../src/store/bookings.ts';
import { withTransaction } from '../../src/store/db.ts';
import { createResource } from '../../src/store/resources.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { engineWorld } from '../helpers/engine.ts';
import { event, single } from '../helpers/events.ts';

let t: TestDatabase;
before(async () => { t = await freshDatabase(); });
after(async () => { await t.drop(); });

// A Monday one to two weeks ahead, within the default horizon.
const day = (() => {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + 7 + ((8 - d.getUTCDay()) % 7));
  return d.toISOString().slice(0, 10);
})();

async function setup(name: string) {
  const world = await engineWorld(t);
  const remote = await world.bind(name);
  const resource = await withTransaction(t.db, (tx) => createResource(tx, world.tenantId, { name: 'Room', timeZone: 'UTC', bookingCalendarId: world.calendarId, bufferAfterMinutes: 15 }));
  const deps = { db: t.db, debounceMs: 0 };
  const booked = async (hour: string) => (await book(deps, world.tenantId, { resourceId: resource.id, start: `${day}T${hour}:00:00Z`, end: `${day}T${hour}:30:00Z`, summary: `at ${hour}` })).booking;
  return { world, remote, resource, deps, booked };
}

const move = (remote: Awaited<ReturnType<typeof setup>>['remote'], summary: string, start: string, end: string) => {
  const item = remoteItem(remote, summary);
  const master = item.series.master!;
  remote.connector.userUpdate(remote.remoteCalendarId, item.remoteId, { ...item.series, master: { ...master, start: { ...master.start, local: `${day}T${start}:00` }, end: { ...master.end, local: `${day}T${end}:00` } } });
};

const remoteItem = (remote: Awaited<ReturnType<typeof setup>>['remote'], summary: string) =>
  remote.connector.liveItems(remote.remoteCalendarId).find((i) => i.series.master?.summary === summary)!;

test('a booking\'s event deleted or cancelled in a provider cancels the booking, and its time is offered again', async () => {
  const { world, remote, resource, deps, booked } = await setup('cancelled-there');
  const deleted = await booked('10');
  const cancelled = await booked('12');
  await world.pass(remote);
  assert.ok(remoteItem(remote, 'at 10') && remoteItem(remote, 'at 12'), 'both bookings reached the remote calendar');
  remote.connector.userDelete(remote.remoteCalendarId, remoteItem(remote, 'at 10').remoteId);
  const item = remoteItem(remote, 'at 12');
  remote.connector.userUpdate(remote.remoteCalendarId, item.remoteId, { ...item.series, master: { ...item.series.master!, status: 'cancelled' } });
  await world.pass(remote);
  for (const b of [deleted, cancelled]) {
    const now = await getBooking(t.db, world.tenantId, b.id, new Date());
    assert.deepEqual([now.status, now.eventId], ['cancelled', null], b.summary);
  }
  const slots = await availability(deps, world.tenantId, { resourceIds: [resource.id], mode: 'all', timeMin: `${day}T00:00:00Z`, timeMax: `${day}T23:00:00Z` });
  assert.ok(slots.slots.some((s) => new Date(s.start).toISOString() === `${day}T10:00:00.000Z`), 'the deleted booking\'s time is free again');
});

test('a booking\'s event moved in a provider moves the booking where the time is free, else flags it and keeps its time', async () => {
  const { world, remote, booked } = await setup('moved-there');
  const first = await booked('10');
  const second = await booked('14');
  await world.pass(remote);
  assert.equal(remoteItem(remote, 'at 10').series.master!.start.tz, 'UTC');
  move(remote, 'at 10', '11:00', '11:45');
  await world.pass(remote);
  const moved = await getBooking(t.db, world.tenantId, first.id, new Date());
  assert.deepEqual([new Date(moved.start).toISOString(), new Date(moved.end).toISOString(), moved.attention], [`${day}T11:00:00.000Z`, `${day}T11:45:00.000Z`, null]);
  assert.equal(moved.occupied.end - moved.end, 15 * 60_000, 'its buffer kept');
  // Onto the other booking (its buffer included): flagged, not moved.
  move(remote, 'at 14', '11:50', '12:20');
  await world.pass(remote);
  const flagged = await getBooking(t.db, world.tenantId, second.id, new Date());
  assert.equal(new Date(flagged.start).toISOString(), `${day}T14:00:00.000Z`);
  assert.match(flagged.attention ?? '', new RegExp(`booking ${first.id}`));
  assert.equal(flagged.status, 'confirmed');
});

test('a booking\'s event moved in a provider onto an event of the resource\'s calendars keeps its time and is flagged; onto a transparent one it moves', async () => {
  const { world, remote, booked } = await setup('moved-onto-events');
  const first = await booked('10');
  // A weekly series that began the Monday before, with an instance at 13:00, and a free hold at 15:00.
  const weekBefore = new Date(Date.parse(day) - 7 * 86_400_000).toISOString().slice(0, 10);
  await world.appWrite(null, single(event({
    uid: 'weekly@app', summary: 'Team meeting', start: { local: `${weekBefore}T13:00:00`, tz: 'UTC' }, end: { local: `${weekBefore}T14:00:00`, tz: 'UTC' },
    recurrence: { rrule: ['FREQ=WEEKLY;BYDAY=MO;COUNT=4'], rdate: [], exdate: [] },
  })));
  await world.appWrite(null, single(event({ uid: 'hold@app', summary: 'Hold', transparency: 'transparent', start: { local: `${day}T15:00:00`, tz: 'UTC' }, end: { local: `${day}T16:00:00`, tz: 'UTC' } })));
  await world.pass(remote);
  move(remote, 'at 10', '13:15', '13:45');
  await world.pass(remote);
  const flagged = await getBooking(t.db, world.tenantId, first.id, new Date());
  assert.deepEqual([new Date(flagged.start).toISOString(), flagged.status], [`${day}T10:00:00.000Z`, 'confirmed'], 'it keeps its time');
  assert.match(flagged.attention ?? '', /an event of its calendars is busy/);
  move(remote, 'at 10', '15:00', '15:30');
  await world.pass(remote);
  const moved = await getBooking(t.db, world.tenantId, first.id, new Date());
  assert.deepEqual([new Date(moved.start).toISOString(), moved.attention], [`${day}T15:00:00.000Z`, null], 'a transparent event is free time');
});
