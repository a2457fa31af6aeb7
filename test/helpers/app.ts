// An HTTP app on a fresh database, for inject() tests.
import type { FastifyInstance } from 'fastify';
import { makeWorkerUtils, type WorkerUtils } from 'graphile-worker';
import pino from 'pino';
import { build } from '../../src/http/app.ts';
import type { ProviderProbes } from '../../src/http/providers.ts';
import { providerProbes } from '../../src/main/providers.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createApiKey, createTenant } from '../../src/store/tenants.ts';
import { freshDatabase, type TestDatabase } from './database.ts';

export interface TestApp {
  app: FastifyInstance;
  database: TestDatabase;
  utils: WorkerUtils;
  close(): Promise<void>;
}

export async function testApp(options: { bodyLimitBytes?: number; providers?: ProviderProbes } = {}): Promise<TestApp> {
  const database = await freshDatabase();
  const utils = await makeWorkerUtils({ pgPool: database.db });
  const app = await build({
    db: database.db, secrets: new Secrets(parseSecretKey(generateSecretKeyText())),
    providers: options.providers ?? providerProbes({ allowPrivateUrls: true, allowedUrlHosts: [] }),
    logger: pino({ level: 'silent' }), metrics: createMetrics({ db: database.db, processMetrics: false }),
    queue: utils, bodyLimitBytes: options.bodyLimitBytes ?? 64 * 1024,
  });
  return {
    app, database, utils,
    async close() {
      await app.close();
      await utils.release();
      await database.drop();
    },
  };
}

export async function tenantWithKey(t: TestApp, name: string): Promise<{ tenantId: string; key: string; keyId: string; auth: { authorization: string } }> {
  const tenant = await createTenant(t.database.db, name);
  const { key, info } = await createApiKey(t.database.db, tenant.id, 'test');
  return { tenantId: tenant.id, key, keyId: info.id, auth: { authorization: `Bearer ${key}` } };
}
