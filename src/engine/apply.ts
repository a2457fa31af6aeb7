// Carries out a slice's planned actions. Calendar-side changes of a slice commit in one
// transaction with their sync statuses, audit rows and the passes they cause on the
// other bindings, in a fixed number of statements whatever the slice's size. Remote
// writes of a slice run a few at a time; their statuses and audit rows commit together
// once they are answered. A failed remote write leaves the status as it was, so the next
// pass retries from what it knows.
import { randomUUID } from 'node:crypto';
import { isConnectorError, type Connector, type ConnectorError, type WriteResult } from '../connectors/connector.ts';
import { newest } from '../core/instants.ts';
import type { Action } from '../core/plan.ts';
import { withTransaction, type Db } from '../store/db.ts';
import { deleteSeriesBatch, lockSeriesVersions, writeSeriesBatch, type SeriesWrite, type WriteContext } from '../store/event-writes.ts';
import { calendarChanged } from '../store/outbox.ts';
import { recordConflict, recordOperations, type OperationRecord } from '../store/passes.ts';
import { settleConflicts } from '../store/conflicts.ts';
import { clearQuarantined, recordQuarantined, type QuarantineRecord } from '../store/quarantine.ts';
import { recordSent, upsertStatuses } from '../store/sync-status.ts';
import type { Lease } from './lease.ts';
import { StatusChanges } from './status-changes.ts';

export interface PassStats {
  pulled: number;
  calendarWrites: number;
  remoteWrites: number;
  skipped: number;
  conflicts: number;
  quarantined: number;
  failed: number;
}

export function emptyStats(): PassStats {
  return { pulled: 0, calendarWrites: 0, remoteWrites: 0, skipped: 0, conflicts: 0, quarantined: 0, failed: 0 };
}

export interface ApplyContext {
  db: Db;
  tenantId: string;
  calendarId: string;
  bindingId: string;
  passId: string;
  remoteCalendarId: string;
  connector: Connector;
  /** Debounce of the passes queued for the other bindings after a calendar change. */
  debounceMs: number;
  stats: PassStats;
  /** Per event, the calendar version this pass last saw or wrote it at. */
  seenAt: Map<string, number>;
  /** Remote writes kept in flight at once. */
  writeConcurrency: number;
  /** Remote ids to read again: a conditional write this pass was refused (412), a retried create. */
  refused: Set<string>;
  /** The binding's lease: every transaction of the pass is fenced by it. */
  lease: Lease;
  /** The binding has open conflicts: events the sides came to agree on settle theirs. */
  openConflicts: boolean;
  /** Remote creates this pass sent, answered or not. */
  remoteCreates: number;
  /**
   * The pass is writing the calendar's changes (not what listed items asked for): a
   * failed write of one is planned again from the calendar version, which the pass then
   * keeps; a failed write a listed item asked for is planned again from the listing,
   * which the pass then keeps (src/engine/sync-pass.ts).
   */
  pushing: boolean;
  now(): Date;
}

/**
 * The calendar changed between loading a slice and applying it (another binding's pass
 * wrote one of its events, or created the same iCalUID): the slice is planned again.
 */
export class StaleSlice extends Error {
  constructor(eventId: string | null) {
    super(`event ${eventId ?? '(new)'} changed while its slice was planned`);
  }
}

const uniqueViolation = '23505';

type RemoteWrite = Extract<Action, { side: 'remote'; op: 'create' | 'update' | 'delete' }>;

export function isRemoteWrite(action: Action): action is RemoteWrite {
  return action.side === 'remote' && (action.op === 'create' || action.op === 'update' || action.op === 'delete');
}

export function isDelete(action: Action): boolean {
  return action.op === 'delete';
}

function operation(ctx: ApplyContext, action: Action, status: OperationRecord['status'], extra: Partial<OperationRecord> = {}): OperationRecord {
  const op = action.op === 'merge' ? 'merge' : action.op;
  return {
    eventId: action.eventId, remoteId: action.remoteId, side: action.side, operation: op, rule: action.rule, reason: action.reason,
    status, startedAt: ctx.now(), finishedAt: ctx.now(), ...extra,
  };
}

