// Dead jobs through the admin API: only the key's tenant's jobs that used up their
// attempts are listed, a page at a time; a replay queues the job again from its first
// attempt with an audit row; another tenant's, an unknown, a retrying or a running job is
// refused and nothing changes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTenant } from '../../src/store/tenants.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { operatorWorld, type Json, type OperatorWorld } from '../helpers/operator.ts';

let t: TestDatabase;
let world: OperatorWorld;
let bindingId: string;
before(async () => {
  t = await freshDatabase();
  world = await operatorWorld(t);
  bindingId = (await world.bind('team')).id;
  await world.clearJobs();
});
after(async () => {
  await world?.app.close();
  await t?.drop();
});

/** A job as the queue leaves it after `attempts` failed runs; dead once attempts reach maxAttempts. */
async function job(payload: object, options: { attempts: number; maxAttempts: number; locked?: boolean; error?: string }): Promise<string> {
  const { rows: [row] } = await t.db.query<{ id: string }>(
    `select id::text from graphile_worker.add_job('sync_binding', $1::json, max_attempts := $2)`, [JSON.stringify(payload), options.maxAttempts]);
  await t.db.query(
    `update graphile_worker._private_jobs set attempts = $2, last_error = $3, run_at = now() + interval '1 day',
            locked_at = case when $4 then now() end, locked_by = case when $4 then 'worker-1' end where id = $1`,
    [row!.id, options.attempts, options.error ?? 'provider answered 503', options.locked ?? false]);
  return row!.id;
}

const jobRow = async (id: string) => (await t.db.query<{ attempts: number; run_at: Date; is_available: boolean }>(
  'select attempts, run_at, is_available from graphile_worker._private_jobs where id = $1', [id])).rows[0]!;

test('the list shows the tenant\'s dead jobs only, newest first, with payload, attempts and last error, a page at a time', async () => {
  const payload = { tenantId: world.tenantId, bindingId, trigger: 'webhook' };
  const older = await job(payload, { attempts: 3, maxAttempts: 3, error: 'provider answered 503' });
  const newer = await job({ ...payload, trigger: 'manual' }, { attempts: 1, maxAttempts: 1, error: 'token revoked' });
  await job(payload, { attempts: 1, maxAttempts: 3 });
  const other = await createTenant(t.db, 'neighbour');
  await job({ tenantId: other.id, bindingId }, { attempts: 1, maxAttempts: 1 });
  await t.db.query(`select graphile_worker.add_job('queue_probe', '{}'::json, max_attempts := 1)`);
  await t.db.query(`update graphile_worker._private_jobs set attempts = 1 where task_id = (select id from graphile_worker._private_tasks where identifier = 'queue_probe')`);

  const listed = await world.call('GET', '/admin/v1/dead-jobs');
  assert.equal(listed.status, 200, JSON.stringify(listed.body));
  assert.deepEqual(listed.body.items.map((j: Json) => [j.id, j.task, j.payload, j.attempts, j.maxAttempts, j.lastError]), [
    [newer, 'sync_binding', { ...payload, trigger: 'manual' }, 1, 1, 'token revoked'],
    [older, 'sync_binding', payload, 3, 3, 'provider answered 503'],
  ]);
  assert.ok(!Number.isNaN(Date.parse(listed.body.items[0].failedAt)));
  assert.equal(listed.body.nextPageToken, null);
  assert.equal((await world.call('GET', '/admin/v1/health')).body.counts.deadJobs, 2, 'the health count agrees');

  const first = await world.call('GET', '/admin/v1/dead-jobs?maxResults=1');
  assert.deepEqual(first.body.items.map((j: Json) => j.id), [newer]);
  const second = await world.call('GET', `/admin/v1/dead-jobs?maxResults=1&pageToken=${encodeURIComponent(first.body.nextPageToken)}`);
  assert.deepEqual([second.body.items.map((j: Json) => j.id), second.body.nextPageToken], [[older], null]);
  assert.equal((await world.call('GET', '/admin/v1/dead-jobs?pageToken=forged')).status, 400);
  assert.deepEqual((await world.call('GET', '/admin/v1/dead-jobs', undefined, world.stranger)).body.items, [], 'another tenant sees none of them');
});

test('a replay runs the dead job again from its first attempt, now, and is audited', async () => {
  const id = await job({ tenantId: world.tenantId, bindingId, trigger: 'poll' }, { attempts: 5, maxAttempts: 5, error: 'timed out' });
  const replayed = await world.call('POST', `/admin/v1/dead-jobs/${id}/replay`, { note: 'provider is back' });
  assert.equal(replayed.status, 200, JSON.stringify(replayed.body));
  assert.deepEqual(replayed.body, { id, task: 'sync_binding' });
  const row = await jobRow(id);
  assert.equal(row.attempts, 0);
  assert.equal(row.is_available, true, 'a worker can take it');
  assert.ok(row.run_at.getTime() <= Date.now(), 'due now');
  assert.ok(!(await world.call('GET', '/admin/v1/dead-jobs')).body.items.some((j: Json) => j.id === id));

  const [action] = (await world.call('GET', '/admin/v1/operator-actions')).body.items;
  assert.deepEqual([action.action, action.targets, action.detail.note, action.detail.lastError], ['job.replay', { jobId: id, task: 'sync_binding' }, 'provider is back', 'timed out']);
  assert.match(action.actor, /^api-key:/);

  // Replayed, it is no longer dead: a second replay is refused.
  await world.refusedUnchanged('POST', `/admin/v1/dead-jobs/${id}/replay`, {}, 409, 'JOB_NOT_DEAD');
});

test('another tenant\'s, an unknown, a retrying or a running job is refused and stays as it was', async () => {
  const dead = await job({ tenantId: world.tenantId, bindingId }, { attempts: 2, maxAttempts: 2 });
  const body = await world.refusedUnchanged('POST', `/admin/v1/dead-jobs/${dead}/replay`, {}, 404, 'NOT_FOUND', world.stranger);
  assert.match(body.error.message, new RegExp(`job ${dead} not found`));
  assert.equal((await jobRow(dead)).attempts, 2, 'still dead');
  for (const unknown of ['999999999', 'abc', '0', '99999999999999999999']) await world.refusedUnchanged('POST', `/admin/v1/dead-jobs/${unknown}/replay`, {}, 404, 'NOT_FOUND');

  const retrying = await job({ tenantId: world.tenantId, bindingId }, { attempts: 1, maxAttempts: 3 });
  const refused = await world.refusedUnchanged('POST', `/admin/v1/dead-jobs/${retrying}/replay`, undefined, 409, 'JOB_NOT_DEAD');
  assert.match(refused.error.message, /2 of 3 attempts left/);
  const running = await job({ tenantId: world.tenantId, bindingId }, { attempts: 2, maxAttempts: 2, locked: true });
  await world.refusedUnchanged('POST', `/admin/v1/dead-jobs/${running}/replay`, {}, 409, 'JOB_NOT_DEAD');
  assert.deepEqual([(await jobRow(retrying)).attempts, (await jobRow(running)).attempts], [1, 2]);
  await world.refusedUnchanged('POST', `/admin/v1/dead-jobs/${dead}/replay`, { priority: 1 }, 400, 'INVALID_REQUEST');
  assert.equal((await jobRow(dead)).attempts, 2);
});
