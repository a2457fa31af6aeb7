// Every task calsync's workers run.
import { purgeTombstonesJob } from './purge-tombstones.ts';
import { deliverBookingWatchJob } from './deliver-booking-watch.ts';
import { deliverWatchJob } from './deliver-watch.ts';
import { disconnectAccountJob } from './disconnect-account.ts';
import { expireHoldsJob } from './expire-holds.ts';
import { processInboundJob } from './process-inbound.ts';
import { queueProbe } from './queue-probe.ts';
import { refreshBusyMirrorJob } from './refresh-busy-mirror.ts';
import { renewPushChannelsJob } from './renew-push-channels.ts';
import { stopPushChannelJob } from './stop-push-channel.ts';
import { sweepBindingsJob } from './sweep-bindings.ts';
import type { TaskDefinition } from './registry.ts';
import { syncBindingJob } from './sync-binding.ts';
import { unbindBindingJob } from './unbind-binding.ts';

export const allTasks: Array<TaskDefinition<never>> = [
  queueProbe as TaskDefinition<never>,
  syncBindingJob as TaskDefinition<never>,
  purgeTombstonesJob as TaskDefinition<never>,
  deliverWatchJob as TaskDefinition<never>,
  renewPushChannelsJob as TaskDefinition<never>,
  stopPushChannelJob as TaskDefinition<never>,
  sweepBindingsJob as TaskDefinition<never>,
  unbindBindingJob as TaskDefinition<never>,
  disconnectAccountJob as TaskDefinition<never>,
  processInboundJob as TaskDefinition<never>,
  refreshBusyMirrorJob as TaskDefinition<never>,
  deliverBookingWatchJob as TaskDefinition<never>,
  expireHoldsJob as TaskDefinition<never>,
];
