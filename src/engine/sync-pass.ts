// One sync pass of one binding (ARCHITECTURE.md "A sync pass"):
//   1. pull the remote's changes since the cursor, page by page; each page is matched,
//      planned and its calendar side applied before the next is read, so a pass holds
//      one page in memory (a full listing also keeps the set of remote ids it saw);
//   2. after a full listing, statuses whose items were not listed are remote deletions;
//   3. calendar changes since the binding's calendar version are planned and pushed;
//   4. deletions are held to the end and checked against the deletion budget;
//   5. the cursor and calendar version are stored last, so a crash replays, never loses
//      (the cursor also right after the pull when everything pulled was applied, so a
//      crash while pushing does not leave the items it created to a complete listing).
// At most one pass per binding runs at a time (a lease on the binding row); no
// transaction is held open across provider calls.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { isConnectorError, unreadableItem, type ChangePage, type Connector, type RemoteItem, type UnreadableItem } from '../connectors/connector.ts';
import type { Providers } from '../connectors/provider.ts';
import { isOlder } from '../core/instants.ts';
import { plan, type Action, type Direction, type PlanInput } from '../core/plan.ts';
import { parsePolicy, type MergePolicy } from '../core/policy.ts';
import type { Projection } from '../core/projection.ts';
import { defaultSafety, deletionBudget, resolveWindow, wipeBrake, type SafetySettings, type SafetyStop, type SyncWindow } from '../core/safety.ts';
import { getBinding, passState, saveCalendarVersion, saveCursor, type Binding, type BindingRef } from '../store/bindings.ts';
import { CalsyncError, type ErrorCode } from '../errors.ts';
import { Lease, LeaseLost } from './lease.ts';
import { asCalsyncError } from './provider-errors.ts';
import { withTransaction, type Db } from '../store/db.ts';
import { calendarVersion, changedSince, countLiveSeries } from '../store/events.ts';
import { finishPass, recordOperations, recordPassProgress, startPass, type PassTrigger } from '../store/passes.ts';
import { setAccountState } from '../store/accounts.ts';
import { clearQuarantined, quarantinedIds, quarantinedSince, recordQuarantined, retriesRequested } from '../store/quarantine.ts';
import { agreedEtags, countStatuses, remoteIdsPage } from '../store/sync-status.ts';
import { applyCalendarSide, applyRemoteWrites, emptyStats, isDelete, isRemoteWrite, StaleSlice, type ApplyContext, type PassStats } from './apply.ts';
import { loadSlice } from './slice.ts';

export interface EngineDeps {
  db: Db;
  connectorFor(binding: Binding): Promise<Connector>;
  logger: Logger;
  now(): Date;
  /** Identifies this process in binding leases. */
  workerName: string;
  /** Debounce of passes queued on other bindings after a calendar change. */
  debounceMs: number;
  /** How long a lease lasts (default 60 s); a pass renews it every quarter of that. */
  leaseSeconds?: number;
  /** Items and events planned together (default 500: fewer, larger statements; a slice of 500 series holds a few MB). */
  sliceSize?: number;
  /** Remote writes a pass keeps in flight at once (default 4). */
  writeConcurrency?: number;
  /** Slices a pass applies at once (default 2: one planned while the other writes; 1 makes a pass's steps one sequence). */
  slicesInFlight?: number;
  /** A monotonic clock in milliseconds for the lease (default performance.now). */
  monotonicMs?: () => number;
  /** Sees every slice's plan with the input it was made from (tests audit merges with it). */
  observePlan?: (input: PlanInput, actions: Action[]) => void;
  /** The providers bindings' subscriptions are made through (default: the registered ones). */
  providers?: Providers;
}

export interface PassRequest {
  tenantId: string;
  bindingId: string;
  trigger: PassTrigger;
  /** An operator confirmed a wipe or deletions beyond the budget for this pass. */
  confirmWipe?: boolean;
  confirmDeletions?: boolean;
  onProgress?: (progress: PassProgress) => void;
}

