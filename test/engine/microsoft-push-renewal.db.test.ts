// Renewal of Microsoft Graph subscriptions against the Graph emulator over real sockets
// (test/helpers/graph-push-world.ts): Graph never renews a subscription, so calsync
// PATCHes its expiry ahead of its end and when a `reauthorizationRequired` lifecycle
// notification asks, however far the end; makes a new one after `subscriptionRemoved` or
// a PATCH answered 404, and keeps trying when that fails; and stops a subscription Graph
// made though its answer was lost by the Graph id its first notification names.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { microsoftProvider } from '../../src/connectors/microsoft/provider.ts';
import { renewPushChannel } from '../../src/engine/push-channels.ts';
import { dayMs, startGraphPushWorld, tomorrow, until, type GraphPushWorld } from '../helpers/graph-push-world.ts';
import { timedEvent } from '../helpers/microsoft-emulator.ts';

const { ttlSeconds } = microsoftProvider.push!;
let w: GraphPushWorld;

before(async () => {
  w = await startGraphPushWorld('graph-renewal');
});
after(async () => {
  await w?.close();
});

test('reauthorizationRequired renews the subscription in place (PATCH) though its expiry is days away', async () => {
  const b = await w.boundCalendar('graph-3');
  // Granted six hours less than asked.
  const first = await w.subscribed(b, ttlSeconds * 1000 - 6 * 3_600_000);
  assert.equal(await w.dueOf(b.binding), undefined, 'not due: it has days left');
  const patched = w.requests('PATCH /v1.0/subscriptions/:id 200');
  const made = w.requests('POST /v1.0/subscriptions 201');

  w.emulator().lifecycle(first.resourceId, 'reauthorizationRequired');
  await w.emulator().flushNotifications();
  assert.deepEqual(await w.jobs(`pass:${b.binding.id}`), [], 'a lifecycle notification asks for no pass');
  await w.runQueuedRenewal(b.binding);

  assert.equal(w.requests('PATCH /v1.0/subscriptions/:id 200'), patched + 1);
  assert.equal(w.requests('POST /v1.0/subscriptions 201'), made, 'no new subscription');
  const after = await w.stored(b.binding);
  assert.deepEqual([after.id, after.resourceId, after.secretHash], [first.id, first.resourceId, first.secretHash], 'the same subscription, id and secret');
  const sub = w.graphSubscription(first.resourceId);
  assert.equal(sub.deleted, false);
  assert.equal(Date.parse(after.expiresAt), sub.expirationMs);
  const moved = Date.parse(after.expiresAt) - Date.parse(first.expiresAt);
  assert.ok(moved > 5.9 * 3_600_000 && moved < 6.1 * 3_600_000, `the expiry moved ${moved} ms`);
  assert.equal(await w.healthy(b.binding), true);
});

test('subscriptionRemoved makes a new subscription, which is stored; the removed one is retired', async () => {
  const b = await w.boundCalendar('graph-4');
  const first = await w.subscribed(b);
  w.emulator().lifecycle(first.resourceId, 'subscriptionRemoved');
  await w.emulator().flushNotifications();
  await w.runQueuedRenewal(b.binding);

  const after = await w.stored(b.binding);
  assert.notEqual(after.id, first.id);
  assert.notEqual(after.resourceId, first.resourceId);
  assert.notEqual(after.secretHash, first.secretHash, 'a new secret with the new subscription');
  const sub = w.graphSubscription(after.resourceId);
  assert.equal(sub.deleted, false);
  assert.equal(sub.clientState!.split('.')[0], after.id);
  assert.ok(after.confirmedAt, 'validated, so confirmed');
  assert.equal(await w.healthy(b.binding), true);
  const { rows } = await w.t.database.db.query('select channel_id, resource_id from retired_push_subscriptions where binding_id = $1', [b.binding.id]);
  assert.deepEqual(rows.map((r) => [r.channel_id, r.resource_id]), [[first.id, first.resourceId]]);

  // The new one delivers: a change reaches the calendar.
  w.emulator().insertEvent(b.remote, timedEvent(tomorrow('11:00:00'), 30, 'UTC', { subject: 'After removal' }));
  await until('the change through the new subscription', async () => (await w.summaries(b)).includes('After removal'));
});

test('a removed subscription whose re-creation fails stays due: it is made at the next run, not a day before the removed one would have ended', async () => {
  const b = await w.boundCalendar('graph-11');
  const first = await w.subscribed(b);
  w.emulator().setFaults({ retryAfterSeconds: 0, script: [{ kind: 'serviceUnavailable', method: 'POST', route: '/v1.0/subscriptions', times: 5 }] });
  try {
    w.emulator().lifecycle(first.resourceId, 'subscriptionRemoved');
    await w.emulator().flushNotifications();
    await w.runQueuedRenewal(b.binding);
  } finally {
    w.emulator().clearFaults();
  }
  const failed = await w.stored(b.binding);
  assert.equal(failed.id, first.id, 'nothing new was made');
  assert.match(failed.error!, /serviceNotAvailable|503|unavailable/i);
  assert.equal(await w.healthy(b.binding), false, 'no push: polled as a binding without one');

  const due = await w.dueOf(b.binding);
  assert.equal(due?.channel?.id, first.id, 'due at the next run though the removed one had days left');
  assert.equal(await renewPushChannel(w.engine, w.push, due!), 'renewed');
  const remade = await w.stored(b.binding);
  assert.notEqual(remade.id, first.id);
  assert.equal(w.graphSubscription(remade.resourceId).deleted, false);
  assert.equal(await w.healthy(b.binding), true);
});

