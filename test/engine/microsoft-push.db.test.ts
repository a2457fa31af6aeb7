// Microsoft Graph push against the Graph emulator over real sockets: the emulator makes
// its validation requests and delivers its change and lifecycle notifications to
// calsync's /webhooks/microsoft, on the database the engine and a worker use. A
// subscription per binding, confirmed because Graph validated the address before making
// it; a change in Outlook reaching the calendar through a pass the notification queued;
// forged clientStates refused; `reauthorizationRequired` renewing in place however far
// the expiry, `subscriptionRemoved` making a new subscription, `missed` a pass; renewal
// by PATCH, a new subscription when PATCH answers 404; a revoked grant pausing the
// account's bindings. The worker runs every job but the minutely renewal, which a test
// runs by hand to watch each step.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Runner } from 'graphile-worker';
import pino from 'pino';
import { microsoftProvider } from '../../src/connectors/microsoft/provider.ts';
import { renewPushChannel, type PushSettings } from '../../src/engine/push-channels.ts';
import type { EngineDeps } from '../../src/engine/sync-pass.ts';
import { renewPushChannelsJob } from '../../src/jobs/renew-push-channels.ts';
import { allTasks } from '../../src/jobs/tasks.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { connectorFactory, urlGuard } from '../../src/main/connectors.ts';
import { graphileLogger } from '../../src/main/graphile-logger.ts';
import { accountsNeedingAttention, createAccount, getAccount, reactivateAccount } from '../../src/store/accounts.ts';
import { createBinding, getBinding, listBindingSummaries, type Binding } from '../../src/store/bindings.ts';
import { listSeriesPage } from '../../src/store/events.ts';
import { queuePass } from '../../src/store/outbox.ts';
import { channelsDue, pushHealthySql, secretDigest, type PushChannelState } from '../../src/store/push-channels.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { requestUnbind } from '../../src/store/unbinding.ts';
import { tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';
import { eventStream } from '../helpers/event-stream.ts';
import { GRAPH_CLIENT, listeningGraph, type ListeningGraph } from '../helpers/microsoft-connector.ts';
import { timedEvent } from '../helpers/microsoft-emulator.ts';
import { graphFixture } from '../fixtures/microsoft/fixtures.ts';

const { renewAheadMs, ttlSeconds } = microsoftProvider.push!;
const dayMs = 86_400_000;
const secrets = new Secrets(parseSecretKey(generateSecretKeyText()));
let t: TestApp;
let graph: ListeningGraph;
let engine: EngineDeps;
let push: PushSettings;
let base: string;
let runner: Runner | undefined;
/** How far the emulator's clock is from the real one (see subscribed). */
let graphSkewMs = 0;
/** Graph's longest lifetime for Outlook subscriptions, which the emulator grants at most. */
const graphMaxMs = 10_080 * 60_000;

before(async () => {
  t = await testApp({ secrets });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  graph = await listeningGraph({ fetch: (input, init) => fetch(input, init), now: () => Date.now() + graphSkewMs });
  const db = t.database.db;
  engine = {
    db, logger: pino({ level: 'silent' }), now: () => new Date(), workerName: 'graph-push', debounceMs: 100,
    connectorFor: connectorFactory({
      db, secrets, fetch, guard: urlGuard({ allowPrivateUrls: true, allowedUrlHosts: [] }),
      microsoft: { ...GRAPH_CLIENT, graphUrl: `${graph.root}/v1.0`, authorityUrl: graph.root, tenant: undefined },
    }),
  };
  push = { webhookUrl: base };
  const tasks = allTasks.filter((task) => task.name !== renewPushChannelsJob.name);
  runner = await startWorker({ db, concurrency: 2, workerName: 'graph-push', engine, push, tasks, logger: graphileLogger(pino({ level: 'silent' })) });
});
after(async () => {
  await runner?.stop();
  await graph?.close();
  await t?.close();
});

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  for (const start = Date.now(); !(await check());) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const emulator = () => graph.app.emulator;
const webhook = () => `${base}/webhooks/microsoft`;
/** Tomorrow at `time` UTC, inside the connector's listing window. */
const tomorrow = (time: string) => `${new Date(Date.now() + dayMs).toISOString().slice(0, 10)}T${time}`;

interface Bound {
  tenantId: string;
  calendarId: string;
  remote: string;
  binding: Binding;
  accountId: string;
  grant: ReturnType<ListeningGraph['app']['emulator']['issueGrant']>;
  auth: { authorization: string };
}

async function boundCalendar(name: string): Promise<Bound> {
  const db = t.database.db;
  const tenant = await tenantWithKey(t, name);
  const calendarId = (await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: tenant.auth, payload: { summary: name, timeZone: 'Europe/Berlin' } })).json().id as string;
  const remote = emulator().addCalendar({ name }).id;
  const grant = emulator().issueGrant();
  const account = await createAccount(db, secrets, tenant.tenantId, {
    provider: 'microsoft', login: emulator().account, credentials: { refreshToken: grant.refresh_token, accessToken: grant.access_token, expiry: Date.now() + grant.expires_in * 1000 },
  });
  const binding = await createBinding(db, tenant.tenantId, { calendarId, accountId: account.id, remoteCalendarId: remote });
  return { tenantId: tenant.tenantId, calendarId, remote, binding, accountId: account.id, grant, auth: tenant.auth };
}

