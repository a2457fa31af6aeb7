// events.insert, update, patch, delete, import and move in Google Calendar v3 shapes.
// Every write goes through the canonical store in one transaction with what it causes
// (src/engine/app-writes.ts). Google's rules: client-chosen ids (409 duplicate, also for
// deleted events), If-Match (412 conditionNotMet), a sequence below the current one is
// refused, deleting a deleted event is 410 deleted, deleting an instance cancels it,
// import is deduplicated by iCalUID (an existing event with it is replaced).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CoreError } from '../core/errors.ts';
import { isValidEventId } from '../core/google/index.ts';
import type { CanonicalEvent, EventSeries } from '../core/model.ts';
import { appTransaction, deleteAppSeries, writeAppSeries, type AppScope, type AppWriteDeps } from '../engine/app-writes.ts';
import { CalsyncError } from '../errors.ts';
import type { Calendar } from '../store/calendars.ts';
import type { DbClient } from '../store/db.ts';
import { apiIdOf, lockSeriesVersions, seriesApiIdOf } from '../store/event-writes.ts';
import { appEventByApiId, appEventsByUid } from '../store/app-events.ts';
import { tenantOf } from './auth.ts';
import { calendarOf } from './calendar-scope.ts';
import { eventOfBody, instanceResource, resourceOf, type MasterTerms } from './event-resources.ts';
import { eventTarget, type EventTarget } from './events-targets.ts';
import { seriesRows, type SeriesRows } from './series-instances.ts';
import { moveQuery, unreadQuery } from './google-parameters.ts';
import { pathParams } from './route-schemas.ts';
import type { GoogleEvent } from '../core/google/index.ts';

type Params = { calendarId: string; eventId: string };

/** A write's target (events-targets.ts) and the etag If-Match is checked against. */
type Target = EventTarget & { etag: string };

function badBody(error: unknown): never {
  if (error instanceof CoreError) {
    const code = error.code === 'INVALID_RECURRENCE' ? 'INVALID_RECURRENCE' : 'INVALID_REQUEST';
    throw new CalsyncError(code, `${error.path ? `${error.path}: ` : ''}${error.message}`, error.path ? { field: error.path } : {});
  }
  throw error;
}

function notFound(eventId: string): never {
  throw new CalsyncError('NOT_FOUND', `event ${eventId} not found`, { eventId });
}

function checkIfMatch(request: FastifyRequest, etag: string): void {
  const header = request.headers['if-match'];
  if (header === undefined || header === '*') return;
  const wanted = String(header).split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (!wanted.includes(etag)) throw new CalsyncError('PRECONDITION_FAILED', 'Precondition Failed');
}

/**
 * The event a write is about, read after its series is locked: read first, a pass that
 * commits before this write locks would be overwritten with what was read (its merged
 * field lost), and If-Match would compare against a version that is no longer there.
 */
async function targetOf(db: DbClient, tenantId: string, calendar: Calendar, eventId: string): Promise<Target> {
  const head = (await appEventByApiId(db, tenantId, calendar.id, eventId)) ?? (await appEventByApiId(db, tenantId, calendar.id, seriesApiIdOf(eventId)));
  if (head) await lockSeriesVersions(db, tenantId, calendar.id, [head.seriesId]);
  const target = await eventTarget(db, tenantId, calendar, eventId);
  if (!target) notFound(eventId);
  return { ...target, etag: target.row?.etag ?? target.series.master!.etag };
}

/** The resource of a target as Google shows it now (the base a patch applies to). */
function currentResource(target: Target, calendar: Calendar): GoogleEvent {
  const context = { calendarTimeZone: calendar.timeZone };
  if (target.row) return resourceOf(target.row, target.series.master?.event ?? null, context);
  return instanceResource(target.series.master!, target.instance!, new Map(), context);
}

/** JSON merge: objects merge field by field, arrays and other values replace, null removes. */
function merged(current: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (typeof value === 'object' && !Array.isArray(value) && typeof out[key] === 'object' && out[key] !== null && !Array.isArray(out[key])) {
      out[key] = merged(out[key] as Record<string, unknown>, value as Record<string, unknown>);
    } else out[key] = value;
  }
  return out;
}

