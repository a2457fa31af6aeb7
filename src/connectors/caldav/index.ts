// The CalDAV connector (RFC 4791, RFC 6578): a remote calendar is a calendar collection,
// an item is one resource (master plus overrides), its remote id the resource's href
// path. README.md lists what each server does differently.
import type { CalsyncId, EventSeries } from '../../core/model.ts';
import {
  ConnectorError, type ChangePage, type Connector, type ConnectorCapabilities, type RemoteItem, type UnreadableItem, type WriteResult,
} from '../connector.ts';
import { boundedText, DavClient, type DavCredentials } from './client.ts';
import { decodeCursor } from './cursor.ts';
import { conditionsOf } from './errors.ts';
import { etagChanges, fullListing, syncChanges, type ListingContext } from './listing.ts';
import { deletedItem, hrefStamp, isUnreadable, itemFromResource, lastModified, memberName, propertyStamp, renderResource, stampOf } from './map.ts';
import type { ParkedListings } from '../parked-listings.ts';
import { readMember, verifiedEtag, type MemberText } from './member.ts';
import { listingPages, type Listing } from './pages.ts';

export { discoverCalendars, type DiscoveredCalendar, type Discovery } from './discover.ts';

export interface CalDavConnectorOptions extends DavCredentials {
  /** The server (or any URL on it); remote calendar ids are resolved against it. */
  serverUrl: string;
  /** Origins the login may be sent to (discovery's `origins`); default the server URL's alone. */
  origins?: readonly string[];
  fetch?: typeof fetch;
  /** Epoch milliseconds: DTSTAMP of written events that kept none, Retry-After dates. */
  now?: () => number;
  /** Items per page of listChanges; bounds the bodies held at once. Default 100. */
  pageSize?: number;
  /** hrefs per calendar-multiget. Default 100. */
  multigetBatch?: number;
  /** A listing not continued for this long is closed and its page token dropped. Default 120 s. */
  pageIdleMs?: number;
  /** Milliseconds until response headers arrive. Default 60 s. */
  requestTimeoutMs?: number;
  /** False reads by ctag and etags even where the server offers sync-collection. Default true. */
  useSyncCollection?: boolean;
}

const ICS = { 'content-type': 'text/calendar; charset=utf-8' };

export class CalDavConnector implements Connector {
  readonly capabilities: ConnectorCapabilities = { push: false, syncTokens: true, writable: true, conditionalWrites: true, windowed: false, snapshotDiffs: true };
  private readonly client: DavClient;
  private readonly serverUrl: URL;
  private readonly pageSize: number;
  private readonly pages: ParkedListings<Listing>;
  private readonly options: CalDavConnectorOptions;

  constructor(options: CalDavConnectorOptions) {
    this.options = options;
    this.serverUrl = new URL(options.serverUrl);
    this.client = new DavClient(options, options.origins ?? [this.serverUrl.origin]);
    this.pageSize = options.pageSize ?? 100;
    this.pages = listingPages(options.pageIdleMs ?? 120_000);
  }

  async listChanges(remoteCalendarId: string, cursor: string | null, pageToken?: string): Promise<ChangePage> {
    const listing = pageToken === undefined ? this.open(remoteCalendarId, cursor) : this.pages.take(pageToken);
    if (listing === null) {
      throw new ConnectorError('transient', `page token ${pageToken} is unknown or was idle too long; list again from the stored cursor`);
    }
    const items: RemoteItem[] = [];
    const unreadable: UnreadableItem[] = [];
    const page = (nextPageToken: string | null, nextCursor: string | null): ChangePage =>
      ({ items, ...(unreadable.length > 0 ? { unreadable } : {}), nextPageToken, nextCursor, complete: cursor === null });
    try {
      while (items.length + unreadable.length < this.pageSize) {
        const next = await listing.next();
        if (next.done) return page(null, next.value);
        if (isUnreadable(next.value)) unreadable.push(next.value);
        else items.push(next.value);
      }
    } catch (error) {
      await listing.return('').catch(() => undefined);
      throw error;
    }
    return page(this.pages.park(listing), null);
  }

