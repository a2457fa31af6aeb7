// Watch channel delivery against a real receiver on 127.0.0.1: the sync message first,
// then exists after changes made through the API and through the sync engine, message
// numbers increasing, every signature verifying with the secret events.watch returned,
// stopped and expired channels left alone, and a receiver that was down getting the
// backlog when it is back.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { calendar as googleCalendar, type calendar_v3 } from '@googleapis/calendar';
import type { JobHelpers } from 'graphile-worker';
import pino from 'pino';
import { deliverWatchJob, type WatchDeliveryDeps } from '../../src/jobs/deliver-watch.ts';
import type { TaskDeps } from '../../src/jobs/registry.ts';
import { allTasks } from '../../src/jobs/tasks.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { urlGuard } from '../../src/main/connectors.ts';
import { graphileLogger } from '../../src/main/graphile-logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { createApiKey } from '../../src/store/tenants.ts';
import { tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';
import { idleEngine } from '../helpers/engine-deps.ts';
import { engineWorld } from '../helpers/engine.ts';
import { single } from '../helpers/events.ts';
import { signatureVerifies, startReceiver, type Notification, type Receiver } from '../helpers/webhook-receiver.ts';

const secrets = new Secrets(parseSecretKey(generateSecretKeyText()));
const metrics = createMetrics({ processMetrics: false });
let t: TestApp;
let receiver: Receiver;
let auth: { authorization: string };
let delivery: WatchDeliveryDeps;
let taskDeps: TaskDeps;

before(async () => {
  t = await testApp({ secrets });
  receiver = await startReceiver();
  auth = (await tenantWithKey(t, 'app')).auth;
  delivery = {
    fetch: globalThis.fetch, secrets, now: () => new Date(), timeoutMs: 2000,
    webhooks: { guard: urlGuard({ allowPrivateUrls: true, allowedUrlHosts: [] }), allowHttp: true },
    onDelivery: (state, outcome) => metrics.watchDeliveries.inc({ state, outcome }),
  };
  taskDeps = { db: t.database.db, workerName: 'test', engine: idleEngine(t.database.db), tombstoneMs: 30 * 86_400_000, sweepSeconds: 60, delivery };
});
after(async () => {
  await receiver.close();
  await t.close();
});

async function newCalendar(summary: string): Promise<string> {
  return (await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: auth, payload: { summary } })).json().id;
}

async function watch(calendarId: string, id: string, extra: object = {}): Promise<{ resourceId: string; secret: string }> {
  const response = await t.app.inject({
    method: 'POST', url: `/calendar/v3/calendars/${calendarId}/events/watch`, headers: auth,
    payload: { id, type: 'web_hook', address: `${receiver.url}/${id}`, ...extra },
  });
  assert.equal(response.statusCode, 200, response.body);
  return { resourceId: response.json().resourceId, secret: response.json().calsync.signingSecret };
}

async function addEvent(calendarId: string, summary: string): Promise<void> {
  const response = await t.app.inject({
    method: 'POST', url: `/calendar/v3/calendars/${calendarId}/events`, headers: auth,
    payload: { summary, start: { date: '2026-03-02' }, end: { date: '2026-03-03' } },
  });
  assert.equal(response.statusCode, 200, response.body);
}

/** Runs the queued round of the calendar as a worker would (its job stays queued: only the handler runs here). */
async function deliver(tenantId: string, calendarId: string): Promise<void> {
  await deliverWatchJob.run(deliverWatchJob.parse({ tenantId, calendarId }), taskDeps, {} as JobHelpers);
}

async function tenantOf(calendarId: string): Promise<string> {
  const { rows: [row] } = await t.database.db.query<{ tenant_id: string }>('select tenant_id from calendars where id = $1', [calendarId]);
  return row!.tenant_id;
}

function to(id: string): Notification[] {
  return receiver.received.filter((n) => n.path === `/${id}`);
}

function summary(notifications: Notification[]): Array<[string, number]> {
  return notifications.map((n) => [String(n.headers['x-goog-resource-state']), Number(n.headers['x-goog-message-number'])]);
}

async function channelRow(id: string): Promise<{ delivered_version: number; message_number: number; version: number }> {
  const { rows: [row] } = await t.database.db.query<{ delivered_version: number; message_number: number; version: number }>(
    `select w.delivered_version::int, w.message_number::int, c.version::int from watch_channels w join calendars c on c.id = w.calendar_id where w.id = $1`, [id]);
  return row!;
}