test('a lifecycle notification is acted on even while an earlier failed renewal waits for its retry time', async () => {
  const b = await w.boundCalendar('graph-13');
  const first = await w.subscribed(b);
  // A renewal refused with a Retry-After of ten minutes: the next attempt waits for it.
  w.emulator().setFaults({ retryAfterSeconds: 600, script: [{ kind: 'serviceUnavailable', method: 'PATCH', route: '/v1.0/subscriptions/:id' }] });
  try {
    assert.equal(await renewPushChannel(w.engine, w.push, (await w.dueOf(b.binding, 4 * dayMs))!), 'failed');
  } finally {
    w.emulator().clearFaults();
  }
  assert.ok(Date.parse((await w.stored(b.binding)).retryAt!) > Date.now() + 500_000);
  assert.equal(await w.dueOf(b.binding, 4 * dayMs), undefined, 'the minutely run waits');

  // Graph removes the subscription meanwhile and says so: it is made again now, not in ten minutes.
  w.emulator().lifecycle(first.resourceId, 'subscriptionRemoved');
  await w.emulator().flushNotifications();
  await w.runQueuedRenewal(b.binding);
  const remade = await w.stored(b.binding);
  assert.notEqual(remade.id, first.id);
  assert.equal(w.graphSubscription(remade.resourceId).deleted, false);
  assert.equal(remade.retryAt, undefined, 'the failure is forgotten');
  assert.equal(await w.healthy(b.binding), true);
});

test('a subscription near its end is renewed in place by PATCH; one Graph no longer knows (404) is made again', async () => {
  const b = await w.boundCalendar('graph-6');
  // Granted half a day: inside the day it is renewed ahead.
  const first = await w.subscribed(b, dayMs / 2);
  const due = await w.dueOf(b.binding);
  assert.equal(due?.channel?.id, first.id, 'due a day ahead of its end');
  assert.equal(await renewPushChannel(w.engine, w.push, due!), 'renewed');
  const renewed = await w.stored(b.binding);
  assert.deepEqual([renewed.id, renewed.resourceId, renewed.secretHash], [first.id, first.resourceId, first.secretHash]);
  assert.ok(Date.parse(renewed.expiresAt) > Date.now() + ttlSeconds * 1000 - 60_000, 'three days from now');
  assert.equal(w.graphSubscription(first.resourceId).expirationMs, Date.parse(renewed.expiresAt));
  assert.equal(await w.dueOf(b.binding), undefined);

  // Deleted behind calsync's back: the next PATCH is a 404, and a new subscription is made.
  const token = w.emulator().issueGrant().access_token;
  assert.equal((await fetch(`${w.graph.root}/v1.0/subscriptions/${first.resourceId}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })).status, 204);
  const missing = w.requests('PATCH /v1.0/subscriptions/:id 404');
  assert.equal(await renewPushChannel(w.engine, w.push, (await w.dueOf(b.binding, 4 * dayMs))!), 'renewed');
  assert.equal(w.requests('PATCH /v1.0/subscriptions/:id 404'), missing + 1);
  const remade = await w.stored(b.binding);
  assert.notEqual(remade.id, first.id);
  assert.notEqual(remade.resourceId, first.resourceId);
  assert.equal(w.graphSubscription(remade.resourceId).deleted, false);
  assert.equal(w.graphSubscription(remade.resourceId).clientState!.split('.')[0], remade.id);
  assert.ok(remade.confirmedAt);
});

test('a subscription Graph made though its answer was lost is stopped by its own Graph id when it notifies', async () => {
  const b = await w.boundCalendar('graph-7');
  const first = await w.subscribed(b);
  const token = w.emulator().issueGrant().access_token;
  await fetch(`${w.graph.root}/v1.0/subscriptions/${first.resourceId}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
  // The PATCH is a 404; the POST that follows is carried out and its answer lost, and every retry fails.
  w.emulator().setFaults({
    retryAfterSeconds: 0,
    script: [{ kind: 'lostAnswer', method: 'POST', route: '/v1.0/subscriptions' }, { kind: 'serviceUnavailable', method: 'POST', route: '/v1.0/subscriptions', times: 4 }],
  });
  try {
    assert.equal(await renewPushChannel(w.engine, w.push, (await w.dueOf(b.binding, 4 * dayMs))!), 'failed');
  } finally {
    w.emulator().clearFaults();
  }
  const orphan = w.emulator().subscriptions().find((s) => s.resource === `me/calendars/${b.remote}/events` && !s.deleted);
  assert.ok(orphan, 'Graph made it');
  assert.equal((await w.stored(b.binding)).id, first.id, 'calsync never heard of it');
  const calsyncId = orphan.clientState!.split('.')[0];
  const retired = async () => (await w.t.database.db.query('select resource_id from retired_push_subscriptions where channel_id = $1', [calsyncId])).rows;
  assert.deepEqual(await retired(), [{ resource_id: null }], 'retired without an id: the removed subscription\'s is not this one\'s');

  // Its first notification proves it calsync's (the secret) and names it (Graph's id): it is stopped.
  w.emulator().insertEvent(b.remote, timedEvent(tomorrow('13:00:00'), 30, 'UTC', { subject: 'From the orphan' }));
  await until('the orphan to be stopped', () => w.graphSubscription(orphan.id).deleted);
  assert.deepEqual(await retired(), [{ resource_id: orphan.id }]);
});
