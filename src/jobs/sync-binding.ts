// One sync pass of one binding, then the next poll. Passes of a binding share the job
// key `pass:<binding>`: a burst of changes or webhooks collapses into one pending pass.
import type { Job, JobHelpers } from 'graphile-worker';
import { emptyStats } from '../engine/apply.ts';
import { syncBinding, type PassRequest, type PassResult } from '../engine/sync-pass.ts';
import { isCalsyncError } from '../errors.ts';
import { nextPollSeconds } from '../engine/polling.ts';
import { pauseBinding } from '../store/bindings.ts';
import { passJobKey, queuePassesSoon, syncBindingTask } from '../store/outbox.ts';
import { pushHealthySql } from '../store/push-channels.ts';
import type { PassTrigger } from '../store/passes.ts';
import { defineTask, invalidPayload, type TaskDeps, uuid } from './registry.ts';

export interface SyncBindingPayload {
  tenantId: string;
  bindingId: string;
  trigger: PassTrigger;
  confirmWipe?: boolean;
  confirmDeletions?: boolean;
}

/** How long a pass that found its binding busy waits before asking again. */
export const busyRetryMs = 1000;

const triggers: PassTrigger[] = ['poll', 'push', 'manual', 'resync', 'change'];

export const syncBindingJob = defineTask<SyncBindingPayload>({
  name: syncBindingTask,
  parse(payload) {
    const p = payload as Partial<SyncBindingPayload> | null;
    if (typeof p?.tenantId !== 'string' || !uuid.test(p.tenantId) || typeof p.bindingId !== 'string' || !uuid.test(p.bindingId)) {
      throw invalidPayload(syncBindingTask, 'needs tenantId and bindingId (uuids)');
    }
    const trigger = triggers.includes(p.trigger as PassTrigger) ? (p.trigger as PassTrigger) : 'poll';
    return { tenantId: p.tenantId, bindingId: p.bindingId, trigger, confirmWipe: p.confirmWipe === true, confirmDeletions: p.confirmDeletions === true };
  },
  async run(payload, deps, helpers) {
    await runSyncBinding(payload, deps, helpers);
  },
});

/**
 * One pass and what follows it: the next poll, or a retry soon when the binding was
 * busy. Returns the pass's result.
 */
export async function runSyncBinding(payload: SyncBindingPayload, deps: TaskDeps, helpers: Pick<JobHelpers, 'addJob'> & { job?: Pick<Job, 'attempts' | 'max_attempts'> }): Promise<PassResult> {
  const request: PassRequest = { ...payload };
  let result: PassResult;
  try {
    result = await syncBinding(deps.engine, request);
  } catch (error) {
    // The binding was unbound (or its tenant removed) since the job was queued: done.
    if (isCalsyncError(error, 'NOT_FOUND')) {
      deps.engine.logger.info({ tenantId: payload.tenantId, bindingId: payload.bindingId }, 'binding gone; pass dropped');
      return { outcome: 'paused', passId: null, stats: emptyStats(), stop: null, retryAfterSeconds: null, error: { kind: 'not-found', message: (error as Error).message } };
    }
    // The last attempt failed too: the binding is paused with the reason, where a person
    // sees it, instead of left without a pass and without a word.
    const job = helpers.job;
    if (!job || job.attempts < job.max_attempts) throw error;
    const reason = `failing: ${(error as Error).message} (${job.attempts} attempts); fix the cause, then resume the binding`;
    await pauseBinding(deps.db, payload, reason);
    deps.engine.logger.error({ tenantId: payload.tenantId, bindingId: payload.bindingId, error: (error as Error).message }, 'binding paused after its last attempt failed');
    throw error;
  }
  const log = deps.engine.logger.child({ tenantId: payload.tenantId, bindingId: payload.bindingId, passId: result.passId });
  log.info({ outcome: result.outcome, stats: result.stats, stop: result.stop?.kind, error: result.error }, 'pass finished');
  // Paused: nothing to poll. Lost: the pass that took the lease over schedules the next poll.
  if (result.outcome === 'paused' || result.outcome === 'lost') return result;
  if (result.outcome === 'busy') {
    // Another pass of this binding holds the lease and may have read before the change
    // this pass was queued for: ask again once it is likely done, or the change would
    // wait for the next poll (hours away while push is healthy).
    // A confirmed pass keeps its confirmation: it is asked again as itself.
    if (payload.confirmWipe || payload.confirmDeletions) {
      await helpers.addJob(syncBindingTask, { ...payload }, { runAt: new Date(deps.engine.now().getTime() + busyRetryMs) });
    } else {
      await queuePassesSoon(deps.db, [payload], busyRetryMs, payload.trigger === 'push' ? 'push' : 'change');
    }
    return result;
  }
  // Rate limited: the provider said when; otherwise poll adaptively.
  const { rows: [binding] } = await deps.db.query<{ poll_interval_seconds: number; previous: number | null; push_healthy: boolean }>(
    `select poll_interval_seconds, extract(epoch from next_poll_at - last_pass_started_at)::int as previous, ${pushHealthySql} as push_healthy
       from bindings where tenant_id = $1 and id = $2 and state = 'active'`, [payload.tenantId, payload.bindingId]);
  if (!binding) return result;
  const changed = result.stats.calendarWrites + result.stats.remoteWrites > 0;
  const seconds = result.retryAfterSeconds ?? nextPollSeconds({
    baseSeconds: binding.poll_interval_seconds, previousSeconds: binding.previous, changed, random: Math.random(), pushHealthy: binding.push_healthy,
  });
  const runAt = new Date(deps.engine.now().getTime() + seconds * 1000);
  await deps.db.query('update bindings set next_poll_at = $3 where tenant_id = $1 and id = $2', [payload.tenantId, payload.bindingId, runAt]);
  // preserve_run_at: a sooner pass already queued (a change, a webhook) keeps its time.
  await helpers.addJob(syncBindingTask, { tenantId: payload.tenantId, bindingId: payload.bindingId, trigger: 'poll' }, {
    runAt, jobKey: passJobKey(payload.bindingId), jobKeyMode: 'preserve_run_at',
  });
  return result;
}
