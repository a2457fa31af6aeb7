// The Microsoft Graph connector (Outlook and Microsoft 365 calendars, Graph v1.0): a
// remote calendar is a Graph calendar id, an item a whole series under its master's id
// (a lone event under its own). README.md lists Graph's quirks and how each is met.
import { contentHash } from '../../core/hash.ts';
import type { CalsyncId, EventSeries } from '../../core/model.ts';
import {
  ConnectorError, isConnectorError, type ChangePage, type Connector, type ConnectorCapabilities, type PushChannel, type PushSubscriptions, type RemoteItem, type WriteResult,
} from '../connector.ts';
import { GraphClient, type GraphClientOptions } from './client.ts';
import { deltaPage, listingWindow, readSeriesNow, type ListingContext, type ListingWindow } from './listing.ts';
import { isUnreadable } from './map.ts';
import type { GraphEvent } from './types.ts';
import { renewSubscription, stopSubscription, watchCalendar } from './subscribe.ts';
import { findStamped, getMaster, keepDefaultReminder, plan, postMaster, resultOf, writeInstances } from './writes.ts';

export { GraphClient, GRAPH_SCOPES, microsoftEndpoints, type GraphClientOptions, type GraphEndpoints, type MicrosoftCredentials } from './client.ts';

export interface MicrosoftConnectorOptions extends GraphClientOptions {
  /** `Prefer: odata.maxpagesize` of delta pages (a hint to Graph). Default 50. */
  pageSize?: number;
  /** The zone floating times and all-day dates without one are written in. Default UTC. */
  calendarTimeZone?: string;
  /** The listing window, in whole months around now. Default 12 back, 24 ahead. */
  window?: { monthsBack: number; monthsAhead: number };
}

const isSeriesEtag = (etag: string): boolean => etag.startsWith('series:');

export class MicrosoftConnector implements Connector, PushSubscriptions {
  readonly capabilities: ConnectorCapabilities = { push: true, syncTokens: true, writable: true, conditionalWrites: true, windowed: true, snapshotDiffs: false };
  readonly client: GraphClient;
  private readonly now: () => number;
  /**
   * The stamp last seen on each item this connector listed or wrote. Graph's `@removed`
   * carries only an id, so a deletion names its stamp only when it came through this
   * instance; after a restart it comes with none and is matched by its remote id.
   */
  private readonly stamps = new Map<string, string>();

  constructor(private readonly options: MicrosoftConnectorOptions) {
    this.client = new GraphClient(options);
    this.now = options.now ?? Date.now;
  }

  /** The window listings cover now (ISO instants). */
  window(): ListingWindow {
    return listingWindow(this.now(), this.options.window?.monthsBack, this.options.window?.monthsAhead);
  }

  listChanges(remoteCalendarId: string, cursor: string | null, pageToken?: string): Promise<ChangePage> {
    return deltaPage(this.context(remoteCalendarId), cursor, pageToken);
  }

  async create(remoteCalendarId: string, series: EventSeries, options: { calsyncId: CalsyncId }): Promise<WriteResult> {
    if (series.master === null) throw new ConnectorError('permanent', `${series.uid} has instances but no master; Graph cannot hold exceptions alone`);
    const ctx = this.context(remoteCalendarId);
    const write = plan(series, ctx.calendarTimeZone, options.calsyncId, null);
    // A create retried after a lost answer, or after the transactionId was forgotten:
    // the item stamped with this calsync id is the one to complete.
    const master = (await findStamped(ctx, options.calsyncId)) ?? (await postMaster(ctx, write.master!, options.calsyncId));
    this.stamps.set(master.id!, options.calsyncId);
    const kept = await keepDefaultReminder(ctx, series, master);
    await writeInstances(ctx, master.id!, write);
    return resultOf(ctx, kept);
  }

