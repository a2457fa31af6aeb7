// The in-memory connector: a provider that lives in a Map, for tests, the model-based
// test and the first-run sandbox. It follows the Connector contract and can misbehave
// on purpose, like real providers do (README.md lists each fault and what it stands for).
import { CoreError } from '../../core/errors.ts';
import type { CalsyncId, EventSeries } from '../../core/model.ts';
import { normaliseSeries } from '../../core/normalise.ts';
import {
  ConnectorError, unreadableItem, type ChangePage, type Connector, type ConnectorCapabilities, type RemoteItem, type UnreadableItem, type WriteResult,
} from '../connector.ts';
import { seededRng, shuffle, type Rng } from './rng.ts';

export { seededRng, type Rng } from './rng.ts';

export interface MemoryFaults {
  /** The next N writes fail with a transient error. */
  failWrites: number;
  /** Failed writes were applied before failing (the response was lost), as after a timeout. */
  failAfterApply: boolean;
  /** Probability that the server rewrites an item's etag again just after a write. */
  flakyEtags: number;
  /** Probability that a listed item is delivered a second time in the same listing. */
  duplicateDelivery: number;
  /** Items of a listing come in random order. */
  reorder: boolean;
  /** The next N calls of any kind fail with rate-limited, retry after 30 s. */
  rateLimit: number;
  /** Probability that a listing ends with an older version of a live item, after the newer one. */
  staleReplay: number;
  /**
   * The next N creates store the series' master only and lose their answer: a create of
   * several requests (a Google series: master, then its instances) cut short.
   */
  halfCreates: number;
}

export interface MemoryConnectorOptions {
  /**
   * Change listings are the difference of two snapshots, as Xandikos answers
   * sync-collection: an item made after a cursor and deleted before the next listing is
   * never reported. Default false (every change since the cursor is, deletions included).
   */
  snapshotDiffs?: boolean;
  /**
   * Items calsync creates get ids derived from their calsync id (as CalDAV hrefs and
   * Google's client-chosen ids are), so their deletions carry the stamp; false: ids the
   * provider picks (Graph), whose deletions carry no stamp. Default true.
   */
  derivedIds?: boolean;
  /** Drives every fault; default seed 1. */
  rng?: Rng;
  /** The provider's clock for `updatedAt`; default a counter from 2026-01-01T00:00:00Z. */
  clock?: () => string;
  pageSize?: number;
  faults?: Partial<MemoryFaults>;
}

interface Stored {
  remoteId: string;
  etag: string;
  series: EventSeries | null;
  /** The change-log position at which this life of the item began (made, or made again). */
  bornAt?: number;
  calsyncId: CalsyncId | null;
  updatedAt: string;
  /** Set while the item holds something no reader can read (see corrupt). */
  unreadable?: string;
}

/** The prefix of ids derived from calsync ids; the stamp of a deletion is read back from it. */
const derivedPrefix = 'mem-c-';

interface RemoteCalendar {
  items: Map<string, Stored>;
  /** One entry per change, the changed remote id; a cursor is an index into it. */
  log: string[];
  /** Bumped by expireCursors: older cursors are refused. */
  epoch: number;
  /** Every version of each item, oldest first, for stale replays. */
  versions: Map<string, Stored[]>;
}

const noFaults: MemoryFaults = { failWrites: 0, failAfterApply: false, flakyEtags: 0, duplicateDelivery: 0, reorder: false, rateLimit: 0, staleReplay: 0, halfCreates: 0 };

export class MemoryConnector implements Connector {
  readonly capabilities: ConnectorCapabilities;
  readonly faults: MemoryFaults;
  /**
   * Runs once, just before the next conditional write (an update or delete with
   * `ifMatch`) is checked: what another client changed between a pass's listing and its
   * write, so the write meets a newer etag than the one it was planned with.
   */
  beforeConditionalWrite: ((remoteCalendarId: string, remoteId: string) => void) | null = null;
  private readonly calendars = new Map<string, RemoteCalendar>();
  private readonly pages = new Map<string, { items: Array<RemoteItem | UnreadableItem>; nextCursor: string }>();
  private readonly rng: Rng;
  private readonly clock: () => string;
  private readonly pageSize: number;
  private readonly derivedIds: boolean;
  private counter = 0;

  constructor(options: MemoryConnectorOptions = {}) {
    this.rng = options.rng ?? seededRng(1);
    let tick = 0;
    this.clock = options.clock ?? (() => new Date(Date.UTC(2026, 0, 1) + 1000 * tick++).toISOString());
    this.pageSize = options.pageSize ?? 50;
    this.derivedIds = options.derivedIds ?? true;
    this.capabilities = { push: false, syncTokens: true, writable: true, conditionalWrites: true, windowed: false, snapshotDiffs: options.snapshotDiffs ?? false };
    this.faults = { ...noFaults, ...options.faults };
  }

