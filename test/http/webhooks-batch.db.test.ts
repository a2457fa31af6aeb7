// Graph batches its notifications: one POST may carry hundreds, of several subscriptions,
// and must be answered within 3 seconds or Graph retries it and throttles the address
// (change-notifications-delivery-webhooks, "Throttling"). The route's work for a batch is
// one lookup per subscription and one statement queuing every pass it asks for, not a
// statement per notification.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { microsoftProvider } from '../../src/connectors/microsoft/provider.ts';
import { clientStateOf } from '../../src/connectors/microsoft/webhook.ts';
import { PushIngress } from '../../src/http/push-ingress.ts';
import { webhookRoutes } from '../../src/http/webhooks.ts';
import { createAccount } from '../../src/store/accounts.ts';
import { createBinding } from '../../src/store/bindings.ts';
import { createCalendar } from '../../src/store/calendars.ts';
import type { Db } from '../../src/store/db.ts';
import { secretDigest } from '../../src/store/push-channels.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { createTenant } from '../../src/store/tenants.ts';
import { graphFixture } from '../fixtures/microsoft/fixtures.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

let t: TestDatabase;
let app: FastifyInstance;
const queries: string[] = [];
const subscriptions: Array<{ bindingId: string; id: string; graphId: string; secret: string }> = [];

before(async () => {
  t = await freshDatabase();
  const tenantId = (await createTenant(t.db, 'batch')).id;
  const calendarId = (await createCalendar(t.db, tenantId, { summary: 'c' })).id;
  const account = await createAccount(t.db, new Secrets(parseSecretKey(generateSecretKeyText())), tenantId, { provider: 'microsoft' });
  for (const remote of ['cal-1', 'cal-2', 'cal-3']) {
    const bindingId = (await createBinding(t.db, tenantId, { calendarId, accountId: account.id, remoteCalendarId: remote })).id;
    const s = { bindingId, id: randomUUID(), graphId: randomUUID(), secret: `secret-of-${remote}` };
    await t.db.query(`update bindings set push_subscription = $2::jsonb, push_expires_at = now() + interval '3 days' where id = $1`, [bindingId, JSON.stringify({
      id: s.id, resourceId: s.graphId, secretHash: secretDigest(s.secret), expiresAt: new Date(Date.now() + 3 * 86_400_000).toISOString(),
      createdAt: new Date().toISOString(), confirmedAt: new Date().toISOString(), extras: {},
    })]);
    subscriptions.push(s);
  }
  // The database as the ingress sees it, recording every statement.
  const db = new Proxy(t.db, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver);
      return (text: string, values?: unknown[]) => {
        queries.push(text);
        return target.query(text, values);
      };
    },
  }) as Db;
  app = Fastify();
  const ingress = new PushIngress(db, { debounceMs: 0 });
  app.addHook('onClose', () => ingress.drain());
  webhookRoutes(app, { ingress, providers: [microsoftProvider] });
  await app.ready();
});
after(async () => {
  await app.close();
  await t.drop();
});

test('a batch of 300 change notifications of three subscriptions: three lookups, one statement queuing the three passes', async () => {
  const example = graphFixture('change_notification.json').value[0];
  const missed = graphFixture('lifecycle_missed.json').value[0];
  const value = Array.from({ length: 300 }, (_, i) => {
    const s = subscriptions[i % 3]!;
    return { ...(i === 150 ? missed : example), subscriptionId: s.graphId, clientState: clientStateOf(s.id, s.secret) };
  });
  queries.length = 0;
  const answer = await app.inject({ method: 'POST', url: '/webhooks/microsoft', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ value }) });
  assert.equal(answer.statusCode, 200);
  assert.equal(queries.filter((q) => /push_subscription ->> 'id' = \$1/.test(q)).length, 3, 'one lookup per subscription');
  assert.equal(queries.filter((q) => /add_job/.test(q)).length, 1, 'every pass queued in one statement');
  assert.equal(queries.length, 4);
  const { rows } = await t.db.query(`select key from graphile_worker.jobs where key like 'pass:%' order by key`);
  assert.deepEqual(rows.map((r) => r.key), subscriptions.map((s) => `pass:${s.bindingId}`).sort());
});
