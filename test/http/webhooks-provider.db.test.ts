// The webhook route of a provider that is not Google, made from its verifier alone: a
// provider shaped like Microsoft Graph, whose notification URL is first called with
// ?validationToken= (answered 200 text/plain with the token), whose notifications come
// batched in a JSON body with each subscription's clientState, and whose lifecycle
// notifications ask for the subscription to be made again.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { caldavProvider } from '../../src/connectors/caldav/provider.ts';
import type { Notification, Provider, WebhookVerifier } from '../../src/connectors/provider.ts';
import { secretMatches } from '../../src/core/secret-digest.ts';
import { PushIngress } from '../../src/http/push-ingress.ts';
import { webhookRoutes } from '../../src/http/webhooks.ts';
import { createAccount } from '../../src/store/accounts.ts';
import { createBinding } from '../../src/store/bindings.ts';
import { createCalendar } from '../../src/store/calendars.ts';
import { secretDigest } from '../../src/store/push-channels.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { createTenant } from '../../src/store/tenants.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

const clientState = 'the-client-state';

/** A verifier as Graph's change notifications need one (its shape, not a Graph connector). */
const graphLike: WebhookVerifier = {
  bodyLimit: 64 * 1024,
  summary: 'Graph-shaped notifications',
  read(request) {
    const token = request.query.validationToken;
    if (token !== undefined) return { answer: { status: 200, contentType: 'text/plain; charset=utf-8', body: token } };
    let body: { value?: Array<{ subscriptionId?: unknown; clientState?: unknown; lifecycleEvent?: unknown; resource?: unknown }> };
    try {
      body = JSON.parse(request.body.toString('utf8'));
    } catch {
      return { answer: { status: 400, body: { error: 'not JSON' } } };
    }
    const notifications: Notification[] = (body.value ?? []).map((n) => ({
      subscriptionId: String(n.subscriptionId ?? ''), secret: String(n.clientState ?? ''), resourceId: String(n.resource ?? ''),
      kind: n.lifecycleEvent === 'reauthorizationRequired' || n.lifecycleEvent === 'subscriptionRemoved' ? 'resubscribe' : 'changed',
    }));
    return { notifications };
  },
  authentic: (notification, stored) => secretMatches(notification.secret, stored.secretHash),
};

const graphProvider: Provider = {
  ...caldavProvider, name: 'graphlike', title: 'Graph-like',
  push: {
    ttlSeconds: 3600, renewAheadMs: 600_000, webhook: graphLike,
    subscribe: async () => { throw new Error('not in this test'); }, unsubscribe: async () => undefined,
  },
};

let t: TestDatabase;
let app: FastifyInstance;
let bindingId: string;

before(async () => {
  t = await freshDatabase();
  const tenantId = (await createTenant(t.db, 'graph')).id;
  const calendarId = (await createCalendar(t.db, tenantId, { summary: 'c' })).id;
  const account = await createAccount(t.db, new Secrets(parseSecretKey(generateSecretKeyText())), tenantId, { provider: 'graphlike' });
  bindingId = (await createBinding(t.db, tenantId, { calendarId, accountId: account.id, remoteCalendarId: 'cal-1' })).id;
  await t.db.query(`update bindings set push_subscription = $2::jsonb, push_expires_at = now() + interval '1 hour' where id = $1`, [bindingId, JSON.stringify({
    id: 'sub-1', resourceId: 'me/calendars/cal-1/events', secretHash: secretDigest(clientState), expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    createdAt: new Date().toISOString(), confirmedAt: null, extras: { changeType: 'created,updated,deleted' },
  })]);
  app = Fastify();
  const ingress = new PushIngress(t.db, { debounceMs: 0 });
  app.addHook('onClose', () => ingress.drain());
  webhookRoutes(app, { ingress, providers: [graphProvider, caldavProvider] });
  await app.ready();
});
after(async () => {
  await app.close();
  await t.drop();
});

const jobs = async (key: string) => (await t.db.query('select 1 from graphile_worker.jobs where key = $1', [key])).rows.length;
const clearJobs = () => t.db.query('delete from graphile_worker._private_jobs');
const post = (payload: unknown, url = '/webhooks/graphlike') =>
  app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(payload) });

test('the validation handshake is answered by the provider itself: the token echoed as text/plain, nothing queued', async () => {
  await clearJobs();
  const token = 'Validation: Testing client application reachability for subscription Request-Id: 6b1ae7a7';
  const answer = await app.inject({ method: 'POST', url: `/webhooks/graphlike?validationToken=${encodeURIComponent(token)}`, headers: { 'content-type': 'text/plain' }, payload: '' });
  assert.equal(answer.statusCode, 200);
  assert.match(String(answer.headers['content-type']), /^text\/plain/);
  assert.equal(answer.body, token);
  assert.equal(await jobs(`pass:${bindingId}`), 0);
});

test('a batch of notifications: the authentic one queues its binding\'s pass, a wrong clientState is refused', async () => {
  await clearJobs();
  const forged = await post({ value: [{ subscriptionId: 'sub-1', clientState: 'guessed', resource: 'me/events/1' }] });
  assert.equal(forged.statusCode, 404);
  assert.equal(await jobs(`pass:${bindingId}`), 0, 'a wrong clientState causes no work');
  const genuine = await post({ value: [{ subscriptionId: 'sub-1', clientState, resource: 'me/events/1' }, { subscriptionId: 'sub-1', clientState, resource: 'me/events/2' }] });
  assert.equal(genuine.statusCode, 200);
  assert.equal(await jobs(`pass:${bindingId}`), 1, 'one pass for the binding, however many notifications');
});

test('a lifecycle notification asks for the subscription again, not for a pass', async () => {
  await clearJobs();
  const answer = await post({ value: [{ subscriptionId: 'sub-1', clientState, lifecycleEvent: 'reauthorizationRequired' }] });
  assert.equal(answer.statusCode, 200);
  assert.equal(await jobs(`push-channel:${bindingId}`), 1);
  assert.equal(await jobs(`pass:${bindingId}`), 0);
});

test('only providers that push have a route; a body the verifier cannot read is its own 400', async () => {
  assert.equal((await post({ value: [] }, '/webhooks/caldav')).statusCode, 404);
  assert.equal((await post({ value: [] }, '/webhooks/nobody')).statusCode, 404);
  const bad = await app.inject({ method: 'POST', url: '/webhooks/graphlike', headers: { 'content-type': 'application/json' }, payload: '{not json' });
  assert.equal(bad.statusCode, 400);
  assert.deepEqual(bad.json(), { error: 'not JSON' });
});
