// Two `calsync worker` processes on one database run the 10,000 no-op jobs that
// `calsync queue probe` enqueues exactly once each.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { generateSecretKeyText } from '../../src/store/secrets.ts';
import { runCalsync, startCalsync, type RunningCalsync } from '../helpers/cli.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

let t: TestDatabase;
const processes: RunningCalsync[] = [];
before(async () => { t = await freshDatabase(); });
after(async () => {
  await Promise.all(processes.map((p) => p.stop('SIGKILL')));
  await t.drop();
});

test('10,000 probe jobs run once each across two workers', { timeout: 300_000 }, async () => {
  const env = { DATABASE_URL: t.url, CALSYNC_SECRET_KEY: generateSecretKeyText(), CALSYNC_WORKER_CONCURRENCY: '4', LOG_LEVEL: 'warn' };
  const workers = [startCalsync(['worker'], env), startCalsync(['worker'], env)];
  processes.push(...workers);
  const names = await Promise.all(workers.map(async (w) => (await w.waitFor(/calsync worker (\S+) running/))[1]!));

  const probe = await runCalsync(['queue', 'probe', '--count', '10000', '--timeout', '240', '--json'], env, 280_000);
  assert.equal(probe.code, 0, probe.stderr);
  const { probeId, jobs } = JSON.parse(probe.stdout) as { probeId: string; jobs: number };
  assert.equal(jobs, 10_000);

  // Let any duplicate run that might still be in flight land before counting.
  await new Promise((r) => setTimeout(r, 1000));
  const { rows: [total] } = await t.db.query<{ runs: string; distinct_jobs: string }>(
    'select count(*) as runs, count(distinct seq) as distinct_jobs from queue_probes where probe_id = $1', [probeId]);
  assert.equal(Number(total!.distinct_jobs), 10_000);
  assert.equal(Number(total!.runs), 10_000, 'no job ran twice');
  const { rows: byWorker } = await t.db.query<{ worker: string }>('select distinct worker from queue_probes where probe_id = $1', [probeId]);
  assert.deepEqual(byWorker.map((w) => w.worker).sort(), [...names].sort(), 'both workers took jobs');
  const status = await runCalsync(['status', '--json'], env);
  // Only the sweep's next run is left, scheduled.
  assert.deepEqual(JSON.parse(status.stdout).queue, { pending: 0, scheduled: 1, running: 0, retrying: 0, dead: 0 });

  for (const worker of workers) assert.equal(await worker.stop('SIGTERM'), 0);
});
