// Connecting a Microsoft account from the command line against the Graph emulator, whose
// authorize endpoint redirects at once: the loopback flow (PKCE, offline_access), the
// account stored sealed, bind and sync; a revoked grant pauses the binding and
// `connect microsoft --account` resumes it, refusing another mailbox; and a calsync
// without an app registration says which variable to set.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createAccount, readCredentials } from '../../src/store/accounts.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { runCalsync, startCalsync } from '../helpers/cli.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { GRAPH_CLIENT, listeningGraph, type ListeningGraph } from '../helpers/microsoft-connector.ts';
import { timedEvent } from '../helpers/microsoft-emulator.ts';
import { snapshot } from '../helpers/snapshot.ts';

let t: TestDatabase;
let graph: ListeningGraph;
let env: Record<string, string>;
let secrets: Secrets;

const graphEnv = (root: string) => ({
  CALSYNC_MICROSOFT_CLIENT_ID: GRAPH_CLIENT.clientId, CALSYNC_MICROSOFT_CLIENT_SECRET: GRAPH_CLIENT.clientSecret,
  CALSYNC_MICROSOFT_GRAPH_URL: `${root}/v1.0`, CALSYNC_MICROSOFT_AUTHORITY_URL: root,
});

before(async () => {
  t = await freshDatabase();
  graph = await listeningGraph({ account: 'ada@contoso.example' });
  const key = generateSecretKeyText();
  secrets = new Secrets(parseSecretKey(key));
  env = { DATABASE_URL: t.url, CALSYNC_SECRET_KEY: key, ...graphEnv(graph.root) };
  assert.equal((await runCalsync(['tenant', 'create', 'clinic'], env)).code, 0);
});
after(async () => {
  await graph?.close();
  await t?.drop();
});

const consentUrl = /(http:\/\/127\.0\.0\.1:\d+\/common\/oauth2\/v2\.0\/authorize\?\S+)/;
const jsonOf = (output: string) => JSON.parse(output.slice(output.indexOf('{')));
const tenantOf = async (accountId: string) => (await t.db.query<{ tenant_id: string }>('select tenant_id from accounts where id = $1', [accountId])).rows[0]!.tenant_id;

let connected: { accountId: string; bindingId: string; calendarId: string } | null = null;

