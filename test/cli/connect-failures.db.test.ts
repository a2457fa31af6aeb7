// Failures a person makes or meets while connecting a CalDAV server or an ICS feed: each
// is one line with its own code and a fix that says what to do, never `[INTERNAL]` (which
// asks for a bug report), never the server's web page pasted; and nothing is stored.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { generateSecretKeyText } from '../../src/store/secrets.ts';
import { runCalsync } from '../helpers/cli.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

const tls = path.resolve(import.meta.dirname, '../fixtures/tls');
const page = '<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body><h1>Welcome to nginx!</h1></body></html>';

let t: TestDatabase;
let web: http.Server;
let selfSigned: https.Server;
let webOrigin: string;
let selfSignedOrigin: string;
let closedPort: number;
let env: Record<string, string>;
let allowed: Record<string, string>;

const listen = async (server: http.Server): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};

before(async () => {
  t = await freshDatabase();
  // A web server: pages for GET and PROPFIND alike, 404 for feeds that are gone.
  web = http.createServer((req, res) => {
    req.resume();
    if (req.url?.startsWith('/gone')) return void res.writeHead(404, { 'content-type': 'text/html' }).end(page);
    res.writeHead(200, { 'content-type': 'text/html' }).end(page);
  });
  webOrigin = `http://127.0.0.1:${await listen(web)}`;
  selfSigned = https.createServer({ key: fs.readFileSync(path.join(tls, 'self_signed_localhost.key')), cert: fs.readFileSync(path.join(tls, 'self_signed_localhost.crt')) }, (_req, res) => res.end('BEGIN:VCALENDAR'));
  selfSignedOrigin = `https://127.0.0.1:${await listen(selfSigned)}`;
  const closed = http.createServer();
  closedPort = await listen(closed);
  await new Promise((resolve) => closed.close(resolve));
  env = { DATABASE_URL: t.url, CALSYNC_SECRET_KEY: generateSecretKeyText(), DAV_PASSWORD: 'pw' };
  allowed = { ...env, CALSYNC_ALLOW_PRIVATE_URLS: '1' };
  assert.equal((await runCalsync(['tenant', 'create', 'clinic'], env)).code, 0);
});
after(async () => {
  web.close();
  selfSigned.close();
  await t.drop();
});

const caldav = (url: string) => ['connect', 'caldav', '--url', url, '--username', 'u', '--password-env', 'DAV_PASSWORD'];
const ics = (url: string) => ['connect', 'ics', '--url', url];

async function fails(args: string[], environment: Record<string, string>, code: string, message: RegExp): Promise<string> {
  const r = await runCalsync(args, environment);
  assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
  assert.match(r.stderr, new RegExp(`\\[${code}\\]\\n?$`), `${args.join(' ')}: ${r.stderr}`);
  assert.match(r.stderr, message, args.join(' '));
  assert.doesNotMatch(r.stderr, /INTERNAL|report them|nginx|<html/i, args.join(' '));
  assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  return r.stderr;
}

test('an address that is not a URL, or not http(s)', async () => {
  await fails(caldav('caldav.example.com'), env, 'PROVIDER_URL_INVALID', /"caldav\.example\.com" is not a valid URL\. Give the whole address, starting with https:\/\//);
  await fails(ics('not a url'), env, 'PROVIDER_URL_INVALID', /"not a url" is not a valid URL/);
  await fails(ics('ftp://example.org/feed.ics'), env, 'PROVIDER_URL_INVALID', /ftp:\/\/example\.org\/… is not an http or https URL/);
});

test('a private address names CALSYNC_ALLOW_PRIVATE_URLS', async () => {
  await fails(caldav(`${webOrigin}/`), env, 'PROVIDER_URL_REFUSED', /resolves to a loopback address; set CALSYNC_ALLOW_PRIVATE_URLS=1 to allow\. To reach a server on your own network, set CALSYNC_ALLOW_PRIVATE_URLS=1/);
  await fails(ics(`${webOrigin}/team.ics`), env, 'PROVIDER_URL_REFUSED', /loopback address; set CALSYNC_ALLOW_PRIVATE_URLS=1/);
});

test('a refused connection says nothing listens there', async () => {
  await fails(caldav(`http://127.0.0.1:${closedPort}/`), allowed, 'PROVIDER_CONNECTION_REFUSED', /connection refused \(nothing listens on that host and port\)\. Nothing accepts connections at that host and port: check the port/);
  await fails(ics(`http://127.0.0.1:${closedPort}/team.ics`), allowed, 'PROVIDER_CONNECTION_REFUSED', /connection refused/);
});

test('a certificate that does not verify is a TLS failure', async () => {
  // Node 24 adds advice of its own after the reason ("; if the root CA is installed locally…").
  await fails(caldav(`${selfSignedOrigin}/`), allowed, 'PROVIDER_TLS_FAILED', /the TLS connection failed \(DEPTH_ZERO_SELF_SIGNED_CERT: self[- ]signed certificate[;)]/);
  await fails(ics(`${selfSignedOrigin}/team.ics`), allowed, 'PROVIDER_TLS_FAILED', /TLS connection failed/);
  // https to a port that speaks plain http.
  await fails(ics(`${webOrigin.replace('http:', 'https:')}/team.ics`), allowed, 'PROVIDER_TLS_FAILED', /TLS connection failed/);
});

test('a web server is not a CalDAV server, and its page is not pasted', async () => {
  await fails(caldav(`${webOrigin}/`), allowed, 'NOT_A_CALDAV_SERVER',
    /is not a CalDAV server: PROPFIND there answered HTTP 200 with a web page, and \/\.well-known\/caldav HTTP 200 with a web page\. Give the server's CalDAV address/);
});

test('a feed that answers 404 is not found', async () => {
  await fails(ics(`${webOrigin}/gone/team.ics`), allowed, 'FEED_NOT_FOUND', /does not exist \(404\); the feed was removed or its address changed\. The feed's address answers "not found"/);
});

test('none of the failures stored anything', async () => {
  const { rows } = await t.db.query('select 1 from accounts');
  assert.equal(rows.length, 0);
});
