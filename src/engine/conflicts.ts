// A person's decision on a conflict (ARCHITECTURE.md "Merge policy": `manual` and fields
// set to `ask` send same-field changes to a person; meanwhile each side keeps its value
// and the binding's base keeps the one both last agreed on). Resolving writes the chosen
// value into the calendar and moves the binding's base to the remote's value, so the
// next passes carry the choice to the remote and every other binding as an ordinary
// calendar change. Edit against delete is settled by keeping or deleting the item.
import { CoreError } from '../core/errors.ts';
import { hashNormal } from '../core/hash.ts';
import { withMergeField } from '../core/merge.ts';
import type { EventSeries } from '../core/model.ts';
import { normaliseSeries } from '../core/normalise.ts';
import { project, type Projection } from '../core/projection.ts';
import { validateSeries } from '../core/validate.ts';
import { checkSeriesRecurrence } from '../core/ical/recurrence-check.ts';
import { CalsyncError } from '../errors.ts';
import { getBinding } from '../store/bindings.ts';
import { getConflict, markResolved, type Conflict } from '../store/conflicts.ts';
import { withTransaction, type Db, type DbClient } from '../store/db.ts';
import { deleteSeriesBatch, lockSeriesVersions, touchSeries, writeSeriesBatch, type WriteContext } from '../store/event-writes.ts';
import { getSeries, getTombstones } from '../store/events.ts';
import { recordOperatorAction } from '../store/operator-actions.ts';
import { calendarChanged } from '../store/outbox.ts';
import { deleteStatuses, setStatusBase, statusesByEventIds } from '../store/sync-status.ts';

/** Take one side's value, or give the value to hold. */
export type ConflictChoice = { take: 'calendar' | 'remote' } | { value: unknown };

export interface ConflictDeps {
  db: Db;
  /** Debounce of the passes the resolution queues on the calendar's bindings. */
  debounceMs: number;
}

function projectionOf(projection: unknown): Projection {
  return (projection as { mode?: string } | null)?.mode === 'busy-only' ? 'busy-only' : 'full';
}

/**
 * Resolves an open conflict; returns it as resolved. Everything happens in one
 * transaction, the audit row of who decided (`actor`: `api-key:<id>`, `cli`) included.
 */
export async function resolveConflict(deps: ConflictDeps, tenantId: string, conflictId: string, choice: ConflictChoice, actor = 'operator', note: string | null = null): Promise<Conflict> {
  await withTransaction(deps.db, async (tx) => {
    const conflict = await getConflict(tx, tenantId, conflictId, { forUpdate: true });
    if (conflict.state !== 'open') throw new CalsyncError('CONFLICT_NOT_OPEN', `conflict ${conflictId} is ${conflict.state} already`, { conflictId });
    const binding = await getBinding(tx, tenantId, conflict.bindingId);
    // The calendar write is the operator's; who exactly is in the operator audit row.
    const write: WriteContext = { tenantId, calendarId: binding.calendarId, actor: 'operator' };
    const ref = { tenantId, bindingId: binding.id };
    const changed = conflict.field === '(deleted)'
      ? await resolveDeletion(tx, write, ref, conflict, choice)
      : await resolveField(tx, write, ref, projectionOf(binding.projection), conflict, choice);
    if (changed === 'moot') {
      // The event was deleted since: there is no field left to decide.
      await markResolved(tx, tenantId, conflictId, { moot: 'the event was deleted' }, actor, 'dismissed');
      return;
    }
    await markResolved(tx, tenantId, conflictId, choice, actor);
    await recordOperatorAction(tx, {
      tenantId, bindingId: binding.id, action: 'conflict.resolve', actor,
      targets: { conflictId, eventId: conflict.eventId, field: conflict.field }, detail: { choice, ...(note ? { note } : {}) },
    });
    // Where the calendar kept its value, the event is still given a new version: the
    // binding's base moved, and its next pass must plan the event to carry the choice.
    if (!changed) await touchSeries(tx, write, conflict.eventId);
    await calendarChanged(tx, tenantId, binding.calendarId, deps.debounceMs);
  });
  return getConflict(deps.db, tenantId, conflictId);
}