const stored = async (b: Binding): Promise<PushChannelState & { error?: string; retryAt?: string }> =>
  (await t.database.db.query('select push_subscription from bindings where id = $1', [b.id])).rows[0].push_subscription;
const healthy = async (b: Binding): Promise<boolean> =>
  (await t.database.db.query(`select ${pushHealthySql} as ok from bindings where id = $1`, [b.id])).rows[0].ok;
/** The binding as the renewal job would pick it, looking `aheadMs` ahead. */
const dueOf = async (b: Binding, aheadMs = renewAheadMs) => (await channelsDue(t.database.db, 'microsoft', new Date(Date.now() + aheadMs), 500)).find((d) => d.bindingId === b.id);
const graphSubscription = (id: string) => emulator().subscriptions().find((s) => s.id === id)!;
const requests = (key: string) => emulator().stats().byRouteAndStatus[key] ?? 0;
const passes = async (b: Binding, trigger: string) =>
  Number((await t.database.db.query('select count(*) from sync_passes where binding_id = $1 and trigger = $2', [b.id, trigger])).rows[0].count);
const jobs = async (key: string) => (await t.database.db.query('select payload from graphile_worker._private_jobs where key = $1', [key])).rows as Array<{ payload: unknown }>;
const summaries = async (b: Bound) => (await listSeriesPage(t.database.db, b.tenantId, b.calendarId, null, 100)).map((s) => s.series.master?.summary);

/**
 * The binding's subscription, made as the renewal job makes it. With `endsInMs`, Graph
 * grants less than the three days asked ("trust the expirationDateTime the server
 * returns"): the emulator's clock is set back so that its longest lifetime ends then.
 */
async function subscribed(b: Bound, endsInMs?: number): Promise<PushChannelState> {
  graphSkewMs = endsInMs === undefined ? 0 : endsInMs - graphMaxMs;
  try {
    assert.equal(await renewPushChannel(engine, push, (await dueOf(b.binding))!), 'created');
  } finally {
    graphSkewMs = 0;
  }
  return stored(b.binding);
}

/** The renewal job a lifecycle notification queued for the binding, run as the worker would, then gone. */
async function runQueuedRenewal(b: Binding): Promise<void> {
  await until('the renewal job', async () => (await jobs(`push-channel:${b.id}`)).length === 1);
  const [job] = await jobs(`push-channel:${b.id}`);
  const payload = renewPushChannelsJob.parse(job!.payload);
  assert.equal(payload.resubscribe, true, 'asked by Graph: due whatever its expiry');
  await t.database.db.query(`select graphile_worker.remove_job($1)`, [`push-channel:${b.id}`]);
  await renewPushChannelsJob.run(payload, { db: t.database.db, workerName: 'graph-push', engine, push, tombstoneMs: 0 }, {} as never);
}

