// The world of the sync-machine test (test/engine/sync-machine.db.test.ts): one calendar
// in a real database, two to four bindings to memory providers that misbehave as real
// ones do, and passes run by the real job handler (src/jobs/sync-binding.ts around
// src/engine), each of which can be interrupted at any await (interposer.ts).
import pino from 'pino';
import { MemoryConnector, seededRng } from '../../src/connectors/memory/index.ts';
import type { EventSeries } from '../../src/core/model.ts';
import type { Action, PlanInput } from '../../src/core/plan.ts';
import type { MergePolicy } from '../../src/core/policy.ts';
import { appTransaction, deleteAppSeries, writeAppSeries } from '../../src/engine/app-writes.ts';
import type { EngineDeps, PassResult } from '../../src/engine/sync-pass.ts';
import type { TaskDeps } from '../../src/jobs/registry.ts';
import { runSyncBinding, type SyncBindingPayload } from '../../src/jobs/sync-binding.ts';
import { createAccount } from '../../src/store/accounts.ts';
import { acquireLease, createBinding } from '../../src/store/bindings.ts';
import { createCalendar } from '../../src/store/calendars.ts';
import type { Db } from '../../src/store/db.ts';
import { getSeries, listSeriesPage } from '../../src/store/events.ts';
import { lockSeriesVersions } from '../../src/store/event-writes.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { createTenant } from '../../src/store/tenants.ts';
import { Interposer, ProcessDied, type Interruption } from './interposer.ts';
import type { BindingName, SideName } from './sync-model.ts';

export interface ModelBinding {
  name: BindingName;
  id: string;
  connector: MemoryConnector;
  busy: boolean;
  /** Ids derived from calsync ids: deletions carry the stamp (false: Graph-like, they do not). */
  derivedIds: boolean;
  /** Items made unreadable (remote id → the content a person later saves again). */
  corrupted: Map<string, EventSeries>;
}

export interface ModelNoise {
  duplicates: boolean;
  reorder: boolean;
  stale: boolean;
  /** Per binding: whether ids are derived from calsync ids (deletions carry the stamp). */
  derivedIds: boolean[];
  /** Per binding: whether change listings are snapshot differences (Xandikos). */
  snapshotDiffs: boolean[];
  seed: number;
}

/** One pass as the model saw it. */
export interface PassRecord {
  binding: BindingName;
  outcome: PassResult['outcome'] | 'died';
  /** The pass carried everything out: no failed write, no interruption, no error. */
  clean: boolean;
  wrote: number;
  interruption: Interruption | null;
  fired: string | null;
  /** The plans the pass made, with their inputs, for the merge audit. */
  plans: Array<{ input: PlanInput; actions: Action[] }>;
  writesAfterTakeover: number;
  commitsAfterTakeover: number;
}

// A lease longer than any run, so no heartbeat fires at a moment the interruption points
// would count (a pass's statements and calls are then one deterministic sequence).
const leaseSeconds = 3600;

export class ModelWorld {
  readonly bindings: ModelBinding[] = [];
  readonly passes: PassRecord[] = [];
  /** An operator's API key of the world's tenant, made when first needed. */
  apiKey: string | undefined;
  /** A monotonic clock the lease reads; a stall moves it past the lease. */
  private stalledMs = 0;
  private lastInstant = 0;

  private constructor(readonly db: Db, readonly tenantId: string, readonly calendarId: string) {}

  static async create(db: Db, twoWay: number, policy: MergePolicy, noise: ModelNoise): Promise<ModelWorld> {
    const tenantId = (await createTenant(db, 'model')).id;
    const calendarId = (await createCalendar(db, tenantId, { summary: 'model', timeZone: 'Europe/Berlin' })).id;
    const secrets = new Secrets(parseSecretKey(generateSecretKeyText()));
    const account = await createAccount(db, secrets, tenantId, { provider: 'caldav' });
    const world = new ModelWorld(db, tenantId, calendarId);
    for (let i = 0; i <= twoWay; i++) {
      const busy = i === twoWay;
      const name = busy ? 'busy' : `b${i + 1}`;
      const connector = new MemoryConnector({
        rng: seededRng(noise.seed + i), clock: world.instant, pageSize: 3, derivedIds: noise.derivedIds[i] ?? true, snapshotDiffs: noise.snapshotDiffs[i] ?? false,
        faults: { duplicateDelivery: noise.duplicates ? 0.3 : 0, reorder: noise.reorder, staleReplay: noise.stale ? 0.3 : 0 },
      });
      connector.addCalendar(name);
      const binding = await createBinding(db, tenantId, {
        calendarId, accountId: account.id, remoteCalendarId: name,
        direction: busy ? 'export' : 'two_way', projection: { mode: busy ? 'busy-only' : 'full' }, conflictPolicy: policy,
      });
      world.bindings.push({ name, id: binding.id, connector, busy, derivedIds: noise.derivedIds[i] ?? true, corrupted: new Map() });
    }
    return world;
  }

