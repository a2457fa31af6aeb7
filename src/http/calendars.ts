// Calendars in Google Calendar v3 shapes and paths, scoped to the key's tenant.
import type { FastifyInstance } from 'fastify';
import type { Db } from '../store/db.ts';
import { createCalendar, deleteCalendar, getCalendar, listCalendars, type Calendar } from '../store/calendars.ts';
import { tenantOf } from './auth.ts';

function calendarResource(calendar: Calendar): object {
  return {
    kind: 'calendar#calendar', etag: calendar.etag, id: calendar.id, summary: calendar.summary,
    description: calendar.description, location: calendar.location, timeZone: calendar.timeZone,
  };
}

const calendarBody = {
  type: 'object',
  additionalProperties: false,
  required: ['summary'],
  properties: {
    summary: { type: 'string', minLength: 1, maxLength: 1024 },
    description: { type: 'string', maxLength: 8192 },
    location: { type: 'string', maxLength: 1024 },
    timeZone: { type: 'string', maxLength: 64 },
    kind: { type: 'string' },
  },
} as const;

export function calendarRoutes(app: FastifyInstance, deps: { db: Db }): void {
  app.post('/calendar/v3/calendars', { schema: { body: calendarBody } }, async (request) => {
    const body = request.body as { summary: string; description?: string; location?: string; timeZone?: string };
    return calendarResource(await createCalendar(deps.db, tenantOf(request), body));
  });

  app.get<{ Params: { calendarId: string } }>('/calendar/v3/calendars/:calendarId', async (request) =>
    calendarResource(await getCalendar(deps.db, tenantOf(request), request.params.calendarId)));

  app.delete<{ Params: { calendarId: string } }>('/calendar/v3/calendars/:calendarId', async (request, reply) => {
    await deleteCalendar(deps.db, tenantOf(request), request.params.calendarId);
    return reply.status(204).send();
  });

  app.get('/calendar/v3/users/me/calendarList', async (request) => ({
    kind: 'calendar#calendarList',
    items: (await listCalendars(deps.db, tenantOf(request))).map((c) => ({ ...calendarResource(c), kind: 'calendar#calendarListEntry', accessRole: 'owner' })),
  }));
}
