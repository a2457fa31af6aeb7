// Listings: calendarView delta rounds over a fixed window, and one series read whole.
//
// A delta page gives singles and masters whole but without the stamp (`$expand` is
// refused on calendarView delta) and occurrences skeletal, so every series a page names
// is read again: its master with the stamp expanded, and for a recurring one its
// instances over the window, which give its exceptions and, by absence, its cancelled
// occurrences (map.ts, exdatesFromInstances). A 404 on the master: the series is gone.
//
// `@removed` also means "left the window" or "changed outside it" (event-delta), so a
// removed id is looked up before it is reported deleted: one that still exists is
// listed as it is, and the engine's window (windowed: true) decides what to do with it.
import { createHash } from 'node:crypto';
import { CoreError } from '../../core/errors.ts';
import { ConnectorError, isConnectorError, unreadableItem, type ChangePage, type RemoteItem, type UnreadableItem } from '../connector.ts';
import type { GraphClient } from './client.ts';
import { deltaPageOf } from './delta.ts';
import { deletedItem, exdatesFromInstances, isUnreadable, readSeries, seriesEvents, seriesIdOf } from './map.ts';
import { applyKept, KEPT_EXPAND, takeKept, type KeptValues } from './kept.ts';
import type { GraphEvent } from './types.ts';

export interface ListingWindow {
  /** ISO instants, UTC. */
  from: string;
  to: string;
}

export interface ListingContext {
  client: GraphClient;
  calendarId: string;
  calendarTimeZone: string;
  pageSize: number;
  window: ListingWindow;
  /** The stamp last seen on each series, so a deletion (`@removed` carries only an id) can name it. */
  stamps: Map<string, string>;
}

/**
 * The window a round covers: from the start of the month a year back to the start of
 * the month two years ahead. It moves once a month, not every day: a moved window
 * needs a fresh round (a delta token keeps the window it was made with).
 */
export function listingWindow(now: number, monthsBack = 12, monthsAhead = 24): ListingWindow {
  const d = new Date(now);
  const at = (months: number): string => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1)).toISOString();
  return { from: at(-monthsBack), to: at(monthsAhead) };
}

