// The operator's path for an ICS feed: connect, bind, sync, change, sync again.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { generateSecretKeyText } from '../../src/store/secrets.ts';
import { runCalsync, startCalsync } from '../helpers/cli.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/ics');
let feed = fs.readFileSync(path.join(fixtures, 'feed_weekly_exdate_override_berlin_and_windows_tzid.ics'), 'utf8');
let t: TestDatabase;
let server: http.Server;
let url: string;
let env: Record<string, string>;

before(async () => {
  t = await freshDatabase();
  server = http.createServer((req, res) => {
    const etag = `"${Buffer.from(feed).length}-${feed.length % 97}"`;
    if (req.headers['if-none-match'] === etag) return res.writeHead(304).end();
    res.writeHead(200, { 'content-type': 'text/calendar', etag }).end(feed);
  }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/team.ics`;
  env = { DATABASE_URL: t.url, CALSYNC_SECRET_KEY: generateSecretKeyText() };
  assert.equal((await runCalsync(['tenant', 'create', 'clinic'], env)).code, 0);
});
after(async () => {
  server.close();
  await t.drop();
});

test('a feed on a private address is refused unless allowed', async () => {
  const r = await runCalsync(['connect', 'ics', '--url', url], env);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /loopback address; set CALSYNC_ALLOW_PRIVATE_URLS=1.*\[PROVIDER_URL_REFUSED\]/);
  const { rows } = await t.db.query('select 1 from accounts');
  assert.equal(rows.length, 0, 'nothing was stored');
});

test('connect, bind and sync a feed; a changed feed updates the calendar; an unchanged one costs nothing', async () => {
  const allowed = { ...env, CALSYNC_ALLOW_PRIVATE_URLS: '1' };
  const connected = await runCalsync(['connect', 'ics', '--url', url, '--name', 'Team', '--json'], allowed);
  assert.equal(connected.code, 0, connected.stderr);
  const { account, events } = JSON.parse(connected.stdout);
  assert.equal(events, 4);

  const refused = await runCalsync(['bind', '--account', account.id, '--remote', url, '--new-calendar', 'Team'], allowed);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /read-only: bind them with --direction import/);

  const bound = await runCalsync(['bind', '--account', account.id, '--remote', url, '--new-calendar', 'Team', '--direction', 'import', '--json'], allowed);
  assert.equal(bound.code, 0, bound.stderr);
  const binding = JSON.parse(bound.stdout);

  const first = await runCalsync(['sync', binding.id, '--json'], allowed);
  assert.equal(first.code, 0, first.stderr);
  const firstResult = JSON.parse(first.stdout).passes[0];
  assert.equal(firstResult.outcome, 'ok');
  assert.equal(firstResult.stats.calendarWrites, 4);
  const { rows } = await t.db.query<{ ical_uid: string; kind: string; start_tz: string | null; exdate: string[] }>(
    `select ical_uid, kind, start_tz, exdate from events where calendar_id = $1 and deleted_at is null order by ical_uid, original_start nulls first`, [binding.calendarId]);
  assert.equal(rows.length, 5, 'four series, one with an override');
  const series = rows.find((r) => r.ical_uid === 'team-sync@example.org' && r.kind === 'master')!;
  assert.equal(series.start_tz, 'Europe/Berlin');
  assert.ok(series.exdate.length > 0);
  const outlook = rows.find((r) => r.ical_uid.startsWith('040000008200E000'))!;
  assert.match(outlook.start_tz ?? '', /^[A-Z][a-z]+\/[A-Za-z_]+$/, 'the Windows zone name became an IANA name');

  const unchanged = JSON.parse((await runCalsync(['sync', binding.id, '--json'], allowed)).stdout).passes[0];
  assert.equal(unchanged.stats.pulled, 0, 'a 304 brings nothing');
  assert.equal(unchanged.stats.calendarWrites, 0);

  feed = feed.replace(/SUMMARY:([^\r\n]*)/, 'SUMMARY:$1 (moved to room 2)');
  const changed = JSON.parse((await runCalsync(['sync', '--calendar', binding.calendarId, '--json'], allowed)).stdout).passes[0];
  assert.equal(changed.outcome, 'ok');
  assert.equal(changed.stats.pulled, 1);
  assert.equal(changed.stats.calendarWrites, 1);
  const { rows: renamed } = await t.db.query(`select 1 from events where calendar_id = $1 and summary like '%(moved to room 2)'`, [binding.calendarId]);
  assert.equal(renamed.length, 1);

  const status = JSON.parse((await runCalsync(['status', '--json'], allowed)).stdout);
  assert.equal(status.bindings[0].lastOutcome, 'ok');
  assert.equal(status.bindings[0].provider, 'ics');
});

test('sync of an unknown binding is one clear line', async () => {
  const r = await runCalsync(['sync', '00000000-0000-0000-0000-000000000000'], env);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /binding 00000000-0000-0000-0000-000000000000 not found.*\[NOT_FOUND\]/);
});

test('a sync interrupted by SIGTERM exits 143 and releases its lease, so the next runs at once', async () => {
  const allowed = { ...env, CALSYNC_ALLOW_PRIVATE_URLS: '1' };
  // A feed that answers `connect` at once and the pass only once released: the pass
  // waits on it holding its lease.
  let release: () => void = () => undefined;
  let asked: () => void = () => undefined;
  const requested = new Promise<void>((resolve) => { asked = resolve; });
  let hang = false;
  const slow = http.createServer((req, res) => {
    if (!hang) return res.writeHead(200, { 'content-type': 'text/calendar' }).end(feed);
    asked();
    release = () => {
      release = () => undefined;
      if (!res.destroyed) res.writeHead(200, { 'content-type': 'text/calendar' }).end(feed);
    };
  }).listen(0, '127.0.0.1');
  await new Promise((r) => slow.once('listening', r));
  const slowUrl = `http://127.0.0.1:${(slow.address() as { port: number }).port}/slow.ics`;
  try {
    const connected = await runCalsync(['connect', 'ics', '--url', slowUrl, '--json'], allowed);
    assert.equal(connected.code, 0, connected.stderr);
    const { account } = JSON.parse(connected.stdout);
    const bound = await runCalsync(['bind', '--account', account.id, '--remote', slowUrl, '--new-calendar', 'Slow', '--direction', 'import', '--json'], allowed);
    assert.equal(bound.code, 0, bound.stderr);
    const binding = JSON.parse(bound.stdout);
    hang = true;
    const running = startCalsync(['sync', binding.id], allowed);
    await requested;
    const { rows: [held] } = await t.db.query('select lease_owner from calsync.bindings where id = $1', [binding.id]);
    assert.ok(held.lease_owner, 'the pass holds the lease while it waits');
    assert.equal(await running.stop('SIGTERM'), 143);
    assert.match(running.output(), /SIGTERM: stopping/);
    const { rows: [after] } = await t.db.query('select lease_owner from calsync.bindings where id = $1', [binding.id]);
    assert.equal(after.lease_owner, null, 'the lease is released');
    hang = false;
    release();
    const again = await runCalsync(['sync', binding.id, '--json'], allowed);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).passes[0].outcome, 'ok', 'not busy');
  } finally {
    release();
    slow.close();
  }
});

