// Google push against the emulator, which POSTs its notifications to calsync's webhook
// route over a real socket: a channel per binding (its first message confirms it), a
// change in Google reaching the calendar without any poll, tokens checked, unknown
// channels refused, renewal (new channel, then the old one stopped; a channel whose watch
// answer was lost stopped too), and a binding whose channel could not be made polled as
// before.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { canSubscribe } from '../../src/connectors/connector.ts';
import { googleProvider } from '../../src/connectors/google/provider.ts';
import { renewPushChannel, type PushSettings } from '../../src/engine/push-channels.ts';

const renewAheadMs = googleProvider.push!.renewAheadMs;
import type { EngineDeps } from '../../src/engine/sync-pass.ts';
import { renewPushChannelsJob } from '../../src/jobs/renew-push-channels.ts';
import { createAccount } from '../../src/store/accounts.ts';
import { createBinding, getBinding, type Binding } from '../../src/store/bindings.ts';
import { listSeriesPage } from '../../src/store/events.ts';
import { queuePass } from '../../src/store/outbox.ts';
import { channelsDue, pushHealthySql, queuePushChannel, type PushChannelState } from '../../src/store/push-channels.ts';
import type { Secrets } from '../../src/store/secrets.ts';
import { tenantWithKey, type TestApp } from '../helpers/app.ts';
import type { ListeningEmulator } from '../helpers/google-connector.ts';
import { startPushWorld, type PushWorld } from '../helpers/push-world.ts';

let world: PushWorld;
let t: TestApp;
let emulator: ListeningEmulator;
let engine: EngineDeps;
let push: PushSettings;
let base: string;
let secrets: Secrets;

before(async () => {
  world = await startPushWorld('push');
  ({ t, emulator, engine, push, base, secrets } = world);
});
after(async () => {
  await world?.close();
});

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  for (const start = Date.now(); !(await check());) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function boundCalendar(name: string): Promise<{ tenantId: string; calendarId: string; remote: string; binding: Binding }> {
  const db = t.database.db;
  const tenant = await tenantWithKey(t, name);
  const calendarId = (await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: tenant.auth, payload: { summary: name, timeZone: 'Europe/Berlin' } })).json().id as string;
  const remote = emulator.app.emulator.addCalendar({ summary: name, timeZone: 'Europe/Berlin' }).id as string;
  const grant = emulator.app.emulator.issueGrant();
  const account = await createAccount(db, secrets, tenant.tenantId, {
    provider: 'google', login: emulator.app.emulator.account, credentials: { refreshToken: grant.refresh_token, accessToken: grant.access_token, expiry: Date.now() + 3_000_000 },
  });
  const binding = await createBinding(db, tenant.tenantId, { calendarId, accountId: account.id, remoteCalendarId: remote });
  return { tenantId: tenant.tenantId, calendarId, remote, binding };
}

const channelOf = async (b: Binding): Promise<PushChannelState & { error?: string; retryAt?: string }> =>
  (await t.database.db.query('select push_subscription from bindings where id = $1', [b.id])).rows[0].push_subscription;
const healthy = async (b: Binding): Promise<boolean> =>
  (await t.database.db.query(`select ${pushHealthySql} as ok from bindings where id = $1`, [b.id])).rows[0].ok;
const notify = (headers: Record<string, string>) => fetch(`${base}/webhooks/google`, { method: 'POST', headers: { 'content-type': 'application/json; utf-8', ...headers }, body: '' });

test('a channel per binding: made, confirmed by its first message, and a change in Google reaches the calendar without a poll', async () => {
  const db = t.database.db;
  const { tenantId, calendarId, remote, binding } = await boundCalendar('push-1');
  await queuePass(db, tenantId, binding.id, 'manual');
  await until('the first pass', async () => (await db.query(`select 1 from sync_passes where binding_id = $1 and outcome = 'ok'`, [binding.id])).rows.length > 0);

  const [due] = (await channelsDue(db, 'google', new Date(Date.now() + renewAheadMs), 50)).filter((d) => d.bindingId === binding.id);
  assert.ok(due, 'a Google binding without a channel is due');
  assert.equal(await renewPushChannel(engine, push, due!), 'created');
  await emulator.app.emulator.flushNotifications();
  const channel = await channelOf(binding);
  const live = emulator.app.emulator.channels().find((c) => c.id === channel.id)!;
  assert.equal(live.address, `${base}/webhooks/google`);
  assert.equal(live.resourceId, channel.resourceId);
  assert.notEqual(live.token, channel.secretHash, 'only the token\'s hash is stored');
  await until('the sync message to confirm the channel', () => healthy(binding));

  const started = Date.now();
  emulator.app.emulator.insertEvent(remote, { summary: 'Walk-in', start: { dateTime: '2026-03-06T10:00:00+01:00' }, end: { dateTime: '2026-03-06T10:30:00+01:00' } });
  await until('the change to reach the calendar', async () => (await listSeriesPage(db, tenantId, calendarId, null, 10)).some((s) => s.series.master?.summary === 'Walk-in'));
  const elapsed = Date.now() - started;
  const { rows } = await db.query(`select trigger from sync_passes where binding_id = $1 order by started_at desc limit 1`, [binding.id]);
  assert.equal(rows[0].trigger, 'push');
  assert.ok(elapsed < 5000, `arrived after ${elapsed} ms`);
});

