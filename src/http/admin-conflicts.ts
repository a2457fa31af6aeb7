// Conflicts of the key's tenant (src/store/conflicts.ts): fields both sides changed that
// a binding's policy sends to a person, and edits against deletes under `ask`. Listed
// with the base, calendar and remote values; resolved by taking a side or giving a value
// (src/engine/conflicts.ts), which reaches every binding and is audited.
import type { FastifyInstance } from 'fastify';
import { resolveConflict, type ConflictChoice } from '../engine/conflicts.ts';
import { CalsyncError } from '../errors.ts';
import { getConflict, listConflicts, type Conflict, type ConflictState } from '../store/conflicts.ts';
import type { Db } from '../store/db.ts';
import {
  actorOf, adminTags, anyValue, decodePageToken, encodePageToken, errorAnswer, maxResults, note, nullableDate, nullableString, pageToken, uuidString,
} from './admin-schemas.ts';
import { tenantOf } from './auth.ts';
import { pageOf } from './list-params.ts';
import { noParameters, pathParams } from './route-schemas.ts';
import type { TokenSigner } from './token-signing.ts';

export interface AdminConflictsDeps {
  db: Db;
  tokens: TokenSigner;
  /** Debounce of the passes a resolution queues on the calendar's bindings. */
  debounceMs: number;
}

const conflict = {
  type: 'object',
  properties: {
    id: { type: 'string' }, bindingId: { type: 'string' }, eventId: { type: 'string', description: 'The event\'s series id.' },
    passId: nullableString,
    field: { type: 'string', description: 'The merge field asked about (`summary`, `time`, `overrides[2026-03-09T10:00:00].location`, `attendees[a@example.org].person`), or `(deleted)` for an edit against a delete.' },
    base: { ...anyValue, description: 'The value both sides last agreed on.' },
    calendar: { ...anyValue, description: 'The calendar\'s value (null: the calendar deleted the event).' },
    remote: { ...anyValue, description: 'The remote\'s value (null: the remote deleted the item).' },
    state: { type: 'string', enum: ['open', 'resolved', 'dismissed'] },
    resolution: anyValue, resolvedBy: nullableString,
    createdAt: { type: 'string', format: 'date-time' }, resolvedAt: nullableDate,
  },
} as const;

function resource(c: Conflict): object {
  const { tenantId: _, ...rest } = c;
  return rest;
}

interface Cursor { createdAt: string; id: string }

function isCursor(value: unknown): value is Cursor {
  const c = value as Cursor | null;
  return typeof c === 'object' && c !== null && typeof c.createdAt === 'string' && !Number.isNaN(Date.parse(c.createdAt))
    && typeof c.id === 'string' && /^[0-9a-f-]{36}$/i.test(c.id);
}

export function adminConflictsRoutes(app: FastifyInstance, deps: AdminConflictsDeps): void {
  app.get('/admin/v1/conflicts', {
    schema: {
      summary: 'List conflicts (open by default), newest first, with the base, calendar and remote values of each field', tags: adminTags,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { state: { type: 'string', enum: ['open', 'resolved', 'dismissed'] }, bindingId: uuidString, eventId: uuidString, maxResults, pageToken },
      },
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: conflict }, nextPageToken: nullableString } }, 400: errorAnswer('A parameter is invalid.') },
    },
  }, async (request) => {
    const query = request.query as { state?: ConflictState; bindingId?: string; eventId?: string; maxResults?: string; pageToken?: string };
    const limit = Number(query.maxResults ?? 100);
    const after = decodePageToken(deps.tokens, 'conflicts', query.pageToken, isCursor);
    const items = await listConflicts(deps.db, tenantOf(request), {
      state: query.state, bindingId: query.bindingId, eventId: query.eventId, limit: limit + 1,
      before: after ? { createdAt: new Date(after.createdAt), id: after.id } : null,
    });
    const { page, continueAfter: last } = pageOf(items, limit);
    return { items: page.map(resource), nextPageToken: last ? encodePageToken(deps.tokens, 'conflicts', { createdAt: last.createdAt.toISOString(), id: last.id }) : null };
  });

  app.get<{ Params: { conflictId: string } }>('/admin/v1/conflicts/:conflictId', {
    schema: {
      summary: 'One conflict', tags: adminTags, params: pathParams('conflictId'), querystring: noParameters,
      response: { 200: conflict, 404: errorAnswer('No such conflict for this tenant.') },
    },
  }, async (request) => resource(await getConflict(deps.db, tenantOf(request), request.params.conflictId)));

  app.post<{ Params: { conflictId: string }; Body: { take?: 'calendar' | 'remote'; value?: unknown; note?: string } }>('/admin/v1/conflicts/:conflictId/resolve', {
    schema: {
      summary: 'Resolve a conflict: take the calendar\'s or the remote\'s value, or give the value to hold; it reaches every binding of the calendar', tags: adminTags,
      params: pathParams('conflictId'), querystring: noParameters,
      body: {
        type: 'object', additionalProperties: false,
        properties: {
          take: { type: 'string', enum: ['calendar', 'remote'] },
          value: { description: 'The value of the field, in the form the conflict shows (an edit against a delete takes a side only).' },
          note,
        },
      },
      response: {
        200: conflict, 400: errorAnswer('Neither or both of take and value, or a value that does not fit the field; nothing was changed.'),
        404: errorAnswer('No such conflict for this tenant.'), 409: errorAnswer('The conflict is no longer open (CONFLICT_NOT_OPEN).'),
      },
    },
  }, async (request) => {
    const body = request.body;
    const hasValue = Object.hasOwn(body, 'value');
    if ((body.take === undefined) === !hasValue) {
      throw new CalsyncError('INVALID_REQUEST', 'give exactly one of take (calendar or remote) and value');
    }
    const choice: ConflictChoice = body.take ? { take: body.take } : { value: body.value };
    return resource(await resolveConflict(deps, tenantOf(request), request.params.conflictId, choice, actorOf(request), body.note ?? null));
  });
}
