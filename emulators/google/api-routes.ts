// The Calendar API v3 routes a sync connector uses, at Google's paths under
// /calendar/v3 (the official client builds `${rootUrl}calendar/v3/…`).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Channels } from './channels.ts';
import { googleErrors } from './errors.ts';
import type { EventLists, Query } from './events-list.ts';
import type { EventService, WriteContext } from './events.ts';
import { render } from './resources.ts';
import type { CalendarRecord, EmulatorStore } from './store.ts';
import { checkZone } from './times.ts';

interface Deps {
  store: EmulatorStore;
  events: EventService;
  lists: EventLists;
  channels: Channels;
}

type Params = { calendarId: string; eventId: string };

const SEND_UPDATES = ['all', 'externalOnly', 'none'];

/** `sendUpdates` as sent (recorded for tests); the deprecated sendNotifications as all/none. */
function writeContext(request: FastifyRequest): WriteContext {
  const q = request.query as Query;
  const sendUpdates = typeof q.sendUpdates === 'string' ? q.sendUpdates : undefined;
  if (sendUpdates !== undefined && !SEND_UPDATES.includes(sendUpdates)) throw googleErrors.invalid(`Invalid value for: sendUpdates`, 'sendUpdates');
  const legacy = q.sendNotifications === undefined ? null : q.sendNotifications === 'true' ? 'all' : 'none';
  const ifMatch = request.headers['if-match'];
  return { sendUpdates: sendUpdates ?? legacy, ifMatch: typeof ifMatch === 'string' ? ifMatch : null };
}

/** The zone answers write times in: the timeZone parameter, else the calendar's. */
function zoneOf(request: FastifyRequest, calendar: CalendarRecord): string {
  const zone = (request.query as Query).timeZone;
  return typeof zone === 'string' ? checkZone(zone, 'timeZone') : calendar.timeZone;
}

export function calendarListEntry(calendar: CalendarRecord): Record<string, unknown> {
  return {
    kind: 'calendar#calendarListEntry', etag: `"${calendar.seq}"`, id: calendar.id, summary: calendar.summary,
    ...(calendar.description !== undefined ? { description: calendar.description } : {}),
    timeZone: calendar.timeZone, colorId: '14', backgroundColor: '#9fe1e7', foregroundColor: '#000000', selected: true,
    accessRole: 'owner', defaultReminders: [], ...(calendar.primary ? { primary: true } : {}),
    conferenceProperties: { allowedConferenceSolutionTypes: ['hangoutsMeet'] },
  };
}

export function calendarResource(calendar: CalendarRecord): Record<string, unknown> {
  return {
    kind: 'calendar#calendar', etag: `"${calendar.seq}"`, id: calendar.id, summary: calendar.summary,
    ...(calendar.description !== undefined ? { description: calendar.description } : {}),
    timeZone: calendar.timeZone, conferenceProperties: { allowedConferenceSolutionTypes: ['hangoutsMeet'] },
  };
}

/** The root the emulator answers on, for resourceUri (the request's own scheme and host). */
export const rootUrlOf = (request: FastifyRequest): string => `${request.protocol}://${request.host}`;

export function apiRoutes(app: FastifyInstance, deps: Deps): void {
  const { store, events, lists, channels } = deps;
  const base = '/calendar/v3';

  app.get(`${base}/users/me/calendarList`, async () => ({
    kind: 'calendar#calendarList', etag: `"${store.seq}"`,
    items: [...store.calendars.values()].map(calendarListEntry),
  }));
  app.get<{ Params: Params }>(`${base}/users/me/calendarList/:calendarId`, async (request) => calendarListEntry(store.calendar(request.params.calendarId)));
  app.get<{ Params: Params }>(`${base}/calendars/:calendarId`, async (request) => calendarResource(store.calendar(request.params.calendarId)));
  app.post(`${base}/calendars`, async (request) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (typeof body.summary !== 'string' || body.summary === '') throw googleErrors.required('Missing summary.');
    const calendar = store.addCalendar({
      summary: body.summary,
      ...(typeof body.description === 'string' ? { description: body.description } : {}),
      ...(typeof body.timeZone === 'string' ? { timeZone: body.timeZone } : {}),
    });
    return calendarResource(calendar);
  });

  app.get<{ Params: Params }>(`${base}/calendars/:calendarId/events`, async (request) =>
    lists.list(store.calendar(request.params.calendarId), request.query as Query));

  app.post<{ Params: Params }>(`${base}/calendars/:calendarId/events`, async (request) => {
    const calendar = store.calendar(request.params.calendarId);
    return render(events.insert(calendar, request.body, writeContext(request)), calendar, zoneOf(request, calendar));
  });

  app.post<{ Params: Params }>(`${base}/calendars/:calendarId/events/import`, async (request) => {
    const calendar = store.calendar(request.params.calendarId);
    return render(events.import(calendar, request.body, writeContext(request)), calendar, zoneOf(request, calendar));
  });

  app.post<{ Params: Params }>(`${base}/calendars/:calendarId/events/watch`, async (request) =>
    channels.watch(store.calendar(request.params.calendarId), request.body, rootUrlOf(request)));

  app.get<{ Params: Params }>(`${base}/calendars/:calendarId/events/:eventId`, async (request, reply) => {
    const calendar = store.calendar(request.params.calendarId);
    const event = events.get(calendar, request.params.eventId);
    // guides/version-resources, conditional retrieval: "Otherwise you will get a 304 (Not Modified)".
    const ifNoneMatch = request.headers['if-none-match'];
    if (typeof ifNoneMatch === 'string' && ifNoneMatch.split(',').map((t) => t.trim()).includes(event.etag!)) {
      return reply.code(304).send();
    }
    return render(event, calendar, zoneOf(request, calendar));
  });

  app.put<{ Params: Params }>(`${base}/calendars/:calendarId/events/:eventId`, async (request) => {
    const calendar = store.calendar(request.params.calendarId);
    return render(events.update(calendar, request.params.eventId, request.body, writeContext(request)), calendar, zoneOf(request, calendar));
  });

  app.patch<{ Params: Params }>(`${base}/calendars/:calendarId/events/:eventId`, async (request) => {
    const calendar = store.calendar(request.params.calendarId);
    return render(events.patch(calendar, request.params.eventId, request.body, writeContext(request)), calendar, zoneOf(request, calendar));
  });

  // events.delete: "If successful, this method returns an empty response body" (204).
  app.delete<{ Params: Params }>(`${base}/calendars/:calendarId/events/:eventId`, async (request, reply) => {
    events.delete(store.calendar(request.params.calendarId), request.params.eventId, writeContext(request));
    return reply.code(204).send();
  });

  app.get<{ Params: Params }>(`${base}/calendars/:calendarId/events/:eventId/instances`, async (request) =>
    lists.instances(store.calendar(request.params.calendarId), request.params.eventId, request.query as Query));

  app.post(`${base}/channels/stop`, async (request, reply) => {
    channels.stop(request.body);
    return reply.code(204).send();
  });
}
