// Signed inbound sources on a real database: Calendly's documented payloads
// (test/fixtures/calendly), signed with a test key as Calendly signs them, create, move and
// cancel bookings through the queue's job; tampered, unsigned, wrongly keyed, replayed and
// out-of-window posts change nothing; the generic HMAC scheme; the admin routes refuse a
// bad configuration and store nothing; a sender that keeps failing is held off.
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { JobHelpers } from 'graphile-worker';
import { signWebhook } from '../../src/core/webhook-signature.ts';
import { processInboundJob } from '../../src/jobs/process-inbound.ts';
import type { TaskDeps } from '../../src/jobs/registry.ts';
import { appOn, tenantWithKey, type TestApp } from '../helpers/app.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { snapshot } from '../helpers/snapshot.ts';

let t: TestDatabase;
let app: FastifyInstance;
// Sunday 2026-03-01, 08:00 UTC: the fixtures' bookings are on Monday at 09:00.
let clock = Date.parse('2026-03-01T08:00:00Z');
const now = () => new Date(clock);
before(async () => {
  t = await freshDatabase();
  app = await appOn(t, { now });
});
after(async () => {
  await app.close();
  await t.drop();
});

type Json = any;
const fixture = (name: string): string => fs.readFileSync(path.resolve(import.meta.dirname, '../fixtures/calendly', name), 'utf8');
const calendlyKey = 'calendly-test-signing-key-0001';
const seconds = () => Math.floor(clock / 1000);

