// Writes the app makes through the API: the canonical change, its version, history and
// change-log rows, and what it causes (a pass of every binding of the calendar, a
// notice to the calendar's watch channels and streams) commit in one transaction
// (transactional outbox), so a change is never written without being propagated.
import { withTransaction, type Db, type DbClient } from '../store/db.ts';
import { deleteSeriesBatch, writeSeriesBatch, type SeriesWrite, type SeriesWritten, type WriteContext } from '../store/event-writes.ts';
import { calendarChanged } from '../store/outbox.ts';

export interface AppWriteDeps {
  db: Db;
  /** Debounce of the passes a change queues on the calendar's bindings. */
  debounceMs: number;
}

export interface AppScope {
  tenantId: string;
  calendarId: string;
}

function context(scope: AppScope): WriteContext {
  return { tenantId: scope.tenantId, calendarId: scope.calendarId, actor: 'app' };
}

/**
 * Runs `work` in one transaction and, when it changed anything, queues what the change
 * causes in the same transaction. `work` returns the calendars it changed.
 */
export async function appTransaction<T>(deps: AppWriteDeps, work: (tx: DbClient) => Promise<{ result: T; changed: AppScope[] }>): Promise<T> {
  return withTransaction(deps.db, async (tx) => {
    const { result, changed } = await work(tx);
    const seen = new Set<string>();
    for (const scope of changed) {
      if (seen.has(scope.calendarId)) continue;
      seen.add(scope.calendarId);
      await calendarChanged(tx, scope.tenantId, scope.calendarId, deps.debounceMs);
    }
    return result;
  });
}

/** Writes a series inside an appTransaction; the scope is reported changed when a row changed. */
export async function writeAppSeries(tx: DbClient, scope: AppScope, write: SeriesWrite): Promise<SeriesWritten> {
  const [written] = await writeSeriesBatch(tx, context(scope), [write]);
  return written!;
}

/** Deletes a series inside an appTransaction; the rows it tombstoned. */
export async function deleteAppSeries(tx: DbClient, scope: AppScope, seriesId: string): Promise<number> {
  const [deleted] = await deleteSeriesBatch(tx, context(scope), [seriesId]);
  return deleted!;
}
