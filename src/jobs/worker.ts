// A graphile-worker runner inside a calsync process (`calsync serve` or `calsync worker`).
import { parseCronItems, run, type Runner, type Logger, type ParsedCronItem } from 'graphile-worker';
import type { Db } from '../store/db.ts';
import type { PushSettings } from '../engine/push-channels.ts';
import type { EngineDeps } from '../engine/sync-pass.ts';
import type { WatchDeliveryDeps } from './channel-delivery.ts';
import { buildTaskList, type TaskDefinition } from './registry.ts';
import { sweepBindingsTask, sweepJobKey } from './sweep-bindings.ts';

export interface WorkerOptions {
  db: Db;
  concurrency: number;
  workerName: string;
  engine: EngineDeps;
  delivery?: WatchDeliveryDeps;
  push?: PushSettings;
  tasks: Array<TaskDefinition<never>>;
  logger: Logger;
  /** How long deletions are kept for sync tokens (default 30 days). */
  tombstoneMs?: number;
  /** How often the sweep looks for bindings no pass will reach (default 60 s). */
  sweepSeconds?: number;
  onDone?: (task: string, outcome: 'ok' | 'error') => void;
}

/**
 * The crontab of the tasks that have a schedule. graphile-worker records each run it
 * enqueues (`_private_known_crontabs`), so many workers enqueue a run once; without
 * backfill, runs missed while no worker ran are skipped rather than made up at start.
 * One queue per task keeps a slow run from overlapping the next.
 */
function cronItemsOf(tasks: Array<TaskDefinition<never>>): ParsedCronItem[] {
  return parseCronItems(tasks.flatMap((task) => (task.schedule ? [{
    task: task.name, identifier: task.name, match: task.schedule.match,
    options: { backfillPeriod: 0, maxAttempts: task.schedule.maxAttempts, queueName: task.name, jobKey: task.name },
  }] : [])));
}

export async function startWorker(options: WorkerOptions): Promise<Runner> {
  const deps = {
    db: options.db, workerName: options.workerName, engine: options.engine, tombstoneMs: options.tombstoneMs ?? 30 * 86_400_000,
    sweepSeconds: options.sweepSeconds ?? 60,
    ...(options.delivery ? { delivery: options.delivery } : {}),
    ...(options.push ? { push: options.push } : {}),
  };
  const runner = await run({
    pgPool: options.db,
    concurrency: options.concurrency,
    noHandleSignals: true,
    // No cron file: the schedules are the tasks' own.
    parsedCronItems: cronItemsOf(options.tasks),
    logger: options.logger,
    taskList: buildTaskList(options.tasks, deps, options.onDone),
    preset: {
      worker: {
        // Completions of jobs finishing within 2 ms share one UPDATE, so bursts of short
        // jobs (probes, debounced passes) cost fewer round trips; a finished job stays
        // locked at most 2 ms longer.
        completeJobBatchDelay: 2,
        failJobBatchDelay: 2,
        localQueue: { size: Math.max(10, options.concurrency * 4) },
        pollInterval: 1000,
      },
    },
  });
  // A sweep at start-up: bindings a killed worker left behind are polled again now.
  if (options.tasks.some((task) => task.name === sweepBindingsTask)) {
    await runner.addJob(sweepBindingsTask, {}, { jobKey: sweepJobKey, jobKeyMode: 'replace', maxAttempts: 3 });
  }
  return runner;
}
