// Connecting a Microsoft account through the admin API against the Graph emulator: the
// consent URL with a sealed state, the app's callback handing back code and state, the
// account stored sealed; another tenant, a replayed code, another mailbox on reconnect
// and a calsync without an app registration are refused and change nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { providerSet, urlGuard, type ProviderContextOptions } from '../../src/main/connectors.ts';
import { readCredentials, setAccountState } from '../../src/store/accounts.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { appOn, tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';
import { GRAPH_CLIENT, listeningGraph, type ListeningGraph } from '../helpers/microsoft-connector.ts';
import { snapshot } from '../helpers/snapshot.ts';

const redirectUri = 'https://app.example.com/microsoft/callback';
const secrets = new Secrets(parseSecretKey(generateSecretKeyText()));
let graph: ListeningGraph;
let t: TestApp;
let a: Awaited<ReturnType<typeof tenantWithKey>>;
let b: Awaited<ReturnType<typeof tenantWithKey>>;

// The app registration knows the app's callback only, as Entra would.
const clients = [{ ...GRAPH_CLIENT, redirectUris: [redirectUri] }];
const providersOn = (root: string, settings: Partial<ProviderContextOptions> = {}) => providerSet({
  fetch: globalThis.fetch, guard: urlGuard({ allowPrivateUrls: true, allowedUrlHosts: [] }),
  microsoft: { ...GRAPH_CLIENT, graphUrl: `${root}/v1.0`, authorityUrl: root, tenant: undefined }, ...settings,
});

before(async () => {
  graph = await listeningGraph({ account: 'ada@contoso.example', clients });
  t = await testApp({ providers: providersOn(graph.root), secrets });
  a = await tenantWithKey(t, 'a');
  b = await tenantWithKey(t, 'b');
});
after(async () => {
  await t?.close();
  await graph?.close();
});

/** The consent, as a browser would go through it: the code and state the app's callback receives. */
async function consent(app = t.app, tenant = a, body: object = { redirectUri }): Promise<{ code: string; state: string; authorizationUrl: URL }> {
  const authorize = await app.inject({ method: 'POST', url: '/admin/v1/accounts/microsoft/authorize', headers: tenant.auth, payload: body });
  assert.equal(authorize.statusCode, 200, authorize.body);
  const { authorizationUrl, state } = authorize.json();
  const redirect = await fetch(authorizationUrl, { redirect: 'manual' });
  assert.equal(redirect.status, 302);
  const back = new URL(redirect.headers.get('location')!);
  assert.equal(`${back.origin}${back.pathname}`, redirectUri);
  assert.equal(back.searchParams.get('state'), state);
  return { code: back.searchParams.get('code')!, state, authorizationUrl: new URL(authorizationUrl) };
}

let accountId = '';

test('authorize gives Microsoft\'s consent URL with PKCE and a sealed state; the code and state come back; the account is stored sealed with its calendars', async () => {
  const { code, state, authorizationUrl } = await consent(t.app, a, { redirectUri, loginHint: 'ada@contoso.example' });
  assert.equal(`${authorizationUrl.origin}${authorizationUrl.pathname}`, `${graph.root}/common/oauth2/v2.0/authorize`);
  assert.equal(authorizationUrl.searchParams.get('client_id'), GRAPH_CLIENT.clientId);
  assert.equal(authorizationUrl.searchParams.get('redirect_uri'), redirectUri);
  assert.equal(authorizationUrl.searchParams.get('code_challenge_method'), 'S256');
  assert.equal(authorizationUrl.searchParams.get('login_hint'), 'ada@contoso.example');
  assert.ok(authorizationUrl.searchParams.get('scope')!.split(' ').includes('offline_access'), 'a refresh token is asked for');

  const before = await snapshot(t.database.db);
  const stolen = await t.app.inject({ method: 'POST', url: '/admin/v1/accounts/microsoft', headers: b.auth, payload: { code, state } });
  assert.equal(stolen.statusCode, 400);
  assert.equal(stolen.json().error.calsync.code, 'OAUTH_NOT_COMPLETED', 'a state is good for the tenant it was issued to');
  const google = await t.app.inject({ method: 'POST', url: '/admin/v1/accounts/google', headers: a.auth, payload: { code, state } });
  assert.equal(google.json().error.calsync.code, 'OAUTH_NOT_COMPLETED', 'and for the provider it was issued for');
  assert.deepEqual(await snapshot(t.database.db), before);

  const connected = await t.app.inject({ method: 'POST', url: '/admin/v1/accounts/microsoft', headers: a.auth, payload: { code, state, displayName: 'Front desk' } });
  assert.equal(connected.statusCode, 201, connected.body);
  const { account, calendars } = connected.json();
  assert.equal(account.provider, 'microsoft');
  assert.equal(account.login, 'ada@contoso.example');
  assert.equal(account.displayName, 'Front desk');
  assert.equal(account.state, 'active');
  assert.deepEqual(calendars.map((c: { primary: boolean; writable: boolean }) => [c.primary, c.writable]), [[true, true]]);
  const stored = await readCredentials<{ refreshToken: string; accessToken: string }>(t.database.db, secrets, a.tenantId, account.id);
  const me = await fetch(`${graph.root}/v1.0/me`, { headers: { authorization: `Bearer ${stored!.accessToken}` } });
  assert.equal(me.status, 200, 'the stored access token is Graph\'s');
  const { rows: [raw] } = await t.database.db.query<{ credentials: Buffer }>('select credentials from accounts where id = $1', [account.id]);
  assert.ok(!raw!.credentials.toString('latin1').includes(stored!.refreshToken), 'sealed, not in the clear');
  accountId = account.id;

  const afterConnect = await snapshot(t.database.db);
  const replay = await t.app.inject({ method: 'POST', url: '/admin/v1/accounts/microsoft', headers: a.auth, payload: { code, state } });
  assert.equal(replay.statusCode, 400, 'a code works once');
  assert.equal(replay.json().error.calsync.code, 'PROVIDER_AUTH_FAILED');
  assert.deepEqual(await snapshot(t.database.db), afterConnect);
});

