import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { allTasks } from '../../src/jobs/tasks.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { graphileLogger } from '../../src/main/graphile-logger.ts';
import { idleEngine } from '../helpers/engine-deps.ts';
import { tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
before(async () => { t = await testApp(); });
after(async () => { await t.close(); });

test('probe jobs enqueued through the API run once each on a worker', async () => {
  const { auth } = await tenantWithKey(t, 'ops');
  const res = await t.app.inject({ method: 'POST', url: '/admin/v1/queue/probes', headers: auth, payload: { count: 250 } });
  assert.equal(res.statusCode, 202);
  const { probeId } = res.json();
  assert.equal((await t.app.inject({ method: 'GET', url: '/admin/v1/queue', headers: auth })).json().pending, 250);

  const runner = await startWorker({ db: t.database.db, concurrency: 4, workerName: 'w1', engine: idleEngine(t.database.db), tasks: allTasks, logger: graphileLogger(pino({ level: 'silent' })) });
  try {
    let status: { runs: number; distinctJobs: number; workers: Record<string, number> };
    for (;;) {
      status = (await t.app.inject({ method: 'GET', url: `/admin/v1/queue/probes/${probeId}`, headers: auth })).json();
      if (status.distinctJobs === 250) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(status, { probeId, runs: 250, distinctJobs: 250, workers: { w1: 250 } });
  } finally {
    await runner.stop();
  }
});

test('a probe count out of range is refused and enqueues nothing', async () => {
  const { auth } = await tenantWithKey(t, 'ops2');
  for (const count of [0, -1, 100_001, 1.5, '10']) {
    const res = await t.app.inject({ method: 'POST', url: '/admin/v1/queue/probes', headers: auth, payload: { count } });
    assert.equal(res.statusCode, 400, String(count));
  }
  const { rows: [row] } = await t.database.db.query<{ n: string }>('select count(*) as n from graphile_worker.jobs');
  assert.equal(Number(row!.n), 0);
});