function liveOverrides(series: SeriesRows, except: string | null): CanonicalEvent[] {
  return [...series.overrides.values()].filter((o) => !o.deleted && o.event.recurrenceId !== except).map((o) => o.event);
}

/** The series after `body` replaced the target's event. */
function seriesAfter(target: Target, body: Record<string, unknown>, calendar: Calendar): EventSeries {
  const master = target.series.master;
  const current = target.row?.event ?? master!.event;
  let event: CanonicalEvent;
  try {
    event = eventOfBody(body, { calendarTimeZone: calendar.timeZone, master: target.recurrenceId ? (master?.event as MasterTerms | undefined) : undefined });
  } catch (error) {
    badBody(error);
  }
  if (typeof body.sequence === 'number' && body.sequence < current.sequence) {
    throw new CalsyncError('INVALID_SEQUENCE', 'Invalid sequence value. The specified sequence number is below the current sequence number of the resource.');
  }
  // The UID never changes; an absent sequence keeps the current one.
  event = { ...event, uid: current.uid, sequence: typeof body.sequence === 'number' ? body.sequence : current.sequence };
  if (target.recurrenceId !== null) {
    event = { ...event, recurrenceId: target.recurrenceId, recurrence: null };
    const masterEvent = master && !master.deleted && master.kind === 'master' ? master.event : null;
    return { uid: current.uid, master: masterEvent, overrides: [...liveOverrides(target.series, target.recurrenceId), event] };
  }
  if (event.recurrenceId !== null) throw new CalsyncError('INVALID_REQUEST', 'recurringEventId and originalStartTime belong to instances: write an instance by its id', { field: 'recurringEventId' });
  // A master that loses its rule loses its exceptions, as on Google.
  return { uid: current.uid, master: event, overrides: event.recurrence ? liveOverrides(target.series, null) : [] };
}

async function respond(tx: DbClient, tenantId: string, calendar: Calendar, apiId: string): Promise<GoogleEvent> {
  const row = await appEventByApiId(tx, tenantId, calendar.id, apiId);
  return resourceOf(row!, null, { calendarTimeZone: calendar.timeZone });
}

/** An instance after a write: its exception row, whatever form of its id the request used. */
async function respondInstance(tx: DbClient, tenantId: string, calendar: Calendar, seriesId: string, recurrenceId: string): Promise<GoogleEvent> {
  const series = (await seriesRows(tx, tenantId, calendar.id, seriesId))!;
  return resourceOf(series.overrides.get(recurrenceId)!, series.master?.event ?? null, { calendarTimeZone: calendar.timeZone });
}

function objectBody(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new CalsyncError('INVALID_REQUEST', 'the body must be a JSON object (an Event resource)');
  return body as Record<string, unknown>;
}

const uniqueViolation = '23505';

// The Event body is read by the core's Google mapping, which refuses what Google refuses
// and keeps what a schema would have to list twice (route-schemas.ts).
const readByMapping = { bodyReadBy: 'the core\'s Google mapping (src/core/google, via event-resources.ts)' };
const inCalendar = { params: pathParams('calendarId'), querystring: unreadQuery };
const atEvent = { params: pathParams('calendarId', 'eventId'), querystring: unreadQuery };

/**
 * A DELETE has no body, but some HTTP clients send `Content-Type: application/json`
 * with it anyway, and Google answers such a delete as any other; Fastify would refuse
 * the empty JSON body with 400. Without a body the type describes nothing, so it goes.
 */
async function ignoreEmptyBodyType(request: FastifyRequest): Promise<void> {
  const length = request.headers['content-length'];
  if (request.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) delete request.headers['content-type'];
}

