// The HTTP app as a value: build(deps) returns a Fastify instance that does not listen.
// Tests call inject(); `calsync serve` and `calsync api` call listen().
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { CalsyncError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { CalendarNotices } from '../store/calendar-notices.ts';
import type { Db } from '../store/db.ts';
import type { Secrets } from '../store/secrets.ts';
import type { ProviderSet } from '../connectors/provider.ts';
import type { WebhookPolicy } from '../jobs/webhook-address.ts';
import { adminAccountRoutes } from './admin-accounts.ts';
import { adminBindingRoutes } from './admin-bindings.ts';
import { adminBookingChannelRoutes } from './admin-booking-channels.ts';
import { adminBookingRoutes } from './admin-bookings.ts';
import { adminConflictsRoutes } from './admin-conflicts.ts';
import { adminChartsRoutes } from './admin-charts.ts';
import { adminDeadJobRoutes } from './admin-dead-jobs.ts';
import { adminHealthRoutes } from './admin-health.ts';
import { adminHistoryRoutes } from './admin-history.ts';
import { adminInboundRoutes } from './admin-inbound.ts';
import { adminMirrorRoutes } from './admin-mirrors.ts';
import { adminOAuthRoutes } from './admin-oauth.ts';
import { adminPassesRoutes } from './admin-passes.ts';
import { adminQuarantineRoutes } from './admin-quarantine.ts';
import { adminResourceRoutes } from './admin-resources.ts';
import { adminSyncRoutes } from './admin-sync.ts';
import { batchRoutes } from './batch.ts';
import { requireApiKey } from './auth.ts';
import { calendarRoutes } from './calendars.ts';
import { channelRoutes } from './channels.ts';
import { eventReadRoutes } from './events-read.ts';
import { eventStreamRoutes } from './events-stream.ts';
import { eventWriteRoutes } from './events-write.ts';
import { refuseUnstorableText } from './edge-strings.ts';
import { requireRouteSchemas } from './route-schemas.ts';
import { errorHandler } from './errors.ts';
import { freeBusyRoutes } from './free-busy.ts';
import { healthRoutes } from './health.ts';
import { inboundWebhookRoutes } from './inbound-webhooks.ts';
import { registerJsonBodies } from './json-body.ts';
import { clientErrorHandler } from './client-errors.ts';
import { consoleRoutes } from './console.ts';
import { openApiRoutes } from './openapi.ts';
import { TokenSigner } from './token-signing.ts';
import { KeyRateLimiter, type RateLimit } from './rate-limit.ts';
import { PushIngress } from './push-ingress.ts';
import { webhookRoutes } from './webhooks.ts';

export interface HttpDeps {
  db: Db;
  secrets: Secrets;
  /** The registered providers and the context to call them with (src/connectors/registry.ts). */
  providers: ProviderSet;
  /** Where watch channels may deliver (https, and the private-address guard). */
  webhooks: WebhookPolicy;
  /** The public URL providers and inbound sources reach calsync at (CALSYNC_WEBHOOK_URL), for the URLs the admin API shows. */
  webhookUrl?: string;
  logger: Logger;
  metrics: Metrics;
  bodyLimitBytes: number;
  /** Debounce of the passes an app write queues on the calendar's bindings (default 500 ms). */
  debounceMs?: number;
  /** How long deletions are kept and sync tokens stay valid (default 30 days). */
  tombstoneMs?: number;
  /** Requests per API key (rate-limit.ts); absent: no limit. */
  rateLimit?: RateLimit;
  now?: () => Date;
  /** How often an idle event stream gets a comment line (default 25 s). */
  streamHeartbeatMs?: number;
  /** What wakes the event streams; by default the app makes (and closes) its own. */
  notices?: CalendarNotices;
}

export async function build(deps: HttpDeps): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.bodyLimitBytes,
    // Unknown fields are refused, not silently dropped (Fastify's default removes them).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    // A path that is not valid percent-encoded UTF-8 (FST_ERR_BAD_URL) answers like any error.
    frameworkErrors: errorHandler,
    clientErrorHandler,
    // Longer than any path parameter's schema takes (2,048 characters, percent-encoded
    // three bytes each), so the schema answers a long id, naming it, rather than the router.
    routerOptions: { maxParamLength: 3 * 2048 },
  });
  app.decorateRequest('principal', null);
  registerJsonBodies(app);
  app.setErrorHandler(errorHandler);
  refuseUnstorableText(app);
  requireRouteSchemas(app);
  app.setNotFoundHandler((request) => {
    throw new CalsyncError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    deps.metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    deps.metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  const now = deps.now ?? (() => new Date());
  // Routes are made per provider (OAuth connects, credential bodies, webhooks), so every registered one is loaded.
  const providers = await Promise.all(deps.providers.names.map((name) => deps.providers.get(name)));
  const tokens = TokenSigner.fromSecrets(deps.secrets);
  const limiter = deps.rateLimit ? new KeyRateLimiter(deps.rateLimit, () => now().getTime()) : null;
  // First, so it sees every route registered after it.
  await openApiRoutes(app);
  // The LISTEN connection behind event streams is opened by the first stream, not here.
  const notices = deps.notices ?? new CalendarNotices(deps.db, { onError: (error) => deps.logger.warn({ err: error }, 'calendar notice connection lost; reconnecting') });
  const openStreams = new Set<() => void>();
  // Streams never end on their own: end them before the server waits for its connections.
  app.addHook('preClose', async () => {
    for (const end of [...openStreams]) end();
  });
  if (!deps.notices) app.addHook('onClose', () => notices.close());

  healthRoutes(app, deps);
  await consoleRoutes(app);
  // Provider webhooks authenticate with their subscription's secret, not an API key.
  const ingress = new PushIngress(deps.db, { debounceMs: deps.debounceMs ?? 500 });
  app.addHook('onClose', () => ingress.drain());
  webhookRoutes(app, { ingress, providers });
  // Inbound sources authenticate with their signature.
  inboundWebhookRoutes(app, { db: deps.db, secrets: deps.secrets, now });
  await app.register(async (authenticated) => {
    requireApiKey(authenticated, deps.db);
    limiter?.register(authenticated);
    calendarRoutes(authenticated, deps);
    eventReadRoutes(authenticated, { db: deps.db, syncTokenMs: deps.tombstoneMs ?? 30 * 86_400_000, tokens, now });
    eventWriteRoutes(authenticated, { db: deps.db, debounceMs: deps.debounceMs ?? 500 });
    freeBusyRoutes(authenticated, { db: deps.db });
    eventStreamRoutes(authenticated, { db: deps.db, notices, heartbeatMs: deps.streamHeartbeatMs ?? 25_000, openStreams });
    channelRoutes(authenticated, { db: deps.db, secrets: deps.secrets, webhooks: deps.webhooks, now });
    adminSyncRoutes(authenticated, { db: deps.db, secrets: deps.secrets, providers: deps.providers, loaded: providers });
    adminQuarantineRoutes(authenticated, { db: deps.db, tokens });
    adminDeadJobRoutes(authenticated, { db: deps.db, tokens });
    adminConflictsRoutes(authenticated, { db: deps.db, tokens, debounceMs: deps.debounceMs ?? 500 });
    adminPassesRoutes(authenticated, { db: deps.db, tokens, debounceMs: deps.debounceMs ?? 500 });
    adminHistoryRoutes(authenticated, { db: deps.db, tokens });
    adminHealthRoutes(authenticated, { db: deps.db, tokens });
    adminChartsRoutes(authenticated, { db: deps.db });
    adminBindingRoutes(authenticated, { db: deps.db, providers: deps.providers });
    adminAccountRoutes(authenticated, { db: deps.db });
    adminResourceRoutes(authenticated, { db: deps.db, now });
    adminBookingRoutes(authenticated, { db: deps.db, debounceMs: deps.debounceMs ?? 500, tokens, now });
    adminBookingChannelRoutes(authenticated, { db: deps.db, secrets: deps.secrets, webhooks: deps.webhooks, now });
    adminInboundRoutes(authenticated, { db: deps.db, secrets: deps.secrets, ...(deps.webhookUrl === undefined ? {} : { webhookUrl: deps.webhookUrl }) });
    adminMirrorRoutes(authenticated, { db: deps.db, debounceMs: deps.debounceMs ?? 500, now });
    // Its own scope, so only the batch routes read multipart/mixed bodies.
    await authenticated.register(async (scope) => batchRoutes(scope, { inject: (options) => app.inject(options), limiter }));
    adminOAuthRoutes(authenticated, { db: deps.db, secrets: deps.secrets, providers, context: deps.providers.context, now });
  });
  return app;
}