export interface PassProgress {
  phase: 'pull' | 'absent' | 'calendar' | 'deletions';
  pulled: number;
  stats: PassStats;
}

/** `lost`: another pass took the binding's lease over (this one stalled past it) and runs it now. */
export type PassOutcome = 'ok' | 'partial' | 'stopped' | 'failed' | 'busy' | 'paused' | 'lost';

export interface PassResult {
  outcome: PassOutcome;
  passId: string | null;
  stats: PassStats;
  stop: SafetyStop | null;
  /** Set when the provider asked us to slow down: run the next pass after this long. */
  retryAfterSeconds: number | null;
  /** Why the pass failed: the connector's kind, the message, and the calsync error code a person acts on. */
  error: { kind: string; message: string; code?: ErrorCode } | null;
}

function projectionOf(binding: Binding): Projection {
  const mode = (binding.projection as { mode?: string } | null)?.mode;
  return mode === 'busy-only' ? 'busy-only' : 'full';
}

// Enough for bursts of concurrent passes on one calendar; past it the pass fails and its
// job is retried with backoff.
const maxSliceAttempts = 5;
/** The window of a binding to a windowed provider that names none: a year back, two ahead. */
const defaultWindow = { pastDays: 365, futureDays: 730 };
/** Items refused by If-Match read again per pass (each is a request or two); more wait for the next pass. */
const maxRereads = 100;

class StopPass extends Error {
  constructor(readonly stop: SafetyStop) {
    super(stop.message);
  }
}

export async function syncBinding(deps: EngineDeps, request: PassRequest): Promise<PassResult> {
  const { db } = deps;
  const stats = emptyStats();
  const result = (outcome: PassOutcome, extra: Partial<PassResult> = {}): PassResult => ({
    outcome, passId: null, stats, stop: null, retryAfterSeconds: null, error: null, ...extra,
  });
  const binding = await getBinding(db, request.tenantId, request.bindingId);
  const ref: BindingRef = { tenantId: binding.tenantId, bindingId: binding.id };
  if (binding.state !== 'active') return result('paused', { error: { kind: 'paused', message: binding.pausedReason ?? 'binding is paused' } });
  // Unique per pass, so two jobs of one binding in the same process exclude each other too.
  const lease = await Lease.acquire(db, ref, `${deps.workerName}:${randomUUID()}`, deps.leaseSeconds ?? defaultLeaseSeconds, deps.monotonicMs);
  if (!lease) return result('busy');
  const passId = await startPass(db, ref, request.trigger);
  try {
    const connector = await deps.connectorFor(binding);
    const pass = new Pass(deps, binding, connector, passId, stats, request, lease);
    const outcome = await pass.run();
    await finishPass(db, ref, passId, outcome.outcome, { ...stats }, outcome.stop ? { code: outcome.stop.kind, message: outcome.stop.message } : null,
      outcome.stop ? { ...outcome.stop, passId, at: deps.now().toISOString() } : null);
    return { ...result(outcome.outcome, { passId, stop: outcome.stop }) };
  } catch (error) {
    if (error instanceof LeaseLost) {
      // Another pass runs the binding now; it records its own outcome on the binding.
      await finishPass(db, ref, passId, 'failed', { ...stats }, { code: 'lease-lost', message: error.message });
      return result('lost', { passId, error: { kind: 'lease-lost', message: error.message } });
    }
    const kind = isConnectorError(error) ? error.kind : 'internal';
    const message = (error as Error).message;
    await finishPass(db, ref, passId, 'failed', { ...stats }, { code: kind, message });
    if (isConnectorError(error, 'auth-revoked')) {
      // The grant or password no longer works: pause this account's bindings, not retry forever.
      await setAccountState(db, binding.tenantId, binding.accountId, 'revoked', message);
      return result('failed', { passId, error: { kind, message, code: codeOf(error) } });
    }
    if (isConnectorError(error, 'rate-limited')) {
      return result('failed', { passId, retryAfterSeconds: error.retryAfterSeconds ?? 60, error: { kind, message, code: codeOf(error) } });
    }
    if (isConnectorError(error, 'permanent')) return result('failed', { passId, error: { kind, message, code: codeOf(error) } });
    throw error;
  } finally {
    await lease.release();
  }
}

