// Liveness, readiness and metrics: unauthenticated, for load balancers and Prometheus.
import type { FastifyInstance } from 'fastify';
import type { Db } from '../store/db.ts';
import type { Metrics } from '../metrics.ts';
import { unreadParameters } from './route-schemas.ts';

// In the OpenAPI document, these need no key; they read no query parameter (a scraper's are ignored).
const withoutKey = { schema: { security: [], querystring: unreadParameters } };

export function healthRoutes(app: FastifyInstance, deps: { db: Db; metrics: Metrics }): void {
  app.get('/healthz', withoutKey, async () => ({ status: 'ok' }));

  // Ready when the database answers and the queue's schema is in place.
  app.get('/readyz', withoutKey, async (_request, reply) => {
    const checks: Record<string, string> = {};
    try {
      await deps.db.query('select 1');
      checks.database = 'ok';
    } catch (error) {
      checks.database = (error as Error).message;
    }
    try {
      await deps.db.query('select 1 from graphile_worker.jobs limit 1');
      checks.queue = 'ok';
    } catch (error) {
      checks.queue = (error as Error).message;
    }
    const ready = Object.values(checks).every((v) => v === 'ok');
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });

  app.get('/metrics', withoutKey, async (_request, reply) => {
    const body = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(body);
  });
}
