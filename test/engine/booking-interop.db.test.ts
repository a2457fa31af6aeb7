// Bookings against real provider sides: a resource whose booking calendar is bound
// two-way to a calendar on the Google emulator, one on the Graph emulator and a Radicale
// collection, synced by workers through the queue (test/helpers/interop.ts), booked
// through the admin API. An event made at each provider (Graph's a weekly series) is busy
// after that binding's pass: its slot is not offered and booking it is 409 SLOT_TAKEN;
// deleted there, the slot is offered and booked again. Confirmed bookings reach every
// side. A booking's event deleted in Google cancels the booking, frees its slot and
// notifies the calendar's watch channel; moved in Graph to free time, the booking moves;
// moved in Radicale onto an event's time, the booking keeps its time and is flagged.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { eventTimeInstant } from '../../src/core/ical/index.ts';
import type { WatchDeliveryDeps } from '../../src/jobs/deliver-watch.ts';
import { urlGuard } from '../../src/main/connectors.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { createApiKey } from '../../src/store/tenants.ts';
import { appOn } from '../helpers/app.ts';
import { missingServer, otherClientCalendar, rawRequest, startCalDavServer, type CalDavServer } from '../helpers/caldav-servers.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { EMULATOR_CLIENT, listeningEmulator, type ListeningEmulator } from '../helpers/google-connector.ts';
import { withInterop, type InteropSide } from '../helpers/interop.ts';
import { googleSide, graphSide, radicaleSide } from '../helpers/interop-sides.ts';
import { GRAPH_CLIENT, listeningGraph, type ListeningGraph } from '../helpers/microsoft-connector.ts';
import { signatureVerifies, startReceiver, type Receiver } from '../helpers/webhook-receiver.ts';

const missing = missingServer('radicale');
const secrets = new Secrets(parseSecretKey(generateSecretKeyText()));
let t: TestDatabase;
let radicale: CalDavServer;
let app: FastifyInstance;
let google: ListeningEmulator;
let graph: ListeningGraph;
let receiver: Receiver;

before(async () => {
  if (missing) return;
  t = await freshDatabase();
  radicale = await startCalDavServer('radicale');
  app = await appOn(t, { secrets });
  google = await listeningEmulator({ timeZone: 'Europe/Berlin' });
  graph = await listeningGraph();
  receiver = await startReceiver();
});
after(async () => {
  await app?.close();
  await google?.close();
  await graph?.close();
  await receiver?.close();
  await radicale?.stop();
  await t?.drop();
});

// A Monday one to two weeks ahead (within the default horizon), and the Monday before it.
const dayOf = (weeksAhead: number) => {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + 7 * weeksAhead + ((8 - d.getUTCDay()) % 7));
  return d.toISOString().slice(0, 10);
};
const day = dayOf(1);
const weekBefore = dayOf(0);
const at = (hour: number) => `${day}T${String(hour).padStart(2, '0')}:00:00Z`;
const iso = (hour: number) => new Date(at(hour)).toISOString();
const icsTime = (hour: number) => `${at(hour).replace(/[-:]/g, '')}`;

type Json = any;

