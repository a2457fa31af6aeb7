// The identity platform's v2 endpoints: authorize redirects at once, the code exchange
// checks PKCE and redirect_uri, refresh tokens rotate, offline_access decides whether one
// is issued, and errors are AADSTS bodies. Graph itself wants a live bearer token.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { testGraph, type TestGraph } from '../helpers/microsoft-emulator.ts';

const REDIRECT = 'https://app.example.org/oauth/callback';
const SCOPE = 'offline_access https://graph.microsoft.com/Calendars.ReadWrite';
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');

async function authorize(t: TestGraph, extra: Record<string, string> = {}, tenant = 'common'): Promise<URL> {
  const query = new URLSearchParams({ client_id: 'emulator-client', response_type: 'code', redirect_uri: REDIRECT, scope: SCOPE, state: 's-42', code_challenge: CHALLENGE, code_challenge_method: 'S256', ...extra });
  const r = await t.app.inject({ method: 'GET', url: `/${tenant}/oauth2/v2.0/authorize?${query}` });
  assert.equal(r.statusCode, 302, r.body);
  return new URL(r.headers.location as string);
}

function token(t: TestGraph, form: Record<string, string>, tenant = 'common') {
  return t.app.inject({
    method: 'POST', url: `/${tenant}/oauth2/v2.0/token`, headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ client_id: 'emulator-client', client_secret: 'emulator-secret', ...form }).toString(),
  });
}

function assertAad(body: any, error: string, code: number): void {
  assert.equal(body.error, error);
  assert.deepEqual(body.error_codes, [code]);
  assert.match(body.error_description, new RegExp(`^AADSTS${code}: .+ Trace ID: \\S+ Correlation ID: \\S+ Timestamp: `));
  for (const key of ['timestamp', 'trace_id', 'correlation_id', 'error_uri']) assert.equal(typeof body[key], 'string', key);
}

test('authorize redirects at once with code and state; the code exchange with the S256 verifier answers tokens', async () => {
  const t = testGraph();
  const back = await authorize(t);
  assert.equal(`${back.origin}${back.pathname}`, REDIRECT);
  assert.equal(back.searchParams.get('state'), 's-42');
  const code = back.searchParams.get('code')!;
  const r = await token(t, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: VERIFIER, scope: SCOPE });
  assert.equal(r.statusCode, 200, r.body);
  assert.equal(r.headers['cache-control'], 'no-store');
  const body = r.json();
  assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'ext_expires_in', 'refresh_token', 'scope', 'token_type']);
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.scope, 'https://graph.microsoft.com/Calendars.ReadWrite', 'offline_access is not answered in scope');
  assert.equal(body.expires_in, 3599);
  const me = await t.app.inject({ method: 'GET', url: '/v1.0/me', headers: { authorization: `Bearer ${body.access_token}` } });
  assert.equal(me.statusCode, 200);
  const again = await token(t, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: VERIFIER });
  assert.equal(again.statusCode, 400);
  assertAad(again.json(), 'invalid_grant', 54005);
});

test('PKCE and redirect_uri are checked; a plain challenge works; an expired code is AADSTS70008', async () => {
  const t = testGraph();
  const wrong = await token(t, { grant_type: 'authorization_code', code: (await authorize(t)).searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: 'x'.repeat(43) });
  assert.equal(wrong.statusCode, 400);
  assertAad(wrong.json(), 'invalid_grant', 50148);
  const missing = await token(t, { grant_type: 'authorization_code', code: (await authorize(t)).searchParams.get('code')!, redirect_uri: REDIRECT });
  assert.equal(missing.statusCode, 400);
  const elsewhere = await token(t, { grant_type: 'authorization_code', code: (await authorize(t)).searchParams.get('code')!, redirect_uri: 'https://evil.example/cb', code_verifier: VERIFIER });
  assert.equal(elsewhere.statusCode, 400);
  assertAad(elsewhere.json(), 'invalid_request', 50011);
  const plain = await authorize(t, { code_challenge: 'plain-verifier-0123456789-0123456789-0123456', code_challenge_method: 'plain' });
  assert.equal((await token(t, { grant_type: 'authorization_code', code: plain.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: 'plain-verifier-0123456789-0123456789-0123456' })).statusCode, 200);
  const old = (await authorize(t)).searchParams.get('code')!;
  t.clock.advance(11 * 60_000);
  const expired = await token(t, { grant_type: 'authorization_code', code: old, redirect_uri: REDIRECT, code_verifier: VERIFIER });
  assertAad(expired.json(), 'invalid_grant', 70008);
});

test('without offline_access there is no refresh token', async () => {
  const t = testGraph();
  const back = await authorize(t, { scope: 'https://graph.microsoft.com/Calendars.ReadWrite' });
  const r = await token(t, { grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: VERIFIER });
  assert.equal(r.statusCode, 200);
  assert.equal(r.json().refresh_token, undefined);
});

