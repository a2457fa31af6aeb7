// The Google Calendar connector (Calendar API v3): a remote calendar is a Google
// calendar id, an item a whole series under its master's event id. README.md lists
// Google's quirks and what each call costs.
import type { calendar_v3 } from '@googleapis/calendar';
import { calsyncIdOf, type GoogleEvent } from '../../core/google/index.ts';
import type { CalsyncId, EventSeries } from '../../core/model.ts';
import {
  ConnectorError, isConnectorError, type ChangePage, type Connector, type ConnectorCapabilities, type PushChannel, type PushSubscriptions, type RemoteItem, type WriteResult,
} from '../connector.ts';
import { GoogleClient, type GoogleClientOptions } from './client.ts';
import { calsyncIdOfEventId, eventIdOf } from './ids.ts';
import { changesPage, decodeCursor, fullListingPage, PAGE, type HeldListing, type ListingContext } from './listing.ts';
import { isSeriesEtag, itemFromResources, seriesEtag, seriesResources, type SeriesResources } from './map.ts';
import type { ParkedListings } from '../parked-listings.ts';
import { FULL, heldListings } from './pages.ts';
import { stopChannel, watchCalendar } from './subscribe.ts';
import { render, writeSeries, type WriteContext } from './writes.ts';

export { GoogleClient, type GoogleClientOptions, type GoogleCredentials } from './client.ts';
export { googleEndpoints, CALENDAR_SCOPE, type GoogleEndpoints } from './endpoints.ts';
export { eventIdOf } from './ids.ts';

export interface GoogleConnectorOptions extends GoogleClientOptions {
  /** maxResults of events.list (Google allows up to 2500). Default 250, Google's own default. */
  pageSize?: number;
  /** A full listing not continued for this long is dropped and its page token fails. Default 120 s. */
  pageIdleMs?: number;
}

export class GoogleConnector implements Connector, PushSubscriptions {
  readonly capabilities: ConnectorCapabilities = { push: true, syncTokens: true, writable: true, conditionalWrites: true, windowed: false, snapshotDiffs: false };
  readonly client: GoogleClient;
  private readonly pageSize: number;
  private readonly held: ParkedListings<HeldListing>;
  private readonly zones = new Map<string, string>();
  private readonly now: () => number;

  constructor(options: GoogleConnectorOptions) {
    this.client = new GoogleClient(options);
    this.now = options.now ?? Date.now;
    this.pageSize = options.pageSize ?? 250;
    this.held = heldListings(options.pageIdleMs ?? 120_000);
  }

  async listChanges(remoteCalendarId: string, cursor: string | null, pageToken?: string): Promise<ChangePage> {
    const ctx: ListingContext = {
      client: this.client, calendarId: remoteCalendarId, pageSize: this.pageSize, setZone: (zone) => this.zones.set(remoteCalendarId, zone),
    };
    if (cursor === null) {
      let state = null;
      if (pageToken !== undefined) {
        state = pageToken.startsWith(FULL) ? this.held.take(pageToken) : null;
        if (state === null) throw new ConnectorError('transient', `page token ${pageToken} is unknown or was idle too long; list again from the stored cursor`);
      }
      const { next, cursor: nextCursor, ...entries } = await fullListingPage(ctx, state);
      return { ...entries, nextPageToken: next ? this.held.park(next) : null, nextCursor, complete: true };
    }
    const syncToken = decodeCursor(cursor);
    if (syncToken === null) throw new ConnectorError('cursor-expired', `cursor "${cursor.slice(0, 40)}" was not written by the Google connector; list in full`);
    if (pageToken !== undefined && !pageToken.startsWith(PAGE)) throw new ConnectorError('transient', `page token ${pageToken} does not belong to a change listing`);
    return changesPage(ctx, syncToken, pageToken?.slice(PAGE.length), (id, uid, known) => this.readSeries(remoteCalendarId, id, uid, known));
  }

  async create(remoteCalendarId: string, series: EventSeries, options: { calsyncId: CalsyncId }): Promise<WriteResult> {
    const id = eventIdOf(options.calsyncId);
    if (series.master === null) throw new ConnectorError('permanent', `${series.uid} has instances but no recurring event; Google cannot hold exceptions alone`);
    const ctx = await this.writeContext(remoteCalendarId);
    const [master] = render(series, { id, calendarTimeZone: ctx.zone, calsyncId: options.calsyncId });
    // An organizer other than the calendar itself is kept only by events.import (insert
    // and update set the calendar); import also keeps an iCalUID the calendar has, and
    // then answers with that event.
    const imported = series.master.organizer !== null;
    const answer = await this.client.call('create', id, (o) => (imported
      ? this.client.api.events.import({ calendarId: remoteCalendarId, requestBody: master as calendar_v3.Schema$Event }, o)
      : this.client.api.events.insert({ calendarId: remoteCalendarId, sendUpdates: 'none', requestBody: master as calendar_v3.Schema$Event }, o)), [409]);
    // 409 duplicate: the id exists, deleted events included: an earlier attempt landed.
    if (!answer.ok) return this.complete(ctx, id, series, options.calsyncId, null);
    const inserted = answer.data as GoogleEvent;
    if (series.overrides.length === 0) return { remoteId: inserted.id!, etag: inserted.etag!, updatedAt: inserted.updated ?? null };
    // An insert makes a new event; an import may have replaced one with the same iCalUID,
    // exceptions included, so that series is read.
    return this.complete(ctx, inserted.id!, series, options.calsyncId, imported ? null : { master: inserted, exceptions: [] });
  }

