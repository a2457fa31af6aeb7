// Renewal of a provider that extends its subscriptions in place (Graph's PATCH of
// expirationDateTime) rather than making a new one (Google): the subscription keeps its
// id, secret and extras' owner; one the provider no longer knows (404) is made again; a
// failed renewal keeps the subscription until it expires and waits before the next try.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { caldavProvider } from '../../src/connectors/caldav/provider.ts';
import { ConnectorError } from '../../src/connectors/connector.ts';
import type { Provider, Subscription } from '../../src/connectors/provider.ts';
import { providerRegistry } from '../../src/connectors/registry.ts';
import { googleWebhook } from '../../src/connectors/google/subscribe.ts';
import { renewPushChannel, type PushSettings } from '../../src/engine/push-channels.ts';
import { channelsDue, type PushChannelState } from '../../src/store/push-channels.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { engineWorld, type EngineWorld } from '../helpers/engine.ts';

const hourMs = 3_600_000;
const calls: string[] = [];
let renewal: (subscription: Subscription) => Promise<Subscription>;
const renewing: Provider = {
  ...caldavProvider,
  push: {
    ttlSeconds: 3600, renewAheadMs: 15 * 60_000, webhook: googleWebhook,
    async subscribe(_connector, remoteCalendarId, request) {
      calls.push(`subscribe ${request.id} ${remoteCalendarId} ${request.address} ${request.ttlSeconds}`);
      return { id: request.id, resourceId: `res-${remoteCalendarId}`, expiresAt: Date.now() + hourMs, extras: { round: 0 } };
    },
    async renew(_connector, subscription, ttlSeconds) {
      calls.push(`renew ${subscription.id} ${ttlSeconds} ${JSON.stringify(subscription.extras)}`);
      return renewal(subscription);
    },
    async unsubscribe(_connector, subscription) {
      calls.push(`unsubscribe ${subscription.id}`);
    },
  },
};

let t: TestDatabase;
let world: EngineWorld;
const push: PushSettings = { webhookUrl: 'https://calsync.example.org/' };

before(async () => {
  t = await freshDatabase();
  world = await engineWorld(t);
  world.deps.providers = providerRegistry({ caldav: async () => renewing });
});
after(async () => { await t.drop(); });

const stored = async (id: string) => (await t.db.query<{ s: PushChannelState & { error?: string; retryAt?: string }; e: Date | null }>(
  'select push_subscription as s, push_expires_at as e from bindings where id = $1', [id])).rows[0]!;
/** The binding's row as the renewal job would pick it, asking ahead by `aheadMs`. */
const due = async (id: string, aheadMs: number) => (await channelsDue(t.db, 'caldav', new Date(Date.now() + aheadMs), 50)).find((d) => d.bindingId === id);

async function pushingBinding(name: string) {
  const binding = await world.bind(name);
  Object.assign(binding.connector, { capabilities: { ...binding.connector.capabilities, push: true } });
  assert.equal(await renewPushChannel(world.deps, push, (await due(binding.id, 0))!), 'created');
  return binding;
}

test('a subscription is extended in place: same id and secret, new expiry and extras, nothing stopped', async () => {
  calls.length = 0;
  const binding = await pushingBinding('in-place');
  const first = await stored(binding.id);
  assert.match(calls[0]!, new RegExp(`^subscribe ${first.s.id} in-place https://calsync.example.org/webhooks/caldav 3600$`));
  assert.equal(await due(binding.id, 0), undefined, 'not due while it has an hour left');
  renewal = async (s) => ({ ...s, expiresAt: Date.now() + 2 * hourMs, extras: { round: 1 } });
  assert.equal(await renewPushChannel(world.deps, push, (await due(binding.id, 2 * hourMs))!), 'renewed');
  const after = await stored(binding.id);
  assert.equal(calls[1], `renew ${first.s.id} 3600 {"round":0}`);
  assert.equal(calls.length, 2, 'no new subscription, no stop');
  assert.deepEqual([after.s.id, after.s.secretHash, after.s.resourceId, after.s.extras], [first.s.id, first.s.secretHash, first.s.resourceId, { round: 1 }]);
  assert.ok(after.e!.getTime() > first.e!.getTime() + hourMs / 2, 'the expiry the renewal column selects on moved too');
  assert.equal(after.s.expiresAt, after.e!.toISOString());
});

test('a subscription the provider no longer knows is made again, and the old one retired and stopped', async () => {
  calls.length = 0;
  const binding = await pushingBinding('gone');
  const first = await stored(binding.id);
  renewal = async () => { throw new ConnectorError('not-found', 'The object was not found.'); };
  assert.equal(await renewPushChannel(world.deps, push, (await due(binding.id, 2 * hourMs))!), 'renewed');
  const after = await stored(binding.id);
  assert.notEqual(after.s.id, first.s.id);
  assert.notEqual(after.s.secretHash, first.s.secretHash, 'a new secret with the new subscription');
  assert.deepEqual(calls.map((c) => c.split(' ')[0]), ['subscribe', 'renew', 'subscribe', 'unsubscribe']);
  assert.equal(calls[3], `unsubscribe ${first.s.id}`);
  const { rows } = await t.db.query('select channel_id from retired_push_subscriptions where binding_id = $1', [binding.id]);
  assert.deepEqual(rows.map((r) => r.channel_id), [first.s.id]);
});

test('a failed renewal keeps the subscription until it expires and waits for the provider\'s Retry-After', async () => {
  calls.length = 0;
  const binding = await pushingBinding('throttled');
  const first = await stored(binding.id);
  renewal = async () => { throw new ConnectorError('rate-limited', 'Too many requests', { retryAfterSeconds: 120 }); };
  assert.equal(await renewPushChannel(world.deps, push, (await due(binding.id, 2 * hourMs))!), 'failed');
  const after = await stored(binding.id);
  assert.deepEqual([after.s.id, after.s.expiresAt, after.e?.toISOString()], [first.s.id, first.s.expiresAt, first.e?.toISOString()]);
  assert.equal(after.s.error, 'Too many requests');
  const retryIn = Date.parse(after.s.retryAt!) - Date.now();
  assert.ok(retryIn > 100_000 && retryIn <= 120_000, `retried in ${retryIn} ms`);
  assert.equal(await due(binding.id, 2 * hourMs), undefined, 'not picked again before then');
  await t.db.query(`update bindings set push_subscription = jsonb_set(push_subscription, '{retryAt}', to_jsonb(now()::text)) where id = $1`, [binding.id]);
  renewal = async (s) => ({ ...s, expiresAt: Date.now() + 2 * hourMs });
  assert.equal(await renewPushChannel(world.deps, push, (await due(binding.id, 2 * hourMs))!), 'renewed');
  const renewed = await stored(binding.id);
  assert.equal(renewed.s.error, undefined, 'the failure is forgotten');
  assert.equal(renewed.s.retryAt, undefined);
});
