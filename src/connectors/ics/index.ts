// The ICS feed connector: a read-only calendar published as one iCalendar document
// (Google "secret address", Outlook published calendars, Nextcloud/Proton/Apple
// subscription links, booking tools). The remote calendar id is the feed URL, unless
// the connector is made for one feed (`feedUrl`: the address its account keeps sealed,
// while the binding names it by its label). README.md lists the quirks.
import { randomUUID } from 'node:crypto';
import { CoreError } from '../../core/errors.ts';
import { parseCalendar } from '../../core/ical/index.ts';
import type { CalsyncId, EventSeries } from '../../core/model.ts';
import {
  ConnectorError, type ChangePage, type Connector, type ConnectorCapabilities, type RemoteItem, type UnreadableItem, type WriteResult,
} from '../connector.ts';
import { createUrlGuard, guardedFetch, type FetchLike, type UrlGuard } from '../http-guard.ts';
import { IcsClient, type FeedValidators } from './client.ts';
import { describeFeed, unreadableFeed } from './errors.ts';
import { changesSince, cursorOf, decodeCursor, encodeCursor, feedItems, listingDigest, readParts, type FeedCursor, type FeedRead } from './map.ts';
import { splitFeed } from './split.ts';

export interface IcsConnectorOptions {
  /** The feed read whatever remote calendar id a call names; default: the id is the feed URL. */
  feedUrl?: string;
  /** The raw fetch; every request goes through guardedFetch with `guard`. */
  fetch: FetchLike;
  /** Default: createUrlGuard() with nothing allowed beyond public addresses. */
  guard?: UrlGuard;
  /** Largest feed body read, default 10 MiB: about 9,000 Google-exported events with attendees. */
  maxBytes?: number;
  /** Deadline for one fetch, body included; default 30 s. */
  timeoutMs?: number;
  /** Items per page, default 200. */
  pageSize?: number;
  /** Milliseconds since the epoch, for Retry-After dates; default Date.now. */
  now?: () => number;
}

interface Listing {
  /** Items, then unreadable UIDs; pages cut this one sequence. */
  entries: (RemoteItem | UnreadableItem)[];
  complete: boolean;
  nextCursor: string;
  digest: string;
}

// A pass reads its pages right away; listings it abandoned (a crash, an error mid-pass)
// are dropped oldest first beyond this many.
const HELD_LISTINGS = 8;

export class IcsConnector implements Connector {
  // syncTokens: a cursor lists only what changed, although each changed feed is downloaded whole.
  readonly capabilities: ConnectorCapabilities = { push: false, syncTokens: true, writable: false, conditionalWrites: false, windowed: false, snapshotDiffs: true };
  private readonly client: IcsClient;
  private readonly pageSize: number;
  private readonly listings = new Map<string, Listing>();
  private readonly feedUrl: string | undefined;

  constructor(options: IcsConnectorOptions) {
    this.feedUrl = options.feedUrl;
    this.client = new IcsClient({
      fetch: guardedFetch(options.fetch, options.guard ?? createUrlGuard()),
      maxBytes: options.maxBytes ?? 10 * 1024 * 1024,
      timeoutMs: options.timeoutMs ?? 30_000,
      now: options.now ?? Date.now,
    });
    this.pageSize = options.pageSize ?? 200;
  }

  /**
   * `remoteCalendarId` is the feed URL, or the label of `feedUrl` (`webcal://` is read
   * as `https://`). With a cursor, a conditional GET; 304 means no changes.
   */
  async listChanges(remoteCalendarId: string, cursor: string | null, pageToken?: string): Promise<ChangePage> {
    const url = (this.feedUrl ?? remoteCalendarId).replace(/^webcal:/i, 'https:');
    const feed = describeFeed(url);
    const previous = cursor === null ? null : decodeCursor(cursor);
    if (cursor !== null && previous === null) throw new ConnectorError('cursor-expired', `cursor for ${feed} is not readable; list in full`);
    if (pageToken !== undefined) return this.continueListing(url, feed, previous, pageToken);

    const listing = await this.fetchListing(url, feed, previous, previous);
    if (listing === null) return { items: [], nextPageToken: null, nextCursor: cursor, complete: false };
    return this.page(listing, randomUUID(), 0);
  }