  /**
   * Radicale keeps a history of deleted members for as long as its sync tokens live
   * (30 days by default) and compares a token's state against it, so an item made after a
   * token and deleted since is reported. Its tokens say so: http://radicale.org/ns/sync/.
   * Other servers' tokens and calsync's etag cursors are differences of two snapshots.
   */
  keepsDeletionsSince(cursor: string): boolean {
    const decoded = decodeCursor(cursor);
    return decoded?.kind === 'sync' && decoded.token.startsWith('http://radicale.org/ns/sync/');
  }

  async create(remoteCalendarId: string, series: EventSeries, options: { calsyncId: CalsyncId }): Promise<WriteResult> {
    const url = new URL(memberName(options.calsyncId), this.collectionUrl(remoteCalendarId));
    const remoteId = url.pathname;
    const body = renderResource(series, propertyStamp(options.calsyncId, remoteId), this.dtstamp());
    const response = await this.client.send('PUT', url, { headers: { ...ICS, 'if-none-match': '*' }, body, operation: 'create' });
    if (response.ok && response.status !== 207) return { remoteId, etag: await this.etagAfterWrite(response, remoteCalendarId, url, body) };
    const text = await boundedText(response);
    if (response.status === 412 && conditionsOf(text).length === 0) return this.adopt(remoteCalendarId, url, options.calsyncId);
    throw await this.client.failure(response, 'create', url, remoteId, text);
  }

  async update(remoteCalendarId: string, remoteId: string, series: EventSeries, options: { ifMatch: string | null }): Promise<WriteResult> {
    const url = this.itemUrl(remoteCalendarId, remoteId);
    if (options.ifMatch !== null && hrefStamp(remoteId) !== null) {
      // The href carries the stamp and If-Match guards the rest: no read first. A 412
      // also answers a resource deleted meanwhile; the next listing shows which.
      const body = renderResource(series, null, this.dtstamp());
      const response = await this.client.send('PUT', url, { headers: { ...ICS, 'if-match': options.ifMatch }, body, operation: 'update' });
      if (response.ok && response.status !== 207) return { remoteId, etag: await this.etagAfterWrite(response, remoteCalendarId, url, body) };
      throw await this.client.failure(response, 'update', url, remoteId);
    }
    // The stamp is kept from what the server holds (an X-CALSYNC-ID the href does not
    // carry): update's arguments do not carry it.
    const current = await this.get(remoteCalendarId, url, 'update');
    if (current === null) throw new ConnectorError('not-found', `no CalDAV resource ${remoteId}`, { remoteId });
    if (options.ifMatch !== null && options.ifMatch !== current.etag) {
      throw new ConnectorError('precondition-failed', `etag of ${remoteId} is ${current.etag}, not ${options.ifMatch}`, { remoteId });
    }
    const body = renderResource(series, propertyStamp(stampOf(current.text, remoteId), remoteId), this.dtstamp());
    // Without ifMatch the etag just read guards the stamp; Radicale refuses `If-Match: *` on PUT.
    const response = await this.client.send('PUT', url, { headers: { ...ICS, 'if-match': options.ifMatch ?? current.etag }, body, operation: 'update' });
    if (response.ok && response.status !== 207) return { remoteId, etag: await this.etagAfterWrite(response, remoteCalendarId, url, body) };
    throw await this.client.failure(response, 'update', url, remoteId);
  }

  async delete(remoteCalendarId: string, remoteId: string, options: { ifMatch: string | null }): Promise<void> {
    const url = this.itemUrl(remoteCalendarId, remoteId);
    const headers: Record<string, string> = options.ifMatch === null ? {} : { 'if-match': options.ifMatch };
    const response = await this.client.send('DELETE', url, { headers, operation: 'delete' });
    if ((response.ok && response.status !== 207) || response.status === 404 || response.status === 410) {
      await response.body?.cancel();
      return;
    }
    const text = await boundedText(response);
    // RFC 9110 §13.1.1 lets If-Match fail on a resource that is gone: then it is deleted.
    if (response.status === 412 && (await this.get(remoteCalendarId, url, 'delete')) === null) return;
    throw await this.client.failure(response, 'delete', url, remoteId, text);
  }

