// The quick start as a newcomer meets it: `npm start` on a fresh data folder runs the
// sandbox; `calsync serve` (the sandbox off) runs on an embedded Postgres, answers
// /healthz, stops it on SIGTERM, and reuses the data.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { startCalsync, startProcess, runCalsync } from '../helpers/cli.ts';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'calsync-lifecycle-'));
fs.chmodSync(dataDir, 0o755);
after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

function postgresProcesses(dir = dataDir): string[] {
  try {
    return execFileSync('pgrep', ['-f', `postgres -D ${dir}`], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

// The first start below turns the sandbox off; once the folder holds a calendar, serve
// no longer offers it.
const env = { CALSYNC_DATA_DIR: dataDir, PORT: '0' };

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('serve starts on an embedded Postgres, stops it on SIGTERM and reuses the data on the next start', async () => {
  const first = startCalsync(['serve'], { ...env, CALSYNC_SANDBOX: 'off' });
  const [, url] = await first.waitFor(/listening on (http:\/\/\S+)/);
  const [, key] = await first.waitFor(/^\s+(csk_\S+)$/m);
  assert.doesNotMatch(first.output(), /sandbox/, 'CALSYNC_SANDBOX=off');
  assert.equal(fs.readFileSync(path.join(dataDir, 'api-key'), 'utf8').trim(), key);
  assert.equal(fs.statSync(path.join(dataDir, 'api-key')).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.join(dataDir, 'secret-key')).mode & 0o777, 0o600);
  assert.deepEqual(await (await fetch(`${url}/healthz`)).json(), { status: 'ok' });
  const created = await fetch(`${url}/calendar/v3/calendars`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ summary: 'kept' }),
  });
  assert.equal(created.status, 200);
  assert.equal(postgresProcesses().length > 0, true);
  assert.equal(await first.stop('SIGTERM'), 0);
  assert.deepEqual(postgresProcesses(), [], 'no Postgres process is left behind');

  const second = startCalsync(['serve'], env);
  const [, url2] = await second.waitFor(/listening on (http:\/\/\S+)/);
  assert.doesNotMatch(second.output(), /csk_/, 'the key is printed only on the first start');
  const list = await (await fetch(`${url2}/calendar/v3/users/me/calendarList`, { headers: { authorization: `Bearer ${key}` } })).json() as { items: Array<{ summary: string }> };
  assert.deepEqual(list.items.map((c) => c.summary), ['kept']);
  assert.equal(await second.stop('SIGINT'), 0);
  assert.deepEqual(postgresProcesses(), []);
});

test('while serve runs, commands share its Postgres and a second server is refused', async () => {
  const first = startCalsync(['serve'], env);
  await first.waitFor(/listening on/);
  try {
    const status = await runCalsync(['status', '--json'], env);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).database.embedded, true);
    const second = await runCalsync(['serve'], env);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /\[EMBEDDED_POSTGRES_IN_USE\]/);
    assert.equal(postgresProcesses().length > 0, true, 'the first server keeps running');
    assert.deepEqual(await (await fetch(`${(first.output().match(/listening on (http:\/\/\S+)/))![1]}/readyz`)).json(), { status: 'ready', checks: { database: 'ok', queue: 'ok' } });
  } finally {
    assert.equal(await first.stop(), 0);
  }
});

test('a Postgres orphaned by a killed calsync is reclaimed on the next start', async () => {
  const first = startCalsync(['serve'], env);
  await first.waitFor(/listening on/);
  await first.stop('SIGKILL');
  assert.equal(postgresProcesses().length > 0, true, 'SIGKILL leaves the server running');
  const status = await runCalsync(['status', '--json'], env);
  assert.equal(status.code, 0, status.stderr);
  assert.equal(JSON.parse(status.stdout).database.embedded, true);
  assert.deepEqual(postgresProcesses(), []);
});

