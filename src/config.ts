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
  /** Watch channels may deliver to plain http addresses (development only). */
  allowHttpWebhooks: boolean;
  /** Debounce of the passes a change queues on the other bindings. */
  debounceMs: number;
  /** Remote writes one pass keeps in flight. */
  writeConcurrency: number;
  /** Seconds a CalDAV server may take to start answering a request, discovery included. */
  caldavTimeoutSeconds: number;
  /** How long a pass's lease on its binding lasts; a worker killed mid-pass holds it this long. */
  leaseSeconds: number;
  /** How often the sweep queues passes of bindings no job will reach (a killed worker's). */
  sweepSeconds: number;
  /** How long deletions are kept for sync tokens; an older token gets 410. */
  tombstoneDays: number;
  /** Requests one API key may make per second, on average, in this process. */
  rateLimitPerSecond: number;
  /** Requests one API key may make at once before the per-second rate applies. */
  rateLimitBurst: number;
  /** calsync's OAuth client at Google, and where Google is (an emulator in tests and the sandbox). */
  google: GoogleConfig;
  /** calsync's app registration at Microsoft, and where Graph and the identity platform are. */
  microsoft: MicrosoftConfig;
  /** The public URL providers reach calsync's /webhooks routes at; undefined: no push channels, bindings are polled. */
  webhookUrl: string | undefined;
  /** `auto`: `calsync serve` on a fresh embedded install with no provider configured runs the sandbox; `off`: never. */
  sandbox: 'auto' | 'off';
}

export interface GoogleConfig {
  clientId: string | undefined;
  clientSecret: string | undefined;
  /** Root of the Calendar API; undefined is Google's. */
  apiUrl: string | undefined;
  /** One root serving Google's OAuth paths (/o/oauth2/v2/auth, /token, /revoke); undefined is Google's own hosts. */
  oauthUrl: string | undefined;
}

