// Disconnecting an account through the admin API: its bindings pause, their push channels
// are stopped with its credentials, then the credentials are dropped; connecting it again
// resumes what the disconnect paused.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ConnectorError, type PushSubscriptions } from '../../src/connectors/connector.ts';
import type { MemoryConnector } from '../../src/connectors/memory/index.ts';
import { finishDisconnect } from '../../src/jobs/disconnect-account.ts';
import { createAccount, reactivateAccount } from '../../src/store/accounts.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { operatorWorld, type Json } from '../helpers/operator.ts';
import { snapshot } from '../helpers/snapshot.ts';

let t: TestDatabase;
before(async () => { t = await freshDatabase(); });
after(async () => { await t.drop(); });

const secrets = new Secrets(parseSecretKey(generateSecretKeyText()));


async function credentialsOf(accountId: string): Promise<boolean> {
  const { rows: [row] } = await t.db.query('select credentials is not null as has from accounts where id = $1', [accountId]);
  return row.has;
}

function withPush(connector: MemoryConnector, stopped: string[], fail: () => Error | null = () => null): void {
  const push: PushSubscriptions = {
    watch: async () => { throw new Error('not in this test'); },
    stopChannel: async (channel) => {
      const error = fail();
      if (error) throw error;
      stopped.push(channel.id);
    },
  };
  Object.assign(connector, push, { capabilities: { ...connector.capabilities, push: true } });
}

async function giveChannel(bindingId: string, channelId: string): Promise<void> {
  await t.db.query(`update bindings set push_subscription = $2, push_expires_at = now() + interval '1 day' where id = $1`,
    [bindingId, { id: channelId, resourceId: `res-${channelId}`, secretHash: 'x', expiresAt: new Date().toISOString(), createdAt: new Date().toISOString() }]);
}

test('disconnecting pauses the account\'s active bindings, drops its credentials, and a reconnect resumes just those', async () => {
  const world = await operatorWorld(t);
  const account = await createAccount(t.db, secrets, world.tenantId, { provider: 'caldav', serverUrl: 'https://dav.example.org/', credentials: { username: 'u', password: 'p' } });
  const a = await world.bind('a', { accountId: account.id });
  const b = await world.bind('b', { accountId: account.id });
  await world.call('POST', `/admin/v1/bindings/${b.id}/pause`, { reason: 'checking the calendar' });

  const done = await world.call('POST', `/admin/v1/accounts/${account.id}/disconnect`, { reason: 'the customer left' });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  assert.deepEqual(done.body, { accountId: account.id, state: 'disconnected', pausedBindings: [a.id], channelsToStop: 0, credentialsDropped: true, already: false });
  assert.equal(await credentialsOf(account.id), false, 'credentials dropped at once: there was no channel to stop with them');
  const listed = (await world.call('GET', '/admin/v1/accounts')).body.items.find((x: Json) => x.id === account.id);
  assert.deepEqual([listed.state, listed.stateReason], ['disconnected', 'disconnected by an operator: the customer left']);
  const bindingA = (await world.call('GET', `/admin/v1/bindings/${a.id}`)).body;
  assert.deepEqual([bindingA.state, bindingA.pausedReason], ['paused', 'account disconnected by an operator: the customer left']);
  assert.equal((await world.call('GET', `/admin/v1/bindings/${b.id}`)).body.pausedReason, 'paused by an operator: checking the calendar', 'an operator\'s pause keeps its reason');
  assert.equal((await world.pass(a)).outcome, 'paused');
  assert.equal((await world.call('POST', `/admin/v1/bindings/${a.id}/resume`)).body.error.calsync.code, 'ACCOUNT_NOT_ACTIVE');

  const before = await snapshot(t.db);
  const again = await world.call('POST', `/admin/v1/accounts/${account.id}/disconnect`, {});
  assert.deepEqual([again.status, again.body.already], [200, true]);
  assert.deepEqual(await snapshot(t.db), before, 'asking again changes nothing');

  const resumed = await reactivateAccount(t.db, secrets, world.tenantId, account.id, { username: 'u', password: 'new' });
  assert.deepEqual(resumed, [a.id], 'connecting again resumes what the disconnect paused, not the operator\'s pause');
  const [action] = (await world.call('GET', `/admin/v1/operator-actions?accountId=${account.id}`)).body.items;
  assert.deepEqual([action.action, action.targets.bindingIds, action.detail.reason], ['account.disconnect', [a.id], 'the customer left']);
});

