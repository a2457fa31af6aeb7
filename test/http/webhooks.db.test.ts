// The Google webhook route: the answer comes once the pass is queued (503 when it could
// not be, for Google to retry), a notification that fails authentication causes no work,
// and a flood of forged ones costs a bounded number of database lookups.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { googleProvider } from '../../src/connectors/google/provider.ts';
import { PushIngress, type PushIngressOptions } from '../../src/http/push-ingress.ts';
import { webhookRoutes } from '../../src/http/webhooks.ts';
import { createAccount } from '../../src/store/accounts.ts';
import { createBinding } from '../../src/store/bindings.ts';
import { createCalendar } from '../../src/store/calendars.ts';
import type { Db } from '../../src/store/db.ts';
import { secretDigest } from '../../src/store/push-channels.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { createTenant } from '../../src/store/tenants.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

let t: TestDatabase;
let tenantId: string;
let bindingId: string;
let pausedId: string;
const token = 'the-channel-token';

before(async () => {
  t = await freshDatabase();
  tenantId = (await createTenant(t.db, 'push')).id;
  const calendarId = (await createCalendar(t.db, tenantId, { summary: 'c' })).id;
  const account = await createAccount(t.db, new Secrets(parseSecretKey(generateSecretKeyText())), tenantId, { provider: 'google', credentials: { refreshToken: 'r' } });
  const channel = (id: string) => JSON.stringify({ id, resourceId: 'resource-1', secretHash: secretDigest(token), expiresAt: new Date(Date.now() + 86_400_000).toISOString(), createdAt: new Date().toISOString(), confirmedAt: null });
  bindingId = (await createBinding(t.db, tenantId, { calendarId, accountId: account.id, remoteCalendarId: 'primary' })).id;
  pausedId = (await createBinding(t.db, tenantId, { calendarId, accountId: account.id, remoteCalendarId: 'other@example.com' })).id;
  await t.db.query(`update bindings set push_subscription = $2::jsonb, push_expires_at = now() + interval '1 day' where id = $1`, [bindingId, channel('channel-1')]);
  await t.db.query(`update bindings set push_subscription = $2::jsonb, state = 'paused' where id = $1`, [pausedId, channel('channel-paused')]);
});
after(async () => { await t.drop(); });

/** The database as the ingress sees it, counting its queries, failing those that match `failing`. */
function watchedDb(failing?: RegExp): { db: Db; queries: string[] } {
  const queries: string[] = [];
  const db = new Proxy(t.db, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver);
      return (text: string, values?: unknown[]) => {
        queries.push(text);
        return failing?.test(text) ? Promise.reject(new Error('the database is down')) : target.query(text, values);
      };
    },
  });
  return { db, queries };
}

async function routeOn(db: Db, options: Partial<PushIngressOptions> = {}): Promise<FastifyInstance> {
  const app = Fastify();
  const ingress = new PushIngress(db, { debounceMs: 0, ...options });
  app.addHook('onClose', () => ingress.drain());
  webhookRoutes(app, { ingress, providers: [googleProvider] });
  await app.ready();
  return app;
}

const notify = (app: FastifyInstance, headers: Record<string, string>, remoteAddress = '198.51.100.7') =>
  app.inject({ method: 'POST', url: '/webhooks/google', headers: { 'x-goog-resource-state': 'exists', ...headers }, remoteAddress });
const passJobs = async (id: string) => (await t.db.query('select run_at from graphile_worker.jobs where key = $1', [`pass:${id}`])).rows;
const clearJobs = () => t.db.query(`delete from graphile_worker._private_jobs`);

test('webhook: the answer comes once the pass is queued', async () => {
  await clearJobs();
  const app = await routeOn(t.db, { gatherMs: 50 });
  try {
    const answer = await notify(app, { 'x-goog-channel-id': 'channel-1', 'x-goog-channel-token': token });
    assert.equal(answer.statusCode, 200);
    assert.equal((await passJobs(bindingId)).length, 1, 'queued before the answer, not after it');
  } finally {
    await app.close();
  }
});

test('webhook: a pass that could not be queued is answered 503, which Google retries', async () => {
  await clearJobs();
  const { db } = watchedDb(/add_job/);
  const app = await routeOn(db);
  try {
    const answer = await notify(app, { 'x-goog-channel-id': 'channel-1', 'x-goog-channel-token': token });
    assert.equal(answer.statusCode, 503);
    assert.equal((await passJobs(bindingId)).length, 0);
  } finally {
    await app.close();
  }
});

