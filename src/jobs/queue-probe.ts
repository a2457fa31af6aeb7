// A no-op job that leaves a row in queue_probes when it runs, so an operator can check
// that workers are alive and how fast they drain the queue (`calsync queue probe`).
import { defineTask, invalidPayload } from './registry.ts';

export interface QueueProbePayload {
  probeId: string;
  seq: number;
}

export const queueProbe = defineTask<QueueProbePayload>({
  name: 'queue_probe',
  parse(payload) {
    const p = payload as Partial<QueueProbePayload> | null;
    if (typeof p?.probeId !== 'string' || !Number.isInteger(p.seq)) throw invalidPayload('queue_probe', 'needs probeId and an integer seq');
    return { probeId: p.probeId, seq: p.seq! };
  },
  async run(payload, deps) {
    await deps.db.query('insert into queue_probes (probe_id, seq, worker) values ($1, $2, $3)', [payload.probeId, payload.seq, deps.workerName]);
  },
});
