// Busy mirrors at work: making a rule, refreshing its blocks, removing it. Blocks are
// ordinary events of the target calendar written through the event write path
// (src/store/event-writes.ts) with calendarChanged in the same transaction, so every
// binding of the target carries them to its provider, and deletes them there when the
// rule goes.
//
// A refresh runs under the rule's row lock (serialised with other refreshes and the
// removal of the rule), computes the block of every source series (src/core/busy-mirror.ts)
// and writes the blocks: the write path compares content hashes, so a block that already
// holds its content writes nothing, and a stable mirror's refresh changes nothing and
// queues nothing. Blocks are never sources, so rules A→B and B→A settle after one refresh
// each. Series that ended more than a day ago are left alone (their blocks stay as they
// are); everything from then on is mirrored, recurring series whole, as series.
import { mirrorBlock, mirrorBlockId } from '../core/busy-mirror.ts';
import { isCalsyncError } from '../errors.ts';
import {
  deleteMirrorRow, forgetBlocks, getMirror, insertMirror, liveCalendars, liveSources, mirrorBlocks, mirrorSources, recordBlocks,
  type BusyMirror, type MirrorInput,
} from '../store/busy-mirrors.ts';
import { withTransaction, type Db, type DbClient } from '../store/db.ts';
import { deleteSeriesBatch, writeSeriesBatch, type SeriesWrite, type WriteContext } from '../store/event-writes.ts';
import { getSeries } from '../store/events.ts';
import { calendarChanged, queueMirrorRefresh } from '../store/outbox.ts';

export interface MirrorDeps {
  db: Db;
  /** Debounce of the passes a change of blocks queues on the target's bindings. */
  debounceMs: number;
  now?: () => Date;
}

export interface RefreshOutcome {
  /** Blocks written (made or changed) and deleted. */
  written: number;
  deleted: number;
  /** Source series looked at. */
  sources: number;
}

const DAY = 86_400_000;
/** Series read and written together: the write path's batch size (src/store/event-writes.ts). */
const seriesPerBatch = 200;

function targetContext(rule: BusyMirror): WriteContext {
  return { tenantId: rule.tenantId, calendarId: rule.targetCalendarId, actor: `mirror:${rule.id}` };
}

/** Makes a rule and queues its first refresh in the same transaction. */
export async function createMirror(deps: Pick<MirrorDeps, 'db'>, tenantId: string, input: MirrorInput): Promise<BusyMirror> {
  return withTransaction(deps.db, async (tx) => {
    const made = await insertMirror(tx, tenantId, input);
    await queueMirrorRefresh(tx, tenantId, made.id);
    return made;
  });
}

/** Deletes the blocks of `sourceIds` (with their records); the block rows deleted. */
async function deleteBlocks(tx: DbClient, rule: BusyMirror, blocks: Map<string, string>, sourceIds: string[]): Promise<number> {
  if (sourceIds.length === 0) return 0;
  const deleted = await deleteSeriesBatch(tx, targetContext(rule), sourceIds.map((id) => blocks.get(id)!));
  await forgetBlocks(tx, rule.tenantId, rule.id, sourceIds);
  return deleted.reduce((n, d) => n + d, 0);
}

/**
 * Brings the rule's blocks in line with its source calendar. A rule that is gone (removed
 * while its refresh waited) refreshes nothing.
 */
export async function refreshMirror(deps: MirrorDeps, tenantId: string, mirrorId: string): Promise<RefreshOutcome | null> {
  return withTransaction(deps.db, async (tx) => {
    let rule: BusyMirror;
    try {
      rule = await getMirror(tx, tenantId, mirrorId, { forUpdate: true });
    } catch (error) {
      if (isCalsyncError(error, 'NOT_FOUND')) return null;
      throw error;
    }
    // A deleted calendar takes no writes and gives no busy time: the rule waits for its removal.
    const live = await liveCalendars(tx, rule);
    if (!live.source || !live.target) return { written: 0, deleted: 0, sources: 0 };
    const now = deps.now?.() ?? new Date();
    const blocks = await mirrorBlocks(tx, tenantId, rule.id);
    const sources = await mirrorSources(tx, rule, new Date(now.getTime() - DAY));
    const outcome: RefreshOutcome = { written: 0, deleted: 0, sources: sources.length };
    const freed: string[] = [];
    for (let start = 0; start < sources.length; start += seriesPerBatch) {
      const stored = await getSeries(tx, tenantId, rule.sourceCalendarId, sources.slice(start, start + seriesPerBatch));
      const writes: Array<SeriesWrite & { sourceEventId: string }> = [];
      for (const { eventId, series } of stored) {
        const block = mirrorBlock(series, eventId, rule);
        if (block === null) {
          if (blocks.has(eventId)) freed.push(eventId);
          continue;
        }
        writes.push({ eventId: mirrorBlockId(rule.id, eventId), series: block, sourceEventId: eventId });
      }
      const written = await writeSeriesBatch(tx, targetContext(rule), writes.map(({ eventId, series }) => ({ eventId, series })));
      outcome.written += written.filter((w) => w.changed > 0).length;
      await recordBlocks(tx, tenantId, rule.id, writes.filter((w) => !blocks.has(w.sourceEventId)).map((w) => ({ sourceEventId: w.sourceEventId, blockEventId: w.eventId! })));
    }
    // Blocks whose source went (deleted, or moved to another calendar) or now leaves its time free.
    const stillThere = await liveSources(tx, rule, [...blocks.keys()]);
    const gone = [...blocks.keys()].filter((id) => !stillThere.has(id));
    outcome.deleted = await deleteBlocks(tx, rule, blocks, [...gone, ...freed]);
    if (outcome.written > 0 || outcome.deleted > 0) await calendarChanged(tx, tenantId, rule.targetCalendarId, deps.debounceMs);
    return outcome;
  });
}

/**
 * Removes a rule: its blocks are deleted as events (so every binding of the target
 * deletes them at its provider), then the rule, in one transaction.
 */
export async function removeMirror(deps: MirrorDeps, tenantId: string, mirrorId: string): Promise<{ deleted: number }> {
  return withTransaction(deps.db, async (tx) => {
    const rule = await getMirror(tx, tenantId, mirrorId, { forUpdate: true });
    const blocks = await mirrorBlocks(tx, tenantId, rule.id);
    // A deleted target keeps its rows as they are; its blocks go with it.
    const deleted = (await liveCalendars(tx, rule)).target ? await deleteBlocks(tx, rule, blocks, [...blocks.keys()]) : 0;
    await deleteMirrorRow(tx, tenantId, rule.id);
    if (deleted > 0) await calendarChanged(tx, tenantId, rule.targetCalendarId, deps.debounceMs);
    return { deleted };
  });
}
