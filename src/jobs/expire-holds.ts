// Marks a resource's holds expired when their time is up (the job each hold queues for its
// end, src/store/outbox.ts): the row changes then, so the app's booking channels and sync
// listings hear of the expiry, not only at the resource's next booking decision.
import { expireResourceHolds } from '../engine/bookings.ts';
import { expireHoldsTask } from '../store/outbox.ts';
import { defineTask, invalidPayload, uuid } from './registry.ts';

export interface ExpireHoldsPayload {
  tenantId: string;
  resourceId: string;
}

export const expireHoldsJob = defineTask<ExpireHoldsPayload>({
  name: expireHoldsTask,
  parse(payload) {
    const p = payload as Partial<ExpireHoldsPayload> | null;
    if (typeof p?.tenantId !== 'string' || !uuid.test(p.tenantId) || typeof p.resourceId !== 'string' || !uuid.test(p.resourceId)) {
      throw invalidPayload(expireHoldsTask, 'needs tenantId and resourceId (uuids)');
    }
    return { tenantId: p.tenantId, resourceId: p.resourceId };
  },
  async run(payload, deps) {
    await expireResourceHolds({ db: deps.db, now: () => deps.engine.now() }, payload.tenantId, payload.resourceId);
  },
});