function statusesOf(ctx: ApplyContext): StatusChanges {
  return new StatusChanges(ctx);
}

function writesCalendar(action: Action): action is Action & { eventId: string } {
  return action.eventId !== null
    && ((action.side === 'calendar' && (action.op === 'update' || action.op === 'delete')) || (action.op === 'merge' && action.writeCalendar));
}

/**
 * The calendar side of a slice in one transaction: creates, updates and deletes of
 * calendar events, status-only skips, the calendar half of merges, conflicts and
 * quarantines. A merge with a remote write holds the remote's content as its base
 * until applyRemoteWrites stores the merged one. Deletes are applied after the writes.
 *
 * Statuses and audit rows go first: they need no calendar version, and reserving
 * versions locks the calendar's row until commit (so versions commit in order, as sync
 * tokens need), which makes two slices' transactions wait for each other from there on.
 * New events get their ids here, so their statuses can name them before they exist.
 */
export async function applyCalendarSide(ctx: ApplyContext, actions: Action[], versions: Map<string, number>, readable: string[] = []): Promise<void> {
  if (actions.length === 0 && readable.length === 0) return;
  const written = await withTransaction(ctx.db, async (tx) => {
    await ctx.lease.fence(tx);
    const write: WriteContext = { tenantId: ctx.tenantId, calendarId: ctx.calendarId, actor: `binding:${ctx.bindingId}`, passId: ctx.passId };
    const locked = actions.filter(writesCalendar).map((a) => a.eventId);
    for (const [eventId, version] of await lockSeriesVersions(tx, ctx.tenantId, ctx.calendarId, locked)) {
      if (version !== (versions.get(eventId) ?? 0)) throw new StaleSlice(eventId);
    }

    const seriesWrites: Array<{ action: Action; write: SeriesWrite }> = [];
    const newIds = new Map<Action, string>();
    for (const action of actions) {
      if (action.side === 'calendar' && action.op === 'create') {
        const eventId = randomUUID();
        newIds.set(action, eventId);
        seriesWrites.push({ action, write: { eventId, series: action.series } });
      } else if (action.side === 'calendar' && action.op === 'update') {
        seriesWrites.push({ action, write: { eventId: action.eventId, series: action.series } });
      } else if (action.op === 'merge' && action.writeCalendar) {
        seriesWrites.push({ action, write: { eventId: action.eventId, series: action.result.merged } });
      }
    }
    const deletes = actions.filter((a): a is Action & { op: 'delete'; eventId: string } => a.side === 'calendar' && a.op === 'delete' && a.eventId !== null);

    // Counted into the pass's stats once committed: a stale slice is planned again.
    const counts = { calendarWrites: 0, skipped: 0, conflicts: 0, quarantined: 0 };
    const statuses = statusesOf(ctx);
    const operations: OperationRecord[] = [];
    const refused: QuarantineRecord[] = [];
    for (const action of actions) {
      switch (action.op) {
        case 'create':
        case 'update':
        case 'delete': {
          if (action.side !== 'calendar') break;
          const eventId = newIds.get(action) ?? action.eventId!;
          if (action.op === 'delete') statuses.delete(eventId);
          else statuses.store(eventId, action.remoteId!, action.etag, action.next);
          counts.calendarWrites++;
          // The content written is in event_history under this pass; the row names the event.
          operations.push(operation(ctx, action, 'applied', action.op === 'delete' ? {} : { eventId }));
          break;
        }
        case 'merge': {
          if (action.writeCalendar) counts.calendarWrites++;
          // With a remote write still to make, the remote's content is the base until it
          // lands (asked fields at the base's value), under the etag stored before: the
          // listed version holds no asked field's base, so a status naming it would pass
          // it off as an echo, and a pass that died here (or a write that failed) would
          // then push the calendar's side of an asked field over the remote's. A push
          // against the older etag is refused and the item read again.
          if (action.writeRemote) statuses.rebase(action.eventId, action.remoteId, action.remoteBase);
          else statuses.store(action.eventId, action.remoteId, action.etag, action.next);
          operations.push(operation(ctx, action, 'applied', { after: { decisions: action.result.decisions } }));
          break;
        }
        case 'skip': {
          counts.skipped++;
          if (action.eventId && action.next) statuses.store(action.eventId, action.remoteId!, action.etag, action.next);
          else if (action.eventId && (action.etag || action.seenAt)) statuses.seen(action.eventId, action.etag, action.seenAt ?? null);
          operations.push(operation(ctx, action, 'skipped'));
          break;
        }
        case 'conflict': {
          counts.conflicts++;
          ctx.openConflicts = true;
          for (const conflict of action.conflicts) {
            await recordConflict(tx, {
              tenantId: ctx.tenantId, bindingId: ctx.bindingId, eventId: action.eventId, passId: ctx.passId,
              fields: [conflict.field], base: conflict.base, ours: conflict.calendar, theirs: conflict.remote,
            });
          }
          if (action.quarantine) statuses.quarantine(action.eventId, { reason: action.reason });
          if (action.etag || action.seenAt) statuses.seen(action.eventId, action.etag ?? null, action.seenAt ?? null);
          operations.push(operation(ctx, action, 'applied'));
          break;
        }
        case 'quarantine': {
          counts.quarantined++;
          // A remote item the planner refused is set aside by its remote id, and its next
          // version is planned again; a malformed calendar event holds its status.
          if (action.side === 'remote' && action.remoteId) refused.push({ remoteId: action.remoteId, etag: null, calsyncId: null, reason: action.reason, raw: null });
          else if (action.eventId) statuses.quarantine(action.eventId, action.error);
          operations.push(operation(ctx, action, 'applied', { error: action.error }));
          break;
        }
      }
    }
    if (ctx.openConflicts) await settleConflicts(tx, ctx, settledConflicts(actions));
    // Items this slice took in are no longer quarantined; those it refused are.
    const refusedIds = new Set(refused.map((r) => r.remoteId));
    await clearQuarantined(tx, ctx, readable.filter((id) => !refusedIds.has(id)));
    await recordQuarantined(tx, ctx, refused);
    await statuses.flush(tx);
    await recordOperations(tx, ctx, ctx.passId, operations);

    const results = await writeSeriesBatch(tx, write, seriesWrites.map((w) => w.write)).catch((error: { code?: string }) => {
      // Another binding created the same iCalUID meanwhile: plan again to link to it.
      throw error.code === uniqueViolation ? new StaleSlice(null) : error;
    });
    const deleted = await deleteSeriesBatch(tx, write, deletes.map((a) => a.eventId));
    const versionsWritten = new Map<string, number>();
    let calendarWasChanged = deleted.some((n) => n > 0);
    for (const result of results) {
      if (result.version !== null) versionsWritten.set(result.eventId, result.version);
      calendarWasChanged ||= result.changed > 0;
    }
    if (calendarWasChanged) await calendarChanged(tx, ctx.tenantId, ctx.calendarId, ctx.debounceMs, ctx.bindingId);
    return { versionsWritten, counts };
  });
  for (const [key, n] of Object.entries(written.counts)) ctx.stats[key as keyof typeof written.counts] += n;
  for (const [eventId, version] of written.versionsWritten) ctx.seenAt.set(eventId, Math.max(ctx.seenAt.get(eventId) ?? 0, version));
}