test('a feed address is sealed at rest and listed only as its origin; bind takes only the account\'s feed', async () => {
  const allowed = { ...env, CALSYNC_ALLOW_PRIVATE_URLS: '1' };
  const secretUrl = `${url.replace('/team.ics', '')}/calendar/ical/s3cr3t-path-token/basic.ics`;
  const label = `${new URL(url).origin}/…`;
  const connected = await runCalsync(['connect', 'ics', '--url', secretUrl], allowed);
  assert.equal(connected.code, 0, connected.stderr);
  const accountId = /connected feed ([0-9a-f-]{36})/.exec(connected.stdout)![1]!;
  assert.ok(connected.stdout.includes(`--remote '${label}'`), connected.stdout);

  const other = await runCalsync(['bind', '--account', accountId, '--remote', `${url.replace('/team.ics', '')}/another/basic.ics`, '--new-calendar', 'Other', '--direction', 'import'], allowed);
  assert.equal(other.code, 1);
  assert.match(other.stderr, new RegExp(`account ${accountId} is the feed http://127\\.0\\.0\\.1:\\d+/…, not http://127\\.0\\.0\\.1:\\d+/….*\\[REMOTE_CALENDAR_UNKNOWN\\]`));
  const bound = await runCalsync(['bind', '--account', accountId, '--remote', secretUrl, '--new-calendar', 'Secret', '--direction', 'import', '--json'], allowed);
  assert.equal(bound.code, 0, bound.stderr);
  const binding = JSON.parse(bound.stdout);
  assert.equal(binding.remoteCalendarId, label);
  const byLabel = await runCalsync(['bind', '--account', accountId, '--remote', label, '--new-calendar', 'Secret too', '--direction', 'import', '--json'], allowed);
  assert.equal(byLabel.code, 0, byLabel.stderr);
  const synced = await runCalsync(['sync', binding.id, '--json'], allowed);
  assert.equal(JSON.parse(synced.stdout).passes[0].outcome, 'ok', synced.stderr);
  assert.equal(JSON.parse(synced.stdout).passes[0].stats.calendarWrites, 4, 'the sealed address is the one read');

  const { rows: [account] } = await t.db.query<{ server_url: string; display_name: string; row: string }>(
    'select server_url, display_name, a::text as row from accounts a where id = $1', [accountId]);
  assert.equal(account!.server_url, label);
  assert.equal(account!.display_name, label);
  const everything = await t.db.query<{ text: string }>(
    `select string_agg(x, ' ') as text from (select a::text as x from accounts a union all select b::text from bindings b union all select p::text from sync_passes p union all select o::text from sync_operations o union all select s::text from sync_status s) rows`);
  assert.doesNotMatch(everything.rows[0]!.text, /s3cr3t-path-token/, 'nowhere in clear');
  const status = await runCalsync(['status', '--json'], allowed);
  assert.doesNotMatch(status.stdout, /s3cr3t-path-token/);
});

