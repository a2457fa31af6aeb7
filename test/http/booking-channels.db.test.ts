// The app hears of every booking change: a booking channel gets `sync`, then `exists`
// after a booking made through the API, after a booking's event is deleted in a provider
// (a pass on a memory connector), after a hold expires and after a reschedule, each
// signed with the secret the watch answer gave; the sync-token listing then returns those
// bookings as they are (cancelled, expired, moved), paged, and a change the foreign key
// makes (an event row purged) too. Tokens of another tenant and bad watch requests are
// refused with nothing stored.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { JobHelpers } from 'graphile-worker';
import { book } from '../../src/engine/bookings.ts';
import type { WatchDeliveryDeps } from '../../src/jobs/channel-delivery.ts';
import { deliverBookingWatchJob } from '../../src/jobs/deliver-booking-watch.ts';
import { expireHoldsJob } from '../../src/jobs/expire-holds.ts';
import type { TaskDeps } from '../../src/jobs/registry.ts';
import { urlGuard } from '../../src/main/connectors.ts';
import { withTransaction } from '../../src/store/db.ts';
import { createResource } from '../../src/store/resources.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { createApiKey } from '../../src/store/tenants.ts';
import { appOn, tenantWithKey, type TestApp } from '../helpers/app.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { idleEngine } from '../helpers/engine-deps.ts';
import { engineWorld, type EngineWorld } from '../helpers/engine.ts';
import { signatureVerifies, startReceiver, type Notification, type Receiver } from '../helpers/webhook-receiver.ts';

const secrets = new Secrets(parseSecretKey(generateSecretKeyText()));
let t: TestDatabase;
let app: FastifyInstance;
let receiver: Receiver;
let delivery: WatchDeliveryDeps;
let taskDeps: TaskDeps;

before(async () => {
  t = await freshDatabase();
  app = await appOn(t, { secrets });
  receiver = await startReceiver();
  delivery = {
    fetch: globalThis.fetch, secrets, now: () => new Date(), timeoutMs: 2000,
    webhooks: { guard: urlGuard({ allowPrivateUrls: true, allowedUrlHosts: [] }), allowHttp: true },
  };
  taskDeps = { db: t.db, workerName: 'test', engine: idleEngine(t.db), tombstoneMs: 30 * 86_400_000, delivery };
});
after(async () => {
  await receiver.close();
  await app.close();
  await t.drop();
});

// A Monday one to two weeks ahead, within the default horizon and working hours.
const day = (() => {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + 7 + ((8 - d.getUTCDay()) % 7));
  return d.toISOString().slice(0, 10);
})();

type Json = any;

