// A tiny sync engine for tests: an in-memory canonical calendar, memory connectors as
// bindings, and a pass that runs pull → plan → apply → store cursor, the way the real
// engine (Postgres, later) will. Failures of remote writes leave the sync status as it
// was, so the next pass retries from what it knows.
import { ConnectorError, isConnectorError, type RemoteItem } from '../../src/connectors/connector.ts';
import type { MemoryConnector } from '../../src/connectors/memory/index.ts';
import { hashNormal } from '../../src/core/hash.ts';
import { newest } from '../../src/core/instants.ts';
import type { EventSeries } from '../../src/core/model.ts';
import { normaliseSeries } from '../../src/core/normalise.ts';
import { plan, type Action, type CalendarEvent, type Direction, type PlanInput, type SyncStatus } from '../../src/core/plan.ts';
import type { MergePolicy } from '../../src/core/policy.ts';
import type { Projection } from '../../src/core/projection.ts';
import { defaultSafety, type SafetyStop } from '../../src/core/safety.ts';
import { listAll } from '../connectors/contract.ts';

/** One logical clock for the calendar and every fake provider, one second per tick. */
export class LogicalClock {
  private ticks = 0;
  readonly now = (): string => new Date(Date.UTC(2026, 0, 1) + 1000 * ++this.ticks).toISOString();
}

export class MemoryCalendar {
  readonly events = new Map<string, CalendarEvent>();
  private nextId = 0;
  constructor(private readonly clock: LogicalClock) {}

  create(series: EventSeries): string {
    const eventId = `ev-${++this.nextId}`;
    this.events.set(eventId, { eventId, uid: series.uid, series: structuredClone(series), updatedAt: this.clock.now() });
    return eventId;
  }

  update(eventId: string, series: EventSeries): void {
    this.events.set(eventId, { eventId, uid: series.uid, series: structuredClone(series), updatedAt: this.clock.now() });
  }

  delete(eventId: string): void {
    const event = this.events.get(eventId);
    if (event?.series) this.events.set(eventId, { eventId, uid: event.series.uid, series: null, lastSeries: event.series, updatedAt: this.clock.now() });
  }

  live(): (CalendarEvent & { series: EventSeries })[] {
    return [...this.events.values()].filter((e): e is CalendarEvent & { series: EventSeries } => e.series !== null);
  }
}

export interface Binding {
  name: string;
  connector: MemoryConnector;
  remoteCalendarId: string;
  direction: Direction;
  projection: Projection;
  policy: MergePolicy;
  statuses: Map<string, SyncStatus>;
  cursor: string | null;
}

export interface PassReport {
  binding: string;
  /** What the applied plan was given, statuses as they stood then. */
  input: PlanInput | null;
  actions: Action[];
  /** Remote writes or reads that failed; a pass with none is clean. */
  failures: ConnectorError[];
  stop: SafetyStop | null;
}

export interface ConflictRow { binding: string; eventId: string; fields: string[] }

export class SyncHarness {
  readonly conflicts: ConflictRow[] = [];
  readonly quarantines: Action[] = [];
  readonly stops: SafetyStop[] = [];
  readonly passes: PassReport[] = [];

  constructor(readonly calendar: MemoryCalendar, readonly bindings: Binding[], private readonly autoConfirm = true) {}

  binding(name: string): Binding {
    const binding = this.bindings.find((b) => b.name === name);
    if (!binding) throw new Error(`no binding ${name}`);
    return binding;
  }

  async runPass(binding: Binding): Promise<PassReport> {
    const report: PassReport = { binding: binding.name, input: null, actions: [], failures: [], stop: null };
    this.passes.push(report);
    let pulled: { items: RemoteItem[]; cursor: string; complete: boolean };
    try {
      pulled = await listAll(binding.connector, binding.remoteCalendarId, binding.cursor);
    } catch (error) {
      if (!isConnectorError(error, 'cursor-expired')) return this.failed(report, error);
      // The cursor expired: resync by comparing a complete listing, never by wiping.
      pulled = await listAll(binding.connector, binding.remoteCalendarId, null);
    }
    const input: PlanInput = {
      binding: { direction: binding.direction, projection: binding.projection },
      policy: binding.policy,
      safety: defaultSafety,
      // Copies: applying the plan changes statuses in place.
      statuses: [...binding.statuses.values()].map((status) => ({ ...status })),
      calendar: [...this.calendar.events.values()],
      remote: { items: pulled.items, complete: pulled.complete, window: null },
    };
    let planned = plan(input);
    if (planned.stop) {
      this.stops.push(planned.stop);
      report.stop = planned.stop;
      if (!this.autoConfirm) return report;
      planned = plan({ ...input, safety: { ...defaultSafety, confirmWipe: true, confirmDeletions: true } });
    }
    report.input = input;
    report.actions = planned.actions;
    for (const action of planned.actions) {
      try {
        await this.apply(binding, action);
      } catch (error) {
        if (!(error instanceof ConnectorError)) throw error;
        report.failures.push(error);
        // The write failed but the version it was sent against is the newest seen; keeping
        // its etag and last-modified instant lets the next pass retry without a 412 the
        // cursor would never explain and recognise an older replay as stale. After a 412
        // that etag is the stale one (as in src/engine/apply.ts).
        const current = action.eventId ? binding.statuses.get(action.eventId) : undefined;
        const kept = 'ifMatch' in action && action.ifMatch && error.kind !== 'precondition-failed' ? action.ifMatch : null;
        if (current && kept && action.remoteId === current.remoteId) {
          current.etag = kept;
          const seenAt = action.op === 'merge' ? action.remoteBase?.remoteUpdatedAt : action.next && action.next !== 'drop' ? action.next.remoteUpdatedAt : null;
          current.remoteUpdatedAt = newest(current.remoteUpdatedAt, seenAt);
        }
      }
    }
    // The cursor is stored last, so a crash before this line replays the changes.
    binding.cursor = pulled.cursor;
    return report;
  }

