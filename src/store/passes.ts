// The audit trail of sync passes: one row per pass, one per decision it made, and the
// conflicts it sent to a person.
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

export async function startPass(db: Queryable, tenantId: string, bindingId: string, trigger: PassTrigger): Promise<string> {
  const { rows: [row] } = await db.query<{ id: string }>(
    'insert into sync_passes (tenant_id, binding_id, trigger) values ($1, $2, $3) returning id', [tenantId, bindingId, trigger]);
  await db.query('update bindings set last_pass_id = $2, last_pass_started_at = now() where id = $1', [bindingId, row!.id]);
  return row!.id;
}

export async function finishPass(db: Queryable, bindingId: string, passId: string, outcome: PassOutcome, stats: Record<string, number>, error: { code: string; message: string } | null): Promise<void> {
  await db.query('update sync_passes set finished_at = now(), outcome = $2, stats = $3, error = $4 where id = $1',
    [passId, outcome, JSON.stringify(stats), error ? JSON.stringify(error) : null]);
  await db.query(
    `update bindings set last_pass_finished_at = now(), last_pass_outcome = $2, last_error = $3,
       last_success_at = case when $2 = 'ok' then now() else last_success_at end, updated_at = now()
     where id = $1`, [bindingId, outcome, error ? JSON.stringify(error) : null]);
}

export async function recordOperations(db: Queryable, tenantId: string, bindingId: string, passId: string, operations: OperationRecord[]): Promise<void> {
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

export async function recordConflict(db: Queryable, conflict: {
  tenantId: string; bindingId: string; eventId: string; passId: string; fields: string[]; base: unknown; ours: unknown; theirs: unknown;
}): Promise<string> {
  const { rows: [row] } = await db.query<{ id: string }>(
    `insert into conflicts (tenant_id, binding_id, event_id, pass_id, fields, base, ours, theirs) values ($1, $2, $3, $4, $5, $6, $7, $8) returning id`,
    [conflict.tenantId, conflict.bindingId, conflict.eventId, conflict.passId, conflict.fields, JSON.stringify(conflict.base),
      JSON.stringify(conflict.ours), JSON.stringify(conflict.theirs)]);
  return row!.id;
}
