// Read-only views of graphile-worker's queue for status, readiness and metrics.
// A job is dead (the dead-letter set) once its attempts reach max_attempts.
import type { Queryable } from './db.ts';

export interface QueueCounts {
  /** Due to run now, waiting for a worker: the backlog. */
  pending: number;
  /** Waiting for their time (the next polls, the next sweep). */
  scheduled: number;
  running: number;
  retrying: number;
  dead: number;
}

export interface DeadJob {
  id: string;
  task: string;
  attempts: number;
  lastError: string | null;
  key: string | null;
  updatedAt: Date;
}

export async function queueCounts(db: Queryable): Promise<QueueCounts> {
  const { rows: [row] } = await db.query<Record<keyof QueueCounts, string>>(
    `select count(*) filter (where locked_at is null and attempts = 0 and run_at <= now()) as pending,
            count(*) filter (where locked_at is null and attempts = 0 and run_at > now()) as scheduled,
            count(*) filter (where locked_at is not null) as running,
            count(*) filter (where locked_at is null and attempts > 0 and attempts < max_attempts) as retrying,
            count(*) filter (where attempts >= max_attempts and locked_at is null) as dead
       from graphile_worker.jobs`);
  return { pending: Number(row!.pending), scheduled: Number(row!.scheduled), running: Number(row!.running), retrying: Number(row!.retrying), dead: Number(row!.dead) };
}

export async function deadJobs(db: Queryable, limit = 50): Promise<DeadJob[]> {
  const { rows } = await db.query<{ id: string; task_identifier: string; attempts: number; last_error: string | null; key: string | null; updated_at: Date }>(
    `select id, task_identifier, attempts, last_error, key, updated_at from graphile_worker.jobs
      where attempts >= max_attempts and locked_at is null order by updated_at desc limit $1`, [limit]);
  return rows.map((r) => ({ id: String(r.id), task: r.task_identifier, attempts: r.attempts, lastError: r.last_error, key: r.key, updatedAt: r.updated_at }));
}

/**
 * Replays dead jobs from their first attempt. Calls graphile-worker's SQL function
 * directly: WorkerUtils.rescheduleJobs (0.17.3) passes `attempts || null`, so
 * attempts = 0 is dropped and the job would stay dead.
 */
export async function retryDeadJobs(db: Queryable, ids: string[]): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    'select id from graphile_worker.reschedule_jobs($1::bigint[], run_at := now(), attempts := 0)', [ids]);
  return rows.map((r) => String(r.id));
}