function codeOf(error: unknown): ErrorCode {
  const known = asCalsyncError(error);
  return known instanceof CalsyncError ? known.code : 'INTERNAL';
}

/**
 * A minute: a worker killed mid-pass holds its binding for at most this long. A live
 * pass renews it every 15 s, so only a process stalled for a minute loses it, and its
 * fenced writes then refuse to commit.
 */
export const defaultLeaseSeconds = 60;

/** How often a running pass writes its counts to its row. */
const progressEveryMs = 2000;

class Pass {
  private readonly ctx: ApplyContext;
  private readonly policy: MergePolicy;
  private readonly safety: SafetySettings;
  private readonly direction: Direction;
  private readonly projection: Projection;
  /** The binding's sync window for this pass: outside it items are absent, not deleted or new. */
  private readonly window: SyncWindow | null;
  private readonly heldDeletes: Array<{ action: Action; versions: Map<string, number> }> = [];
  /** The cursor this pass stored after its pull, if it did (undefined: none yet). */
  private cursorSaved: string | null | undefined = undefined;
  private pulled = 0;
  private replayPull = false;
  /** The binding has quarantined items: items read fine are cleared from them. */
  private hadQuarantine = false;
  /** Slices being applied; see startSlice. */
  private running: Array<{ keys: Set<string>; done: Promise<void> }> = [];
  private sliceFailure: { error: unknown } | null = null;
  private readonly clock: () => number;
  private progressSavedAt: number;

  constructor(
    private readonly deps: EngineDeps,
    private readonly binding: Binding,
    private readonly connector: Connector,
    passId: string,
    stats: PassStats,
    private readonly request: PassRequest,
    private readonly lease: Lease,
  ) {
    this.ctx = {
      db: deps.db, tenantId: binding.tenantId, calendarId: binding.calendarId, bindingId: binding.id, passId,
      remoteCalendarId: binding.remoteCalendarId, connector, debounceMs: deps.debounceMs, stats, now: deps.now, seenAt: new Map(),
      writeConcurrency: deps.writeConcurrency ?? 4, refused: new Set(), lease, openConflicts: false, remoteCreates: 0, pushing: false,
    };
    this.policy = parsePolicy(binding.conflictPolicy);
    this.clock = deps.monotonicMs ?? (() => performance.now());
    this.progressSavedAt = this.clock();
    // Slices are planned with the brakes released: the wipe brake and the deletion
    // budget need whole-calendar counts, so this class applies them itself.
    this.safety = { ...defaultSafety, confirmWipe: true, confirmDeletions: true };
    this.direction = binding.direction;
    this.projection = projectionOf(binding);
    // A connector whose listings cover only a window (Graph's calendarView delta) gets one
    // even when the binding names none: outside it, listings say nothing.
    this.window = resolveWindow(binding.syncWindow ?? (connector.capabilities.windowed ? defaultWindow : null), deps.now().toISOString().slice(0, 10));
  }

