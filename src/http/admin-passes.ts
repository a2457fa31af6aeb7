// Passes the brakes stopped (a wipe, more deletions than the budget), for the key's
// tenant (src/store/stopped-passes.ts): list them with what they would delete, confirm
// (a pass mirrors the deletions) or dismiss (the side that lost the items gets them back).
import type { FastifyInstance } from 'fastify';
import type { Db } from '../store/db.ts';
import { confirmStoppedPass, dismissStoppedPass, getStoppedPass, listDeletions, listStoppedPasses } from '../store/stopped-passes.ts';
import {
  absentBodyIsEmpty, actorOf, adminTags, decodePageToken, encodePageToken, errorAnswer, maxResults, note, nullableString, pageToken, uuidString,
} from './admin-schemas.ts';
import { tenantOf } from './auth.ts';
import { noParameters, pathParams } from './route-schemas.ts';
import type { TokenSigner } from './token-signing.ts';

export interface AdminPassesDeps {
  db: Db;
  tokens: TokenSigner;
  /** Debounce of the passes a restore queues on the calendar's other bindings. */
  debounceMs: number;
}

const stop = {
  type: 'object',
  properties: {
    bindingId: { type: 'string' }, calendarId: { type: 'string' }, passId: { type: 'string' },
    kind: { type: 'string', enum: ['wipe', 'deletion-budget'] },
    side: { ...nullableString, description: 'wipe: the side that listed nothing (`calendar` or `remote`).' },
    known: { type: 'integer', nullable: true, description: 'wipe: items both sides had agreed on.' },
    deletes: { type: 'integer', nullable: true, description: 'deletion-budget: deletions the pass would make.' },
    limit: { type: 'integer', nullable: true, description: 'deletion-budget: deletions allowed without confirmation.' },
    message: { type: 'string' }, at: { type: 'string', format: 'date-time' },
    deletions: { type: 'integer', description: 'What the pass would delete (GET …/stopped-pass lists them).' },
  },
} as const;

const deletion = {
  type: 'object',
  properties: {
    side: { type: 'string', enum: ['calendar', 'remote'], description: 'Where the deletion would happen: `calendar` (the remote deleted the item), `remote` (the calendar deleted the event).' },
    eventId: nullableString, remoteId: nullableString, summary: nullableString, rule: { type: 'string' },
  },
} as const;

const decision = { type: 'object', additionalProperties: false, properties: { passId: { ...uuidString, description: 'The stopped pass looked at; refused (PASS_NOT_STOPPED) if it is no longer the one.' }, note } } as const;

const isKey = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= 2048;

export function adminPassesRoutes(app: FastifyInstance, deps: AdminPassesDeps): void {
  app.get('/admin/v1/stopped-passes', {
    schema: {
      summary: 'List bindings whose last pass the brakes stopped', tags: adminTags,
      querystring: { type: 'object', additionalProperties: false, properties: { bindingId: uuidString } },
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: stop } } }, 400: errorAnswer('A parameter is invalid.') },
    },
  }, async (request) => ({ items: await listStoppedPasses(deps.db, tenantOf(request), { bindingId: (request.query as { bindingId?: string }).bindingId }) }));

  app.get<{ Params: { bindingId: string }; Querystring: { maxResults?: string; pageToken?: string } }>('/admin/v1/bindings/:bindingId/stopped-pass', {
    schema: {
      summary: 'The stopped pass of a binding and what it would delete', tags: adminTags, params: pathParams('bindingId'),
      querystring: { type: 'object', additionalProperties: false, properties: { maxResults, pageToken } },
      response: {
        200: { type: 'object', properties: { ...stop.properties, items: { type: 'array', items: deletion }, nextPageToken: nullableString } },
        400: errorAnswer('A parameter is invalid.'), 404: errorAnswer('No such binding.'), 409: errorAnswer('The binding has no stopped pass (PASS_NOT_STOPPED).'),
      },
    },
  }, async (request) => {
    const tenantId = tenantOf(request);
    const after = decodePageToken(deps.tokens, 'stopped-pass deletions', request.query.pageToken, isKey);
    const stopped = { ...(await getStoppedPass(deps.db, { tenantId, bindingId: request.params.bindingId })), tenantId };
    const page = await listDeletions(deps.db, stopped, { after, limit: Number(request.query.maxResults ?? 100) });
    return { ...stopped, items: page.items, nextPageToken: page.next ? encodePageToken(deps.tokens, 'stopped-pass deletions', page.next) : null };
  });

  app.post<{ Params: { bindingId: string }; Body: { passId?: string; note?: string } }>('/admin/v1/bindings/:bindingId/stopped-pass/confirm', {
    preValidation: absentBodyIsEmpty,
    schema: {
      summary: 'Confirm a stopped pass: a pass is queued that mirrors the wipe or the deletions', tags: adminTags, params: pathParams('bindingId'), querystring: noParameters, body: decision,
      response: {
        202: { type: 'object', properties: { bindingId: { type: 'string' }, passId: { type: 'string' }, confirmWipe: { type: 'boolean' }, confirmDeletions: { type: 'boolean' } } },
        400: errorAnswer('A malformed body; nothing was changed.'), 404: errorAnswer('No such binding.'),
        409: errorAnswer('No stopped pass, or not the one named (PASS_NOT_STOPPED); the binding is paused (BINDING_PAUSED) or being unbound; nothing was changed.'),
      },
    },
  }, async (request, reply) => {
    const confirmed = await confirmStoppedPass(deps.db, { tenantId: tenantOf(request), bindingId: request.params.bindingId }, request.body.passId, { actor: actorOf(request), note: request.body.note });
    return reply.status(202).send({
      bindingId: confirmed.bindingId, passId: confirmed.passId,
      confirmWipe: confirmed.confirmation.confirmWipe === true, confirmDeletions: confirmed.confirmation.confirmDeletions === true,
    });
  });

  app.post<{ Params: { bindingId: string }; Body: { passId?: string; note?: string } }>('/admin/v1/bindings/:bindingId/stopped-pass/dismiss', {
    preValidation: absentBodyIsEmpty,
    schema: {
      summary: 'Dismiss a stopped pass: nothing is deleted, the side that lost the items gets them back, and a pass is queued', tags: adminTags,
      description: 'Items the remote deleted lose their sync statuses and are created on the remote again by the next pass; events the calendar deleted are restored from their tombstones (actor `operator`), which every binding of the calendar carries out.',
      params: pathParams('bindingId'), querystring: noParameters, body: decision,
      response: {
        200: {
          type: 'object',
          properties: {
            bindingId: { type: 'string' }, passId: { type: 'string' },
            recreated: { type: 'array', items: { type: 'string' }, description: 'Events the remote had deleted; created there again by the next pass.' },
            restored: { type: 'array', items: { type: 'string' }, description: 'Events the calendar had deleted; restored from their tombstones.' },
          },
        },
        400: errorAnswer('A malformed body; nothing was changed.'), 404: errorAnswer('No such binding.'),
        409: errorAnswer('No stopped pass, or not the one named (PASS_NOT_STOPPED); a pass is running (BINDING_BUSY); being unbound; nothing was changed.'),
      },
    },
  }, async (request) => dismissStoppedPass(deps.db, { tenantId: tenantOf(request), bindingId: request.params.bindingId }, request.body.passId,
    { actor: actorOf(request), note: request.body.note, debounceMs: deps.debounceMs }));
}
