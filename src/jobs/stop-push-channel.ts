// Stops a push channel a binding no longer uses (a renewal's stop that failed, a watch
// whose answer was lost, or a retired channel Google still delivers), with that binding's
// account. Retried by graphile-worker up to 5 times; a channel never stopped still expires
// on its own.
import { stopSubscription } from '../engine/push-channels.ts';
import { getBinding } from '../store/bindings.ts';
import { stopPushChannelTask } from '../store/outbox.ts';
import { defineTask, invalidPayload } from './registry.ts';

export interface StopPushChannelPayload {
  tenantId: string;
  bindingId: string;
  channelId: string;
  resourceId: string;
}

export const stopPushChannelJob = defineTask<StopPushChannelPayload>({
  name: stopPushChannelTask,
  parse(payload) {
    const p = payload as Partial<StopPushChannelPayload> | null;
    if (typeof p?.tenantId !== 'string' || typeof p.bindingId !== 'string' || typeof p.channelId !== 'string' || typeof p.resourceId !== 'string') {
      throw invalidPayload(stopPushChannelTask, 'needs tenantId, bindingId, channelId and resourceId');
    }
    return { tenantId: p.tenantId, bindingId: p.bindingId, channelId: p.channelId, resourceId: p.resourceId };
  },
  async run(payload, deps) {
    const binding = await getBinding(deps.db, payload.tenantId, payload.bindingId);
    await stopSubscription(deps.engine, binding, { id: payload.channelId, resourceId: payload.resourceId });
  },
});
