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
  assert.match(r.stderr, /set CALSYNC_SECRET_KEY to that key .+ To move to a new key instead, set the new key in CALSYNC_SECRET_KEY and the old one in CALSYNC_PREVIOUS_SECRET_KEYS, then run `calsync secrets rotate`/);
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

test('a data folder that cannot be written', async (context) => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'calsync-'));
  context.after(() => fs.rmSync(folder, { recursive: true, force: true }));
  const file = path.join(folder, 'a-file');
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

test('an unexpected error points at LOG_LEVEL=debug, which logs its stack', async () => {
  // pg reads sslrootcert itself: a missing file is an error no calsync code describes.
  const url = new URL(t.url);
  url.searchParams.set('sslrootcert', '/nonexistent/ca.pem');
  const r = await runCalsync(['status'], { DATABASE_URL: url.toString() });
  assert.equal(r.code, 1);
  assertOneClearLine(r.stderr, 'INTERNAL');
  assert.match(r.stderr, /ENOENT.+run the command again with LOG_LEVEL=debug/);
  assert.doesNotMatch(r.stderr, /request id/, 'a command has no request id');
  const debug = await runCalsync(['status'], { DATABASE_URL: url.toString(), LOG_LEVEL: 'debug' });
  assert.equal(debug.code, 1);
  const logged = debug.stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { msg: string; err?: { stack: string } });
  assert.match(logged.find((line) => line.msg === 'unexpected error')?.err?.stack ?? '', /ENOENT[^]*\n\s+at /);
});

test('a DATABASE_URL asking for SSL of a server without it, with pg\'s sslmode warning in one line', async () => {
  const url = new URL(t.url);
  url.searchParams.set('sslmode', 'require');
  const r = await runCalsync(['status'], { DATABASE_URL: url.toString() });
  assert.equal(r.code, 1);
  const [warning, ...rest] = r.stderr.trim().split('\n');
  assert.match(JSON.parse(warning!).msg, /^DATABASE_URL sslmode=require is used as sslmode=verify-full/);
  assertOneClearLine(rest.join('\n'), 'DATABASE_SSL_UNSUPPORTED');
  assert.doesNotMatch(r.stderr, /SECURITY WARNING/);
});

test('a DATABASE_URL with a port out of range', async () => {
  const url = t.url.replace(/:\d+\//, ':99999/');
  assert.match(url, /:99999\//);
  const r = await runCalsync(['status'], { DATABASE_URL: url });
  assert.equal(r.code, 1);
  assertOneClearLine(r.stderr, 'CONFIG_INVALID');
  assert.match(r.stderr, /port 99999/);
});

test('a HOST that is not an address of this machine', async () => {
  // 192.0.2.0/24 is TEST-NET-1, documentation only: never a local address.
  const r = await runCalsync(['serve'], { DATABASE_URL: t.url, CALSYNC_SECRET_KEY: key, PORT: '0', HOST: '192.0.2.1' });
  assert.equal(r.code, 1);
  assertOneClearLine(r.stderr, 'HOST_UNUSABLE');
  assert.match(r.stderr, /HOST=192\.0\.2\.1/);
});

test('a data folder in /proc, /sys or /dev is refused at once, also through a symbolic link', async () => {
  const link = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'calsync-')), 'proc');
  fs.symlinkSync('/proc', link);
  try {
    for (const dir of ['/proc/calsync', '/sys/calsync', '/dev/calsync/data', path.join(link, 'calsync')]) {
      // Without the check, Node's recursive mkdir under /proc spins forever.
      const r = await runCalsync(['status'], { CALSYNC_DATA_DIR: dir }, 20_000);
      assert.equal(r.code, 1, dir);
      assertOneClearLine(r.stderr, 'DATA_DIR_NOT_WRITABLE');
      assert.match(r.stderr, /virtual file system/, dir);
    }
    assert.equal(fs.existsSync('/dev/calsync'), false);
  } finally {
    fs.rmSync(path.dirname(link), { recursive: true, force: true });
  }
});