  async run(): Promise<{ outcome: 'ok' | 'partial' | 'stopped'; stop: SafetyStop | null }> {
    const { db } = this.deps;
    const { tenantId, calendarId } = this.binding;
    // The brakes need the count of items both sides agreed on (creates still pending are
    // not: a remote that never got them has not lost them) and the calendar's series
    // count, which cost O(calendar) to count: a pass with nothing to brake for only asks
    // whether any exist. The deletion budget's counts are taken once deletions are held.
    const { bound, anyLive, quarantine, openConflicts } = await passState(db, this.ctx, calendarId);
    let counted: Promise<{ known: number; live: number }> | undefined;
    const counts = (): Promise<{ known: number; live: number }> =>
      counted ??= Promise.all([countStatuses(db, this.ctx), countLiveSeries(db, tenantId, calendarId)]).then(([known, live]) => ({ known, live }));
    try {
      // A calendar that had synced events and now has none does not wipe the remote.
      if (bound && !anyLive) {
        const calendarWipe = wipeBrake('calendar', (await counts()).known, 0, this.brakes());
        if (calendarWipe) throw new StopPass(calendarWipe);
      }
      this.hadQuarantine = quarantine;
      this.ctx.openConflicts = openConflicts;
      // Items an operator asked to read again: one at a time where the connector can
      // read one, else by listing everything once.
      const retries = this.hadQuarantine ? await retriesRequested(db, this.ctx, maxRereads) : [];
      // Where a change listing is the difference of two snapshots, a pass that did not
      // finish may have taken in items whose deletion no later listing will report (they
      // came after the stored cursor): the next pass compares a complete listing instead.
      // So after a partial pass: one whose listed item still owes a write keeps the cursor
      // from before the items it created.
      const unsure = this.binding.lastPassUnfinished && this.forgetsDeletionsSince(this.binding.cursor);
      const relist = (retries.length > 0 && !this.connector.read) || unsure;
      const known = async () => (await counts()).known;
      let cursor = await this.withSlices(() => this.pull(bound, known, relist ? null : this.binding.cursor));
      // Every pulled item is planned and applied: the cursor is stored before this pass
      // writes anything new to the remote, so a pass that dies while creating items leaves
      // a cursor the next listing reports their deletion against (a complete listing could
      // not tell a create that never happened from an item deleted since). Not while
      // something pulled is still owed: a failed or refused write, or held deletions.
      if (!this.replayPull && cursor !== this.binding.cursor && this.ctx.stats.failed === 0 && this.ctx.refused.size === 0 && this.heldDeletes.length === 0) {
        if (!(await saveCursor(db, this.ctx, cursor, this.lease.owner))) this.lease.markLost();
        this.cursorSaved = cursor;
      }
      if (retries.length > 0 && this.connector.read) await this.withSlices(() => this.readItems(retries, 'retry'));
      const failedBeforePush = this.ctx.stats.failed;
      this.ctx.pushing = true;
      const versionSeen = await this.withSlices(() => this.pushCalendarChanges());
      this.ctx.pushing = false;
      const failedInPush = this.ctx.stats.failed - failedBeforePush;
      await this.withSlices(() => this.readRefused());
      await this.deletions(counts);
      // The same for the items this pass created: the cursor it listed with was taken
      // before them, so their deletion before the next listing would not be reported. The
      // cursor stored is one taken after them (a listing that mostly returns their echoes).
      if (this.ctx.remoteCreates > 0 && cursor !== null && this.forgetsDeletionsSince(cursor) && !this.replayPull) {
        cursor = await this.withSlices(() => this.pull(bound, known, cursor));
        await this.withSlices(() => this.readRefused());
        await this.deletions(counts);
      }
      // Stored last: a crash before here replays the pull; a failed write of a calendar
      // change keeps the calendar version, so the change is planned again next pass. A
      // failed write a pulled item asked for (a delete the remote's edit lost to, a merge
      // sent back) keeps the cursor too: the calendar side of it may be older than the
      // stored version, and only the item listed again plans it again.
      const pulledOwed = this.ctx.stats.failed - failedInPush > 0;
      if (!this.replayPull && !pulledOwed && cursor !== this.binding.cursor && cursor !== this.cursorSaved && !(await saveCursor(db, this.ctx, cursor, this.lease.owner))) this.lease.markLost();
      if (this.ctx.stats.failed === 0 && versionSeen > this.binding.calendarVersion && !(await saveCalendarVersion(db, this.ctx, versionSeen, this.lease.owner))) this.lease.markLost();
      return { outcome: this.ctx.stats.failed > 0 ? 'partial' : 'ok', stop: null };
    } catch (error) {
      if (!(error instanceof StopPass)) throw error;
      await withTransaction(db, async (tx) => {
        await this.lease.fence(tx);
        await recordOperations(tx, this.ctx, this.ctx.passId, this.heldDeletes.map(({ action: a }) => ({
          eventId: a.eventId, remoteId: a.remoteId, side: a.side, operation: 'delete' as const, rule: a.rule,
          reason: `held: ${error.stop.message}`, status: 'skipped' as const, startedAt: this.deps.now(), finishedAt: null,
        })));
      });
      return { outcome: 'stopped', stop: error.stop };
    }
  }