test('feed addresses stored in clear by an older calsync are sealed at the next start, and rotation re-seals them', async () => {
  const allowed = { ...env, CALSYNC_ALLOW_PRIVATE_URLS: '1' };
  const oldUrl = `${url.replace('/team.ics', '')}/old/0ld-s3cret/basic.ics`;
  const { rows: [tenant] } = await t.db.query<{ id: string }>('select id from tenants limit 1');
  const { rows: [account] } = await t.db.query<{ id: string }>(
    `insert into accounts (tenant_id, provider, display_name, server_url) values ($1, 'ics', $2, $2) returning id`, [tenant!.id, oldUrl]);
  const { rows: [calendar] } = await t.db.query<{ id: string }>(`insert into calendars (tenant_id, summary) values ($1, 'Old feed') returning id`, [tenant!.id]);
  const { rows: [binding] } = await t.db.query<{ id: string }>(
    `insert into bindings (tenant_id, calendar_id, account_id, remote_calendar_id, direction) values ($1, $2, $3, $4, 'import') returning id`,
    [tenant!.id, calendar!.id, account!.id, oldUrl]);

  const first = await runCalsync(['sync', binding!.id, '--json'], allowed);
  assert.equal(JSON.parse(first.stdout).passes[0].outcome, 'ok', first.stderr);
  const label = `${new URL(url).origin}/…`;
  const { rows: [sealed] } = await t.db.query<{ server_url: string; display_name: string; credentials: Buffer | null; remote: string }>(
    `select a.server_url, a.display_name, a.credentials, b.remote_calendar_id as remote from accounts a join bindings b on b.account_id = a.id where b.id = $1`, [binding!.id]);
  assert.deepEqual([sealed!.server_url, sealed!.display_name, sealed!.remote], [label, label, label]);
  assert.ok(sealed!.credentials !== null && !sealed!.credentials.toString('latin1').includes('0ld-s3cret'));

  // A new key, the old one kept for reading until `secrets rotate` re-seals everything.
  const newKey = generateSecretKeyText();
  const rotated = await runCalsync(['secrets', 'rotate', '--json'], { ...allowed, CALSYNC_SECRET_KEY: newKey, CALSYNC_PREVIOUS_SECRET_KEYS: env.CALSYNC_SECRET_KEY! });
  assert.equal(rotated.code, 0, rotated.stderr);
  assert.ok(JSON.parse(rotated.stdout).rotated >= 1);
  env.CALSYNC_SECRET_KEY = newKey;
  const again = await runCalsync(['sync', binding!.id, '--json'], { ...env, CALSYNC_ALLOW_PRIVATE_URLS: '1' });
  assert.equal(JSON.parse(again.stdout).passes[0].outcome, 'ok', `the address opens with the new key alone: ${again.stderr}`);
});
