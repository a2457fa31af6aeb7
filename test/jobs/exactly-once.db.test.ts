// Two `calsync worker` processes and one `calsync api` process on one database run
// 10,000 queued no-op jobs exactly once each.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { generateSecretKeyText } from '../../src/store/secrets.ts';
import { createApiKey, createTenant } from '../../src/store/tenants.ts';
import { startCalsync, type RunningCalsync } from '../helpers/cli.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

let t: TestDatabase;
const processes: RunningCalsync[] = [];
before(async () => { t = await freshDatabase(); });
after(async () => {
  await Promise.all(processes.map((p) => p.stop('SIGKILL')));
  await t.drop();
});

test('10,000 jobs enqueued through the API run once each across two workers', { timeout: 300_000 }, async () => {
  const env = { DATABASE_URL: t.url, CALSYNC_SECRET_KEY: generateSecretKeyText(), PORT: '0', CALSYNC_WORKER_CONCURRENCY: '4', LOG_LEVEL: 'warn' };
  const tenant = await createTenant(t.db, 'ops');
  const { key } = await createApiKey(t.db, tenant.id, 'ops');
  const api = startCalsync(['api'], env);
  processes.push(api);
  const [, url] = await api.waitFor(/listening on (http:\/\/\S+)/);
  const workers = [startCalsync(['worker'], env), startCalsync(['worker'], env)];
  processes.push(...workers);
  const names = await Promise.all(workers.map(async (w) => (await w.waitFor(/calsync worker (\S+) running/))[1]!));

  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const enqueued = await fetch(`${url}/admin/v1/queue/probes`, { method: 'POST', headers, body: JSON.stringify({ count: 10_000 }) });
  assert.equal(enqueued.status, 202);
  const { probeId } = await enqueued.json() as { probeId: string };

  type ProbeStatus = { runs: number; distinctJobs: number; workers: Record<string, number> };
  let status: ProbeStatus;
  const deadline = Date.now() + 240_000;
  for (;;) {
    status = await (await fetch(`${url}/admin/v1/queue/probes/${probeId}`, { headers })).json() as ProbeStatus;
    if (status.distinctJobs === 10_000 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  // Let any duplicate run that might still be in flight land before counting.
  await new Promise((r) => setTimeout(r, 1000));
  status = await (await fetch(`${url}/admin/v1/queue/probes/${probeId}`, { headers })).json() as ProbeStatus;
  assert.equal(status.distinctJobs, 10_000);
  assert.equal(status.runs, 10_000, 'no job ran twice');
  assert.deepEqual(Object.keys(status.workers).sort(), [...names].sort(), 'both workers took jobs');
  const queue = await (await fetch(`${url}/admin/v1/queue`, { headers })).json();
  assert.deepEqual(queue, { pending: 0, running: 0, retrying: 0, dead: 0 });

  for (const p of [...workers, api]) assert.equal(await p.stop('SIGTERM'), 0);
});
