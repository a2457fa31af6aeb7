// The sweep: no binding is ever forgotten. A binding is polled by the job its last pass
// queued; a worker killed mid-pass leaves that job locked (graphile-worker unlocks it
// after four hours) and queues none, and a failure between a pass and its next poll
// would do the same. Every CALSYNC_SWEEP_SECONDS the sweep queues a pass of each active
// binding that is due (or whose pass died holding its lease) and has no job waiting.
// It queues its own next run; each worker starts one at start-up.
import { defaultLeaseSeconds } from '../engine/sync-pass.ts';
import { queueForgottenPasses } from '../store/outbox.ts';
import { defineTask } from './registry.ts';

export const sweepBindingsTask = 'sweep_bindings';
export const sweepJobKey = 'sweep_bindings';

export const sweepBindingsJob = defineTask<Record<string, never>>({
  name: sweepBindingsTask,
  parse: () => ({}),
  async run(_payload, deps, helpers) {
    const queued = await queueForgottenPasses(deps.db, deps.engine.leaseSeconds ?? defaultLeaseSeconds);
    if (queued.length > 0) deps.engine.logger.info({ bindings: queued.map((q) => q.bindingId) }, 'sweep queued passes of forgotten bindings');
    // preserve_run_at: of the runs the workers queue, the soonest stands.
    await helpers.addJob(sweepBindingsTask, {}, {
      runAt: new Date(deps.engine.now().getTime() + (deps.sweepSeconds ?? 60) * 1000), jobKey: sweepJobKey, jobKeyMode: 'preserve_run_at', maxAttempts: 3,
    });
  },
});
