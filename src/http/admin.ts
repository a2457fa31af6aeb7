// Operator endpoints under /admin/v1. Queue probes enqueue no-op jobs and report how
// often each ran, to check that workers are alive and run every job once.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { WorkerUtils } from 'graphile-worker';
import { CalsyncError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { queueCounts } from '../store/queue.ts';
import { queueProbe } from '../jobs/queue-probe.ts';

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
    // addJobs inserts a batch in one statement; 10,000 at a time keeps the payload array modest.
    for (let start = 0; start < count; start += 10_000) {
      const specs = Array.from({ length: Math.min(10_000, count - start) }, (_, i) => ({
        identifier: queueProbe.name, payload: { probeId, seq: start + i }, maxAttempts: 5,
      }));
      await deps.queue.addJobs(specs);
    }
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
