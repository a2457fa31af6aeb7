// Connecting a Google account end to end against the emulator, whose consent endpoint
// redirects at once: the command line's loopback flow (PKCE, offline access), then bind
// and sync; and the admin API's authorize / connect pair with its sealed state.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { providerSet, urlGuard } from '../../src/main/connectors.ts';
import { readCredentials } from '../../src/store/accounts.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';
import { runCalsync, startCalsync } from '../helpers/cli.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { EMULATOR_CLIENT, listeningEmulator, type ListeningEmulator } from '../helpers/google-connector.ts';

let t: TestDatabase;
let emulator: ListeningEmulator;
let env: Record<string, string>;

before(async () => {
  t = await freshDatabase();
  emulator = await listeningEmulator({ timeZone: 'Europe/Berlin', account: 'ada@example.com' });
  env = {
    DATABASE_URL: t.url, CALSYNC_SECRET_KEY: generateSecretKeyText(),
    CALSYNC_GOOGLE_CLIENT_ID: EMULATOR_CLIENT.clientId, CALSYNC_GOOGLE_CLIENT_SECRET: EMULATOR_CLIENT.clientSecret,
    CALSYNC_GOOGLE_API_URL: emulator.root, CALSYNC_GOOGLE_OAUTH_URL: emulator.root,
  };
  assert.equal((await runCalsync(['tenant', 'create', 'clinic'], env)).code, 0);
});
after(async () => {
  await emulator?.close();
  await t?.drop();
});

let connected: { accountId: string; bindingId: string } | null = null;

const consentUrl = /(http:\/\/127\.0\.0\.1:\d+\/o\/oauth2\/v2\/auth\?\S+)/;

test('calsync connect google: consent URL with PKCE and offline access, loopback redirect, account stored; bind and sync it', async () => {
  emulator.app.emulator.insertEvent('primary', { summary: 'Physio', start: { dateTime: '2026-03-05T08:00:00+01:00' }, end: { dateTime: '2026-03-05T09:00:00+01:00' } });
  const command = startCalsync(['connect', 'google', '--json', '--timeout', '60'], env);
  const url = new URL((await command.waitFor(consentUrl))[1]!);
  assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
  assert.ok((url.searchParams.get('code_challenge') ?? '').length >= 43);
  assert.equal(url.searchParams.get('access_type'), 'offline');
  assert.equal(url.searchParams.get('client_id'), EMULATOR_CLIENT.clientId);
  assert.match(url.searchParams.get('redirect_uri')!, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  // The person opens the URL; the emulator's consent answers at once with a redirect to the loopback.
  const browser = await fetch(url);
  assert.equal(browser.status, 200);
  assert.match(await browser.text(), /calsync is connected/);
  assert.equal(await command.exited, 0, command.output());
  const { account, calendars } = JSON.parse(command.output().slice(command.output().indexOf('{')));
  assert.equal(account.provider, 'google');
  assert.equal(account.login, 'ada@example.com');
  assert.deepEqual(calendars.map((c: { remoteCalendarId: string; primary: boolean }) => [c.remoteCalendarId, c.primary]), [['ada@example.com', true]]);

  const bound = await runCalsync(['bind', '--account', account.id, '--remote', 'ada@example.com', '--new-calendar', 'Ada', '--json'], env);
  assert.equal(bound.code, 0, bound.stderr);
  const bindingId = JSON.parse(bound.stdout).id as string;
  connected = { accountId: account.id, bindingId };
  const { rows: channelJobs } = await t.db.query(`select task_identifier from graphile_worker.jobs where key = $1`, [`push-channel:${bindingId}`]);
  assert.deepEqual(channelJobs.map((j) => j.task_identifier), ['renew_push_channels'], 'its push channel is asked for at once');
  const synced = await runCalsync(['sync', bindingId, '--json'], env);
  assert.equal(synced.code, 0, synced.stderr);
  assert.equal(JSON.parse(synced.stdout).passes[0].stats.calendarWrites, 1);
  const { rows } = await t.db.query<{ summary: string }>(`select summary from events where tenant_id = $1`, [account.tenantId]);
  assert.deepEqual(rows.map((r) => r.summary), ['Physio']);
});

test('bind takes only a calendar the Google account has; account calendars lists them', async () => {
  assert.ok(connected, 'the first test connected an account');
  const listed = await runCalsync(['account', 'calendars', connected.accountId, '--json'], env);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout).map((c: { remoteCalendarId: string }) => c.remoteCalendarId), ['ada@example.com']);
  const before = (await t.db.query('select 1 from bindings')).rows.length;
  const refused = await runCalsync(['bind', '--account', connected.accountId, '--remote', 'grace@example.com', '--new-calendar', 'Grace'], env);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /grace@example\.com is not one of the calendars of account [0-9a-f-]+ \(ada@example\.com\)\. Bind one of the calendars the account has: `calsync account calendars ACCOUNT_ID`.*\[REMOTE_CALENDAR_UNKNOWN\]/);
  assert.equal((await t.db.query('select 1 from bindings')).rows.length, before, 'nothing stored');
  assert.equal((await t.db.query(`select 1 from calendars where summary = 'Grace'`)).rows.length, 0, 'no calendar made either');
  const primary = await runCalsync(['bind', '--account', connected.accountId, '--remote', 'primary', '--new-calendar', 'Ada primary', '--direction', 'import', '--json'], env);
  assert.equal(primary.code, 0, primary.stderr);
  assert.equal(JSON.parse(primary.stdout).remoteCalendarId, 'ada@example.com', 'Google\'s alias names the primary calendar');
  await t.db.query('delete from bindings where id = $1', [JSON.parse(primary.stdout).id]);
});