test('the token is checked; a channel calsync does not know is refused and causes no work', async () => {
  const db = t.database.db;
  const { binding, remote } = await boundCalendar('push-2');
  const [due] = (await channelsDue(db, 'google', new Date(Date.now() + renewAheadMs), 50)).filter((d) => d.bindingId === binding.id);
  await renewPushChannel(engine, push, due!);
  const channel = await channelOf(binding);
  const token = emulator.app.emulator.channels().find((c) => c.id === channel.id)!.token!;
  const jobs = async () => Number((await db.query(`select count(*) from graphile_worker.jobs where key = $1`, [`pass:${binding.id}`])).rows[0].count);
  const before = await jobs();
  const forged = await notify({ 'x-goog-channel-id': channel.id, 'x-goog-channel-token': `${token}x`, 'x-goog-resource-id': channel.resourceId, 'x-goog-resource-state': 'exists', 'x-goog-message-number': '9' });
  assert.equal(forged.status, 404);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(await jobs(), before, 'a wrong token queues nothing');
  const padded = await notify({ 'x-goog-channel-id': ` ${channel.id} `, 'x-goog-channel-token': ` ${token}`, 'x-goog-resource-state': 'exists ', 'x-goog-message-number': '10' });
  assert.equal(padded.status, 200, 'header values are trimmed');

  // A channel of this calendar that calsync does not know: nothing proves it is calsync's
  // (anyone may name the calendar's resource id), so it is answered 404 and left to expire.
  const connector = await engine.connectorFor(await getBinding(db, binding.tenantId, binding.id));
  assert.ok(canSubscribe(connector));
  const stray = await connector.watch(remote, { id: 'stray-channel-1', token: 'whatever', address: `${base}/webhooks/google`, ttlSeconds: 3600 });
  await emulator.app.emulator.flushNotifications();
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(emulator.app.emulator.channels().find((c) => c.id === stray.id)!.stopped, false);
  assert.equal((await db.query(`select 1 from graphile_worker.jobs where key = 'stop-channel:stray-channel-1'`)).rows.length, 0, 'no stop queued, no call to Google');
  assert.equal((await notify({ 'x-goog-channel-id': 'stray-channel-1', 'x-goog-resource-id': channel.resourceId, 'x-goog-resource-state': 'exists' })).status, 404);
  assert.equal((await notify({ 'x-goog-channel-id': 'nobody-knows', 'x-goog-resource-id': 'no-such-resource', 'x-goog-resource-state': 'exists' })).status, 404);
  assert.equal((await notify({ 'x-goog-resource-state': 'exists' })).status, 400);
});

test('renewal makes a new channel, then stops the old one; a binding whose channel cannot be made is polled as before', async () => {
  const db = t.database.db;
  const { binding } = await boundCalendar('push-3');
  const dueOf = async (ahead: number) => (await channelsDue(db, 'google', new Date(Date.now() + ahead), 500)).find((d) => d.bindingId === binding.id);
  await renewPushChannel(engine, push, (await dueOf(renewAheadMs))!);
  const first = await channelOf(binding);
  assert.equal(await dueOf(renewAheadMs), undefined, 'a week-long channel is not due a day ahead');
  const renewal = (await dueOf(8 * 86_400_000))!;
  assert.equal(renewal.channel?.id, first.id);
  assert.equal(await renewPushChannel(engine, push, renewal), 'renewed');
  const second = await channelOf(binding);
  assert.notEqual(second.id, first.id);
  const channels = emulator.app.emulator.channels();
  assert.equal(channels.find((c) => c.id === first.id)!.stopped, true);
  assert.equal(channels.find((c) => c.id === second.id)!.stopped, false);
  await until('the new channel to be confirmed', () => healthy(binding));

  const other = await boundCalendar('push-4');
  emulator.app.emulator.setFaults({ script: [{ kind: 'quotaExceeded', route: '/calendar/v3/calendars/:calendarId/events/watch' }] });
  const failing = (await channelsDue(db, 'google', new Date(Date.now() + renewAheadMs), 500)).find((d) => d.bindingId === other.binding.id)!;
  assert.equal(await renewPushChannel(engine, push, failing), 'failed');
  emulator.app.emulator.clearFaults();
  const state = await channelOf(other.binding);
  assert.match(state.error!, /quotaExceeded/);
  assert.ok(Date.parse(state.retryAt!) > Date.now() + 3000 * 1000, 'a quota waits an hour');
  assert.equal(await healthy(other.binding), false, 'no channel: polled at the binding\'s interval');
  assert.equal((await channelsDue(db, 'google', new Date(Date.now() + renewAheadMs), 500)).some((d) => d.bindingId === other.binding.id), false);
});