  addCalendar(remoteCalendarId: string): void {
    if (!this.calendars.has(remoteCalendarId)) this.calendars.set(remoteCalendarId, { items: new Map(), log: [], epoch: 0, versions: new Map() });
  }

  async listChanges(remoteCalendarId: string, cursor: string | null, pageToken?: string): Promise<ChangePage> {
    this.rateLimited();
    const calendar = this.calendar(remoteCalendarId);
    const since = cursor === null ? null : this.cursorPosition(calendar, cursor);
    let token = pageToken;
    if (token === undefined) {
      token = `page-${++this.counter}:0`;
      this.pages.set(token.split(':')[0]!, { items: this.snapshot(calendar, since), nextCursor: `m1:${calendar.epoch}:${calendar.log.length}` });
    }
    const [id, offsetText] = token.split(':');
    const listing = this.pages.get(id!);
    const offset = Number(offsetText);
    if (!listing || !Number.isInteger(offset)) throw new ConnectorError('permanent', `unknown page token ${token}`);
    const page = listing.items.slice(offset, offset + this.pageSize);
    const last = offset + this.pageSize >= listing.items.length;
    if (last) this.pages.delete(id!);
    const items = page.filter((i): i is RemoteItem => !('reason' in i));
    const unreadable = page.filter((i): i is UnreadableItem => 'reason' in i);
    return {
      items: structuredClone(items),
      ...(unreadable.length > 0 ? { unreadable: structuredClone(unreadable) } : {}),
      nextPageToken: last ? null : `${id}:${offset + this.pageSize}`,
      nextCursor: last ? listing.nextCursor : null,
      complete: cursor === null,
    };
  }

  async create(remoteCalendarId: string, series: EventSeries, options: { calsyncId: CalsyncId }): Promise<WriteResult> {
    this.rateLimited();
    const calendar = this.calendar(remoteCalendarId);
    checkSeries(series);
    const existing = [...calendar.items.values()].find((s) => s.series !== null && s.calsyncId === options.calsyncId);
    if (existing) return { remoteId: existing.remoteId, etag: existing.etag, updatedAt: existing.updatedAt };
    if (this.faults.halfCreates > 0 && series.overrides.length > 0) {
      this.faults.halfCreates--;
      const remoteId = this.derivedIds ? `${derivedPrefix}${options.calsyncId}` : `mem-${++this.counter}`;
      this.store(calendar, { remoteId, etag: '', series: { ...series, overrides: [] }, calsyncId: options.calsyncId, updatedAt: '' });
      throw new ConnectorError('transient', 'injected loss of a create\'s answer after its first request');
    }
    return this.write(calendar, () => {
      const remoteId = this.derivedIds ? `${derivedPrefix}${options.calsyncId}` : `mem-${++this.counter}`;
      return this.store(calendar, { remoteId, etag: '', series, calsyncId: options.calsyncId, updatedAt: '' });
    });
  }

  async update(remoteCalendarId: string, remoteId: string, series: EventSeries, options: { ifMatch: string | null }): Promise<WriteResult> {
    this.rateLimited();
    const calendar = this.calendar(remoteCalendarId);
    checkSeries(series);
    this.otherClient(remoteCalendarId, remoteId, options.ifMatch);
    const current = this.current(calendar, remoteId, options.ifMatch);
    if (!current) throw new ConnectorError('not-found', `no item ${remoteId}`, { remoteId });
    return this.write(calendar, () => this.store(calendar, { ...current, series }));
  }

  async delete(remoteCalendarId: string, remoteId: string, options: { ifMatch: string | null }): Promise<void> {
    this.rateLimited();
    const calendar = this.calendar(remoteCalendarId);
    this.otherClient(remoteCalendarId, remoteId, options.ifMatch);
    const current = this.current(calendar, remoteId, options.ifMatch);
    if (!current) return;
    await this.write(calendar, () => this.store(calendar, { ...current, series: null }));
  }

  async read(remoteCalendarId: string, remoteId: string): Promise<RemoteItem> {
    this.rateLimited();
    const current = this.calendar(remoteCalendarId).items.get(remoteId);
    if (!current) return { remoteId, etag: null, deleted: true, series: null, calsyncId: stampOf(remoteId), updatedAt: null };
    if (current.unreadable && current.series) throw new ConnectorError('permanent', `item ${remoteId} cannot be read: ${current.unreadable}`, { remoteId });
    return structuredClone(toItem(current));
  }

  // What a person does in the provider's own app: changes calsync did not make.

