// Bookable resources of the key's tenant (src/store/resources.ts) and their availability
// (src/engine/bookings.ts): free slots of one resource, or of several at once (all free,
// or any free), answered from calsync's own store, which the bindings keep current.
import type { FastifyInstance } from 'fastify';
import { WEEKDAYS } from '../core/availability.ts';
import { availability, maxAvailabilityDays, type Availability } from '../engine/bookings.ts';
import { withTransaction, type Db } from '../store/db.ts';
import { createResource, deleteResource, getResource, listResources, updateResource, type Resource, type ResourceInput } from '../store/resources.ts';
import { adminTags, errorAnswer, nullableString, uuidString } from './admin-schemas.ts';
import { tenantOf } from './auth.ts';
import { noParameters, pathParams } from './route-schemas.ts';

export interface AdminResourcesDeps {
  db: Db;
  now: () => Date;
}

const interval = { type: 'array', minItems: 2, maxItems: 2, items: { type: 'string', maxLength: 5 } } as const;
const workingHours = {
  type: 'object', additionalProperties: false,
  description: 'Wall-clock intervals by weekday in the resource\'s time zone, e.g. {"monday": [["09:00", "12:00"], ["13:00", "17:00"]]}; "24:00" ends at midnight; a day left out is closed. Default: Monday to Friday, 09:00 to 17:00.',
  properties: Object.fromEntries(WEEKDAYS.map((d) => [d, { type: 'array', maxItems: 24, items: interval }])),
} as const;

const rules = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  timeZone: { type: 'string', maxLength: 64, description: 'IANA name; working hours are read in it. Default UTC.' },
  email: { type: 'string', maxLength: 320, nullable: true, description: 'The resource\'s address among events\' attendees: an event it declined leaves its time free.' },
  bookingCalendarId: { ...uuidString, nullable: true, description: 'The calendar confirmed bookings become events in (its busy time counts too). Null: bookings stay in calsync.' },
  busyCalendarIds: { type: 'array', maxItems: 50, items: uuidString, description: 'Calendars whose busy time counts against the resource.' },
  workingHours,
  bufferBeforeMinutes: { type: 'integer', minimum: 0, maximum: 1440 },
  bufferAfterMinutes: { type: 'integer', minimum: 0, maximum: 1440 },
  minimumNoticeMinutes: { type: 'integer', minimum: 0, maximum: 525_600 },
  horizonDays: { type: 'integer', minimum: 1, maximum: 730 },
  slotMinutes: { type: 'integer', minimum: 5, maximum: 1440 },
} as const;