async function synced(b: Bound): Promise<void> {
  await queuePass(t.database.db, b.tenantId, b.binding.id, 'manual');
  await until('the first pass', async () => (await t.database.db.query(`select 1 from sync_passes where binding_id = $1 and outcome = 'ok'`, [b.binding.id])).rows.length > 0);
}

test('binding a Microsoft calendar makes a subscription whose validation calsync\'s route answers; it is confirmed, and a change in Outlook reaches the calendar through a push pass', async () => {
  const b = await boundCalendar('graph-1');
  await synced(b);
  const validated = requests('POST /v1.0/subscriptions 201');
  const channel = await subscribed(b);
  assert.equal(requests('POST /v1.0/subscriptions 201'), validated + 1);

  const sub = graphSubscription(channel.resourceId);
  assert.ok(sub, 'the stored resourceId is Graph\'s subscription id');
  assert.notEqual(sub.id, channel.id, 'Graph names its subscription; calsync\'s id travels in the clientState');
  assert.equal(sub.resource, `me/calendars/${b.remote}/events`);
  assert.equal(sub.notificationUrl, webhook());
  assert.equal(sub.lifecycleNotificationUrl, webhook(), 'lifecycle notifications come to the same route');
  const [calsyncId, secret] = [sub.clientState!.slice(0, sub.clientState!.indexOf('.')), sub.clientState!.slice(sub.clientState!.indexOf('.') + 1)];
  assert.equal(calsyncId, channel.id);
  assert.equal(secretDigest(secret), channel.secretHash, 'only the secret\'s digest is stored');
  assert.ok(sub.clientState!.length <= 128, 'Graph takes clientState of at most 128 characters');
  assert.equal(Date.parse(channel.expiresAt), sub.expirationMs, 'the expiry Graph granted');

  // Both addresses were validated against calsync's route, and answered as Graph wants.
  const validations = emulator().deliveries().filter((d) => d.subscriptionId === sub.id && d.kind === 'validation');
  assert.deepEqual(validations.map((d) => [d.url, d.status, d.outcome]), [[webhook(), 200, 'delivered'], [webhook(), 200, 'delivered']]);
  assert.ok(channel.confirmedAt, 'confirmed at once: Graph made it only after the address answered');
  assert.equal(await healthy(b.binding), true);

  const pushedBefore = await passes(b.binding, 'push');
  const inserted = emulator().insertEvent(b.remote, timedEvent(tomorrow('10:00:00'), 30, 'W. Europe Standard Time', { subject: 'Walk-in' }));
  await until('the new event to reach the calendar', async () => (await summaries(b)).includes('Walk-in'));
  emulator().editEvent(inserted.id as string, { subject: 'Walk-in, moved' });
  await until('the edit to reach the calendar', async () => (await summaries(b)).includes('Walk-in, moved'));
  // A pass may already bring the edit while it runs; the edit's notification queues its own all the same.
  await until('a push pass for each change', async () => await passes(b.binding, 'push') >= pushedBefore + 2);
  assert.equal(await passes(b.binding, 'poll'), 0, 'no poll brought them');
  const changes = emulator().deliveries().filter((d) => d.subscriptionId === sub.id && d.kind === 'change');
  assert.ok(changes.length >= 2);
  assert.ok(changes.every((d) => d.url === webhook() && d.status === 200 && d.outcome === 'delivered'));
});