  userCreate(remoteCalendarId: string, series: EventSeries): string {
    const calendar = this.calendar(remoteCalendarId);
    const remoteId = `mem-${++this.counter}`;
    this.store(calendar, { remoteId, etag: '', series, calsyncId: null, updatedAt: '' });
    return remoteId;
  }

  userUpdate(remoteCalendarId: string, remoteId: string, series: EventSeries): void {
    const calendar = this.calendar(remoteCalendarId);
    const current = this.current(calendar, remoteId, null);
    if (!current) throw new ConnectorError('not-found', `no item ${remoteId}`, { remoteId });
    const { unreadable: _, ...readable } = current;
    this.store(calendar, { ...readable, series });
  }

  /**
   * Another client saves something in the item that no reader can read (a VEVENT that
   * does not parse): listings report it as unreadable and `read` refuses it, until a
   * person saves it again (userUpdate).
   */
  corrupt(remoteCalendarId: string, remoteId: string, reason = 'DTSTART is not a date'): void {
    const calendar = this.calendar(remoteCalendarId);
    const current = this.current(calendar, remoteId, null);
    if (current) this.store(calendar, { ...current, unreadable: reason });
  }

  userDelete(remoteCalendarId: string, remoteId: string): void {
    const calendar = this.calendar(remoteCalendarId);
    const current = this.current(calendar, remoteId, null);
    if (current) this.store(calendar, { ...current, series: null });
  }

  /**
   * An unreadable item becomes readable without a new version of its own: what changed
   * is the reader (a calsync that learnt to read it). Listings since do not show it.
   */
  readableAgain(remoteCalendarId: string, remoteId: string): void {
    const current = this.calendar(remoteCalendarId).items.get(remoteId);
    if (current) delete current.unreadable;
  }

  /** The server rewrites an item's etag without changing its content (CalDAV servers on reindex). */
  touch(remoteCalendarId: string, remoteId: string): void {
    const calendar = this.calendar(remoteCalendarId);
    const current = calendar.items.get(remoteId);
    if (current?.series) this.bumpEtag(calendar, current);
  }

  /** Every cursor handed out so far becomes invalid, as after Google's 410 Gone. */
  expireCursors(remoteCalendarId: string): void {
    this.calendar(remoteCalendarId).epoch++;
  }

  /** The live items, as a person looking at the provider's calendar sees them. */
  liveItems(remoteCalendarId: string): { remoteId: string; etag: string; series: EventSeries; calsyncId: CalsyncId | null; updatedAt: string }[] {
    return [...this.calendar(remoteCalendarId).items.values()]
      .filter((s): s is Stored & { series: EventSeries } => s.series !== null)
      .map((s) => structuredClone(s));
  }

  private calendar(remoteCalendarId: string): RemoteCalendar {
    const calendar = this.calendars.get(remoteCalendarId);
    if (!calendar) throw new ConnectorError('not-found', `no remote calendar ${remoteCalendarId}`);
    return calendar;
  }

  private cursorPosition(calendar: RemoteCalendar, cursor: string): number {
    const match = /^m1:(\d+):(\d+)$/.exec(cursor);
    if (!match || Number(match[1]) !== calendar.epoch || Number(match[2]) > calendar.log.length) {
      throw new ConnectorError('cursor-expired', `cursor ${cursor} is no longer valid; list in full`);
    }
    return Number(match[2]);
  }

  private snapshot(calendar: RemoteCalendar, since: number | null): Array<RemoteItem | UnreadableItem> {
    const ids = since === null
      // In the order the items were made: ids derived from random calsync ids would make a
      // sorted order, and so the pages, differ between replays of one seed.
      ? [...calendar.items.values()].filter((s) => s.series !== null).map((s) => s.remoteId)
      : [...new Set(calendar.log.slice(since))].filter((id) => {
        // A snapshot difference: an item gone now that was not there at the cursor was never in either.
        const stored = calendar.items.get(id)!;
        return !(this.capabilities.snapshotDiffs && stored.series === null && (stored.bornAt ?? 0) >= since);
      });
    const items: Array<RemoteItem | UnreadableItem> = [];
    for (const id of ids) {
      const stored = calendar.items.get(id)!;
      if (stored.unreadable && stored.series) {
        items.push(unreadableItem(id, stored.unreadable, `BEGIN:VCALENDAR\r\n(unreadable ${id})\r\nEND:VCALENDAR\r\n`, { etag: stored.etag, calsyncId: stored.calsyncId, updatedAt: stored.updatedAt }));
        continue;
      }
      const item = toItem(stored);
      items.push(item);
      if (this.rng() < this.faults.duplicateDelivery) items.push(item);
    }
    if (this.faults.reorder) shuffle(items, this.rng);
    if (this.faults.staleReplay > 0 && this.rng() < this.faults.staleReplay) {
      const replay = this.olderVersion(calendar);
      // A replayed version that was unreadable reads as unreadable still.
      if (replay?.unreadable) return items;
      if (replay) items.push(toItem(replay));
    }
    return items;
  }

