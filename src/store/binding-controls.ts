// What an operator changes of a binding: pause and resume it, its policy, direction and
// poll interval. Each change commits with its audit row, wakes the calendar's event
// streams when the binding stops or resumes syncing, and queues what it needs (a pass, a
// sooner poll).
import { CalsyncError } from '../errors.ts';
import { lockBinding, notifyCalendar, type LockedBinding } from './binding-locks.ts';
import type { BindingRef, Direction } from './bindings.ts';
import { withTransaction, type Db, type Queryable } from './db.ts';
import { recordOperatorAction, type Operator } from './operator-actions.ts';
import { queuePass, syncBindingTask } from './outbox.ts';

export interface BindingChange {
  conflictPolicy?: unknown;
  direction?: Direction;
  pollIntervalSeconds?: number;
}

/** The prefix of a pause an operator asked for (a revoked account's pause starts with `account `). */
const operatorPausePrefix = 'paused by an operator: ';

export async function pauseBinding(db: Db, ref: BindingRef, reason: string, who: Operator): Promise<LockedBinding> {
  return withTransaction(db, async (tx) => {
    const binding = await lockBinding(tx, ref);
    const pausedReason = `${operatorPausePrefix}${reason}`;
    await tx.query(`update bindings set state = 'paused', paused_reason = $3, updated_at = now() where tenant_id = $1 and id = $2`,
      [binding.tenantId, binding.id, pausedReason]);
    await notifyCalendar(tx, binding);
    await recordOperatorAction(tx, {
      tenantId: binding.tenantId, bindingId: binding.id, action: 'binding.pause', actor: who.actor,
      detail: { before: { state: binding.state, pausedReason: binding.pausedReason }, reason },
    });
    return { ...binding, state: 'paused', pausedReason };
  });
}

/**
 * Resumes a paused (or failed) binding and queues a pass at once. A binding whose
 * account is not active stays paused (ACCOUNT_NOT_ACTIVE): connecting the account again
 * resumes it. An active binding is left as it is.
 */
export async function resumeBinding(db: Db, ref: BindingRef, who: Operator): Promise<LockedBinding> {
  return withTransaction(db, async (tx) => {
    const binding = await lockBinding(tx, ref);
    if (binding.accountState !== 'active') {
      throw new CalsyncError('ACCOUNT_NOT_ACTIVE', `account ${binding.accountId} of binding ${binding.id} is ${binding.accountState}`, { bindingId: binding.id, accountId: binding.accountId });
    }
    if (binding.state === 'active') return binding;
    await tx.query(`update bindings set state = 'active', paused_reason = null, next_poll_at = now(), updated_at = now() where tenant_id = $1 and id = $2`,
      [binding.tenantId, binding.id]);
    await queuePass(tx, binding.tenantId, binding.id, 'manual');
    await notifyCalendar(tx, binding);
    await recordOperatorAction(tx, {
      tenantId: binding.tenantId, bindingId: binding.id, action: 'binding.resume', actor: who.actor,
      detail: { before: { state: binding.state, pausedReason: binding.pausedReason }, note: who.note ?? null },
    });
    return { ...binding, state: 'active', pausedReason: null };
  });
}

const writesRemote = (direction: Direction): boolean => direction !== 'import';
const writesCalendar = (direction: Direction): boolean => direction !== 'export';

/**
 * Changes policy, direction and poll interval (already checked by the caller). A new
 * direction that writes a side the old one did not takes that side's backlog: one that
 * now writes the remote replans every calendar event (the calendar version goes back to
 * 0: events the binding never sent get created there), one that now writes the calendar
 * lists the remote in full (the cursor is dropped: remote items it never took in get
 * imported). Either needs the binding idle. A shorter poll interval brings the next
 * poll forward to at most that far away.
 */
/** Why bindings of a provider can only import (its `readOnly`, src/connectors/provider.ts), or undefined. */
export type ReadOnlyOf = (provider: string) => Promise<string | undefined>;

export async function changeBinding(db: Db, ref: BindingRef, change: BindingChange, who: Operator, readOnlyOf: ReadOnlyOf): Promise<LockedBinding> {
  return withTransaction(db, async (tx) => {
    const directionChanges = change.direction !== undefined;
    const binding = await lockBinding(tx, ref, { idle: directionChanges });
    const readOnly = change.direction && change.direction !== 'import' ? await readOnlyOf(binding.provider) : undefined;
    if (readOnly) {
      throw new CalsyncError('INVALID_REQUEST', `binding ${binding.id} cannot write to its remote (${readOnly}): its direction stays "import"`, { bindingId: binding.id });
    }
    const direction = change.direction ?? binding.direction;
    const startsWritingRemote = writesRemote(direction) && !writesRemote(binding.direction);
    const startsWritingCalendar = writesCalendar(direction) && !writesCalendar(binding.direction);
    await tx.query(
      `update bindings set conflict_policy = coalesce($3::jsonb, conflict_policy), direction = $4, poll_interval_seconds = coalesce($5, poll_interval_seconds),
              calendar_version = case when $6 then 0 else calendar_version end,
              cursor = case when $7 then null else cursor end, updated_at = now()
        where tenant_id = $1 and id = $2`,
      [binding.tenantId, binding.id, change.conflictPolicy === undefined ? null : JSON.stringify(change.conflictPolicy), direction,
        change.pollIntervalSeconds ?? null, startsWritingRemote, startsWritingCalendar]);
    if (change.pollIntervalSeconds !== undefined && binding.state === 'active') await pollWithin(tx, binding, change.pollIntervalSeconds);
    if ((startsWritingRemote || startsWritingCalendar) && binding.state === 'active') await queuePass(tx, binding.tenantId, binding.id, 'manual');
    const before = { conflictPolicy: binding.conflictPolicy, direction: binding.direction, pollIntervalSeconds: binding.pollIntervalSeconds };
    const after = {
      conflictPolicy: change.conflictPolicy ?? binding.conflictPolicy, direction, pollIntervalSeconds: change.pollIntervalSeconds ?? binding.pollIntervalSeconds,
    };
    await recordOperatorAction(tx, {
      tenantId: binding.tenantId, bindingId: binding.id, action: 'binding.update', actor: who.actor,
      detail: { before, after, replanned: startsWritingRemote ? 'calendar' : null, relisted: startsWritingCalendar ? 'remote' : null, note: who.note ?? null },
    });
    return { ...binding, ...after };
  });
}

/**
 * The binding's next poll in at most `seconds`: a poll (or any pass) already due sooner
 * keeps its time, a later one is brought forward.
 */
async function pollWithin(tx: Queryable, binding: LockedBinding, seconds: number): Promise<void> {
  await tx.query(
    `update bindings set next_poll_at = least(coalesce(next_poll_at, 'infinity'), now() + make_interval(secs => $3)) where tenant_id = $1 and id = $2`,
    [binding.tenantId, binding.id, seconds]);
  await tx.query(
    `select graphile_worker.add_job($4, json_build_object('tenantId', $1::uuid, 'bindingId', $2::uuid, 'trigger', 'poll'),
              run_at := now() + make_interval(secs => $3), job_key := 'pass:' || $2, job_key_mode := 'replace')
      where not exists (select 1 from graphile_worker.jobs j
                         where j.key = 'pass:' || $2 and j.locked_at is null and j.run_at <= now() + make_interval(secs => $3))`,
    [binding.tenantId, binding.id, seconds, syncBindingTask]);
}
