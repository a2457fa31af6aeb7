// Sync and page tokens are signed: one an app forged, edited, truncated or took from
// another listing is refused before any of its fields is read (a page token 400 naming
// pageToken, a sync token 410 fullSyncRequired as Google answers an invalid one), and a
// key rotation keeps the tokens of the previous key valid while that key is configured.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { appOn, testApp, tenantWithKey, type TestApp } from '../helpers/app.ts';
import { createAccount } from '../../src/store/accounts.ts';
import { createBinding } from '../../src/store/bindings.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';

const [oldKey, newKey] = [parseSecretKey(generateSecretKeyText()), parseSecretKey(generateSecretKeyText())];
let t: TestApp;
let auth: { authorization: string };
let calendarId: string;
let otherCalendarId: string;
let bindingId: string;

const unsigned = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

before(async () => {
  t = await testApp({ secrets: new Secrets(oldKey) });
  const tenant = await tenantWithKey(t, 'tokens');
  auth = tenant.auth;
  const calendar = async (summary: string) => (await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: auth, payload: { summary } })).json().id as string;
  calendarId = await calendar('Work');
  otherCalendarId = await calendar('Home');
  for (let day = 2; day <= 4; day++) {
    await t.app.inject({
      method: 'POST', url: `/calendar/v3/calendars/${calendarId}/events`, headers: auth,
      payload: { summary: `Day ${day}`, start: { dateTime: `2026-03-0${day}T10:00:00Z` }, end: { dateTime: `2026-03-0${day}T11:00:00Z` } },
    });
  }
  const account = await createAccount(t.database.db, new Secrets(oldKey), tenant.tenantId, { provider: 'caldav' });
  bindingId = (await createBinding(t.database.db, tenant.tenantId, { calendarId, accountId: account.id, remoteCalendarId: 'remote' })).id;
});
after(async () => { await t.close(); });

async function get(url: string, app: FastifyInstance = t.app): Promise<{ status: number; body: any }> {
  const res = await app.inject({ method: 'GET', url, headers: auth });
  return { status: res.statusCode, body: res.json() };
}

