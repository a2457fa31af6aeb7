// The HTTP app as a value: build(deps) returns a Fastify instance that does not listen.
// Tests call inject(); `calsync serve` and `calsync api` call listen().
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { WorkerUtils } from 'graphile-worker';
import { CalsyncError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import type { Db } from '../store/db.ts';
import type { Secrets } from '../store/secrets.ts';
import { adminRoutes } from './admin.ts';
import { adminSyncRoutes } from './admin-sync.ts';
import type { ProviderProbes } from './providers.ts';
import { requireApiKey } from './auth.ts';
import { calendarRoutes } from './calendars.ts';
import { errorHandler } from './errors.ts';
import { healthRoutes } from './health.ts';

export interface HttpDeps {
  db: Db;
  secrets: Secrets;
  providers: ProviderProbes;
  logger: Logger;
  metrics: Metrics;
  queue: Pick<WorkerUtils, 'addJobs'>;
  bodyLimitBytes: number;
}

export async function build(deps: HttpDeps): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.bodyLimitBytes,
    // Unknown fields are refused, not silently dropped (Fastify's default removes them).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  app.decorateRequest('principal', null);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request) => {
    throw new CalsyncError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    deps.metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    deps.metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  healthRoutes(app, deps);
  await app.register(async (authenticated) => {
    requireApiKey(authenticated, deps.db);
    calendarRoutes(authenticated, deps);
    adminRoutes(authenticated, deps);
    adminSyncRoutes(authenticated, deps);
  });
  return app;
}
