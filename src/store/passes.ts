// The audit trail of sync passes: one row per pass, one per decision it made, and the
// conflicts it sent to a person.
import type { BindingRef } from './bindings.ts';
import type { Queryable } from './db.ts';

export type PassTrigger = 'poll' | 'push' | 'manual' | 'resync' | 'change';
export type PassOutcome = 'ok' | 'partial' | 'failed' | 'stopped';

export interface OperationRecord {
  eventId: string | null;
  remoteId: string | null;
  side: 'calendar' | 'remote';
  operation: 'create' | 'update' | 'delete' | 'skip' | 'merge' | 'conflict' | 'quarantine';
  rule: string;
  reason: string;
  status: 'planned' | 'applied' | 'failed' | 'skipped';
  before?: unknown;
  after?: unknown;
  error?: unknown;
  startedAt: Date;
  finishedAt: Date | null;
}

export async function startPass(db: Queryable, binding: BindingRef, trigger: PassTrigger): Promise<string> {
  // One statement for the pass and its binding: every pass starts and ends with these.
  const { rows: [row] } = await db.query<{ id: string }>(
    `with pass as (insert into sync_passes (tenant_id, binding_id, trigger) values ($1, $2, $3) returning id)
     update bindings set last_pass_id = pass.id, last_pass_started_at = now() from pass where tenant_id = $1 and bindings.id = $2 returning pass.id`,
    [binding.tenantId, binding.bindingId, trigger]);
  if (!row) throw new Error(`binding ${binding.bindingId} of tenant ${binding.tenantId} does not exist`);
  return row.id;
}

/**
 * Records a pass's outcome, and on its binding while it is still the binding's last pass
 * (a pass that lost its lease must not overwrite the state of the one that took over).
 * `stopped`: what the brakes stopped, or null; a failed pass leaves the binding's as it was.
 */
export async function finishPass(db: Queryable, binding: BindingRef, passId: string, outcome: PassOutcome, stats: Record<string, number>, error: { code: string; message: string } | null, stopped: Record<string, unknown> | null = null): Promise<void> {
  await db.query(
    `with pass as (update sync_passes set finished_at = now(), outcome = $4, stats = $5, error = $6 where tenant_id = $1 and id = $3)
     update bindings set last_pass_finished_at = now(), last_pass_outcome = $4, last_error = $6,
       last_success_at = case when $4 = 'ok' then now() else last_success_at end, updated_at = now(),
       stopped = case when $4 = 'failed' then stopped else $7::jsonb end
     where tenant_id = $1 and id = $2 and last_pass_id = $3`,
    [binding.tenantId, binding.bindingId, passId, outcome, JSON.stringify(stats), error ? JSON.stringify(error) : null, stopped ? JSON.stringify(stopped) : null]);
}

/** A running pass's counts so far; a finished pass keeps those finishPass wrote. */
export async function recordPassProgress(db: Queryable, binding: BindingRef, passId: string, stats: Record<string, number>): Promise<void> {
  await db.query('update sync_passes set stats = $3 where tenant_id = $1 and id = $2 and finished_at is null', [binding.tenantId, passId, JSON.stringify(stats)]);
}

export async function recordOperations(db: Queryable, binding: BindingRef, passId: string, operations: OperationRecord[]): Promise<void> {
  const { tenantId, bindingId } = binding;
  if (operations.length === 0) return;
  await db.query(
    `insert into sync_operations (tenant_id, pass_id, binding_id, event_id, remote_id, side, operation, rule, reason, status, before, after, error, started_at, finished_at)
     select $1, $2, $3, o.event_id, o.remote_id, o.side, o.operation, o.rule, o.reason, o.status, o.before, o.after, o.error, o.started_at, o.finished_at
       from jsonb_to_recordset($4::jsonb) as o(event_id uuid, remote_id text, side text, operation text, rule text, reason text, status text,
            before jsonb, after jsonb, error jsonb, started_at timestamptz, finished_at timestamptz)`,
    [tenantId, passId, bindingId, JSON.stringify(operations.map((o) => ({
      event_id: o.eventId, remote_id: o.remoteId, side: o.side, operation: o.operation, rule: o.rule, reason: o.reason, status: o.status,
      before: o.before ?? null, after: o.after ?? null, error: o.error ?? null, started_at: o.startedAt, finished_at: o.finishedAt,
    })))]);
}

/**
 * Records a conflict a pass sent to a person, once: while one is open for the same
 * binding, event and fields, it is brought up to date (the sides may have moved).
 */
export async function recordConflict(db: Queryable, conflict: {
  tenantId: string; bindingId: string; eventId: string; passId: string; fields: string[]; base: unknown; ours: unknown; theirs: unknown;
}): Promise<string> {
  const { rows: [row] } = await db.query<{ id: string }>(
    `insert into conflicts (tenant_id, binding_id, event_id, pass_id, fields, base, ours, theirs) values ($1, $2, $3, $4, $5, $6, $7, $8)
     on conflict (binding_id, event_id, fields) where state = 'open'
       do update set pass_id = excluded.pass_id, base = excluded.base, ours = excluded.ours, theirs = excluded.theirs
     returning id`,
    [conflict.tenantId, conflict.bindingId, conflict.eventId, conflict.passId, conflict.fields, JSON.stringify(conflict.base),
      JSON.stringify(conflict.ours), JSON.stringify(conflict.theirs)]);
  return row!.id;
}
