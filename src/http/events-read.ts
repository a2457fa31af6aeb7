// events.list, events.get and events.instances in Google Calendar v3 shapes. A listing
// reads up to the calendar version it started at: that version is the nextSyncToken of
// its last page (only the last page has one), and a later page reads the same snapshot.
// All three write times in the zone of their `timeZone` parameter, if one is given.
import type { FastifyInstance } from 'fastify';
import type { GoogleEvent } from '../core/google/index.ts';
import { CalsyncError } from '../errors.ts';
import type { Calendar } from '../store/calendars.ts';
import type { Db } from '../store/db.ts';
import {
  appSeriesRows, calendarVersions, keyOf, listAppEvents, type AppEvent, type AppEventQuery,
} from '../store/app-events.ts';
import { calendarOf } from './calendar-scope.ts';
import { inResponseZone, instanceResource, resourceOf, type ResourceContext } from './event-resources.ts';
import { readListParams, responseZone, type ListParams } from './list-params.ts';
import { decodePageToken, decodeSyncToken, encodePageToken, encodeSyncToken, queryDigest } from './tokens.ts';
import { tenantOf } from './auth.ts';
import type { TokenSigner } from './token-signing.ts';
import { eventTarget } from './events-targets.ts';
import { listInstances, seriesOf, type TruncatedSeries } from './series-instances.ts';
import { getQuery, instancesQuery, listQuery } from './google-parameters.ts';
import { pathParams } from './route-schemas.ts';

export interface EventReadDeps {
  db: Db;
  /** How long sync tokens stay valid: the tombstone horizon (default 30 days). */
  syncTokenMs: number;
  tokens: TokenSigner;
  now(): Date;
}

type Query = Record<string, string | string[] | undefined>;

/**
 * A page of events; `timeZone` stays the calendar's ("The time zone of the calendar"), the
 * items are written in `zone`. Series whose instances were cut short are named in
 * `calsync.truncated` (Google's Events resource has no member for it; clients ignore it).
 */
function listEnvelope(calendar: Calendar, items: GoogleEvent[], next: { nextPageToken?: string; nextSyncToken?: string }, zone: string | null, truncated: TruncatedSeries[] = []): object {
  return {
    kind: 'calendar#events', etag: calendar.etag, summary: calendar.summary, description: calendar.description,
    updated: calendar.updatedAt.toISOString(), timeZone: calendar.timeZone, accessRole: 'owner', defaultReminders: [],
    ...next, items: items.map((item) => inResponseZone(item, zone)),
    ...(truncated.length > 0 ? { calsync: { truncated } } : {}),
  };
}

/** The parameters a page token is tied to: every one that shapes the result. */
function digestOf(params: ListParams): string {
  const { pageToken: _, maxResults: __, ...shaping } = params;
  return queryDigest(shaping);
}

