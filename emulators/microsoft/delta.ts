// calendarView delta rounds (event-delta, concepts/delta-query-events):
// - the first request names the window (startDateTime, endDateTime; ISO 8601, no offset
//   meaning UTC); the tokens encode it, so later requests need only the link;
// - pages end with `@odata.nextLink` ($skiptoken) until the last, which carries
//   `@odata.deltaLink` ($deltatoken). Tokens are opaque;
// - the server keeps a sync state per token, as Exchange does: what the client was told.
//   The next round answers the items that are new or changed since, and `@removed`
//   {"reason": "deleted"} for items that left the view. Replaying a deltaLink or a
//   nextLink answers the same changes again (the state it names does not move);
// - "Events that are outside the date range and that have been added, deleted, or
//   updated since the previous delta call" also come as @removed deleted;
// - `$select`, `$expand`, `$filter`, `$orderby`, `$search` (and `$top`, `$skip`, `$count`)
//   are refused: "There are other OData query parameters that the delta function for
//   calendarView doesn't support";
// - `Prefer: odata.maxpagesize=N` is a hint: honoured from `minPageSize` to `maxPageSize`,
//   answered with `Preference-Applied` only when honoured; outside, pages are bigger or
//   smaller than asked;
// - an expired or unknown token is 410 syncStateNotFound or resyncRequired (errors.ts).
// A cancelled occurrence gives no @removed of its own unless `cancelledOccurrences` is
// 'removed': its master comes back changed (reported on the Graph issue trackers).
import { randomBytes } from 'node:crypto';
import { graphErrors, type ExpiredTokenStyle } from './errors.ts';
import type { MailboxStore } from './store.ts';
import { parseOccurrenceId, viewOf, type ViewItem, type Window } from './view.ts';
import { parseDateTime, toInstant, UTC } from './zones.ts';

export interface DeltaSettings {
  defaultPageSize: number;
  /** A larger odata.maxpagesize gets pages of this size. */
  maxPageSize: number;
  /** A smaller one gets pages of this size: the preference is a hint, not a cap (default 1). */
  minPageSize: number;
  includeSeriesMasters: boolean;
  cancelledOccurrences: 'silent' | 'removed';
  /** How long a delta or skip token lives; null: until expired by the control. */
  tokenTtlMs: number | null;
  expired: ExpiredTokenStyle;
}

interface SyncState {
  calendarId: string;
  window: Window;
  /** Item id → version the client was told. */
  items: Map<string, string>;
  /** Occurrence ids in `items`, for the silent-cancellation rule. */
  occurrences: Set<string>;
  seq: number;
  generation: number;
  issuedAt: number;
}

export type DeltaEntry = { kind: 'item'; item: ViewItem } | { kind: 'removed'; id: string };

interface Round {
  entries: DeltaEntry[];
  next: SyncState;
  generation: number;
  issuedAt: number;
}

export interface DeltaPage {
  entries: DeltaEntry[];
  nextSkipToken: string | null;
  deltaToken: string | null;
}

const REFUSED = ['$select', '$expand', '$filter', '$orderby', '$search', '$top', '$skip', '$count'];
const token = (): string => randomBytes(24).toString('base64url');

/** A date alone is its midnight (ISO 8601 allows it). */
const dateOnly = (x: unknown): unknown => (typeof x === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(x.trim()) ? `${x.trim()}T00:00:00` : x);

/** startDateTime / endDateTime of a calendarView request: ISO 8601, no offset = UTC. */
export function readWindow(query: Record<string, unknown>): Window {
  const get = (name: string): unknown => Object.entries(query).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  const rawStart = get('startDateTime');
  const rawEnd = get('endDateTime');
  if (rawStart === undefined || rawEnd === undefined) {
    throw graphErrors.invalidParameter('This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.');
  }
  const start = parseDateTime(dateOnly(rawStart));
  const end = parseDateTime(dateOnly(rawEnd));
  if (start === null) throw graphErrors.invalidParameter(`The value '${String(rawStart)}' of parameter 'StartDateTime' is invalid.`);
  if (end === null) throw graphErrors.invalidParameter(`The value '${String(rawEnd)}' of parameter 'EndDateTime' is invalid.`);
  const window = { from: toInstant(start, UTC), to: toInstant(end, UTC) };
  if (window.to <= window.from) throw graphErrors.invalidParameter('The parameter \'EndDateTime\' must be later than \'StartDateTime\'.');
  return window;
}

export class DeltaRounds {
  private readonly states = new Map<string, SyncState>();
  private readonly rounds = new Map<string, { round: Round; offset: number; pageSize: number }>();
  generation = 0;