/**
 * Per event, the fields still asked about after its actions: a merge asks about its
 * conflicts' fields; an item whose sides agree again (an echo, the same change on both,
 * a one-sided change, a delete, a delete on both) asks about none. Other actions say nothing of it.
 */
function settledConflicts(actions: Action[]): Array<{ eventId: string; asked: string[] }> {
  const settled: Array<{ eventId: string; asked: string[] }> = [];
  for (const action of actions) {
    if (!action.eventId) continue;
    if (action.op === 'merge') settled.push({ eventId: action.eventId, asked: action.result.conflicts.map((c) => c.field) });
    // An edit against a delete is asked about now: the fields of the item are moot.
    else if (action.op === 'conflict' && action.quarantine) settled.push({ eventId: action.eventId, asked: ['(deleted)'] });
    else if (action.op === 'update' || action.op === 'delete' || (action.op === 'skip' && (action.rule === 'echo' || action.rule === 'both-same' || action.rule === 'delete/both'))) {
      settled.push({ eventId: action.eventId, asked: [] });
    }
  }
  return settled;
}

type RemoteCall = Exclude<Action, { op: 'skip' | 'conflict' | 'quarantine' }>;

export function isRemoteCall(action: Action): action is RemoteCall {
  return isRemoteWrite(action) || (action.op === 'merge' && action.writeRemote);
}

