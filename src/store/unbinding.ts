// Unbinding: the binding is paused and marked with what becomes of its remote copies
// (`keep` or `delete`), then src/jobs/unbind-binding.ts stops its push channel, deletes
// the copies when asked, and removes the binding (its statuses, passes, audit rows,
// quarantine and conflicts go with it; the operator's audit rows stay).
import type { ReadOnlyOf } from './binding-controls.ts';
import { CalsyncError } from '../errors.ts';
import { lockBinding, notifyCalendar, type LockedBinding } from './binding-locks.ts';
import type { BindingRef } from './bindings.ts';
import { withTransaction, type Db, type Queryable } from './db.ts';
import { recordOperatorAction, type Operator } from './operator-actions.ts';

export type RemoteCopies = 'keep' | 'delete';

export const unbindTask = 'unbind_binding';

export interface UnbindPayload {
  tenantId: string;
  bindingId: string;
  actor: string;
}

/**
 * Asks for the binding to be unbound. Without a provider to ask (copies kept, no push
 * channel) it is removed at once; otherwise it is marked, and the rest is left to an
 * unbind_binding job (`queue`) or to the caller, which runs carryOutUnbind itself.
 */
export async function requestUnbind(db: Db, ref: BindingRef, remoteCopies: RemoteCopies, who: Operator, options: { queue: boolean; readOnlyOf: ReadOnlyOf }): Promise<{ bindingId: string; removed: boolean }> {
  return withTransaction(db, async (tx) => {
    const marked = await markUnbinding(tx, ref, remoteCopies, who, options.readOnlyOf);
    const target = { tenantId: marked.tenantId, bindingId: marked.id };
    if (remoteCopies === 'keep' && !(await livePushChannel(tx, target))) {
      return { bindingId: marked.id, removed: await removeBinding(tx, target, who.actor, { remoteCopies, deleted: 0, kept: [], channelStopped: null }) };
    }
    if (options.queue) await queueUnbind(tx, { ...target, actor: who.actor });
    return { bindingId: marked.id, removed: false };
  });
}

/**
 * Marks the binding for unbinding, with the binding idle (no pass may be writing its
 * remote while its copies are deleted). Asking again with the same answer is a no-op;
 * with the other one, BINDING_UNBINDING. `delete` needs a binding that writes its remote.
 */
async function markUnbinding(tx: Queryable, ref: BindingRef, remoteCopies: RemoteCopies, who: Operator, readOnlyOf: ReadOnlyOf): Promise<LockedBinding> {
  const binding = await lockBinding(tx, ref, { idle: true, unbinding: true });
  if (binding.unbindRemoteCopies === remoteCopies) return binding;
  if (binding.unbindRemoteCopies) {
    throw new CalsyncError('BINDING_UNBINDING', `binding ${binding.id} is already being unbound with its remote copies ${binding.unbindRemoteCopies === 'keep' ? 'kept' : 'deleted'}`, { bindingId: binding.id });
  }
  if (remoteCopies === 'delete' && binding.accountState !== 'active') {
    throw new CalsyncError('ACCOUNT_NOT_ACTIVE', `account ${binding.accountId} of binding ${binding.id} is ${binding.accountState}: its remote copies cannot be deleted without it; connect it again, or unbind with remoteCopies "keep"`,
      { bindingId: binding.id, accountId: binding.accountId });
  }
  if (remoteCopies === 'delete' && (binding.direction === 'import' || await readOnlyOf(binding.provider) !== undefined)) {
    throw new CalsyncError('INVALID_REQUEST', `binding ${binding.id} only imports: calsync wrote no remote copies to delete; unbind it with remoteCopies "keep"`, { bindingId: binding.id });
  }
  const reason = `being unbound: remote copies ${remoteCopies === 'keep' ? 'kept' : 'deleted'}`;
  await tx.query(`update bindings set state = 'paused', paused_reason = $3, unbind_remote_copies = $4, updated_at = now() where tenant_id = $1 and id = $2`,
    [binding.tenantId, binding.id, reason, remoteCopies]);
  await notifyCalendar(tx, binding);
  await recordOperatorAction(tx, {
    tenantId: binding.tenantId, bindingId: binding.id, accountId: binding.accountId, action: 'binding.unbind', actor: who.actor,
    detail: { remoteCopies, calendarId: binding.calendarId, remoteCalendarId: binding.remoteCalendarId, note: who.note ?? null },
  });
  return { ...binding, state: 'paused', pausedReason: reason, unbindRemoteCopies: remoteCopies };
}

