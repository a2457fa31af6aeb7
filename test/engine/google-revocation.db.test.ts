// A revoked (or expired: Google answers both with invalid_grant) Google grant: the pass
// that meets it pauses that account's bindings and no others, the calendar's event
// streams get a `binding` event, the operator's status lists the account, nothing
// retries it, and reconnecting the account resumes its bindings.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Runner } from 'graphile-worker';
import pino from 'pino';
import type { EngineDeps } from '../../src/engine/sync-pass.ts';
import { allTasks } from '../../src/jobs/tasks.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { connectorFactory, urlGuard } from '../../src/main/connectors.ts';
import { graphileLogger } from '../../src/main/graphile-logger.ts';
import { accountsNeedingAttention, createAccount, getAccount, reactivateAccount } from '../../src/store/accounts.ts';
import { createBinding, getBinding, listBindingSummaries } from '../../src/store/bindings.ts';
import { listSeriesPage } from '../../src/store/events.ts';
import { queuePass } from '../../src/store/outbox.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';
import { eventStream } from '../helpers/event-stream.ts';
import { EMULATOR_CLIENT, listeningEmulator, type ListeningEmulator } from '../helpers/google-connector.ts';

let t: TestApp;
let emulator: ListeningEmulator;
let runner: Runner | undefined;
const secrets = new Secrets(parseSecretKey(generateSecretKeyText()));