test('two renewals meeting on one binding (the minutely job and another) make one channel, and it is confirmed', async () => {
  const db = t.database.db;
  const { binding, remote } = await boundCalendar('push-5');
  const [due] = (await channelsDue(db, 'google', new Date(Date.now() + renewAheadMs), 500)).filter((d) => d.bindingId === binding.id);
  const outcomes = await Promise.all([renewPushChannel(engine, push, due!), renewPushChannel(engine, push, due!)]);
  assert.deepEqual(outcomes.sort(), ['created', 'skipped']);
  await emulator.app.emulator.flushNotifications();
  const live = emulator.app.emulator.channels().filter((c) => c.calendarId === remote && !c.stopped);
  assert.deepEqual(live.map((c) => c.id), [(await channelOf(binding)).id], 'one channel made, and it is the binding\'s');
  await until('the channel to be confirmed', () => healthy(binding));

  // The loser of a later meeting no longer holds the channel it was renewing: it makes nothing.
  const stale = (await channelsDue(db, 'google', new Date(Date.now() + 8 * 86_400_000), 500)).find((d) => d.bindingId === binding.id)!;
  assert.equal(await renewPushChannel(engine, push, stale), 'renewed');
  const channelsBefore = emulator.app.emulator.channels().length;
  assert.equal(await renewPushChannel(engine, push, stale), 'skipped');
  assert.equal(emulator.app.emulator.channels().length, channelsBefore);
});

test('a renewal whose watch answer was lost stops the channel Google made anyway', async () => {
  const db = t.database.db;
  const { binding, remote } = await boundCalendar('push-6');
  const dueOf = async (ahead: number) => (await channelsDue(db, 'google', new Date(Date.now() + ahead), 500)).find((d) => d.bindingId === binding.id);
  await renewPushChannel(engine, push, (await dueOf(renewAheadMs))!);
  const first = await channelOf(binding);
  // Google carries the watch out and the answer is lost; the retry is refused as channelIdNotUnique.
  emulator.app.emulator.setFaults({ script: [{ kind: 'lostWrite', route: '/calendar/v3/calendars/:calendarId/events/watch' }] });
  assert.equal(await renewPushChannel(engine, push, (await dueOf(8 * 86_400_000))!), 'failed');
  emulator.app.emulator.clearFaults();
  assert.equal((await channelOf(binding)).id, first.id, 'the live channel stays');
  const lost = emulator.app.emulator.channels().find((c) => c.calendarId === remote && c.id !== first.id)!;
  assert.ok(lost, 'Google made the channel');
  await until('the lost channel to be stopped', () => emulator.app.emulator.channels().find((c) => c.id === lost.id)!.stopped);
  assert.equal(emulator.app.emulator.channels().find((c) => c.id === first.id)!.stopped, false);
});

test('a binding\'s own renewal job makes its channel at once, and only its channel', async () => {
  const db = t.database.db;
  const { binding } = await boundCalendar('push-7');
  const { binding: neighbour } = await boundCalendar('push-8');
  await queuePushChannel(db, { tenantId: binding.tenantId, bindingId: binding.id });
  const { rows: [job] } = await db.query(
    `select t.identifier, j.payload from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id where j.key = $1`, [`push-channel:${binding.id}`]);
  assert.equal(job.identifier, renewPushChannelsJob.name);
  // This worker leaves the renewal task out (see before()); run the job as a worker would.
  await renewPushChannelsJob.run(renewPushChannelsJob.parse(job.payload), { db, workerName: 'push', engine, push, tombstoneMs: 0 }, {} as never);
  assert.ok((await channelOf(binding))?.id, 'the binding has its channel');
  assert.equal((await channelOf(neighbour))?.id, undefined, 'the other binding waits for the minutely run');
  await until('the channel to be confirmed', () => healthy(binding));
  assert.throws(() => renewPushChannelsJob.parse({ tenantId: binding.tenantId, bindingId: 'x' }), /names a binding without tenantId and bindingId/);
  assert.deepEqual(renewPushChannelsJob.parse({ _cron: { ts: '2026-03-01T12:00:00Z', backfilled: false } }), { binding: null });
});
