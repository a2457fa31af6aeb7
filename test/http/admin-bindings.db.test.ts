// Bindings through the admin API with the real engine: pause and resume, policy, direction
// and poll interval, and unbinding with the remote copies kept or deleted.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { ConnectorError, type PushSubscriptions } from '../../src/connectors/connector.ts';
import type { MemoryConnector } from '../../src/connectors/memory/index.ts';
import { carryOutUnbind, unbindBindingJob } from '../../src/jobs/unbind-binding.ts';
import type { TaskDeps } from '../../src/jobs/registry.ts';
import { createAccount, setAccountState } from '../../src/store/accounts.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { single } from '../helpers/events.ts';
import { operatorWorld, type Json } from '../helpers/operator.ts';

let t: TestDatabase;
before(async () => { t = await freshDatabase(); });
after(async () => { await t.drop(); });




const busy = (id: string) => t.db.query(`update bindings set lease_owner = 'elsewhere', lease_expires_at = now() + interval '1 minute' where id = $1`, [id]);
const idle = (id: string) => t.db.query('update bindings set lease_owner = null, lease_expires_at = null where id = $1', [id]);

/** The memory connector as a provider with push channels, recording the channels stopped. */
function withPush(connector: MemoryConnector, stopped: Array<{ id: string; resourceId: string }>, fail?: () => Error | null): void {
  const push: PushSubscriptions = {
    watch: async () => { throw new Error('not in this test'); },
    stopChannel: async (channel) => {
      const error = fail?.();
      if (error) throw error;
      stopped.push(channel);
    },
  };
  Object.assign(connector, push, { capabilities: { ...connector.capabilities, push: true } });
}

