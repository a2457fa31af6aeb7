// Quarantined items of the key's tenant (src/store/quarantine-review.ts): list both kinds,
// retry remote items, lift (dismiss a remote item, release a held one). Every change is
// audited and queues a pass of the binding.
import type { FastifyInstance } from 'fastify';
import type { Db } from '../store/db.ts';
import { liftQuarantined, listQuarantine, retryQuarantined, type QuarantineCursor, type QuarantineKind } from '../store/quarantine-review.ts';
import {
  actorOf, adminTags, anyValue, booleanParameter, decodePageToken, encodePageToken, errorAnswer, note, nullableDate, maxResults, nullableString, pageToken, uuidString,
} from './admin-schemas.ts';
import { tenantOf } from './auth.ts';
import { noParameters, pathParams } from './route-schemas.ts';
import type { TokenSigner } from './token-signing.ts';

export interface AdminQuarantineDeps {
  db: Db;
  tokens: TokenSigner;
}

const entry = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: ['remote', 'held'], description: '`remote`: an item the binding could not take in; `held`: a bound item held on its sync status for a person.' },
    bindingId: { type: 'string' }, calendarId: { type: 'string' }, remoteId: { type: 'string' },
    eventId: { ...nullableString, description: 'held: the bound event (series id); remote: the calsync id the item carries, if any.' },
    summary: { ...nullableString, description: 'held: the event\'s title.' },
    reason: { type: 'string' }, etag: nullableString,
    since: { type: 'string', format: 'date-time', description: 'remote: first seen; held: held since.' },
    lastSeenAt: nullableDate, retryRequestedAt: nullableDate,
    error: { ...anyValue, description: 'held: the error or question stored with the hold.' },
    conflictId: { ...nullableString, description: 'held: the open conflict the item waits for; resolve it instead of lifting.' },
    raw: { ...nullableString, description: 'remote, with raw=true: the payload as the provider sent it (up to 64 KiB).' },
  },
} as const;

const remoteIds = { type: 'array', minItems: 1, maxItems: 1000, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 2048 } } as const;
const queued = {
  type: 'object',
  properties: { bindingId: { type: 'string' }, kind: { type: 'string' }, action: { type: 'string' }, remoteIds: { type: 'array', items: { type: 'string' } }, passQueued: { type: 'boolean' } },
} as const;

function isCursor(value: unknown): value is QuarantineCursor {
  const c = value as QuarantineCursor | null;
  return typeof c === 'object' && c !== null && typeof c.sinceMicros === 'string' && /^\d{1,20}$/.test(c.sinceMicros)
    && (c.kind === 'remote' || c.kind === 'held') && typeof c.bindingId === 'string' && typeof c.remoteId === 'string';
}

export function adminQuarantineRoutes(app: FastifyInstance, deps: AdminQuarantineDeps): void {
  app.get('/admin/v1/quarantine', {
    schema: {
      summary: 'List quarantined items: remote items a binding could not take in, and bound items held for a person', tags: adminTags,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          bindingId: uuidString, kind: { type: 'string', enum: ['remote', 'held'] },
          remoteId: { type: 'string', minLength: 1, maxLength: 2048, description: 'Only the item with this remote id (with bindingId: one item, e.g. to read its raw payload).' },
          raw: booleanParameter, maxResults, pageToken,
        },
      },
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: entry }, nextPageToken: nullableString } }, 400: errorAnswer('A parameter is invalid.') },
    },
  }, async (request) => {
    const query = request.query as { bindingId?: string; kind?: QuarantineKind; remoteId?: string; raw?: string; maxResults?: string; pageToken?: string };
    const page = await listQuarantine(deps.db, tenantOf(request), {
      bindingId: query.bindingId, kind: query.kind, remoteId: query.remoteId, raw: query.raw === 'true', limit: Number(query.maxResults ?? 100),
      after: decodePageToken(deps.tokens, 'quarantine', query.pageToken, isCursor),
    });
    return { items: page.items, nextPageToken: page.next ? encodePageToken(deps.tokens, 'quarantine', page.next) : null };
  });

  app.post<{ Params: { bindingId: string }; Body: { remoteIds: string[]; note?: string } }>('/admin/v1/bindings/:bindingId/quarantine/retry', {
    schema: {
      summary: 'Read quarantined items again in the next pass (queued now); a dismissed one is shown again', tags: adminTags,
      params: pathParams('bindingId'), querystring: noParameters,
      body: { type: 'object', additionalProperties: false, required: ['remoteIds'], properties: { remoteIds, note } },
      response: { 200: queued, 400: errorAnswer('A malformed body; nothing was changed.'), 404: errorAnswer('No such binding, or an id it has not quarantined; nothing was changed.') },
    },
  }, async (request) => retryQuarantined(deps.db, { tenantId: tenantOf(request), bindingId: request.params.bindingId }, request.body.remoteIds,
    { actor: actorOf(request), note: request.body.note }));

  app.post<{ Params: { bindingId: string }; Body: { kind: QuarantineKind; remoteIds: string[]; note?: string } }>('/admin/v1/bindings/:bindingId/quarantine/lift', {
    schema: {
      summary: 'Lift quarantined items: dismiss remote items (until a new version of them comes), or release held items to the next pass (queued now)', tags: adminTags,
      params: pathParams('bindingId'), querystring: noParameters,
      body: { type: 'object', additionalProperties: false, required: ['kind', 'remoteIds'], properties: { kind: { type: 'string', enum: ['remote', 'held'] }, remoteIds, note } },
      response: {
        200: queued, 400: errorAnswer('A malformed body; nothing was changed.'), 404: errorAnswer('No such binding, or an id it does not hold of that kind; nothing was changed.'),
        409: errorAnswer('A held item waits for an open conflict (HELD_FOR_CONFLICT), or a pass of the binding is running (BINDING_BUSY); nothing was changed.'),
      },
    },
  }, async (request) => liftQuarantined(deps.db, { tenantId: tenantOf(request), bindingId: request.params.bindingId }, request.body.kind, request.body.remoteIds,
    { actor: actorOf(request), note: request.body.note }));
}