test('a redirect URI the app registration does not know: Microsoft answers the browser, nothing is redirected and nothing stored', async () => {
  const before = await snapshot(t.database.db);
  const authorize = await t.app.inject({ method: 'POST', url: '/admin/v1/accounts/microsoft/authorize', headers: a.auth, payload: { redirectUri: 'https://elsewhere.example.org/cb' } });
  assert.equal(authorize.statusCode, 200);
  const answer = await fetch(authorize.json().authorizationUrl, { redirect: 'manual' });
  assert.equal(answer.status, 400);
  assert.match(await answer.text(), /AADSTS50011/);
  assert.deepEqual(await snapshot(t.database.db), before);
});

test('reconnecting with accountId: another mailbox is refused and changes nothing; the same one resumes the paused bindings and queues their passes', async () => {
  assert.ok(accountId, 'the first test connected an account');
  const bound = await t.app.inject({ method: 'POST', url: '/admin/v1/bindings', headers: a.auth, payload: { accountId, remoteCalendarId: 'primary', newCalendar: { summary: 'Ada' } } });
  assert.equal(bound.statusCode, 201, bound.body);
  const bindingId = bound.json().id as string;
  await setAccountState(t.database.db, a.tenantId, accountId, 'revoked', 'invalid_grant AADSTS50173');
  const paused = await t.app.inject({ method: 'GET', url: `/admin/v1/bindings/${bindingId}`, headers: a.auth });
  assert.equal(paused.json().state, 'paused');

  const other = await listeningGraph({ account: 'grace@contoso.example', clients });
  const elsewhere = await appOn(t.database, { providers: providersOn(other.root), secrets });
  try {
    const { code, state } = await consent(elsewhere, a);
    const before = await snapshot(t.database.db);
    const wrong = await elsewhere.inject({ method: 'POST', url: '/admin/v1/accounts/microsoft', headers: a.auth, payload: { code, state, accountId } });
    assert.equal(wrong.statusCode, 400, wrong.body);
    assert.match(wrong.json().error.message, /is ada@contoso\.example, but Microsoft granted access for grace@contoso\.example/);
    assert.deepEqual(await snapshot(t.database.db), before);
  } finally {
    await elsewhere.close();
    await other.close();
  }

  const { code, state } = await consent();
  const reconnected = await t.app.inject({ method: 'POST', url: '/admin/v1/accounts/microsoft', headers: a.auth, payload: { code, state, accountId } });
  assert.equal(reconnected.statusCode, 200, reconnected.body);
  assert.equal(reconnected.json().account.state, 'active');
  assert.deepEqual(reconnected.json().resumedBindings, [bindingId]);
  const resumed = await t.app.inject({ method: 'GET', url: `/admin/v1/bindings/${bindingId}`, headers: a.auth });
  assert.equal(resumed.json().state, 'active');
  const { rows } = await t.database.db.query(
    `select 1 from graphile_worker.jobs j join graphile_worker._private_jobs p using (id) where j.task_identifier = 'sync_binding' and p.payload ->> 'bindingId' = $1`, [bindingId]);
  assert.ok(rows.length >= 1, 'a pass of the resumed binding is queued');
  const { rows: accounts } = await t.database.db.query('select 1 from accounts where provider = $1', ['microsoft']);
  assert.equal(accounts.length, 1, 'reconnecting made no second account');
});

test('on a calsync without a Microsoft app registration: 400 PROVIDER_NOT_CONFIGURED naming CALSYNC_MICROSOFT_CLIENT_ID, and nothing changes', async () => {
  const unconfigured = await appOn(t.database, { providers: providersOn(graph.root, { microsoft: { clientId: undefined, clientSecret: undefined, graphUrl: `${graph.root}/v1.0`, authorityUrl: graph.root, tenant: undefined } }), secrets });
  try {
    const before = await snapshot(t.database.db);
    const res = await unconfigured.inject({ method: 'POST', url: '/admin/v1/accounts/microsoft/authorize', headers: a.auth, payload: { redirectUri, loginHint: 'ada@contoso.example' } });
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().error.calsync.code, 'PROVIDER_NOT_CONFIGURED');
    assert.match(res.json().error.message, /CALSYNC_MICROSOFT_CLIENT_ID/);
    assert.deepEqual(await snapshot(t.database.db), before);
  } finally {
    await unconfigured.close();
  }
});