test('a refresh rotates the refresh token: the used one stops working (or after the grace), a revoked grant is AADSTS50173', async () => {
  const t = testGraph();
  const grant = t.app.emulator.issueGrant();
  const first = await token(t, { grant_type: 'refresh_token', refresh_token: grant.refresh_token });
  assert.equal(first.statusCode, 200);
  const rotated = first.json().refresh_token;
  assert.ok(rotated && rotated !== grant.refresh_token);
  const reused = await token(t, { grant_type: 'refresh_token', refresh_token: grant.refresh_token });
  assert.equal(reused.statusCode, 400);
  assertAad(reused.json(), 'invalid_grant', 70000);
  assert.equal((await token(t, { grant_type: 'refresh_token', refresh_token: rotated })).statusCode, 200);

  const lenient = testGraph({ refreshGraceSeconds: 60 });
  const g = lenient.app.emulator.issueGrant();
  await token(lenient, { grant_type: 'refresh_token', refresh_token: g.refresh_token });
  assert.equal((await token(lenient, { grant_type: 'refresh_token', refresh_token: g.refresh_token })).statusCode, 200, 'within the grace');
  lenient.clock.advance(61_000);
  assert.equal((await token(lenient, { grant_type: 'refresh_token', refresh_token: g.refresh_token })).statusCode, 400, 'after the grace');

  const live = t.app.emulator.issueGrant();
  assert.equal(t.app.emulator.revokeGrant(live.grant_id), true);
  const revoked = await token(t, { grant_type: 'refresh_token', refresh_token: live.refresh_token });
  assertAad(revoked.json(), 'invalid_grant', 50173);
  const api = await t.app.inject({ method: 'GET', url: '/v1.0/me', headers: { authorization: `Bearer ${live.access_token}` } });
  assert.equal(api.statusCode, 401);
  assert.equal(api.json().error.code, 'InvalidAuthenticationToken');
});

test('token endpoint errors: form bodies only, a client and its secret, a known tenant and grant type', async () => {
  const t = testGraph();
  const json = await t.app.inject({ method: 'POST', url: '/common/oauth2/v2.0/token', headers: { 'content-type': 'application/json' }, payload: { grant_type: 'refresh_token' } });
  assert.equal(json.statusCode, 400);
  assertAad(json.json(), 'invalid_request', 900144);
  const secret = await token(t, { grant_type: 'refresh_token', refresh_token: 'x', client_secret: 'wrong' });
  assert.equal(secret.statusCode, 401);
  assertAad(secret.json(), 'invalid_client', 7000215);
  const client = await token(t, { grant_type: 'refresh_token', refresh_token: 'x', client_id: 'someone-else' });
  assertAad(client.json(), 'unauthorized_client', 700016);
  assertAad((await token(t, { grant_type: 'password' })).json(), 'unsupported_grant_type', 70003);
  assertAad((await token(t, { grant_type: 'refresh_token', refresh_token: 'made-up' })).json(), 'invalid_grant', 70000);
  const tenant = await token(t, { grant_type: 'refresh_token', refresh_token: 'x' }, 'no-such-tenant');
  assertAad(tenant.json(), 'invalid_request', 90002);
  assert.equal((await token(t, { grant_type: 'refresh_token', refresh_token: t.app.emulator.issueGrant().refresh_token }, t.app.emulator.tenantId)).statusCode, 200);
});

test('authorize: a bad redirect_uri is answered, not redirected; a bad response_type redirects with error and state', async () => {
  const t = testGraph({ clients: [{ clientId: 'emulator-client', clientSecret: 'emulator-secret', redirectUris: [REDIRECT] }] });
  const bad = await t.app.inject({ method: 'GET', url: `/common/oauth2/v2.0/authorize?client_id=emulator-client&response_type=code&scope=x&redirect_uri=${encodeURIComponent('https://evil.example/cb')}` });
  assert.equal(bad.statusCode, 400);
  const token = await authorize(t, { response_type: 'token' });
  assert.equal(token.searchParams.get('error'), 'unsupported_response_type');
  assert.equal(token.searchParams.get('state'), 's-42');
  assert.equal(token.searchParams.get('code'), null);
});

test('Graph wants a live bearer token: 401 InvalidAuthenticationToken with innerError; request ids are echoed', async () => {
  const t = testGraph();
  const none = await t.app.inject({ method: 'GET', url: '/v1.0/me/events', headers: { 'client-request-id': 'abc-123' } });
  assert.equal(none.statusCode, 401);
  assert.deepEqual(Object.keys(none.json().error).sort(), ['code', 'innerError', 'message']);
  assert.equal(none.json().error.code, 'InvalidAuthenticationToken');
  assert.equal(none.json().error.message, 'Access token is empty.');
  assert.equal(none.json().error.innerError['client-request-id'], 'abc-123');
  assert.equal(none.headers['client-request-id'], 'abc-123');
  assert.match(none.json().error.innerError.date, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
  const junk = await t.app.inject({ method: 'GET', url: '/v1.0/me', headers: { authorization: 'Bearer junk' } });
  assert.equal(junk.statusCode, 401);
  t.app.emulator.expireAccessTokens();
  const expired = await t.call('GET', '/v1.0/me');
  assert.equal(expired.json().error.message, 'Lifetime validation failed, the token is expired.');
  assert.equal((await t.call('POST', '/v1.0/me/events', { subject: 'x' })).statusCode, 401);
  assert.equal(t.app.emulator.writes().length, 0);
});