  /** The providers' clock: real time, strictly increasing, as Postgres' now() is for the calendar. */
  readonly instant = (): string => {
    this.lastInstant = Math.max(Date.now(), this.lastInstant + 1);
    return new Date(this.lastInstant).toISOString();
  };

  binding(name: BindingName): ModelBinding {
    const binding = this.bindings.find((b) => b.name === name);
    if (!binding) throw new Error(`no binding ${name}`);
    return binding;
  }

  get twoWay(): ModelBinding[] {
    return this.bindings.filter((b) => !b.busy);
  }

  /** The live series on one side, in a stable order. */
  async view(side: SideName): Promise<Array<{ id: string; series: EventSeries }>> {
    if (side === 'calendar') {
      const all: Array<{ id: string; series: EventSeries }> = [];
      for (let after: string | null = null; ;) {
        const page = await listSeriesPage(this.db, this.tenantId, this.calendarId, after, 500);
        if (page.length === 0) break;
        all.push(...page.map((s) => ({ id: s.eventId, series: s.series })));
        after = page.at(-1)!.eventId;
      }
      return all.sort((a, b) => a.series.uid.localeCompare(b.series.uid));
    }
    const b = this.binding(side);
    return b.connector.liveItems(b.name).map((i) => ({ id: i.remoteId, series: i.series })).sort((x, y) => x.series.uid.localeCompare(y.series.uid));
  }

  /** A person creates, saves or deletes on a side: the app API for the calendar, the provider's app for a remote. */
  async create(side: SideName, series: EventSeries): Promise<void> {
    if (side === 'calendar') await this.appWrite(null, series);
    else this.binding(side).connector.userCreate(side, series);
  }

  async save(side: SideName, id: string, series: EventSeries): Promise<void> {
    if (side === 'calendar') await this.appWrite(id, series);
    else {
      const b = this.binding(side);
      b.connector.userUpdate(side, id, series);
      b.corrupted.delete(id);
    }
  }

  async remove(side: SideName, id: string): Promise<void> {
    if (side === 'calendar') {
      await appTransaction({ db: this.db, debounceMs: 0 }, async (tx) => {
        const scope = { tenantId: this.tenantId, calendarId: this.calendarId };
        const n = await deleteAppSeries(tx, scope, id);
        return { result: n, changed: n > 0 ? [scope] : [] };
      });
    } else {
      const b = this.binding(side);
      b.connector.userDelete(side, id);
      b.corrupted.delete(id);
    }
  }

  /**
   * The app edits a calendar event as the API's PATCH does: the series locked, then read,
   * changed and written in one transaction (a pass may be writing it meanwhile).
   */
  async appEdit(pick: number, change: (series: EventSeries) => boolean): Promise<void> {
    const ids = (await this.view('calendar')).map((v) => v.id);
    const id = ids[pick % Math.max(ids.length, 1)];
    if (id === undefined) return;
    await appTransaction({ db: this.db, debounceMs: 0 }, async (tx) => {
      const scope = { tenantId: this.tenantId, calendarId: this.calendarId };
      await lockSeriesVersions(tx, this.tenantId, this.calendarId, [id]);
      const [stored] = await getSeries(tx, this.tenantId, this.calendarId, [id]);
      const series = stored && structuredClone(stored.series);
      if (!series?.master || !change(series)) return { result: null, changed: [] };
      const written = await writeAppSeries(tx, scope, { eventId: id, series });
      return { result: null, changed: written.changed > 0 ? [scope] : [] };
    });
  }

  private async appWrite(id: string | null, series: EventSeries): Promise<void> {
    await appTransaction({ db: this.db, debounceMs: 0 }, async (tx) => {
      const scope = { tenantId: this.tenantId, calendarId: this.calendarId };
      const written = await writeAppSeries(tx, scope, { eventId: id, series });
      return { result: written, changed: written.changed > 0 ? [scope] : [] };
    });
  }

  /** Another client saves something unreadable into an item; the uid of the item, if there was one. */
  corrupt(name: BindingName, pick: number): string | null {
    const b = this.binding(name);
    const items = b.connector.liveItems(name).filter((i) => !b.corrupted.has(i.remoteId));
    const item = items[pick % Math.max(items.length, 1)];
    if (!item) return null;
    b.connector.corrupt(name, item.remoteId);
    b.corrupted.set(item.remoteId, item.series);
    return item.series.uid;
  }

