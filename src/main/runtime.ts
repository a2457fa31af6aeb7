// Opens what every calsync command stands on: the database (embedded or DATABASE_URL),
// migrated, and the secret keys. The only place a real pool is made.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { CalsyncError } from '../errors.ts';
import { sealFeedAddresses } from '../store/accounts.ts';
import { classifyDatabaseError, createPool, redactUrl, type Db } from '../store/db.ts';
import { migrate, type MigrateResult } from '../store/migrate.ts';
import { generateSecretKeyText, parseSecretKey, Secrets, verifySecretKey } from '../store/secrets.ts';
import { sandboxTenantIds } from '../store/sandbox-tenants.ts';
import { createApiKey, createTenant, listTenants } from '../store/tenants.ts';
import { driverConnectionString } from './database-url.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.ts';

export interface Runtime {
  config: Config;
  db: Db;
  databaseUrl: string;
  embedded: EmbeddedPostgres | undefined;
  migration: MigrateResult | undefined;
  close(): Promise<void>;
}

export interface OpenOptions {
  logger: Logger;
  migrate?: boolean;
  poolSize?: number;
  applicationName?: string;
  /** Share the embedded Postgres of a calsync already running on the data folder. */
  attach?: boolean;
  /** Aborted by a signal during start-up: close what was opened and throw. */
  signal?: AbortSignal;
}

export async function openRuntime(config: Config, options: OpenOptions): Promise<Runtime> {
  options.signal?.throwIfAborted();
  let embedded: EmbeddedPostgres | undefined;
  let databaseUrl = config.databaseUrl;
  if (databaseUrl === undefined) {
    embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      port: config.embeddedPostgresPort,
      attach: options.attach ?? false,
      onLog: (line) => options.logger.info(line),
      signal: options.signal,
    });
    databaseUrl = embedded.url;
  }
  const driver = driverConnectionString(databaseUrl);
  if (driver.note) options.logger.warn(driver.note);
  const db = createPool(driver.url, { max: options.poolSize ?? 10, applicationName: options.applicationName });
  const close = async (): Promise<void> => {
    await db.end().catch(() => undefined);
    await embedded?.stop();
  };
  try {
    await db.query('select 1').catch((error: unknown) => { throw classifyDatabaseError(error, databaseUrl!); });
    options.signal?.throwIfAborted();
    const migration = options.migrate === false ? undefined : await migrate(db);
    options.signal?.throwIfAborted();
    if (migration?.applied.length) options.logger.info({ applied: migration.applied }, 'database migrated');
    options.logger.debug({ database: redactUrl(databaseUrl) }, 'database ready');
    return { config, db, databaseUrl, embedded, migration, close };
  } catch (error) {
    await close();
    throw error;
  }
}

function readOrCreateKeyFile(file: string): string {
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const text = generateSecretKeyText();
  fs.writeFileSync(file, `${text}\n`, { mode: 0o600 });
  return text;
}

/**
 * The configured keys, checked against the key the database was encrypted with. Feed
 * addresses stored in clear by an older calsync are sealed here, before anything reads them.
 */
export async function loadSecrets(runtime: Runtime): Promise<Secrets> {
  const { config } = runtime;
  let current: string;
  if (config.secretKey !== undefined) current = config.secretKey;
  else if (runtime.embedded) current = readOrCreateKeyFile(path.join(config.dataDir, 'secret-key'));
  else throw new CalsyncError('SECRET_KEY_REQUIRED', 'CALSYNC_SECRET_KEY is not set');
  const secrets = new Secrets(
    parseSecretKey(current),
    config.previousSecretKeys.map((k, i) => parseSecretKey(k, `CALSYNC_PREVIOUS_SECRET_KEYS[${i}]`)),
  );
  await verifySecretKey(runtime.db, secrets);
  await sealFeedAddresses(runtime.db, secrets);
  return secrets;
}

/**
 * On the first start of an embedded install, a tenant named "local" and its API key,
 * so a newcomer can call the API at once. The key is shown once and kept in
 * <data>/api-key, readable only by its owner. Returns the key when one was made. The
 * sandbox's tenant does not count: it goes when the sandbox stops.
 */
export async function ensureLocalTenant(runtime: Runtime): Promise<string | undefined> {
  if (!runtime.embedded) return undefined;
  const sandbox = await sandboxTenantIds(runtime.db);
  if ((await listTenants(runtime.db)).some((t) => !sandbox.has(t.id))) return undefined;
  const tenant = await createTenant(runtime.db, 'local');
  const { key } = await createApiKey(runtime.db, tenant.id, 'first key');
  fs.writeFileSync(path.join(runtime.config.dataDir, 'api-key'), `${key}\n`, { mode: 0o600 });
  return key;
}
