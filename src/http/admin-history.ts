// "Why did this change": an event's history (src/store/event-history.ts), and the audit
// trail of what operators did (src/store/operator-actions.ts), for the key's tenant.
import type { FastifyInstance } from 'fastify';
import type { Db } from '../store/db.ts';
import { eventHistory } from '../store/event-history.ts';
import { listOperatorActions } from '../store/operator-actions.ts';
import { adminTags, anyObject, anyValue, decodePageToken, encodePageToken, errorAnswer, maxResults, nullableString, pageToken, uuidString } from './admin-schemas.ts';
import { tenantOf } from './auth.ts';
import { pageOf } from './list-params.ts';
import { noParameters, pathParams } from './route-schemas.ts';
import type { TokenSigner } from './token-signing.ts';

export interface AdminHistoryDeps {
  db: Db;
  tokens: TokenSigner;
}

const decisions = { type: 'array', nullable: true, items: anyObject, description: 'A merge\'s per-field decisions: the field, the side it took, the rule and why.' } as const;

const version = {
  type: 'object',
  properties: {
    version: { type: 'integer' }, recordedAt: { type: 'string', format: 'date-time' },
    operation: { type: 'string', enum: ['create', 'update', 'delete', 'restore'] },
    actor: { type: 'string', description: '`app`, `binding:<id>` or `operator`.' },
    rowId: { type: 'string' }, originalStart: { ...nullableString, description: 'Set for an override of one instance.' },
    passId: nullableString, bindingId: nullableString, side: nullableString, rule: nullableString, reason: nullableString, decisions,
    operatorActionId: nullableString,
    content: { type: 'object', nullable: true, additionalProperties: true, description: 'The row after this version (calsync\'s canonical event); null once deleted.' },
    changes: {
      type: 'array', description: 'Fields that differ from the row\'s previous version.',
      items: { type: 'object', properties: { field: { type: 'string' }, before: anyValue, after: anyValue } },
    },
  },
} as const;

const operation = {
  type: 'object',
  properties: {
    id: { type: 'string' }, passId: { type: 'string' }, bindingId: { type: 'string' }, remoteId: nullableString,
    side: { type: 'string', enum: ['calendar', 'remote'] }, operation: { type: 'string' }, rule: { type: 'string' }, reason: { type: 'string' },
    status: { type: 'string' }, error: anyValue, decisions, at: { type: 'string', format: 'date-time' },
  },
} as const;

const action = {
  type: 'object',
  properties: {
    id: { type: 'string' }, bindingId: nullableString, accountId: nullableString, action: { type: 'string' }, actor: { type: 'string' },
    targets: anyObject, detail: anyObject, createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

const isId = (value: unknown): value is string => typeof value === 'string' && /^\d{1,18}$/.test(value);

export function adminHistoryRoutes(app: FastifyInstance, deps: AdminHistoryDeps): void {
  app.get<{ Params: { calendarId: string; eventId: string } }>('/admin/v1/calendars/:calendarId/events/:eventId/history', {
    schema: {
      summary: 'Why an event changed: every version with its pass, binding, side, rule and reason, and what passes decided about it',
      description: 'eventId is the series id or an id apps see (an instance\'s id narrows the versions to that instance).',
      tags: adminTags, params: pathParams('calendarId', 'eventId'), querystring: noParameters,
      response: {
        200: {
          type: 'object',
          properties: {
            calendarId: { type: 'string' }, eventId: { type: 'string' }, versions: { type: 'array', items: version },
            operations: { type: 'array', items: operation, description: 'The newest 500 decisions of passes about the event on either side (skips left out), oldest first.' },
          },
        },
        404: errorAnswer('No such event in this calendar of the tenant.'),
      },
    },
  }, async (request) => eventHistory(deps.db, tenantOf(request), request.params.calendarId, request.params.eventId));

  app.get<{ Querystring: { bindingId?: string; accountId?: string; maxResults?: string; pageToken?: string } }>('/admin/v1/operator-actions', {
    schema: {
      summary: 'What operators did (retries, lifts, confirmations, dismissals, pauses, changes, unbinds, disconnects), newest first', tags: adminTags,
      querystring: { type: 'object', additionalProperties: false, properties: { bindingId: uuidString, accountId: uuidString, maxResults, pageToken } },
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: action }, nextPageToken: nullableString } }, 400: errorAnswer('A parameter is invalid.') },
    },
  }, async (request) => {
    const limit = Number(request.query.maxResults ?? 100);
    const items = await listOperatorActions(deps.db, tenantOf(request), {
      bindingId: request.query.bindingId, accountId: request.query.accountId, before: decodePageToken(deps.tokens, 'operator actions', request.query.pageToken, isId) ?? undefined, limit: limit + 1,
    });
    const { page, continueAfter } = pageOf(items, limit);
    return { items: page, nextPageToken: continueAfter ? encodePageToken(deps.tokens, 'operator actions', continueAfter.id) : null };
  });
}
