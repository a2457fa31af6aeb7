// Busy mirror rules of the key's tenant (src/engine/busy-mirrors.ts): make one, list,
// read, remove. Removing a rule deletes its blocks as events, so every binding of the
// target calendar deletes them at its provider too.
import type { FastifyInstance } from 'fastify';
import { createMirror, removeMirror, type MirrorDeps } from '../engine/busy-mirrors.ts';
import { getMirror, listMirrors, type BusyMirror, type MirrorInput } from '../store/busy-mirrors.ts';
import { adminTags, errorAnswer, nullableString, uuidString } from './admin-schemas.ts';
import { tenantOf } from './auth.ts';
import { noParameters, pathParams } from './route-schemas.ts';

export type AdminMirrorsDeps = MirrorDeps;

const rule = {
  sourceCalendarId: { ...uuidString, description: 'The calendar whose busy time is mirrored.' },
  targetCalendarId: { ...uuidString, description: 'The calendar the blocks are written to (and, through its bindings, its providers).' },
  title: { type: 'string', minLength: 1, maxLength: 200, description: 'The blocks\' title; "{summary}" stands for the source event\'s title. Default "Busy".' },
  includeLocation: { type: 'boolean', description: 'Copy the source\'s location. Default false.' },
  includeDescription: { type: 'boolean', description: 'Copy the source\'s description. Default false.' },
  includeAttendees: { type: 'boolean', description: 'List the source\'s attendees in the block\'s description (never as attendees: providers would invite them). Default false.' },
  markTentative: { type: 'boolean', description: 'A tentative source makes a tentative block. Default true.' },
  ownerEmail: { type: 'string', maxLength: 320, nullable: true, description: 'The source calendar owner\'s address: an event this attendee declined is left out.' },
} as const;

const mirror = {
  type: 'object',
  properties: {
    id: { type: 'string' }, sourceCalendarId: { type: 'string' }, targetCalendarId: { type: 'string' }, title: { type: 'string' },
    includeLocation: { type: 'boolean' }, includeDescription: { type: 'boolean' }, includeAttendees: { type: 'boolean' }, markTentative: { type: 'boolean' },
    ownerEmail: nullableString, createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

const notFound = errorAnswer('No such busy mirror for this tenant.');

export function mirrorView(m: BusyMirror): object {
  return {
    id: m.id, sourceCalendarId: m.sourceCalendarId, targetCalendarId: m.targetCalendarId, title: m.title, includeLocation: m.includeLocation,
    includeDescription: m.includeDescription, includeAttendees: m.includeAttendees, markTentative: m.markTentative, ownerEmail: m.ownerEmail,
    createdAt: m.createdAt.toISOString(),
  };
}

export function adminMirrorRoutes(app: FastifyInstance, deps: AdminMirrorsDeps): void {
  app.post<{ Body: MirrorInput }>('/admin/v1/mirrors', {
    schema: {
      summary: 'Mirror the busy time of one calendar into another as blocks that carry only what the rule allows', tags: adminTags, querystring: noParameters,
      body: { type: 'object', additionalProperties: false, required: ['sourceCalendarId', 'targetCalendarId'], properties: rule },
      response: {
        201: mirror, 400: errorAnswer('The same calendar as source and target, a title out of range or a malformed address; nothing was changed.'),
        404: errorAnswer('A calendar the tenant does not have; nothing was changed.'),
        409: errorAnswer('The two calendars already have a rule in this direction (MIRROR_EXISTS); nothing was changed.'),
      },
    },
  }, async (request, reply) => reply.code(201).send(mirrorView(await createMirror(deps, tenantOf(request), request.body))));

  app.get('/admin/v1/mirrors', {
    schema: { summary: 'List the tenant\'s busy mirrors (at most 1,000, oldest first)', tags: adminTags, querystring: noParameters, response: { 200: { type: 'object', properties: { items: { type: 'array', items: mirror } } } } },
  }, async (request) => ({ items: (await listMirrors(deps.db, tenantOf(request))).map(mirrorView) }));

  app.get<{ Params: { mirrorId: string } }>('/admin/v1/mirrors/:mirrorId', {
    schema: { summary: 'One busy mirror', tags: adminTags, params: pathParams('mirrorId'), querystring: noParameters, response: { 200: mirror, 404: notFound } },
  }, async (request) => mirrorView(await getMirror(deps.db, tenantOf(request), request.params.mirrorId)));

  app.delete<{ Params: { mirrorId: string } }>('/admin/v1/mirrors/:mirrorId', {
    schema: {
      summary: 'Remove a busy mirror and its blocks (deleted in the target calendar and, through its bindings, at its providers)', tags: adminTags,
      params: pathParams('mirrorId'), querystring: noParameters, response: { 204: { type: 'null' }, 404: notFound },
    },
  }, async (request, reply) => {
    await removeMirror(deps, tenantOf(request), request.params.mirrorId);
    return reply.code(204).send();
  });
}