test('SIGTERM to `npm start` reaches calsync, which stops its Postgres', async () => {
  // npm signals the process it started; `exec` makes that process calsync rather than a
  // shell that would die without passing the signal on.
  const npm = startProcess('npm', ['start'], { ...env, npm_config_update_notifier: 'false' }, path.resolve(import.meta.dirname, '../..'));
  let calsync: number | undefined;
  try {
    await npm.waitFor(/listening on/);
    calsync = Number(fs.readFileSync(path.join(dataDir, 'calsync.lock'), 'utf8'));
    assert.equal(postgresProcesses().length > 0, true);
    assert.equal(await npm.stop('SIGTERM'), 0, npm.output());
    assert.equal(isAlive(calsync), false, 'calsync exited');
    assert.deepEqual(postgresProcesses(), [], 'no Postgres process is left behind');
  } finally {
    await npm.stop('SIGKILL');
    if (calsync !== undefined && isAlive(calsync)) process.kill(calsync, 'SIGTERM');
    for (let i = 0; i < 100 && calsync !== undefined && isAlive(calsync); i++) await new Promise((r) => setTimeout(r, 100));
  }
});

test('npm start on a fresh data folder runs the sandbox, says so, syncs, and stops with its Postgres on SIGTERM', async () => {
  const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'calsync-lifecycle-sandbox-'));
  fs.chmodSync(fresh, 0o755);
  const npm = startProcess('npm', ['start'], { CALSYNC_DATA_DIR: fresh, PORT: '0', npm_config_update_notifier: 'false' }, path.resolve(import.meta.dirname, '../..'));
  let calsync: number | undefined;
  try {
    await npm.waitFor(/starting the sandbox, with emulated providers/, 60_000);
    // The next line, which may come in a later chunk of output: how to turn it off.
    await npm.waitFor(/CALSYNC_SANDBOX=off/, 5_000);
    await npm.waitFor(/^\s+csk_\S+$/m, 60_000);
    await npm.waitFor(/'Team' ⇄ calsync 'Team' ⇄ bob's Outlook 'Team': 6 events, in agreement/, 60_000);
    await npm.waitFor(/✓ ".+" is on every side/, 30_000);
    calsync = Number(fs.readFileSync(path.join(fresh, 'calsync.lock'), 'utf8'));
    assert.equal(fs.existsSync(path.join(fresh, 'api-key')), false, 'no "local" tenant beside the sandbox');
    assert.equal(await npm.stop('SIGTERM'), 0, npm.output());
    assert.equal(isAlive(calsync), false, 'calsync exited');
    assert.deepEqual(postgresProcesses(fresh), [], 'no Postgres process is left behind');
  } finally {
    await npm.stop('SIGKILL');
    if (calsync !== undefined && isAlive(calsync)) process.kill(calsync, 'SIGTERM');
    for (let i = 0; i < 100 && calsync !== undefined && isAlive(calsync); i++) await new Promise((r) => setTimeout(r, 100));
    for (const pid of postgresProcesses(fresh)) process.kill(Number(pid), 'SIGINT');
    fs.rmSync(fresh, { recursive: true, force: true });
  }
});

test('SIGTERM during start-up, once the embedded Postgres is up, stops it and exits', async () => {
  // A first start: after Postgres is ready, calsync still migrates before it listens.
  const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'calsync-lifecycle-start-'));
  fs.chmodSync(fresh, 0o755);
  try {
    const serve = startCalsync(['serve'], { CALSYNC_DATA_DIR: fresh, PORT: '0' });
    await serve.waitFor(/embedded Postgres ready/);
    assert.equal(await serve.stop('SIGTERM'), 0, serve.output());
    assert.match(serve.output(), /SIGTERM: stopping/);
    assert.doesNotMatch(serve.output(), /listening on/, 'stopped before serving');
    assert.deepEqual(postgresProcesses(fresh), [], 'no Postgres process is left behind');
  } finally {
    for (const pid of postgresProcesses(fresh)) process.kill(Number(pid), 'SIGINT');
    fs.rmSync(fresh, { recursive: true, force: true });
  }
});