  /**
   * The held deletions: checked against the wipe brake and the deletion budget, then
   * carried out; a delete refused by If-Match (the item changed since it was planned) is
   * read again and planned with what the provider holds now, and one that still stands
   * goes now, or the refusal would repeat on every pass (no listing shows that change again).
   */
  private async deletions(counts: () => Promise<{ known: number; live: number }>): Promise<void> {
    if (this.heldDeletes.length > 0) {
      const { known, live } = await counts();
      // Changes that delete every item the remote had are a wipe too (an ICS feed that
      // suddenly serves an empty calendar lists each of its events as deleted).
      const remoteDeletes = this.heldDeletes.filter(({ action }) => action.side === 'calendar').length;
      const wipe = wipeBrake('remote', known, Math.max(0, known - remoteDeletes), this.brakes());
      if (wipe) throw new StopPass(wipe);
      const budget = deletionBudget(this.heldDeletes.length, Math.max(known, live), this.brakes());
      if (budget) throw new StopPass(budget);
    }
    await this.progress('deletions');
    await this.applyDeletes();
    this.heldDeletes.length = 0;
    if (this.ctx.refused.size > 0) {
      await this.withSlices(() => this.readRefused());
      await this.applyDeletes();
      this.heldDeletes.length = 0;
    }
  }

  private brakes(): SafetySettings {
    // A confirmed wipe confirms the deletions it is made of.
    const confirmWipe = this.request.confirmWipe ?? false;
    return { ...defaultSafety, confirmWipe, confirmDeletions: confirmWipe || (this.request.confirmDeletions ?? false) };
  }

  /** Whether a listing since the cursor may miss an item made after it and deleted since. */
  private forgetsDeletionsSince(cursor: string | null): boolean {
    if (!this.connector.capabilities.snapshotDiffs) return false;
    return cursor === null || !(this.connector.keepsDeletionsSince?.(cursor) ?? false);
  }

  /** Reads every page of changes; returns the cursor to store at the end. */
  private async pull(bound: boolean, known: () => Promise<number>, from: string | null): Promise<string | null> {
    let cursor = from;
    let page: ChangePage;
    try {
      page = await this.connector.listChanges(this.binding.remoteCalendarId, cursor);
    } catch (error) {
      if (!isConnectorError(error, 'cursor-expired')) throw error;
      // The cursor expired: resync by comparing a complete listing, never by wiping.
      this.deps.logger.info({ bindingId: this.binding.id }, 'cursor expired; full resync');
      cursor = null;
      page = await this.connector.listChanges(this.binding.remoteCalendarId, null);
    }
    const complete = page.complete;
    // Only a listing of a binding with statuses or quarantined items can show deletions by leaving items out.
    const seen = complete && (bound || this.hadQuarantine) ? new Set<string>() : null;
    if (complete && page.nextPageToken === null && bound && !page.items.some((i) => !i.deleted) && !page.unreadable?.length) {
      // A side that had items and now lists none does not wipe its peers.
      const wipe = wipeBrake('remote', await known(), 0, this.brakes());
      if (wipe) throw new StopPass(wipe);
    }
    for (;;) {
      for (const item of page.items) seen?.add(item.remoteId);
      // Unreadable items are present (their calendar copies stay) and set aside.
      for (const item of page.unreadable ?? []) seen?.add(item.remoteId);
      if (page.unreadable?.length) await this.quarantine(page.unreadable);
      this.pulled += page.items.length;
      this.ctx.stats.pulled = this.pulled;
      for (let start = 0; start < page.items.length; start += this.sliceSize()) {
        await this.startSlice(await this.withoutEchoes(page.items.slice(start, start + this.sliceSize())), []);
      }
      await this.progress('pull');
      if (page.nextPageToken === null) break;
      this.throwSliceFailure();
      this.lease.check();
      page = await this.connector.listChanges(this.binding.remoteCalendarId, cursor, page.nextPageToken);
    }
    await this.drainSlices();
    if (seen) await this.absentItems(seen);
    return page.nextCursor;
  }