test('an account with push channels keeps its credentials until the channels are stopped with them, then drops them', async () => {
  const world = await operatorWorld(t);
  const account = await createAccount(t.db, secrets, world.tenantId, { provider: 'google', login: 'x@example.org', credentials: { refreshToken: 'r' } });
  const a = await world.bind('pushed', { accountId: account.id });
  const b = await world.bind('pushed-too', { accountId: account.id });
  const stopped: string[] = [];
  let failing = true;
  withPush(a.connector, stopped, () => (failing ? new ConnectorError('transient', 'Google is busy') : null));
  withPush(b.connector, stopped);
  await giveChannel(a.id, 'ch-a');
  await giveChannel(b.id, 'ch-b');

  const done = await world.call('POST', `/admin/v1/accounts/${account.id}/disconnect`);
  assert.equal(done.status, 200, 'no body is an empty one');
  assert.deepEqual([done.body.channelsToStop, done.body.credentialsDropped], [2, false]);
  assert.equal(await credentialsOf(account.id), true);
  const { rows: jobs } = await t.db.query(`select key from graphile_worker.jobs where task_identifier = 'disconnect_account'`);
  assert.deepEqual(jobs.map((j) => j.key), [`disconnect:${account.id}`]);

  const payload = { tenantId: world.tenantId, accountId: account.id };
  // A transient failure before the job's last attempt: tried again later, credentials kept meanwhile.
  assert.deepEqual(await finishDisconnect(world.deps, payload, false), { stopped: 1, givenUp: 0, left: 1 });
  assert.equal(await credentialsOf(account.id), true);
  failing = false;
  assert.deepEqual(await finishDisconnect(world.deps, payload, false), { stopped: 1, givenUp: 0, left: 0 });
  assert.deepEqual(stopped.sort(), ['ch-a', 'ch-b']);
  assert.equal(await credentialsOf(account.id), false);
  const { rows } = await t.db.query('select push_subscription from bindings where account_id = $1', [account.id]);
  assert.deepEqual(rows.map((r) => r.push_subscription), [null, null]);
});

test('a channel that still cannot be stopped on the last attempt is given up: the credentials go anyway', async () => {
  const world = await operatorWorld(t);
  const account = await createAccount(t.db, secrets, world.tenantId, { provider: 'google', login: 'y@example.org', credentials: { refreshToken: 'r' } });
  const a = await world.bind('stuck', { accountId: account.id });
  withPush(a.connector, [], () => new ConnectorError('transient', 'Google is down'));
  await giveChannel(a.id, 'ch-stuck');
  await world.call('POST', `/admin/v1/accounts/${account.id}/disconnect`, {});
  assert.deepEqual(await finishDisconnect(world.deps, { tenantId: world.tenantId, accountId: account.id }, true), { stopped: 0, givenUp: 1, left: 0 });
  assert.equal(await credentialsOf(account.id), false);
});

test('another tenant\'s account, or a malformed body: 404 or 400, and nothing changes', async () => {
  const world = await operatorWorld(t);
  const account = await createAccount(t.db, secrets, world.tenantId, { provider: 'caldav', credentials: { username: 'u', password: 'p' } });
  await world.bind('safe', { accountId: account.id });
  for (const [headers, payload, status] of [[world.stranger, {}, 404], [world.auth, { reason: 'x', wipe: true }, 400], [world.auth, { reason: '' }, 400]] as const) {
    const before = await snapshot(t.db);
    const res = await world.call('POST', `/admin/v1/accounts/${account.id}/disconnect`, payload, headers);
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.deepEqual(await snapshot(t.db), before);
  }
  assert.equal((await world.call('POST', '/admin/v1/accounts/not-an-id/disconnect', {})).status, 404);
});

test('connecting a Google account on a calsync with no Google client: 400 PROVIDER_NOT_CONFIGURED naming the variable, and nothing changes', async () => {
  const world = await operatorWorld(t);
  const before = await snapshot(t.db);
  const res = await world.call('POST', '/admin/v1/accounts/google/authorize', { redirectUri: 'https://app.example.org/callback', loginHint: 'a@example.org' });
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.equal(res.body.error.calsync.code, 'PROVIDER_NOT_CONFIGURED');
  assert.match(res.body.error.message, /CALSYNC_GOOGLE_CLIENT_ID/);
  assert.deepEqual(await snapshot(t.db), before);
});
