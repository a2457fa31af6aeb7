// Maps one delivery of a signed inbound source onto bookings (src/engine/inbound.ts).
// The ingress stored the delivery and queued this job in one transaction; the jobs of one
// source share a queue, so they run in the order the source's posts arrived. A database
// failure is retried with graphile-worker's backoff; a refusal is written on the delivery.
import { processDelivery } from '../engine/inbound.ts';
import { processInboundTask } from '../store/inbound-sources.ts';
import { defineTask, invalidPayload } from './registry.ts';

export interface ProcessInboundPayload {
  tenantId: string;
  deliveryId: string;
}

export const processInboundJob = defineTask<ProcessInboundPayload>({
  name: processInboundTask,
  parse(payload) {
    const p = payload as Partial<ProcessInboundPayload> | null;
    if (typeof p?.tenantId !== 'string' || typeof p.deliveryId !== 'string') throw invalidPayload(processInboundTask, 'needs tenantId and deliveryId');
    return { tenantId: p.tenantId, deliveryId: p.deliveryId };
  },
  async run(payload, deps) {
    await processDelivery({ db: deps.db, debounceMs: deps.engine.debounceMs, now: () => deps.engine.now() }, payload.tenantId, payload.deliveryId);
  },
});
