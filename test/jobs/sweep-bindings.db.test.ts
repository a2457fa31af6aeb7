import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeWorkerUtils, type WorkerUtils } from 'graphile-worker';
import pino from 'pino';
import { ConnectorError } from '../../src/connectors/connector.ts';
import { MemoryConnector } from '../../src/connectors/memory/index.ts';
import { runSyncBinding } from '../../src/jobs/sync-binding.ts';
import { sweepBindingsTask } from '../../src/jobs/sweep-bindings.ts';
import { allTasks } from '../../src/jobs/tasks.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { graphileLogger } from '../../src/main/graphile-logger.ts';
import { getBinding } from '../../src/store/bindings.ts';
import { queueForgottenPasses } from '../../src/store/outbox.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { engineWorld } from '../helpers/engine.ts';
import { single } from '../helpers/events.ts';

let t: TestDatabase;
let utils: WorkerUtils;
before(async () => {
  t = await freshDatabase();
  utils = await makeWorkerUtils({ pgPool: t.db });
});
after(async () => {
  await utils.release();
  await t.drop();
});

async function jobsOf(bindingId: string): Promise<Array<{ locked: boolean }>> {
  const { rows } = await t.db.query<{ locked: boolean }>(`select locked_at is not null as locked from graphile_worker._private_jobs where key = $1 or (key is null and payload->>'bindingId' = $2)`, [`pass:${bindingId}`, bindingId]);
  return rows;
}

test('the sweep queues a pass of every binding that is due and has no job waiting, and of none other', async () => {
  const world = await engineWorld(t);
  const due = await world.bind('due');
  const waiting = await world.bind('waiting');
  const later = await world.bind('later');
  const paused = await world.bind('paused');
  await t.db.query(`update bindings set next_poll_at = now() - interval '1 minute' where id = any($1::uuid[])`, [[due.id, waiting.id, paused.id]]);
  await t.db.query(`update bindings set next_poll_at = now() + interval '1 hour' where id = $1`, [later.id]);
  await t.db.query(`update bindings set state = 'paused', paused_reason = 'test' where id = $1`, [paused.id]);
  await utils.addJob('sync_binding', { tenantId: world.tenantId, bindingId: waiting.id, trigger: 'poll' }, { jobKey: `pass:${waiting.id}`, runAt: new Date(Date.now() + 60_000) });
  const queued = await queueForgottenPasses(t.db, 60);
  assert.deepEqual(queued.map((q) => q.bindingId).filter((id) => [due.id, waiting.id, later.id, paused.id].includes(id)), [due.id]);
  assert.equal((await jobsOf(due.id)).length, 1);
  assert.deepEqual(await queueForgottenPasses(t.db, 60).then((q) => q.filter((x) => x.bindingId === due.id)), [], 'a second sweep finds the job waiting');
});