  async read(remoteCalendarId: string, remoteId: string): Promise<RemoteItem> {
    const url = this.itemUrl(remoteCalendarId, remoteId);
    const current = await this.get(remoteCalendarId, url, 'read');
    if (current === null) return deletedItem(remoteId);
    return itemFromResource(remoteId, current.etag, current.text, current.lastModified);
  }

  /** Closes listings left open between pages. */
  async close(): Promise<void> {
    await this.pages.closeAll();
  }

  private open(remoteCalendarId: string, cursor: string | null): Listing {
    const ctx: ListingContext = {
      client: this.client,
      collection: this.collectionUrl(remoteCalendarId),
      batchSize: this.options.multigetBatch ?? 100,
      useSyncCollection: this.options.useSyncCollection ?? true,
    };
    if (cursor === null) return fullListing(ctx);
    const decoded = decodeCursor(cursor);
    if (decoded === null) return refuse(new ConnectorError('cursor-expired', `cursor "${cursor.slice(0, 40)}" was not written by the CalDAV connector; list in full`));
    return decoded.kind === 'sync' ? syncChanges(ctx, decoded.token, decoded.probe) : etagChanges(ctx, cursor, decoded);
  }

  /**
   * A 412 on create: the deterministic href exists. Ours (same stamp: the href's, unless
   * an X-CALSYNC-ID says otherwise) is the item created before.
   */
  private async adopt(remoteCalendarId: string, url: URL, calsyncId: CalsyncId): Promise<WriteResult> {
    const remoteId = url.pathname;
    const current = await this.get(remoteCalendarId, url, 'create');
    if (current === null) throw new ConnectorError('transient', `create of ${remoteId} was refused as existing, then nothing was there`, { remoteId });
    if (stampOf(current.text, remoteId) === calsyncId) return { remoteId, etag: current.etag };
    throw new ConnectorError('precondition-failed', `${remoteId} exists without the stamp ${calsyncId}`, { remoteId });
  }

  /**
   * The member by GET; when the answer has no ETag, by calendar-multiget instead, so its
   * etag and text are of one version (member.ts).
   */
  private async get(remoteCalendarId: string, url: URL, operation: 'create' | 'update' | 'delete' | 'read'): Promise<(MemberText & { lastModified: string | null }) | null> {
    const response = await this.client.send('GET', url, { operation });
    if (response.status === 404 || response.status === 410) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) throw await this.client.failure(response, operation, url, url.pathname);
    const etag = response.headers.get('etag');
    const modified = lastModified(response.headers.get('last-modified'));
    if (etag !== null) return { etag, text: await response.text(), lastModified: modified };
    await response.body?.cancel();
    const member = await readMember(this.client, this.collectionUrl(remoteCalendarId), url);
    return member === null ? null : { ...member, lastModified: null };
  }

  /**
   * Radicale 3.1 and Xandikos 0.2.8 answer PUT with the ETag of what they stored after
   * rewriting it; for a server that leaves it out, member.ts reads it and checks that it
   * is the etag of what was PUT.
   */
  private async etagAfterWrite(response: Response, remoteCalendarId: string, url: URL, body: string): Promise<string> {
    await response.body?.cancel();
    return response.headers.get('etag') ?? verifiedEtag(this.client, this.collectionUrl(remoteCalendarId), url, body);
  }

  private collectionUrl(remoteCalendarId: string): URL {
    const url = new URL(remoteCalendarId, this.serverUrl);
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    return url;
  }

  /** Item requests stay on the calendar's origin, whatever the remote id says. */
  private itemUrl(remoteCalendarId: string, remoteId: string): URL {
    const collection = this.collectionUrl(remoteCalendarId);
    const url = new URL(remoteId, collection);
    if (url.origin !== collection.origin) throw new ConnectorError('permanent', `remote id ${remoteId} is not on ${collection.origin}`, { remoteId });
    return url;
  }

  private dtstamp(): string {
    return new Date((this.options.now ?? Date.now)()).toISOString();
  }
}

/** A listing that fails on its first read, so open() stays synchronous. */
async function* refuse(error: ConnectorError): Listing {
  throw error;
}

export function createCalDavConnector(options: CalDavConnectorOptions): CalDavConnector {
  return new CalDavConnector(options);
}