export interface MicrosoftConfig {
  clientId: string | undefined;
  clientSecret: string | undefined;
  /** Graph's root with its version; undefined is Microsoft's. */
  graphUrl: string | undefined;
  /** The identity platform's root; undefined is Microsoft's. */
  authorityUrl: string | undefined;
  /** The tenant segment of the OAuth endpoints; undefined is `common`. */
  tenant: string | undefined;
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
  { name: 'CALSYNC_ALLOW_PRIVATE_URLS', default: '0', meaning: 'Set to 1 to let CalDAV and ICS URLs and watch channel addresses reach loopback and private networks (a self-hosted server next to calsync).' },
  { name: 'CALSYNC_ALLOWED_URL_HOSTS', default: '(none)', meaning: 'Comma-separated hosts CalDAV and ICS URLs and watch channel addresses may reach even when private.' },
  { name: 'CALSYNC_ALLOW_HTTP_WEBHOOKS', default: '0', meaning: 'Set to 1 to let watch channels deliver to http:// addresses (development only: notifications and their signatures travel unencrypted).' },
  { name: 'CALSYNC_DEBOUNCE_MS', default: '500', meaning: 'How long a change waits for more before the other bindings get a pass.' },
  { name: 'CALSYNC_WRITE_CONCURRENCY', default: '4', meaning: 'Writes one pass keeps in flight to a provider (1 sends them one by one).' },
  { name: 'CALSYNC_CALDAV_TIMEOUT_SECONDS', default: '60', meaning: 'Seconds a CalDAV server may take to start answering a request, discovery included. Raise it for servers slow on very large collections (a Radicale that has just started takes minutes to answer the first request on a collection of 20,000 events).' },
  { name: 'CALSYNC_TOMBSTONE_DAYS', default: '30', meaning: 'How long deleted events are kept for apps syncing with sync tokens; an older token gets 410 fullSyncRequired. Older deletions are purged hourly.' },
  { name: 'CALSYNC_RATE_LIMIT_PER_SECOND', default: '50', meaning: 'Requests per second one API key may make to one API process (a batch counts as its parts); more get 429 with Retry-After. With N API processes a key gets up to N times this.' },
  { name: 'CALSYNC_RATE_LIMIT_BURST', default: '100', meaning: 'Requests one API key may make at once before CALSYNC_RATE_LIMIT_PER_SECOND applies.' },
  { name: 'CALSYNC_GOOGLE_CLIENT_ID', default: '(none)', meaning: 'OAuth client id of calsync at Google (a "Desktop app" or "Web application" client in Google Cloud Console). Needed to connect Google accounts.' },
  { name: 'CALSYNC_GOOGLE_CLIENT_SECRET', default: '(none)', meaning: 'That client\'s secret.' },
  { name: 'CALSYNC_GOOGLE_API_URL', default: 'https://www.googleapis.com/', meaning: 'Root of the Google Calendar API (the emulator\'s URL in tests and the sandbox).' },
  { name: 'CALSYNC_WEBHOOK_URL', default: '(none: polling only)', meaning: 'The public https URL at which Google and Microsoft reach this calsync (e.g. https://calsync.example.com): push subscriptions are made for Google and Microsoft bindings and notifications arrive at /webhooks/google and /webhooks/microsoft. Unset, bindings are only polled.' },
  { name: 'CALSYNC_MICROSOFT_CLIENT_ID', default: '(none)', meaning: 'Application (client) id of calsync\'s app registration in Microsoft Entra, with the delegated permissions Calendars.ReadWrite, User.Read and offline_access. Needed to connect Microsoft accounts.' },
  { name: 'CALSYNC_MICROSOFT_CLIENT_SECRET', default: '(none)', meaning: 'That registration\'s client secret (a "Web" platform needs one; a "Mobile and desktop" one does not).' },
  { name: 'CALSYNC_MICROSOFT_TENANT', default: 'common', meaning: 'Who may connect: common (work, school and personal accounts), organizations, consumers, or one tenant\'s id.' },
  { name: 'CALSYNC_MICROSOFT_GRAPH_URL', default: 'https://graph.microsoft.com/v1.0', meaning: 'Root of Microsoft Graph with its version (the emulator\'s URL in tests and the sandbox).' },
  { name: 'CALSYNC_MICROSOFT_AUTHORITY_URL', default: 'https://login.microsoftonline.com', meaning: 'Root of the Microsoft identity platform (the emulator\'s URL in tests and the sandbox).' },
  { name: 'CALSYNC_SANDBOX', default: 'auto', meaning: 'auto: `calsync serve` (npm start) on a fresh data folder, with no Google or Microsoft client configured and no accounts or calendars yet, runs the sandbox (emulated Google and Outlook calendars with a stream of edits); off: never (as `calsync serve --no-sandbox`).' },
  { name: 'CALSYNC_GOOGLE_OAUTH_URL', default: "(Google's)", meaning: 'One root serving Google\'s OAuth paths /o/oauth2/v2/auth, /token and /revoke (the emulator\'s URL); unset uses accounts.google.com and oauth2.googleapis.com.' },
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

function httpUrl(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim() || undefined;
  if (raw === undefined) return undefined;
  if (!/^https?:\/\//.test(raw) || !URL.canParse(raw)) throw new CalsyncError('CONFIG_INVALID', `${name}=${raw} is not an http(s) URL`, { variable: name });
  return raw;
}

/** A tenant segment of the identity platform's URLs: a name it knows, a tenant's GUID or a domain. */
function microsoftTenant(env: Env): string | undefined {
  const raw = env.CALSYNC_MICROSOFT_TENANT?.trim() || undefined;
  if (raw === undefined) return undefined;
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/.test(raw)) {
    throw new CalsyncError('CONFIG_INVALID', `CALSYNC_MICROSOFT_TENANT=${raw} is not common, organizations, consumers, a tenant id or a domain`, { variable: 'CALSYNC_MICROSOFT_TENANT' });
  }
  return raw;
}

function sandboxOf(env: Env): 'auto' | 'off' {
  const raw = env.CALSYNC_SANDBOX?.trim().toLowerCase() || 'auto';
  if (raw === 'auto') return 'auto';
  if (['off', '0', 'false', 'no'].includes(raw)) return 'off';
  throw new CalsyncError('CONFIG_INVALID', `CALSYNC_SANDBOX=${env.CALSYNC_SANDBOX} is not auto or off`, { variable: 'CALSYNC_SANDBOX' });
}

function databaseUrlOf(env: Env): string | undefined {
  const url = env.DATABASE_URL?.trim() || undefined;
  if (url === undefined) return undefined;
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new CalsyncError('CONFIG_INVALID', 'DATABASE_URL must start with postgres:// or postgresql://', { variable: 'DATABASE_URL' });
  }
  // pg parses the URL only at the first connection, with the WHATWG parser (retried with
  // a placeholder for an empty host, as in postgres://user@/db?host=/run/postgresql, and
  // with spaces encoded): what none of those parse would fail there as "Invalid URL".
  if (![url, url.replace('@/', '@placeholder/'), encodeURI(url)].some((candidate) => URL.canParse(candidate))) {
    const port = /^[^:]+:\/\/[^/?#]*:(\d+)(?:[/?#]|$)/.exec(url)?.[1];
    throw new CalsyncError('CONFIG_INVALID', port !== undefined && Number(port) > 65535
      ? `DATABASE_URL has port ${port}, not one between 1 and 65535`
      : 'DATABASE_URL is not a valid URL (check the host and port, and percent-encode special characters in the user name and password)', { variable: 'DATABASE_URL' });
  }
  return url;
}

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const databaseUrl = databaseUrlOf(env);
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
    allowHttpWebhooks: flag(env, 'CALSYNC_ALLOW_HTTP_WEBHOOKS'),
    debounceMs: integer(env, 'CALSYNC_DEBOUNCE_MS', 500, 0, 600_000),
    writeConcurrency: integer(env, 'CALSYNC_WRITE_CONCURRENCY', 4, 1, 64),
    caldavTimeoutSeconds: integer(env, 'CALSYNC_CALDAV_TIMEOUT_SECONDS', 60, 1, 3600),
    leaseSeconds: integer(env, 'CALSYNC_LEASE_SECONDS', 60, 4, 3600),
    sweepSeconds: integer(env, 'CALSYNC_SWEEP_SECONDS', 60, 1, 86_400),
    tombstoneDays: integer(env, 'CALSYNC_TOMBSTONE_DAYS', 30, 1, 3650),
    rateLimitPerSecond: integer(env, 'CALSYNC_RATE_LIMIT_PER_SECOND', 50, 1, 1_000_000),
    rateLimitBurst: integer(env, 'CALSYNC_RATE_LIMIT_BURST', 100, 1, 1_000_000),
    google: {
      clientId: env.CALSYNC_GOOGLE_CLIENT_ID?.trim() || undefined,
      clientSecret: env.CALSYNC_GOOGLE_CLIENT_SECRET?.trim() || undefined,
      apiUrl: httpUrl(env, 'CALSYNC_GOOGLE_API_URL'),
      oauthUrl: httpUrl(env, 'CALSYNC_GOOGLE_OAUTH_URL'),
    },
    microsoft: {
      clientId: env.CALSYNC_MICROSOFT_CLIENT_ID?.trim() || undefined,
      clientSecret: env.CALSYNC_MICROSOFT_CLIENT_SECRET?.trim() || undefined,
      graphUrl: httpUrl(env, 'CALSYNC_MICROSOFT_GRAPH_URL'),
      authorityUrl: httpUrl(env, 'CALSYNC_MICROSOFT_AUTHORITY_URL'),
      tenant: microsoftTenant(env),
    },
    webhookUrl: httpUrl(env, 'CALSYNC_WEBHOOK_URL'),
    sandbox: sandboxOf(env),
  };
}
