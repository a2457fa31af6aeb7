// A Google Calendar API v3 emulator: a standalone HTTP server with its own in-memory
// store, serving what a sync connector uses, with Google's documented behaviour and
// switchable faults. `build(options)` returns a Fastify app that does not listen, with
// the controls tests use on `app.emulator`; main.ts listens. See README.md beside this
// file for what is emulated and the control API.
import Fastify, { type FastifyInstance } from 'fastify';
import { basicAuth } from '../shared/clients.ts';
import { apiRoutes } from './api-routes.ts';
import { Channels, type ChannelSettings } from './channels.ts';
import { controlRoutes, type EmulatorControls } from './control.ts';
import { GoogleApiError, googleErrors, OAuthError } from './errors.ts';
import { EventLists } from './events-list.ts';
import { EventService, type ImportExisting } from './events.ts';
import { Faults, type FaultConfig } from './faults.ts';
import { OAuthServer, type OAuthClient } from './oauth.ts';
import { Stats } from './stats.ts';
import { EmulatorStore } from './store.ts';

export interface GoogleEmulatorOptions {
  /** The account's email: its primary calendar's id (default user@example.com). */
  account?: string;
  /** Time zone of the primary calendar (default UTC). */
  timeZone?: string;
  /** More calendars to start with (ids default to generated `…@group.calendar.google.com`). */
  calendars?: Array<{ id?: string; summary?: string; description?: string; timeZone?: string }>;
  /** The clock, in milliseconds (default Date.now). */
  now?: () => number;
  /** How notifications are POSTed (default the global fetch). */
  fetch?: typeof fetch;
  /** OAuth clients (default one: emulator-client / emulator-secret). */
  clients?: OAuthClient[];
  /** Access token lifetime (default 3599 s, as Google answers). */
  accessTokenTtlSeconds?: number;
  /** Refresh token lifetime; null (default) never expires, 604800 is an app in "testing". */
  refreshTokenTtlSeconds?: number | null;
  /** events.import with an iCalUID the calendar has (default replace; see events.ts). */
  importExisting?: ImportExisting;
  /** How long sync tokens and updatedMin stay valid (default 30 days). */
  historyMs?: number;
  /** Instances one series expands to at most (default 2500). */
  maxInstances?: number;
  channels?: Partial<ChannelSettings>;
  faults?: FaultConfig;
  /** Fastify's logger (default off). */
  logger?: boolean;
}

export type GoogleEmulator = FastifyInstance & { emulator: EmulatorControls };

declare module 'fastify' {
  interface FastifyRequest {
    lostWrite: boolean;
  }
}

const SCOPE = 'https://www.googleapis.com/auth/calendar';

function parseForm(body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body));
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function build(options: GoogleEmulatorOptions = {}): GoogleEmulator {
  const now = options.now ?? Date.now;
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 4 * 1024 * 1024 });
  const faults = new Faults(now);
  if (options.faults) faults.set(options.faults);
  let importExisting: ImportExisting = options.importExisting ?? 'replace';

  let channels: Channels | null = null;
  const store = new EmulatorStore(options.account ?? 'user@example.com', now, (calendarId) => channels?.changed(calendarId));
  store.addCalendar({ id: store.account, summary: store.account, timeZone: options.timeZone ?? 'UTC', primary: true });
  for (const c of options.calendars ?? []) store.addCalendar(c);
  channels = new Channels(store, faults, options.fetch ?? ((...args) => fetch(...args)), {
    defaultTtlSeconds: 604_800, maxTtlSeconds: 2_592_000, requireHttps: false, expirationAs: 'string', retryDelaysMs: [1000, 2000],
    ...options.channels,
  });
  const events = new EventService(store, () => importExisting);
  const lists = new EventLists(store, events, {
    historyMs: options.historyMs ?? 30 * 86_400_000, maxInstances: options.maxInstances ?? 2500, expandAheadMs: 2 * 365 * 86_400_000,
  });
  const oauth = new OAuthServer(now, {
    clients: options.clients ?? [{ clientId: 'emulator-client', clientSecret: 'emulator-secret' }],
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3599,
    refreshTokenTtlSeconds: options.refreshTokenTtlSeconds ?? null,
    scope: SCOPE,
  });
  const stats = new Stats();

  app.decorateRequest('lostWrite', false);
  // An empty JSON body (DELETE from some clients) is no body; a bad one is Google's parseError.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new GoogleApiError(400, { domain: 'global', reason: 'parseError', message: 'Parse Error' }), undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, parseForm(body as string)));

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof GoogleApiError) return reply.code(error.status).headers(error.headers).send(error.body());
    if (error instanceof OAuthError) return reply.code(error.status).header('cache-control', 'no-store').send(error.body());
    const status = (error as { statusCode?: number }).statusCode;
    if (status === 413) return reply.code(413).send(new GoogleApiError(413, { domain: 'global', reason: 'uploadTooLarge', message: 'Request Entity Too Large' }).body());
    if (status !== undefined && status >= 400 && status < 500) return reply.code(400).send(googleErrors.badRequest((error as Error).message).body());
    request.log.error({ err: error }, 'emulator request failed');
    return reply.code(500).send(googleErrors.backendError().body());
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send(googleErrors.notFound().body()));
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    if (!route.startsWith('/emulator')) stats.record(request.method, route, reply.statusCode);
  });

  // The Calendar API: a live access token on every call, then the configured faults.
  app.register(async (api) => {
    api.addHook('onRequest', async (request) => {
      if (!oauth.authenticate(request.headers.authorization)) throw googleErrors.authError();
      const fault = faults.decide(request.method, request.routeOptions.url ?? request.url, WRITES.has(request.method));
      if (fault.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
      if (fault.error) throw fault.error;
      request.lostWrite = fault.lostWrite;
    });
    // A lost response: the write happened, the client hears 500 backendError.
    api.addHook('onSend', async (request, reply, payload) => {
      if (!request.lostWrite || reply.statusCode >= 400) return payload;
      reply.code(500).header('content-type', 'application/json; charset=utf-8');
      return JSON.stringify(googleErrors.backendError().body());
    });
    apiRoutes(api, { store, events, lists, channels: channels! });
  });

  app.get('/o/oauth2/v2/auth', async (request, reply) => reply.redirect(oauth.authorize(request.query as Record<string, unknown>), 302));
  app.post('/token', async (request, reply) => {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    return oauth.token((request.body ?? {}) as Record<string, unknown>, basicAuth(request.headers.authorization));
  });
  app.post('/revoke', async (request, reply) => {
    const token = ((request.body ?? {}) as Record<string, unknown>).token ?? (request.query as Record<string, unknown>).token;
    if (typeof token !== 'string' || !oauth.revoke(token)) throw new OAuthError(400, 'invalid_token', 'Token expired or revoked');
    return reply.code(200).send({});
  });

  const controls = controlRoutes(app, {
    store, events, faults, oauth, stats, channels,
    setImportExisting: (mode) => {
      importExisting = mode;
    },
    importExisting: () => importExisting,
  });
  return Object.assign(app, { emulator: controls });
}
