// Microsoft Graph push against the Graph emulator over real sockets
// (test/helpers/graph-push-world.ts): the emulator validates calsync's /webhooks/microsoft
// before it makes a subscription, then delivers its notifications there. A subscription
// per binding, confirmed because Graph validated the address before making it; a change
// in Outlook reaching the calendar through a pass its notification queued; forged
// clientStates refused with no work; `missed` asking for a pass that finds what was lost;
// unbinding deleting the subscription at Graph.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { requestUnbind } from '../../src/store/unbinding.ts';
import { secretDigest } from '../../src/store/push-channels.ts';
import { graphFixture } from '../fixtures/microsoft/fixtures.ts';
import { startGraphPushWorld, tomorrow, until, type GraphPushWorld } from '../helpers/graph-push-world.ts';
import { timedEvent } from '../helpers/microsoft-emulator.ts';

let w: GraphPushWorld;

before(async () => {
  w = await startGraphPushWorld('graph-push');
});
after(async () => {
  await w?.close();
});

test('binding a Microsoft calendar makes a subscription whose validation calsync\'s route answers; it is confirmed, and a change in Outlook reaches the calendar through a push pass', async () => {
  const b = await w.boundCalendar('graph-1');
  await w.synced(b);
  const validated = w.requests('POST /v1.0/subscriptions 201');
  const channel = await w.subscribed(b);
  assert.equal(w.requests('POST /v1.0/subscriptions 201'), validated + 1);

  const sub = w.graphSubscription(channel.resourceId);
  assert.ok(sub, 'the stored resourceId is Graph\'s subscription id');
  assert.notEqual(sub.id, channel.id, 'Graph names its subscription; calsync\'s id travels in the clientState');
  assert.equal(sub.resource, `me/calendars/${b.remote}/events`);
  assert.equal(sub.notificationUrl, w.webhook());
  assert.equal(sub.lifecycleNotificationUrl, w.webhook(), 'lifecycle notifications come to the same route');
  const [calsyncId, secret] = [sub.clientState!.slice(0, sub.clientState!.indexOf('.')), sub.clientState!.slice(sub.clientState!.indexOf('.') + 1)];
  assert.equal(calsyncId, channel.id);
  assert.equal(secretDigest(secret), channel.secretHash, 'only the secret\'s digest is stored');
  assert.ok(sub.clientState!.length <= 128, 'Graph takes clientState of at most 128 characters');
  assert.equal(Date.parse(channel.expiresAt), sub.expirationMs, 'the expiry Graph granted');

  // Both addresses were validated against calsync's route, and answered as Graph wants.
  const validations = w.emulator().deliveries().filter((d) => d.subscriptionId === sub.id && d.kind === 'validation');
  assert.deepEqual(validations.map((d) => [d.url, d.status, d.outcome]), [[w.webhook(), 200, 'delivered'], [w.webhook(), 200, 'delivered']]);
  assert.ok(channel.confirmedAt, 'confirmed at once: Graph made it only after the address answered');
  assert.equal(await w.healthy(b.binding), true);

  const inserted = w.emulator().insertEvent(b.remote, timedEvent(tomorrow('10:00:00'), 30, 'W. Europe Standard Time', { subject: 'Walk-in' }));
  await until('the new event to reach the calendar', async () => (await w.summaries(b)).includes('Walk-in'));
  w.emulator().editEvent(inserted.id as string, { subject: 'Walk-in, moved' });
  await until('the edit to reach the calendar', async () => (await w.summaries(b)).includes('Walk-in, moved'));
  // Each notification queues a pass at once; no poll comes sooner than half a minute.
  // One that comes while a pass runs is taken over by that pass's next poll (same job
  // key, its time kept) and recorded as a poll: counted here whatever its trigger.
  await until('a pass for each change', async () => await w.passes(b.binding, 'push') + await w.passes(b.binding, 'poll') >= 2);
  assert.ok(await w.passes(b.binding, 'push') >= 1);
  const changes = w.emulator().deliveries().filter((d) => d.subscriptionId === sub.id && d.kind === 'change');
  assert.ok(changes.length >= 2);
  assert.ok(changes.every((d) => d.url === w.webhook() && d.status === 200 && d.outcome === 'delivered'));
});

test('a forged clientState is answered 404 and queues nothing; the documented example as printed is no calsync notification', async () => {
  const b = await w.boundCalendar('graph-2');
  const channel = await w.subscribed(b);
  const example = graphFixture('change_notification.json');
  const post = (body: unknown) => fetch(w.webhook(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const notification = (clientState: string) => ({ value: [{ ...example.value[0], subscriptionId: channel.resourceId, clientState }] });
  const secret = w.graphSubscription(channel.resourceId).clientState!.slice(channel.id.length + 1);

  assert.equal((await post(notification(`${channel.id}.${secret}x`))).status, 404, 'a wrong secret');
  assert.equal((await post(notification(`${channel.id}.${secret.slice(0, -1)}`))).status, 404, 'a secret one character short');
  assert.equal((await post(notification(`0b9e8f52-3a11-4c67-8d2e-5f4a3b2c1d0e.${secret}`))).status, 404, 'a subscription calsync does not know');
  assert.equal((await post(example)).status, 400, 'the example\'s own clientState');
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(await w.jobs(`pass:${b.binding.id}`), [], 'no pass queued');
  assert.equal(await w.passes(b.binding, 'push'), 0, 'and none ran');
  assert.deepEqual(await w.jobs(`push-channel:${b.binding.id}`), []);

  assert.equal((await post(notification(`${channel.id}.${secret}`))).status, 200, 'the genuine one passes');
  await until('its pass', async () => await w.passes(b.binding, 'push') === 1);
});

test('missed queues a pass, which finds the change whose notification was lost', async () => {
  const b = await w.boundCalendar('graph-5');
  await w.synced(b);
  const channel = await w.subscribed(b);
  w.emulator().setFaults({ notifications: { dropRate: 1 } });
  w.emulator().insertEvent(b.remote, timedEvent(tomorrow('12:00:00'), 30, 'UTC', { subject: 'Never notified' }));
  await w.emulator().flushNotifications();
  w.emulator().clearFaults();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await w.summaries(b)).includes('Never notified'), false, 'no notification, no pass');

  const pushed = await w.passes(b.binding, 'push');
  w.emulator().lifecycle(channel.resourceId, 'missed');
  await until('the missed change to arrive', async () => (await w.summaries(b)).includes('Never notified'));
  assert.equal(await w.passes(b.binding, 'push'), pushed + 1);
  assert.deepEqual(await w.jobs(`push-channel:${b.binding.id}`), [], 'missed asks for no renewal');
  assert.equal((await w.stored(b.binding)).id, channel.id);
});

test('unbinding a Microsoft binding deletes its subscription at Graph, by Graph\'s id', async () => {
  const b = await w.boundCalendar('graph-12');
  const channel = await w.subscribed(b);
  const outcome = await requestUnbind(w.t.database.db, { tenantId: b.tenantId, bindingId: b.binding.id }, 'keep', { actor: 'test' }, { queue: true, readOnlyOf: async () => undefined });
  assert.equal(outcome.removed, false, 'left to the job, which stops the subscription first');
  await until('the subscription to be deleted at Graph', () => w.graphSubscription(channel.resourceId).deleted);
  await until('the binding to be removed', async () => (await w.t.database.db.query('select 1 from bindings where id = $1', [b.binding.id])).rows.length === 0);
});
