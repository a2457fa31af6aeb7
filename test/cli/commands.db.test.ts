import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { runCalsync } from '../helpers/cli.ts';

let t: TestDatabase;
let env: Record<string, string>;
before(async () => {
  t = await freshDatabase();
  env = { DATABASE_URL: t.url };
});
after(async () => { await t.drop(); });

async function keyWorks(key: string): Promise<boolean> {
  const { rows } = await t.db.query('select 1 from api_keys where key_hash = sha256($1::bytea) and revoked_at is null', [Buffer.from(key)]);
  return rows.length === 1;
}

test('tenant create prints the tenant and its first API key once', async () => {
  const text = await runCalsync(['tenant', 'create', 'Front Desk Inc'], env);
  assert.equal(text.code, 0, text.stderr);
  const [, tenantId, key, keyId] = text.stdout.match(/^created tenant (\S+) \(Front Desk Inc\); its first API key:\n(csk_\S+)\n\(key (\S+); shown once: store it now\)\n$/)!;
  assert.ok(await keyWorks(key!));
  const keys = JSON.parse((await runCalsync(['apikey', 'list', '--tenant', tenantId!, '--json'], env)).stdout);
  assert.deepEqual(keys.map((k: { id: string; name: string }) => [k.id, k.name]), [[keyId, 'first key']]);
  assert.equal(JSON.stringify(keys).includes(key!), false, 'listings never show the key');
});

test('tenant and key management, with --json for scripts', async () => {
  const created = await runCalsync(['tenant', 'create', 'Acme Clinics', '--json'], env);
  assert.equal(created.code, 0, created.stderr);
  const tenant = JSON.parse(created.stdout);
  assert.equal(tenant.name, 'Acme Clinics');
  assert.equal(tenant.apiKey.tenantId, tenant.id);
  assert.equal(tenant.apiKey.key.slice(0, 12), tenant.apiKey.prefix);
  assert.ok(await keyWorks(tenant.apiKey.key));

  const key = await runCalsync(['apikey', 'create', '--tenant', tenant.id, '--name', 'backend', '--json'], env);
  assert.equal(key.code, 0, key.stderr);
  const { key: secret, id, prefix } = JSON.parse(key.stdout);
  assert.match(secret, /^csk_[A-Za-z0-9_-]{43}$/);
  assert.equal(secret.slice(0, 12), prefix);

  const { rows } = await t.db.query('select 1 from api_keys where key_hash = sha256($1::bytea)', [Buffer.from(secret)]);
  assert.equal(rows.length, 1, 'only the hash is stored');
  const { rows: plain } = await t.db.query(`select 1 from api_keys where encode(key_hash, 'escape') like '%' || $1 || '%'`, [secret.slice(4)]);
  assert.equal(plain.length, 0);

  const list = JSON.parse((await runCalsync(['apikey', 'list', '--tenant', tenant.id, '--json'], env)).stdout);
  assert.deepEqual(list.map((k: { id: string }) => k.id), [tenant.apiKey.id, id]);
  assert.equal(JSON.stringify(list).includes(secret), false, 'listings never show the key');

  const revokedKey = await runCalsync(['apikey', 'revoke', id, '--tenant', tenant.id, '--json'], env);
  assert.equal(revokedKey.code, 0, revokedKey.stderr);
  const revokedInfo = JSON.parse(revokedKey.stdout);
  assert.equal(revokedInfo.id, id);
  assert.equal(revokedInfo.tenantId, tenant.id);
  assert.notEqual(revokedInfo.revokedAt, null);
  assert.equal(revokedKey.stdout.includes(secret), false);
  assert.equal(await keyWorks(secret), false);
  const revoked = JSON.parse((await runCalsync(['apikey', 'list', '--tenant', tenant.id, '--json'], env)).stdout);
  assert.deepEqual(revoked.map((k: { revokedAt: string | null }) => k.revokedAt !== null), [false, true]);

  const tenants = JSON.parse((await runCalsync(['tenant', 'list', '--json'], env)).stdout);
  assert.deepEqual(tenants.map((x: { name: string; apiKeys: number }) => [x.name, x.apiKeys]), [['Front Desk Inc', 1], ['Acme Clinics', 1]]);
});