before(async () => {
  t = await testApp({ secrets });
  emulator = await listeningEmulator({ timeZone: 'Europe/Berlin' });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
});
after(async () => {
  await runner?.stop();
  await emulator?.close();
  await t?.close();
});

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  for (const start = Date.now(); !(await check());) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a revoked grant pauses only its account\'s bindings, tells the streams, shows in status, is not retried, and resumes on reconnect', { timeout: 120_000 }, async () => {
  const db = t.database.db;
  const google = emulator.app.emulator;
  const tenant = await tenantWithKey(t, 'clinic');
  const calendarId = (await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: tenant.auth, payload: { summary: 'Front desk', timeZone: 'Europe/Berlin' } })).json().id as string;
  const work = google.addCalendar({ summary: 'work', timeZone: 'Europe/Berlin' }).id as string;
  const home = google.addCalendar({ summary: 'home', timeZone: 'Europe/Berlin' }).id as string;
  const grantA = google.issueGrant();
  const grantB = google.issueGrant();
  const credentials = (g: typeof grantA) => ({ refreshToken: g.refresh_token, accessToken: g.access_token, expiry: Date.now() + 3_000_000 });
  const accountA = await createAccount(db, secrets, tenant.tenantId, { provider: 'google', login: google.account, credentials: credentials(grantA) });
  const accountB = await createAccount(db, secrets, tenant.tenantId, { provider: 'google', login: google.account, credentials: credentials(grantB) });
  const bindingA = await createBinding(db, tenant.tenantId, { calendarId, accountId: accountA.id, remoteCalendarId: work });
  const bindingB = await createBinding(db, tenant.tenantId, { calendarId, accountId: accountB.id, remoteCalendarId: home });
  const engine: EngineDeps = {
    db, logger: pino({ level: 'silent' }), now: () => new Date(), workerName: 'revocation', debounceMs: 100,
    connectorFor: connectorFactory({ db, secrets, fetch, guard: urlGuard({ allowPrivateUrls: true, allowedUrlHosts: [] }), google: { ...EMULATOR_CLIENT, apiUrl: emulator.root, oauthUrl: emulator.root } }),
  };
  runner = await startWorker({ db, concurrency: 2, workerName: 'revocation', engine, tasks: allTasks, logger: graphileLogger(pino({ level: 'silent' })) });
  const summaries = async () => (await listSeriesPage(db, tenant.tenantId, calendarId, null, 100)).map((s) => s.series.master?.summary).sort();

  google.insertEvent(work, { summary: 'Check-up', start: { dateTime: '2026-03-04T08:00:00+01:00' }, end: { dateTime: '2026-03-04T09:00:00+01:00' } });
  await queuePass(db, tenant.tenantId, bindingA.id, 'manual');
  await until('the first event to reach the calendar', async () => (await summaries()).includes('Check-up'));

  const port = (t.app.server.address() as { port: number }).port;
  const stream = eventStream(`http://127.0.0.1:${port}/calendar/v3/calendars/${calendarId}/events/stream`, tenant.auth);
  await new Promise((r) => setTimeout(r, 300));
  google.revokeGrant(grantA.refresh_token);
  google.insertEvent(work, { summary: 'Follow-up', start: { dateTime: '2026-03-11T08:00:00+01:00' }, end: { dateTime: '2026-03-11T09:00:00+01:00' } });
  google.insertEvent(home, { summary: 'Gym', start: { dateTime: '2026-03-05T18:00:00+01:00' }, end: { dateTime: '2026-03-05T19:00:00+01:00' } });
  await queuePass(db, tenant.tenantId, bindingA.id, 'manual');
  await queuePass(db, tenant.tenantId, bindingB.id, 'manual');

  await until('account A to be revoked', async () => (await getAccount(db, tenant.tenantId, accountA.id)).state === 'revoked');
  assert.match((await getAccount(db, tenant.tenantId, accountA.id)).stateReason!, /invalid_grant/);
  assert.equal((await getBinding(db, tenant.tenantId, bindingA.id)).state, 'paused');
  assert.equal((await getBinding(db, tenant.tenantId, bindingB.id)).state, 'active', 'the other account goes on');
  await until('the other account\'s event to arrive', async () => (await summaries()).includes('Gym'));
  assert.equal((await summaries()).includes('Follow-up'), false);

  await until('a binding event on the stream', () => stream.events.some((e) => e.event === 'binding'));
  const notice = JSON.parse(stream.events.find((e) => e.event === 'binding')!.data);
  assert.equal(notice.bindingId, bindingA.id);
  assert.equal(notice.accountId, accountA.id);
  assert.equal(notice.state, 'paused');
  assert.match(notice.reason, /^account revoked: .*invalid_grant/);

  const attention = await accountsNeedingAttention(db);
  assert.deepEqual(attention.map((a) => [a.id, a.state, a.pausedBindings]), [[accountA.id, 'revoked', 1]]);
  assert.match((await listBindingSummaries(db)).find((b) => b.id === bindingA.id)!.pausedReason!, /account revoked/);

  // Not retried: no pass of A is pending, and a queued one (a webhook, the operator) asks Google nothing.
  const refused = () => google.stats().byRouteAndStatus['POST /token 400'] ?? 0;
  const before = refused();
  assert.equal(before, 1, 'one refresh was refused');
  // B's change may have queued A a debounced push pass just before A paused: it runs at
  // once and does nothing. A next poll would wait minutes and fail this.
  await until('no pass of the paused binding to be pending (no next poll)', async () =>
    (await db.query(`select 1 from graphile_worker.jobs where key = $1 and locked_at is null`, [`pass:${bindingA.id}`])).rows.length === 0, 5_000);
  await queuePass(db, tenant.tenantId, bindingA.id, 'manual');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(refused(), before);

  // Reconnected: the binding resumes, catches up, and the stream hears it.
  const grantC = google.issueGrant();
  const resumed = await reactivateAccount(db, secrets, tenant.tenantId, accountA.id, credentials(grantC));
  assert.deepEqual(resumed, [bindingA.id]);
  for (const id of resumed) await queuePass(db, tenant.tenantId, id, 'manual');
  await until('the missed event to arrive', async () => (await summaries()).includes('Follow-up'));
  await until('an active binding event', () => stream.events.some((e) => e.event === 'binding' && JSON.parse(e.data).state === 'active'));
  assert.deepEqual(await accountsNeedingAttention(db), []);
  stream.close();
});