  /**
   * Items whose etag is the one stored with their status have not changed since both
   * sides last agreed (typically our own writes coming back): skipped before anything is
   * loaded or planned. Other items, even unchanged ones, go through the planner, which
   * compares content.
   */
  private async withoutEchoes(items: RemoteItem[]): Promise<RemoteItem[]> {
    const agreed = await agreedEtags(this.deps.db, this.ctx, items.map((i) => i.remoteId));
    // A version older than the unreadable one an item is quarantined with (a lagging
    // replica) is stale: it would be taken in and lift the quarantine of the newer one.
    const unreadableSince = this.hadQuarantine ? await quarantinedSince(this.deps.db, this.ctx, items.map((i) => i.remoteId)) : new Map<string, string>();
    const fresh = items.filter((item) => (item.deleted || agreed.get(item.remoteId) !== item.etag) && !isOlder(item.updatedAt, unreadableSince.get(item.remoteId)));
    this.ctx.stats.skipped += items.length - fresh.length;
    return fresh;
  }

  /** After a complete listing: bound items it did not show were deleted remotely. */
  private async absentItems(seen: Set<string>): Promise<void> {
    // Quarantined items no longer there are gone: nothing is left to set aside (they are few).
    if (this.hadQuarantine) {
      const gone = (await quarantinedIds(this.deps.db, this.ctx)).filter((id) => !seen.has(id));
      if (gone.length > 0) {
        await withTransaction(this.deps.db, async (tx) => {
          await this.lease.fence(tx);
          await clearQuarantined(tx, this.ctx, gone);
        });
      }
    }
    const absent: RemoteItem[] = [];
    for (let after: string | null = null; ;) {
      const ids = await remoteIdsPage(this.deps.db, this.ctx, after, 1000);
      if (ids.length === 0) break;
      after = ids.at(-1)!;
      for (const remoteId of ids) {
        if (!seen.has(remoteId) && !remoteId.startsWith('pending:')) absent.push({ remoteId, etag: null, deleted: true, series: null, calsyncId: null, updatedAt: null });
      }
    }
    for (let start = 0; start < absent.length; start += this.sliceSize()) {
      await this.planAndApply(absent.slice(start, start + this.sliceSize()), []);
    }
    await this.progress('absent');
  }

  /**
   * Items whose write this pass was refused by If-Match, read again where the connector
   * can read one item, and planned with what the provider holds now: the other client's
   * edit is merged in this pass rather than the next, and an item whose newer version no
   * listing shows (a lagging or inconsistent provider) still converges. Once per pass,
   * at most maxRereads items; a refusal whose re-read writes cleanly no longer counts as
   * a failure of the pass.
   */
  private async readRefused(): Promise<void> {
    const refused = [...this.ctx.refused].slice(0, maxRereads);
    this.ctx.refused.clear();
    if (refused.length === 0 || !this.connector.read) return;
    const failed = this.ctx.stats.failed;
    if (!(await this.readItems(refused, 'refused'))) return;
    if (this.ctx.stats.failed === failed) this.ctx.stats.failed = Math.max(0, failed - refused.length);
  }

  /**
   * Reads items one by one and plans them. An item that cannot be read is quarantined
   * (again); any other failure leaves the rest to the next pass (false).
   */
  private async readItems(remoteIds: string[], why: 'refused' | 'retry'): Promise<boolean> {
    const items: RemoteItem[] = [];
    const unreadable: UnreadableItem[] = [];
    for (const remoteId of remoteIds) {
      try {
        items.push(await this.connector.read!(this.binding.remoteCalendarId, remoteId));
      } catch (error) {
        if (!isConnectorError(error) || error.kind === 'rate-limited' || error.kind === 'auth-revoked') throw error;
        if (error.kind === 'permanent') {
          unreadable.push(unreadableItem(remoteId, error.message, null));
          continue;
        }
        this.deps.logger.info({ bindingId: this.binding.id, remoteId, why, error: error.message }, 'reading an item failed; the next pass retries');
        return false;
      }
    }
    await this.quarantine(unreadable);
    this.pulled += items.length;
    this.ctx.stats.pulled = this.pulled;
    await this.startSlice(items, []);
    await this.drainSlices();
    return true;
  }