test('a forged clientState is answered 404 and queues nothing; the documented example as printed is no calsync notification', async () => {
  const b = await boundCalendar('graph-2');
  const channel = await subscribed(b);
  const example = graphFixture('change_notification.json');
  const post = (body: unknown) => fetch(webhook(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const notification = (clientState: string) => ({ value: [{ ...example.value[0], subscriptionId: channel.resourceId, clientState }] });
  const secret = graphSubscription(channel.resourceId).clientState!.slice(channel.id.length + 1);

  assert.equal((await post(notification(`${channel.id}.${secret}x`))).status, 404, 'a wrong secret');
  assert.equal((await post(notification(`${channel.id}.${secret.slice(0, -1)}`))).status, 404, 'a secret one character short');
  assert.equal((await post(notification(`0b9e8f52-3a11-4c67-8d2e-5f4a3b2c1d0e.${secret}`))).status, 404, 'a subscription calsync does not know');
  assert.equal((await post(example)).status, 400, 'the example\'s own clientState');
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(await jobs(`pass:${b.binding.id}`), [], 'no pass queued');
  assert.equal(await passes(b.binding, 'push'), 0, 'and none ran');
  assert.deepEqual(await jobs(`push-channel:${b.binding.id}`), []);

  assert.equal((await post(notification(`${channel.id}.${secret}`))).status, 200, 'the genuine one passes');
  await until('its pass', async () => await passes(b.binding, 'push') === 1);
});

test('reauthorizationRequired renews the subscription in place (PATCH) though its expiry is days away', async () => {
  const b = await boundCalendar('graph-3');
  // Granted six hours less than asked.
  const first = await subscribed(b, ttlSeconds * 1000 - 6 * 3_600_000);
  assert.equal(await dueOf(b.binding), undefined, 'not due: it has days left');
  const patched = requests('PATCH /v1.0/subscriptions/:id 200');
  const made = requests('POST /v1.0/subscriptions 201');

  emulator().lifecycle(first.resourceId, 'reauthorizationRequired');
  await emulator().flushNotifications();
  assert.deepEqual(await jobs(`pass:${b.binding.id}`), [], 'a lifecycle notification asks for no pass');
  await runQueuedRenewal(b.binding);

  assert.equal(requests('PATCH /v1.0/subscriptions/:id 200'), patched + 1);
  assert.equal(requests('POST /v1.0/subscriptions 201'), made, 'no new subscription');
  const after = await stored(b.binding);
  assert.deepEqual([after.id, after.resourceId, after.secretHash], [first.id, first.resourceId, first.secretHash], 'the same subscription, id and secret');
  const sub = graphSubscription(first.resourceId);
  assert.equal(sub.deleted, false);
  assert.equal(Date.parse(after.expiresAt), sub.expirationMs);
  const moved = Date.parse(after.expiresAt) - Date.parse(first.expiresAt);
  assert.ok(moved > 5.9 * 3_600_000 && moved < 6.1 * 3_600_000, `the expiry moved ${moved} ms`);
  assert.equal(await healthy(b.binding), true);
});

test('subscriptionRemoved makes a new subscription, which is stored; the removed one is retired', async () => {
  const b = await boundCalendar('graph-4');
  const first = await subscribed(b);
  emulator().lifecycle(first.resourceId, 'subscriptionRemoved');
  await emulator().flushNotifications();
  await runQueuedRenewal(b.binding);

  const after = await stored(b.binding);
  assert.notEqual(after.id, first.id);
  assert.notEqual(after.resourceId, first.resourceId);
  assert.notEqual(after.secretHash, first.secretHash, 'a new secret with the new subscription');
  const sub = graphSubscription(after.resourceId);
  assert.equal(sub.deleted, false);
  assert.equal(sub.clientState!.split('.')[0], after.id);
  assert.ok(after.confirmedAt, 'validated, so confirmed');
  assert.equal(await healthy(b.binding), true);
  const { rows } = await t.database.db.query('select channel_id, resource_id from retired_push_subscriptions where binding_id = $1', [b.binding.id]);
  assert.deepEqual(rows.map((r) => [r.channel_id, r.resource_id]), [[first.id, first.resourceId]]);

  // The new one delivers: a change reaches the calendar.
  emulator().insertEvent(b.remote, timedEvent(tomorrow('11:00:00'), 30, 'UTC', { subject: 'After removal' }));
  await until('the change through the new subscription', async () => (await summaries(b)).includes('After removal'));
});

test('a removed subscription whose re-creation fails stays due: it is made at the next run, not a day before the removed one would have ended', async () => {
  const b = await boundCalendar('graph-11');
  const first = await subscribed(b);
  emulator().setFaults({ retryAfterSeconds: 0, script: [{ kind: 'serviceUnavailable', method: 'POST', route: '/v1.0/subscriptions', times: 5 }] });
  try {
    emulator().lifecycle(first.resourceId, 'subscriptionRemoved');
    await emulator().flushNotifications();
    await runQueuedRenewal(b.binding);
  } finally {
    emulator().clearFaults();
  }
  const failed = await stored(b.binding);
  assert.equal(failed.id, first.id, 'nothing new was made');
  assert.match(failed.error!, /serviceNotAvailable|503|unavailable/i);
  assert.equal(await healthy(b.binding), false, 'no push: polled as a binding without one');

  const due = await dueOf(b.binding);
  assert.equal(due?.channel?.id, first.id, 'due at the next run though the removed one had days left');
  assert.equal(await renewPushChannel(engine, push, due!), 'renewed');
  const remade = await stored(b.binding);
  assert.notEqual(remade.id, first.id);
  assert.equal(graphSubscription(remade.resourceId).deleted, false);
  assert.equal(await healthy(b.binding), true);
});

test('missed queues a pass, which finds the change whose notification was lost', async () => {
  const b = await boundCalendar('graph-5');
  await synced(b);
  const channel = await subscribed(b);
  emulator().setFaults({ notifications: { dropRate: 1 } });
  emulator().insertEvent(b.remote, timedEvent(tomorrow('12:00:00'), 30, 'UTC', { subject: 'Never notified' }));
  await emulator().flushNotifications();
  emulator().clearFaults();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await summaries(b)).includes('Never notified'), false, 'no notification, no pass');

  const pushed = await passes(b.binding, 'push');
  emulator().lifecycle(channel.resourceId, 'missed');
  await until('the missed change to arrive', async () => (await summaries(b)).includes('Never notified'));
  assert.equal(await passes(b.binding, 'push'), pushed + 1);
  assert.deepEqual(await jobs(`push-channel:${b.binding.id}`), [], 'missed asks for no renewal');
  assert.equal((await stored(b.binding)).id, channel.id);
});

