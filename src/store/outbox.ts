// Jobs caused by a canonical change, added in the same transaction as the change
// (transactional outbox): a committed change always has its follow-up passes queued,
// and a rolled-back one never does. Job keys collapse bursts into one pass per binding.
import type { Queryable } from './db.ts';

export const syncBindingTask = 'sync_binding';

export function passJobKey(bindingId: string): string {
  return `pass:${bindingId}`;
}

/**
 * Queues a pass of every active binding of the calendar except `exceptBindingId`, to
 * run after `delayMs` (the debounce window; a later change pushes it back).
 */
export async function queuePassesForCalendar(db: Queryable, tenantId: string, calendarId: string, exceptBindingId: string | null, delayMs: number): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    `select graphile_worker.add_job($3, json_build_object('tenantId', b.tenant_id, 'bindingId', b.id, 'trigger', 'change'),
              run_at := now() + make_interval(secs => $5::double precision / 1000), job_key := 'pass:' || b.id, job_key_mode := 'replace') as id
       from bindings b
      where b.tenant_id = $1 and b.calendar_id = $2 and b.state = 'active' and b.direction <> 'import'
        and ($4::uuid is null or b.id <> $4::uuid)`,
    [tenantId, calendarId, syncBindingTask, exceptBindingId, delayMs]);
  return rows.length;
}

/** Queues a pass of one binding now (replacing a later pending one). */
export async function queuePass(db: Queryable, tenantId: string, bindingId: string, trigger: 'manual' | 'push' | 'resync'): Promise<void> {
  await db.query(
    `select graphile_worker.add_job($1, json_build_object('tenantId', $2::uuid, 'bindingId', $3::uuid, 'trigger', $4::text),
              job_key := 'pass:' || $3, job_key_mode := 'replace')`, [syncBindingTask, tenantId, bindingId, trigger]);
}
