// The tenant's sync health in one answer (src/store/health.ts): the numbers on top, its
// accounts, and its bindings a page at a time, optionally only those that need attention;
// and one binding's passes, newest first. What the operator console's health and binding
// pages show; the console reads nothing else.
import type { FastifyInstance } from 'fastify';
import { listAccounts } from '../store/accounts.ts';
import { getBinding } from '../store/bindings.ts';
import type { Db } from '../store/db.ts';
import { bindingHealth, healthCounts, listPasses } from '../store/health.ts';
import { accountResource } from './admin-sync.ts';
import { adminTags, anyObject, booleanParameter, decodePageToken, encodePageToken, errorAnswer, maxResults, nullableDate, nullableString, pageToken } from './admin-schemas.ts';
import { tenantOf } from './auth.ts';
import { pathParams } from './route-schemas.ts';
import { passErrorAdvice } from './pass-advice.ts';
import type { TokenSigner } from './token-signing.ts';

export interface AdminHealthDeps {
  db: Db;
  tokens: TokenSigner;
}

const count = { type: 'integer' } as const;

const lastError = {
  type: 'object', nullable: true,
  description: 'The last pass\'s failure or stop: what kind (as the pass recorded it), the catalogue code that applies (docs/errors.md), the message, and what to do.',
  properties: { kind: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' }, hint: { type: 'string' } },
} as const;

const bindingHealthSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, calendarId: { type: 'string' }, calendar: { type: 'string' }, accountId: { type: 'string' },
    provider: { type: 'string' }, account: { type: 'string', description: 'The account\'s name, login or provider.' },
    remoteCalendarId: { type: 'string' }, remoteName: { type: 'string' }, direction: { type: 'string' },
    state: { type: 'string', enum: ['active', 'paused', 'error'] }, pausedReason: nullableString,
    running: { type: 'boolean', description: 'A pass holds the binding now.' },
    lastPassAt: nullableDate, lastOutcome: { ...nullableString, description: '`ok`, `partial` (items quarantined), `failed`, `stopped` (the brakes), or null before the first pass.' },
    lastSuccessAt: nullableDate, nextPollAt: { ...nullableDate, description: 'When the next poll is due; null while paused.' },
    lastError, conflictsOpen: count, quarantined: count,
    needsAttention: { type: 'boolean', description: 'Paused, failing, or with open conflicts or quarantined items.' },
  },
} as const;

const pass = {
  type: 'object',
  properties: {
    id: { type: 'string' }, trigger: { type: 'string', enum: ['poll', 'push', 'manual', 'resync', 'change'] },
    startedAt: { type: 'string', format: 'date-time' }, finishedAt: nullableDate,
    outcome: { ...nullableString, description: 'Null while the pass runs, or when its process died before it finished.' },
    stats: { ...anyObject, description: 'Counts of the pass; while it runs, those so far (written every 2 s).' }, error: lastError,
  },
} as const;

const isBindingKey = (value: unknown): value is string => typeof value === 'string' && /^[0-9a-f-]{36}$/.test(value);
const isPassKey = (value: unknown): value is [string, string] =>
  Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && value[0].length <= 40 && isBindingKey(value[1]);

export function adminHealthRoutes(app: FastifyInstance, deps: AdminHealthDeps): void {
  app.get<{ Querystring: { attention?: 'true' | 'false'; maxResults?: string; pageToken?: string } }>('/admin/v1/health', {
    schema: {
      summary: 'Sync health: the numbers that matter, every account, and the bindings with their last pass, next poll and last error',
      tags: adminTags,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { attention: { ...booleanParameter, description: '`true`: only bindings that need attention.' }, maxResults, pageToken },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            counts: {
              type: 'object',
              properties: {
                bindings: count, inSync: count, failing: count, paused: count, waiting: count, conflictsOpen: count, quarantined: count, deadJobs: count,
              },
            },
            accounts: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  id: { type: 'string' }, provider: { type: 'string' }, displayName: { type: 'string' }, login: { type: 'string' },
                  serverUrl: nullableString, state: { type: 'string', description: '`active`, or why its bindings are paused (`revoked`, `disconnected`, `error`).' }, stateReason: nullableString,
                  createdAt: { type: 'string', format: 'date-time' },
                },
              },
            },
            bindings: { type: 'array', items: bindingHealthSchema },
            nextPageToken: nullableString,
          },
        },
        400: errorAnswer('A parameter is invalid.'),
      },
    },
  }, async (request) => {
    const tenantId = tenantOf(request);
    const after = decodePageToken(deps.tokens, 'health bindings', request.query.pageToken, isBindingKey);
    const [counts, accounts, page] = await Promise.all([
      healthCounts(deps.db, tenantId), listAccounts(deps.db, tenantId),
      bindingHealth(deps.db, tenantId, { attention: request.query.attention === 'true', after, limit: Number(request.query.maxResults ?? 100) }),
    ]);
    return {
      counts, accounts: accounts.map(accountResource),
      bindings: page.items.map((b) => ({ ...b, lastError: b.lastError ? passErrorAdvice(b.lastError) : null })),
      nextPageToken: page.next ? encodePageToken(deps.tokens, 'health bindings', page.next) : null,
    };
  });

  app.get<{ Params: { bindingId: string }; Querystring: { maxResults?: string; pageToken?: string } }>('/admin/v1/bindings/:bindingId/passes', {
    schema: {
      summary: 'A binding\'s passes, newest first, with outcome, counts and error', tags: adminTags, params: pathParams('bindingId'),
      querystring: { type: 'object', additionalProperties: false, properties: { maxResults, pageToken } },
      response: {
        200: { type: 'object', properties: { items: { type: 'array', items: pass }, nextPageToken: nullableString } },
        400: errorAnswer('A parameter is invalid.'), 404: errorAnswer('No such binding for this tenant.'),
      },
    },
  }, async (request) => {
    const binding = await getBinding(deps.db, tenantOf(request), request.params.bindingId);
    const before = decodePageToken(deps.tokens, 'binding passes', request.query.pageToken, isPassKey);
    const page = await listPasses(deps.db, { tenantId: binding.tenantId, bindingId: binding.id }, { before, limit: Number(request.query.maxResults ?? 50) });
    return {
      items: page.items.map((p) => ({ ...p, error: p.error ? passErrorAdvice(p.error) : null })),
      nextPageToken: page.next ? encodePageToken(deps.tokens, 'binding passes', page.next) : null,
    };
  });
}