type Outcome = { action: RemoteCall; written: WriteResult | null } | { action: RemoteCall; error: ConnectorError };

async function call(ctx: ApplyContext, action: RemoteCall): Promise<WriteResult | null> {
  const { connector, remoteCalendarId: cal } = ctx;
  switch (action.op) {
    case 'create':
      return connector.create(cal, action.series, { calsyncId: (action as Extract<RemoteCall, { side: 'remote'; op: 'create' }>).calsyncId });
    case 'update':
      return connector.update(cal, action.remoteId!, action.series, { ifMatch: (action as Extract<RemoteCall, { side: 'remote'; op: 'update' }>).ifMatch });
    case 'delete': {
      const remote = action as Extract<RemoteCall, { side: 'remote'; op: 'delete' }>;
      await connector.delete(cal, remote.remoteId, { ifMatch: remote.ifMatch });
      return null;
    }
    case 'merge':
      return connector.update(cal, action.remoteId, action.remoteSeries, { ifMatch: action.ifMatch });
  }
}

/**
 * Runs `work` on every item with at most `limit` running at once; stops starting new
 * ones once `stop()` is true. (A dozen lines do not warrant a dependency.)
 */
async function eachConcurrently<T>(items: T[], limit: number, stop: () => boolean, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !stop()) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/** The last-modified instant of the remote version a write was planned against. */
function seenUpdatedAt(action: RemoteCall): string | null {
  if (action.op === 'merge') return action.remoteBase?.remoteUpdatedAt ?? null;
  return action.next && action.next !== 'drop' ? action.next.remoteUpdatedAt : null;
}

function withWrittenAt(next: Action['next'], updatedAt: string | null): Action['next'] {
  if (!next || next === 'drop' || updatedAt === null) return next;
  return { ...next, remoteUpdatedAt: newest(updatedAt, next.remoteUpdatedAt) };
}

/**
 * The remote writes of a slice (and the remote halves of merges), a few at a time.
 * Creates are recorded as pending before any call, so a lost answer is adopted rather
 * than duplicated. Errors that end the pass (rate limited, auth revoked, not a connector
 * error) stop new calls; the answered ones are stored, then the error is thrown. Other
 * failures are recorded and counted.
 */