test('provider events are busy for bookings until deleted there; bookings reach Google, Graph and Radicale and follow their events there', { skip: missing ?? false, timeout: 240_000 }, async () => {
  const gmail = googleSide(google, 'google', 'Front desk');
  const outlook = graphSide(graph, 'graph');
  const dav = await radicaleSide(radicale);
  const delivery: WatchDeliveryDeps = {
    fetch: globalThis.fetch, secrets, now: () => new Date(), timeoutMs: 2000,
    webhooks: { guard: urlGuard({ allowPrivateUrls: true, allowedUrlHosts: [] }), allowHttp: true },
  };
  await withInterop({
    db: t.db, name: 'booking-interop', sides: [gmail, outlook, dav], userUrlFetch: dav.userUrlFetch, delivery,
    google: { ...EMULATOR_CLIENT, apiUrl: google.root, oauthUrl: google.root },
    microsoft: { ...GRAPH_CLIENT, graphUrl: `${graph.root}/v1.0`, authorityUrl: graph.root, tenant: undefined },
  }, async (world) => {
    const [googleBinding, graphBinding, davBinding] = world.bindings as [typeof world.bindings[0], typeof world.bindings[0], typeof world.bindings[0]];
    const { key } = await createApiKey(t.db, world.tenantId, 'bookings');
    const call = async (method: 'GET' | 'POST', url: string, body?: object): Promise<{ status: number; body: Json }> => {
      const response = await app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(body ? { payload: body } : {}) });
      return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : null };
    };
    const room = await call('POST', '/admin/v1/resources', { name: 'Room 1', timeZone: 'UTC', bookingCalendarId: world.calendarId, slotMinutes: 60 });
    assert.equal(room.status, 201, JSON.stringify(room.body));
    const offered = async (): Promise<string[]> => {
      const answer = await call('POST', `/admin/v1/resources/${room.body.id}/availability`, { timeMin: `${day}T00:00:00Z`, timeMax: `${day}T23:00:00Z` });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body.slots.map((s: Json) => s.start);
    };
    const book = (hour: number, summary: string) => call('POST', '/admin/v1/bookings', { resourceId: room.body.id, start: at(hour), end: at(hour + 1), summary });
    const bookingNow = async (id: string) => (await call('GET', `/admin/v1/bookings/${id}`)).body;
    const bookingsIn = async () => (await t.db.query(`select status from bookings where tenant_id = $1`, [world.tenantId])).rows.map((r) => r.status).sort();
    // Whether `hour`'s slot is busy: not offered, and booking it is refused and changes nothing.
    const busyAt = async (hour: number, why: string) => {
      assert.ok(!(await offered()).includes(iso(hour)), `${why}: ${iso(hour)} is not offered`);
      const before = await bookingsIn();
      const refused = await book(hour, 'Too late');
      assert.deepEqual([refused.status, refused.body.error?.calsync?.code], [409, 'SLOT_TAKEN'], `${why}: ${JSON.stringify(refused.body)}`);
      assert.deepEqual(await bookingsIn(), before, `${why}: the refusal stored nothing`);
    };
    const heldAt = async (side: InteropSide, summary: string) => {
      const found = (await side.held()).filter((h) => h.series.master?.summary === summary);
      assert.equal(found.length, 1, `${side.name} holds ${summary} once`);
      const master = found[0]!.series.master!;
      return { remoteId: found[0]!.remoteId, start: eventTimeInstant(master.start, 'UTC'), end: eventTimeInstant(master.end, 'UTC') };
    };
    const everySideHolds = async (summary: string, from: number, to: number) => {
      for (const side of [gmail, outlook, dav]) {
        const held = await heldAt(side, summary);
        assert.deepEqual([held.start, held.end].map((s) => new Date(s).toISOString()), [iso(from), iso(to)], `${side.name}: ${summary}`);
      }
    };
    await world.passes();
    assert.equal((await offered()).length, 8, 'a free working day has eight slots');

    // A watch channel on the booking calendar, as the app would open one.
    const watch = await call('POST', `/calendar/v3/calendars/${world.calendarId}/events/watch`, { id: 'front-desk', type: 'web_hook', address: `${receiver.url}/front-desk` });
    assert.equal(watch.status, 200, JSON.stringify(watch.body));

    // An event made at each provider is busy after that binding's pass. (Every pass that
    // writes the calendar queues the other bindings' passes, so the sides go one at a time.)
    const madeThenBusy = async (hour: number, binding: typeof googleBinding, why: string) => {
      assert.ok((await offered()).includes(iso(hour)), `${why}: offered until a pass brings it`);
      await world.passes([binding]);
      await busyAt(hour, why);
    };
    const dentist = google.app.emulator.insertEvent(gmail.calendar, { summary: 'Dentist', start: { dateTime: at(10) }, end: { dateTime: at(11) } });
    await madeThenBusy(10, googleBinding, 'a Google event');
    const planning = graph.app.emulator.insertEvent(outlook.calendar, {
      subject: 'Planning', start: { dateTime: `${weekBefore}T12:00:00`, timeZone: 'UTC' }, end: { dateTime: `${weekBefore}T13:00:00`, timeZone: 'UTC' },
      recurrence: { pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'], firstDayOfWeek: 'sunday' }, range: { type: 'numbered', startDate: weekBefore, numberOfOccurrences: 6, recurrenceTimeZone: 'UTC' } },
    });
    await madeThenBusy(12, graphBinding, 'an instance of a weekly Graph series');
    const inspection = `${dav.collection}inspection.ics`;
    assert.equal((await rawRequest(radicale, 'PUT', inspection, otherClientCalendar([
      'BEGIN:VEVENT', 'UID:inspection@radicale', 'DTSTAMP:20260101T000000Z', `DTSTART:${icsTime(14)}`, `DTEND:${icsTime(15)}`, 'SUMMARY:Inspection', 'END:VEVENT',
    ]))).status, 201);
    await madeThenBusy(14, davBinding, 'a Radicale event');
    await world.check(3);

    // Deleted at the provider: after that binding's pass the slot is offered and booked.
    const booked: Record<string, Json> = {};
    const freedAndBooked = async (hour: number, summary: string) => {
      assert.ok((await offered()).includes(iso(hour)), `${iso(hour)} is offered again`);
      const made = await book(hour, summary);
      assert.deepEqual([made.status, made.body.status], [201, 'confirmed'], JSON.stringify(made.body));
      booked[summary] = made.body;
    };
    google.app.emulator.deleteEvent(gmail.calendar, dentist.id!);
    await world.passes([googleBinding]);
    await freedAndBooked(10, 'Check-up');
    graph.app.emulator.deleteEvent(planning.id as string);
    await world.passes([graphBinding]);
    await freedAndBooked(12, 'Consultation');
    assert.ok([200, 204].includes((await rawRequest(radicale, 'DELETE', inspection)).status));
    await world.passes([davBinding]);
    await freedAndBooked(14, 'Follow-up');

    // Confirmed through the API: every side holds each booking's event, at its time.
    await world.quiet();
    await world.check(3);
    await everySideHolds('Check-up', 10, 11);
    await everySideHolds('Consultation', 12, 13);
    await everySideHolds('Follow-up', 14, 15);

    // Deleted in Google (the customer cancels from the invite): cancelled in calsync, the
    // slot offered, the event gone from the other sides, and the watch channel notified.
    const watchJobs = async () => Number((await t.db.query(`select count(*) as n from graphile_worker.jobs where task_identifier = 'deliver_watch'`)).rows[0].n);
    for (const deadline = Date.now() + 15_000; await watchJobs() > 0;) {
      assert.ok(Date.now() < deadline, 'earlier notifications went out');
      await new Promise((r) => setTimeout(r, 100));
    }
    const heard = receiver.received.length;
    assert.ok(heard > 0, 'the channel heard of the bookings');
    google.app.emulator.deleteEvent(gmail.calendar, (await heldAt(gmail, 'Check-up')).remoteId);
    await world.passes([googleBinding]);
    const cancelled = await bookingNow(booked['Check-up'].id);
    assert.deepEqual([cancelled.status, cancelled.eventId], ['cancelled', null]);
    assert.ok((await offered()).includes(iso(10)), 'the cancelled booking\'s slot is offered again');
    await world.check(2);
    for (const deadline = Date.now() + 15_000; receiver.received.length === heard;) {
      assert.ok(Date.now() < deadline, 'the watch channel was notified of the cancellation');
      await new Promise((r) => setTimeout(r, 100));
    }
    const notice = receiver.received[heard]!;
    assert.equal(notice.headers['x-goog-resource-state'], 'exists');
    assert.equal(notice.headers['x-goog-channel-id'], 'front-desk');
    assert.ok(signatureVerifies(notice, watch.body.calsync.signingSecret), 'signed with the channel\'s secret');

    // Moved in Graph to free time: the booking moves there; its old slot is offered again.
    graph.app.emulator.editEvent((await heldAt(outlook, 'Consultation')).remoteId, {
      start: { dateTime: `${day}T15:00:00`, timeZone: 'UTC' }, end: { dateTime: `${day}T16:00:00`, timeZone: 'UTC' },
    });
    await world.passes([graphBinding]);
    const moved = await bookingNow(booked['Consultation'].id);
    assert.deepEqual([moved.status, moved.start, moved.end, moved.attention], ['confirmed', iso(15), iso(16), null]);
    assert.ok((await offered()).includes(iso(12)), 'its old slot is offered again');
    await busyAt(15, 'the moved booking');
    await everySideHolds('Consultation', 15, 16);

    // Moved in Radicale onto a Google event's time: the booking keeps its time, flagged.
    google.app.emulator.insertEvent(gmail.calendar, { summary: 'Surgery', start: { dateTime: at(16) }, end: { dateTime: at(17) } });
    await world.passes([googleBinding]);
    await busyAt(16, 'a second Google event');
    const followUp = (await heldAt(dav, 'Follow-up')).remoteId;
    const { text } = await rawRequest(radicale, 'GET', followUp);
    const [head, vevent] = text.split('BEGIN:VEVENT');
    const movedText = `${head}BEGIN:VEVENT${vevent!.replace(/^DTSTART[;:].*$/m, `DTSTART:${icsTime(16)}`).replace(/^DTEND[;:].*$/m, `DTEND:${icsTime(17)}`)}`;
    assert.notEqual(movedText, text);
    assert.ok([200, 201, 204].includes((await rawRequest(radicale, 'PUT', followUp, movedText)).status));
    await world.passes([davBinding]);
    const flagged = await bookingNow(booked['Follow-up'].id);
    assert.deepEqual([flagged.status, flagged.start, flagged.end], ['confirmed', iso(14), iso(15)], 'it keeps its time');
    assert.match(flagged.attention ?? '', new RegExp(iso(16).replace(/[.]/g, '\\.')), 'a person is asked to look at it');
    await busyAt(14, 'the flagged booking\'s own time');
    await busyAt(16, 'the Google event the booking was moved onto');
    await world.quiet();
    await world.check(3);
  });
});