test('a revoked grant: sync fails once and pauses the binding, status shows the account, no retry asks Google, connect --account resumes it', async () => {
  assert.ok(connected, 'the first test connected an account');
  const { accountId, bindingId } = connected;
  const secrets = new Secrets(parseSecretKey(env.CALSYNC_SECRET_KEY!));
  const stored = await readCredentials<{ refreshToken: string }>(t.db, secrets, (await t.db.query<{ tenant_id: string }>('select tenant_id from accounts where id = $1', [accountId])).rows[0]!.tenant_id, accountId);
  emulator.app.emulator.revokeGrant(stored!.refreshToken);
  emulator.app.emulator.expireAccessTokens();

  const failed = await runCalsync(['sync', bindingId], env);
  assert.equal(failed.code, 1);
  assert.match(failed.stdout, /error: auth-revoked: token refresh: HTTP 400 invalid_grant/);
  const status = JSON.parse((await runCalsync(['status', '--json'], env)).stdout);
  assert.deepEqual(status.accounts.map((a: { id: string; state: string; pausedBindings: number }) => [a.id, a.state, a.pausedBindings]), [[accountId, 'revoked', 1]]);
  const binding = status.bindings.find((b: { id: string }) => b.id === bindingId);
  assert.equal(binding.state, 'paused');
  assert.match(binding.pausedReason, /^account revoked: .*Token has been expired or revoked/);
  const human = (await runCalsync(['status'], env)).stdout;
  assert.match(human, /Accounts that need attention[\s\S]*revoked/);

  const requests = emulator.app.emulator.stats().total;
  const paused = await runCalsync(['sync', bindingId, '--json'], env);
  assert.equal(JSON.parse(paused.stdout).passes[0].outcome, 'paused');
  assert.equal(emulator.app.emulator.stats().total, requests, 'a paused binding asks Google nothing');

  const command = startCalsync(['connect', 'google', '--account', accountId, '--json', '--timeout', '60'], env);
  const url = new URL((await command.waitFor(consentUrl))[1]!);
  assert.equal(url.searchParams.get('login_hint'), 'ada@example.com');
  assert.equal((await fetch(url)).status, 200);
  assert.equal(await command.exited, 0, command.output());
  const reconnected = JSON.parse(command.output().slice(command.output().indexOf('{')));
  assert.equal(reconnected.account.state, 'active');
  assert.deepEqual(reconnected.resumedBindings, [bindingId]);
  const again = await runCalsync(['sync', bindingId, '--json'], env);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).passes[0].outcome, 'ok');
});

