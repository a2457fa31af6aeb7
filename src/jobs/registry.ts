// The task registry: every queue task has a name, a payload parser (payloads are data
// from the database, so they are checked, not trusted) and a handler. Handlers get
// their dependencies from the registry, never from globals.
import type { AddJobsJobSpec, Job, JobHelpers, Task, TaskList, TaskSpec, WorkerUtils } from 'graphile-worker';
import { CalsyncError } from '../errors.ts';
import type { PushSettings } from '../engine/push-channels.ts';
import type { EngineDeps } from '../engine/sync-pass.ts';
import type { Db } from '../store/db.ts';
import type { WatchDeliveryDeps } from './channel-delivery.ts';

export interface TaskDeps {
  db: Db;
  /** Identifies this worker process in probes and logs. */
  workerName: string;
  engine: EngineDeps;
  /** How long deletions are kept for sync tokens (CALSYNC_TOMBSTONE_DAYS). */
  tombstoneMs: number;
  /** How often the sweep looks for bindings no pass will reach (CALSYNC_SWEEP_SECONDS, default 60). */
  sweepSeconds?: number;
  /** Webhook delivery of watch and booking channels; a worker without it fails their delivery jobs (tests of other tasks). */
  delivery?: WatchDeliveryDeps;
  /** Provider push channels; without them (no CALSYNC_WEBHOOK_URL) bindings are only polled. */
  push?: PushSettings;
}

/** When a periodic task runs: graphile-worker's crontab, which enqueues each run once across all workers. */
export interface TaskSchedule {
  /** Crontab time fields, in UTC (e.g. `17 * * * *`: every hour at minute 17). */
  match: string;
  maxAttempts: number;
}

export interface TaskDefinition<P> {
  name: string;
  schedule?: TaskSchedule;
  parse(payload: unknown): P;
  run(payload: P, deps: TaskDeps, helpers: JobHelpers): Promise<void>;
}

export function defineTask<P>(definition: TaskDefinition<P>): TaskDefinition<P> {
  return definition;
}

export function buildTaskList(tasks: Array<TaskDefinition<never>>, deps: TaskDeps, onDone?: (task: string, outcome: 'ok' | 'error') => void): TaskList {
  const list: TaskList = {};
  for (const task of tasks) {
    const run: Task = async (payload, helpers) => {
      try {
        await task.run(task.parse(payload), deps, helpers);
        onDone?.(task.name, 'ok');
      } catch (error) {
        onDone?.(task.name, 'error');
        throw error;
      }
    };
    list[task.name] = run;
  }
  return list;
}

/** The shape of the ids job payloads carry, checked before any query uses them. */
export const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function invalidPayload(task: string, message: string): CalsyncError {
  return new CalsyncError('INVALID_REQUEST', `job ${task}: ${message}`);
}

/**
 * Enqueues one job of a registered task with a payload of its type. A `jobKey` collapses
 * bursts: a second job with the same key replaces the pending one (graphile-worker's
 * job keys), which is how webhook bursts become one pass per binding.
 */
export function enqueue<P>(queue: Pick<WorkerUtils, 'addJob'>, task: TaskDefinition<P>, payload: P, spec: TaskSpec = {}): Promise<Job> {
  return queue.addJob(task.name, payload as unknown as Record<string, unknown>, spec);
}

/** Enqueues many jobs of one task in one statement per 10,000. */
export async function enqueueMany<P>(queue: Pick<WorkerUtils, 'addJobs'>, task: TaskDefinition<P>, payloads: P[], spec: Omit<AddJobsJobSpec, 'identifier' | 'payload'> = {}): Promise<void> {
  for (let start = 0; start < payloads.length; start += 10_000) {
    await queue.addJobs(payloads.slice(start, start + 10_000).map((payload) => ({ ...spec, identifier: task.name, payload })));
  }
}
