// A tenant's dead jobs (queue.ts): the jobs whose payload names the tenant and whose
// attempts reached max_attempts, listed with their payload and replayed one at a time.
// Jobs that name no tenant (the sweep, the purge, queue probes) are the command line's.
import { CalsyncError } from '../errors.ts';
import { withTransaction, type Db, type Queryable } from './db.ts';
import { recordOperatorAction, type Operator } from './operator-actions.ts';
import { retryDeadJobs } from './queue.ts';

export interface TenantDeadJob {
  id: string;
  task: string;
  payload: unknown;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  key: string | null;
  createdAt: Date;
  /** When the last attempt failed. */
  failedAt: Date;
}

interface Row {
  id: string; task: string; payload: unknown; attempts: number; max_attempts: number; last_error: string | null; key: string | null; created_at: Date; updated_at: Date;
}

/** A job id as graphile-worker gives them (bigint); anything else names no job. */
const jobId = /^[1-9][0-9]{0,17}$/;

// graphile-worker's jobs view leaves the payload out, so its table is read (as health.ts does).
const fromJobs = `from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id`;
const columns = `j.id::text, t.identifier as task, j.payload, j.attempts, j.max_attempts, j.last_error, j.key, j.created_at, j.updated_at`;

function toJob(r: Row): TenantDeadJob {
  return {
    id: r.id, task: r.task, payload: r.payload, attempts: r.attempts, maxAttempts: r.max_attempts, lastError: r.last_error, key: r.key,
    createdAt: r.created_at, failedAt: r.updated_at,
  };
}

/** The tenant's dead jobs, newest first, `limit` at a time; `before` is the last id of the previous page. */
export async function listDeadJobs(db: Queryable, tenantId: string, options: { limit: number; before?: string | null }): Promise<{ items: TenantDeadJob[]; next: string | null }> {
  const { rows } = await db.query<Row>(
    `select ${columns} ${fromJobs}
      where j.payload->>'tenantId' = $1::text and j.attempts >= j.max_attempts and j.locked_at is null
        and ($2::bigint is null or j.id < $2::bigint)
      order by j.id desc limit $3`, [tenantId, options.before ?? null, options.limit + 1]);
  const items = rows.slice(0, options.limit).map(toJob);
  return { items, next: rows.length > options.limit ? items.at(-1)!.id : null };
}

/**
 * Replays one dead job of the tenant from its first attempt, now, with an audit row.
 * NOT_FOUND for an unknown id or another tenant's job; JOB_NOT_DEAD for a job that still
 * has attempts left or is running.
 */
export async function replayDeadJob(db: Db, tenantId: string, id: string, operator: Operator): Promise<{ id: string; task: string }> {
  if (!jobId.test(id)) throw new CalsyncError('NOT_FOUND', `job ${id} not found`);
  return withTransaction(db, async (client) => {
    const { rows: [row] } = await client.query<Row & { locked_at: Date | null }>(
      `select ${columns}, j.locked_at ${fromJobs} where j.id = $1::bigint and j.payload->>'tenantId' = $2::text for update of j`, [id, tenantId]);
    if (!row) throw new CalsyncError('NOT_FOUND', `job ${id} not found`);
    if (row.locked_at !== null || row.attempts < row.max_attempts) {
      throw new CalsyncError('JOB_NOT_DEAD', `job ${id} (${row.task}) is ${row.locked_at !== null ? 'running' : `queued with ${row.max_attempts - row.attempts} of ${row.max_attempts} attempts left`}`);
    }
    await retryDeadJobs(client, [id]);
    await recordOperatorAction(client, {
      tenantId, action: 'job.replay', actor: operator.actor, targets: { jobId: id, task: row.task },
      detail: { attempts: row.attempts, lastError: row.last_error, ...(operator.note ? { note: operator.note } : {}) },
    });
    return { id, task: row.task };
  });
}
