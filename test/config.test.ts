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
});

test('every variable is read', () => {
  const config = loadConfig({
    DATABASE_URL: 'postgresql://u@db/x', CALSYNC_DATA_DIR: 'data', HOST: '0.0.0.0', PORT: '9000', LOG_LEVEL: 'debug',
    CALSYNC_SECRET_KEY: 'k', CALSYNC_PREVIOUS_SECRET_KEYS: 'a, b,', CALSYNC_WORKER_CONCURRENCY: '3',
    CALSYNC_EMBEDDED_PG_PORT: '6543', CALSYNC_BODY_LIMIT: '2048', CALSYNC_ALLOW_PRIVATE_URLS: 'yes',
    CALSYNC_ALLOWED_URL_HOSTS: 'dav.lan, 10.0.0.5', CALSYNC_DEBOUNCE_MS: '250',
  }, '/srv');
  assert.deepEqual(config, {
    databaseUrl: 'postgresql://u@db/x', dataDir: '/srv/data', host: '0.0.0.0', port: 9000, logLevel: 'debug', secretKey: 'k',
    previousSecretKeys: ['a', 'b'], workerConcurrency: 3, embeddedPostgresPort: 6543, bodyLimitBytes: 2048,
    allowPrivateUrls: true, allowedUrlHosts: ['dav.lan', '10.0.0.5'], debounceMs: 250,
  });
});

test('bad values are refused with the variable named', () => {
  for (const [name, value] of [['PORT', '80a'], ['PORT', '70000'], ['CALSYNC_WORKER_CONCURRENCY', '0'], ['LOG_LEVEL', 'loud'],
    ['DATABASE_URL', 'mysql://x'], ['CALSYNC_BODY_LIMIT', '1.5'], ['CALSYNC_ALLOW_PRIVATE_URLS', 'maybe']] as const) {
    assert.throws(() => loadConfig({ [name]: value }), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && e.message.includes(name), `${name}=${value}`);
  }
});

test('the README configuration table lists every variable', () => {
  const readme = fs.readFileSync(path.resolve(import.meta.dirname, '../README.md'), 'utf8');
  for (const variable of environmentVariables) assert.match(readme, new RegExp(`\\| \`${variable.name}\` \\|`), variable.name);
});