test('calsync connect google: a refused consent ends the command with OAUTH_NOT_COMPLETED and stores nothing', async () => {
  const before = (await t.db.query('select 1 from accounts')).rows.length;
  const command = startCalsync(['connect', 'google', '--timeout', '60'], env);
  const url = new URL((await command.waitFor(consentUrl))[1]!);
  const back = new URL(url.searchParams.get('redirect_uri')!);
  assert.equal((await fetch(`${back.origin}/?state=not-ours&error=access_denied`)).status, 404, 'another state is not the redirect');
  back.searchParams.set('state', url.searchParams.get('state')!);
  back.searchParams.set('error', 'access_denied');
  assert.equal((await fetch(back)).status, 200);
  assert.equal(await command.exited, 1);
  assert.match(command.output(), /Google answered access_denied.*\[OAUTH_NOT_COMPLETED\]/s);
  assert.equal((await t.db.query('select 1 from accounts')).rows.length, before);
});

test('admin API: authorize gives a consent URL with a sealed state; the app hands back code and state; other tenants and replays are refused', async () => {
  const app: TestApp = await testApp({
    providers: providerSet({ fetch: globalThis.fetch, guard: urlGuard({ allowPrivateUrls: true, allowedUrlHosts: [] }), google: { ...EMULATOR_CLIENT, apiUrl: emulator.root, oauthUrl: emulator.root } }),
  });
  try {
    const a = await tenantWithKey(app, 'a');
    const b = await tenantWithKey(app, 'b');
    const redirectUri = 'https://app.example.com/google/callback';
    const authorize = await app.app.inject({ method: 'POST', url: '/admin/v1/accounts/google/authorize', headers: a.auth, payload: { redirectUri } });
    assert.equal(authorize.statusCode, 200, authorize.body);
    const { authorizationUrl, state } = authorize.json();
    assert.equal(new URL(authorizationUrl).searchParams.get('state'), state);
    assert.equal(new URL(authorizationUrl).searchParams.get('code_challenge_method'), 'S256');
    // The browser goes to Google and comes back to the app's redirect URI with code and state.
    const redirect = await fetch(authorizationUrl, { redirect: 'manual' });
    const back = new URL(redirect.headers.get('location')!);
    assert.equal(`${back.origin}${back.pathname}`, redirectUri);
    assert.equal(back.searchParams.get('state'), state);
    const code = back.searchParams.get('code')!;

    const stolen = await app.app.inject({ method: 'POST', url: '/admin/v1/accounts/google', headers: b.auth, payload: { code, state } });
    assert.equal(stolen.statusCode, 400);
    assert.match(stolen.body, /OAUTH_NOT_COMPLETED/);
    const tampered = await app.app.inject({ method: 'POST', url: '/admin/v1/accounts/google', headers: a.auth, payload: { code, state: `${state.slice(0, -2)}AA` } });
    assert.equal(tampered.statusCode, 400);

    const connected = await app.app.inject({ method: 'POST', url: '/admin/v1/accounts/google', headers: a.auth, payload: { code, state } });
    assert.equal(connected.statusCode, 201, connected.body);
    assert.equal(connected.json().account.login, 'ada@example.com');
    assert.equal(connected.json().calendars[0].remoteCalendarId, 'ada@example.com');
    const replay = await app.app.inject({ method: 'POST', url: '/admin/v1/accounts/google', headers: a.auth, payload: { code, state } });
    assert.equal(replay.statusCode, 400, 'a code works once');
    assert.match(replay.body, /PROVIDER_AUTH_FAILED/);
  } finally {
    await app.close();
  }
});
