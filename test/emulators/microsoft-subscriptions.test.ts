// Subscriptions and change notifications for Outlook events: the validation handshake,
// server-chosen expiry, PATCH renewal, notification bodies with clientState, retries,
// lifecycle notifications and the 400/404 answers the documentation gives.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testGraph, timedEvent, type TestGraph } from '../helpers/microsoft-emulator.ts';

const HOOK = 'https://app.example.org/graph/notify';
const LIFECYCLE = 'https://app.example.org/graph/lifecycle';
const in_ = (t: TestGraph, minutes: number): string => new Date(t.clock.now() + minutes * 60_000).toISOString();

function subscription(t: TestGraph, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { changeType: 'created,updated,deleted', notificationUrl: HOOK, resource: 'me/events', expirationDateTime: in_(t, 60), clientState: 'secret-123', ...extra };
}

test('create: Graph POSTs ?validationToken= to each URL, wants the token back as text/plain, and answers 201', async () => {
  const t = testGraph();
  const r = await t.call('POST', '/v1.0/subscriptions', subscription(t, { lifecycleNotificationUrl: LIFECYCLE }));
  assert.equal(r.statusCode, 201, r.body);
  const s = r.json();
  assert.equal(s.resource, 'me/events');
  assert.equal(s.changeType, 'created,updated,deleted');
  assert.equal(s.clientState, 'secret-123');
  assert.equal(s.lifecycleNotificationUrl, LIFECYCLE);
  assert.equal(s.expirationDateTime, new Date(t.clock.now() + 3_600_000).toISOString().replace('.000Z', '.0000000Z'));
  const validations = t.hook.received.map((x) => new URL(x.url));
  assert.deepEqual(validations.map((u) => `${u.origin}${u.pathname}`), [HOOK, LIFECYCLE]);
  assert.match(validations[0]!.searchParams.get('validationToken')!, /^Validation: Testing client application reachability/);
  assert.equal((await t.call('GET', `/v1.0/subscriptions/${s.id}`)).json().id, s.id);
  assert.equal((await t.call('GET', '/v1.0/subscriptions')).json().value.length, 1);
});

test('a wrong validation answer fails the create with 400 ValidationError and leaves no subscription', async () => {
  const answers: Array<Partial<ReturnType<typeof testGraph>['hook']['validation']>> = [
    { status: 500 }, { body: 'something else' }, { contentType: 'application/json' }, { delayMs: 200 },
  ];
  for (const answer of answers) {
    const t = testGraph({ subscriptions: { validationTimeoutMs: 50 } });
    Object.assign(t.hook.validation, answer);
    const r = await t.call('POST', '/v1.0/subscriptions', subscription(t));
    assert.equal(r.statusCode, 400, JSON.stringify(answer));
    assert.equal(r.json().error.code, 'ValidationError');
    assert.equal(r.json().error.message, 'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.');
    assert.deepEqual((await t.call('GET', '/v1.0/subscriptions')).json().value, []);
  }
});

test('expiry: capped at 10080 minutes (or refused when set so); a past or missing one is 400; bad members are 400 with no validation call', async () => {
  const t = testGraph();
  const long = await t.call('POST', '/v1.0/subscriptions', subscription(t, { expirationDateTime: in_(t, 60 * 24 * 30) }));
  assert.equal(long.statusCode, 201);
  assert.equal(Date.parse(long.json().expirationDateTime), t.clock.now() + 10_080 * 60_000);
  const strict = testGraph({ subscriptions: { tooLong: 'reject', maxMinutes: 4230 } });
  const refused = await strict.call('POST', '/v1.0/subscriptions', subscription(strict, { expirationDateTime: in_(strict, 4231) }));
  assert.equal(refused.statusCode, 400);
  assert.match(refused.json().error.message, /4230 minutes/);
  const calls = t.hook.received.length;
  for (const bad of [
    { expirationDateTime: in_(t, -1) }, { expirationDateTime: undefined }, { changeType: 'moved' }, { resource: 'me/messages' },
    { notificationUrl: 'not a url' }, { clientState: 'x'.repeat(129) }, { color: 'blue' },
  ]) {
    const r = await t.call('POST', '/v1.0/subscriptions', subscription(t, bad));
    assert.equal(r.statusCode, 400, JSON.stringify(bad));
  }
  assert.equal(t.hook.received.length, calls, 'nothing was validated');
  assert.equal((await t.call('GET', '/v1.0/subscriptions')).json().value.length, 1);
});

test('changes are POSTed as {value:[…]} with clientState, resource and resourceData; failures are retried', async () => {
  const t = testGraph({ subscriptions: { retryDelaysMs: [5] } });
  const s = (await t.call('POST', '/v1.0/subscriptions', subscription(t))).json();
  t.hook.received.length = 0;
  const made = (await t.call('POST', '/v1.0/me/events', timedEvent('2026-03-02T09:00:00'))).json();
  await t.app.emulator.flushNotifications();
  assert.equal(t.hook.received.length, 1);
  const body = JSON.parse(t.hook.received[0]!.body);
  assert.deepEqual(body, { value: [{
    subscriptionId: s.id, subscriptionExpirationDateTime: s.expirationDateTime, changeType: 'created',
    resource: `Users/${t.app.emulator.userId}/Events/${made.id}`,
    resourceData: { '@odata.type': '#Microsoft.Graph.Event', '@odata.id': `Users/${t.app.emulator.userId}/Events/${made.id}`, '@odata.etag': made['@odata.etag'], id: made.id },
    clientState: 'secret-123', tenantId: t.app.emulator.tenantId,
  }] });
  t.hook.notificationStatus = 503;
  await t.call('DELETE', `/v1.0/me/events/${made.id}`);
  await t.app.emulator.flushNotifications();
  const deletes = t.app.emulator.deliveries().filter((d) => d.kind === 'change' && d.value[0]!.changeType === 'deleted');
  assert.deepEqual(deletes.map((d) => [d.attempt, d.outcome]), [[1, 'retrying'], [2, 'failed']]);
});

