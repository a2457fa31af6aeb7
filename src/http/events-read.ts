// events.list, events.get and events.instances in Google Calendar v3 shapes. A listing
// reads up to the calendar version it started at: that version is the nextSyncToken of
// its last page (only the last page has one), and a later page reads the same snapshot.
import type { FastifyInstance } from 'fastify';
import { expandSeries, type Instance } from '../core/ical/index.ts';
import { CalsyncError } from '../errors.ts';
import type { Calendar } from '../store/calendars.ts';
import type { Db } from '../store/db.ts';
import { seriesApiIdOf } from '../store/event-writes.ts';
import {
  appEventByApiId, appSeriesRows, calendarVersions, keyOf, listAppEvents, type AppEvent, type AppEventQuery,
} from '../store/app-events.ts';
import { calendarOf } from './calendar-scope.ts';
import { instanceResource, resourceOf, type ResourceContext } from './event-resources.ts';
import { readListParams, type ListParams } from './list-params.ts';
import { decodePageToken, decodeSyncToken, encodePageToken, encodeSyncToken, queryDigest } from './tokens.ts';
import { tenantOf } from './auth.ts';
import { listInstances, seriesOf, type SeriesRows } from './series-instances.ts';

export interface EventReadDeps {
  db: Db;
  /** How long sync tokens stay valid: the tombstone horizon (default 30 days). */
  syncTokenMs: number;
  now(): Date;
}

type Query = Record<string, string | string[] | undefined>;

function listEnvelope(calendar: Calendar, items: object[], next: { nextPageToken?: string; nextSyncToken?: string }): object {
  return {
    kind: 'calendar#events', etag: calendar.etag, summary: calendar.summary, description: calendar.description,
    updated: calendar.updatedAt.toISOString(), timeZone: calendar.timeZone, accessRole: 'owner', defaultReminders: [],
    ...next, items,
  };
}

/** The parameters a page token is tied to: every one that shapes the result. */
function digestOf(params: ListParams): string {
  const { pageToken: _, maxResults: __, ...shaping } = params;
  return queryDigest(shaping);
}

