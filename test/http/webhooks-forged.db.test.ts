// Forged Google notifications against the emulator: however many arrive, and whatever
// real channel or resource ids they name, calsync makes no provider call and queues no
// pass for them; a channel calsync retired that Google still delivers, proven by its
// token, is stopped once per resource an hour however often it notifies; and a genuine
// notification still queues its pass at once.
//
// Provider-call budget: 0 for forged notifications (any channel id, any token, a real
// resource id); 1 channels.stop per resource and hour for a retired channel's genuine ones.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { googleProvider } from '../../src/connectors/google/provider.ts';
import { renewPushChannel, type PushSettings } from '../../src/engine/push-channels.ts';

const renewAheadMs = googleProvider.push!.renewAheadMs;
import type { EngineDeps } from '../../src/engine/sync-pass.ts';
import { createAccount } from '../../src/store/accounts.ts';
import { createBinding, type Binding } from '../../src/store/bindings.ts';
import { channelsDue, pushHealthySql, type PushChannelState } from '../../src/store/push-channels.ts';
import type { Secrets } from '../../src/store/secrets.ts';
import { appOn, tenantWithKey, type TestApp } from '../helpers/app.ts';
import type { ListeningEmulator } from '../helpers/google-connector.ts';
import { startPushWorld, type PushWorld } from '../helpers/push-world.ts';

let world: PushWorld;
let t: TestApp;
let emulator: ListeningEmulator;
let engine: EngineDeps;
let push: PushSettings;
let base: string;
let secrets: Secrets;
const stopRoute = 'POST /calendar/v3/channels/stop';

before(async () => {
  world = await startPushWorld('forged');
  ({ t, emulator, engine, push, base, secrets } = world);
});
after(async () => {
  await world?.close();
});

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  for (const start = Date.now(); !(await check());) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function boundCalendar(name: string): Promise<{ remote: string; binding: Binding }> {
  const tenant = await tenantWithKey(t, name);
  const calendarId = (await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: tenant.auth, payload: { summary: name } })).json().id as string;
  const remote = emulator.app.emulator.addCalendar({ summary: name, timeZone: 'Europe/Berlin' }).id as string;
  const grant = emulator.app.emulator.issueGrant();
  const account = await createAccount(t.database.db, secrets, tenant.tenantId, {
    provider: 'google', login: emulator.app.emulator.account, credentials: { refreshToken: grant.refresh_token, accessToken: grant.access_token, expiry: Date.now() + 3_000_000 },
  });
  return { remote, binding: await createBinding(t.database.db, tenant.tenantId, { calendarId, accountId: account.id, remoteCalendarId: remote }) };
}

const dueOf = async (binding: Binding) => (await channelsDue(t.database.db, 'google', new Date(Date.now() + renewAheadMs), 500)).find((d) => d.bindingId === binding.id)!;
const channelOf = async (binding: Binding): Promise<PushChannelState> =>
  (await t.database.db.query('select push_subscription from bindings where id = $1', [binding.id])).rows[0].push_subscription;
const stops = (): number => emulator.app.emulator.stats().byRoute[stopRoute] ?? 0;
const providerCalls = (): number => emulator.app.emulator.stats().total;
const queued = async (key: string): Promise<number> => Number((await t.database.db.query('select count(*) from graphile_worker.jobs where key like $1', [key])).rows[0].count);
const notify = (headers: Record<string, string>) => fetch(`${base}/webhooks/google`, { method: 'POST', headers: { 'x-goog-resource-state': 'exists', ...headers }, body: '' });

let stale: { remote: string; binding: Binding; channelId: string; token: string; resourceId: string };
let live: { remote: string; binding: Binding; channel: PushChannelState };

test('a channel whose watch answer was lost is retired; Google\'s next notification of it stops it, once', async () => {
  const { remote, binding } = await boundCalendar('stale');
  // Google makes the first channel and the answer is lost: calsync never learns its resource id.
  emulator.app.emulator.setFaults({ script: [{ kind: 'lostWrite', route: '/calendar/v3/calendars/:calendarId/events/watch' }] });
  assert.equal(await renewPushChannel(engine, push, await dueOf(binding)), 'failed');
  emulator.app.emulator.clearFaults();
  await emulator.app.emulator.flushNotifications();
  const made = emulator.app.emulator.channels().find((c) => c.calendarId === remote)!;
  assert.ok(made && !made.stopped, 'Google made the channel');
  stale = { remote, binding, channelId: made.id, token: made.token!, resourceId: made.resourceId };
  const before = stops();
  // Its first (sync) message came while it was being made; that lookup is reused for a second.
  await new Promise((r) => setTimeout(r, 1100));

  emulator.app.emulator.insertEvent(remote, { summary: 'Wakes the lost channel', start: { dateTime: '2026-03-06T10:00:00+01:00' }, end: { dateTime: '2026-03-06T10:30:00+01:00' } });
  await until('the lost channel to be stopped', () => emulator.app.emulator.channels().find((c) => c.id === stale.channelId)!.stopped);
  assert.equal(stops(), before + 1);

  // Google delivering it again and again (or a replay of its notification) asks no more
  // stops within the hour, in this process or another one on the same database.
  const genuine = { 'x-goog-channel-id': stale.channelId, 'x-goog-channel-token': stale.token, 'x-goog-resource-id': stale.resourceId };
  for (let i = 0; i < 50; i++) assert.equal((await notify(genuine)).status, 200);
  const other = await appOn(t.database, { secrets });
  try {
    const elsewhere = await other.inject({ method: 'POST', url: '/webhooks/google', headers: { 'x-goog-resource-state': 'exists', ...genuine } });
    assert.equal(elsewhere.statusCode, 200);
  } finally {
    await other.close();
  }
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await queued('stop-channel:%'), 0, 'nothing more queued');
  assert.equal(stops(), before + 1, 'one channels.stop for the resource');
  assert.equal(await queued(`pass:${binding.id}`), 0, 'a retired channel queues no pass');
});

