// The OAuth endpoints against Google's OAuth 2.0 documentation (identity/protocols/oauth2
// web-server and native-app): the authorization redirect, the code exchange with PKCE,
// refresh, invalid_grant for revoked or expired refresh tokens, expiring access tokens
// and the errors guide's 401 body — also end to end with the official client library.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { auth, calendar as googleCalendar } from '@googleapis/calendar';
import { build } from '../../emulators/google/app.ts';
import { clock } from '../helpers/google-emulator.ts';

// errors guide, "401: Invalid Credentials".
const INVALID_CREDENTIALS = {
  error: {
    errors: [{ domain: 'global', reason: 'authError', message: 'Invalid Credentials', locationType: 'header', location: 'Authorization' }],
    code: 401, message: 'Invalid Credentials',
  },
};

const form = (fields: Record<string, string>) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  payload: new URLSearchParams(fields).toString(),
});

const CLIENT = { client_id: 'emulator-client', client_secret: 'emulator-secret' };
const REDIRECT = 'http://127.0.0.1:9999/callback';

async function authorize(app: ReturnType<typeof build>, extra: Record<string, string> = {}): Promise<URL> {
  const query = new URLSearchParams({ client_id: CLIENT.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: 'https://www.googleapis.com/auth/calendar', state: 'xyz', access_type: 'offline', ...extra });
  const r = await app.inject({ method: 'GET', url: `/o/oauth2/v2/auth?${query}` });
  assert.equal(r.statusCode, 302);
  return new URL(r.headers.location as string);
}

test('code exchange with PKCE S256: the redirect carries code and state; a wrong or missing verifier is invalid_grant; a code works once', async () => {
  const app = build();
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const redirect = await authorize(app, { code_challenge: challenge, code_challenge_method: 'S256' });
  assert.equal(`${redirect.origin}${redirect.pathname}`, REDIRECT);
  assert.equal(redirect.searchParams.get('state'), 'xyz');
  const code = redirect.searchParams.get('code')!;

  const exchange = (fields: Record<string, string>) => app.inject({ method: 'POST', url: '/token', ...form({ ...CLIENT, grant_type: 'authorization_code', code, redirect_uri: REDIRECT, ...fields }) });
  const wrong = await exchange({ code_verifier: 'not-the-verifier-not-the-verifier-not-the-ver' });
  assert.equal(wrong.statusCode, 400);
  assert.deepEqual(wrong.json(), { error: 'invalid_grant', error_description: 'Invalid code verifier.' });

  const again = await authorize(app, { code_challenge: challenge, code_challenge_method: 'S256' });
  const exchangeCode = (c: string, fields: Record<string, string>) =>
    app.inject({ method: 'POST', url: '/token', ...form({ ...CLIENT, grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT, ...fields }) });
  assert.deepEqual((await exchangeCode(again.searchParams.get('code')!, {})).json(), { error: 'invalid_grant', error_description: 'Missing code verifier.' });

  const third = (await authorize(app, { code_challenge: challenge, code_challenge_method: 'S256' })).searchParams.get('code')!;
  const ok = await exchangeCode(third, { code_verifier: verifier });
  assert.equal(ok.statusCode, 200, ok.body);
  const tokens = ok.json();
  assert.deepEqual(Object.keys(tokens).sort(), ['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type']);
  assert.equal(tokens.token_type, 'Bearer');
  assert.equal(tokens.expires_in, 3599);
  assert.equal(ok.headers['cache-control'], 'no-store');
  const reused = await exchangeCode(third, { code_verifier: verifier });
  assert.deepEqual(reused.json(), { error: 'invalid_grant', error_description: 'Bad Request' });

  const api = await app.inject({ method: 'GET', url: '/calendar/v3/users/me/calendarList', headers: { authorization: `Bearer ${tokens.access_token}` } });
  assert.equal(api.statusCode, 200);
  assert.equal((await exchangeCode((await authorize(app)).searchParams.get('code')!, { redirect_uri: 'http://127.0.0.1:1/other' })).json().error, 'redirect_uri_mismatch');
  assert.equal((await app.inject({ method: 'POST', url: '/token', ...form({ ...CLIENT, client_secret: 'wrong', grant_type: 'refresh_token', refresh_token: tokens.refresh_token }) })).statusCode, 401);
  assert.equal((await app.inject({ method: 'POST', url: '/token', ...form({ ...CLIENT, grant_type: 'password' }) })).json().error, 'unsupported_grant_type');
});