test('calsync connect microsoft: consent URL with PKCE and offline_access, loopback redirect, account stored sealed; bind primary and sync it', async () => {
  const command = startCalsync(['connect', 'microsoft', '--json', '--timeout', '60'], env);
  const url = new URL((await command.waitFor(consentUrl))[1]!);
  assert.equal(url.searchParams.get('client_id'), GRAPH_CLIENT.clientId);
  assert.equal(url.searchParams.get('response_type'), 'code');
  assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
  assert.equal(url.searchParams.get('code_challenge')!.length, 43);
  assert.deepEqual(url.searchParams.get('scope')!.split(' ').filter((s) => /offline_access|Calendars\.ReadWrite|User\.Read/.test(s)).length, 3);
  assert.match(url.searchParams.get('redirect_uri')!, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.equal(url.searchParams.get('login_hint'), null, 'no hint unless asked for');
  // The person opens the URL; the emulator signs in at once and redirects to the loopback.
  const browser = await fetch(url);
  assert.equal(browser.status, 200);
  assert.match(await browser.text(), /calsync is connected to your Microsoft calendars/);
  assert.equal(await command.exited, 0, command.output());
  assert.match(command.output(), /allow calsync to manage your Microsoft calendars/);
  const { account, calendars } = jsonOf(command.output());
  assert.equal(account.provider, 'microsoft');
  assert.equal(account.login, 'ada@contoso.example');
  assert.equal(calendars.length, 1);
  assert.equal(calendars[0].primary, true);
  assert.equal(calendars[0].writable, true);

  // Sealed: the row holds no token in the clear; opened, the access token is one Graph takes.
  const stored = await readCredentials<{ refreshToken: string; accessToken: string }>(t.db, secrets, account.tenantId, account.id);
  const { rows: [raw] } = await t.db.query<{ credentials: Buffer }>('select credentials from accounts where id = $1', [account.id]);
  assert.ok(stored!.refreshToken.length > 20);
  assert.ok(!raw!.credentials.toString('latin1').includes(stored!.refreshToken) && !raw!.credentials.toString('latin1').includes(stored!.accessToken));
  const me = await fetch(`${graph.root}/v1.0/me`, { headers: { authorization: `Bearer ${stored!.accessToken}` } });
  assert.equal(((await me.json()) as { mail: string }).mail, 'ada@contoso.example');

  graph.app.emulator.insertEvent(null, timedEvent('2026-03-05T08:00:00', 60, 'UTC', { subject: 'Physio' }));
  const bound = await runCalsync(['bind', '--account', account.id, '--remote', 'primary', '--new-calendar', 'Ada', '--json'], env);
  assert.equal(bound.code, 0, bound.stderr);
  const binding = JSON.parse(bound.stdout);
  assert.equal(binding.remoteCalendarId, calendars[0].remoteCalendarId, '`primary` names the mailbox\'s default calendar');
  connected = { accountId: account.id, bindingId: binding.id, calendarId: binding.calendarId };
  const synced = await runCalsync(['sync', binding.id, '--json'], env);
  assert.equal(synced.code, 0, synced.stderr);
  const { rows } = await t.db.query<{ summary: string }>('select summary from events where tenant_id = $1 and calendar_id = $2', [account.tenantId, binding.calendarId]);
  assert.deepEqual(rows.map((r) => r.summary), ['Physio']);
});

test('a revoked grant pauses the binding; reconnecting as another mailbox is refused and changes nothing; connect --account resumes it', async () => {
  assert.ok(connected, 'the first test connected an account');
  const { accountId, bindingId } = connected;
  const tenantId = await tenantOf(accountId);
  const stored = await readCredentials<{ refreshToken: string }>(t.db, secrets, tenantId, accountId);
  assert.ok(graph.app.emulator.revokeGrant(stored!.refreshToken));
  graph.app.emulator.expireAccessTokens();
  const failed = await runCalsync(['sync', bindingId], env);
  assert.equal(failed.code, 1, failed.stdout);
  const status = JSON.parse((await runCalsync(['status', '--json'], env)).stdout);
  assert.deepEqual(status.accounts.map((a: { id: string; state: string; pausedBindings: number }) => [a.id, a.state, a.pausedBindings]), [[accountId, 'revoked', 1]]);
  const human = (await runCalsync(['status'], env)).stdout;
  assert.match(human, new RegExp(`calsync connect microsoft --account ${accountId}`), 'status names the command that reconnects it');

  // Another mailbox signs in: the grant is for grace, not ada.
  const other = await listeningGraph({ account: 'grace@contoso.example' });
  try {
    const before = await snapshot(t.db);
    const wrong = startCalsync(['connect', 'microsoft', '--account', accountId, '--timeout', '60'], { ...env, ...graphEnv(other.root) });
    const url = new URL((await wrong.waitFor(consentUrl))[1]!);
    assert.equal(url.searchParams.get('login_hint'), 'ada@contoso.example', 'the stored login is suggested');
    assert.equal((await fetch(url)).status, 200);
    assert.equal(await wrong.exited, 2, wrong.output());
    assert.match(wrong.output(), /account [0-9a-f-]+ is ada@contoso\.example, but Microsoft granted access for grace@contoso\.example: sign in as ada@contoso\.example.*\[USAGE\]/);
    assert.deepEqual(await snapshot(t.db), before, 'nothing changed: the account is still revoked, its binding paused');
  } finally {
    await other.close();
  }

  const command = startCalsync(['connect', 'microsoft', '--account', accountId, '--json', '--timeout', '60'], env);
  const url = new URL((await command.waitFor(consentUrl))[1]!);
  assert.equal((await fetch(url)).status, 200);
  assert.equal(await command.exited, 0, command.output());
  const reconnected = jsonOf(command.output());
  assert.equal(reconnected.account.state, 'active');
  assert.deepEqual(reconnected.resumedBindings, [bindingId]);
  const renewed = await readCredentials<{ refreshToken: string }>(t.db, secrets, tenantId, accountId);
  assert.notEqual(renewed!.refreshToken, stored!.refreshToken, 'the new grant is stored');
  graph.app.emulator.insertEvent(null, timedEvent('2026-03-06T08:00:00', 30, 'UTC', { subject: 'Follow-up' }));
  const again = await runCalsync(['sync', bindingId, '--json'], env);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).passes[0].outcome, 'ok');
  const { rows } = await t.db.query<{ summary: string }>('select summary from events where tenant_id = $1 and calendar_id = $2 order by summary', [tenantId, connected.calendarId]);
  assert.deepEqual(rows.map((r) => r.summary), ['Follow-up', 'Physio']);
});

