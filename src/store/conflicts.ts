// Conflicts a pass sent to a person (the conflicts table; passes.ts records them): read
// for the operator, settled by the engine when both sides come to agree, resolved by a
// person through src/engine/conflicts.ts.
import { CalsyncError } from '../errors.ts';
import type { BindingRef } from './bindings.ts';
import type { Queryable } from './db.ts';

export type ConflictState = 'open' | 'resolved' | 'dismissed';

export interface Conflict {
  id: string;
  tenantId: string;
  bindingId: string;
  /** The event's series id. */
  eventId: string;
  passId: string | null;
  /** The merge field asked about (`summary`, `overrides[…].location`, `(deleted)` for an edit against a delete). */
  field: string;
  /** The field's value both sides last agreed on, the calendar's and the remote's. */
  base: unknown;
  calendar: unknown;
  remote: unknown;
  state: ConflictState;
  resolution: unknown;
  resolvedBy: string | null;
  createdAt: Date;
  resolvedAt: Date | null;
}

interface Row {
  id: string; tenant_id: string; binding_id: string; event_id: string; pass_id: string | null; fields: string[]; base: unknown; ours: unknown;
  theirs: unknown; state: ConflictState; resolution: unknown; resolved_by: string | null; created_at: Date; resolved_at: Date | null;
}

function toConflict(r: Row): Conflict {
  return {
    id: r.id, tenantId: r.tenant_id, bindingId: r.binding_id, eventId: r.event_id, passId: r.pass_id, field: r.fields.join(', '),
    base: r.base, calendar: r.ours, remote: r.theirs, state: r.state, resolution: r.resolution, resolvedBy: r.resolved_by,
    createdAt: r.created_at, resolvedAt: r.resolved_at,
  };
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A tenant's conflicts, newest first, by state (default open) and optionally binding or
 * event; keyset after `before` (a created_at, id pair). Times are compared to the
 * millisecond, as JavaScript keeps them.
 */
export async function listConflicts(db: Queryable, tenantId: string, options: {
  state?: ConflictState; bindingId?: string; eventId?: string; limit?: number; before?: { createdAt: Date; id: string } | null;
} = {}): Promise<Conflict[]> {
  for (const [name, id] of [['bindingId', options.bindingId], ['eventId', options.eventId]] as const) {
    if (id !== undefined && !uuid.test(id)) throw new CalsyncError('INVALID_REQUEST', `${name} must be a uuid`, { parameter: name });
  }
  const { rows } = await db.query<Row>(
    `select * from conflicts
      where tenant_id = $1 and state = $2 and ($3::uuid is null or binding_id = $3) and ($4::uuid is null or event_id = $4)
        and ($6::timestamptz is null or (date_trunc('milliseconds', created_at), id) < ($6, $7::uuid))
      order by date_trunc('milliseconds', created_at) desc, id desc limit $5`,
    [tenantId, options.state ?? 'open', options.bindingId ?? null, options.eventId ?? null, options.limit ?? 100,
      options.before?.createdAt ?? null, options.before?.id ?? null]);
  return rows.map(toConflict);
}

export async function getConflict(db: Queryable, tenantId: string, id: string, options: { forUpdate?: boolean } = {}): Promise<Conflict> {
  if (!uuid.test(id)) throw new CalsyncError('NOT_FOUND', `conflict ${id} not found`, { conflictId: id });
  const { rows: [row] } = await db.query<Row>(`select * from conflicts where tenant_id = $1 and id = $2${options.forUpdate ? ' for update' : ''}`, [tenantId, id]);
  if (!row) throw new CalsyncError('NOT_FOUND', `conflict ${id} not found`, { conflictId: id });
  return toConflict(row);
}

/**
 * Closes open conflicts whose fields the sides now agree on: per event, every open
 * conflict of the binding but those still asked about (`asked`).
 */
export async function settleConflicts(db: Queryable, binding: BindingRef, settled: Array<{ eventId: string; asked: string[] }>): Promise<void> {
  if (settled.length === 0) return;
  await db.query(
    `update conflicts c set state = 'resolved', resolved_at = now(), resolved_by = 'calsync: the sides came to agree',
            resolution = jsonb_build_object('settled', true)
       from jsonb_to_recordset($3::jsonb) as s(event_id uuid, asked text[])
      where c.tenant_id = $1 and c.binding_id = $2 and c.state = 'open' and c.event_id = s.event_id
        and not (array_to_string(c.fields, ', ') = any(s.asked))`,
    [binding.tenantId, binding.bindingId, JSON.stringify(settled.map((s) => ({ event_id: s.eventId, asked: s.asked })))]);
}

/** Closes a conflict a person acted on, with what they chose (dismissed: nothing was left to decide). */
export async function markResolved(db: Queryable, tenantId: string, id: string, resolution: unknown, actor: string, state: 'resolved' | 'dismissed' = 'resolved'): Promise<void> {
  await db.query(
    `update conflicts set state = $5, resolution = $3, resolved_by = $4, resolved_at = now() where tenant_id = $1 and id = $2`,
    [tenantId, id, JSON.stringify(resolution), actor, state]);
}