const CURSOR = 'graph1:';
const PAGE = 'graphpage1:';
const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const decode = (text: string): any => {
  try {
    return JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
};

interface Cursor extends ListingWindow {
  deltaLink: string;
}

interface PageState {
  link: string;
  pages: number;
  /** Digests of the links followed lately: a link seen again is a repeated page. */
  seen: string[];
  repeats: number;
}

export const encodeCursor = (c: Cursor): string => CURSOR + encode(c);

/** The stored cursor, or cursor-expired when it is not ours or its window is not the current one. */
export function decodeCursor(cursor: string, window: ListingWindow): Cursor {
  const c = cursor.startsWith(CURSOR) ? decode(cursor.slice(CURSOR.length)) : null;
  if (c === null || typeof c.deltaLink !== 'string') throw new ConnectorError('cursor-expired', `cursor "${cursor.slice(0, 40)}" was not written by the Graph connector; list in full`);
  if (c.from !== window.from || c.to !== window.to) {
    throw new ConnectorError('cursor-expired', `the cursor's window ${c.from}…${c.to} is not the current ${window.from}…${window.to}: a moved window needs a fresh round`);
  }
  return c;
}

/** Pages per round before it is given up: with 50 a page, 100,000 changes. */
export const MAX_PAGES = 2000;
/** The same page answered this many times in a row is a nextLink loop, not a glitch. */
const MAX_REPEATS = 3;
const digest = (link: string): string => createHash('sha256').update(link).digest('base64url').slice(0, 12);

const preferHeader = (pageSize: number): Record<string, string> => ({ prefer: `odata.maxpagesize=${pageSize}, outlook.timezone="UTC"` });

/** One page of a round: the first (from the window or the stored deltaLink) or the one a page token names. */
export async function deltaPage(ctx: ListingContext, cursor: string | null, pageToken: string | undefined): Promise<ChangePage> {
  const complete = cursor === null;
  let state: PageState;
  if (pageToken !== undefined) {
    const s = pageToken.startsWith(PAGE) ? decode(pageToken.slice(PAGE.length)) : null;
    if (s === null || typeof s.link !== 'string') throw new ConnectorError('transient', `page token ${pageToken.slice(0, 40)} was not written by the Graph connector; list again from the stored cursor`);
    state = s;
  } else if (cursor === null) {
    const q = new URLSearchParams({ startDateTime: ctx.window.from, endDateTime: ctx.window.to });
    state = { link: `/me/calendars/${encodeURIComponent(ctx.calendarId)}/calendarView/delta?${q}`, pages: 0, seen: [], repeats: 0 };
  } else {
    state = { link: decodeCursor(cursor, ctx.window).deltaLink, pages: 0, seen: [], repeats: 0 };
  }
  if (state.pages >= MAX_PAGES) throw new ConnectorError('transient', `Graph delta round of ${ctx.calendarId} passed ${MAX_PAGES} pages; listed again later`);
  const answer = await ctx.client.request({ operation: 'list', method: 'GET', url: state.link, headers: preferHeader(ctx.pageSize) });
  let page;
  try {
    page = deltaPageOf(answer.body);
  } catch (error) {
    if (!(error instanceof CoreError)) throw error;
    throw new ConnectorError('transient', `Graph delta page of ${ctx.calendarId} cannot be read: ${error.message}`);
  }
  const { items, unreadable } = await seriesOfPage(ctx, page.events, page.removed.map((r) => r.id));
  if (page.deltaLink !== null) {
    return { items, unreadable, nextPageToken: null, nextCursor: encodeCursor({ ...ctx.window, deltaLink: page.deltaLink }), complete };
  }
  // A nextLink already followed in this round answers a page given before (the loop
  // reported on Graph's trackers): its items are repeated, which callers take, and the
  // link is followed again a few times before the round is given up.
  const seen = [...state.seen, digest(state.link)].slice(-20);
  const repeated = seen.includes(digest(page.nextLink!));
  const repeats = repeated ? state.repeats + 1 : 0;
  if (repeats > MAX_REPEATS) throw new ConnectorError('transient', `Graph delta round of ${ctx.calendarId} keeps answering the same page (a nextLink loop); listed again later`);
  const next: PageState = { link: page.nextLink!, pages: state.pages + 1, seen, repeats };
  return { items, unreadable, nextPageToken: PAGE + encode(next), nextCursor: null, complete };
}

/** Every series a page names, read whole, in parallel (the client's limiter keeps four in flight). */
async function seriesOfPage(ctx: ListingContext, events: GraphEvent[], removed: string[]): Promise<{ items: RemoteItem[]; unreadable: UnreadableItem[] }> {
  const ids = new Set(events.map(seriesIdOf));
  const read = await Promise.all([
    ...[...ids].map((id) => readSeriesNow(ctx, id)),
    ...removed.filter((id) => !ids.has(id)).map((id) => readSeriesNow(ctx, id)),
  ]);
  const items: RemoteItem[] = [];
  const unreadable: UnreadableItem[] = [];
  for (const entry of read) {
    if (entry === null) continue;
    if (isUnreadable(entry)) unreadable.push(entry);
    else items.push(entry);
  }
  return { items, unreadable };
}

const eventPath = (ctx: Pick<ListingContext, 'calendarId'>, id: string): string =>
  `/me/calendars/${encodeURIComponent(ctx.calendarId)}/events/${encodeURIComponent(id)}`;

/**
 * Series `id` as Graph holds it now: a deleted item on 404, else the series of the
 * event found there (an occurrence's or exception's id leads to its master). Null when
 * `id` named an occurrence whose master is gone as well: nothing of ours to report.
 */
export async function readSeriesNow(ctx: ListingContext, id: string): Promise<RemoteItem | UnreadableItem | null> {
  const answer = await ctx.client.request({
    operation: 'get', method: 'GET', url: `${eventPath(ctx, id)}?$expand=${encodeURIComponent(KEPT_EXPAND)}`,
    headers: preferHeader(ctx.pageSize), remoteId: id, expected: [404],
  });
  if (answer.status === 404) return deleted(ctx, id);
  const { event, kept } = takeKept(answer.body as GraphEvent);
  if (event.type === 'occurrence' || event.type === 'exception') {
    return typeof event.seriesMasterId === 'string' && event.seriesMasterId !== id ? readSeriesNow(ctx, event.seriesMasterId) : null;
  }
  if (event.type !== 'seriesMaster') return remember(ctx, withKept(readSeries(id, { master: event, exceptions: [] }), kept, event));
  let instances: GraphEvent[];
  try {
    instances = await instancesOf(ctx, id);
  } catch (error) {
    // Deleted between the two reads.
    if (isConnectorError(error, 'not-found')) return deleted(ctx, id);
    throw error;
  }
  const item = readSeries(id, seriesEvents(id, [event, ...instances]));
  if (isUnreadable(item) || item.deleted) return remember(ctx, item);
  try {
    return remember(ctx, withKept({ ...item, series: exdatesFromInstances(item.series, instances, ctx.window, ctx.calendarTimeZone) }, kept, event));
  } catch (error) {
    if (!(error instanceof CoreError)) throw error;
    return unreadableItem(id, `Graph event ${id} cannot be read: ${error.message}`, JSON.stringify([event, ...instances]), {
      etag: item.etag, calsyncId: item.calsyncId, updatedAt: item.updatedAt,
    });
  }
}

function withKept(item: RemoteItem | UnreadableItem, kept: KeptValues, master: GraphEvent): RemoteItem | UnreadableItem {
  return isUnreadable(item) || item.deleted ? item : { ...item, series: applyKept(item.series, kept, master) };
}

function deleted(ctx: ListingContext, id: string): RemoteItem {
  return { ...deletedItem(id), calsyncId: ctx.stamps.get(id) ?? null };
}

function remember<T extends RemoteItem | UnreadableItem>(ctx: ListingContext, item: T): T {
  if (item.calsyncId !== null) ctx.stamps.set(item.remoteId, item.calsyncId);
  return item;
}

/** The occurrences and exceptions of a series over the window, every page. */
export async function instancesOf(ctx: ListingContext, masterId: string, window: ListingWindow = ctx.window): Promise<GraphEvent[]> {
  const q = new URLSearchParams({ startDateTime: window.from, endDateTime: window.to, $top: '500' });
  let link: string | null = `/me/events/${encodeURIComponent(masterId)}/instances?${q}`;
  const all: GraphEvent[] = [];
  for (let pages = 0; link !== null; pages++) {
    if (pages >= MAX_PAGES) throw new ConnectorError('transient', `instances of Graph event ${masterId} passed ${MAX_PAGES} pages`, { remoteId: masterId });
    const answer = await ctx.client.request({ operation: 'instances', method: 'GET', url: link, headers: preferHeader(500), remoteId: masterId });
    const body = answer.body as { value?: GraphEvent[]; '@odata.nextLink'?: string };
    if (!Array.isArray(body?.value)) throw new ConnectorError('transient', `instances of Graph event ${masterId} came without a value list`, { remoteId: masterId });
    all.push(...body.value);
    link = typeof body['@odata.nextLink'] === 'string' ? body['@odata.nextLink'] : null;
  }
  return all;
}