const resource = {
  type: 'object',
  properties: {
    id: { type: 'string' }, name: { type: 'string' }, timeZone: { type: 'string' }, email: nullableString, bookingCalendarId: nullableString,
    busyCalendarIds: { type: 'array', items: { type: 'string' } }, workingHours: { type: 'object', additionalProperties: true },
    bufferBeforeMinutes: { type: 'integer' }, bufferAfterMinutes: { type: 'integer' }, minimumNoticeMinutes: { type: 'integer' },
    horizonDays: { type: 'integer' }, slotMinutes: { type: 'integer' },
    createdAt: { type: 'string', format: 'date-time' }, updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const slots = {
  type: 'object',
  properties: {
    timeMin: { type: 'string' }, timeMax: { type: 'string' }, durationMinutes: { type: 'integer' },
    slots: { type: 'array', items: { type: 'object', properties: { start: { type: 'string' }, end: { type: 'string' }, resourceIds: { type: 'array', items: { type: 'string' } } } } },
  },
} as const;

const window = {
  timeMin: { type: 'string', maxLength: 64, description: 'RFC 3339 instant with an offset.' },
  timeMax: { type: 'string', maxLength: 64, description: `RFC 3339 instant with an offset; at most ${maxAvailabilityDays} days after timeMin.` },
  durationMinutes: { type: 'integer', minimum: 5, maximum: 1440, description: 'Length of the slots asked for; default the (first) resource\'s slot length.' },
  stepMinutes: { type: 'integer', minimum: 5, maximum: 1440, description: 'Slots start this far apart from each working interval\'s start; default the duration.' },
} as const;

const notFound = errorAnswer('No such resource for this tenant.');
const invalid = errorAnswer('A value out of range, an unknown time zone or malformed working hours; nothing was changed.');
const calendarNotFound = errorAnswer('A calendar the tenant does not have, or (for a change) no such resource; nothing was changed.');

export function resourceView(r: Resource): object {
  return {
    id: r.id, name: r.name, timeZone: r.timeZone, email: r.email, bookingCalendarId: r.bookingCalendarId, busyCalendarIds: r.busyCalendarIds,
    workingHours: r.workingHours, bufferBeforeMinutes: r.bufferBeforeMinutes, bufferAfterMinutes: r.bufferAfterMinutes,
    minimumNoticeMinutes: r.minimumNoticeMinutes, horizonDays: r.horizonDays, slotMinutes: r.slotMinutes,
    createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(),
  };
}

function availabilityView(a: Availability): object {
  const iso = (ms: number) => new Date(ms).toISOString();
  return { timeMin: iso(a.from), timeMax: iso(a.to), durationMinutes: a.durationMinutes, slots: a.slots.map((s) => ({ start: iso(s.start), end: iso(s.end), resourceIds: s.resourceIds })) };
}

export function adminResourceRoutes(app: FastifyInstance, deps: AdminResourcesDeps): void {
  app.post<{ Body: ResourceInput }>('/admin/v1/resources', {
    schema: {
      summary: 'Create a bookable resource (a person, a room) with its booking rules and calendars', tags: adminTags, querystring: noParameters,
      body: { type: 'object', additionalProperties: false, required: ['name'], properties: rules },
      response: { 201: resource, 400: invalid, 404: calendarNotFound },
    },
  }, async (request, reply) => {
    const made = await withTransaction(deps.db, (tx) => createResource(tx, tenantOf(request), request.body));
    return reply.code(201).send(resourceView(made));
  });

  app.get('/admin/v1/resources', {
    schema: { summary: 'List the tenant\'s resources (at most 1,000, by name)', tags: adminTags, querystring: noParameters, response: { 200: { type: 'object', properties: { items: { type: 'array', items: resource } } } } },
  }, async (request) => ({ items: (await listResources(deps.db, tenantOf(request))).map(resourceView) }));

  app.get<{ Params: { resourceId: string } }>('/admin/v1/resources/:resourceId', {
    schema: { summary: 'One resource', tags: adminTags, params: pathParams('resourceId'), querystring: noParameters, response: { 200: resource, 404: notFound } },
  }, async (request) => resourceView(await getResource(deps.db, tenantOf(request), request.params.resourceId)));

  app.patch<{ Params: { resourceId: string }; Body: ResourceInput }>('/admin/v1/resources/:resourceId', {
    schema: {
      summary: 'Change a resource\'s rules or calendars (bookings already made keep the buffers they were made with)', tags: adminTags,
      params: pathParams('resourceId'), querystring: noParameters,
      body: { type: 'object', additionalProperties: false, minProperties: 1, properties: rules },
      response: { 200: resource, 400: invalid, 404: calendarNotFound },
    },
  }, async (request) => resourceView(await withTransaction(deps.db, (tx) => updateResource(tx, tenantOf(request), request.params.resourceId, request.body))));

  app.delete<{ Params: { resourceId: string } }>('/admin/v1/resources/:resourceId', {
    schema: {
      summary: 'Delete a resource and its past bookings\' records (refused while it has bookings still to come)', tags: adminTags,
      params: pathParams('resourceId'), querystring: noParameters,
      response: { 204: { type: 'null' }, 404: notFound, 409: errorAnswer('It has held or confirmed bookings still to come (RESOURCE_IN_USE); nothing was changed.') },
    },
  }, async (request, reply) => {
    await withTransaction(deps.db, (tx) => deleteResource(tx, tenantOf(request), request.params.resourceId, deps.now()));
    return reply.code(204).send();
  });

  app.post<{ Params: { resourceId: string }; Body: { timeMin: string; timeMax: string; durationMinutes?: number; stepMinutes?: number } }>('/admin/v1/resources/:resourceId/availability', {
    schema: {
      summary: 'Free slots of one resource: its working hours less its calendars\' busy time and its bookings, with buffers, notice and horizon', tags: adminTags,
      params: pathParams('resourceId'), querystring: noParameters,
      body: { type: 'object', additionalProperties: false, required: ['timeMin', 'timeMax'], properties: window },
      response: { 200: slots, 400: errorAnswer('Malformed or empty window, or one too long.'), 404: notFound },
    },
  }, async (request) => availabilityView(await availability(deps, tenantOf(request), { ...request.body, resourceIds: [request.params.resourceId], mode: 'all' })));

  app.post<{ Body: { resourceIds: string[]; mode?: 'all' | 'any'; timeMin: string; timeMax: string; durationMinutes?: number; stepMinutes?: number } }>('/admin/v1/availability', {
    schema: {
      summary: 'Free slots of several resources: where all are free (a meeting), or where any is (a pool), naming the free ones', tags: adminTags,
      querystring: noParameters,
      body: {
        type: 'object', additionalProperties: false, required: ['resourceIds', 'timeMin', 'timeMax'],
        properties: { resourceIds: { type: 'array', minItems: 1, maxItems: 50, items: uuidString }, mode: { type: 'string', enum: ['all', 'any'] }, ...window },
      },
      response: { 200: slots, 400: errorAnswer('Malformed or empty window, or one too long.'), 404: errorAnswer('A resource the tenant does not have.') },
    },
  }, async (request) => availabilityView(await availability(deps, tenantOf(request), { ...request.body, mode: request.body.mode ?? 'all' })));
}