test('pause stops passes with the operator\'s reason and tells the calendar\'s streams; resume queues a pass', async () => {
  const world = await operatorWorld(t);
  const a = await world.bind('paused');
  const listener = new pg.Client({ connectionString: t.url });
  await listener.connect();
  const notices: string[] = [];
  listener.on('notification', (n) => notices.push(n.payload ?? ''));
  await listener.query('listen calsync_calendar');
  try {
    const paused = await world.call('POST', `/admin/v1/bindings/${a.id}/pause`, { reason: 'the user is moving servers' });
    assert.equal(paused.status, 200, JSON.stringify(paused.body));
    assert.deepEqual([paused.body.state, paused.body.pausedReason], ['paused', 'paused by an operator: the user is moving servers']);
    for (let i = 0; i < 50 && notices.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(notices.map((n) => JSON.parse(n)), [{ tenantId: world.tenantId, calendarId: world.calendarId }]);
  } finally {
    await listener.end();
  }
  assert.equal((await world.pass(a)).outcome, 'paused');

  await world.clearJobs();
  const resumed = await world.call('POST', `/admin/v1/bindings/${a.id}/resume`);
  assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
  assert.deepEqual([resumed.body.state, resumed.body.pausedReason], ['active', null]);
  assert.deepEqual((await world.passJobs(a.id)).map((j) => j.payload.trigger), ['manual']);
  assert.equal((await world.pass(a)).outcome, 'ok');
  const actions = (await world.call('GET', `/admin/v1/operator-actions?bindingId=${a.id}`)).body.items;
  assert.deepEqual(actions.map((x: Json) => x.action), ['binding.resume', 'binding.pause']);

  await world.refusedUnchanged('POST', `/admin/v1/bindings/${a.id}/pause`, {}, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('POST', `/admin/v1/bindings/${a.id}/pause`, { reason: '' }, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('POST', `/admin/v1/bindings/${a.id}/pause`, { reason: 'x' }, 404, 'NOT_FOUND', world.stranger);
  await world.refusedUnchanged('POST', `/admin/v1/bindings/${a.id}/resume`, undefined, 404, 'NOT_FOUND', world.stranger);
});

test('a binding whose account is revoked is not resumed (its account is connected again instead), nor are its copies deleted', async () => {
  const world = await operatorWorld(t);
  const a = await world.bind('revoked');
  await setAccountState(t.db, world.tenantId, a.accountId, 'revoked', 'invalid_grant');
  const body = await world.refusedUnchanged('POST', `/admin/v1/bindings/${a.id}/resume`, undefined, 409, 'ACCOUNT_NOT_ACTIVE');
  assert.match(body.error.message, /revoked/);
  // Nor can its remote copies be deleted without the account; keeping them still unbinds it.
  await world.refusedUnchanged('POST', `/admin/v1/bindings/${a.id}/unbind`, { remoteCopies: 'delete' }, 409, 'ACCOUNT_NOT_ACTIVE');
  assert.equal((await world.call('POST', `/admin/v1/bindings/${a.id}/unbind`, { remoteCopies: 'keep' })).status, 200);
});

test('policy and poll interval change; a shorter interval brings the next poll forward; bad values change nothing', async () => {
  const world = await operatorWorld(t);
  const a = await world.bind('settings');
  await world.pass(a);
  await t.db.query(`select graphile_worker.add_job('sync_binding', json_build_object('tenantId', $1::uuid, 'bindingId', $2::uuid, 'trigger', 'poll'),
    run_at := now() + interval '1 hour', job_key := 'pass:' || $2, job_key_mode := 'replace')`, [world.tenantId, a.id]);
  const changed = await world.call('PATCH', `/admin/v1/bindings/${a.id}`, { policy: { mode: 'manual', fields: { description: 'latest' } }, pollIntervalSeconds: 60 });
  assert.equal(changed.status, 200, JSON.stringify(changed.body));
  assert.deepEqual(changed.body.conflictPolicy, { mode: 'manual', fields: { description: 'latest' }, editVsDelete: 'ask' });
  assert.equal(changed.body.pollIntervalSeconds, 60);
  const { rows: [job] } = await t.db.query(`select extract(epoch from run_at - now()) as seconds from graphile_worker.jobs where key = $1`, [`pass:${a.id}`]);
  assert.ok(job.seconds > 0 && job.seconds <= 60, `next poll in ${job.seconds} s`);
  const [action] = (await world.call('GET', `/admin/v1/operator-actions?bindingId=${a.id}`)).body.items;
  assert.deepEqual([action.action, action.detail.before.pollIntervalSeconds, action.detail.after.pollIntervalSeconds], ['binding.update', 300, 60]);

  const url = `/admin/v1/bindings/${a.id}`;
  await world.refusedUnchanged('PATCH', url, {}, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('PATCH', url, { policy: 'whatever-wins' }, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('PATCH', url, { policy: { mode: 'manual', fields: { mood: 'ask' } } }, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('PATCH', url, { pollIntervalSeconds: 5 }, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('PATCH', url, { direction: 'sideways' }, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('PATCH', url, { pollIntervalSeconds: 120, name: 'x' }, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('PATCH', url, { pollIntervalSeconds: 120 }, 404, 'NOT_FOUND', world.stranger);
});

test('a direction that starts writing a side takes that side\'s backlog: the calendar\'s events go out, the remote\'s come in', async () => {
  const world = await operatorWorld(t);
  const importing = await world.bind('was-import', { direction: 'import' });
  await world.appWrite(null, single({ uid: 'from-the-app' }));
  await world.pass(importing);
  assert.equal(importing.connector.liveItems('was-import').length, 0, 'import: nothing sent');
  const exporting = await world.bind('was-export', { direction: 'export' });
  exporting.connector.userCreate('was-export', single({ uid: 'from-the-remote' }));
  await world.pass(exporting);
  assert.equal((await world.calendarSeries()).length, 1, 'export: nothing taken in');

  // Not while a pass runs: the change resets what it reads.
  await busy(importing.id);
  await world.refusedUnchanged('PATCH', `/admin/v1/bindings/${importing.id}`, { direction: 'two_way' }, 409, 'BINDING_BUSY');
  await idle(importing.id);

  assert.equal((await world.call('PATCH', `/admin/v1/bindings/${importing.id}`, { direction: 'two_way' })).body.direction, 'two_way');
  assert.equal((await world.pass(importing)).outcome, 'ok');
  assert.deepEqual(importing.connector.liveItems('was-import').map((i) => i.series.uid), ['from-the-app']);

  assert.equal((await world.call('PATCH', `/admin/v1/bindings/${exporting.id}`, { direction: 'two_way' })).status, 200);
  assert.equal((await world.pass(exporting)).outcome, 'ok');
  assert.deepEqual((await world.calendarSeries()).map((s) => s.series.uid).sort(), ['from-the-app', 'from-the-remote']);
});

test('an ICS feed stays import-only', async () => {
  const world = await operatorWorld(t);
  const feed = await createAccount(t.db, new Secrets(parseSecretKey(generateSecretKeyText())), world.tenantId, { provider: 'ics', serverUrl: 'https://example.org/f.ics' });
  const b = await world.bind('https://example.org/f.ics', { accountId: feed.id, direction: 'import' });
  const body = await world.refusedUnchanged('PATCH', `/admin/v1/bindings/${b.id}`, { direction: 'two_way' }, 400, 'INVALID_REQUEST');
  assert.match(body.error.message, /ICS/);
  await world.refusedUnchanged('POST', `/admin/v1/bindings/${b.id}/unbind`, { remoteCopies: 'delete' }, 400, 'INVALID_REQUEST');
});

test('unbind keeping the remote copies removes the binding at once; the calendar, its events and the remote items stay', async () => {
  const world = await operatorWorld(t);
  const a = await world.bind('kept');
  await world.appWrite(null, single({ uid: 'stays' }));
  a.connector.userCreate('kept', single({ uid: 'stays too' }));
  await world.pass(a);
  await world.pass(a);

  await busy(a.id);
  await world.refusedUnchanged('POST', `/admin/v1/bindings/${a.id}/unbind`, { remoteCopies: 'keep' }, 409, 'BINDING_BUSY');
  await idle(a.id);
  await world.refusedUnchanged('POST', `/admin/v1/bindings/${a.id}/unbind`, {}, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('POST', `/admin/v1/bindings/${a.id}/unbind`, { remoteCopies: 'shred' }, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('POST', `/admin/v1/bindings/${a.id}/unbind`, { remoteCopies: 'keep' }, 404, 'NOT_FOUND', world.stranger);

  const unbound = await world.call('POST', `/admin/v1/bindings/${a.id}/unbind`, { remoteCopies: 'keep', note: 'moved to another calendar' });
  assert.equal(unbound.status, 200, JSON.stringify(unbound.body));
  assert.deepEqual(unbound.body, { bindingId: a.id, remoteCopies: 'keep', removed: true });
  assert.equal((await world.call('GET', `/admin/v1/bindings/${a.id}`)).status, 404);
  const { rows: [left] } = await t.db.query('select count(*)::int as n from sync_status where binding_id = $1', [a.id]);
  assert.equal(left.n, 0, 'its statuses went with it');
  assert.equal((await world.calendarSeries()).length, 2);
  assert.equal(a.connector.liveItems('kept').length, 2);
  const actions = (await world.call('GET', `/admin/v1/operator-actions?bindingId=${a.id}`)).body.items;
  assert.deepEqual(actions.map((x: Json) => x.action), ['binding.unbound', 'binding.unbind'], 'the audit outlives the binding');
  assert.equal(actions[1].detail.note, 'moved to another calendar');
});

test('unbind deleting the remote copies: a job deletes what calsync holds statuses for, keeps what someone edited since, then removes the binding', async () => {
  const world = await operatorWorld(t);
  const a = await world.bind('deleted');
  for (let i = 0; i < 5; i++) await world.appWrite(null, single({ uid: `out-${i}` }));
  const theirs = a.connector.userCreate('deleted', single({ uid: 'theirs' }));
  await world.pass(a);
  await world.pass(a);
  const edited = a.connector.liveItems('deleted').find((i) => i.series.uid === 'out-0')!;
  a.connector.userUpdate('deleted', edited.remoteId, { ...edited.series, master: { ...edited.series.master!, location: 'Room 2' } });
  // A pending create (its answer never came) has no remote id to delete.
  await t.db.query(`insert into sync_status (tenant_id, binding_id, event_id, remote_id, content_hash, base, pending)
    values ($1, $2, gen_random_uuid(), 'pending:x', 'h', '{}', true)`, [world.tenantId, a.id]);

  const unbound = await world.call('POST', `/admin/v1/bindings/${a.id}/unbind`, { remoteCopies: 'delete' });
  assert.equal(unbound.status, 202, JSON.stringify(unbound.body));
  assert.equal(unbound.body.removed, false);
  const marked = await world.call('GET', `/admin/v1/bindings/${a.id}`);
  assert.deepEqual([marked.body.state, marked.body.pausedReason], ['paused', 'being unbound: remote copies deleted']);
  assert.equal((await world.pass(a)).outcome, 'paused', 'no pass runs meanwhile');
  await world.refusedUnchanged('POST', `/admin/v1/bindings/${a.id}/pause`, { reason: 'x' }, 409, 'BINDING_UNBINDING');
  await world.refusedUnchanged('POST', `/admin/v1/bindings/${a.id}/unbind`, { remoteCopies: 'keep' }, 409, 'BINDING_UNBINDING');
  assert.equal((await world.call('POST', `/admin/v1/bindings/${a.id}/unbind`, { remoteCopies: 'delete' })).status, 202, 'asking again is harmless');

  const { rows: [job] } = await t.db.query<{ payload: unknown }>(
    `select p.payload from graphile_worker.jobs j join graphile_worker._private_jobs p using (id) where j.task_identifier = 'unbind_binding'`);
  // The remote fails once mid-way: the job is retried and goes on where it stopped.
  let failures = 1;
  const remove = a.connector.delete.bind(a.connector);
  a.connector.delete = async (...args) => {
    if (a.connector.liveItems('deleted').length < 5 && failures-- > 0) throw new ConnectorError('transient', 'server busy');
    return remove(...args);
  };
  const deps = { engine: world.deps } as unknown as TaskDeps;
  await assert.rejects(unbindBindingJob.run(unbindBindingJob.parse(job!.payload), deps, {} as never), /server busy/);
  assert.equal((await world.call('GET', `/admin/v1/bindings/${a.id}`)).status, 200, 'still there after the failure');
  await unbindBindingJob.run(unbindBindingJob.parse(job!.payload), deps, {} as never);

  assert.equal((await world.call('GET', `/admin/v1/bindings/${a.id}`)).status, 404);
  assert.deepEqual(a.connector.liveItems('deleted').map((i) => i.remoteId).sort(), [edited.remoteId], 'only the copy edited since is left');
  assert.equal((await world.calendarSeries()).length, 6, 'the calendar keeps every event, the remote-born one too');
  const [done] = (await world.call('GET', `/admin/v1/operator-actions?bindingId=${a.id}`)).body.items;
  assert.equal(done.action, 'binding.unbound');
  assert.deepEqual(done.detail.kept, [{ remoteId: edited.remoteId, reason: 'changed on the remote since calsync last synced it' }]);
  assert.ok(!a.connector.liveItems('deleted').some((i) => i.remoteId === theirs));
});

test('unbinding a binding with a push channel stops the channel, whether its copies stay or go', async () => {
  const world = await operatorWorld(t);
  for (const remoteCopies of ['keep', 'delete'] as const) {
    const a = await world.bind(`pushed-${remoteCopies}`);
    const stopped: Array<{ id: string; resourceId: string }> = [];
    withPush(a.connector, stopped);
    await t.db.query(`update bindings set push_subscription = $2, push_expires_at = now() + interval '1 day' where id = $1`,
      [a.id, { id: `ch-${remoteCopies}`, resourceId: 'res-1', secretHash: 'x', expiresAt: new Date().toISOString(), createdAt: new Date().toISOString() }]);
    const unbound = await world.call('POST', `/admin/v1/bindings/${a.id}/unbind`, { remoteCopies });
    assert.equal(unbound.status, 202, 'the channel is stopped by the job');
    const outcome = await carryOutUnbind(world.deps, { tenantId: world.tenantId, bindingId: a.id, actor: 'test' });
    assert.deepEqual([outcome.removed, outcome.channelStopped], [true, true]);
    assert.deepEqual(stopped, [{ id: `ch-${remoteCopies}`, resourceId: 'res-1' }]);
  }
});