  async create(_remoteCalendarId: string, _series: EventSeries, _options: { calsyncId: CalsyncId }): Promise<WriteResult> {
    throw readOnly(null);
  }

  async update(_remoteCalendarId: string, remoteId: string, _series: EventSeries, _options: { ifMatch: string | null }): Promise<WriteResult> {
    throw readOnly(remoteId);
  }

  async delete(_remoteCalendarId: string, remoteId: string, _options: { ifMatch: string | null }): Promise<void> {
    throw readOnly(remoteId);
  }

  /** null when the server answered 304 to the validators. */
  private async fetchListing(url: string, feed: string, previous: FeedCursor | null, validators: FeedValidators | null): Promise<Listing | null> {
    const response = await this.client.get(url, feed, validators);
    if (!response.modified) return null;
    const read = readFeed(response.body, feed, response.contentType);
    const { items, unreadable } = previous === null ? read : changesSince(read, previous);
    return {
      entries: [...items, ...unreadable],
      complete: previous === null,
      nextCursor: encodeCursor(cursorOf(read, response.validators)),
      digest: listingDigest(read),
    };
  }

  private page(listing: Listing, id: string, offset: number): ChangePage {
    const end = offset + this.pageSize;
    const last = end >= listing.entries.length;
    if (last) this.listings.delete(id);
    else if (!this.listings.has(id)) {
      this.listings.set(id, listing);
      if (this.listings.size > HELD_LISTINGS) this.listings.delete(this.listings.keys().next().value!);
    }
    const entries = listing.entries.slice(offset, end);
    const unreadable = entries.filter((e): e is UnreadableItem => 'reason' in e);
    return {
      items: entries.filter((e): e is RemoteItem => !('reason' in e)),
      ...(unreadable.length > 0 ? { unreadable } : {}),
      nextPageToken: last ? null : `${id}.${end}.${listing.digest}`,
      nextCursor: last ? listing.nextCursor : null,
      complete: listing.complete,
    };
  }

  /**
   * Later pages come from the listing held in memory. Without it (another process, a
   * restart) the feed is fetched again and served only if its content is the same.
   */
  private async continueListing(url: string, feed: string, previous: FeedCursor | null, pageToken: string): Promise<ChangePage> {
    const match = /^([\w-]+)\.(\d+)\.([\w-]+)$/.exec(pageToken);
    if (!match) throw new ConnectorError('permanent', `unknown page token ${pageToken}`);
    const [, id, offsetText, digest] = match as unknown as [string, string, string, string];
    const listing = this.listings.get(id) ?? await this.fetchListing(url, feed, previous, null);
    if (listing === null || listing.digest !== digest) {
      throw new ConnectorError('transient', `${feed} changed while its pages were read; list again from the stored cursor`);
    }
    return this.page(listing, id, Number(offsetText));
  }
}

/**
 * The feed's series. A feed that does not parse as a whole is read UID by UID
 * (split.ts), so one broken VEVENT is one unreadable item; one that cannot even be cut
 * into VEVENTs (an HTML page, an unclosed component) is unreadable as a whole.
 */
function readFeed(body: Uint8Array, feed: string, contentType: string | null): FeedRead {
  try {
    return { items: feedItems(parseCalendar(body)), unreadable: [] };
  } catch (error) {
    if (!(error instanceof CoreError)) throw error;
    const parts = splitFeed(body);
    if (parts === null) throw unreadableFeed(error, feed, contentType);
    return readParts(parts);
  }
}

function readOnly(remoteId: string | null): ConnectorError {
  return new ConnectorError('permanent', 'ICS feeds are read-only', { remoteId });
}

export function createIcsConnector(options: IcsConnectorOptions): IcsConnector {
  return new IcsConnector(options);
}
