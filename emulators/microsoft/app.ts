// A Microsoft Graph calendar emulator: a standalone HTTP server with its own in-memory
// mailbox, serving what a sync connector uses of Graph v1.0 and the identity platform's
// OAuth 2.0 v2 endpoints, with their documented behaviour, errors included, and
// switchable faults. `build(options)` returns a Fastify app that does not listen, with
// the controls tests use on `app.emulator`; main.ts listens. README.md beside this file
// says what is emulated and where the documentation says so.
import { randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { basicAuth } from '../shared/clients.ts';
import { batchRoute } from './batch.ts';
import { controlRoutes, type EmulatorControls, type EmulatorSettings } from './control.ts';
import { DeltaRounds, type DeltaSettings } from './delta.ts';
import { AadError, GraphError, graphErrors } from './errors.ts';
import { EventService, type TransactionIdReplay } from './events.ts';
import { Faults, type FaultConfig } from './faults.ts';
import { IdentityPlatform, type OAuthClient } from './oauth.ts';
import { apiRoutes } from './routes.ts';
import { Stats } from './stats.ts';
import { defaultUser, MailboxStore } from './store.ts';
import { Subscriptions, type SubscriptionSettings } from './subscriptions.ts';

export interface MicrosoftEmulatorOptions {
  /** The signed-in user's address (default user@example.com). */
  account?: string;
  /** The directory (tenant) id (default a fresh GUID); the authority also takes `common`. */
  tenantId?: string;
  /** More calendars beside the default one ("Calendar"). */
  calendars?: Array<{ id?: string; name?: string }>;
  /** The clock, in milliseconds (default Date.now). */
  now?: () => number;
  /** How validation requests and notifications are POSTed (default the global fetch). */
  fetch?: typeof fetch;
  /** OAuth clients (default one: emulator-client / emulator-secret). */
  clients?: OAuthClient[];
  /** Access token lifetime (default 3599 s). */
  accessTokenTtlSeconds?: number;
  /** Refresh tokens expire after this long unused (default 90 days); null: never. */
  refreshTokenTtlSeconds?: number | null;
  /** How long a rotated-out refresh token still works (default 0: not at all). */
  refreshGraceSeconds?: number;
  /** A POST with a transactionId seen before: the existing event (201) or 409. */
  transactionIdReplay?: TransactionIdReplay;
  /** Requests the mailbox may have in flight (default 4); null: no limit. */
  mailboxConcurrency?: number | null;
  delta?: Partial<DeltaSettings>;
  subscriptions?: Partial<SubscriptionSettings>;
  faults?: FaultConfig;
  logger?: boolean;
}

export type MicrosoftEmulator = FastifyInstance & { emulator: EmulatorControls };

declare module 'fastify' {
  interface FastifyRequest {
    graphIds: { requestId: string; clientRequestId: string };
    lostAnswer: boolean;
    holdsSlot: boolean;
  }
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const BATCH = '/v1.0/$batch';
const ODATA_JSON = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

export function build(options: MicrosoftEmulatorOptions = {}): MicrosoftEmulator {
  const now = options.now ?? Date.now;
  // Graph ids run to 150 characters and more: Fastify's default 100 would answer 414.
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 4 * 1024 * 1024, routerOptions: { maxParamLength: 2048 } });
  const faults = new Faults(now);
  if (options.faults) faults.set(options.faults);
  const tenantId = options.tenantId ?? randomUUID();
  const settings: EmulatorSettings = {
    transactionIdReplay: options.transactionIdReplay ?? 'existing',
    mailboxConcurrency: options.mailboxConcurrency === undefined ? 4 : options.mailboxConcurrency,
    expiredDeltaToken: options.delta?.expired ?? { code: 'syncStateNotFound', capitalised: false },
    cancelledOccurrences: options.delta?.cancelledOccurrences ?? 'silent',
    includeSeriesMasters: options.delta?.includeSeriesMasters ?? true,
    maxPageSize: options.delta?.maxPageSize ?? 50,
    minPageSize: options.delta?.minPageSize ?? 1,
  };

  let subscriptions: Subscriptions | null = null;
  const store = new MailboxStore(defaultUser(options.account ?? 'user@example.com'), tenantId, now, (event, change) => subscriptions?.changed(event, change));
  store.addCalendar({ name: 'Calendar', isDefaultCalendar: true });
  for (const c of options.calendars ?? []) store.addCalendar(c);
  const clientId = (options.clients ?? [{ clientId: 'emulator-client' }])[0]!.clientId;
  subscriptions = new Subscriptions(store, faults, options.fetch ?? ((...args) => fetch(...args)), {
    maxMinutes: 10_080, tooLong: 'cap', validationTimeoutMs: 10_000, notificationTimeoutMs: 3_000, retryDelaysMs: [1000, 2000], requireHttps: false,
    ...options.subscriptions,
  }, clientId);
  const events = new EventService(store, () => settings.transactionIdReplay);
  const rounds = new DeltaRounds(store, () => ({
    defaultPageSize: options.delta?.defaultPageSize ?? 10, maxPageSize: settings.maxPageSize, minPageSize: settings.minPageSize, includeSeriesMasters: settings.includeSeriesMasters,
    cancelledOccurrences: settings.cancelledOccurrences, tokenTtlMs: options.delta?.tokenTtlMs ?? null, expired: settings.expiredDeltaToken,
  }));
  const oauth = new IdentityPlatform(now, {
    clients: options.clients ?? [{ clientId: 'emulator-client', clientSecret: 'emulator-secret' }],
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3599,
    refreshTokenTtlSeconds: options.refreshTokenTtlSeconds === undefined ? 90 * 86_400 : options.refreshTokenTtlSeconds,
    refreshGraceSeconds: options.refreshGraceSeconds ?? 0,
    tenants: [tenantId, store.user.mail.split('@')[1] ?? 'example.com'],
  });
  const stats = new Stats();
  let inFlight = 0;

  app.decorateRequest('graphIds', null as unknown as FastifyRequest['graphIds']);
  app.decorateRequest('lostAnswer', false);
  app.decorateRequest('holdsSlot', false);
  app.decorateRequest('repeatPage', false);
  app.decorateRequest('duplicateItem', false);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(graphErrors.unreadableBody(), undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.addHook('onRequest', async (request) => {
    const requestId = randomUUID();
    const sent = request.headers['client-request-id'];
    request.graphIds = { requestId, clientRequestId: typeof sent === 'string' && sent !== '' ? sent : requestId };
  });
  app.setErrorHandler((error, request, reply) => {
    const inner = { date: new Date(now()).toISOString().slice(0, 19), 'request-id': request.graphIds.requestId, 'client-request-id': request.graphIds.clientRequestId };
    if (error instanceof GraphError) return reply.code(error.status).headers(error.headers).send(error.body(inner));
    if (error instanceof AadError) return reply.code(error.status).header('cache-control', 'no-store').send(error.body(now(), request.graphIds.requestId, request.graphIds.clientRequestId));
    const status = (error as { statusCode?: number }).statusCode;
    if (status === 413) return reply.code(413).send(new GraphError(413, 'RequestEntityTooLarge', 'The request body is too large.').body(inner));
    if (status !== undefined && status >= 400 && status < 500) return reply.code(400).send(graphErrors.badRequest((error as Error).message).body(inner));
    request.log.error({ err: error }, 'emulator request failed');
    return reply.code(500).send(graphErrors.internal().body(inner));
  });
  app.setNotFoundHandler((request, reply) => {
    const inner = { date: new Date(now()).toISOString().slice(0, 19), 'request-id': request.graphIds.requestId, 'client-request-id': request.graphIds.clientRequestId };
    if (!request.url.startsWith('/v1.0/')) return reply.code(404).send(graphErrors.resourceNotFound().body(inner));
    const segment = request.url.split('?')[0]!.split('/').filter((s) => s !== '').pop() ?? '';
    return reply.code(400).send(graphErrors.badRequest(`Resource not found for the segment '${decodeURIComponent(segment)}'.`).body(inner));
  });
  const releaseSlot = (request: FastifyRequest): void => {
    if (request.holdsSlot) {
      request.holdsSlot = false;
      inFlight -= 1;
    }
  };
  app.addHook('onResponse', async (request, reply) => {
    releaseSlot(request);
    const route = request.routeOptions.url ?? 'unmatched';
    if (!route.startsWith('/emulator')) stats.record(request.method, route, reply.statusCode);
  });

  // Graph v1.0: a live access token, the mailbox's concurrency, then the configured faults.
  app.register(async (api) => {
    api.addHook('onRequest', async (request, reply) => {
      const problem = oauth.authenticate(request.headers.authorization);
      if (problem !== null) throw graphErrors.invalidAuthenticationToken(problem);
      const route = request.routeOptions.url ?? request.url;
      if (route === BATCH) return;
      if (settings.mailboxConcurrency !== null && inFlight >= settings.mailboxConcurrency) throw graphErrors.mailboxConcurrency(faults.retryAfterSeconds);
      inFlight += 1;
      request.holdsSlot = true;
      // A connection closed unanswered (a lost answer) sends no response: the request is
      // over for the mailbox all the same, or its place would stay taken for good.
      reply.raw.once('close', () => releaseSlot(request));
      stats.concurrent(inFlight);
      const deltaPage = route.endsWith('/calendarView/delta') && /[?&]\$skiptoken=/i.test(request.url);
      const fault = faults.decide(request.method, route, WRITES.has(request.method), deltaPage);
      if (fault.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
      if (fault.error) throw fault.error;
      request.lostAnswer = fault.lostAnswer;
      request.repeatPage = fault.repeatPage;
      request.duplicateItem = fault.duplicateItem;
    });
    api.addHook('onSend', async (request, reply, payload) => {
      reply.header('request-id', request.graphIds.requestId).header('client-request-id', request.graphIds.clientRequestId);
      if (typeof payload === 'string' && String(reply.getHeader('content-type') ?? '').startsWith('application/json')) reply.header('content-type', ODATA_JSON);
      if (!request.lostAnswer || reply.statusCode >= 400) return payload;
      // A lost answer: the change is made; on a real socket the connection closes unanswered.
      if (request.raw.socket instanceof Socket) request.raw.socket.destroy();
      reply.code(504).header('content-type', ODATA_JSON);
      const inner = { date: new Date(now()).toISOString().slice(0, 19), 'request-id': request.graphIds.requestId, 'client-request-id': request.graphIds.clientRequestId };
      return JSON.stringify(graphErrors.gatewayTimeout().body(inner));
    });
    apiRoutes(api, { store, events, rounds, subscriptions: subscriptions!, lastDeltaPage: { page: null } });
    batchRoute(api, () => app);
  });

  app.get<{ Params: { tenant: string } }>('/:tenant/oauth2/v2.0/authorize', async (request, reply) => {
    oauth.checkTenant(request.params.tenant);
    return reply.redirect(oauth.authorize(request.query as Record<string, unknown>), 302);
  });
  app.post<{ Params: { tenant: string } }>('/:tenant/oauth2/v2.0/token', async (request, reply) => {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    oauth.checkTenant(request.params.tenant);
    // The endpoint reads form bodies only: a JSON body has no grant_type.
    const form = /^application\/x-www-form-urlencoded/i.test(request.headers['content-type'] ?? '') ? (request.body ?? {}) as Record<string, unknown> : {};
    return oauth.token(form, basicAuth(request.headers.authorization));
  });

  const controls = controlRoutes(app, { store, events, rounds, faults, oauth, stats, subscriptions, settings });
  return Object.assign(app, { emulator: controls });
}
