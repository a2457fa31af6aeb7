// An HTTP app on a fresh database, for inject() tests.
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { build } from '../../src/http/app.ts';
import { caldavProvider } from '../../src/connectors/caldav/provider.ts';
import { icsProvider } from '../../src/connectors/ics/provider.ts';
import type { CredentialsConnect, ProviderSet } from '../../src/connectors/provider.ts';
import { providerRegistry } from '../../src/connectors/registry.ts';
import { feedLabel } from '../../src/core/feed-label.ts';
import type { RateLimit } from '../../src/http/rate-limit.ts';
import { providerSet, urlGuard } from '../../src/main/connectors.ts';
import type { CalendarNotices } from '../../src/store/calendar-notices.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { createMetrics, type Metrics } from '../../src/metrics.ts';
import { createApiKey, createTenant } from '../../src/store/tenants.ts';
import { freshDatabase, type TestDatabase } from './database.ts';

export interface TestApp {
  app: FastifyInstance;
  database: TestDatabase;
  close(): Promise<void>;
}

export interface TestAppOptions {
  bodyLimitBytes?: number;
  providers?: ProviderSet;
  /** Watch channels may use http and private addresses (default true: test receivers listen on 127.0.0.1). */
  localWebhooks?: boolean;
  secrets?: Secrets;
  metrics?: Metrics;
  streamHeartbeatMs?: number;
  rateLimit?: RateLimit;
  now?: () => Date;
  notices?: CalendarNotices;
}

/** The app on an existing database (a second app with other settings shares the first one's data). */
export function appOn(database: TestDatabase, options: TestAppOptions = {}): Promise<FastifyInstance> {
  const local = options.localWebhooks ?? true;
  return build({
    db: database.db, secrets: options.secrets ?? new Secrets(parseSecretKey(generateSecretKeyText())),
    providers: options.providers ?? providerSet({ fetch: globalThis.fetch, guard: urlGuard({ allowPrivateUrls: true, allowedUrlHosts: [] }) }),
    webhooks: { guard: urlGuard({ allowPrivateUrls: local, allowedUrlHosts: [] }), allowHttp: local },
    logger: pino({ level: 'silent' }), metrics: options.metrics ?? createMetrics({ db: database.db, processMetrics: false }),
    bodyLimitBytes: options.bodyLimitBytes ?? 64 * 1024,
    ...(options.streamHeartbeatMs === undefined ? {} : { streamHeartbeatMs: options.streamHeartbeatMs }),
    ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}), ...(options.now ? { now: options.now } : {}),
    ...(options.notices ? { notices: options.notices } : {}),
  });
}

/**
 * The registered providers without a network: a feed "answers" with `events` events, a
 * CalDAV server never does; for tests about who may touch what.
 */
export function offlineProviders(events: number): ProviderSet {
  const feed = icsProvider.connect as CredentialsConnect;
  return providerSet({ fetch: globalThis.fetch, guard: urlGuard({ allowPrivateUrls: false, allowedUrlHosts: [] }) }, providerRegistry({
    ics: async () => ({
      ...icsProvider,
      connect: { ...feed, connect: async (_ctx, { url }) => ({ login: '', displayName: feedLabel(url!), serverUrl: feedLabel(url!), credentials: { url }, events }) },
    }),
    caldav: async () => ({ ...caldavProvider, connect: { ...caldavProvider.connect as CredentialsConnect, connect: async () => { throw new Error('no CalDAV server in this test'); } } }),
  }));
}

export async function testApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = await freshDatabase();
  const app = await appOn(database, options);
  return {
    app, database,
    async close() {
      await app.close();
      await database.drop();
    },
  };
}

export async function tenantWithKey(t: TestApp, name: string): Promise<{ tenantId: string; key: string; keyId: string; auth: { authorization: string } }> {
  const tenant = await createTenant(t.database.db, name);
  const { key, info } = await createApiKey(t.database.db, tenant.id, 'test');
  return { tenantId: tenant.id, key, keyId: info.id, auth: { authorization: `Bearer ${key}` } };
}