/** Writes the chosen value; whether the calendar changed, or `moot` when the event is gone. */
async function resolveField(tx: DbClient, write: WriteContext, ref: { tenantId: string; bindingId: string }, projection: Projection, conflict: Conflict, choice: ConflictChoice): Promise<boolean | 'moot'> {
  // Locked before it is read, as the app's writes do: a pass committing meanwhile is not overwritten.
  await lockSeriesVersions(tx, write.tenantId, write.calendarId, [conflict.eventId]);
  const [stored] = await getSeries(tx, write.tenantId, write.calendarId, [conflict.eventId]);
  if (!stored) return 'moot';
  const value = 'take' in choice ? (choice.take === 'calendar' ? conflict.calendar : conflict.remote) : choice.value;
  let series: EventSeries;
  try {
    series = validateSeries(withMergeField(stored.series, conflict.field, value));
    checkSeriesRecurrence(series);
  } catch (error) {
    if (error instanceof CoreError) throw new CalsyncError('INVALID_REQUEST', `value for ${conflict.field}: ${error.message}`, { conflictId: conflict.id });
    throw error;
  }
  const [written] = await writeSeriesBatch(tx, write, [{ eventId: conflict.eventId, series }]);
  // The binding's base takes the remote's value of the field, as if it had been agreed:
  // the remote then has not changed it, and the calendar's value (the choice) goes to it.
  const [status] = await statusesByEventIds(tx, ref, [conflict.eventId]);
  if (status) {
    const base = normaliseSeries(project(withMergeField(status.base, conflict.field, conflict.remote), projection));
    await setStatusBase(tx, ref, conflict.eventId, base, hashNormal(base));
  }
  return (written?.changed ?? 0) > 0;
}

/**
 * Edit against delete. The calendar deleted what the remote edited (`calendar` null):
 * taking the calendar deletes the remote item, taking the remote restores the event
 * with the remote's content. The remote deleted what the calendar edited (`remote`
 * null): taking the remote deletes the event, taking the calendar sends it again.
 */
async function resolveDeletion(tx: DbClient, write: WriteContext, ref: { tenantId: string; bindingId: string }, conflict: Conflict, choice: ConflictChoice): Promise<boolean> {
  if (!('take' in choice)) throw new CalsyncError('INVALID_REQUEST', 'an edit against a delete is settled by taking a side (take: calendar or remote), not by a value', { conflictId: conflict.id });
  const calendarDeleted = conflict.calendar === null;
  const edited = (calendarDeleted ? conflict.remote : conflict.calendar) as EventSeries;
  const [status] = await statusesByEventIds(tx, ref, [conflict.eventId]);
  if (calendarDeleted) {
    // The remote's content becomes the base: unchanged there, the item then follows the
    // calendar. It is what the remote holds, so no field is asked of a person any more.
    const base = normaliseSeries(edited);
    if (status) await setStatusBase(tx, ref, conflict.eventId, base, hashNormal(base), { remoteHolds: true });
    if (choice.take === 'calendar') return false;
    const [tomb] = await getTombstones(tx, write.tenantId, write.calendarId, [conflict.eventId]);
    if (!tomb) return false;
    const [written] = await writeSeriesBatch(tx, write, [{ eventId: conflict.eventId, series: validateSeries(edited) }]);
    return (written?.changed ?? 0) > 0;
  }
  // Without its status the event is new to this binding: it is created there again.
  await deleteStatuses(tx, ref, [conflict.eventId]);
  if (choice.take === 'calendar') return false;
  const [deleted] = await deleteSeriesBatch(tx, write, [conflict.eventId]);
  return (deleted ?? 0) > 0;
}