  async update(remoteCalendarId: string, remoteId: string, series: EventSeries, options: { ifMatch: string | null }): Promise<WriteResult> {
    const ctx = await this.writeContext(remoteCalendarId);
    const single = series.master !== null && series.master.recurrence === null && series.overrides.length === 0;
    if (single && options.ifMatch !== null && !isSeriesEtag(options.ifMatch)) {
      // A single event with its etag: one PUT, the stamp taken from the id it was created with.
      const [resource] = render(series, { id: remoteId, calendarTimeZone: ctx.zone, calsyncId: calsyncIdOfEventId(remoteId) });
      const answer = await this.client.call('update', remoteId, (o) => this.client.api.events.update(
        { calendarId: remoteCalendarId, eventId: remoteId, sendUpdates: 'none', requestBody: resource as calendar_v3.Schema$Event },
        { ...o, headers: { 'If-Match': options.ifMatch! } }), [400]);
      if (answer.ok) return { remoteId, etag: answer.data.etag!, updatedAt: answer.data.updated ?? null };
      // Only a sequence below Google's is worth a second look (read, then write with Google's).
      if (!/sequence/i.test(answer.error.message)) throw answer.error;
    }
    const current = await this.readSeries(remoteCalendarId, remoteId, series.uid, []);
    if (current.resources.master === null || current.resources.master.status === 'cancelled') {
      throw new ConnectorError('not-found', `Google event ${remoteId} does not exist or was deleted`, { remoteId });
    }
    if (options.ifMatch !== null && seriesEtag(current.resources) !== options.ifMatch) {
      throw new ConnectorError('precondition-failed', `Google event ${remoteId} changed since etag ${options.ifMatch}`, { remoteId });
    }
    return writeSeries(ctx, remoteId, series, current.resources, calsyncIdOf(current.resources.master));
  }

  async delete(remoteCalendarId: string, remoteId: string, options: { ifMatch: string | null }): Promise<void> {
    let etag = options.ifMatch;
    if (etag !== null && isSeriesEtag(etag)) {
      const current = await this.readSeries(remoteCalendarId, remoteId, null, []);
      if (current.resources.master === null || current.resources.master.status === 'cancelled') return;
      if (seriesEtag(current.resources) !== etag) throw new ConnectorError('precondition-failed', `Google event ${remoteId} changed since etag ${etag}`, { remoteId });
      etag = current.resources.master.etag ?? null;
    }
    // Deleting a recurring event deletes its exceptions with it. 410 `deleted`: already
    // gone, which a retry after a lost answer also hears; 404: never there.
    await this.client.call('delete', remoteId, (o) => this.client.api.events.delete(
      { calendarId: remoteCalendarId, eventId: remoteId, sendUpdates: 'none' }, { ...o, ...(etag ? { headers: { 'If-Match': etag } } : {}) }), [404, 410]);
  }

  /** events.get of the event (and, for a recurring one, its exceptions by iCalUID). */
  async read(remoteCalendarId: string, remoteId: string): Promise<RemoteItem> {
    const { resources, zone } = await this.readSeries(remoteCalendarId, remoteId, null, []);
    return itemFromResources(remoteId, resources, zone);
  }

  watch(remoteCalendarId: string, channel: { id: string; token: string; address: string; ttlSeconds: number }): Promise<PushChannel> {
    return watchCalendar(this.client, remoteCalendarId, channel, this.now());
  }

  stopChannel(channel: { id: string; resourceId: string }): Promise<void> {
    return stopChannel(this.client, channel);
  }

  /** Drops full listings left open between pages. */
  async close(): Promise<void> {
    await this.held.closeAll();
  }

