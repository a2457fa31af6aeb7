// A binding as an operator action holds it: its row locked for the rest of the
// transaction, with what the action must check first (its state, its account's, the
// brakes' stop, whether a pass is running). Actions that rewrite what a pass reads
// (statuses, the calendar version, the cursor) take the binding only while no pass holds
// its lease: a pass starting meanwhile waits on the row lock and then sees the change,
// and one already running is not overwritten by it (nor raises the calendar version
// back past it at its end).
import { CalsyncError } from '../errors.ts';
import type { BindingRef, Direction } from './bindings.ts';
import type { Queryable } from './db.ts';
import { calendarNoticeChannel } from './outbox.ts';

/** What the brakes stopped (bindings.stopped, written by the pass). */
export interface StopRecord {
  kind: 'wipe' | 'deletion-budget';
  /** wipe: the side that listed nothing. */
  side?: 'calendar' | 'remote';
  known?: number;
  deletes?: number;
  limit?: number;
  message: string;
  passId: string;
  at: string;
}

export interface PushChannelRecord {
  id?: string;
  resourceId?: string;
}

export interface LockedBinding {
  id: string;
  tenantId: string;
  calendarId: string;
  accountId: string;
  provider: string;
  accountState: string;
  remoteCalendarId: string;
  direction: Direction;
  state: 'active' | 'paused' | 'error';
  pausedReason: string | null;
  pollIntervalSeconds: number;
  conflictPolicy: unknown;
  stopped: StopRecord | null;
  pushChannel: PushChannelRecord | null;
  unbindRemoteCopies: 'keep' | 'delete' | null;
  /** A pass holds the binding's unexpired lease. */
  passRunning: boolean;
}

/** What an operator is shown of a binding after changing it (no lease, cursor or channel secrets). */
export function bindingView(b: LockedBinding): Record<string, unknown> {
  const { id, calendarId, accountId, remoteCalendarId, direction, conflictPolicy, state, pausedReason, pollIntervalSeconds } = b;
  return { id, calendarId, accountId, remoteCalendarId, direction, conflictPolicy, state, pausedReason, pollIntervalSeconds };
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(id: string): boolean {
  return uuidPattern.test(id);
}

function notFound(bindingId: string): CalsyncError {
  return new CalsyncError('NOT_FOUND', `binding ${bindingId} not found`, { bindingId });
}

/**
 * Locks the binding's row (inside a transaction) and returns it. `idle`: refuses with
 * BINDING_BUSY while a pass holds the lease. A binding being unbound refuses every
 * action but the unbind itself (BINDING_UNBINDING), unless `unbinding` allows it.
 */
export async function lockBinding(tx: Queryable, ref: BindingRef, options: { idle?: boolean; unbinding?: boolean } = {}): Promise<LockedBinding> {
  if (!isUuid(ref.bindingId)) throw notFound(ref.bindingId);
  const { rows: [row] } = await tx.query<{
    id: string; tenant_id: string; calendar_id: string; account_id: string; provider: string; account_state: string; remote_calendar_id: string;
    direction: Direction; state: LockedBinding['state']; paused_reason: string | null; poll_interval_seconds: number; conflict_policy: unknown;
    stopped: StopRecord | null; push_subscription: PushChannelRecord | null; unbind_remote_copies: LockedBinding['unbindRemoteCopies']; pass_running: boolean;
  }>(
    `select b.id, b.tenant_id, b.calendar_id, b.account_id, a.provider, a.state as account_state, b.remote_calendar_id, b.direction, b.state,
            b.paused_reason, b.poll_interval_seconds, b.conflict_policy, b.stopped, b.push_subscription, b.unbind_remote_copies,
            (b.lease_owner is not null and b.lease_expires_at > now()) as pass_running
       from bindings b join accounts a on a.tenant_id = b.tenant_id and a.id = b.account_id
      where b.tenant_id = $1 and b.id = $2 for update of b`, [ref.tenantId, ref.bindingId]);
  if (!row) throw notFound(ref.bindingId);
  if (row.unbind_remote_copies && !options.unbinding) {
    throw new CalsyncError('BINDING_UNBINDING', `binding ${row.id} is being unbound (remote copies ${row.unbind_remote_copies === 'keep' ? 'kept' : 'deleted'})`, { bindingId: row.id });
  }
  if (options.idle && row.pass_running) throw new CalsyncError('BINDING_BUSY', `a pass of binding ${row.id} is running`, { bindingId: row.id });
  return {
    id: row.id, tenantId: row.tenant_id, calendarId: row.calendar_id, accountId: row.account_id, provider: row.provider, accountState: row.account_state,
    remoteCalendarId: row.remote_calendar_id, direction: row.direction, state: row.state, pausedReason: row.paused_reason,
    pollIntervalSeconds: row.poll_interval_seconds, conflictPolicy: row.conflict_policy, stopped: row.stopped, pushChannel: row.push_subscription,
    unbindRemoteCopies: row.unbind_remote_copies, passRunning: row.pass_running,
  };
}

/**
 * Makes the binding's next pass plan these calendar events again, as if they had just
 * changed: its calendar version goes back to before the oldest of their latest
 * versions, so the pass reads the change log from there. Events it finds unchanged
 * against their status cost a comparison and write nothing. Call with the binding
 * locked idle: a running pass would raise the version again when it ends.
 */
export async function replanEvents(tx: Queryable, binding: LockedBinding, eventIds: string[]): Promise<void> {
  if (eventIds.length === 0) return;
  await tx.query(
    `update bindings b set calendar_version = least(b.calendar_version, v.oldest - 1), updated_at = now()
       from (select min(latest) as oldest from (select max(version) as latest from events
              where tenant_id = $1 and calendar_id = $3 and series_id = any($4::uuid[]) group by series_id) s) v
      where b.tenant_id = $1 and b.id = $2 and v.oldest is not null`,
    [binding.tenantId, binding.id, binding.calendarId, eventIds]);
}

/** Wakes the event streams of the calendar, which tell apps of bindings that stop or resume syncing. */
export async function notifyCalendar(tx: Queryable, binding: LockedBinding): Promise<void> {
  await tx.query(`select pg_notify($3, json_build_object('tenantId', $1::uuid, 'calendarId', $2::uuid)::text)`, [binding.tenantId, binding.calendarId, calendarNoticeChannel]);
}