test('a subscription near its end is renewed in place by PATCH; one Graph no longer knows (404) is made again', async () => {
  const b = await boundCalendar('graph-6');
  // Granted half a day: inside the day it is renewed ahead.
  const first = await subscribed(b, dayMs / 2);
  const due = await dueOf(b.binding);
  assert.equal(due?.channel?.id, first.id, 'due a day ahead of its end');
  assert.equal(await renewPushChannel(engine, push, due!), 'renewed');
  const renewed = await stored(b.binding);
  assert.deepEqual([renewed.id, renewed.resourceId, renewed.secretHash], [first.id, first.resourceId, first.secretHash]);
  assert.ok(Date.parse(renewed.expiresAt) > Date.now() + ttlSeconds * 1000 - 60_000, 'three days from now');
  assert.equal(graphSubscription(first.resourceId).expirationMs, Date.parse(renewed.expiresAt));
  assert.equal(await dueOf(b.binding), undefined);

  // Deleted behind calsync's back: the next PATCH is a 404, and a new subscription is made.
  const token = emulator().issueGrant().access_token;
  assert.equal((await fetch(`${graph.root}/v1.0/subscriptions/${first.resourceId}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })).status, 204);
  const missing = requests('PATCH /v1.0/subscriptions/:id 404');
  assert.equal(await renewPushChannel(engine, push, (await dueOf(b.binding, 4 * dayMs))!), 'renewed');
  assert.equal(requests('PATCH /v1.0/subscriptions/:id 404'), missing + 1);
  const remade = await stored(b.binding);
  assert.notEqual(remade.id, first.id);
  assert.notEqual(remade.resourceId, first.resourceId);
  assert.equal(graphSubscription(remade.resourceId).deleted, false);
  assert.equal(graphSubscription(remade.resourceId).clientState!.split('.')[0], remade.id);
  assert.ok(remade.confirmedAt);
});

test('a subscription Graph made though its answer was lost is stopped by its own Graph id when it notifies', async () => {
  const b = await boundCalendar('graph-7');
  const first = await subscribed(b);
  const token = emulator().issueGrant().access_token;
  await fetch(`${graph.root}/v1.0/subscriptions/${first.resourceId}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
  // The PATCH is a 404; the POST that follows is carried out and its answer lost, and every retry fails.
  emulator().setFaults({
    retryAfterSeconds: 0,
    script: [{ kind: 'lostAnswer', method: 'POST', route: '/v1.0/subscriptions' }, { kind: 'serviceUnavailable', method: 'POST', route: '/v1.0/subscriptions', times: 4 }],
  });
  try {
    assert.equal(await renewPushChannel(engine, push, (await dueOf(b.binding, 4 * dayMs))!), 'failed');
  } finally {
    emulator().clearFaults();
  }
  const orphan = emulator().subscriptions().find((s) => s.resource === `me/calendars/${b.remote}/events` && !s.deleted);
  assert.ok(orphan, 'Graph made it');
  assert.equal((await stored(b.binding)).id, first.id, 'calsync never heard of it');
  const calsyncId = orphan.clientState!.split('.')[0];
  const retired = async () => (await t.database.db.query('select resource_id from retired_push_subscriptions where channel_id = $1', [calsyncId])).rows;
  assert.deepEqual(await retired(), [{ resource_id: null }], 'retired without an id: the removed subscription\'s is not this one\'s');

  // Its first notification proves it calsync's (the secret) and names it (Graph's id): it is stopped.
  emulator().insertEvent(b.remote, timedEvent(tomorrow('13:00:00'), 30, 'UTC', { subject: 'From the orphan' }));
  await until('the orphan to be stopped', () => graphSubscription(orphan.id).deleted);
  assert.deepEqual(await retired(), [{ resource_id: orphan.id }]);
});

test('unbinding a Microsoft binding deletes its subscription at Graph, by Graph\'s id', async () => {
  const b = await boundCalendar('graph-12');
  const channel = await subscribed(b);
  const outcome = await requestUnbind(t.database.db, { tenantId: b.tenantId, bindingId: b.binding.id }, 'keep', { actor: 'test' }, { queue: true, readOnlyOf: async () => undefined });
  assert.equal(outcome.removed, false, 'left to the job, which stops the subscription first');
  await until('the subscription to be deleted at Graph', () => graphSubscription(channel.resourceId).deleted);
  await until('the binding to be removed', async () => (await t.database.db.query('select 1 from bindings where id = $1', [b.binding.id])).rows.length === 0);
});

test('a grant revoked before a pass pauses only that account\'s bindings, tells the calendar\'s streams, shows in status, is not retried, and resumes on reconnect', { timeout: 60_000 }, async () => {
  const db = t.database.db;
  const a = await boundCalendar('graph-8');
  const tenantB = await boundCalendar('graph-9');
  await synced(a);
  await synced(tenantB);
  const stream = eventStream(`${base}/calendar/v3/calendars/${a.calendarId}/events/stream`, a.auth);
  await new Promise((r) => setTimeout(r, 300));
  emulator().revokeGrant(a.grant.refresh_token);
  emulator().insertEvent(a.remote, timedEvent(tomorrow('14:00:00'), 30, 'UTC', { subject: 'Follow-up' }));
  emulator().insertEvent(tenantB.remote, timedEvent(tomorrow('15:00:00'), 30, 'UTC', { subject: 'Gym' }));
  const refusedBefore = requests('POST /:tenant/oauth2/v2.0/token 400');
  await queuePass(db, a.tenantId, a.binding.id, 'manual');
  await queuePass(db, tenantB.tenantId, tenantB.binding.id, 'manual');

  await until('account A to be revoked', async () => (await getAccount(db, a.tenantId, a.accountId)).state === 'revoked');
  assert.match((await getAccount(db, a.tenantId, a.accountId)).stateReason!, /AADSTS50173/);
  assert.equal((await getBinding(db, a.tenantId, a.binding.id)).state, 'paused');
  assert.equal((await getBinding(db, tenantB.tenantId, tenantB.binding.id)).state, 'active', 'the other account goes on');
  await until('the other account\'s event to arrive', async () => (await summaries(tenantB)).includes('Gym'));
  assert.equal((await summaries(a)).includes('Follow-up'), false);

  await until('a binding event on the stream', () => stream.events.some((e) => e.event === 'binding'));
  const notice = JSON.parse(stream.events.find((e) => e.event === 'binding')!.data);
  assert.deepEqual([notice.bindingId, notice.accountId, notice.state], [a.binding.id, a.accountId, 'paused']);
  assert.match(notice.reason, /^account revoked: .*AADSTS50173/);
  const attention = (await accountsNeedingAttention(db)).filter((x) => x.id === a.accountId);
  assert.deepEqual(attention.map((x) => [x.state, x.pausedBindings]), [['revoked', 1]]);
  assert.match((await listBindingSummaries(db)).find((x) => x.id === a.binding.id)!.pausedReason!, /account revoked/);

  // Not retried: a queued pass of the paused binding asks Microsoft nothing.
  assert.equal(requests('POST /:tenant/oauth2/v2.0/token 400'), refusedBefore + 1, 'one refresh was refused');
  await until('no pass of the paused binding pending', async () =>
    (await db.query(`select 1 from graphile_worker.jobs where key = $1 and locked_at is null`, [`pass:${a.binding.id}`])).rows.length === 0, 5_000);
  await queuePass(db, a.tenantId, a.binding.id, 'manual');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(requests('POST /:tenant/oauth2/v2.0/token 400'), refusedBefore + 1);
  assert.equal(await dueOf(a.binding), undefined, 'no subscription is made for a paused binding');

  const grant = emulator().issueGrant();
  const resumed = await reactivateAccount(db, secrets, a.tenantId, a.accountId, { refreshToken: grant.refresh_token, accessToken: grant.access_token, expiry: Date.now() + grant.expires_in * 1000 });
  assert.deepEqual(resumed, [a.binding.id]);
  await queuePass(db, a.tenantId, a.binding.id, 'manual');
  await until('the missed event to arrive', async () => (await summaries(a)).includes('Follow-up'));
  await until('an active binding event', () => stream.events.some((e) => e.event === 'binding' && JSON.parse(e.data).state === 'active'));
  stream.close();
});

test('a grant revoked before a renewal pauses the account\'s bindings the same way, and the renewal is not retried', async () => {
  const db = t.database.db;
  const b = await boundCalendar('graph-10');
  const first = await subscribed(b, dayMs / 2);
  const stream = eventStream(`${base}/calendar/v3/calendars/${b.calendarId}/events/stream`, b.auth);
  await new Promise((r) => setTimeout(r, 300));
  emulator().revokeGrant(b.grant.refresh_token);
  const expiry = graphSubscription(first.resourceId).expirationMs;

  assert.equal(await renewPushChannel(engine, push, (await dueOf(b.binding))!), 'failed');
  const account = await getAccount(db, b.tenantId, b.accountId);
  assert.equal(account.state, 'revoked');
  assert.match(account.stateReason!, /AADSTS50173/);
  assert.equal((await getBinding(db, b.tenantId, b.binding.id)).state, 'paused');
  await until('a binding event on the stream', () => stream.events.some((e) => e.event === 'binding'));
  const notice = JSON.parse(stream.events.find((e) => e.event === 'binding')!.data);
  assert.deepEqual([notice.bindingId, notice.state], [b.binding.id, 'paused']);
  assert.match(notice.reason, /^account revoked: .*AADSTS50173/);
  assert.deepEqual((await accountsNeedingAttention(db)).filter((x) => x.id === b.accountId).map((x) => [x.state, x.pausedBindings]), [['revoked', 1]]);
  assert.equal(graphSubscription(first.resourceId).expirationMs, expiry, 'the subscription is as it was');
  assert.equal((await stored(b.binding)).id, first.id);
  assert.equal(await dueOf(b.binding, 4 * dayMs), undefined, 'not picked again while the account is revoked');
  stream.close();
});