test('sync first, then one exists per round of API changes; Google\'s headers, the token echoed, every signature verifies', async () => {
  const calendarId = await newCalendar('Front desk');
  const tenantId = await tenantOf(calendarId);
  const { resourceId, secret } = await watch(calendarId, 'api-channel', { token: 'target=front-desk' });
  await deliver(tenantId, calendarId);
  await deliver(tenantId, calendarId);
  assert.deepEqual(summary(to('api-channel')), [['sync', 1]], 'nothing changed since the sync message');

  await addEvent(calendarId, 'Check-up');
  const { rowCount } = await t.database.db.query(`select 1 from graphile_worker.jobs where task_identifier = 'deliver_watch' and key = $1`, [`watch:${calendarId}`]);
  assert.equal(rowCount, 1, 'the change queued a round in its transaction');
  await deliver(tenantId, calendarId);
  await addEvent(calendarId, 'Follow-up');
  await addEvent(calendarId, 'Second follow-up');
  await deliver(tenantId, calendarId);
  assert.deepEqual(summary(to('api-channel')), [['sync', 1], ['exists', 2], ['exists', 3]], 'two changes in one round are one exists');

  for (const n of to('api-channel')) {
    assert.equal(n.body, '');
    assert.equal(n.headers['x-goog-channel-id'], 'api-channel');
    assert.equal(n.headers['x-goog-channel-token'], 'target=front-desk');
    assert.equal(n.headers['x-goog-resource-id'], resourceId);
    assert.match(String(n.headers['x-goog-resource-uri']), new RegExp(`/calendar/v3/calendars/${calendarId}/events\\?alt=json$`));
    assert.match(String(n.headers['x-goog-channel-expiration']), /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    assert.ok(signatureVerifies(n, secret), 'the signature verifies with the returned secret');
    assert.ok(!signatureVerifies(n, secret.replace(/^./, (c) => (c === '0' ? '1' : '0'))), 'and not with another one');
  }
  const row = await channelRow('api-channel');
  assert.equal(row.delivered_version, row.version);
  assert.equal(row.message_number, 3);
});

test('the official client\'s channel hears of a change the sync engine wrote to the calendar', async () => {
  const world = await engineWorld(t.database);
  const { key } = await createApiKey(t.database.db, world.tenantId, 'client');
  const { port } = (await t.app.listen({ host: '127.0.0.1', port: 0 }), t.app.server.address() as { port: number });
  const client = googleCalendar({ version: 'v3', rootUrl: `http://127.0.0.1:${port}/`, headers: { Authorization: `Bearer ${key}` } });
  const { data } = await client.events.watch({ calendarId: world.calendarId, requestBody: { id: 'engine-channel', type: 'web_hook', address: `${receiver.url}/engine-channel`, token: 'engine' } });
  const secret = (data as calendar_v3.Schema$Channel & { calsync: { signingSecret: string } }).calsync.signingSecret;
  await deliver(world.tenantId, world.calendarId);

  const binding = await world.bind('remote');
  binding.connector.userCreate('remote', single({ uid: 'from-remote@test', summary: 'Booked elsewhere' }));
  const pass = await world.pass(binding);
  assert.equal(pass.stats.calendarWrites, 1);
  await deliver(world.tenantId, world.calendarId);
  assert.deepEqual(summary(to('engine-channel')), [['sync', 1], ['exists', 2]]);
  assert.ok(to('engine-channel').every((n) => signatureVerifies(n, secret) && n.headers['x-goog-channel-token'] === 'engine'));
  assert.equal(to('engine-channel')[1]!.headers['x-goog-resource-id'], data.resourceId);
});

test('a stopped channel and an expired one get nothing; the others still do', async () => {
  const calendarId = await newCalendar('Stops');
  const tenantId = await tenantOf(calendarId);
  const stopped = await watch(calendarId, 'stopped-channel');
  await watch(calendarId, 'expired-channel');
  await watch(calendarId, 'live-channel');
  await deliver(tenantId, calendarId);
  const stop = await t.app.inject({ method: 'POST', url: '/calendar/v3/channels/stop', headers: auth, payload: { id: 'stopped-channel', resourceId: stopped.resourceId } });
  assert.equal(stop.statusCode, 204);
  await t.database.db.query(`update watch_channels set expires_at = now() - interval '1 second' where id = 'expired-channel'`);
  await addEvent(calendarId, 'After stop');
  await deliver(tenantId, calendarId);
  assert.deepEqual(summary(to('stopped-channel')), [['sync', 1]]);
  assert.deepEqual(summary(to('expired-channel')), [['sync', 1]]);
  assert.deepEqual(summary(to('live-channel')), [['sync', 1], ['exists', 2]]);

  await t.database.db.query(`update watch_channels set stopped_at = now() where id = 'live-channel'`);
  await t.database.db.query(`select graphile_worker.remove_job($1)`, [`watch:${calendarId}`]);
  await addEvent(calendarId, 'Nobody listens');
  const { rowCount } = await t.database.db.query(`select 1 from graphile_worker.jobs where key = $1`, [`watch:${calendarId}`]);
  assert.equal(rowCount, 0, 'no live channel, no round queued');
});

test('a receiver answering 500 fails the round for itself only; when it is back it gets one exists covering the backlog', async () => {
  const calendarId = await newCalendar('Outage');
  const tenantId = await tenantOf(calendarId);
  const down = await watch(calendarId, 'down-channel');
  await watch(calendarId, 'healthy-channel');
  await deliver(tenantId, calendarId);

  receiver.statusOf.set('/down-channel', 500);
  try {
    await addEvent(calendarId, 'During the outage');
    await assert.rejects(deliver(tenantId, calendarId), /1 of 2 watch channels not reached: down-channel \(exists: HTTP 500\)/);
    await addEvent(calendarId, 'Still down');
    await assert.rejects(deliver(tenantId, calendarId), /down-channel/);
    assert.deepEqual(summary(to('healthy-channel')), [['sync', 1], ['exists', 2], ['exists', 3]], 'the healthy channel is not held up');
    const behind = await channelRow('down-channel');
    assert.ok(behind.delivered_version < behind.version);

    receiver.statusOf.delete('/down-channel');
    await deliver(tenantId, calendarId);
  } finally {
    receiver.statusOf.clear();
  }
  const received = to('down-channel');
  assert.deepEqual(summary(received), [['sync', 1], ['exists', 2], ['exists', 2], ['exists', 2]], 'a retried message keeps its number');
  assert.deepEqual(received.map((n) => n.status), [200, 500, 500, 200]);
  assert.ok(received.every((n) => signatureVerifies(n, down.secret)));
  const caughtUp = await channelRow('down-channel');
  assert.equal(caughtUp.delivered_version, caughtUp.version, 'delivered_version caught up');
  const counted = (await metrics.registry.getSingleMetric('calsync_watch_deliveries_total')!.get()).values;
  assert.ok(counted.some((v) => v.labels.outcome === 'http_error' && v.labels.state === 'exists' && v.value >= 2));
  assert.ok(counted.some((v) => v.labels.outcome === 'ok' && v.labels.state === 'sync' && v.value >= 2));
});

test('through a worker: a receiver that is down at first gets its sync message on graphile-worker\'s retry, then exists after a change', async () => {
  const calendarId = await newCalendar('Worker');
  const secret = (await watch(calendarId, 'worker-channel')).secret;
  receiver.status = 503;
  const runner = await startWorker({
    db: t.database.db, concurrency: 2, workerName: 'w', engine: idleEngine(t.database.db), delivery, tasks: allTasks,
    logger: graphileLogger(pino({ level: 'silent' })),
  });
  try {
    const waitFor = async (count: number) => {
      for (let i = 0; i < 200 && to('worker-channel').length < count; i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(to('worker-channel').length >= count, `${count} notifications arrived`);
    };
    await waitFor(1);
    receiver.status = 200;
    let job: { attempts: number; last_error: string | null; run_at: Date } | undefined;
    for (let i = 0; i < 100 && !job?.last_error; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 20));
      [job] = (await t.database.db.query<{ attempts: number; last_error: string | null; run_at: Date }>(
        `select attempts, last_error, run_at from graphile_worker.jobs where key = $1`, [`watch:${calendarId}`])).rows;
    }
    assert.equal(job!.attempts, 1);
    assert.match(job!.last_error ?? '', /worker-channel \(sync: HTTP 503\)/);
    assert.ok(job!.run_at.getTime() > Date.now(), 'retried later, with backoff');
    await waitFor(2);
    await addEvent(calendarId, 'Seen by the worker');
    await waitFor(3);
  } finally {
    await runner.stop();
    receiver.status = 200;
  }
  assert.deepEqual(summary(to('worker-channel')), [['sync', 1], ['sync', 1], ['exists', 2]]);
  assert.ok(to('worker-channel').every((n) => signatureVerifies(n, secret)));
});
