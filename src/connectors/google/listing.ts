// Reading a calendar: events.list with singleEvents=false, so a recurring event is its
// master plus its exceptions, never thousands of instances.
// - Full listing (no cursor): single events are items at once; the resources of
//   recurring events are held until the last page, because a master and its exceptions
//   may sit on different pages (events.list promises no order). The last page carries
//   nextSyncToken, which becomes the cursor.
// - Changes (a cursor): each page's single events are items, deletions (a cancelled
//   event with only its id) are deleted items, and every recurring event something
//   changed in is read whole (readSeries): a change lists only the changed exception.
//   A later page with the same token is the identical query plus pageToken (sync
//   guide), so Google's page token is the connector's, and no state is kept.
import type { calendar_v3 } from '@googleapis/calendar';
import type { GoogleEvent } from '../../core/google/index.ts';
import { ConnectorError, type ChangePage, type RemoteItem, type UnreadableItem } from '../connector.ts';
import type { GoogleClient } from './client.ts';
import { deletedItem, isRecurring, isUnreadable, readResources, seriesIdOf, seriesResources, type SeriesResources } from './map.ts';

export interface ListingContext {
  client: GoogleClient;
  calendarId: string;
  pageSize: number;
  /** The calendar's zone, as the last answer gave it. */
  setZone(zone: string): void;
}

/** A full listing between pages: Google's next page token and the recurring resources seen so far. */
export interface HeldListing {
  pageToken: string;
  held: Map<string, GoogleEvent[]>;
}

const CURSOR = 'google-sync:';

export function encodeCursor(syncToken: string): string {
  return `${CURSOR}${syncToken}`;
}

/** The sync token in a cursor; null for a cursor this connector did not write. */
export function decodeCursor(cursor: string): string | null {
  return cursor.startsWith(CURSOR) && cursor.length > CURSOR.length ? cursor.slice(CURSOR.length) : null;
}

async function listPage(ctx: ListingContext, params: calendar_v3.Params$Resource$Events$List): Promise<calendar_v3.Schema$Events> {
  const answer = await ctx.client.call('list', null, (options) => ctx.client.api.events.list({ calendarId: ctx.calendarId, maxResults: ctx.pageSize, singleEvents: false, ...params }, options));
  if (!answer.ok) throw answer.error;
  const data = answer.data;
  if (typeof data.timeZone === 'string' && data.timeZone !== '') ctx.setZone(data.timeZone);
  return data;
}

function zoneOf(data: calendar_v3.Schema$Events): string {
  if (typeof data.timeZone !== 'string' || data.timeZone === '') throw new ConnectorError('transient', 'Google events.list answered without the calendar\'s timeZone');
  return data.timeZone;
}

/** A page's items, events the core cannot read apart (ChangePage.unreadable). */
class PageItems {
  readonly items: RemoteItem[] = [];
  readonly unreadable: UnreadableItem[] = [];

  add(entry: RemoteItem | UnreadableItem): void {
    if (isUnreadable(entry)) this.unreadable.push(entry);
    else this.items.push(entry);
  }

  /** `items`, and `unreadable` when there are any. */
  fields(): Pick<ChangePage, 'items' | 'unreadable'> {
    return { items: this.items, ...(this.unreadable.length > 0 ? { unreadable: this.unreadable } : {}) };
  }
}

/**
 * One page of a full listing; `state` null starts one. `next` is the state to park
 * between pages; after the last page it is null and `cursor` is set.
 */
export async function fullListingPage(ctx: ListingContext, state: HeldListing | null): Promise<Pick<ChangePage, 'items' | 'unreadable'> & { next: HeldListing | null; cursor: string | null }> {
  const data = await listPage(ctx, state ? { pageToken: state.pageToken } : {});
  const zone = zoneOf(data);
  const held = state?.held ?? new Map<string, GoogleEvent[]>();
  const page = new PageItems();
  for (const r of (data.items ?? []) as GoogleEvent[]) {
    if (isRecurring(r)) {
      const id = seriesIdOf(r);
      held.set(id, [...(held.get(id) ?? []), r]);
    } else if (r.status !== 'cancelled') {
      page.add(readResources(r.id!, { master: r, exceptions: [] }, zone));
    }
  }
  if (data.nextPageToken) return { ...page.fields(), next: { pageToken: data.nextPageToken, held }, cursor: null };
  if (!data.nextSyncToken) throw new ConnectorError('transient', 'Google events.list: the last page has no nextSyncToken');
  for (const [id, resources] of held) page.add(readResources(id, seriesResources(id, resources), zone));
  return { ...page.fields(), next: null, cursor: encodeCursor(data.nextSyncToken) };
}

export type SeriesReader = (seriesId: string, uidHint: string | null, known: GoogleEvent[]) => Promise<{ resources: SeriesResources; zone: string }>;

/** One page of changes since `syncToken`. */
export async function changesPage(ctx: ListingContext, syncToken: string, pageToken: string | undefined, readSeries: SeriesReader): Promise<ChangePage> {
  const data = await listPage(ctx, { syncToken, ...(pageToken ? { pageToken } : {}) });
  const zone = zoneOf(data);
  const groups = new Map<string, GoogleEvent[]>();
  for (const r of (data.items ?? []) as GoogleEvent[]) groups.set(seriesIdOf(r), [...(groups.get(seriesIdOf(r)) ?? []), r]);
  const page = new PageItems();
  const whole: Array<[string, GoogleEvent[]]> = [];
  for (const [id, group] of groups) {
    const master = group.find((r) => r.id === id && r.recurringEventId === undefined);
    // "Deleted events are only guaranteed to have the id field populated": a deleted
    // single event, or a deleted recurring one (its exceptions go with it).
    if (master?.status === 'cancelled') page.add(deletedItem(id));
    else if (master && !isRecurring(master)) page.add(readResources(id, { master, exceptions: [] }, zone));
    else whole.push([id, group]);
  }
  // Series are read a few at a time: each is one or two requests.
  for (let start = 0; start < whole.length; start += 4) {
    const read = await Promise.all(whole.slice(start, start + 4).map(async ([id, group]) => {
      const uid = group.find((r) => typeof r.iCalUID === 'string' && r.iCalUID !== '')?.iCalUID ?? null;
      const series = await readSeries(id, uid, group);
      return readResources(id, series.resources, series.zone);
    }));
    for (const entry of read) page.add(entry);
  }
  if (data.nextPageToken) return { ...page.fields(), nextPageToken: `${PAGE}${data.nextPageToken}`, nextCursor: null, complete: false };
  if (!data.nextSyncToken) throw new ConnectorError('transient', 'Google events.list: the last page has no nextSyncToken');
  return { ...page.fields(), nextPageToken: null, nextCursor: encodeCursor(data.nextSyncToken), complete: false };
}

/** Page tokens of change listings are Google's own, marked so a stale full-listing token is told apart. */
export const PAGE = 'gp:';