  /**
   * A series read whole: its master and every exception, cancelled ones included.
   * With a uid, one events.list by iCalUID (showDeleted); without, or when that does
   * not find the master, events.get of the master first. `known` are resources already
   * read (a change listing's), used when the master is gone.
   */
  private async readSeries(calendarId: string, seriesId: string, uid: string | null, known: GoogleEvent[]): Promise<{ resources: SeriesResources; zone: string }> {
    if (uid !== null) {
      const listed = await this.listByUid(calendarId, uid);
      const resources = seriesResources(seriesId, listed);
      if (resources.master !== null) return { resources, zone: await this.zone(calendarId) };
    }
    const answer = await this.client.call('get', seriesId, (o) => this.client.api.events.get({ calendarId, eventId: seriesId }, o), [404, 410]);
    const zone = await this.zone(calendarId);
    if (!answer.ok) return { resources: seriesResources(seriesId, known), zone };
    const master = answer.data as GoogleEvent;
    if (master.status === 'cancelled' || !(master.recurrence?.length) || !master.iCalUID) return { resources: { master, exceptions: [] }, zone };
    const listed = await this.listByUid(calendarId, master.iCalUID);
    return { resources: seriesResources(seriesId, [master, ...listed]), zone };
  }

  private async listByUid(calendarId: string, uid: string): Promise<GoogleEvent[]> {
    const all: GoogleEvent[] = [];
    let pageToken: string | undefined;
    for (;;) {
      const answer = await this.client.call('list', null, (o) => this.client.api.events.list(
        { calendarId, iCalUID: uid, showDeleted: true, singleEvents: false, maxResults: 2500, ...(pageToken ? { pageToken } : {}) }, o));
      if (!answer.ok) throw answer.error;
      if (answer.data.timeZone) this.zones.set(calendarId, answer.data.timeZone);
      all.push(...((answer.data.items ?? []) as GoogleEvent[]));
      if (!answer.data.nextPageToken) return all;
      pageToken = answer.data.nextPageToken;
    }
  }

  /** The calendar's zone: from the last listing, else calendars.get (once per connector). */
  private async zone(calendarId: string): Promise<string> {
    const known = this.zones.get(calendarId);
    if (known) return known;
    const answer = await this.client.call('calendar', null, (o) => this.client.api.calendars.get({ calendarId }, o));
    if (!answer.ok) throw answer.error;
    const zone = answer.data.timeZone;
    if (!zone) throw new ConnectorError('transient', `Google calendar ${calendarId} has no timeZone`);
    this.zones.set(calendarId, zone);
    return zone;
  }

  private async writeContext(calendarId: string): Promise<WriteContext> {
    return {
      client: this.client, calendarId, zone: await this.zone(calendarId),
      reread: async (seriesId, uid) => (await this.readSeries(calendarId, seriesId, uid, [])).resources,
    };
  }

  /**
   * Brings the series a create started to `series` and answers it as written: after an
   * insert (`known`: what the insert answered), or after a 409 duplicate (an earlier
   * attempt landed, perhaps only in part: read, and if it carries our stamp, restored
   * when it was deleted meanwhile and completed from `series`). A series is several
   * requests; when the answer to one was lost, the client's retry of it meets its own
   * write (a 412, or a sequence below Google's: writes.ts): the series is read again
   * and the rest written, never left half written for a pass to adopt (a missing
   * instance would then read as deleted). A foreign event with the id is
   * `precondition-failed`.
   */
  private async complete(ctx: WriteContext, id: string, series: EventSeries, calsyncId: CalsyncId, known: SeriesResources | null): Promise<WriteResult> {
    let current = known;
    for (let round = 1; ; round++) {
      current ??= await this.ownSeries(ctx, id, series.uid, calsyncId);
      try {
        return await writeSeries(ctx, id, series, current, calsyncId);
      } catch (error) {
        if (!isConnectorError(error, 'precondition-failed')) throw error;
        if (round === CREATE_ROUNDS) {
          throw new ConnectorError('transient', `Google event ${id} kept changing while its create was completed; the create is retried`, { remoteId: id, cause: error });
        }
        current = null;
      }
    }
  }

  /** The series at `id`, refused as `precondition-failed` when it exists without our stamp. */
  private async ownSeries(ctx: WriteContext, id: string, uid: string, calsyncId: CalsyncId): Promise<SeriesResources> {
    const current = await this.readSeries(ctx.calendarId, id, uid, []);
    const master = current.resources.master;
    if (master === null) throw new ConnectorError('transient', `create of ${id} was refused as a duplicate, then nothing was there`, { remoteId: id });
    if (master.status !== 'cancelled' && calsyncIdOf(master) !== calsyncId) {
      throw new ConnectorError('precondition-failed', `Google event ${id} exists without the stamp ${calsyncId}`, { remoteId: id });
    }
    return current.resources;
  }
}

/** Reads and writes of one create before it gives up as `transient` (each round after a 412). */
const CREATE_ROUNDS = 3;

export function createGoogleConnector(options: GoogleConnectorOptions): GoogleConnector {
  return new GoogleConnector(options);
}
