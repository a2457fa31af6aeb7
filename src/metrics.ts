// calsync's Prometheus metrics. One registry per process, made by the composition root
// and handed to the HTTP app and the worker.
import client from 'prom-client';
import { queueCounts } from './store/queue.ts';
import type { Queryable } from './store/db.ts';

export interface Metrics {
  registry: client.Registry;
  httpRequests: client.Counter<'method' | 'route' | 'status'>;
  httpDuration: client.Histogram<'method' | 'route'>;
  jobsRun: client.Counter<'task' | 'outcome'>;
  watchDeliveries: client.Counter<'state' | 'outcome'>;
}

export function createMetrics(options: { db?: Queryable; processMetrics?: boolean } = {}): Metrics {
  const registry = new client.Registry();
  if (options.processMetrics !== false) client.collectDefaultMetrics({ register: registry });
  const db = options.db;
  if (db) {
    // Read at scrape time from the queue tables, so every process reports the same
    // shared queue; scrape one process per database, or use max() across them.
    new client.Gauge({
      name: 'calsync_queue_jobs',
      help: 'Jobs in the queue by state (pending: due now; scheduled: waiting for their time; running, retrying, dead).',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const counts = await queueCounts(db);
        for (const [state, value] of Object.entries(counts)) this.set({ state }, value);
      },
    });
  }
  return {
    registry,
    httpRequests: new client.Counter({ name: 'calsync_http_requests_total', help: 'HTTP requests by method, route and status.', labelNames: ['method', 'route', 'status'], registers: [registry] }),
    httpDuration: new client.Histogram({
      name: 'calsync_http_request_duration_seconds', help: 'HTTP request duration.', labelNames: ['method', 'route'], registers: [registry],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    }),
    jobsRun: new client.Counter({ name: 'calsync_jobs_total', help: 'Jobs this process ran, by task and outcome.', labelNames: ['task', 'outcome'], registers: [registry] }),
    watchDeliveries: new client.Counter({
      name: 'calsync_watch_deliveries_total', labelNames: ['state', 'outcome'], registers: [registry],
      help: 'Watch channel notifications this process sent, by resource state (sync, exists) and outcome (ok, http_error, network_error, refused).',
    }),
  };
}
