// The audit trail of operators (migration 000010): every action a person took to settle
// what the engine could not, written in the transaction that carried it out, with who
// asked (`api-key:<id>`, `cli`), what it named and what it changed.
import type { Queryable } from './db.ts';

export type OperatorActionName =
  | 'quarantine.retry' | 'quarantine.dismiss' | 'quarantine.lift'
  | 'stopped-pass.confirm' | 'stopped-pass.dismiss'
  | 'binding.pause' | 'binding.resume' | 'binding.update' | 'binding.unbind' | 'binding.unbound'
  | 'account.disconnect'
  | 'conflict.resolve'
  | 'job.replay';

/** Who acts (`api-key:<id>`, `cli`), and the words they gave, for the audit trail. */
export interface Operator {
  actor: string;
  note?: string | null;
}

export interface OperatorActionInput {
  tenantId: string;
  bindingId?: string | null;
  accountId?: string | null;
  action: OperatorActionName;
  actor: string;
  targets?: Record<string, unknown>;
  detail?: Record<string, unknown>;
}

export interface OperatorAction {
  id: string;
  bindingId: string | null;
  accountId: string | null;
  action: OperatorActionName;
  actor: string;
  targets: Record<string, unknown>;
  detail: Record<string, unknown>;
  createdAt: Date;
}

interface Row {
  id: string; binding_id: string | null; account_id: string | null; action: OperatorActionName; actor: string;
  targets: Record<string, unknown>; detail: Record<string, unknown>; created_at: Date;
}

function toAction(r: Row): OperatorAction {
  return { id: String(r.id), bindingId: r.binding_id, accountId: r.account_id, action: r.action, actor: r.actor, targets: r.targets, detail: r.detail, createdAt: r.created_at };
}

export async function recordOperatorAction(db: Queryable, input: OperatorActionInput): Promise<OperatorAction> {
  const { rows: [row] } = await db.query<Row>(
    `insert into operator_actions (tenant_id, binding_id, account_id, action, actor, targets, detail)
     values ($1, $2, $3, $4, $5, $6, $7) returning *`,
    [input.tenantId, input.bindingId ?? null, input.accountId ?? null, input.action, input.actor,
      JSON.stringify(input.targets ?? {}), JSON.stringify(input.detail ?? {})]);
  return toAction(row!);
}

/** A tenant's operator actions, newest first, optionally of one binding or account; `before` is the last id of the previous page. */
export async function listOperatorActions(db: Queryable, tenantId: string, options: { bindingId?: string; accountId?: string; before?: string; limit: number }): Promise<OperatorAction[]> {
  const { rows } = await db.query<Row>(
    `select * from operator_actions
      where tenant_id = $1 and ($2::uuid is null or binding_id = $2) and ($3::uuid is null or account_id = $3) and ($4::bigint is null or id < $4)
      order by id desc limit $5`,
    [tenantId, options.bindingId ?? null, options.accountId ?? null, options.before ?? null, options.limit]);
  return rows.map(toAction);
}