  private failed(report: PassReport, error: unknown): PassReport {
    if (!(error instanceof ConnectorError)) throw error;
    report.failures.push(error);
    return report;
  }

  private async apply(binding: Binding, action: Action): Promise<void> {
    const { connector, remoteCalendarId: cal, statuses } = binding;
    const setStatus = (eventId: string, remoteId: string, etag: string | null, next: Action['next'], pending = false, updatedAt: string | null = null) => {
      if (!next || next === 'drop') return;
      // The newest of what the plan saw and what the write answered.
      const remoteUpdatedAt = newest(next.remoteUpdatedAt, updatedAt);
      statuses.set(eventId, { eventId, remoteId, etag, base: next.base, contentHash: next.contentHash, remoteUpdatedAt, ...(pending ? { pending } : {}) });
    };
    // Recorded before a remote write, so that a lost answer is recognised when the
    // item comes back with exactly this content.
    const markSent = (eventId: string, next: Action['next']) => {
      const current = statuses.get(eventId);
      if (current && next && next !== 'drop') current.sent = next;
    };
    switch (action.op) {
      case 'create':
        if (action.side === 'calendar') {
          const eventId = this.calendar.create(action.series);
          setStatus(eventId, action.remoteId!, action.etag, action.next);
        } else {
          // Recorded before the call, so a lost answer is adopted rather than duplicated.
          setStatus(action.eventId, `pending:${action.eventId}`, null, action.next, true);
          const written = await connector.create(cal, action.series, { calsyncId: action.calsyncId });
          setStatus(action.eventId, written.remoteId, written.etag, action.next, false, written.updatedAt);
        }
        return;
      case 'update':
        if (action.side === 'calendar') {
          this.calendar.update(action.eventId, action.series);
          setStatus(action.eventId, action.remoteId!, action.etag, action.next);
        } else {
          markSent(action.eventId, action.next);
          const written = await connector.update(cal, action.remoteId, action.series, { ifMatch: action.ifMatch });
          setStatus(action.eventId, written.remoteId, written.etag, action.next, false, written.updatedAt);
        }
        return;
      case 'delete':
        if (action.side === 'calendar') {
          this.calendar.delete(action.eventId);
          statuses.delete(action.eventId);
        } else {
          await connector.delete(cal, action.remoteId, { ifMatch: action.ifMatch });
          if (action.eventId) statuses.delete(action.eventId);
        }
        return;
      case 'skip': {
        if (!action.eventId) return;
        if (action.next === 'drop') {
          statuses.delete(action.eventId);
          return;
        }
        const current = statuses.get(action.eventId);
        if (action.next) setStatus(action.eventId, action.remoteId!, action.etag ?? current?.etag ?? null, action.next);
        else if (current && action.etag) current.etag = action.etag;
        return;
      }
      case 'merge': {
        if (action.writeCalendar) this.calendar.update(action.eventId, action.result.merged);
        if (!action.writeRemote) {
          setStatus(action.eventId, action.remoteId, action.etag, action.next);
          return;
        }
        setStatus(action.eventId, action.remoteId, action.etag, action.remoteBase);
        markSent(action.eventId, action.next);
        const written = await connector.update(cal, action.remoteId, action.remoteSeries, { ifMatch: action.ifMatch });
        setStatus(action.eventId, action.remoteId, written.etag, action.next, false, written.updatedAt);
        return;
      }
      case 'conflict':
        this.conflicts.push({ binding: binding.name, eventId: action.eventId, fields: action.conflicts.map((c) => c.field) });
        if (action.quarantine) {
          const current = statuses.get(action.eventId);
          if (current) current.quarantined = true;
        }
        return;
      case 'quarantine':
        this.quarantines.push(action);
        return;
    }
  }

  /** Passes over every binding until a whole round writes nothing; the number of rounds. */
  async quiesce(maxRounds = 12): Promise<number> {
    for (let round = 1; round <= maxRounds; round++) {
      let writes = 0;
      for (const binding of this.bindings) {
        const report = await this.runPass(binding);
        writes += report.failures.length + report.actions.filter((a) => a.op !== 'skip' && a.op !== 'conflict').length;
      }
      if (writes === 0) return round;
    }
    throw new Error(`no quiet round after ${maxRounds} rounds`);
  }
}

/** The content hash both sides must agree on. */
export function seriesHash(series: EventSeries): string {
  return hashNormal(normaliseSeries(series));
}