  /**
   * An earlier version of a random live item, one its last-modified instant shows to be
   * older (a lagging replica's answer); an etag-only rewrite is not a version of its own.
   */
  private olderVersion(calendar: RemoteCalendar): Stored | null {
    const older = (current: Stored) => calendar.versions.get(current.remoteId)!.filter((v) => v.updatedAt < current.updatedAt);
    const changed = [...calendar.items.values()].filter((s) => s.series !== null && older(s).length > 0);
    if (changed.length === 0) return null;
    const versions = older(changed[Math.floor(this.rng() * changed.length)]!);
    return versions[Math.floor(this.rng() * versions.length)]!;
  }

  private otherClient(remoteCalendarId: string, remoteId: string, ifMatch: string | null): void {
    const hook = this.beforeConditionalWrite;
    if (ifMatch === null || hook === null) return;
    this.beforeConditionalWrite = null;
    hook(remoteCalendarId, remoteId);
  }

  private current(calendar: RemoteCalendar, remoteId: string, ifMatch: string | null): Stored | null {
    const current = calendar.items.get(remoteId);
    if (!current || current.series === null) return null;
    if (ifMatch !== null && ifMatch !== current.etag) {
      throw new ConnectorError('precondition-failed', `etag of ${remoteId} is ${current.etag}, not ${ifMatch}`, { remoteId });
    }
    return current;
  }

  private async write(calendar: RemoteCalendar, apply: () => Stored): Promise<WriteResult> {
    if (this.faults.failWrites > 0) {
      this.faults.failWrites--;
      if (this.faults.failAfterApply) apply();
      throw new ConnectorError('transient', 'injected write failure');
    }
    const stored = apply();
    const result = { remoteId: stored.remoteId, etag: stored.etag, updatedAt: stored.updatedAt };
    if (stored.series !== null && this.rng() < this.faults.flakyEtags) this.bumpEtag(calendar, stored);
    return result;
  }

  private store(calendar: RemoteCalendar, item: Stored): Stored {
    const before = calendar.items.get(item.remoteId);
    const bornAt = before?.series ? before.bornAt : calendar.log.length;
    const stored = { ...item, series: item.series && structuredClone(item.series), etag: this.newEtag(), updatedAt: this.clock(), bornAt };
    calendar.items.set(stored.remoteId, stored);
    calendar.log.push(stored.remoteId);
    this.keepVersion(calendar, stored);
    return stored;
  }

  private bumpEtag(calendar: RemoteCalendar, stored: Stored): void {
    stored.etag = this.newEtag();
    calendar.log.push(stored.remoteId);
    this.keepVersion(calendar, stored);
  }

  private keepVersion(calendar: RemoteCalendar, stored: Stored): void {
    const versions = calendar.versions.get(stored.remoteId) ?? [];
    calendar.versions.set(stored.remoteId, versions);
    versions.push({ ...stored });
  }

  private newEtag(): string {
    return `"${++this.counter}"`;
  }

  private rateLimited(): void {
    if (this.faults.rateLimit > 0) {
      this.faults.rateLimit--;
      throw new ConnectorError('rate-limited', 'injected rate limit', { retryAfterSeconds: 30 });
    }
  }
}

/** The stamp a deletion carries: the calsync id its remote id was derived from, if any. */
function stampOf(remoteId: string): CalsyncId | null {
  return remoteId.startsWith(derivedPrefix) ? remoteId.slice(derivedPrefix.length) : null;
}

function toItem(stored: Stored): RemoteItem {
  // Providers say only which item went, not whose stamp it bore (Google: only the id).
  return stored.series === null
    ? { remoteId: stored.remoteId, etag: null, deleted: true, series: null, calsyncId: stampOf(stored.remoteId), updatedAt: stored.updatedAt }
    : { remoteId: stored.remoteId, etag: stored.etag, deleted: false, series: stored.series, calsyncId: stored.calsyncId, updatedAt: stored.updatedAt };
}

// Providers refuse what they cannot store (Google 400 invalid, CalDAV 415/403 on bad
// iCalendar); the fake refuses what the core cannot normalise.
function checkSeries(series: EventSeries): void {
  try {
    normaliseSeries(series);
  } catch (error) {
    if (error instanceof CoreError) throw new ConnectorError('permanent', `invalid item: ${error.message}`, { cause: error });
    throw error;
  }
}
