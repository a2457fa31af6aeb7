// Bad configuration ends with one clear line saying what to fix, not a stack trace.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { generateSecretKeyText, parseSecretKey, Secrets, verifySecretKey } from '../../src/store/secrets.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { runCalsync } from '../helpers/cli.ts';

let t: TestDatabase;
const key = generateSecretKeyText();
before(async () => {
  t = await freshDatabase();
  await verifySecretKey(t.db, new Secrets(parseSecretKey(key)));
});
after(async () => { await t.drop(); });

function assertOneClearLine(stderr: string, code: string): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.match(lines[0]!, new RegExp(`^calsync: .+\\[${code}\\]$`));
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
}

test('an unreachable DATABASE_URL', async () => {
  const r = await runCalsync(['status'], { DATABASE_URL: 'postgres://calsync@127.0.0.1:1/calsync' });
  assert.equal(r.code, 1);
  assertOneClearLine(r.stderr, 'DATABASE_UNREACHABLE');
  assert.match(r.stderr, /DATABASE_URL/);
});

test('a DATABASE_URL that is not a postgres URL', async () => {
  const r = await runCalsync(['status'], { DATABASE_URL: 'mysql://localhost/x' });
  assert.equal(r.code, 1);
  assertOneClearLine(r.stderr, 'CONFIG_INVALID');
});

test('a database that does not exist', async () => {
  const url = new URL(t.url);
  url.pathname = '/calsync_no_such_database';
  const r = await runCalsync(['status'], { DATABASE_URL: url.toString() });
  assert.equal(r.code, 1);
  assertOneClearLine(r.stderr, 'DATABASE_MISSING');
});

test('a secret key other than the one the database was encrypted with', async () => {
  const r = await runCalsync(['serve'], { DATABASE_URL: t.url, CALSYNC_SECRET_KEY: generateSecretKeyText(), PORT: '0' });
  assert.equal(r.code, 1);
  assertOneClearLine(r.stderr, 'SECRET_KEY_MISMATCH');
});

test('a malformed secret key', async () => {
  const r = await runCalsync(['serve'], { DATABASE_URL: t.url, CALSYNC_SECRET_KEY: 'hunter2', PORT: '0' });
  assert.equal(r.code, 1);
  assertOneClearLine(r.stderr, 'SECRET_KEY_INVALID');
});

test('DATABASE_URL without a secret key', async () => {
  const r = await runCalsync(['serve'], { DATABASE_URL: t.url, PORT: '0' });
  assert.equal(r.code, 1);
  assertOneClearLine(r.stderr, 'SECRET_KEY_REQUIRED');
});

test('a port in use', async () => {
  const blocker = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => blocker.once('listening', r));
  const { port } = blocker.address() as net.AddressInfo;
  try {
    const r = await runCalsync(['serve'], { DATABASE_URL: t.url, CALSYNC_SECRET_KEY: key, PORT: String(port) });
    assert.equal(r.code, 1);
    assertOneClearLine(r.stderr, 'PORT_IN_USE');
    assert.match(r.stderr, new RegExp(String(port)));
  } finally {
    blocker.close();
  }
});

test('a PORT that is not a port', async () => {
  const r = await runCalsync(['serve'], { DATABASE_URL: t.url, CALSYNC_SECRET_KEY: key, PORT: 'eighty' });
  assert.equal(r.code, 1);
  assertOneClearLine(r.stderr, 'CONFIG_INVALID');
});

test('a data folder that cannot be written', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'calsync-')), 'a-file');
  fs.writeFileSync(file, '');
  const r = await runCalsync(['status'], { CALSYNC_DATA_DIR: path.join(file, 'data') });
  assert.equal(r.code, 1);
  assertOneClearLine(r.stderr, 'DATA_DIR_NOT_WRITABLE');
});

test('an unknown tenant', async () => {
  const r = await runCalsync(['apikey', 'create', '--tenant', '00000000-0000-0000-0000-000000000000'], { DATABASE_URL: t.url });
  assert.equal(r.code, 1);
  assertOneClearLine(r.stderr, 'TENANT_NOT_FOUND');
});
