// Calendars in Google Calendar v3 shapes and paths (calendars insert/get/update/patch/
// delete, calendarList list/get), scoped to the key's tenant. `primary` names the
// tenant's first calendar (calendar-scope.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isIanaZone } from '../core/timezones.ts';
import { CalsyncError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { createCalendar, deleteCalendar, listCalendars, updateCalendar, type Calendar, type CalendarInput } from '../store/calendars.ts';
import { tenantOf } from './auth.ts';
import { calendarOf } from './calendar-scope.ts';
import { unreadQuery } from './google-parameters.ts';
import { pathParams } from './route-schemas.ts';

function calendarResource(calendar: Calendar): Record<string, unknown> {
  return {
    kind: 'calendar#calendar', etag: calendar.etag, id: calendar.id, summary: calendar.summary,
    description: calendar.description, location: calendar.location, timeZone: calendar.timeZone,
  };
}

function listEntry(calendar: Calendar, primary: boolean): Record<string, unknown> {
  return {
    ...calendarResource(calendar), kind: 'calendar#calendarListEntry', accessRole: 'owner', defaultReminders: [],
    ...(primary ? { primary: true } : {}),
  };
}

const calendarFields = {
  summary: { type: 'string', minLength: 1, maxLength: 1024 },
  description: { type: 'string', maxLength: 8192 },
  location: { type: 'string', maxLength: 1024 },
  timeZone: { type: 'string', maxLength: 64 },
  // Read-only fields a client may send back unchanged (update sends the whole resource).
  kind: { type: 'string' },
  etag: { type: 'string' },
  id: { type: 'string' },
  conferenceProperties: { type: 'object' },
} as const;

const calendarPath = { params: pathParams('calendarId'), querystring: unreadQuery };

const insertBody = { type: 'object', additionalProperties: false, required: ['summary'], properties: calendarFields } as const;
const patchBody = { type: 'object', additionalProperties: false, properties: calendarFields } as const;

function inputOf(body: Partial<CalendarInput>): Partial<CalendarInput> {
  if (body.timeZone !== undefined && !isIanaZone(body.timeZone)) {
    throw new CalsyncError('INVALID_REQUEST', `timeZone ${JSON.stringify(body.timeZone)} is not an IANA time zone name such as Europe/Berlin`, { field: 'timeZone' });
  }
  const { summary, description, location, timeZone } = body;
  return Object.fromEntries(Object.entries({ summary, description, location, timeZone }).filter(([, v]) => v !== undefined));
}

async function isPrimary(db: Db, request: FastifyRequest, calendar: Calendar): Promise<boolean> {
  const [first] = await listCalendars(db, tenantOf(request));
  return first?.id === calendar.id;
}

export function calendarRoutes(app: FastifyInstance, deps: { db: Db }): void {
  app.post('/calendar/v3/calendars', { schema: { querystring: unreadQuery, body: insertBody } }, async (request) => {
    const input = inputOf(request.body as CalendarInput);
    return calendarResource(await createCalendar(deps.db, tenantOf(request), input as CalendarInput));
  });

  app.get<{ Params: { calendarId: string } }>('/calendar/v3/calendars/:calendarId', { schema: calendarPath }, async (request) =>
    calendarResource(await calendarOf(deps.db, request, request.params.calendarId)));

  const change = async (request: FastifyRequest<{ Params: { calendarId: string } }>) => {
    const calendar = await calendarOf(deps.db, request, request.params.calendarId);
    return calendarResource(await updateCalendar(deps.db, tenantOf(request), calendar.id, inputOf(request.body as Partial<CalendarInput>)));
  };
  app.put<{ Params: { calendarId: string } }>('/calendar/v3/calendars/:calendarId', { schema: { ...calendarPath, body: insertBody } }, change);
  app.patch<{ Params: { calendarId: string } }>('/calendar/v3/calendars/:calendarId', { schema: { ...calendarPath, body: patchBody } }, change);

  app.delete<{ Params: { calendarId: string } }>('/calendar/v3/calendars/:calendarId', { schema: calendarPath }, async (request, reply) => {
    const calendar = await calendarOf(deps.db, request, request.params.calendarId);
    await deleteCalendar(deps.db, tenantOf(request), calendar.id);
    return reply.status(204).send();
  });

  app.get('/calendar/v3/users/me/calendarList', { schema: { querystring: unreadQuery } }, async (request) => ({
    kind: 'calendar#calendarList',
    etag: '"calendarList"',
    items: (await listCalendars(deps.db, tenantOf(request))).map((c, i) => listEntry(c, i === 0)),
  }));

  app.get<{ Params: { calendarId: string } }>('/calendar/v3/users/me/calendarList/:calendarId', { schema: calendarPath }, async (request) => {
    const calendar = await calendarOf(deps.db, request, request.params.calendarId);
    return listEntry(calendar, await isPrimary(deps.db, request, calendar));
  });
}
