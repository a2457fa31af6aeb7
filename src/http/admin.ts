// Operator endpoints under /admin/v1. Queue probes enqueue no-op jobs and report how
// often each ran, to check that workers are alive and run every job once.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { WorkerUtils } from 'graphile-worker';
import { CalsyncError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { queueCounts } from '../store/queue.ts';
import { queueProbe } from '../jobs/queue-probe.ts';
import { enqueueMany } from '../jobs/registry.ts';

export const maxProbeJobs = 100_000;

export function adminRoutes(app: FastifyInstance, deps: { db: Db; queue: Pick<WorkerUtils, 'addJobs'> }): void {
  app.post('/admin/v1/queue/probes', {
    schema: {
      body: {
        type: 'object', additionalProperties: false, required: ['count'],
        properties: { count: { type: 'integer', minimum: 1, maximum: maxProbeJobs } },
      },
    },
  }, async (request, reply) => {
    const { count } = request.body as { count: number };
    const probeId = randomUUID();
    await enqueueMany(deps.queue, queueProbe, Array.from({ length: count }, (_, seq) => ({ probeId, seq })), { maxAttempts: 5 });
    return reply.status(202).send({ probeId, enqueued: count });
  });

  app.get<{ Params: { probeId: string } }>('/admin/v1/queue/probes/:probeId', async (request) => {
    const { probeId } = request.params;
    if (!/^[0-9a-f-]{36}$/i.test(probeId)) throw new CalsyncError('NOT_FOUND', `probe ${probeId} not found`);
    const { rows: [row] } = await deps.db.query<{ runs: string; distinct_jobs: string }>(
      'select count(*) as runs, count(distinct seq) as distinct_jobs from queue_probes where probe_id = $1', [probeId]);
    const { rows: workers } = await deps.db.query<{ worker: string; runs: string }>(
      'select worker, count(*) as runs from queue_probes where probe_id = $1 group by worker order by worker', [probeId]);
    return {
      probeId,
      runs: Number(row!.runs),
      distinctJobs: Number(row!.distinct_jobs),
      workers: Object.fromEntries(workers.map((w) => [w.worker, Number(w.runs)])),
    };
  });

  app.get('/admin/v1/queue', async () => queueCounts(deps.db));
}
