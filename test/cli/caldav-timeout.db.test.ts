// CALSYNC_CALDAV_TIMEOUT_SECONDS bounds how long `calsync connect caldav` waits for a
// server to start answering, and the error names the setting.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { generateSecretKeyText } from '../../src/store/secrets.ts';
import { runCalsync } from '../helpers/cli.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

let t: TestDatabase;
let server: http.Server;
let url: string;
let env: Record<string, string>;
const delayMs = 2_500;

before(async () => {
  t = await freshDatabase();
  // A server that answers every request after delayMs, as a cold server on a huge collection does.
  server = http.createServer((req, res) => {
    setTimeout(() => {
      if (res.destroyed) return;
      res.writeHead(207, { 'content-type': 'application/xml; charset=utf-8' }).end(
        `<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"><d:response><d:href>${req.url}</d:href><d:propstat><d:prop/><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>`);
    }, delayMs);
  }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  env = { DATABASE_URL: t.url, CALSYNC_SECRET_KEY: generateSecretKeyText(), CALSYNC_ALLOW_PRIVATE_URLS: '1', DAV_PASSWORD: 'pw' };
});
after(async () => {
  server.closeAllConnections();
  server.close();
  await t.drop();
});

test('a server slower than CALSYNC_CALDAV_TIMEOUT_SECONDS fails discovery with the setting named, and nothing is stored', async () => {
  const r = await runCalsync(['connect', 'caldav', '--url', url, '--username', 'u', '--password-env', 'DAV_PASSWORD'], { ...env, CALSYNC_CALDAV_TIMEOUT_SECONDS: '1' });
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stderr, /no answer within 1 s \(CALSYNC_CALDAV_TIMEOUT_SECONDS\)/);
  const { rows } = await t.db.query('select 1 from accounts');
  assert.equal(rows.length, 0);
});

test('with a longer timeout the same server is waited for: discovery gets its answer', async () => {
  const r = await runCalsync(['connect', 'caldav', '--url', url, '--username', 'u', '--password-env', 'DAV_PASSWORD'], { ...env, CALSYNC_CALDAV_TIMEOUT_SECONDS: '30' });
  // The answer names no principal: discovery got past the wait and refused the server for what it said.
  assert.equal(r.code, 1, r.stdout);
  assert.doesNotMatch(r.stderr, /no answer within/);
  assert.match(r.stderr, /current-user-principal/);
});