  /** A person saves every unreadable item again as it was. */
  repairAll(): void {
    for (const b of this.bindings) {
      for (const [remoteId, series] of b.corrupted) {
        if (b.connector.liveItems(b.name).some((i) => i.remoteId === remoteId)) b.connector.userUpdate(b.name, remoteId, series);
      }
      b.corrupted.clear();
    }
  }

  private engineDeps(db: Db, connector: MemoryConnector | ReturnType<Interposer['connector']>, plans: PassRecord['plans']): EngineDeps {
    return {
      db, logger: pino({ level: 'silent' }), now: () => new Date(), workerName: 'model', debounceMs: 0,
      connectorFor: async () => connector, leaseSeconds, sliceSize: 500, slicesInFlight: 1, writeConcurrency: 1,
      monotonicMs: () => performance.now() + this.stalledMs,
      observePlan: (input, actions) => plans.push({ input: structuredClone(input), actions: structuredClone(actions) }),
    };
  }

  /**
   * A pass of one binding through the job handler, interrupted as `interruption` says.
   * A pass whose process died leaves its lease behind; it lapses (time passes) before
   * anything else happens.
   */
  async pass(name: BindingName, interruption: Interruption | null = null, appWrite: () => Promise<void> = async () => {}, confirm = false): Promise<PassRecord> {
    const b = this.binding(name);
    const plans: PassRecord['plans'] = [];
    const ip = new Interposer(interruption, {
      beside: async (kind) => {
        if (kind === 'app-write') return appWrite();
        // The pass stalls past its lease; another worker takes the binding and runs a pass.
        this.stalledMs += (leaseSeconds + 1) * 1000;
        await this.lapseLease(b.id);
        const other = await this.pass(name);
        if (other.outcome === 'died') throw new Error('the pass that took over died');
      },
    });
    const deps = this.engineDeps(ip.db(this.db), ip.connector(b.connector), plans);
    let outcome: PassRecord['outcome'];
    let result: PassResult | null = null;
    try {
      result = await runJob(deps, ip.db(this.db), { tenantId: this.tenantId, bindingId: b.id, trigger: 'poll', confirmWipe: confirm, confirmDeletions: confirm });
      outcome = result.outcome;
    } catch (error) {
      if (!(error instanceof ProcessDied)) throw error;
      outcome = 'died';
    }
    await ip.besides;
    if (outcome === 'died') await this.lapseLease(b.id);
    const stats = result?.stats;
    const record: PassRecord = {
      binding: name, outcome, interruption, fired: ip.fired, plans,
      clean: ip.fired === null && outcome === 'ok' && stats !== undefined && stats.failed === 0,
      wrote: stats ? stats.calendarWrites + stats.remoteWrites + stats.failed : 0,
      writesAfterTakeover: ip.writesAfterTakeover, commitsAfterTakeover: ip.commitsAfterTakeover,
    };
    this.passes.push(record);
    return record;
  }

  /** A pass, and when the brakes stop it, the same pass confirmed by an operator. */
  async passConfirming(name: BindingName, interruption: Interruption | null = null, appWrite?: () => Promise<void>): Promise<PassRecord> {
    const pass = await this.pass(name, interruption, appWrite);
    return pass.outcome === 'stopped' ? this.pass(name, null, undefined, true) : pass;
  }

  /** Time passes over a dead or stalled pass: its lease lapses (the database's clock is not ours to move). */
  private async lapseLease(bindingId: string): Promise<void> {
    await this.db.query(`update bindings set lease_expires_at = now() - interval '1 second' where id = $1 and lease_owner is not null`, [bindingId]);
  }

  /** Passes over every binding until a round writes nothing; the number of rounds. */
  async quiesce(maxRounds = 12): Promise<number> {
    for (let round = 1; round <= maxRounds; round++) {
      let writes = 0;
      for (const b of this.bindings) {
        const pass = await this.passConfirming(b.name);
        if (pass.outcome !== 'ok') throw new Error(`a quiet-round pass of ${b.name} ended ${pass.outcome}`);
        writes += pass.wrote;
      }
      if (writes === 0) return round;
    }
    throw new Error(`no quiet round after ${maxRounds} rounds`);
  }

  /** Whether a lease is free: nothing left holding one after the world settled. */
  async leaseFree(name: BindingName): Promise<boolean> {
    return acquireLease(this.db, { tenantId: this.tenantId, bindingId: this.binding(name).id }, 'model-check', 1);
  }
}

/** The job handler's run, as a worker calls it; its next poll is not queued (the model decides when passes run). */
async function runJob(engine: EngineDeps, db: Db, payload: SyncBindingPayload): Promise<PassResult> {
  const deps: TaskDeps = { db, workerName: 'model', engine, tombstoneMs: 30 * 86_400_000, sweepSeconds: 60 };
  return runSyncBinding(payload, deps, { addJob: async () => ({}) as never });
}