/** Queues the unbinding's work (once per binding); 10 attempts with graphile-worker's backoff ride out a provider's bad hour. */
async function queueUnbind(tx: Queryable, payload: UnbindPayload): Promise<void> {
  await tx.query(
    `select graphile_worker.add_job($1, json_build_object('tenantId', $2::uuid, 'bindingId', $3::uuid, 'actor', $4::text),
              job_key := 'unbind:' || $3, job_key_mode := 'preserve_run_at', max_attempts := 10)`,
    [unbindTask, payload.tenantId, payload.bindingId, payload.actor]);
}

export interface RemoteCopy {
  eventId: string;
  remoteId: string;
  etag: string | null;
}

/**
 * The next remote copies to delete: answered statuses (a create whose answer never came
 * has no known remote id). Deleting a copy drops its status, so this always starts at
 * the first one left and an interrupted unbind goes on where it stopped.
 */
/** Remote copies still to deal with, in remote-id order after `after` (keyset: kept ones stay behind it). */
export async function remoteCopies(db: Queryable, ref: BindingRef, limit: number, after: string | null = null): Promise<RemoteCopy[]> {
  const { rows } = await db.query<{ event_id: string; remote_id: string; etag: string | null }>(
    `select event_id, remote_id, etag from sync_status where tenant_id = $1 and binding_id = $2 and not pending
        and ($4::text is null or remote_id > $4) order by remote_id limit $3`,
    [ref.tenantId, ref.bindingId, limit, after]);
  return rows.map((r) => ({ eventId: r.event_id, remoteId: r.remote_id, etag: r.etag }));
}

export async function dropStatuses(db: Queryable, ref: BindingRef, remoteIds: string[]): Promise<void> {
  if (remoteIds.length === 0) return;
  await db.query('delete from sync_status where tenant_id = $1 and binding_id = $2 and remote_id = any($3::text[])', [ref.tenantId, ref.bindingId, remoteIds]);
}

/** The binding's live push channel, if it has one (a pending one has no resource id to stop yet). */
export async function livePushChannel(db: Queryable, ref: BindingRef): Promise<{ id: string; resourceId: string } | null> {
  const { rows: [row] } = await db.query<{ id: string | null; resource_id: string | null }>(
    `select push_subscription ->> 'id' as id, push_subscription ->> 'resourceId' as resource_id from bindings where tenant_id = $1 and id = $2`,
    [ref.tenantId, ref.bindingId]);
  return row?.id && row.resource_id ? { id: row.id, resourceId: row.resource_id } : null;
}

/**
 * Removes a binding being unbound, and its queued passes (they would only find it
 * gone), with an audit row of what became of its copies. False when it is already gone.
 */
export async function removeBinding(tx: Queryable, ref: BindingRef, actor: string, outcome: Record<string, unknown>): Promise<boolean> {
  const { rows: [removed] } = await tx.query<{ account_id: string }>(
    'delete from bindings where tenant_id = $1 and id = $2 and unbind_remote_copies is not null returning account_id', [ref.tenantId, ref.bindingId]);
  if (!removed) return false;
  await tx.query(`select graphile_worker.remove_job('pass:' || $1::text)`, [ref.bindingId]);
  await recordOperatorAction(tx, { tenantId: ref.tenantId, bindingId: ref.bindingId, accountId: removed.account_id, action: 'binding.unbound', actor, detail: outcome });
  return true;
}
