// The console's charts (src/store/charts.ts): the key's tenant's passes by provider and
// outcome, their durations, the errors that failed them and inbound deliveries, hour by
// hour over the last `hours` hours (24 unless asked; at most a week).
import type { FastifyInstance } from 'fastify';
import type { Db } from '../store/db.ts';
import { tenantCharts } from '../store/charts.ts';
import { adminTags, errorAnswer } from './admin-schemas.ts';
import { tenantOf } from './auth.ts';

export interface AdminChartsDeps {
  db: Db;
}

const counts = { type: 'array', items: { type: 'integer' }, description: 'One number per hour, as `hours`.' } as const;
const millis = { type: 'array', items: { type: 'integer', nullable: true }, description: 'Milliseconds per hour; null where no pass finished.' } as const;

export function adminChartsRoutes(app: FastifyInstance, deps: AdminChartsDeps): void {
  app.get<{ Querystring: { hours?: string } }>('/admin/v1/charts', {
    schema: {
      summary: 'Passes, their durations and errors by provider, and inbound deliveries, hour by hour', tags: adminTags,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { hours: { type: 'string', pattern: '^(16[0-8]|1[0-5][0-9]|[1-9][0-9]?)$', description: 'Hours back, 1 to 168 (a week); default 24.' } },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            hours: { type: 'array', items: { type: 'string', format: 'date-time' }, description: 'The start of each hour, oldest first; the last is the current hour.' },
            passes: { type: 'array', items: { type: 'object', properties: { provider: { type: 'string' }, outcome: { type: 'string', description: '`ok`, `partial`, `failed`, `stopped`, or `running` (not finished: running, or its process died).' }, counts } } },
            durations: { type: 'array', items: { type: 'object', properties: { provider: { type: 'string' }, p50: millis, p99: millis } } },
            errors: { type: 'array', items: { type: 'object', properties: { provider: { type: 'string' }, kind: { type: 'string', description: 'The failed pass\'s error code.' }, counts } } },
            deliveries: { type: 'array', items: { type: 'object', properties: { state: { type: 'string', enum: ['queued', 'done', 'ignored', 'failed'] }, counts } } },
          },
        },
        400: errorAnswer('A parameter is invalid.'),
      },
    },
  }, async (request) => tenantCharts(deps.db, tenantOf(request), Number(request.query.hours ?? 24)));
}