  /** Sets unreadable items aside with their reason, in one fenced transaction. */
  private async quarantine(items: UnreadableItem[]): Promise<void> {
    if (items.length === 0) return;
    await withTransaction(this.deps.db, async (tx) => {
      await this.lease.fence(tx);
      await recordQuarantined(tx, this.ctx, items);
      await recordOperations(tx, this.ctx, this.ctx.passId, items.map((item) => ({
        eventId: null, remoteId: item.remoteId, side: 'remote' as const, operation: 'quarantine' as const, rule: 'unreadable',
        reason: item.reason, status: 'applied' as const, startedAt: this.deps.now(), finishedAt: this.deps.now(),
      })));
    });
    this.hadQuarantine = true;
    this.ctx.stats.quarantined += items.length;
  }

  /** Calendar changes after the binding's calendar version; returns the version reached. */
  private async pushCalendarChanges(): Promise<number> {
    const { db } = this.deps;
    const { tenantId, calendarId } = this.binding;
    let version = this.binding.calendarVersion;
    const target = await calendarVersion(db, tenantId, calendarId);
    while (version < target) {
      const changes = await changedSince(db, tenantId, calendarId, version, this.sliceSize());
      if (changes.upTo === version) break;
      version = changes.upTo;
      // Events this pass already planned are skipped unless changed since (by the app
      // or another binding's pass running at the same time).
      const fresh = changes.changes.filter((c) => c.version > (this.ctx.seenAt.get(c.eventId) ?? -1)).map((c) => c.eventId);
      if (fresh.length > 0) await this.startSlice([], fresh);
      await this.progress('calendar');
    }
    await this.drainSlices();
    return Math.max(version, target);
  }

  /**
   * Starts a slice with at most one other still being applied, so one slice's reads and
   * planning overlap the other's writes in Postgres (two cores: about a quarter faster on
   * memory connectors) and the next page's fetch overlaps both. A slice sharing a remote
   * id or event id with a running one waits for it: of two occurrences of an item the
   * later is applied last, as if one at a time. Two new items of one iCalUID in
   * concurrent slices meet at the unique index and the later slice is planned again.
   */
  private async startSlice(items: RemoteItem[], eventIds: string[]): Promise<void> {
    const keys = new Set([...items.map((i) => `r:${i.remoteId}`), ...eventIds.map((id) => `e:${id}`)]);
    for (const other of this.running) if ([...keys].some((k) => other.keys.has(k))) await other.done;
    while (this.running.length >= (this.deps.slicesInFlight ?? 2)) await Promise.race(this.running.map((r) => r.done));
    this.throwSliceFailure();
    const entry = { keys, done: Promise.resolve() };
    entry.done = this.planAndApply(items, eventIds).then(
      () => undefined,
      (error: unknown) => { this.sliceFailure ??= { error }; },
    ).finally(() => { this.running = this.running.filter((r) => r !== entry); });
    this.running.push(entry);
  }

  /** Runs a phase; when it fails, the slices it started finish before the error goes on. */
  private async withSlices<T>(phase: () => Promise<T>): Promise<T> {
    try {
      return await phase();
    } catch (error) {
      await Promise.allSettled(this.running.map((r) => r.done));
      throw error;
    }
  }

  private async drainSlices(): Promise<void> {
    await Promise.all(this.running.map((r) => r.done));
    this.throwSliceFailure();
  }

  private throwSliceFailure(): void {
    if (this.sliceFailure) throw this.sliceFailure.error;
  }

