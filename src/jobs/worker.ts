// A graphile-worker runner inside a calsync process (`calsync serve` or `calsync worker`).
import { run, type Runner, type Logger } from 'graphile-worker';
import type { Db } from '../store/db.ts';
import type { EngineDeps } from '../engine/sync-pass.ts';
import { buildTaskList, type TaskDefinition } from './registry.ts';

export interface WorkerOptions {
  db: Db;
  concurrency: number;
  workerName: string;
  engine: EngineDeps;
  tasks: Array<TaskDefinition<never>>;
  logger: Logger;
  onDone?: (task: string, outcome: 'ok' | 'error') => void;
}

export async function startWorker(options: WorkerOptions): Promise<Runner> {
  return run({
    pgPool: options.db,
    concurrency: options.concurrency,
    noHandleSignals: true,
    // No cron file: scheduled work is enqueued by calsync's own jobs.
    parsedCronItems: [],
    logger: options.logger,
    taskList: buildTaskList(options.tasks, { db: options.db, workerName: options.workerName, engine: options.engine }, options.onDone),
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
}
