// events.list and events.instances: paging, sync tokens and filters as the events.list
// reference and the sync guide (guides/sync) describe them. Quoted from events.list:
// - maxResults: "By default the value is 250 events. The page size can never be larger
//   than 2500 events."
// - syncToken: "All events deleted since the previous list request will always be in
//   the result set and it is not allowed to set showDeleted to False. There are several
//   query parameters that cannot be specified together with nextSyncToken … iCalUID,
//   orderBy, privateExtendedProperty, q, sharedExtendedProperty, timeMin, timeMax,
//   updatedMin … If the syncToken expires, the server will respond with a 410 GONE".
// - nextPageToken / nextSyncToken: the sync token is "Omitted if further results are
//   available, in which case nextPageToken is provided" (sync guide: "the nextSyncToken
//   field is present only on the very last page").
// - showDeleted: "Cancelled instances of recurring events (but not the underlying
//   recurring event) will still be included if showDeleted and singleEvents are both
//   False. If showDeleted and singleEvents are both True, only single instances of
//   deleted events (but not the underlying recurring events) are returned."
// - updatedMin: "entries deleted since this time will always be included regardless of
//   showDeleted".
// - timeMin: "Lower bound (exclusive) for an event's end time"; timeMax: "Upper bound
//   (exclusive) for an event's start time"; both "Must be an RFC3339 timestamp with
//   mandatory time zone offset".
import { googleErrors } from './errors.ts';
import { EventService, instanceResource } from './events.ts';
import { expand } from './recurrence.ts';
import { render, type Body, type CancelledDetail } from './resources.ts';
import type { CalendarRecord, EmulatorStore, StoredEvent } from './store.ts';
import { checkZone, isoMillis, parseTimestamp, readMoment } from './times.ts';
import { decodePageToken, decodeSyncToken, encodePageToken, encodeSyncToken, queryDigest } from './tokens.ts';

export type Query = Record<string, string | string[] | undefined>;

export interface ListSettings {
  /** Sync tokens older than this answer 410 fullSyncRequired; updatedMin older, 410 updatedMinTooLongAgo. */
  historyMs: number;
  /** Instances one series expands to at most (singleEvents=true, instances). */
  maxInstances: number;
  /** How far ahead singleEvents=true expands a series that has no end when timeMax is not given. */
  expandAheadMs: number;
}

