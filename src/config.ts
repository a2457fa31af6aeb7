// The only module that reads the environment. Everything else receives a Config.
import path from 'node:path';
import { CalsyncError } from './errors.ts';

export interface Config {
  /** Postgres connection string; undefined means the embedded Postgres in dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  host: string;
  port: number;
  logLevel: string;
  /** Base64/hex text of the current AES-256 key; undefined means generated into dataDir (embedded only). */
  secretKey: string | undefined;
  previousSecretKeys: string[];
  workerConcurrency: number;
  /** Fixed port for the embedded Postgres; 0 picks a free one on every start. */
  embeddedPostgresPort: number;
  /** Largest accepted request body. */
  bodyLimitBytes: number;
  /** User-given URLs (CalDAV servers, ICS feeds) may point at loopback and private networks. */
  allowPrivateUrls: boolean;
  /** Hosts user-given URLs may reach even when private or link-local. */
  allowedUrlHosts: string[];
  /** Debounce of the passes a change queues on the other bindings. */
  debounceMs: number;
}

export const environmentVariables = [
  { name: 'DATABASE_URL', default: '(embedded Postgres)', meaning: 'Postgres to use. Unset: calsync starts its own Postgres in CALSYNC_DATA_DIR.' },
  { name: 'CALSYNC_DATA_DIR', default: './.calsync', meaning: 'Folder for the embedded Postgres, the generated secret key and the first API key.' },
  { name: 'HOST', default: '127.0.0.1', meaning: 'Address the HTTP server binds to (0.0.0.0 for all interfaces).' },
  { name: 'PORT', default: '8080', meaning: 'HTTP port.' },
  { name: 'LOG_LEVEL', default: 'info', meaning: 'pino level: fatal, error, warn, info, debug, trace or silent.' },
  { name: 'CALSYNC_SECRET_KEY', default: '(generated in embedded mode)', meaning: '32-byte AES-256-GCM key (64 hex characters or base64) for credentials at rest. Required with DATABASE_URL.' },
  { name: 'CALSYNC_PREVIOUS_SECRET_KEYS', default: '(none)', meaning: 'Comma-separated older keys, still accepted for reading while `calsync secrets rotate` re-encrypts.' },
  { name: 'CALSYNC_WORKER_CONCURRENCY', default: '8', meaning: 'Jobs one worker process runs at once.' },
  { name: 'CALSYNC_EMBEDDED_PG_PORT', default: '0 (a free port)', meaning: 'Port of the embedded Postgres, bound to 127.0.0.1 only.' },
  { name: 'CALSYNC_BODY_LIMIT', default: '1048576', meaning: 'Largest accepted request body in bytes.' },
  { name: 'CALSYNC_ALLOW_PRIVATE_URLS', default: '0', meaning: 'Set to 1 to let CalDAV and ICS URLs reach loopback and private networks (a self-hosted server next to calsync).' },
  { name: 'CALSYNC_ALLOWED_URL_HOSTS', default: '(none)', meaning: 'Comma-separated hosts CalDAV and ICS URLs may reach even when private.' },
  { name: 'CALSYNC_DEBOUNCE_MS', default: '500', meaning: 'How long a change waits for more before the other bindings get a pass.' },
] as const;

type Env = Record<string, string | undefined>;

function flag(env: Env, name: string): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false' || raw === 'no') return false;
  if (raw === '1' || raw === 'true' || raw === 'yes') return true;
  throw new CalsyncError('CONFIG_INVALID', `${name}=${env[name]} is not 1 or 0`, { variable: name });
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CalsyncError('CONFIG_INVALID', `${name}=${raw} is not an integer between ${min} and ${max}`, { variable: name });
  }
  return value;
}

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new CalsyncError('CONFIG_INVALID', 'DATABASE_URL must start with postgres:// or postgresql://', { variable: 'DATABASE_URL' });
  }
  const logLevel = env.LOG_LEVEL?.trim() || 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new CalsyncError('CONFIG_INVALID', `LOG_LEVEL=${logLevel} is not one of fatal, error, warn, info, debug, trace, silent`, { variable: 'LOG_LEVEL' });
  }
  return {
    databaseUrl,
    dataDir: path.resolve(cwd, env.CALSYNC_DATA_DIR?.trim() || '.calsync'),
    host: env.HOST?.trim() || '127.0.0.1',
    port: integer(env, 'PORT', 8080, 0, 65535),
    logLevel,
    secretKey: env.CALSYNC_SECRET_KEY?.trim() || undefined,
    previousSecretKeys: (env.CALSYNC_PREVIOUS_SECRET_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean),
    workerConcurrency: integer(env, 'CALSYNC_WORKER_CONCURRENCY', 8, 1, 256),
    embeddedPostgresPort: integer(env, 'CALSYNC_EMBEDDED_PG_PORT', 0, 0, 65535),
    bodyLimitBytes: integer(env, 'CALSYNC_BODY_LIMIT', 1024 * 1024, 1024, 64 * 1024 * 1024),
    allowPrivateUrls: flag(env, 'CALSYNC_ALLOW_PRIVATE_URLS'),
    allowedUrlHosts: (env.CALSYNC_ALLOWED_URL_HOSTS ?? '').split(',').map((h) => h.trim()).filter(Boolean),
    debounceMs: integer(env, 'CALSYNC_DEBOUNCE_MS', 500, 0, 600_000),
  };
}
