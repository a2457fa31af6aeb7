// Carries out a slice's planned actions. Calendar-side changes of a slice commit in one
// transaction with their sync statuses, audit rows and the passes they cause on the
// other bindings; each remote write is one provider call followed by a small
// transaction storing its status. A failed remote write leaves the status as it was, so
// the next pass retries from what it knows.
import { isConnectorError, type Connector } from '../connectors/connector.ts';
import type { Action } from '../core/plan.ts';
import { withTransaction, type Db, type Queryable } from '../store/db.ts';
import { deleteSeries, lockSeriesVersion, writeSeries, type WriteContext } from '../store/events.ts';
import { queuePassesForCalendar } from '../store/outbox.ts';
import { recordConflict, recordOperations, type OperationRecord } from '../store/passes.ts';
import { deleteStatus, quarantineStatus, setStatusEtag, upsertStatus } from '../store/sync-status.ts';

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

type CalendarWrite = Extract<Action, { side: 'calendar'; op: 'create' | 'update' | 'delete' }>;
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

async function storeNext(db: Queryable, ctx: ApplyContext, eventId: string, remoteId: string, etag: string | null, next: Action['next']): Promise<void> {
  if (next === 'drop') await deleteStatus(db, ctx.bindingId, eventId);
  else if (next) await upsertStatus(db, ctx.tenantId, ctx.bindingId, { eventId, remoteId, etag, base: next.base, contentHash: next.contentHash });
}

/**
 * The calendar side of a slice in one transaction: creates, updates and deletes of
 * calendar events, status-only skips, the calendar half of merges, conflicts and
 * quarantines. Merges with a remote write keep their old status until
 * applyRemoteSide stores the new one.
 */
export async function applyCalendarSide(ctx: ApplyContext, actions: Action[], versions: Map<string, number>): Promise<void> {
  if (actions.length === 0) return;
  await withTransaction(ctx.db, async (tx) => {
    const write: WriteContext = { tenantId: ctx.tenantId, calendarId: ctx.calendarId, actor: `binding:${ctx.bindingId}`, passId: ctx.passId };
    for (const action of actions) {
      const writesCalendar = (action.side === 'calendar' && (action.op === 'update' || action.op === 'delete')) || (action.op === 'merge' && action.writeCalendar);
      if (!writesCalendar || !action.eventId) continue;
      if ((await lockSeriesVersion(tx, ctx.tenantId, ctx.calendarId, action.eventId)) !== (versions.get(action.eventId) ?? 0)) throw new StaleSlice(action.eventId);
    }
    const operations: OperationRecord[] = [];
    const written = new Map<string, number>();
    let calendarChanged = false;
    for (const action of actions) {
      switch (action.op) {
        case 'create':
        case 'update':
        case 'delete': {
          const calendarAction = action as CalendarWrite;
          if (calendarAction.op === 'delete') {
            calendarChanged = (await deleteSeries(tx, write, calendarAction.eventId)) > 0 || calendarChanged;
            await deleteStatus(tx, ctx.bindingId, calendarAction.eventId);
          } else {
            const { eventId, changed, version } = await writeSeries(tx, write, calendarAction.eventId, calendarAction.series).catch((error: { code?: string }) => {
              // Another binding created the same iCalUID meanwhile: plan again to link to it.
              throw error.code === uniqueViolation ? new StaleSlice(null) : error;
            });
            if (version !== null) written.set(eventId, version);
            calendarChanged = changed > 0 || calendarChanged;
            await storeNext(tx, ctx, eventId, calendarAction.remoteId!, calendarAction.etag, calendarAction.next);
          }
          ctx.stats.calendarWrites++;
          operations.push(operation(ctx, action, 'applied', { after: calendarAction.op === 'delete' ? null : calendarAction.series }));
          break;
        }
        case 'merge': {
          if (action.writeCalendar) {
            const merged = await writeSeries(tx, write, action.eventId, action.result.merged);
            if (merged.version !== null) written.set(action.eventId, merged.version);
            calendarChanged = merged.changed > 0 || calendarChanged;
            ctx.stats.calendarWrites++;
          }
          // With a remote write still to make, the status moves only once it succeeds.
          if (!action.writeRemote) await storeNext(tx, ctx, action.eventId, action.remoteId, action.etag, action.next);
          operations.push(operation(ctx, action, 'applied', { after: { decisions: action.result.decisions } }));
          break;
        }
        case 'skip': {
          ctx.stats.skipped++;
          if (action.eventId && action.next) await storeNext(tx, ctx, action.eventId, action.remoteId!, action.etag, action.next);
          else if (action.eventId && action.etag) await setStatusEtag(tx, ctx.bindingId, action.eventId, action.etag);
          operations.push(operation(ctx, action, 'skipped'));
          break;
        }
        case 'conflict': {
          ctx.stats.conflicts++;
          for (const conflict of action.conflicts) {
            await recordConflict(tx, {
              tenantId: ctx.tenantId, bindingId: ctx.bindingId, eventId: action.eventId, passId: ctx.passId,
              fields: [conflict.field], base: conflict.base, ours: conflict.calendar, theirs: conflict.remote,
            });
          }
          if (action.quarantine) await quarantineStatus(tx, ctx.bindingId, action.eventId, { reason: action.reason });
          operations.push(operation(ctx, action, 'applied'));
          break;
        }
        case 'quarantine': {
          ctx.stats.quarantined++;
          if (action.eventId) await quarantineStatus(tx, ctx.bindingId, action.eventId, action.error);
          operations.push(operation(ctx, action, 'applied', { error: action.error }));
          break;
        }
      }
    }
    await recordOperations(tx, ctx.tenantId, ctx.bindingId, ctx.passId, operations);
    if (calendarChanged) await queuePassesForCalendar(tx, ctx.tenantId, ctx.calendarId, ctx.bindingId, ctx.debounceMs);
    return written;
  }).then((written) => {
    for (const [eventId, version] of written) ctx.seenAt.set(eventId, Math.max(ctx.seenAt.get(eventId) ?? 0, version));
  });
}

