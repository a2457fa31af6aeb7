import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeWorkerUtils, type WorkerUtils } from 'graphile-worker';
import pino from 'pino';
import { queueProbe } from '../../src/jobs/queue-probe.ts';
import { defineTask, enqueue } from '../../src/jobs/registry.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { graphileLogger } from '../../src/main/graphile-logger.ts';
import { idleEngine } from '../helpers/engine-deps.ts';
import { queueCounts, deadJobs } from '../../src/store/queue.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

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

test('jobs with the same key collapse into one pending job carrying the last payload', async () => {
  for (let seq = 0; seq < 5; seq++) await enqueue(utils, queueProbe, { probeId: '00000000-0000-0000-0000-000000000001', seq }, { jobKey: 'binding:1', runAt: new Date(Date.now() + 60_000) });
  const { rows } = await t.db.query<{ payload: { seq: number } }>(`select payload from graphile_worker.jobs j join graphile_worker._private_jobs p using (id) where j.key = 'binding:1'`);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.payload.seq, 4);
  await t.db.query(`select graphile_worker.remove_job('binding:1')`);
});

test('a payload that fails its parser makes the job fail with the reason, and it ends dead after its attempts', async () => {
  await utils.addJob(queueProbe.name, { nonsense: true }, { maxAttempts: 1 });
  const ran: string[] = [];
  const runner = await startWorker({
    db: t.db, concurrency: 1, workerName: 'w', engine: idleEngine(t.db), logger: graphileLogger(pino({ level: 'silent' })),
    tasks: [queueProbe as never, defineTask({ name: 'noop', parse: () => null, run: async () => { ran.push('noop'); } }) as never],
  });
  try {
    await enqueue(utils, { name: 'noop' } as never, null as never);
    for (let i = 0; i < 100 && ((await queueCounts(t.db)).dead === 0 || ran.length === 0); i++) await new Promise((r) => setTimeout(r, 50));
  } finally {
    await runner.stop();
  }
  assert.deepEqual(ran, ['noop']);
  const dead = await deadJobs(t.db);
  assert.equal(dead.length, 1);
  assert.match(dead[0]!.lastError ?? '', /queue_probe: needs probeId and an integer seq/);
  const { rows } = await t.db.query('select 1 from queue_probes');
  assert.equal(rows.length, 0, 'the bad job wrote nothing');
});