function assertRefusedPageToken(res: { status: number; body: any }, what: string): void {
  assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.body)}`);
  assert.deepEqual([res.body.error.calsync.code, res.body.error.errors[0].location], ['INVALID_REQUEST', 'pageToken'], what);
}

function assertFullSyncRequired(res: { status: number; body: any }, what: string): void {
  assert.equal(res.status, 410, `${what}: ${JSON.stringify(res.body)}`);
  assert.deepEqual([res.body.error.errors[0].reason, res.body.error.errors[0].location], ['fullSyncRequired', 'syncToken'], what);
}

/** A token with its payload replaced and its signature kept. */
function edited(token: string, change: (payload: Record<string, unknown>) => void): string {
  const [body, tag] = token.split('.');
  const payload = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8')) as Record<string, unknown>;
  change(payload);
  return `${unsigned(payload)}.${tag}`;
}

test('events page tokens: the real one pages; an edited, forged, truncated or foreign one is 400 naming pageToken', async () => {
  const events = `/calendar/v3/calendars/${calendarId}/events`;
  const first = await get(`${events}?maxResults=1`);
  const token = first.body.nextPageToken as string;
  assert.equal((await get(`${events}?maxResults=1&pageToken=${token}`)).status, 200);

  const refusals: Array<[string, string]> = [
    ['its snapshot version edited', edited(token, (p) => { p.u = 1e300; })],
    ['its keyset edited', edited(token, (p) => { p.a = ['\u0000', -1]; })],
    ['truncated', token.slice(0, -3)],
    ['without a signature', token.split('.')[0]!],
    ['forged in the unsigned form', unsigned({ k: 'p', c: 'x', q: 'y', u: 1e300, s: -1, a: [] })],
    ['not base64', 'not-a-token!!'],
  ];
  for (const [what, forged] of refusals) assertRefusedPageToken(await get(`${events}?maxResults=1&pageToken=${encodeURIComponent(forged)}`), what);
  assertRefusedPageToken(await get(`/calendar/v3/calendars/${otherCalendarId}/events?maxResults=1&pageToken=${token}`), 'another calendar\'s');
  assertRefusedPageToken(await get(`${events}?maxResults=1&q=Day&pageToken=${token}`), 'another query\'s');
});

test('sync tokens: the real one lists changes; an edited, forged or foreign one, or a page token, is 410 fullSyncRequired', async () => {
  const events = `/calendar/v3/calendars/${calendarId}/events`;
  const full = await get(events);
  const syncToken = full.body.nextSyncToken as string;
  const incremental = await get(`${events}?syncToken=${syncToken}`);
  assert.deepEqual([incremental.status, incremental.body.items.length], [200, 0]);

  const page = (await get(`${events}?maxResults=1`)).body.nextPageToken as string;
  const refusals: Array<[string, string]> = [
    ['its version lowered to replay everything', edited(syncToken, (p) => { p.v = 0; })],
    ['its issue time moved past the horizon', edited(syncToken, (p) => { p.t = Date.now() + 1e12; })],
    ['forged in the unsigned form', unsigned({ k: 's', c: 'x', v: 1e300, t: Date.now() })],
    ['a page token', page],
    ['truncated', syncToken.slice(0, 10)],
  ];
  for (const [what, forged] of refusals) assertFullSyncRequired(await get(`${events}?syncToken=${encodeURIComponent(forged)}`), what);
  assertFullSyncRequired(await get(`/calendar/v3/calendars/${otherCalendarId}/events?syncToken=${syncToken}`), 'another calendar\'s');
  assertRefusedPageToken(await get(`${events}?pageToken=${syncToken}`), 'a sync token as a page token');
});

test('operator page tokens: forged ones with fields out of range are 400, and one route\'s token means nothing at another', async () => {
  for (const reason of ['first', 'second']) {
    await t.app.inject({ method: 'POST', url: `/admin/v1/bindings/${bindingId}/pause`, headers: auth, payload: { reason } });
    await t.app.inject({ method: 'POST', url: `/admin/v1/bindings/${bindingId}/resume`, headers: auth });
  }
  const first = await get('/admin/v1/operator-actions?maxResults=1');
  const token = first.body.nextPageToken as string;
  assert.equal((await get(`/admin/v1/operator-actions?maxResults=1&pageToken=${token}`)).status, 200);

  const forgedQuarantine = unsigned({ sinceMicros: '99999999999999999999', kind: 'remote', bindingId, remoteId: 'x' });
  assertRefusedPageToken(await get(`/admin/v1/quarantine?pageToken=${forgedQuarantine}`), 'a quarantine cursor past bigint');
  assertRefusedPageToken(await get(`/admin/v1/conflicts?pageToken=${unsigned({ createdAt: '+275760-09-13T00:00:00.000Z', id: crypto.randomUUID() })}`), 'a conflicts cursor past year 9999');
  assertRefusedPageToken(await get(`/admin/v1/operator-actions?pageToken=${unsigned('9'.repeat(18))}`), 'an unsigned action id');
  assertRefusedPageToken(await get(`/admin/v1/operator-actions?pageToken=${edited(token, () => undefined).replace(/^[^.]+/, unsigned('1'))}`), 'an edited action id');
  assertRefusedPageToken(await get(`/admin/v1/conflicts?pageToken=${token}`), 'the operator actions\' token at conflicts');
  assertRefusedPageToken(await get(`/admin/v1/bindings/${bindingId}/stopped-pass?pageToken=${token}`), 'the operator actions\' token at a stopped pass');
});

test('after a key rotation, tokens of the previous key hold while it is configured, and only then', async () => {
  const events = `/calendar/v3/calendars/${calendarId}/events`;
  const syncToken = (await get(events)).body.nextSyncToken as string;
  const pageToken = (await get(`${events}?maxResults=1`)).body.nextPageToken as string;

  const rotating = await appOn(t.database, { secrets: new Secrets(newKey, [oldKey]) });
  const rotated = await appOn(t.database, { secrets: new Secrets(newKey) });
  try {
    assert.equal((await get(`${events}?syncToken=${syncToken}`, rotating)).status, 200);
    assert.equal((await get(`${events}?maxResults=1&pageToken=${pageToken}`, rotating)).status, 200);
    const fresh = (await get(events, rotating)).body.nextSyncToken as string;
    assert.notEqual(fresh.split('.')[1], syncToken.split('.')[1], 'new tokens are signed with the new key');
    assert.equal((await get(`${events}?syncToken=${fresh}`, rotated)).status, 200);

    assertFullSyncRequired(await get(`${events}?syncToken=${syncToken}`, rotated), 'a sync token of a key no longer configured');
    assertRefusedPageToken(await get(`${events}?maxResults=1&pageToken=${pageToken}`, rotated), 'a page token of a key no longer configured');
  } finally {
    await rotating.close();
    await rotated.close();
  }
});