/**
 * One remote write (or the remote half of a merge). Throws only for errors that end
 * the pass (rate limited, auth revoked); other failures are recorded and counted.
 */
export async function applyRemoteSide(ctx: ApplyContext, action: Action): Promise<void> {
  const { connector, remoteCalendarId: cal } = ctx;
  try {
    switch (action.op) {
      case 'create': {
        if (action.side !== 'remote') return;
        // Recorded before the call, so a lost answer is adopted rather than duplicated.
        if (action.next && action.next !== 'drop') {
          await upsertStatus(ctx.db, ctx.tenantId, ctx.bindingId, {
            eventId: action.eventId, remoteId: `pending:${action.eventId}`, etag: null, base: action.next.base, contentHash: action.next.contentHash, pending: true,
          });
        }
        const written = await connector.create(cal, action.series, { calsyncId: action.calsyncId });
        await finishRemote(ctx, action, action.eventId, written.remoteId, written.etag);
        return;
      }
      case 'update': {
        if (action.side !== 'remote') return;
        const written = await connector.update(cal, action.remoteId, action.series, { ifMatch: action.ifMatch });
        await finishRemote(ctx, action, action.eventId, written.remoteId, written.etag);
        return;
      }
      case 'delete': {
        if (action.side !== 'remote') return;
        await connector.delete(cal, action.remoteId, { ifMatch: action.ifMatch });
        await withTransaction(ctx.db, async (tx) => {
          if (action.eventId) await deleteStatus(tx, ctx.bindingId, action.eventId);
          await recordOperations(tx, ctx.tenantId, ctx.bindingId, ctx.passId, [operation(ctx, action, 'applied')]);
        });
        ctx.stats.remoteWrites++;
        return;
      }
      case 'merge': {
        if (!action.writeRemote) return;
        const written = await connector.update(cal, action.remoteId, action.remoteSeries, { ifMatch: action.ifMatch });
        await finishRemote(ctx, action, action.eventId, written.remoteId, written.etag);
        return;
      }
      default:
        return;
    }
  } catch (error) {
    if (!isConnectorError(error) || error.kind === 'rate-limited' || error.kind === 'auth-revoked') throw error;
    if (error.kind === 'permanent' && action.eventId) {
      // Retrying cannot help: the item is set aside with its error, the rest goes on.
      ctx.stats.quarantined++;
      await quarantineStatus(ctx.db, ctx.bindingId, action.eventId, { kind: error.kind, message: error.message });
    } else {
      ctx.stats.failed++;
      // The etag the write was sent with is the newest seen; keeping it lets the next
      // pass retry without a 412 that its cursor would never explain.
      const ifMatch = 'ifMatch' in action ? action.ifMatch : null;
      if (action.eventId && ifMatch && error.kind !== 'precondition-failed') await setStatusEtag(ctx.db, ctx.bindingId, action.eventId, ifMatch);
    }
    await recordOperations(ctx.db, ctx.tenantId, ctx.bindingId, ctx.passId, [
      operation(ctx, action, 'failed', { error: { kind: error.kind, message: error.message } }),
    ]);
  }
}

async function finishRemote(ctx: ApplyContext, action: Action, eventId: string, remoteId: string, etag: string): Promise<void> {
  await withTransaction(ctx.db, async (tx) => {
    await storeNext(tx, ctx, eventId, remoteId, etag, action.next);
    await recordOperations(tx, ctx.tenantId, ctx.bindingId, ctx.passId, [operation(ctx, action, 'applied', { remoteId })]);
  });
  ctx.stats.remoteWrites++;
}