  async update(remoteCalendarId: string, remoteId: string, series: EventSeries, options: { ifMatch: string | null }): Promise<WriteResult> {
    if (series.master === null) throw new ConnectorError('permanent', `${series.uid} has instances but no master; Graph cannot hold exceptions alone`, { remoteId });
    const ctx = this.context(remoteCalendarId);
    const ifMatch = await this.masterEtag(ctx, remoteId, options.ifMatch);
    const write = plan(series, ctx.calendarTimeZone, this.stamps.get(remoteId) ?? null, remoteId);
    // The stamp is left out when not known here: a PATCH keeps members it does not name.
    const url = `/me/calendars/${encodeURIComponent(remoteCalendarId)}/events/${encodeURIComponent(remoteId)}`;
    const answer = await this.client.request({
      operation: 'update', method: 'PATCH', url, body: write.master, remoteId, expected: [412], ...(ifMatch === null ? {} : { headers: { 'if-match': ifMatch } }),
    });
    let master = answer.body as GraphEvent;
    if (answer.status === 412) {
      // A retry after a lost answer meets its own write: the master holds what was sent.
      const current = answer.afterLostAnswer ? await readSeriesNow(ctx, remoteId) : null;
      const landed = current !== null && !isUnreadable(current) && !current.deleted && current.series.master !== null
        && contentHash({ uid: series.uid, master: current.series.master, overrides: [] }) === contentHash({ uid: series.uid, master: series.master, overrides: [] });
      if (!landed) throw new ConnectorError('precondition-failed', `Graph event ${remoteId} changed since etag ${options.ifMatch}`, { remoteId });
      master = (await getMaster(ctx, remoteId))!;
    }
    const kept = await keepDefaultReminder(ctx, series, master);
    await writeInstances(ctx, remoteId, write);
    return resultOf(ctx, kept);
  }

  async delete(remoteCalendarId: string, remoteId: string, options: { ifMatch: string | null }): Promise<void> {
    const ctx = this.context(remoteCalendarId);
    let ifMatch: string | null;
    try {
      ifMatch = await this.masterEtag(ctx, remoteId, options.ifMatch);
    } catch (error) {
      if (isConnectorError(error, 'not-found')) return;
      throw error;
    }
    // Deleting a master deletes its occurrences and exceptions. 404: gone already, which
    // a retry after a lost answer also hears.
    await this.client.request({
      operation: 'delete', method: 'DELETE', url: `/me/calendars/${encodeURIComponent(remoteCalendarId)}/events/${encodeURIComponent(remoteId)}`,
      remoteId, expected: [404], ...(ifMatch === null ? {} : { headers: { 'if-match': ifMatch } }),
    });
  }

  async read(remoteCalendarId: string, remoteId: string): Promise<RemoteItem> {
    const item = await readSeriesNow(this.context(remoteCalendarId), remoteId);
    if (item === null) return { remoteId, etag: null, deleted: true, series: null, calsyncId: this.stamps.get(remoteId) ?? null, updatedAt: null };
    if (isUnreadable(item)) throw new ConnectorError('permanent', item.reason, { remoteId });
    return item;
  }

  watch(remoteCalendarId: string, channel: { id: string; token: string; address: string; ttlSeconds: number }): Promise<PushChannel> {
    return watchCalendar(this.client, remoteCalendarId, channel, this.now());
  }

  stopChannel(channel: { id: string; resourceId: string }): Promise<void> {
    return stopSubscription(this.client, channel);
  }

  /** PATCHes the subscription's expiry; null when Graph no longer knows it (watch again). */
  renew(channel: PushChannel, ttlSeconds: number): Promise<PushChannel | null> {
    return renewSubscription(this.client, channel, ttlSeconds, this.now());
  }

  /**
   * The If-Match to send to the master. A lone event's etag is its own `@odata.etag`;
   * a series etag covers the exceptions too, so the series is read and compared, and
   * the master's current etag sent (a change in between still answers 412).
   */
  private async masterEtag(ctx: ListingContext, remoteId: string, ifMatch: string | null): Promise<string | null> {
    if (ifMatch === null || !isSeriesEtag(ifMatch)) return ifMatch;
    const current = await readSeriesNow(ctx, remoteId);
    if (current === null || (!isUnreadable(current) && current.deleted)) throw new ConnectorError('not-found', `Graph event ${remoteId} does not exist`, { remoteId });
    if (current.etag !== ifMatch) throw new ConnectorError('precondition-failed', `Graph event ${remoteId} changed since etag ${ifMatch}`, { remoteId });
    const master = await getMaster(ctx, remoteId);
    if (master === null) throw new ConnectorError('not-found', `Graph event ${remoteId} does not exist`, { remoteId });
    return master['@odata.etag'] ?? null;
  }

  private context(calendarId: string): ListingContext {
    return {
      client: this.client, calendarId, calendarTimeZone: this.options.calendarTimeZone ?? 'UTC', pageSize: this.options.pageSize ?? 50,
      window: this.window(), stamps: this.stamps,
    };
  }
}

export function createMicrosoftConnector(options: MicrosoftConnectorOptions): MicrosoftConnector {
  return new MicrosoftConnector(options);
}