export function eventReadRoutes(app: FastifyInstance, deps: EventReadDeps): void {
  app.get<{ Params: { calendarId: string }; Querystring: Query }>('/calendar/v3/calendars/:calendarId/events', async (request) => {
    const calendar = await calendarOf(deps.db, request, request.params.calendarId);
    const params = readListParams(request.query);
    const tenantId = tenantOf(request);
    const versions = (await calendarVersions(deps.db, tenantId, calendar.id))!;
    const context: ResourceContext = { calendarTimeZone: calendar.timeZone };
    const digest = digestOf(params);
    const page = params.pageToken === null ? null : decodePageToken(calendar.id, params.pageToken, digest);
    const since = page ? page.since : params.syncToken === null ? null
      : decodeSyncToken(calendar.id, params.syncToken, deps.now().getTime(), deps.syncTokenMs, versions.minVersion).version;
    const upTo = page?.upTo ?? versions.version;
    const more = (after: Array<string | number>) => ({ nextPageToken: encodePageToken(calendar.id, { query: digest, upTo, since, after }) });
    const last = () => ({ nextSyncToken: encodeSyncToken(calendar.id, { version: upTo, issuedAt: deps.now().getTime() }) });

    if (params.singleEvents) {
      const listed = await listInstances(deps.db, tenantId, calendar, params, { since, upTo, after: page?.after ?? [] }, deps.now());
      return listEnvelope(calendar, listed.items, listed.after ? more(listed.after) : last());
    }
    const order: AppEventQuery['order'] = params.orderBy === 'updated' ? 'updated' : 'version';
    const { events, more: hasMore } = await listAppEvents(deps.db, tenantId, calendar.id, {
      since, upTo, showDeleted: params.showDeleted, order, after: page?.after ?? [], limit: params.maxResults,
      ...(params.iCalUID !== null ? { iCalUID: params.iCalUID } : {}),
      ...(params.q !== null ? { terms: params.q.split(/\s+/).filter(Boolean) } : {}),
      ...(params.updatedMin !== null ? { updatedMin: params.updatedMin } : {}),
      ...(params.timeMin !== null ? { timeMin: params.timeMin } : {}),
      ...(params.timeMax !== null ? { timeMax: params.timeMax } : {}),
    });
    const masters = await mastersOf(deps.db, tenantId, calendar.id, events);
    const items = events.map((e) => resourceOf(e, masters.get(e.seriesId)?.event ?? null, context));
    return listEnvelope(calendar, items, hasMore ? more(keyOf(events.at(-1)!, order)) : last());
  });

  app.get<{ Params: { calendarId: string; eventId: string } }>('/calendar/v3/calendars/:calendarId/events/:eventId', async (request) => {
    const calendar = await calendarOf(deps.db, request, request.params.calendarId);
    const tenantId = tenantOf(request);
    const context: ResourceContext = { calendarTimeZone: calendar.timeZone };
    const row = await appEventByApiId(deps.db, tenantId, calendar.id, request.params.eventId);
    if (row) {
      const master = row.kind === 'override' ? await appEventByApiId(deps.db, tenantId, calendar.id, seriesApiIdOf(row.apiId)) : null;
      return resourceOf(row, master?.event ?? null, context);
    }
    // An instance the master generates has no row of its own until it is changed.
    const series = await seriesOf(deps.db, tenantId, calendar, seriesApiIdOf(request.params.eventId));
    const instance = series && findInstance(series, request.params.eventId, calendar.timeZone);
    if (!series || !instance) throw new CalsyncError('NOT_FOUND', `event ${request.params.eventId} not found`, { eventId: request.params.eventId });
    return instanceResource(series.master!, instance, series.overrides, context);
  });

  app.get<{ Params: { calendarId: string; eventId: string }; Querystring: Query }>('/calendar/v3/calendars/:calendarId/events/:eventId/instances', async (request) => {
    const calendar = await calendarOf(deps.db, request, request.params.calendarId);
    const tenantId = tenantOf(request);
    const series = await seriesOf(deps.db, tenantId, calendar, request.params.eventId);
    if (!series || series.master?.apiId !== request.params.eventId) {
      throw new CalsyncError('NOT_FOUND', `event ${request.params.eventId} not found`, { eventId: request.params.eventId });
    }
    const params = readListParams({ ...request.query, singleEvents: 'true', orderBy: 'startTime' });
    const digest = digestOf(params);
    const page = params.pageToken === null ? null : decodePageToken(calendar.id, params.pageToken, `${digest}:${request.params.eventId}`);
    const listed = await listInstances(deps.db, tenantId, calendar, params, { since: null, upTo: Number.MAX_SAFE_INTEGER, after: page?.after ?? [] }, deps.now(), series);
    return {
      ...(listEnvelope(calendar, listed.items, {}) as object),
      ...(listed.after ? { nextPageToken: encodePageToken(calendar.id, { query: `${digest}:${request.params.eventId}`, upTo: 0, since: null, after: listed.after }) } : {}),
    };
  });
}

/** The masters of the exceptions among `events`, for their originalStartTime terms. */
async function mastersOf(db: Db, tenantId: string, calendarId: string, events: AppEvent[]): Promise<Map<string, AppEvent>> {
  const masters = new Map<string, AppEvent>();
  for (const e of events) if (e.kind !== 'override') masters.set(e.seriesId, e);
  for (const e of events) {
    if (e.kind !== 'override' || masters.has(e.seriesId)) continue;
    const master = (await appSeriesRows(db, tenantId, calendarId, e.seriesId)).find((r) => r.kind === 'master');
    if (master) masters.set(e.seriesId, master);
  }
  return masters;
}

/** The generated instance an instance id names, if the series has one at that start. */
function findInstance(series: SeriesRows, instanceId: string, calendarTimeZone: string): Instance | null {
  const master = series.master;
  if (!master || master.kind !== 'master' || master.deleted) return null;
  const suffix = instanceId.slice(seriesApiIdOf(instanceId).length + 1);
  const local = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2}))?$/.exec(suffix);
  if (!local) return null;
  const recurrenceId = local[4] ? `${local[1]}-${local[2]}-${local[3]}T${local[4]}:${local[5]}:${local[6]}` : `${local[1]}-${local[2]}-${local[3]}`;
  // Expand a day around the instance: it exists when the rule generates that start.
  const day = Date.parse(`${recurrenceId.slice(0, 10)}T00:00:00Z`);
  const { instances } = expandSeries({ uid: master.event.uid, master: master.event, overrides: [] }, {
    from: new Date(day - 2 * 86_400_000).toISOString(), to: new Date(day + 3 * 86_400_000).toISOString(), defaultZone: calendarTimeZone,
  });
  return instances.find((i) => i.recurrenceId === recurrenceId) ?? null;
}