export function eventWriteRoutes(app: FastifyInstance, deps: AppWriteDeps): void {
  const scopeOf = (request: FastifyRequest, calendar: Calendar): AppScope => ({ tenantId: tenantOf(request), calendarId: calendar.id });

  app.post<{ Params: { calendarId: string } }>('/calendar/v3/calendars/:calendarId/events', { schema: inCalendar, config: readByMapping }, async (request) => {
    const calendar = await calendarOf(deps.db, request, request.params.calendarId);
    const scope = scopeOf(request, calendar);
    const body = objectBody(request);
    const apiId = body.id === undefined ? null : String(body.id);
    if (apiId !== null && !isValidEventId(apiId)) {
      throw new CalsyncError('INVALID_REQUEST', 'Invalid resource id value: ids use the characters a-v and 0-9 and are 5 to 1024 long', { field: 'id' });
    }
    // A valid base32hex id, but GET …/events/stream is the calendar's event stream: such an event could not be read.
    if (apiId === 'stream') throw new CalsyncError('INVALID_REQUEST', 'the event id "stream" is reserved (GET …/events/stream is the event stream): choose another id', { field: 'id' });
    if (body.recurringEventId !== undefined) throw new CalsyncError('INVALID_REQUEST', 'an exception is made by updating its instance (see events.instances), not by insert', { field: 'recurringEventId' });
    let event: CanonicalEvent;
    try {
      event = eventOfBody({ ...body, iCalUID: body.iCalUID ?? `${apiId ?? 'pending'}@calsync` }, { calendarTimeZone: calendar.timeZone });
    } catch (error) {
      badBody(error);
    }
    return appTransaction(deps, async (tx) => {
      if (apiId !== null && (await appEventByApiId(tx, scope.tenantId, calendar.id, apiId))) throw new CalsyncError('DUPLICATE', 'The requested identifier already exists.');
      if (body.iCalUID !== undefined && (await appEventsByUid(tx, scope.tenantId, calendar.id, event.uid)).length > 0) {
        throw new CalsyncError('DUPLICATE', 'The requested identifier already exists: an event with this iCalUID is in the calendar (events.import replaces it).');
      }
      const seriesId = crypto.randomUUID();
      const id = apiId ?? apiIdOf(seriesId);
      const uid = body.iCalUID === undefined ? `${id}@calsync` : event.uid;
      await writeAppSeries(tx, scope, { eventId: seriesId, apiId: id, series: { uid, master: { ...event, uid }, overrides: [] } })
        .catch((error: { code?: string }) => { throw error.code === uniqueViolation ? new CalsyncError('DUPLICATE', 'The requested identifier already exists.') : error; });
      return { result: await respond(tx, scope.tenantId, calendar, id), changed: [scope] };
    });
  });

  const replace = async (request: FastifyRequest<{ Params: Params }>, patch: boolean): Promise<GoogleEvent> => {
    const calendar = await calendarOf(deps.db, request, request.params.calendarId);
    const scope = scopeOf(request, calendar);
    const body = objectBody(request);
    return appTransaction(deps, async (tx) => {
      const target = await targetOf(tx, scope.tenantId, calendar, request.params.eventId);
      checkIfMatch(request, target.etag);
      const full = patch ? merged(currentResource(target, calendar) as Record<string, unknown>, body) : body;
      const series = seriesAfter(target, full, calendar);
      const seriesId = target.series.rows[0]!.seriesId;
      const written = await writeAppSeries(tx, scope, { eventId: seriesId, series, writeExtras: true });
      const result = target.recurrenceId !== null
        ? await respondInstance(tx, scope.tenantId, calendar, seriesId, target.recurrenceId)
        : await respond(tx, scope.tenantId, calendar, request.params.eventId);
      return { result, changed: written.changed > 0 ? [scope] : [] };
    });
  };
  app.put<{ Params: Params }>('/calendar/v3/calendars/:calendarId/events/:eventId', { schema: atEvent, config: readByMapping }, (request) => replace(request, false));
  app.patch<{ Params: Params }>('/calendar/v3/calendars/:calendarId/events/:eventId', { schema: atEvent, config: readByMapping }, (request) => replace(request, true));

  app.delete<{ Params: Params }>('/calendar/v3/calendars/:calendarId/events/:eventId', { schema: atEvent, onRequest: ignoreEmptyBodyType }, async (request, reply) => {
    const calendar = await calendarOf(deps.db, request, request.params.calendarId);
    const scope = scopeOf(request, calendar);
    await appTransaction(deps, async (tx) => {
      const target = await targetOf(tx, scope.tenantId, calendar, request.params.eventId);
      checkIfMatch(request, target.etag);
      const gone = (target.row?.deleted ?? false) || target.row?.event.status === 'cancelled';
      if (gone) throw new CalsyncError('DELETED', 'Resource has been deleted');
      if (target.recurrenceId === null) {
        await deleteAppSeries(tx, scope, target.series.rows[0]!.seriesId);
        return { result: null, changed: [scope] };
      }
      // Deleting one instance cancels it: an exception with status cancelled.
      const current = currentResource(target, calendar) as Record<string, unknown>;
      const series = seriesAfter(target, { ...current, status: 'cancelled' }, calendar);
      await writeAppSeries(tx, scope, { eventId: target.series.rows[0]!.seriesId, series });
      return { result: null, changed: [scope] };
    });
    return reply.status(204).send();
  });

  app.post<{ Params: { calendarId: string } }>('/calendar/v3/calendars/:calendarId/events/import', { schema: inCalendar, config: readByMapping }, async (request) => {
    const calendar = await calendarOf(deps.db, request, request.params.calendarId);
    const scope = scopeOf(request, calendar);
    const body = objectBody(request);
    if (typeof body.iCalUID !== 'string' || body.iCalUID.trim() === '') throw new CalsyncError('INVALID_REQUEST', 'Missing iCalUID: events.import needs the event\'s iCalUID', { field: 'iCalUID' });
    if (body.recurringEventId !== undefined) throw new CalsyncError('INVALID_REQUEST', 'import a recurring event as its master with its recurrence; exceptions are written through their instances', { field: 'recurringEventId' });
    let event: CanonicalEvent;
    try {
      event = eventOfBody(body, { calendarTimeZone: calendar.timeZone });
    } catch (error) {
      badBody(error);
    }
    return appTransaction(deps, async (tx) => {
      const existing = (await appEventsByUid(tx, scope.tenantId, calendar.id, event.uid)).find((r) => r.kind !== 'override');
      if (existing) {
        // The same iCalUID again replaces the event rather than adding a second copy.
        const target = await targetOf(tx, scope.tenantId, calendar, existing.apiId);
        const written = await writeAppSeries(tx, scope, { eventId: existing.seriesId, series: seriesAfter(target, body, calendar), writeExtras: true });
        return { result: await respond(tx, scope.tenantId, calendar, existing.apiId), changed: written.changed > 0 ? [scope] : [] };
      }
      const seriesId = crypto.randomUUID();
      await writeAppSeries(tx, scope, { eventId: seriesId, series: { uid: event.uid, master: event, overrides: [] } });
      return { result: await respond(tx, scope.tenantId, calendar, apiIdOf(seriesId)), changed: [scope] };
    });
  });

  app.post<{ Params: Params; Querystring: { destination?: string } }>('/calendar/v3/calendars/:calendarId/events/:eventId/move', {
    schema: { params: pathParams('calendarId', 'eventId'), querystring: moveQuery }, config: { bodyReadBy: 'nothing: events.move has no body' },
  }, async (request) => {
    const source = await calendarOf(deps.db, request, request.params.calendarId);
    if (!request.query.destination) throw new CalsyncError('INVALID_REQUEST', 'Required parameter: destination', { parameter: 'destination' });
    const destination = await calendarOf(deps.db, request, request.query.destination);
    const from = scopeOf(request, source);
    const to = scopeOf(request, destination);
    return appTransaction(deps, async (tx) => {
      const target = await targetOf(tx, from.tenantId, source, request.params.eventId);
      if (target.recurrenceId !== null || !target.row || target.row.deleted) throw new CalsyncError('INVALID_REQUEST', 'only a whole event (not an instance or a deleted event) can be moved', { parameter: 'eventId' });
      if (source.id === destination.id) return { result: await respond(tx, from.tenantId, source, target.row.apiId), changed: [] };
      if (await appEventByApiId(tx, to.tenantId, destination.id, target.row.apiId)) throw new CalsyncError('DUPLICATE', 'The requested identifier already exists in the destination calendar.');
      const series: EventSeries = { uid: target.row.event.uid, master: target.row.event, overrides: liveOverrides(target.series, null) };
      await writeAppSeries(tx, to, { eventId: crypto.randomUUID(), apiId: target.row.apiId, series })
        .catch((error: { code?: string }) => { throw error.code === uniqueViolation ? new CalsyncError('DUPLICATE', 'the destination calendar has an event with this iCalUID') : error; });
      await deleteAppSeries(tx, from, target.row.seriesId);
      return { result: await respond(tx, to.tenantId, destination, target.row.apiId), changed: [from, to] };
    });
  });
}