test('access tokens expire after expires_in; refresh gives a new one; a revoked grant is invalid_grant and its access tokens 401', async () => {
  const time = clock();
  const app = build({ now: time.now, accessTokenTtlSeconds: 60 });
  const grant = app.emulator.issueGrant();
  const list = (token: string) => app.inject({ method: 'GET', url: '/calendar/v3/users/me/calendarList', headers: { authorization: `Bearer ${token}` } });
  assert.equal((await list(grant.access_token)).statusCode, 200);
  time.advance(60_000);
  const expired = await list(grant.access_token);
  assert.equal(expired.statusCode, 401);
  assert.deepEqual(expired.json(), INVALID_CREDENTIALS);
  assert.match(String(expired.headers['www-authenticate']), /^Bearer /);

  const refreshed = await app.inject({ method: 'POST', url: '/token', ...form({ ...CLIENT, grant_type: 'refresh_token', refresh_token: grant.refresh_token }) });
  assert.equal(refreshed.statusCode, 200);
  assert.equal(refreshed.json().refresh_token, undefined, 'a refresh answers no new refresh token');
  assert.equal((await list(refreshed.json().access_token)).statusCode, 200);

  const revoke = await app.inject({ method: 'POST', url: '/emulator/grants/revoke', payload: { token: grant.refresh_token } });
  assert.equal(revoke.statusCode, 204);
  assert.equal((await list(refreshed.json().access_token)).statusCode, 401);
  const dead = await app.inject({ method: 'POST', url: '/token', ...form({ ...CLIENT, grant_type: 'refresh_token', refresh_token: grant.refresh_token }) });
  assert.equal(dead.statusCode, 400);
  assert.deepEqual(dead.json(), { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });

  for (const header of [undefined, 'Bearer', 'Basic abc', 'Bearer nope']) {
    const r = await app.inject({ method: 'GET', url: '/calendar/v3/users/me/calendarList', headers: header ? { authorization: header } : {} });
    assert.equal(r.statusCode, 401, String(header));
  }
});

test('refresh tokens of a time-limited grant (an app in "testing") expire: invalid_grant', async () => {
  const time = clock();
  const app = build({ now: time.now, refreshTokenTtlSeconds: 7 * 86_400 });
  const grant = app.emulator.issueGrant();
  assert.equal(grant.refresh_token_expires_in, 7 * 86_400);
  time.advance(7 * 86_400_000);
  const r = await app.inject({ method: 'POST', url: '/token', ...form({ ...CLIENT, grant_type: 'refresh_token', refresh_token: grant.refresh_token }) });
  assert.deepEqual(r.json(), { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
});

test('a CLI flow end to end with the official client: auth URL with PKCE, redirect, getToken, API calls, refresh after expiry', async () => {
  const app = build({ accessTokenTtlSeconds: 3599 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const root = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const oauth = new auth.OAuth2({
      clientId: CLIENT.client_id, clientSecret: CLIENT.client_secret, redirectUri: REDIRECT,
      endpoints: { oauth2AuthBaseUrl: `${root}/o/oauth2/v2/auth`, oauth2TokenUrl: `${root}/token` },
      // With an expiry_date the client refreshes on a 401 only when asked to.
      forceRefreshOnFailure: true,
    });
    const { codeVerifier, codeChallenge } = await oauth.generateCodeVerifierAsync();
    const url = oauth.generateAuthUrl({
      access_type: 'offline', scope: ['https://www.googleapis.com/auth/calendar'], state: 'cli-state',
      code_challenge: codeChallenge!, code_challenge_method: 'S256' as never,
    });
    const redirect = await fetch(url, { redirect: 'manual' });
    assert.equal(redirect.status, 302);
    const back = new URL(redirect.headers.get('location')!);
    assert.equal(back.searchParams.get('state'), 'cli-state');
    const { tokens } = await oauth.getToken({ code: back.searchParams.get('code')!, codeVerifier });
    assert.ok(tokens.refresh_token);
    oauth.setCredentials(tokens);

    const client = googleCalendar({ version: 'v3', rootUrl: `${root}/`, auth: oauth });
    assert.equal((await client.calendarList.list()).data.items?.length, 1);
    // The server expires the token early: the client gets 401, refreshes with its refresh token and retries.
    app.emulator.expireAccessTokens();
    const before = app.emulator.stats().byRoute['POST /token'] ?? 0;
    assert.equal((await client.calendars.get({ calendarId: 'primary' })).data.id, 'user@example.com');
    assert.equal(app.emulator.stats().byRoute['POST /token'], before + 1, 'one refresh');
  } finally {
    await app.close();
  }
});