test('a subscription to one calendar hears only that calendar; changeType limits what is sent', async () => {
  const t = testGraph({ calendars: [{ id: 'AAMkWork=', name: 'Work' }] });
  await t.call('POST', '/v1.0/subscriptions', subscription(t, { resource: 'me/calendars/AAMkWork=/events', changeType: 'deleted' }));
  t.hook.received.length = 0;
  const home = (await t.call('POST', '/v1.0/me/events', timedEvent('2026-03-02T09:00:00'))).json();
  const work = (await t.call('POST', '/v1.0/me/calendars/AAMkWork=/events', timedEvent('2026-03-02T09:00:00'))).json();
  await t.call('DELETE', `/v1.0/me/events/${home.id}`);
  await t.call('DELETE', `/v1.0/me/events/${work.id}`);
  await t.app.emulator.flushNotifications();
  const sent = t.hook.received.flatMap((x) => JSON.parse(x.body).value);
  assert.deepEqual(sent.map((n: any) => [n.changeType, n.resourceData.id]), [['deleted', work.id]]);
  assert.equal((await t.call('POST', '/v1.0/subscriptions', subscription(t, { resource: 'me/calendars/nope/events' }))).statusCode, 404);
});

test('PATCH renews; lifecycleNotificationUrl cannot be set after creation; unknown and deleted subscriptions are 404', async () => {
  const t = testGraph();
  const s = (await t.call('POST', '/v1.0/subscriptions', subscription(t))).json();
  t.clock.advance(30 * 60_000);
  const renewed = await t.call('PATCH', `/v1.0/subscriptions/${s.id}`, { expirationDateTime: in_(t, 120) });
  assert.equal(renewed.statusCode, 200);
  assert.equal(Date.parse(renewed.json().expirationDateTime), t.clock.now() + 120 * 60_000);
  const late = await t.call('PATCH', `/v1.0/subscriptions/${s.id}`, { lifecycleNotificationUrl: LIFECYCLE });
  assert.equal(late.statusCode, 400);
  assert.equal((await t.call('GET', `/v1.0/subscriptions/${s.id}`)).json().lifecycleNotificationUrl, null);
  assert.equal((await t.call('PATCH', `/v1.0/subscriptions/${s.id}`, { clientState: 'new' })).statusCode, 400);
  const unknown = await t.call('GET', '/v1.0/subscriptions/2b8c1c1e-0000-4000-8000-000000000000');
  assert.equal(unknown.statusCode, 404);
  assert.equal((await t.call('PATCH', '/v1.0/subscriptions/2b8c1c1e-0000-4000-8000-000000000000', { expirationDateTime: in_(t, 60) })).statusCode, 404);
  assert.equal((await t.call('DELETE', `/v1.0/subscriptions/${s.id}`)).statusCode, 204);
  assert.equal((await t.call('GET', `/v1.0/subscriptions/${s.id}`)).statusCode, 404);
  const expiring = (await t.call('POST', '/v1.0/subscriptions', subscription(t, { expirationDateTime: in_(t, 10) }))).json();
  t.clock.advance(11 * 60_000);
  assert.equal((await t.call('GET', `/v1.0/subscriptions/${expiring.id}`)).statusCode, 404, 'Graph never renews: an expired subscription is gone');
});

test('lifecycle notifications go to lifecycleNotificationUrl; subscriptionRemoved ends the subscription', async () => {
  const t = testGraph();
  const s = (await t.call('POST', '/v1.0/subscriptions', subscription(t, { lifecycleNotificationUrl: LIFECYCLE }))).json();
  t.hook.received.length = 0;
  for (const event of ['reauthorizationRequired', 'missed', 'subscriptionRemoved'] as const) t.app.emulator.lifecycle(s.id, event);
  await t.app.emulator.flushNotifications();
  const sent = t.hook.received.map((x) => ({ url: x.url, n: JSON.parse(x.body).value[0] }));
  assert.ok(sent.every((x) => x.url === LIFECYCLE));
  assert.deepEqual(sent.map((x) => x.n.lifecycleEvent), ['reauthorizationRequired', 'missed', 'subscriptionRemoved']);
  assert.deepEqual(Object.keys(sent[0]!.n).sort(), ['clientState', 'lifecycleEvent', 'subscriptionExpirationDateTime', 'subscriptionId', 'tenantId']);
  assert.equal((await t.call('GET', `/v1.0/subscriptions/${s.id}`)).statusCode, 404);
  const control = await t.app.inject({ method: 'POST', url: `/emulator/subscriptions/${s.id}/lifecycle`, payload: { lifecycleEvent: 'missed' } });
  assert.equal(control.statusCode, 404, 'the removed subscription has no lifecycle any more');
});
