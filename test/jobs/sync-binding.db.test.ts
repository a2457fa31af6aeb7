import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeWorkerUtils, type WorkerUtils } from 'graphile-worker';
import pino from 'pino';
import { enqueue } from '../../src/jobs/registry.ts';
import { busyRetryMs, runSyncBinding, syncBindingJob } from '../../src/jobs/sync-binding.ts';
import { allTasks } from '../../src/jobs/tasks.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { graphileLogger } from '../../src/main/graphile-logger.ts';
import { acquireLease, releaseLease } from '../../src/store/bindings.ts';
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

async function pendingPass(bindingId: string): Promise<{ run_at: Date; payload: { trigger: string } } | undefined> {
  const { rows } = await t.db.query<{ run_at: Date; payload: { trigger: string } }>(
    `select j.run_at, p.payload from graphile_worker.jobs j join graphile_worker._private_jobs p using (id)
      where j.key = $1 and j.locked_at is null`, [`pass:${bindingId}`]);
  return rows[0];
}

test('a queued pass syncs the binding and schedules the next poll', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('queued');
  for (let i = 0; i < 3; i++) a.connector.userCreate('queued', single({ uid: `q-${i}` }));
  await enqueue(utils, syncBindingJob, { tenantId: world.tenantId, bindingId: a.id, trigger: 'manual' }, { jobKey: `pass:${a.id}` });
  const runner = await startWorker({ db: t.db, concurrency: 2, workerName: 'w', engine: world.deps, tasks: allTasks, logger: graphileLogger(pino({ level: 'silent' })) });
  try {
    for (let i = 0; i < 200 && (await world.calendarSeries()).length < 3; i++) await new Promise((r) => setTimeout(r, 50));
    let next: Awaited<ReturnType<typeof pendingPass>>;
    for (let i = 0; i < 100 && !(next = await pendingPass(a.id)); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal((await world.calendarSeries()).length, 3);
    assert.equal(next!.payload.trigger, 'poll');
    const delay = (next!.run_at.getTime() - Date.now()) / 1000;
    assert.ok(delay > 60 && delay < 85, `after changes the next poll comes at about a quarter of 300 s, got ${delay}`);
    const { rows: [b] } = await t.db.query<{ last_pass_outcome: string }>('select last_pass_outcome from bindings where id = $1', [a.id]);
    assert.equal(b!.last_pass_outcome, 'ok');
  } finally {
    await runner.stop();
  }
});

test('a calendar change made by one binding queues a debounced pass of the others, not of itself', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('source');
  const b = await world.bind('peer');
  const c = await world.bind('import-only', { direction: 'import' });
  a.connector.userCreate('source', single({ uid: 'spread' }));
  await world.pass(a);
  assert.equal(await pendingPass(a.id), undefined);
  assert.equal((await pendingPass(b.id))?.payload.trigger, 'change');
  assert.equal(await pendingPass(c.id), undefined, 'an import binding has nothing to receive');
  const again = await world.pass(a);
  assert.equal(again.stats.calendarWrites, 0);
});

test('a pass that finds another pass of its binding running asks again soon, so the change it was queued for is not left to the next poll', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('contended');
  a.connector.userCreate('contended', single({ uid: 'while-busy' }));
  // Another worker's pass holds the binding (it read before this change).
  const ref = { tenantId: world.tenantId, bindingId: a.id };
  assert.ok(await acquireLease(t.db, ref, 'other-worker:pass', 300));
  await enqueue(utils, syncBindingJob, { tenantId: world.tenantId, bindingId: a.id, trigger: 'change' }, { jobKey: `pass:${a.id}` });
  const runner = await startWorker({ db: t.db, concurrency: 2, workerName: 'w', engine: world.deps, tasks: allTasks, logger: graphileLogger(pino({ level: 'silent' })) });
  try {
    let retry: Awaited<ReturnType<typeof pendingPass>>;
    for (let i = 0; i < 100; i++) {
      retry = await pendingPass(a.id);
      // The first job has run (and been refused) once its successor is the pending one.
      if (retry && (await t.db.query('select 1 from graphile_worker.jobs where key is null and task_identifier = $1', ['sync_binding'])).rowCount === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(retry, 'a pass is pending again');
    assert.equal(retry!.payload.trigger, 'change');
    assert.ok(retry!.run_at.getTime() - Date.now() <= busyRetryMs + 500, 'it is due within about a second, not at the next poll');
    assert.equal((await world.calendarSeries()).length, 0, 'nothing ran while the lease was held');
    await releaseLease(t.db, ref, 'other-worker:pass');
    for (let i = 0; i < 200 && (await world.calendarSeries()).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal((await world.calendarSeries()).length, 1, 'the change arrived once the other pass was done');
  } finally {
    await runner.stop();
  }
});

test('a job with a malformed payload is refused with the reason', () => {
  assert.throws(() => syncBindingJob.parse({ tenantId: 'x', bindingId: 'y' }), /needs tenantId and bindingId/);
  assert.deepEqual(syncBindingJob.parse({ tenantId: '11111111-1111-1111-1111-111111111111', bindingId: '22222222-2222-2222-2222-222222222222', trigger: 'bogus' }),
    { tenantId: '11111111-1111-1111-1111-111111111111', bindingId: '22222222-2222-2222-2222-222222222222', trigger: 'poll', confirmWipe: false, confirmDeletions: false });
});

test('a job of a binding removed since it was queued is done, not retried; a confirmed pass that finds the binding busy is asked again confirmed', async () => {
  const world = await engineWorld(t);
  const deps = { db: t.db, workerName: 'w', engine: world.deps, tombstoneMs: 86_400_000 };
  const queued: Array<{ payload: unknown; spec: unknown }> = [];
  const helpers = { addJob: async (_task: string, payload: unknown, spec: unknown) => { queued.push({ payload, spec }); return {} as never; } };
  const gone = { tenantId: world.tenantId, bindingId: '33333333-3333-4333-8333-333333333333', trigger: 'poll' as const };
  const result = await runSyncBinding(gone, deps, helpers as never);
  assert.equal(result.error?.kind, 'not-found');

  const a = await world.bind('confirm-busy');
  assert.ok(await acquireLease(t.db, { tenantId: world.tenantId, bindingId: a.id }, 'other-worker:pass', 300));
  const confirmed = { tenantId: world.tenantId, bindingId: a.id, trigger: 'manual' as const, confirmWipe: true, confirmDeletions: false };
  assert.equal((await runSyncBinding(confirmed, deps, helpers as never)).outcome, 'busy');
  assert.equal(queued.length, 1);
  assert.deepEqual(queued[0]!.payload, confirmed, 'the confirmation is not lost');
  await releaseLease(t.db, { tenantId: world.tenantId, bindingId: a.id }, 'other-worker:pass');
});