test('connect microsoft --account with another provider\'s account: refused with the command that reconnects it, before any consent', async () => {
  const tenantId = (await t.db.query<{ id: string }>('select id from tenants')).rows[0]!.id;
  const google = await createAccount(t.db, secrets, tenantId, { provider: 'google', login: 'ada@gmail.example', credentials: { refreshToken: 'r' } });
  const before = await snapshot(t.db);
  const refused = await runCalsync(['connect', 'microsoft', '--account', google.id], env);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, new RegExp(`account ${google.id} is a google account, not a Microsoft one: reconnect it with \`calsync connect google --account ${google.id}\``));
  assert.doesNotMatch(refused.stderr + refused.stdout, /oauth2/, 'no consent URL was printed');
  assert.deepEqual(await snapshot(t.db), before);
});

test('connect microsoft on a calsync without an app registration: PROVIDER_NOT_CONFIGURED naming CALSYNC_MICROSOFT_CLIENT_ID, nothing stored', async () => {
  const before = await snapshot(t.db);
  const { CALSYNC_MICROSOFT_CLIENT_ID: _id, CALSYNC_MICROSOFT_CLIENT_SECRET: _secret, ...unconfigured } = env;
  const r = await runCalsync(['connect', 'microsoft', '--timeout', '5'], unconfigured);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /CALSYNC_MICROSOFT_CLIENT_ID is not set: Microsoft accounts need calsync's app registration\. Set the variable the message names in this command's environment .*\[PROVIDER_NOT_CONFIGURED\]/);
  assert.doesNotMatch(r.stderr, /oauth2/, 'no consent URL was printed');
  assert.deepEqual(await snapshot(t.db), before);
});

test('connect microsoft for people: the account and its calendars printed as a table, with the command that binds one', async () => {
  graph.app.emulator.addCalendar({ name: 'Room 2' });
  const command = startCalsync(['connect', 'microsoft', '--login-hint', 'ada@contoso.example', '--timeout', '60'], env);
  const url = new URL((await command.waitFor(consentUrl))[1]!);
  assert.equal(url.searchParams.get('login_hint'), 'ada@contoso.example');
  assert.equal((await fetch(url)).status, 200);
  assert.equal(await command.exited, 0, command.output());
  const printed = command.output();
  const id = /connected Microsoft account ada@contoso\.example as ([0-9a-f-]{36}); its calendars \(bind one with: calsync bind --account \1 --remote ID --new-calendar NAME\):/.exec(printed);
  assert.ok(id, printed);
  assert.match(printed, /REMOTECALENDARID +DISPLAYNAME +PRIMARY +WRITABLE/);
  assert.match(printed, /\S+ +Calendar +true +true/);
  assert.match(printed, /\S+ +Room 2 +false +true/);
});