test('a binding whose worker died mid-pass (its job locked, its lease lapsed) is queued again beside the dead job', async () => {
  const world = await engineWorld(t);
  const orphan = await world.bind('orphan');
  await t.db.query(`update bindings set next_poll_at = now() + interval '1 hour', lease_owner = 'dead-worker:pass', lease_expires_at = now() - interval '1 second' where id = $1`, [orphan.id]);
  await utils.addJob('sync_binding', { tenantId: world.tenantId, bindingId: orphan.id, trigger: 'poll' }, { jobKey: `pass:${orphan.id}` });
  await t.db.query(`update graphile_worker._private_jobs set locked_at = now() - interval '61 seconds', locked_by = 'dead-worker' where key = $1`, [`pass:${orphan.id}`]);
  assert.ok((await queueForgottenPasses(t.db, 60)).some((q) => q.bindingId === orphan.id));
  const jobs = await jobsOf(orphan.id);
  assert.deepEqual(jobs.map((j) => j.locked).sort(), [false, true], 'a new job beside the one the dead worker holds');
  // A job a worker took a moment ago, whose pass has not taken the lease yet, is not a dead one.
  const starting = await world.bind('starting');
  await t.db.query(`update bindings set next_poll_at = now() - interval '1 minute' where id = $1`, [starting.id]);
  await utils.addJob('sync_binding', { tenantId: world.tenantId, bindingId: starting.id, trigger: 'poll' }, { jobKey: `pass:${starting.id}` });
  await t.db.query(`update graphile_worker._private_jobs set locked_at = now() - interval '2 seconds', locked_by = 'live-worker' where key = $1`, [`pass:${starting.id}`]);
  assert.ok(!(await queueForgottenPasses(t.db, 60)).some((q) => q.bindingId === starting.id));
  // While a live pass holds the lease, the binding is not forgotten.
  const live = await world.bind('live');
  await t.db.query(`update bindings set next_poll_at = now() - interval '1 minute', lease_owner = 'live-worker:pass', lease_expires_at = now() + interval '1 minute' where id = $1`, [live.id]);
  assert.ok(!(await queueForgottenPasses(t.db, 60)).some((q) => q.bindingId === live.id));
});

test('a worker sweeps at start-up, so a binding left behind is synced without waiting for anything', async () => {
  const world = await engineWorld(t);
  const left = await world.bind('left-behind');
  left.connector.userCreate('left-behind', single({ uid: 'swept' }));
  await t.db.query(`update bindings set next_poll_at = now() - interval '5 minutes' where id = $1`, [left.id]);
  const runner = await startWorker({ db: t.db, concurrency: 2, workerName: 'sweeper', engine: world.deps, tasks: allTasks, logger: graphileLogger(pino({ level: 'silent' })), sweepSeconds: 3600 });
  try {
    for (let i = 0; i < 200 && !(await world.calendarSeries()).some((s) => s.series.uid === 'swept'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok((await world.calendarSeries()).some((s) => s.series.uid === 'swept'));
    const { rows } = await t.db.query<{ run_at: Date }>(`select run_at from graphile_worker.jobs where task_identifier = $1 and locked_at is null`, [sweepBindingsTask]);
    assert.equal(rows.length, 1, 'the sweep queued its next run');
    assert.ok(rows[0]!.run_at.getTime() - Date.now() > 3000 * 1000, 'an interval later');
  } finally {
    await runner.stop();
  }
});

/** A provider that is down. */
class Down extends MemoryConnector {
  override async listChanges(): Promise<never> {
    throw new ConnectorError('transient', 'connect ECONNREFUSED 203.0.113.9:443');
  }
}

test('a binding whose job failed its last attempt is paused with the reason, not left silent; earlier attempts are retried', async () => {
  const world = await engineWorld(t);
  const feed = await world.bind('down', { direction: 'import' }, new Down());
  const payload = { tenantId: world.tenantId, bindingId: feed.id, trigger: 'poll' as const };
  const deps = { db: t.db, workerName: 'w', engine: world.deps, tombstoneMs: 86_400_000, sweepSeconds: 60 };
  const addJob = async () => ({}) as never;
  await assert.rejects(runSyncBinding(payload, deps, { addJob, job: { attempts: 3, max_attempts: 25 } }), /ECONNREFUSED/);
  assert.equal((await getBinding(t.db, world.tenantId, feed.id)).state, 'active', 'an attempt with more to come is retried');
  await assert.rejects(runSyncBinding(payload, deps, { addJob, job: { attempts: 25, max_attempts: 25 } }), /ECONNREFUSED/);
  const paused = await getBinding(t.db, world.tenantId, feed.id);
  assert.equal(paused.state, 'paused');
  assert.match(paused.pausedReason ?? '', /^failing: connect ECONNREFUSED .* \(25 attempts\)/);
  assert.ok(!(await queueForgottenPasses(t.db, 60)).some((q) => q.bindingId === feed.id), 'a paused binding is not swept');
});