/** A tenant of the engine world (its calendar bound to a memory connector), with an API key and a resource booking into that calendar. */
async function tenant(name: string) {
  const world = await engineWorld(t);
  const { key } = await createApiKey(t.db, world.tenantId, name);
  const auth = { authorization: `Bearer ${key}` };
  const call = async (method: string, url: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const response = await app.inject({ method: method as 'GET', url, headers: auth, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : null };
  };
  const resource = await withTransaction(t.db, (tx) => createResource(tx, world.tenantId, { name: `Room ${name}`, timeZone: 'UTC', bookingCalendarId: world.calendarId }));
  return { world, call, resourceId: resource.id };
}

async function watch(call: Awaited<ReturnType<typeof tenant>>['call'], id: string, extra: object = {}): Promise<Json> {
  const answer = await call('POST', '/admin/v1/bookings/watch', { id, address: `${receiver.url}/${id}`, ...extra });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body;
}

async function deliver(world: EngineWorld): Promise<void> {
  await deliverBookingWatchJob.run(deliverBookingWatchJob.parse({ tenantId: world.tenantId }), taskDeps, {} as JobHelpers);
}

const to = (id: string): Notification[] => receiver.received.filter((n) => n.path === `/${id}`);
const states = (id: string): Array<[string, number]> => to(id).map((n) => [String(n.headers['x-goog-resource-state']), Number(n.headers['x-goog-message-number'])]);

async function queuedRound(tenantId: string): Promise<boolean> {
  const { rowCount } = await t.db.query(`select 1 from graphile_worker.jobs where task_identifier = 'deliver_booking_watch' and key = $1`, [`booking-watch:${tenantId}`]);
  return rowCount === 1;
}

/** Drops the tenant's queued round, so the next one found was queued by what came after. */
async function clearRound(tenantId: string): Promise<void> {
  await t.db.query('select graphile_worker.remove_job($1)', [`booking-watch:${tenantId}`]);
}

/** Every page of the listing since `token`; the bookings and the new token. */
async function changesSince(call: Awaited<ReturnType<typeof tenant>>['call'], token: string, extra = ''): Promise<{ items: Json[]; token: string }> {
  const items: Json[] = [];
  let page: string | null = null;
  for (;;) {
    const answer = await call('GET', `/admin/v1/bookings?syncToken=${encodeURIComponent(token)}${extra}${page ? `&pageToken=${encodeURIComponent(page)}` : ''}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    items.push(...answer.body.items);
    page = answer.body.nextPageToken;
    if (page === null) return { items, token: answer.body.nextSyncToken };
    assert.equal(answer.body.nextSyncToken, null, 'the sync token comes on the last page only');
  }
}

async function syncToken(call: Awaited<ReturnType<typeof tenant>>['call']): Promise<string> {
  const answer = await call('GET', '/admin/v1/bookings');
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.equal(typeof answer.body.nextSyncToken, 'string');
  return answer.body.nextSyncToken;
}

test('a channel gets sync, then exists after an API booking, signed; the sync-token listing returns the booking, then nothing more', async () => {
  const { world, call, resourceId } = await tenant('api');
  const channel = await watch(call, 'api-bookings', { token: 'app=front-desk' });
  assert.equal(channel.resourceId, null);
  assert.match(channel.signingSecret, /^[0-9a-f]{64}$/);
  assert.ok(await queuedRound(world.tenantId), 'the new channel queued its first round');
  await deliver(world);
  await deliver(world);
  assert.deepEqual(states('api-bookings'), [['sync', 1]], 'nothing changed since the sync message');

  const token = await syncToken(call);
  await clearRound(world.tenantId);
  const made = await call('POST', '/admin/v1/bookings', { resourceId, start: `${day}T10:00:00Z`, end: `${day}T10:30:00Z`, summary: 'Check-up' });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  assert.ok(await queuedRound(world.tenantId), 'the booking queued a round in its transaction');
  await deliver(world);
  assert.deepEqual(states('api-bookings'), [['sync', 1], ['exists', 2]]);
  for (const n of to('api-bookings')) {
    assert.equal(n.body, '');
    assert.equal(n.headers['x-goog-channel-id'], 'api-bookings');
    assert.equal(n.headers['x-goog-channel-token'], 'app=front-desk');
    assert.equal(n.headers['x-goog-resource-id'], channel.notificationResourceId);
    assert.match(String(n.headers['x-goog-resource-uri']), /\/admin\/v1\/bookings$/);
    assert.ok(signatureVerifies(n, channel.signingSecret), 'the signature verifies with the returned secret');
    assert.ok(!signatureVerifies(n, 'f'.repeat(64)), 'and not with another one');
  }

  const since = await changesSince(call, token);
  assert.deepEqual(since.items.map((b: Json) => [b.id, b.status]), [[made.body.id, 'confirmed']]);
  assert.deepEqual((await changesSince(call, since.token)).items, [], 'nothing changed since the new token');
  await deliver(world);
  assert.equal(to('api-bookings').length, 2, 'no change, no message');
});

test('a booking\'s event deleted in a provider: the channel hears of it and the listing returns the booking cancelled', async () => {
  const { world, call, resourceId } = await tenant('provider');
  const remote = await world.bind('provider-bookings');
  const { booking } = await book({ db: t.db, debounceMs: 0 }, world.tenantId, { resourceId, start: `${day}T11:00:00Z`, end: `${day}T11:30:00Z`, summary: 'Consult' });
  await world.pass(remote);
  const item = remote.connector.liveItems(remote.remoteCalendarId).find((i) => i.series.master?.summary === 'Consult');
  assert.ok(item, 'the booking\'s event reached the remote calendar');
  await watch(call, 'provider-bookings');
  await deliver(world);
  const token = await syncToken(call);
  await clearRound(world.tenantId);

  remote.connector.userDelete(remote.remoteCalendarId, item.remoteId);
  await world.pass(remote);
  assert.ok(await queuedRound(world.tenantId), 'the pass that cancelled the booking queued a round');
  await deliver(world);
  assert.deepEqual(states('provider-bookings'), [['sync', 1], ['exists', 2]]);
  const since = await changesSince(call, token);
  assert.deepEqual(since.items.map((b: Json) => [b.id, b.status, b.eventId]), [[booking.id, 'cancelled', null]]);
});

test('a hold that expires is marked by its job and listed as expired; a reschedule is listed at its new time; pages cover every change once', async () => {
  const { world, call, resourceId } = await tenant('hold');
  await watch(call, 'hold-bookings');
  await deliver(world);
  const token = await syncToken(call);
  const hold = await call('POST', '/admin/v1/bookings', { resourceId, start: `${day}T09:00:00Z`, holdSeconds: 60 });
  assert.equal(hold.status, 201, JSON.stringify(hold.body));
  const { rows: [job] } = await t.db.query<{ run_at: Date }>(`select run_at from graphile_worker.jobs where task_identifier = 'expire_holds' and key = $1`, [`expire-hold:${hold.body.id}`]);
  assert.equal(job?.run_at.getTime(), Date.parse(hold.body.holdExpiresAt), 'its expiry is queued for the end of the hold');
  const moved = await call('POST', '/admin/v1/bookings', { resourceId, start: `${day}T13:00:00Z` });
  assert.equal(moved.status, 201);
  assert.equal((await call('POST', `/admin/v1/bookings/${moved.body.id}/reschedule`, { start: `${day}T15:00:00Z` })).status, 200);
  await deliver(world);
  const first = await changesSince(call, token, '&maxResults=1');
  assert.deepEqual(first.items.map((b: Json) => [b.id, b.status, b.start]).sort(), [
    [hold.body.id, 'held', `${day}T09:00:00.000Z`], [moved.body.id, 'confirmed', `${day}T15:00:00.000Z`],
  ].sort(), 'both bookings, once each, the moved one at its new time');

  // The job runs when the hold is over (its clock here: an hour later).
  const later = { ...taskDeps, engine: { ...taskDeps.engine, now: () => new Date(Date.now() + 3_600_000) } };
  await expireHoldsJob.run(expireHoldsJob.parse({ tenantId: world.tenantId, resourceId }), later, {} as JobHelpers);
  await deliver(world);
  assert.deepEqual(states('hold-bookings'), [['sync', 1], ['exists', 2], ['exists', 3]]);
  const expired = await changesSince(call, first.token);
  assert.deepEqual(expired.items.map((b: Json) => [b.id, b.status]), [[hold.body.id, 'expired']]);
  const { rows: [row] } = await t.db.query<{ status: string }>('select status from bookings where id = $1', [hold.body.id]);
  assert.equal(row!.status, 'expired', 'the row itself is marked, not only read as expired');
});

test('a channel of one resource hears of that resource\'s bookings only; a stopped channel hears nothing', async () => {
  const { world, call, resourceId } = await tenant('scoped');
  const other = await withTransaction(t.db, (tx) => createResource(tx, world.tenantId, { name: 'Other room', timeZone: 'UTC' }));
  const scoped = await watch(call, 'scoped-bookings', { resourceId: other.id });
  assert.equal(scoped.resourceId, other.id);
  assert.match(scoped.resourceUri, new RegExp(`/admin/v1/bookings\\?resourceId=${other.id}$`));
  await watch(call, 'stopped-bookings');
  await deliver(world);
  assert.equal((await call('POST', '/admin/v1/bookings/watch/stop', { id: 'stopped-bookings' })).status, 204);
  assert.equal((await call('POST', '/admin/v1/bookings/watch/stop', { id: 'stopped-bookings' })).status, 404, 'stopped already');
  const token = await syncToken(call);

  assert.equal((await call('POST', '/admin/v1/bookings', { resourceId, start: `${day}T10:00:00Z` })).status, 201);
  await deliver(world);
  assert.deepEqual(states('scoped-bookings'), [['sync', 1]], 'another resource\'s booking is not this channel\'s');
  const mine = await call('POST', '/admin/v1/bookings', { resourceId: other.id, start: `${day}T10:00:00Z` });
  assert.equal(mine.status, 201);
  await deliver(world);
  assert.deepEqual(states('scoped-bookings'), [['sync', 1], ['exists', 2]]);
  assert.deepEqual(states('stopped-bookings'), [['sync', 1]]);
  assert.deepEqual((await changesSince(call, token, `&resourceId=${other.id}`)).items.map((b: Json) => b.id), [mine.body.id], 'the listing takes resourceId too');
});

test('a sync token of another tenant, an edited one, or one with a time window is refused with 400', async () => {
  const a = await tenant('token-a');
  const b = await tenant('token-b');
  const tokenOfA = await syncToken(a.call);
  const refused = await b.call('GET', `/admin/v1/bookings?syncToken=${encodeURIComponent(tokenOfA)}`);
  assert.equal(refused.status, 400);
  assert.equal(refused.body.error.calsync.code, 'BOOKING_SYNC_TOKEN_INVALID');
  const edited = await a.call('GET', `/admin/v1/bookings?syncToken=${encodeURIComponent(`x${tokenOfA}`)}`);
  assert.equal(edited.body.error.calsync.code, 'BOOKING_SYNC_TOKEN_INVALID');
  const windowed = await a.call('GET', `/admin/v1/bookings?syncToken=${encodeURIComponent(tokenOfA)}&timeMin=${day}T00:00:00Z`);
  assert.equal(windowed.status, 400);
  assert.equal(windowed.body.error.calsync.code, 'INVALID_REQUEST');
  assert.match(windowed.body.error.message, /timeMin/);
  // The existing filters still list by time.
  assert.equal((await a.call('POST', '/admin/v1/bookings', { resourceId: a.resourceId, start: `${day}T12:00:00Z` })).status, 201);
  const listed = await a.call('GET', `/admin/v1/bookings?timeMin=${day}T11:00:00Z&timeMax=${day}T13:00:00Z&status=confirmed`);
  assert.equal(listed.body.items.length, 1);
});

test('bad watch requests are refused with 400 (404 for another tenant\'s resource) and store nothing', async () => {
  const { call } = await tenant('bad-watch');
  const { tenantId: otherTenant } = await tenantWithKey({ app, database: t, close: async () => {} } as TestApp, 'bad-watch-other');
  const elsewhere = await withTransaction(t.db, (tx) => createResource(tx, otherTenant, { name: 'Elsewhere', timeZone: 'UTC' }));
  const cases: Array<[object, number, string]> = [
    [{ address: `${receiver.url}/x` }, 400, 'id'],
    [{ id: 'bad id!', address: `${receiver.url}/x` }, 400, 'id'],
    [{ id: 'no-address' }, 400, 'address'],
    [{ id: 'not-url', address: 'not a url' }, 400, 'address'],
    [{ id: 'past', address: `${receiver.url}/x`, expiration: 1000 }, 400, 'expiration'],
    [{ id: 'unknown', address: `${receiver.url}/x`, params: { ttl: 5 } }, 400, 'params'],
    [{ id: 'bad-resource', address: `${receiver.url}/x`, resourceId: 'nope' }, 400, 'resourceId'],
    [{ id: 'other-resource', address: `${receiver.url}/x`, resourceId: elsewhere.id }, 404, 'resource'],
    [[], 400, ''],
  ];
  for (const [body, status, names] of cases) {
    const answer = await call('POST', '/admin/v1/bookings/watch', body);
    assert.equal(answer.status, status, `${JSON.stringify(body)}: ${JSON.stringify(answer.body)}`);
    assert.ok(answer.body.error.message.includes(names), `${JSON.stringify(body)}: ${answer.body.error.message}`);
  }
  await watch(call, 'taken');
  const again = await call('POST', '/admin/v1/bookings/watch', { id: 'taken', address: `${receiver.url}/y` });
  assert.equal(again.status, 400);
  assert.equal(again.body.error.calsync.code, 'CHANNEL_ID_NOT_UNIQUE');
  const { rows } = await t.db.query<{ id: string; address: string }>(`select id, address from booking_channels where id <> all($1::text[])`, [['api-bookings', 'provider-bookings', 'hold-bookings', 'scoped-bookings', 'stopped-bookings']]);
  assert.deepEqual(rows, [{ id: 'taken', address: `${receiver.url}/taken` }], 'only the good channel was stored, unchanged by the refused one');
});

test('a booking row changed by the foreign key, not the store (its event row purged), is numbered and listed too', async () => {
  const { world, call, resourceId } = await tenant('purged');
  const made = await call('POST', '/admin/v1/bookings', { resourceId, start: `${day}T16:00:00Z` });
  assert.equal(made.status, 201);
  assert.ok(made.body.eventId);
  const token = await syncToken(call);
  await t.db.query('delete from events where tenant_id = $1 and id = $2', [world.tenantId, made.body.eventId]);
  const since = await changesSince(call, token);
  assert.deepEqual(since.items.map((b: Json) => [b.id, b.eventId]), [[made.body.id, null]]);
});
