// The operator console's files (src/http/console.ts): served without a key, as they are,
// with a policy that lets the page run only its own scripts; nothing else can be named.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { testApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
before(async () => { t = await testApp(); });
after(async () => { await t.close(); });

const web = path.resolve(import.meta.dirname, '../../web');

test('GET / is the console page, with its content security policy', async () => {
  const res = await t.app.inject({ method: 'GET', url: '/' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/html/);
  assert.equal(res.body, fs.readFileSync(path.join(web, 'index.html'), 'utf8'));
  assert.match(String(res.headers['content-security-policy']), /script-src 'self';.*connect-src 'self'/);
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
});

test('every file of web/console/ is served with the type a browser runs it as', async () => {
  const files = fs.readdirSync(path.join(web, 'console'));
  assert.ok(files.includes('app.js') && files.includes('console.css'));
  for (const file of files) {
    const res = await t.app.inject({ method: 'GET', url: `/console/${file}` });
    assert.equal(res.statusCode, 200, file);
    assert.match(String(res.headers['content-type']), file.endsWith('.js') ? /^(text|application)\/javascript/ : /^text\/css/, file);
    assert.equal(res.body, fs.readFileSync(path.join(web, 'console', file), 'utf8'), file);
  }
});

test('nothing outside web/console/ can be named, and a missing file is 404', async () => {
  for (const url of ['/console/..%2f..%2fpackage.json', '/console/.env', '/console/app.ts', '/console/sub%2fapp.js', '/console/%2e%2e%2fapp.js']) {
    const res = await t.app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 400, url);
    assert.equal(res.json().error.calsync.code, 'INVALID_REQUEST', url);
  }
  // Dot segments are resolved before routing: `/console/%2e%2e` is `/`, the page itself.
  const up = await t.app.inject({ method: 'GET', url: '/console/%2e%2e' });
  assert.equal(up.body, fs.readFileSync(path.join(web, 'index.html'), 'utf8'));
  const missing = await t.app.inject({ method: 'GET', url: '/console/nothing-here.js' });
  assert.equal(missing.statusCode, 404);
});

test('preconditions and ranges get the whole file, and a revalidation its 304', async () => {
  const whole = fs.readFileSync(path.join(web, 'console', 'app.js'), 'utf8');
  for (const headers of [{ 'if-match': '"not-this"' }, { 'if-unmodified-since': 'Mon, 01 Jan 2001 00:00:00 GMT' }, { range: 'bytes=0-5' }, { range: 'bytes=999999-' }]) {
    const res = await t.app.inject({ method: 'GET', url: '/console/app.js', headers });
    assert.equal(res.statusCode, 200, JSON.stringify(headers));
    assert.equal(res.body, whole, JSON.stringify(headers));
  }
  const first = await t.app.inject({ method: 'GET', url: '/console/app.js' });
  const again = await t.app.inject({ method: 'GET', url: '/console/app.js', headers: { 'if-none-match': String(first.headers.etag) } });
  assert.equal(again.statusCode, 304);
});