test('apikey create --scope gives a key only what it names; both by default; a bad scope stores nothing', async () => {
  const tenant = JSON.parse((await runCalsync(['tenant', 'create', 'Scoped Co', '--json'], env)).stdout);
  const scopesOf = async (key: string) =>
    (await t.db.query<{ scopes: string[] }>('select scopes from api_keys where key_hash = sha256($1::bytea)', [Buffer.from(key)])).rows[0]?.scopes;
  assert.deepEqual(tenant.apiKey.scopes, ['admin', 'app']);
  assert.deepEqual(await scopesOf(tenant.apiKey.key), ['admin', 'app']);

  const console = await runCalsync(['apikey', 'create', '--tenant', tenant.id, '--scope', 'admin', '--json'], env);
  assert.equal(console.code, 0, console.stderr);
  assert.deepEqual(JSON.parse(console.stdout).scopes, ['admin']);
  assert.deepEqual(await scopesOf(JSON.parse(console.stdout).key), ['admin']);

  const both = await runCalsync(['apikey', 'create', '--tenant', tenant.id, '--scope', 'app', '--scope', 'admin'], env);
  assert.equal(both.code, 0, both.stderr);
  assert.match(both.stdout, /^csk_\S+\n\(key \S+, scopes admin, app; shown once: store it now\)\n$/);

  const { rows: [{ n: keysBefore }] } = await t.db.query('select count(*)::int as n from api_keys');
  const bad = await runCalsync(['apikey', 'create', '--tenant', tenant.id, '--scope', 'app', '--scope', 'root'], env);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--scope <scope>' argument 'root' is invalid\. must be admin or app/);
  assert.equal(bad.stdout, '');
  const { rows: [{ n: keysAfter }] } = await t.db.query('select count(*)::int as n from api_keys');
  assert.equal(keysAfter, keysBefore);

  const listed = JSON.parse((await runCalsync(['apikey', 'list', '--tenant', tenant.id, '--json'], env)).stdout);
  assert.deepEqual(listed.map((k: { scopes: string[] }) => k.scopes), [['admin', 'app'], ['admin'], ['admin', 'app']]);
});

test('status shows the database, the queue and dead jobs', async () => {
  await t.db.query(`select graphile_worker.add_job('queue_probe', '{}'::json, max_attempts := 1)`);
  await t.db.query(`update graphile_worker._private_jobs set attempts = 1, last_error = 'boom'`);
  const json = await runCalsync(['status', '--json'], env);
  assert.equal(json.code, 0, json.stderr);
  const status = JSON.parse(json.stdout);
  assert.equal(status.database.embedded, false);
  const password = decodeURIComponent(new URL(t.url).password);
  if (password) {
    assert.equal(status.database.url.includes(password), false, 'no password in the printed URL');
    assert.match(status.database.url, /:\*\*\*@/);
  }
  assert.equal(status.queue.dead, 1);
  assert.equal(status.deadJobs[0].lastError, 'boom');
  assert.deepEqual(status.bindings, []);

  const text = await runCalsync(['status'], env);
  assert.match(text.stdout, /queue\s+0 pending, 0 scheduled, 0 running, 0 retrying, 1 dead/);
  assert.match(text.stdout, /queue_probe/);

  const retried = await runCalsync(['jobs', 'retry', status.deadJobs[0].id, '--json'], env);
  assert.equal(retried.code, 0, retried.stderr);
  assert.deepEqual(JSON.parse(retried.stdout), { rescheduled: [status.deadJobs[0].id] });
  assert.equal(JSON.parse((await runCalsync(['status', '--json'], env)).stdout).queue.pending, 1);
  const missing = await runCalsync(['jobs', 'retry', '999999'], env);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /\[JOB_NOT_FOUND\]/);
});

test('migrate reports an up-to-date database', async () => {
  const r = await runCalsync(['migrate', '--json'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { applied: [] });
});

test('every command has --help, and bad usage exits 2 with a hint', async () => {
  const commands = [[], ['serve'], ['api'], ['worker'], ['migrate'], ['status'], ['tenant'], ['tenant', 'create'], ['tenant', 'list'],
    ['apikey'], ['apikey', 'create'], ['apikey', 'list'], ['apikey', 'revoke'], ['secrets', 'rotate'], ['queue', 'probe'], ['jobs', 'retry'],
    ['calendar', 'create'], ['calendar', 'list'], ['connect', 'caldav'], ['connect', 'ics'], ['bind'], ['sync'],
    ['account'], ['account', 'list'], ['account', 'calendars']];
  for (const command of commands) {
    const r = await runCalsync([...command, '--help'], {});
    assert.equal(r.code, 0, `${command.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /^Usage: calsync/m, command.join(' '));
    // Every command that prints data has --json; the servers print only log lines.
    const printsNoData = r.stdout.includes('\nCommands:') || ['serve', 'api', 'worker'].includes(command[0]!);
    if (!printsNoData) assert.match(r.stdout, /--json/, `${command.join(' ')} has --json`);
  }
  const bad = await runCalsync(['apikey', 'create'], env);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /required option '--tenant <id>'/);
  const unknown = await runCalsync(['frobnicate'], env);
  assert.equal(unknown.code, 2);
  const badCount = await runCalsync(['queue', 'probe', '--count', 'lots'], env);
  assert.equal(badCount.code, 2);
  const badPolicy = await runCalsync(['bind', '--account', '11111111-1111-4111-8111-111111111111', '--remote', 'x', '--new-calendar', 'X', '--policy', 'bogus'], env);
  assert.equal(badPolicy.code, 2, badPolicy.stderr);
  assert.match(badPolicy.stderr, /--policy: mode must be one of/);
});
