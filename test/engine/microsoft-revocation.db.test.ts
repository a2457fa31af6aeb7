// A revoked Microsoft grant (the emulator revokes it: access tokens answer 401, the
// refresh token invalid_grant AADSTS50173), met by a pass or by a subscription's renewal:
// as with Google (google-revocation.db.test.ts), that account's bindings pause and no
// others, the calendar's event streams get a `binding` event, the operator's status lists
// the account, nothing retries it, and reconnecting the account resumes its bindings.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { renewPushChannel } from '../../src/engine/push-channels.ts';
import { accountsNeedingAttention, getAccount, reactivateAccount } from '../../src/store/accounts.ts';
import { getBinding, listBindingSummaries } from '../../src/store/bindings.ts';
import { queuePass } from '../../src/store/outbox.ts';
import { eventStream } from '../helpers/event-stream.ts';
import { dayMs, startGraphPushWorld, tomorrow, until, type GraphPushWorld } from '../helpers/graph-push-world.ts';
import { timedEvent } from '../helpers/microsoft-emulator.ts';

let w: GraphPushWorld;

before(async () => {
  w = await startGraphPushWorld('graph-revocation');
});
after(async () => {
  await w?.close();
});

test('a grant revoked before a pass pauses only that account\'s bindings, tells the calendar\'s streams, shows in status, is not retried, and resumes on reconnect', { timeout: 60_000 }, async () => {
  const db = w.t.database.db;
  const a = await w.boundCalendar('graph-8');
  const tenantB = await w.boundCalendar('graph-9');
  await w.synced(a);
  await w.synced(tenantB);
  const stream = eventStream(`${w.base}/calendar/v3/calendars/${a.calendarId}/events/stream`, a.auth);
  await new Promise((r) => setTimeout(r, 300));
  w.emulator().revokeGrant(a.grant.refresh_token);
  w.emulator().insertEvent(a.remote, timedEvent(tomorrow('14:00:00'), 30, 'UTC', { subject: 'Follow-up' }));
  w.emulator().insertEvent(tenantB.remote, timedEvent(tomorrow('15:00:00'), 30, 'UTC', { subject: 'Gym' }));
  const refusedBefore = w.requests('POST /:tenant/oauth2/v2.0/token 400');
  await queuePass(db, a.tenantId, a.binding.id, 'manual');
  await queuePass(db, tenantB.tenantId, tenantB.binding.id, 'manual');

  await until('account A to be revoked', async () => (await getAccount(db, a.tenantId, a.accountId)).state === 'revoked');
  assert.match((await getAccount(db, a.tenantId, a.accountId)).stateReason!, /AADSTS50173/);
  assert.equal((await getBinding(db, a.tenantId, a.binding.id)).state, 'paused');
  assert.equal((await getBinding(db, tenantB.tenantId, tenantB.binding.id)).state, 'active', 'the other account goes on');
  await until('the other account\'s event to arrive', async () => (await w.summaries(tenantB)).includes('Gym'));
  assert.equal((await w.summaries(a)).includes('Follow-up'), false);

  await until('a binding event on the stream', () => stream.events.some((e) => e.event === 'binding'));
  const notice = JSON.parse(stream.events.find((e) => e.event === 'binding')!.data);
  assert.deepEqual([notice.bindingId, notice.accountId, notice.state], [a.binding.id, a.accountId, 'paused']);
  assert.match(notice.reason, /^account revoked: .*AADSTS50173/);
  const attention = (await accountsNeedingAttention(db)).filter((x) => x.id === a.accountId);
  assert.deepEqual(attention.map((x) => [x.state, x.pausedBindings]), [['revoked', 1]]);
  assert.match((await listBindingSummaries(db)).find((x) => x.id === a.binding.id)!.pausedReason!, /account revoked/);

  // Not retried: a queued pass of the paused binding asks Microsoft nothing.
  assert.equal(w.requests('POST /:tenant/oauth2/v2.0/token 400'), refusedBefore + 1, 'one refresh was refused');
  await until('no pass of the paused binding pending', async () =>
    (await db.query(`select 1 from graphile_worker.jobs where key = $1 and locked_at is null`, [`pass:${a.binding.id}`])).rows.length === 0, 5_000);
  await queuePass(db, a.tenantId, a.binding.id, 'manual');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(w.requests('POST /:tenant/oauth2/v2.0/token 400'), refusedBefore + 1);
  assert.equal(await w.dueOf(a.binding), undefined, 'no subscription is made for a paused binding');

  const grant = w.emulator().issueGrant();
  const resumed = await reactivateAccount(db, w.secrets, a.tenantId, a.accountId, { refreshToken: grant.refresh_token, accessToken: grant.access_token, expiry: Date.now() + grant.expires_in * 1000 });
  assert.deepEqual(resumed, [a.binding.id]);
  await queuePass(db, a.tenantId, a.binding.id, 'manual');
  await until('the missed event to arrive', async () => (await w.summaries(a)).includes('Follow-up'));
  await until('an active binding event', () => stream.events.some((e) => e.event === 'binding' && JSON.parse(e.data).state === 'active'));
  stream.close();
});

test('a grant revoked before a renewal pauses the account\'s bindings the same way, and the renewal is not retried', async () => {
  const db = w.t.database.db;
  const b = await w.boundCalendar('graph-10');
  const first = await w.subscribed(b, dayMs / 2);
  const stream = eventStream(`${w.base}/calendar/v3/calendars/${b.calendarId}/events/stream`, b.auth);
  await new Promise((r) => setTimeout(r, 300));
  w.emulator().revokeGrant(b.grant.refresh_token);
  const expiry = w.graphSubscription(first.resourceId).expirationMs;

  assert.equal(await renewPushChannel(w.engine, w.push, (await w.dueOf(b.binding))!), 'failed');
  const account = await getAccount(db, b.tenantId, b.accountId);
  assert.equal(account.state, 'revoked');
  assert.match(account.stateReason!, /AADSTS50173/);
  assert.equal((await getBinding(db, b.tenantId, b.binding.id)).state, 'paused');
  await until('a binding event on the stream', () => stream.events.some((e) => e.event === 'binding'));
  const notice = JSON.parse(stream.events.find((e) => e.event === 'binding')!.data);
  assert.deepEqual([notice.bindingId, notice.state], [b.binding.id, 'paused']);
  assert.match(notice.reason, /^account revoked: .*AADSTS50173/);
  assert.deepEqual((await accountsNeedingAttention(db)).filter((x) => x.id === b.accountId).map((x) => [x.state, x.pausedBindings]), [['revoked', 1]]);
  assert.equal(w.graphSubscription(first.resourceId).expirationMs, expiry, 'the subscription is as it was');
  assert.equal((await w.stored(b.binding)).id, first.id);
  assert.equal(await w.dueOf(b.binding, 4 * dayMs), undefined, 'not picked again while the account is revoked');
  stream.close();
});