test('webhook: the sync message is recorded before the answer; a paused binding gets 200 and no pass', async () => {
  await clearJobs();
  const app = await routeOn(t.db);
  try {
    assert.equal((await notify(app, { 'x-goog-channel-id': 'channel-1', 'x-goog-channel-token': token, 'x-goog-resource-state': 'sync' })).statusCode, 200);
    const { rows: [row] } = await t.db.query(`select push_subscription ->> 'confirmedAt' as confirmed from bindings where id = $1`, [bindingId]);
    assert.ok(row.confirmed, 'confirmed when answered');
    assert.equal((await notify(app, { 'x-goog-channel-id': 'channel-paused', 'x-goog-channel-token': token })).statusCode, 200);
    assert.equal((await passJobs(pausedId)).length, 0);
  } finally {
    await app.close();
  }
});

test('webhook: an unknown channel or a wrong token is 404 and causes no work, even on a watched calendar', async () => {
  await clearJobs();
  const { db, queries } = watchedDb();
  const app = await routeOn(db);
  try {
    // A channel calsync does not know, naming the resource a binding's channel watches:
    // nothing proves it is one of calsync's, so nothing is stopped with the account.
    assert.equal((await notify(app, { 'x-goog-channel-id': 'stray-channel', 'x-goog-resource-id': 'resource-1' })).statusCode, 404);
    assert.equal((await notify(app, { 'x-goog-channel-id': 'channel-1', 'x-goog-channel-token': `${token}x` })).statusCode, 404);
    assert.equal((await notify(app, { 'x-goog-channel-id': 'channel-1' })).statusCode, 404);
    assert.deepEqual(queries.map((q) => (/from bindings where push_subscription/.test(q) ? 'lookup' : q)), ['lookup', 'lookup'], 'two lookups (the second id then cached), nothing else');
    const { rows } = await t.db.query('select task_identifier from graphile_worker.jobs');
    assert.deepEqual(rows, [], 'no pass, no channel stop');
  } finally {
    await app.close();
  }
});

test('webhook: a flood of forged notifications costs bounded lookups; the sender is held off, others are not', async () => {
  await clearJobs();
  const { db, queries } = watchedDb();
  // Slow refills, so nothing comes back while the test runs.
  const app = await routeOn(db, { failuresPerSource: { perSecond: 0.01, burst: 5 }, lookups: { perSecond: 0.01, burst: 20 } });
  try {
    const answers = [];
    for (let i = 0; i < 40; i++) answers.push((await notify(app, { 'x-goog-channel-id': `forged-${i}`, 'x-goog-channel-token': 'guess' }, '203.0.113.9')).statusCode);
    assert.deepEqual(answers.slice(0, 5), [404, 404, 404, 404, 404]);
    assert.ok(answers.slice(5).every((s) => s === 503), 'the sender is answered 503 once its failures are used up');
    assert.equal(queries.length, 5, 'no lookup for what was held off');
    const held = await notify(app, { 'x-goog-channel-id': 'forged-x' }, '203.0.113.9');
    assert.ok(Number(held.headers['retry-after']) >= 90, `Retry-After ${held.headers['retry-after']}: when the sender's next failure is allowed`);

    // Many senders: lookups stop at their own limit, whatever the source.
    for (let i = 0; i < 40; i++) await notify(app, { 'x-goog-channel-id': `spread-${i}` }, `192.0.2.${i + 1}`);
    assert.equal(queries.length, 20, 'at most the lookups\' burst');
    const genuine = await notify(app, { 'x-goog-channel-id': 'channel-1', 'x-goog-channel-token': token }, '198.51.100.20');
    assert.equal(genuine.statusCode, 503, 'a genuine one that needs a lookup is retried by Google later');
  } finally {
    await app.close();
  }
});

test('webhook: a sender held off still gets through for a channel in the cache, which costs no lookup', async () => {
  await clearJobs();
  const { db, queries } = watchedDb();
  const app = await routeOn(db, { failuresPerSource: { perSecond: 0.01, burst: 3 } });
  try {
    const genuine = { 'x-goog-channel-id': 'channel-1', 'x-goog-channel-token': token };
    assert.equal((await notify(app, genuine, '203.0.113.50')).statusCode, 200);
    for (let i = 0; i < 5; i++) await notify(app, { 'x-goog-channel-id': `forged-${i}` }, '203.0.113.50');
    assert.equal((await notify(app, { 'x-goog-channel-id': 'forged-new' }, '203.0.113.50')).statusCode, 503, 'held off');
    const lookups = queries.filter((q) => /from bindings where push_subscription/.test(q)).length;
    assert.equal((await notify(app, genuine, '203.0.113.50')).statusCode, 200, 'a proxy in front of Google may share the forger\'s address');
    assert.equal(queries.filter((q) => /from bindings where push_subscription/.test(q)).length, lookups, 'answered from the cache');
    assert.equal((await notify(app, { 'x-goog-channel-id': 'x'.repeat(65) }, '198.51.100.99')).statusCode, 404, 'longer than any channel id Google takes: no lookup');
    assert.equal(queries.filter((q) => /from bindings where push_subscription/.test(q)).length, lookups);
  } finally {
    await app.close();
  }
});