const one = (q: Query, name: string): string | undefined => {
  const v = q[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
};
const many = (q: Query, name: string): string[] => {
  const v = q[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
};

function bool(q: Query, name: string): boolean | undefined {
  const v = one(q, name);
  if (v === undefined) return undefined;
  if (v === 'true' || v === 'false') return v === 'true';
  throw googleErrors.invalid(`Invalid value '${v}'. Values must match the following regular expression: '(?i)true|false'`, name);
}

function timestamp(q: Query, name: string): number | undefined {
  const v = one(q, name);
  if (v === undefined) return undefined;
  const ms = parseTimestamp(v);
  if (ms === null) throw googleErrors.badRequest(`Bad Request: ${name} must be an RFC3339 timestamp with a time zone offset`);
  return ms;
}

function maxResults(q: Query, name = 'maxResults'): number {
  const v = one(q, name);
  if (v === undefined) return 250;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1) throw googleErrors.invalid(`Invalid value '${v}'. Values must be within the range: [1, 2500]`, name);
  return Math.min(n, 2500);
}

/** `key=value` constraints of privateExtendedProperty / sharedExtendedProperty. */
function constraints(q: Query, name: string): [string, string][] {
  return many(q, name).map((c) => {
    const at = c.indexOf('=');
    if (at <= 0) throw googleErrors.invalid(`Invalid extended property constraint: ${c}`, name);
    return [c.slice(0, at), c.slice(at + 1)];
  });
}

interface Item {
  event: StoredEvent;
  detail: CancelledDetail;
  key: number | string;
}

const compare = (a: [number | string, string], b: [number | string, string]): number =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;

function matchesText(e: StoredEvent, q: string): boolean {
  const hay = [e.summary, e.description, e.location, e.organizer?.displayName, e.organizer?.email,
    ...(e.attendees ?? []).flatMap((a) => [a.displayName, a.email])].filter((s): s is string => typeof s === 'string');
  return q.toLowerCase().split(/\s+/).filter(Boolean).every((term) => hay.some((s) => s.toLowerCase().includes(term)));
}

export class EventLists {
  constructor(
    private readonly store: EmulatorStore,
    private readonly events: EventService,
    private readonly settings: ListSettings,
  ) {}

  list(calendar: CalendarRecord, q: Query): Body {
    const now = this.store.now();
    const syncToken = one(q, 'syncToken');
    const showDeletedParam = bool(q, 'showDeleted');
    const singleEvents = bool(q, 'singleEvents') ?? false;
    const timeMin = timestamp(q, 'timeMin');
    const timeMax = timestamp(q, 'timeMax');
    const updatedMin = timestamp(q, 'updatedMin');
    const orderBy = one(q, 'orderBy');
    const zone = one(q, 'timeZone') === undefined ? calendar.timeZone : checkZone(one(q, 'timeZone'), 'timeZone');
    const size = maxResults(q);
    const privateProps = constraints(q, 'privateExtendedProperty');
    const sharedProps = constraints(q, 'sharedExtendedProperty');
    const text = one(q, 'q');
    const iCalUID = one(q, 'iCalUID');
    const eventTypes = many(q, 'eventTypes');

    let since: number | null = null;
    if (syncToken !== undefined) {
      for (const name of ['iCalUID', 'orderBy', 'privateExtendedProperty', 'q', 'sharedExtendedProperty', 'timeMin', 'timeMax', 'updatedMin']) {
        if (q[name] !== undefined) throw googleErrors.syncTokenWithRequestRestrictions(name);
      }
      if (showDeletedParam === false) throw googleErrors.syncTokenWithRequestRestrictions('showDeleted');
      const token = decodeSyncToken(syncToken);
      // Google: "Sometimes sync tokens are invalidated by the server, for various reasons
      // including token expiration or changes in related ACLs. In such cases, the server
      // will respond to an incremental request with a response code 410" (guides/sync).
      // A token the emulator cannot read is answered the same way.
      if (token === null || token.calendarId !== calendar.id || token.generation !== this.store.tokenGeneration
        || token.issuedAt < now - this.settings.historyMs || token.seq > this.store.seq) {
        throw googleErrors.fullSyncRequired();
      }
      since = token.seq;
    }
    if (updatedMin !== undefined && updatedMin < now - this.settings.historyMs) throw googleErrors.updatedMinTooLongAgo();
    if (timeMin !== undefined && timeMax !== undefined && timeMax <= timeMin) throw googleErrors.timeRangeEmpty('timeMax');
    if (orderBy !== undefined && orderBy !== 'startTime' && orderBy !== 'updated') throw googleErrors.invalid(`Invalid value for: orderBy`, 'orderBy');
    if (orderBy === 'startTime' && !singleEvents) {
      throw googleErrors.invalid('The requested ordering is not available for the particular query.', 'orderBy');
    }

    const pageToken = one(q, 'pageToken');
    const digest = queryDigest(q);
    const page = pageToken === undefined ? null : decodePageToken(pageToken);
    if (pageToken !== undefined && (page === null || page.query !== digest)) throw googleErrors.invalid('Invalid page token value.', 'pageToken');
    const snapshot = page?.snapshot ?? this.store.seq;

    // Which cancelled events show, and how much of them.
    const changesOnly = since !== null || updatedMin !== undefined;
    const showDeleted = showDeletedParam ?? false;
    const detail: CancelledDetail = showDeleted ? 'full' : 'minimal';
    const records = [...this.store.eventsOf(calendar.id).values()];
    const masterCancelled = (id: string | undefined): boolean =>
      id !== undefined && this.store.get(calendar.id, id)?.resource.status === 'cancelled';

    const candidates: StoredEvent[] = [];
    for (const record of records) {
      const e = record.resource;
      if (since !== null && record.seq <= since) continue;
      if (updatedMin !== undefined && Date.parse(e.updated!) < updatedMin) continue;
      const cancelled = e.status === 'cancelled';
      const exception = e.recurringEventId !== undefined;
      if (cancelled && !changesOnly && !showDeleted) {
        // Cancelled exceptions of a live series stay in a plain listing without singleEvents.
        if (!exception || singleEvents || masterCancelled(e.recurringEventId)) continue;
      }
      if (!singleEvents || e.recurrence === undefined) {
        if (!(singleEvents && exception && cancelled && !changesOnly && !showDeleted)) candidates.push(e);
        continue;
      }
      // singleEvents=true: a master stands for its instances; exceptions show themselves.
      if (cancelled && !changesOnly && !showDeleted) continue;
      const window = { from: timeMin ?? Number.NEGATIVE_INFINITY, to: timeMax ?? now + this.settings.expandAheadMs };
      for (const o of expand(e, calendar.timeZone, window, this.settings.maxInstances).occurrences) {
        if (this.store.get(calendar.id, o.id)) continue;
        const instance = instanceResource(e, calendar.id, o);
        candidates.push(instance);
      }
    }

    const items: Item[] = [];
    for (const e of candidates) {
      if (!this.inWindow(e, calendar, timeMin, timeMax, singleEvents)) continue;
      if (privateProps.some(([k, v]) => e.extendedProperties?.private?.[k] !== v)) continue;
      if (sharedProps.some(([k, v]) => e.extendedProperties?.shared?.[k] !== v)) continue;
      if (text !== undefined && !matchesText(e, text)) continue;
      if (iCalUID !== undefined && e.iCalUID !== iCalUID) continue;
      if (eventTypes.length > 0 && !eventTypes.includes(e.eventType ?? 'default')) continue;
      const key = orderBy === 'startTime' ? readMoment(e.start, 'start', calendar.timeZone).ms
        : orderBy === 'updated' ? Date.parse(e.updated!) : '';
      items.push({ event: e, detail: e.status === 'cancelled' ? detail : 'full', key });
    }
    items.sort((a, b) => compare([a.key, a.event.id!], [b.key, b.event.id!]));
    const start = page === null ? 0 : items.findIndex((i) => compare([i.key, i.event.id!], page.after) > 0);
    const slice = start < 0 ? [] : items.slice(start, start + size);
    const more = start >= 0 && start + size < items.length;

    const last = slice[slice.length - 1];
    const updated = records.reduce((max, r) => Math.max(max, Date.parse(r.resource.updated!)), 0);
    return {
      kind: 'calendar#events',
      etag: `"${calendar.seq}"`,
      summary: calendar.summary,
      ...(calendar.description !== undefined ? { description: calendar.description } : {}),
      updated: isoMillis(updated || now),
      timeZone: calendar.timeZone,
      accessRole: 'owner',
      defaultReminders: [],
      ...(more && last ? { nextPageToken: encodePageToken({ snapshot, after: [last.key, last.event.id!], query: digest }) } : {}),
      ...(!more ? { nextSyncToken: encodeSyncToken({ calendarId: calendar.id, seq: snapshot, generation: this.store.tokenGeneration, issuedAt: now }) } : {}),
      items: slice.map((i) => render(i.event, calendar, zone, i.detail)),
    };
  }

  /** events.instances: the instances of one recurring event, paged. */
  instances(calendar: CalendarRecord, eventId: string, q: Query): Body {
    const master = this.store.get(calendar.id, eventId);
    if (!master || master.resource.recurrence === undefined) throw googleErrors.notFound();
    if (master.resource.status === 'cancelled') throw googleErrors.deleted();
    const timeMin = timestamp(q, 'timeMin');
    const timeMax = timestamp(q, 'timeMax');
    if (timeMin !== undefined && timeMax !== undefined && timeMax <= timeMin) throw googleErrors.timeRangeEmpty('timeMax');
    const showDeleted = bool(q, 'showDeleted') ?? false;
    const zone = one(q, 'timeZone') === undefined ? calendar.timeZone : checkZone(one(q, 'timeZone'), 'timeZone');
    const size = maxResults(q);
    const originalStart = one(q, 'originalStart');
    const pageToken = one(q, 'pageToken');
    const digest = queryDigest(q);
    const page = pageToken === undefined ? null : decodePageToken(pageToken);
    if (pageToken !== undefined && (page === null || page.query !== digest)) throw googleErrors.invalid('Invalid page token value.', 'pageToken');

    const window = { from: timeMin ?? Number.NEGATIVE_INFINITY, to: timeMax ?? Number.POSITIVE_INFINITY };
    let all = this.events.instances(calendar, master, window, this.settings.maxInstances, showDeleted);
    if (originalStart !== undefined) {
      const at = parseTimestamp(originalStart) ?? (/^\d{4}-\d{2}-\d{2}$/.test(originalStart) ? readMoment({ date: originalStart }, 'originalStart', calendar.timeZone).ms : null);
      if (at === null) throw googleErrors.badRequest('Bad Request: originalStart must be an RFC3339 timestamp');
      all = all.filter((e) => readMoment(e.originalStartTime, 'originalStartTime', calendar.timeZone).ms === at);
    }
    const start = page === null ? 0 : all.findIndex((e) => e.id! > page.after[1]);
    const slice = start < 0 ? [] : all.slice(start, start + size);
    const more = start >= 0 && start + size < all.length;
    return {
      kind: 'calendar#events',
      etag: master.resource.etag,
      summary: calendar.summary,
      updated: master.resource.updated,
      timeZone: calendar.timeZone,
      accessRole: 'owner',
      defaultReminders: [],
      ...(more ? { nextPageToken: encodePageToken({ snapshot: this.store.seq, after: ['', slice[slice.length - 1]!.id!], query: digest }) } : {}),
      items: slice.map((e) => render(e, calendar, zone, showDeleted ? 'full' : 'minimal')),
    };
  }

  /** timeMin/timeMax: an event overlaps; a master (singleEvents=false) when one of its instances does. */
  private inWindow(e: StoredEvent, calendar: CalendarRecord, timeMin: number | undefined, timeMax: number | undefined, singleEvents: boolean): boolean {
    if (timeMin === undefined && timeMax === undefined) return true;
    const window = { from: timeMin ?? Number.NEGATIVE_INFINITY, to: timeMax ?? Number.POSITIVE_INFINITY };
    if (e.recurrence !== undefined && !singleEvents) return expand(e, calendar.timeZone, window, 1).occurrences.length > 0;
    const start = readMoment(e.start, 'start', calendar.timeZone).ms;
    const end = readMoment(e.end, 'end', calendar.timeZone).ms;
    return start < window.to && (end > window.from || (end === start && start >= window.from));
  }
}