async function tenant(name: string) {
  const { auth, tenantId } = await tenantWithKey({ app, database: t, close: async () => {} } as TestApp, name);
  const call = async (method: string, url: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const response = await app.inject({ method: method as 'GET', url, headers: auth, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : null };
  };
  const work = (await call('POST', '/calendar/v3/calendars', { summary: 'Work', timeZone: 'Europe/Berlin' })).body.id as string;
  const resource = async () => (await call('POST', '/admin/v1/resources', { name: `Room ${randomUUID().slice(0, 4)}`, timeZone: 'Europe/Berlin', bookingCalendarId: work })).body.id as string;
  const calendly = async (resourceId: string) => {
    const made = await call('POST', '/admin/v1/inbound-sources', { scheme: 'calendly', resourceId, secret: calendlyKey, name: 'Calendly' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    return made.body;
  };
  return { call, tenantId, work, resource, calendly };
}

function post(sourceId: string, body: string, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: `/webhooks/in/${sourceId}`, headers: { 'content-type': 'application/json', ...headers }, payload: body });
}
const signed = (body: string, key = calendlyKey, at = seconds()) => ({ 'calendly-webhook-signature': signWebhook(key, at, body) });

/** Runs the queued mapping jobs, as a worker would, and removes them. */
async function runJobs(): Promise<number> {
  const { rows } = await t.db.query<{ id: string; payload: unknown }>(
    `select j.id, p.payload from graphile_worker.jobs j join graphile_worker._private_jobs p using (id) where j.task_identifier = 'process_inbound' order by j.id`);
  const deps = { db: t.db, engine: { debounceMs: 0, now } } as unknown as TaskDeps;
  for (const row of rows) {
    await processInboundJob.run(processInboundJob.parse(row.payload), deps, {} as JobHelpers);
    await t.db.query('delete from graphile_worker._private_jobs where id = $1', [row.id]);
  }
  return rows.length;
}

const bookingsOf = async (tenantId: string, resourceId: string) => (await t.db.query(
  `select status, lower(during) as start, upper(during) as end, summary, attendees, idempotency_key from bookings where tenant_id = $1 and resource_id = $2 order by lower(during), created_at`,
  [tenantId, resourceId])).rows;
const deliveriesOf = async (sourceId: string) => (await t.db.query(
  `select source_event_id, kind, state, error_code, booking_id from inbound_deliveries where source_id = $1 order by received_at, source_event_id`, [sourceId])).rows;

test('Calendly\'s invitee.created, signed with the signing key, books the resource once; invitee.canceled cancels it', async () => {
  const { call, tenantId, work, resource, calendly } = await tenant('calendly');
  const room = await resource();
  const source = await calendly(room);
  assert.equal(source.path, `/webhooks/in/${source.id}`);
  assert.equal(source.toleranceSeconds, 180);
  assert.equal(source.secret, null, 'a given secret is not echoed');

  const created = fixture('invitee_created.json');
  const answer = await post(source.id, created, signed(created));
  assert.equal(answer.statusCode, 202, answer.body);
  assert.deepEqual(await bookingsOf(tenantId, room), [], 'the post is only queued');
  assert.equal(await runJobs(), 1);
  const [booking] = await bookingsOf(tenantId, room);
  assert.equal(booking.status, 'confirmed');
  assert.deepEqual([booking.start.toISOString(), booking.end.toISOString(), booking.summary], ['2026-03-02T09:00:00.000Z', '2026-03-02T09:15:00.000Z', '15 Minute Meeting']);
  assert.deepEqual(booking.attendees, [{ email: 'test@example.com', name: 'John Doe' }]);
  const events = (await call('GET', `/calendar/v3/calendars/${work}/events`)).body.items;
  assert.deepEqual(events.map((e: Json) => [e.summary, e.start.dateTime]), [['15 Minute Meeting', '2026-03-02T10:00:00+01:00']]);
  const [delivery] = await deliveriesOf(source.id);
  assert.deepEqual([delivery.source_event_id, delivery.state], [`invitee.created:https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/BBBBBBBBBBBBBBBB`, 'done']);

  // Calendly retrying the same post, a minute later and signed again: stored already, nothing new.
  clock += 60_000;
  const before = await snapshot(t.db);
  const again = await post(source.id, created, signed(created));
  assert.deepEqual([again.statusCode, again.json()], [200, { stored: false }]);
  assert.deepEqual(await snapshot(t.db), before);

  const canceled = fixture('invitee_canceled.json');
  assert.equal((await post(source.id, canceled, signed(canceled))).statusCode, 202);
  await runJobs();
  assert.deepEqual((await bookingsOf(tenantId, room)).map((b) => b.status), ['cancelled']);
  assert.deepEqual((await call('GET', `/calendar/v3/calendars/${work}/events`)).body.items, [], 'its event is deleted');

  const listed = await call('GET', `/admin/v1/inbound-sources/${source.id}/deliveries`);
  assert.deepEqual(listed.body.items.map((d: Json) => [d.kind, d.state]), [['invitee.canceled', 'done'], ['invitee.created', 'done']]);
});

test('tampered, unsigned, wrongly keyed, replayed out of the window and unknown-source posts are 401 and change nothing', async () => {
  const { resource, calendly } = await tenant('forged');
  const source = await calendly(await resource());
  const body = fixture('invitee_created.json');
  const tampered = body.replace('2026-03-02T09:00:00.000000Z', '2026-03-02T07:00:00.000000Z');
  assert.notEqual(tampered, body);
  const header = signWebhook(calendlyKey, seconds(), body);
  const cases: Array<[string, string, string, Record<string, string>]> = [
    ['tampered body', source.id, tampered, { 'calendly-webhook-signature': header }],
    ['no signature', source.id, body, {}],
    ['empty signature', source.id, body, { 'calendly-webhook-signature': '' }],
    ['signature without a timestamp', source.id, body, { 'calendly-webhook-signature': header.replace(/^t=\d+,/, '') }],
    ['wrong key', source.id, body, signed(body, 'another-signing-key-of-someone')],
    ['signed 181 s ago (a replay)', source.id, body, signed(body, calendlyKey, seconds() - 181)],
    ['signed 181 s ahead', source.id, body, signed(body, calendlyKey, seconds() + 181)],
    ['unknown source', randomUUID(), body, signed(body)],
    ['an id that is no uuid', 'not-a-source', body, signed(body)],
  ];
  for (const [what, id, payload, headers] of cases) {
    const before = await snapshot(t.db);
    const answer = await post(id, payload, headers);
    assert.equal(answer.statusCode, 401, `${what}: ${answer.body}`);
    assert.equal(answer.json().error.calsync.code, 'INBOUND_SIGNATURE_INVALID', what);
    assert.deepEqual(await snapshot(t.db), before, `${what} changed something`);
  }
  // Inside the window, from the edge: accepted.
  assert.equal((await post(source.id, body, signed(body, calendlyKey, seconds() - 180))).statusCode, 202);
  assert.equal((await deliveriesOf(source.id)).length, 1);
  await runJobs();
});

test('a Calendly reschedule moves the booking onto an overlapping time, whichever of its two posts comes first', async () => {
  const { tenantId, resource, calendly } = await tenant('reschedule');
  const room = await resource();
  const source = await calendly(room);
  const created = fixture('invitee_created.json');
  await post(source.id, created, signed(created));
  await runJobs();
  // The new invitee's post first: the old booking is cancelled so 09:05 is free.
  const moved = fixture('invitee_created_rescheduled.json');
  assert.equal((await post(source.id, moved, signed(moved))).statusCode, 202);
  await runJobs();
  const oldCanceled = fixture('invitee_canceled_rescheduled.json');
  assert.equal((await post(source.id, oldCanceled, signed(oldCanceled))).statusCode, 202);
  await runJobs();
  const rows = await bookingsOf(tenantId, room);
  assert.deepEqual(rows.map((b) => [b.status, b.start.toISOString()]), [['cancelled', '2026-03-02T09:00:00.000Z'], ['confirmed', '2026-03-02T09:05:00.000Z']]);
  assert.deepEqual((await deliveriesOf(source.id)).map((d) => d.state), ['done', 'done', 'done']);
});

test('a cancel that arrives before its create keeps the create from booking; a taken slot fails the delivery with SLOT_TAKEN, never an overlap', async () => {
  const { call, tenantId, resource, calendly } = await tenant('order');
  const first = await resource();
  const early = await calendly(first);
  const canceled = fixture('invitee_canceled.json');
  const created = fixture('invitee_created.json');
  assert.equal((await post(early.id, canceled, signed(canceled))).statusCode, 202);
  assert.equal((await post(early.id, created, signed(created))).statusCode, 202);
  await runJobs();
  assert.deepEqual(await bookingsOf(tenantId, first), []);
  assert.deepEqual((await deliveriesOf(early.id)).map((d) => [d.kind, d.state]).sort(), [['invitee.canceled', 'ignored'], ['invitee.created', 'ignored']]);

  const busy = await resource();
  const taken = await call('POST', '/admin/v1/bookings', { resourceId: busy, start: '2026-03-02T09:10:00Z', end: '2026-03-02T09:40:00Z' });
  assert.equal(taken.status, 201, JSON.stringify(taken.body));
  const source = await calendly(busy);
  assert.equal((await post(source.id, created, signed(created))).statusCode, 202);
  await runJobs();
  assert.deepEqual((await bookingsOf(tenantId, busy)).map((b) => [b.status, b.start.toISOString()]), [['confirmed', '2026-03-02T09:10:00.000Z']]);
  const [failed] = (await call('GET', `/admin/v1/inbound-sources/${source.id}/deliveries?state=failed`)).body.items;
  assert.deepEqual([failed.kind, failed.state, failed.errorCode, failed.bookingId], ['invitee.created', 'failed', 'SLOT_TAKEN', null]);
});

test('an authentic post calsync cannot read is 400, one it does not map is 200; neither stores anything', async () => {
  const { resource, calendly } = await tenant('unmapped');
  const source = await calendly(await resource());
  for (const [body, status] of [['not json', 400], ['{"event":"invitee.created","payload":{}}', 400], [fixture('invitee_no_show_created.json'), 200]] as const) {
    const before = await snapshot(t.db);
    const answer = await post(source.id, body, signed(body));
    assert.equal(answer.statusCode, status, answer.body);
    if (status === 400) assert.equal(answer.json().error.calsync.code, 'INBOUND_PAYLOAD_INVALID');
    assert.deepEqual(await snapshot(t.db), before, body);
  }
});

test('the generic HMAC scheme: a generated secret, a configured header, base64 digest and a timestamp window', async () => {
  const { call, tenantId, resource } = await tenant('generic');
  const room = await resource();
  const made = await call('POST', '/admin/v1/inbound-sources', { scheme: 'hmac', resourceId: room, signatureHeader: 'X-Desk-Signature', timestampHeader: 'X-Desk-Time', digestEncoding: 'base64', toleranceSeconds: 60 });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const secret = made.body.secret as string;
  assert.match(secret, /^[0-9a-f]{64}$/);
  const sign = (body: string, at = seconds(), key = secret) => ({
    'x-desk-signature': `sha256=${createHmac('sha256', key).update(`${at}.${body}`).digest('base64')}`, 'x-desk-time': String(at),
  });
  const book = JSON.stringify({ id: 'desk-42', action: 'book', start: '2026-03-02T13:00:00+01:00', end: '2026-03-02T13:30:00+01:00', summary: 'Support call', attendees: [{ email: 'cus@example.com' }] });
  for (const [what, headers] of [['wrong key', sign(book, seconds(), 'x'.repeat(64))], ['61 s old', sign(book, seconds() - 61)], ['no timestamp', { 'x-desk-signature': sign(book)['x-desk-signature'] }]] as const) {
    const before = await snapshot(t.db);
    assert.equal((await post(made.body.id, book, headers)).statusCode, 401, what);
    assert.deepEqual(await snapshot(t.db), before, what);
  }
  assert.equal((await post(made.body.id, book, sign(book))).statusCode, 202);
  await runJobs();
  assert.deepEqual((await bookingsOf(tenantId, room)).map((b) => [b.status, b.start.toISOString(), b.summary, b.attendees[0].email]), [['confirmed', '2026-03-02T12:00:00.000Z', 'Support call', 'cus@example.com']]);
  const cancel = JSON.stringify({ id: 'desk-42', action: 'cancel' });
  assert.equal((await post(made.body.id, cancel, sign(cancel))).statusCode, 202);
  await runJobs();
  assert.deepEqual((await bookingsOf(tenantId, room)).map((b) => b.status), ['cancelled']);

  // Without a timestamp header: the body alone is signed, hex by default.
  const plain = await call('POST', '/admin/v1/inbound-sources', { scheme: 'hmac', resourceId: room, secret: 'a-secret-of-the-operator' });
  assert.deepEqual([plain.body.signatureHeader, plain.body.digestEncoding, plain.body.toleranceSeconds, plain.body.secret], ['x-signature', 'hex', null, null]);
  const other = JSON.stringify({ id: 'desk-43', action: 'book', start: '2026-03-02T14:00:00Z', end: '2026-03-02T14:30:00Z' });
  const hex = createHmac('sha256', 'a-secret-of-the-operator').update(other).digest('hex');
  assert.equal((await post(plain.body.id, other, { 'x-signature': hex.replace(/^./, (c) => (c === '0' ? '1' : '0')) })).statusCode, 401);
  assert.equal((await post(plain.body.id, other, { 'x-signature': hex })).statusCode, 202);
  await runJobs();
  assert.equal((await bookingsOf(tenantId, room)).filter((b) => b.status === 'confirmed').length, 1);
});

test('a bad configuration is a clear 400 (an unknown resource 404) and stores nothing; a deleted source refuses posts', async () => {
  const { call, resource, calendly } = await tenant('config');
  const room = await resource();
  const cases: Array<[object, number, string]> = [
    [{ scheme: 'calendly', resourceId: room }, 400, 'secret'],
    [{ scheme: 'calendly', resourceId: room, secret: calendlyKey, signatureHeader: 'X-Other' }, 400, 'signatureHeader'],
    [{ scheme: 'hmac', resourceId: room, toleranceSeconds: 60 }, 400, 'toleranceSeconds'],
    [{ scheme: 'hmac', resourceId: room, signatureHeader: 'Bad Header' }, 400, 'signatureHeader'],
    [{ scheme: 'hmac', resourceId: room, secret: 'short' }, 400, 'secret'],
    [{ scheme: 'stripe', resourceId: room }, 400, 'scheme'],
    [{ scheme: 'hmac', resourceId: room, digestEncoding: 'base32' }, 400, 'digestEncoding'],
    [{ scheme: 'hmac', resourceId: randomUUID() }, 404, 'resource'],
  ];
  for (const [body, status, names] of cases) {
    const before = await snapshot(t.db);
    const answer = await call('POST', '/admin/v1/inbound-sources', body);
    assert.equal(answer.status, status, JSON.stringify(body));
    assert.match(answer.body.error.message, new RegExp(names), JSON.stringify(answer.body));
    assert.deepEqual(await snapshot(t.db), before, JSON.stringify(body));
  }
  const source = await calendly(room);
  assert.deepEqual((await call('GET', '/admin/v1/inbound-sources')).body.items.map((s: Json) => s.id), [source.id]);
  assert.equal((await call('DELETE', `/admin/v1/inbound-sources/${source.id}`)).status, 204);
  assert.equal((await call('GET', `/admin/v1/inbound-sources/${source.id}`)).status, 404);
  const body = fixture('invitee_created.json');
  assert.equal((await post(source.id, body, signed(body))).statusCode, 401);
});

test('a sender that keeps failing is held off with 429 before any lookup, and let in again once its bucket refills', async () => {
  const { resource, calendly } = await tenant('flood');
  const source = await calendly(await resource());
  const body = fixture('invitee_created.json');
  // The failures of the tests before are forgotten: the bucket is full again.
  clock += 10_000;
  let refused = 0;
  for (let i = 0; i < 50; i++) refused += (await post(randomUUID(), body, signed(body))).statusCode === 401 ? 1 : 0;
  assert.equal(refused, 50);
  const held = await post(source.id, body, signed(body));
  assert.deepEqual([held.statusCode, held.headers['retry-after']], [429, '1']);
  assert.equal((await deliveriesOf(source.id)).length, 0);
  clock += 1000;
  assert.equal((await post(source.id, body, signed(body))).statusCode, 202);
});