  constructor(private readonly store: MailboxStore, private readonly settings: () => DeltaSettings) {}

  pageSize(requested: number | null): { size: number; applied: boolean } {
    const s = this.settings();
    if (requested === null) return { size: s.defaultPageSize, applied: false };
    if (requested < s.minPageSize) return { size: s.minPageSize, applied: false };
    return requested <= s.maxPageSize ? { size: requested, applied: true } : { size: s.maxPageSize, applied: false };
  }

  /** Parameters a delta request may not carry. */
  static refusedParameter(query: Record<string, unknown>): string | null {
    return Object.keys(query).find((k) => REFUSED.includes(k.toLowerCase())) ?? null;
  }

  private expired(): never {
    throw graphErrors.expiredDeltaToken(this.settings().expired);
  }

  private live<T extends { generation: number; issuedAt: number }>(x: T | undefined): T {
    const ttl = this.settings().tokenTtlMs;
    if (!x || x.generation !== this.generation || (ttl !== null && this.store.now() - x.issuedAt > ttl)) this.expired();
    return x;
  }

  /** The first page of a new round: from nothing (a window) or from a deltaToken. */
  start(calendarId: string, from: { window: Window } | { deltaToken: string }, pageSize: number): DeltaPage {
    const previous: SyncState = 'deltaToken' in from
      ? this.live(this.states.get(from.deltaToken))
      : { calendarId, window: from.window, items: new Map(), occurrences: new Set(), seq: 0, generation: this.generation, issuedAt: this.store.now() };
    if (previous.calendarId !== calendarId) this.expired();
    const round = this.compute(previous);
    return this.page(round, 0, pageSize);
  }

  /** A later page of a round. */
  next(skipToken: string, pageSize: number): DeltaPage {
    const at = this.rounds.get(skipToken);
    const round = this.live(at?.round);
    return this.page(round, at!.offset, pageSize);
  }

  calendarOfSkipToken(skipToken: string): string | null {
    return this.rounds.get(skipToken)?.round.next.calendarId ?? null;
  }

  calendarOfDeltaToken(deltaToken: string): string | null {
    return this.states.get(deltaToken)?.calendarId ?? null;
  }

  private page(round: Round, offset: number, pageSize: number): DeltaPage {
    const entries = round.entries.slice(offset, offset + pageSize);
    if (offset + pageSize < round.entries.length) {
      const skip = token();
      this.rounds.set(skip, { round, offset: offset + pageSize, pageSize });
      return { entries, nextSkipToken: skip, deltaToken: null };
    }
    const delta = token();
    this.states.set(delta, round.next);
    return { entries, nextSkipToken: null, deltaToken: delta };
  }

  private compute(previous: SyncState): Round {
    const s = this.settings();
    const view = viewOf(this.store, previous.calendarId, previous.window, s.includeSeriesMasters);
    const entries: DeltaEntry[] = [];
    const seen = new Set<string>();
    for (const item of view) {
      seen.add(item.id);
      if (item.seriesMasterId !== null) seen.add(item.seriesMasterId);
      if (previous.items.get(item.id) !== item.version) entries.push({ kind: 'item', item });
    }
    for (const id of previous.items.keys()) {
      if (seen.has(id)) continue;
      if (previous.occurrences.has(id) && s.cancelledOccurrences === 'silent' && this.cancelled(id)) continue;
      entries.push({ kind: 'removed', id });
    }
    // Changed since the last round but not in the window: told as deleted.
    if (previous.seq > 0) {
      for (const event of this.store.events.values()) {
        if (event.calendarId !== previous.calendarId || event.seq <= previous.seq || seen.has(event.id) || previous.items.has(event.id)) continue;
        entries.push({ kind: 'removed', id: event.id });
      }
    }
    const next: SyncState = {
      calendarId: previous.calendarId, window: previous.window,
      items: new Map(view.map((i) => [i.id, i.version])),
      occurrences: new Set(view.filter((i) => i.type === 'occurrence').map((i) => i.id)),
      seq: this.store.seq, generation: this.generation, issuedAt: this.store.now(),
    };
    return { entries, next, generation: this.generation, issuedAt: this.store.now() };
  }

  /** An occurrence cancelled on a master that still lives (not one a new pattern dropped). */
  private cancelled(occurrenceId: string): boolean {
    const occ = parseOccurrenceId(occurrenceId);
    return occ !== null && (this.store.live(occ.masterId)?.cancelled.includes(occ.originalStartMs) ?? false);
  }

  /** Every token issued so far answers 410 from now on. */
  expireAll(): void {
    this.generation += 1;
  }
}

