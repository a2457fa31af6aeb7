import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { environmentVariables, loadConfig } from '../src/config.ts';

test('defaults: embedded Postgres in ./.calsync, port 8080 on loopback', () => {
  const config = loadConfig({}, '/srv/app');
  assert.equal(config.databaseUrl, undefined);
  assert.equal(config.dataDir, '/srv/app/.calsync');
  assert.equal(config.port, 8080);
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.secretKey, undefined);
  assert.deepEqual(config.previousSecretKeys, []);
  assert.equal(config.caldavTimeoutSeconds, 60);
  assert.equal(config.sandbox, 'auto');
  // Unset, Microsoft's own hosts and the `common` authority are used (src/connectors/microsoft/provider.ts).
  assert.deepEqual(config.microsoft, { clientId: undefined, clientSecret: undefined, graphUrl: undefined, authorityUrl: undefined, tenant: undefined });
});

test('every variable is read', () => {
  const config = loadConfig({
    DATABASE_URL: 'postgresql://u@db/x', CALSYNC_DATA_DIR: 'data', HOST: '0.0.0.0', PORT: '9000', LOG_LEVEL: 'debug',
    CALSYNC_SECRET_KEY: 'k', CALSYNC_PREVIOUS_SECRET_KEYS: 'a, b,', CALSYNC_WORKER_CONCURRENCY: '3',
    CALSYNC_EMBEDDED_PG_PORT: '6543', CALSYNC_BODY_LIMIT: '2048', CALSYNC_ALLOW_PRIVATE_URLS: 'yes',
    CALSYNC_ALLOWED_URL_HOSTS: 'dav.lan, 10.0.0.5', CALSYNC_DEBOUNCE_MS: '250', CALSYNC_WRITE_CONCURRENCY: '2', CALSYNC_CALDAV_TIMEOUT_SECONDS: '600', CALSYNC_TOMBSTONE_DAYS: '7',
    CALSYNC_ALLOW_HTTP_WEBHOOKS: '1', CALSYNC_RATE_LIMIT_PER_SECOND: '20', CALSYNC_RATE_LIMIT_BURST: '40', CALSYNC_GOOGLE_CLIENT_ID: 'cid', CALSYNC_GOOGLE_CLIENT_SECRET: 'cs',
    CALSYNC_GOOGLE_API_URL: 'http://127.0.0.1:8095/', CALSYNC_GOOGLE_OAUTH_URL: 'http://127.0.0.1:8095', CALSYNC_WEBHOOK_URL: 'https://calsync.example.com',
    CALSYNC_MICROSOFT_CLIENT_ID: 'mid', CALSYNC_MICROSOFT_CLIENT_SECRET: 'ms', CALSYNC_MICROSOFT_TENANT: 'contoso.onmicrosoft.com',
    CALSYNC_MICROSOFT_GRAPH_URL: 'http://127.0.0.1:8096/v1.0', CALSYNC_MICROSOFT_AUTHORITY_URL: 'http://127.0.0.1:8096', CALSYNC_SANDBOX: 'off',
  }, '/srv');
  assert.deepEqual(config, {
    databaseUrl: 'postgresql://u@db/x', dataDir: '/srv/data', host: '0.0.0.0', port: 9000, logLevel: 'debug', secretKey: 'k',
    previousSecretKeys: ['a', 'b'], workerConcurrency: 3, embeddedPostgresPort: 6543, bodyLimitBytes: 2048,
    allowPrivateUrls: true, allowedUrlHosts: ['dav.lan', '10.0.0.5'], allowHttpWebhooks: true, debounceMs: 250, writeConcurrency: 2, caldavTimeoutSeconds: 600, leaseSeconds: 60, sweepSeconds: 60, tombstoneDays: 7,
    rateLimitPerSecond: 20, rateLimitBurst: 40,
    google: { clientId: 'cid', clientSecret: 'cs', apiUrl: 'http://127.0.0.1:8095/', oauthUrl: 'http://127.0.0.1:8095' },
    microsoft: { clientId: 'mid', clientSecret: 'ms', tenant: 'contoso.onmicrosoft.com', graphUrl: 'http://127.0.0.1:8096/v1.0', authorityUrl: 'http://127.0.0.1:8096' },
    webhookUrl: 'https://calsync.example.com', sandbox: 'off',
  });
});

test('bad values are refused with the variable named', () => {
  for (const [name, value] of [['PORT', '80a'], ['PORT', '70000'], ['CALSYNC_WORKER_CONCURRENCY', '0'], ['LOG_LEVEL', 'loud'],
    ['DATABASE_URL', 'mysql://x'], ['CALSYNC_BODY_LIMIT', '1.5'], ['CALSYNC_ALLOW_PRIVATE_URLS', 'maybe'], ['CALSYNC_ALLOW_HTTP_WEBHOOKS', 'on'], ['CALSYNC_RATE_LIMIT_PER_SECOND', '0'],
    ['CALSYNC_RATE_LIMIT_BURST', 'lots'], ['CALSYNC_GOOGLE_API_URL', 'ftp://x'], ['CALSYNC_CALDAV_TIMEOUT_SECONDS', '0'], ['CALSYNC_CALDAV_TIMEOUT_SECONDS', '1m'],
    ['CALSYNC_MICROSOFT_GRAPH_URL', 'graph.microsoft.com'], ['CALSYNC_MICROSOFT_AUTHORITY_URL', 'ftp://x'], ['CALSYNC_MICROSOFT_TENANT', 'common/../x'], ['CALSYNC_MICROSOFT_TENANT', '-x'], ['CALSYNC_SANDBOX', 'on']] as const) {
    assert.throws(() => loadConfig({ [name]: value }), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && e.message.includes(name), `${name}=${value}`);
  }
});

test('the README configuration table lists every variable', () => {
  const readme = fs.readFileSync(path.resolve(import.meta.dirname, '../README.md'), 'utf8');
  for (const variable of environmentVariables) assert.match(readme, new RegExp(`\\| \`${variable.name}\` \\|`), variable.name);
});

test('a DATABASE_URL pg could not parse is refused at start, naming a port out of range', () => {
  assert.throws(() => loadConfig({ DATABASE_URL: 'postgres://calsync:pw@db.internal:99999/calsync' }),
    (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && /port 99999, not one between 1 and 65535/.test(e.message));
  assert.throws(() => loadConfig({ DATABASE_URL: 'postgres://calsync@db.internal:5432x/calsync' }),
    (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && /DATABASE_URL is not a valid URL/.test(e.message));
  for (const url of ['postgres://calsync@/calsync?host=/run/postgresql', 'postgres://calsync:two words@db/calsync', 'postgresql://[::1]:5432/calsync?sslmode=disable']) {
    assert.equal(loadConfig({ DATABASE_URL: url }).databaseUrl, url);
  }
});