export function eventReadRoutes(app: FastifyInstance, deps: EventReadDeps): void {
  app.get<{ Params: { calendarId: string }; Querystring: Query }>('/calendar/v3/calendars/:calendarId/events', {
    schema: { params: pathParams('calendarId'), querystring: listQuery },
  }, async (request) => {
    const calendar = await calendarOf(deps.db, request, request.params.calendarId);
    const params = readListParams(request.query);
    const tenantId = tenantOf(request);
    const versions = (await calendarVersions(deps.db, tenantId, calendar.id))!;
    const context: ResourceContext = { calendarTimeZone: calendar.timeZone };
    const digest = digestOf(params);
    const page = params.pageToken === null ? null : decodePageToken(deps.tokens, calendar.id, params.pageToken, digest);
    const since = page ? page.since : params.syncToken === null ? null
      : decodeSyncToken(deps.tokens, calendar.id, params.syncToken, deps.now().getTime(), deps.syncTokenMs, versions.minVersion).version;
    const upTo = page?.upTo ?? versions.version;
    const more = (after: Array<string | number>) => ({ nextPageToken: encodePageToken(deps.tokens, calendar.id, { query: digest, upTo, since, after }) });
    const last = () => ({ nextSyncToken: encodeSyncToken(deps.tokens, calendar.id, { version: upTo, issuedAt: deps.now().getTime() }) });

    if (params.singleEvents) {
      const listed = await listInstances(deps.db, tenantId, calendar, params, { since, upTo, after: page?.after ?? [] }, deps.now());
      return listEnvelope(calendar, listed.items, listed.after ? more(listed.after) : last(), params.timeZone, listed.truncated);
    }
    const order: AppEventQuery['order'] = params.orderBy === 'updated' ? 'updated' : 'version';
    const { events, more: hasMore } = await listAppEvents(deps.db, tenantId, calendar.id, {
      since, upTo, showDeleted: params.showDeleted, order, after: page?.after ?? [], limit: params.maxResults,
      ...(params.iCalUID !== null ? { iCalUID: params.iCalUID } : {}),
      ...(params.q !== null ? { terms: params.q.split(/\s+/).filter(Boolean) } : {}),
      ...(params.properties.length > 0 ? { properties: params.properties } : {}),
      ...(params.updatedMin !== null ? { updatedMin: params.updatedMin } : {}),
      ...(params.timeMin !== null ? { timeMin: params.timeMin } : {}),
      ...(params.timeMax !== null ? { timeMax: params.timeMax } : {}),
    });
    const masters = await mastersOf(deps.db, tenantId, calendar.id, events);
    const items = events.map((e) => resourceOf(e, masters.get(e.seriesId)?.event ?? null, context));
    return listEnvelope(calendar, items, hasMore ? more(keyOf(events.at(-1)!, order)) : last(), params.timeZone);
  });

  app.get<{ Params: { calendarId: string; eventId: string }; Querystring: Query }>('/calendar/v3/calendars/:calendarId/events/:eventId', {
    schema: { params: pathParams('calendarId', 'eventId'), querystring: getQuery },
  }, async (request) => {
    const zone = responseZone(request.query);
    const calendar = await calendarOf(deps.db, request, request.params.calendarId);
    const context: ResourceContext = { calendarTimeZone: calendar.timeZone };
    const target = await eventTarget(deps.db, tenantOf(request), calendar, request.params.eventId);
    if (!target) throw new CalsyncError('NOT_FOUND', `event ${request.params.eventId} not found`, { eventId: request.params.eventId });
    const { series, row, instance } = target;
    const resource = row
      ? resourceOf(row, row.kind === 'override' ? series.master?.event ?? null : null, context)
      : instanceResource(series.master!, instance!, series.overrides, context);
    return inResponseZone(resource, zone);
  });

  app.get<{ Params: { calendarId: string; eventId: string }; Querystring: Query }>('/calendar/v3/calendars/:calendarId/events/:eventId/instances', {
    schema: { params: pathParams('calendarId', 'eventId'), querystring: instancesQuery },
  }, async (request) => {
    const zone = responseZone(request.query);
    const calendar = await calendarOf(deps.db, request, request.params.calendarId);
    const tenantId = tenantOf(request);
    const series = await seriesOf(deps.db, tenantId, calendar, request.params.eventId);
    if (!series || series.master?.apiId !== request.params.eventId) {
      throw new CalsyncError('NOT_FOUND', `event ${request.params.eventId} not found`, { eventId: request.params.eventId });
    }
    const params = readListParams({ ...request.query, singleEvents: 'true', orderBy: 'startTime' });
    const digest = digestOf(params);
    const page = params.pageToken === null ? null : decodePageToken(deps.tokens, calendar.id, params.pageToken, `${digest}:${request.params.eventId}`);
    const listed = await listInstances(deps.db, tenantId, calendar, params, { since: null, upTo: Number.MAX_SAFE_INTEGER, after: page?.after ?? [] }, deps.now(), series);
    return {
      ...(listEnvelope(calendar, listed.items, {}, zone, listed.truncated) as object),
      ...(listed.after ? { nextPageToken: encodePageToken(deps.tokens, calendar.id, { query: `${digest}:${request.params.eventId}`, upTo: 0, since: null, after: listed.after }) } : {}),
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