test('200 forged notifications naming real channels and resources: no provider call, no pass, quick answers', async () => {
  const { remote, binding } = await boundCalendar('live');
  assert.equal(await renewPushChannel(engine, push, await dueOf(binding)), 'created');
  await emulator.app.emulator.flushNotifications();
  live = { remote, binding, channel: await channelOf(binding) };
  await until('the live channel to be confirmed', async () => (await t.database.db.query(`select ${pushHealthySql} as ok from bindings where id = $1`, [binding.id])).rows[0].ok);
  await new Promise((r) => setTimeout(r, 300));
  const callsBefore = providerCalls();
  const stopsBefore = stops();

  const forgeries: Array<{ headers: Record<string, string>; from: string }> = [];
  for (let i = 0; i < 200; i++) {
    const resource = i % 2 === 0 ? live.channel.resourceId : stale.resourceId;
    const channelId = i % 5 === 0 ? live.channel.id : i % 5 === 1 ? stale.channelId : randomUUID();
    // One sender sends most; the rest come from addresses of their own.
    const from = i < 120 ? '203.0.113.9' : `198.51.100.${i - 119}`;
    forgeries.push({ from, headers: { 'x-goog-channel-id': channelId, 'x-goog-channel-token': randomUUID(), 'x-goog-resource-id': resource, 'x-goog-resource-state': i % 7 === 0 ? 'sync' : 'exists' } });
  }
  const started = Date.now();
  let slowest = 0;
  const statuses = new Map<number, number>();
  for (const forgery of forgeries) {
    const sent = Date.now();
    const answer = await t.app.inject({ method: 'POST', url: '/webhooks/google', headers: forgery.headers, remoteAddress: forgery.from });
    slowest = Math.max(slowest, Date.now() - sent);
    statuses.set(answer.statusCode, (statuses.get(answer.statusCode) ?? 0) + 1);
  }
  const elapsed = Date.now() - started;
  assert.deepEqual([...statuses.keys()].sort(), [404, 503], `only refusals and hold-offs: ${JSON.stringify([...statuses])}`);
  assert.ok(elapsed < 5000 && slowest < 1000, `answered in ${elapsed} ms, the slowest in ${slowest} ms`);

  await new Promise((r) => setTimeout(r, 500));
  assert.equal(providerCalls(), callsBefore, 'no provider call at all');
  assert.equal(stops(), stopsBefore);
  assert.equal(await queued('stop-channel:%'), 0, 'no stop queued');
  assert.equal(await queued(`pass:${live.binding.id}`), 0, 'no pass queued');
  assert.equal(await queued(`pass:${stale.binding.id}`), 0, 'no pass queued');
  assert.ok(emulator.app.emulator.channels().filter((c) => c.id === live.channel.id).every((c) => !c.stopped), 'the live channel still runs');
});

test('after the flood, a genuine notification is accepted and queues its pass', async () => {
  emulator.app.emulator.insertEvent(live.remote, { summary: 'Genuine change', start: { dateTime: '2026-03-07T10:00:00+01:00' }, end: { dateTime: '2026-03-07T10:30:00+01:00' } });
  await until('a pass queued by the notification', async () =>
    (await queued(`pass:${live.binding.id}`)) > 0
    || (await t.database.db.query(`select 1 from sync_passes where binding_id = $1 and trigger = 'push'`, [live.binding.id])).rows.length > 0, 10_000);
  // The emulator records a delivery's status once calsync's answer has reached it.
  const answered = () => emulator.app.emulator.deliveries().filter((d) => d.channelId === live.channel.id && d.state === 'exists').at(-1)?.status;
  await until('the delivery answered', async () => answered() !== undefined, 10_000);
  assert.equal(answered(), 200);
});