export async function applyRemoteWrites(ctx: ApplyContext, actions: Action[]): Promise<void> {
  const calls = actions.filter(isRemoteCall);
  if (calls.length === 0) return;
  // Before any call, in one fenced transaction: creates are recorded as pending (a lost
  // answer is then adopted rather than duplicated), and updates record what they send
  // (a lost answer is then recognised when the item comes back holding it).
  const pending = calls.flatMap((action) =>
    action.op === 'create' && action.side === 'remote' && action.next && action.next !== 'drop'
      ? [{ eventId: action.eventId, remoteId: `pending:${action.eventId}`, etag: null, base: action.next.base, contentHash: action.next.contentHash, pending: true }]
      : []);
  const sent = calls.flatMap((action) =>
    action.op !== 'create' && action.op !== 'delete' && action.eventId && action.next && action.next !== 'drop'
      ? [{ eventId: action.eventId, sent: { base: action.next.base, contentHash: action.next.contentHash } }]
      : []);
  await withTransaction(ctx.db, async (tx) => {
    await ctx.lease.fence(tx);
    await upsertStatuses(tx, ctx, pending);
    await recordSent(tx, ctx, sent);
  });
  const outcomes: Outcome[] = [];
  let fatal: { error: unknown } | null = null;
  // A pass that lost its lease starts no further call: another pass runs the binding.
  await eachConcurrently(calls, ctx.writeConcurrency, () => fatal !== null || !ctx.lease.held, async (action) => {
    try {
      outcomes.push({ action, written: await call(ctx, action) });
    } catch (error) {
      if (!isConnectorError(error) || error.kind === 'rate-limited' || error.kind === 'auth-revoked') fatal ??= { error };
      else outcomes.push({ action, error });
    }
  });
  await withTransaction(ctx.db, async (tx) => {
    await ctx.lease.fence(tx);
    const statuses = statusesOf(ctx);
    const operations: OperationRecord[] = [];
    for (const outcome of outcomes) {
      const { action } = outcome;
      // Sent, answered or not: a create whose answer was lost may have landed all the same.
      if (action.op === 'create' && action.side === 'remote') ctx.remoteCreates++;
      if ('written' in outcome) {
        if (action.op === 'delete') {
          if (action.eventId) statuses.delete(action.eventId);
        } else {
          // The written version's own modification time, where the provider answers with one.
          const next = withWrittenAt(action.next, outcome.written!.updatedAt ?? null);
          if (action.op === 'create' && action.side === 'remote' && next && next !== 'drop' && action.rule === 'create/retry') {
            // A retried create may have met the item an earlier attempt made, which
            // providers answer without writing (CalDAV's 412, Graph's and the memory
            // connector's lookup of the stamp): since then another client may have edited
            // it, or the calendar the event. No etag is taken as agreed, and the item is
            // read again this pass and planned with what it holds, as a refused write is;
            // counted as failed until then.
            statuses.confirmCreate(action.eventId, outcome.written!.remoteId, null, next);
            ctx.refused.add(outcome.written!.remoteId);
            ctx.stats.failed++;
          } else if (action.op === 'create' && action.side === 'remote' && next && next !== 'drop') statuses.confirmCreate(action.eventId, outcome.written!.remoteId, outcome.written!.etag, next);
          else statuses.store(action.eventId!, outcome.written!.remoteId, outcome.written!.etag, next);
        }
        ctx.stats.remoteWrites++;
        operations.push(operation(ctx, action, 'applied', outcome.written ? { remoteId: outcome.written.remoteId } : {}));
        continue;
      }
      const { error } = outcome;
      if (error.kind === 'permanent' && action.eventId) {
        // Retrying cannot help: the item is set aside with its error, the rest goes on.
        ctx.stats.quarantined++;
        statuses.quarantine(action.eventId, { kind: error.kind, message: error.message });
      } else {
        ctx.stats.failed++;
        // The version the write was sent against is the newest seen; keeping its etag and
        // last-modified instant lets the next pass retry a calendar change without a 412
        // that its cursor would never explain, and recognise a replay of an older version
        // as stale. Not for a write a listed item asked for: that item is listed again, and
        // an etag kept as seen would pass it off as agreed.
        const ifMatch = 'ifMatch' in action ? action.ifMatch : null;
        // Not a merge's: its status holds the older base, which the version sent against
        // does not (see applyCalendarSide).
        if (ctx.pushing && action.eventId && ifMatch && error.kind !== 'precondition-failed') statuses.seen(action.eventId, action.op === 'merge' ? null : ifMatch, seenUpdatedAt(action));
        // A refusal means the write did not land: nothing sent is outstanding.
        if (action.eventId && (error.kind === 'precondition-failed' || error.kind === 'not-found')) statuses.unsent(action.eventId);
        if (error.kind === 'precondition-failed' && action.remoteId && !action.remoteId.startsWith('pending:')) ctx.refused.add(action.remoteId);
      }
      operations.push(operation(ctx, action, 'failed', { error: { kind: error.kind, message: error.message } }));
    }
    await statuses.flush(tx);
    await recordOperations(tx, ctx, ctx.passId, operations);
  });
  if (fatal) throw (fatal as { error: unknown }).error;
}