  private async planAndApply(items: RemoteItem[], eventIds: string[]): Promise<void> {
    // Passes of other bindings of this calendar may write the same events meanwhile; a
    // slice whose events changed before its calendar side committed is planned again.
    for (let attempt = 1; ; attempt++) {
      const slice = await loadSlice(this.deps.db, { tenantId: this.binding.tenantId, calendarId: this.binding.calendarId, bindingId: this.binding.id }, items, eventIds);
      const input: PlanInput = {
        binding: { direction: this.direction, projection: this.projection },
        policy: this.policy,
        safety: this.safety,
        statuses: slice.statuses,
        calendar: slice.calendar,
        remote: { items, complete: false, window: this.window },
      };
      const planned = plan(input);
      this.deps.observePlan?.(input, planned.actions);
      const now = planned.actions.filter((a) => !isDelete(a));
      try {
        await applyCalendarSide(this.ctx, now.filter((a) => !isRemoteWrite(a)), slice.versions, this.hadQuarantine ? items.map((i) => i.remoteId) : []);
      } catch (error) {
        if (!(error instanceof StaleSlice) || attempt >= maxSliceAttempts) throw error;
        this.deps.logger.debug({ bindingId: this.binding.id, attempt }, error.message);
        continue;
      }
      const seenAt = this.ctx.seenAt;
      for (const [eventId, version] of slice.versions) seenAt.set(eventId, Math.max(seenAt.get(eventId) ?? 0, version));
      for (const action of planned.actions) if (action.eventId && !seenAt.has(action.eventId)) seenAt.set(action.eventId, 0);
      this.heldDeletes.push(...planned.actions.filter(isDelete).map((action) => ({ action, versions: slice.versions })));
      await applyRemoteWrites(this.ctx, now);
      return;
    }
  }

  /**
   * The held deletions, after the budget allowed them, a slice at a time; in a slice
   * with a stale one (the event was edited after the remote deleted it) each goes alone,
   * and the stale ones wait for the next pass.
   */
  private async applyDeletes(): Promise<void> {
    const size = this.sliceSize();
    for (let start = 0; start < this.heldDeletes.length; start += size) {
      const held = this.heldDeletes.slice(start, start + size);
      const calendar = held.filter(({ action }) => !isRemoteWrite(action));
      const versions = new Map(calendar.flatMap(({ action, versions: v }) => (action.eventId ? [[action.eventId, v.get(action.eventId) ?? 0] as const] : [])));
      try {
        await applyCalendarSide(this.ctx, calendar.map(({ action }) => action), versions);
        await applyRemoteWrites(this.ctx, held.map(({ action }) => action));
      } catch (error) {
        if (!(error instanceof StaleSlice)) throw error;
        await this.applyDeletesOneByOne(held);
      }
    }
  }

  private async applyDeletesOneByOne(held: Array<{ action: Action; versions: Map<string, number> }>): Promise<void> {
    for (const { action, versions } of held) {
      try {
        await applyCalendarSide(this.ctx, isRemoteWrite(action) ? [] : [action], versions);
      } catch (error) {
        if (!(error instanceof StaleSlice)) throw error;
        // The event was edited after the remote deleted it: the pull is replayed next
        // pass, which plans edit-against-delete with both facts in view.
        this.ctx.stats.failed++;
        this.replayPull = true;
        continue;
      }
      await applyRemoteWrites(this.ctx, [action]);
    }
  }

  private sliceSize(): number {
    return this.deps.sliceSize ?? 500;
  }

  /**
   * Tells the caller, and every 2 s the pass's row, so the console can follow a long pass;
   * a pass shorter than that shows its counts when it finishes.
   */
  private async progress(phase: PassProgress['phase']): Promise<void> {
    this.request.onProgress?.({ phase, pulled: this.pulled, stats: { ...this.ctx.stats } });
    const now = this.clock();
    if (now - this.progressSavedAt < progressEveryMs) return;
    this.progressSavedAt = now;
    await recordPassProgress(this.deps.db, this.ctx, this.ctx.passId, { ...this.ctx.stats });
  }
}
