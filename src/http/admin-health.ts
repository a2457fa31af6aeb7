// The tenant's sync health in one answer (src/store/health.ts): the numbers on top, the
// propagation of the last hour, its accounts, and its bindings a page at a time, optionally only those that need attention;
// and one binding's passes, newest first. What the operator console's health and binding
// pages show; the console reads nothing else.
import type { FastifyInstance } from 'fastify';
import { listAccounts } from '../store/accounts.ts';
import { getBinding } from '../store/bindings.ts';
import type { Db } from '../store/db.ts';
import { bindingHealth, healthCounts, listPasses, propagation } from '../store/health.ts';
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

const push = {
  type: 'object',
  description: 'The binding\'s push subscription (Google channel, Graph subscription). `state`: `none` (polled only: the provider has none, calsync has no public webhook URL, or the binding only exports), `pending` (being made), `unconfirmed` (made, no message from the provider yet), `live`, `failing` (the last attempt to make or renew it failed; retried at `retryAt`; the binding is polled meanwhile), `expired` (its expiry passed and no new one was made). `hint`: what to do, when it is failing or expired.',
  properties: {
    state: { type: 'string', enum: ['none', 'pending', 'unconfirmed', 'live', 'failing', 'expired'] },
    expiresAt: nullableDate, confirmedAt: nullableDate, error: nullableString, retryAt: nullableDate, hint: nullableString,
  },
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
    lag: {
      type: 'object', nullable: true,
      description: 'How far the remote is behind the calendar: `changes`, the calendar changes the binding\'s passes have not carried out yet (the calendar\'s version less the one its last complete pass reached; some may prove to be the remote\'s own, skipped as echoes), and `oldestChangeAt`, when the oldest of them was made (null when none, or when the change log no longer holds it). Null for an import binding, which sends nothing.',
      properties: { changes: count, oldestChangeAt: nullableDate },
    },
    push,
    lastError, conflictsOpen: count, quarantined: count,
    needsAttention: { type: 'boolean', description: 'Paused, failing, with its push subscription expired or failing, or with open conflicts or quarantined items.' },
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

// calsync polls a binding without push at its poll interval, so a lost subscription delays
// changes; it does not lose them.
function pushAdvice(state: string): string | null {
  if (state === 'failing') return 'Changes arrive at the next poll meanwhile. Check that the webhook URL (CALSYNC_WEBHOOK_URL) is reachable from the internet over HTTPS and that the account is still connected; the renewal is retried at retryAt.';
  if (state === 'expired') return 'Changes arrive at the next poll meanwhile. The renewal job makes a new subscription within a minute while the binding is active and its account connected; if it stays expired, check the webhook URL (CALSYNC_WEBHOOK_URL) and the worker\'s log.';
  return null;
}

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
            propagation: {
              type: 'object',
              description: 'How long the tenant\'s changes took to reach its other remotes in the last `windowMinutes`. One sample per write a pass made to a remote (create, update or delete): from the moment calsync stored the change the write carried (the newest change of the event\'s series in the binding\'s calendar at or before the write; stored by another binding\'s pass that pulled it from its provider, or by an app\'s API write) to the moment of the write. The time a provider takes to tell calsync of a change is not in it. Writes carrying a change made before their binding existed (its first copy of the calendar) are left out. `p50Ms` and `p99Ms` are null when there were no writes.',
              properties: { windowMinutes: count, writes: count, p50Ms: { type: 'integer', nullable: true }, p99Ms: { type: 'integer', nullable: true } },
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
    const [counts, propagated, accounts, page] = await Promise.all([
      healthCounts(deps.db, tenantId), propagation(deps.db, tenantId), listAccounts(deps.db, tenantId),
      bindingHealth(deps.db, tenantId, { attention: request.query.attention === 'true', after, limit: Number(request.query.maxResults ?? 100) }),
    ]);
    return {
      counts, propagation: propagated, accounts: accounts.map(accountResource),
      bindings: page.items.map((b) => ({ ...b, push: { ...b.push, hint: pushAdvice(b.push.state) }, lastError: b.lastError ? passErrorAdvice(b.lastError) : null })),
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
