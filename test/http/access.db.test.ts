import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { revokeApiKey } from '../../src/store/tenants.ts';
import { offlineProviders, tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';
import { snapshot as takeSnapshot } from '../helpers/snapshot.ts';

let t: TestApp;
let a: Awaited<ReturnType<typeof tenantWithKey>>;
let b: Awaited<ReturnType<typeof tenantWithKey>>;
let calendarOfA: string;
let accountOfA: string;
let bindingOfA: string;

// Feeds "answer" without a network: these tests are about who may touch what.
const providers = offlineProviders(1);

before(async () => {
  t = await testApp({ providers });
  a = await tenantWithKey(t, 'tenant a');
  b = await tenantWithKey(t, 'tenant b');
  const created = await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: a.auth, payload: { summary: 'A private' } });
  assert.equal(created.statusCode, 200);
  calendarOfA = created.json().id;
  const account = await t.app.inject({ method: 'POST', url: '/admin/v1/accounts', headers: a.auth, payload: { provider: 'ics', url: 'https://example.org/a.ics' } });
  assert.equal(account.statusCode, 201, account.body);
  accountOfA = account.json().account.id;
  const binding = await t.app.inject({ method: 'POST', url: '/admin/v1/bindings', headers: a.auth, payload: { accountId: accountOfA, remoteCalendarId: 'https://example.org/a.ics', calendarId: calendarOfA } });
  assert.equal(binding.statusCode, 201, binding.body);
  bindingOfA = binding.json().id;
});
after(async () => { await t.close(); });

const snapshot = () => takeSnapshot(t.database.db);

const protectedRoutes = [
  { method: 'GET', url: () => '/calendar/v3/users/me/calendarList' },
  { method: 'GET', url: () => `/calendar/v3/calendars/${calendarOfA}` },
  { method: 'DELETE', url: () => `/calendar/v3/calendars/${calendarOfA}` },
  { method: 'POST', url: () => '/calendar/v3/calendars', payload: { summary: 'sneaky' } },
  { method: 'GET', url: () => '/admin/v1/accounts' },
  { method: 'POST', url: () => '/admin/v1/accounts', payload: { provider: 'ics', url: 'https://example.org/x.ics' } },
  { method: 'GET', url: () => '/admin/v1/bindings' },
  { method: 'POST', url: () => '/admin/v1/bindings', payload: { accountId: 'x', remoteCalendarId: 'y', newCalendar: { summary: 'z' } } },
  { method: 'GET', url: () => `/admin/v1/accounts/${accountOfA}/calendars` },
  { method: 'GET', url: () => `/admin/v1/bindings/${bindingOfA}` },
  { method: 'POST', url: () => `/admin/v1/bindings/${bindingOfA}/sync` },
] as const;

for (const route of protectedRoutes) {
  for (const [label, headers] of [
    ['no key', {}],
    ['a malformed key', { authorization: 'Bearer nonsense' }],
    ['an unknown key', { authorization: `Bearer csk_${'A'.repeat(43)}` }],
    ['a basic-auth header', { authorization: 'Basic dXNlcjpwYXNz' }],
  ] as const) {
    test(`${route.method} ${route.url()} with ${label} is 401 and changes nothing`, async () => {
      const before = await snapshot();
      const res = await t.app.inject({ method: route.method, url: route.url(), headers, ...('payload' in route ? { payload: route.payload } : {}) });
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().error.calsync.code, 'UNAUTHENTICATED');
      assert.deepEqual(await snapshot(), before);
    });
  }
}

test("another tenant's calendar, account and binding are 404 to every route, absent from its lists, and unchanged", async () => {
  const own = await t.app.inject({ method: 'POST', url: '/admin/v1/accounts', headers: b.auth, payload: { provider: 'ics', url: 'https://example.org/b.ics' } });
  assert.equal(own.statusCode, 201, own.body);
  const accountOfB = own.json().account.id;
  const before = await snapshot();
  for (const route of [
    { method: 'GET', url: `/calendar/v3/calendars/${calendarOfA}` },
    { method: 'DELETE', url: `/calendar/v3/calendars/${calendarOfA}` },
    { method: 'GET', url: `/admin/v1/accounts/${accountOfA}/calendars` },
    { method: 'GET', url: `/admin/v1/bindings/${bindingOfA}` },
    { method: 'POST', url: `/admin/v1/bindings/${bindingOfA}/sync` },
    { method: 'POST', url: '/admin/v1/bindings', payload: { accountId: accountOfA, remoteCalendarId: 'https://example.org/a.ics', newCalendar: { summary: 'stolen feed' } } },
    { method: 'POST', url: '/admin/v1/bindings', payload: { accountId: accountOfB, remoteCalendarId: 'https://example.org/b.ics', calendarId: calendarOfA } },
  ] as const) {
    const res = await t.app.inject({ ...route, headers: b.auth });
    assert.equal(res.statusCode, 404, `${route.method} ${route.url}: ${res.body}`);
    assert.equal(res.json().error.status, 'NOT_FOUND');
  }
  assert.deepEqual(await snapshot(), before);
  const lists = await Promise.all(['/calendar/v3/users/me/calendarList', '/admin/v1/accounts', '/admin/v1/bindings'].map(async (url) =>
    (await t.app.inject({ method: 'GET', url, headers: b.auth })).json().items.map((item: { id: string }) => item.id)));
  assert.deepEqual(lists, [[], [accountOfB], []]);
  const stillThere = await t.app.inject({ method: 'GET', url: `/calendar/v3/calendars/${calendarOfA}`, headers: a.auth });
  assert.equal(stillThere.statusCode, 200);
  assert.equal(stillThere.json().summary, 'A private');
});

test('the queue is not part of the tenant API: its counts and probes are operator commands', async () => {
  // They covered every tenant's jobs, so any tenant's key could read the whole queue and
  // enqueue up to 100,000 jobs; `calsync status` and `calsync queue probe` do this now.
  const before = await snapshot();
  for (const route of [
    { method: 'GET', url: '/admin/v1/queue' },
    { method: 'POST', url: '/admin/v1/queue/probes', payload: { count: 1 } },
    { method: 'GET', url: '/admin/v1/queue/probes/00000000-0000-0000-0000-000000000000' },
  ] as const) {
    const res = await t.app.inject({ ...route, headers: a.auth });
    assert.equal(res.statusCode, 404, `${route.method} ${route.url}`);
  }
  assert.deepEqual(await snapshot(), before, 'nothing was enqueued');
});

test('a revoked key stops working at once', async () => {
  const c = await tenantWithKey(t, 'tenant c');
  assert.equal((await t.app.inject({ method: 'GET', url: '/calendar/v3/users/me/calendarList', headers: c.auth })).statusCode, 200);
  await revokeApiKey(t.database.db, c.tenantId, c.keyId);
  assert.equal((await t.app.inject({ method: 'GET', url: '/calendar/v3/users/me/calendarList', headers: c.auth })).statusCode, 401);
});

test('bad bodies get a 4xx with a calsync code and create nothing', async () => {
  const cases = [
    { payload: '{"summary": ', type: 'application/json', status: 400, code: 'INVALID_REQUEST' },
    { payload: { summary: 'x', colour: 'red' }, type: 'application/json', status: 400, code: 'INVALID_REQUEST' },
    { payload: { summary: 42 }, type: 'application/json', status: 400, code: 'INVALID_REQUEST' },
    { payload: {}, type: 'application/json', status: 400, code: 'INVALID_REQUEST' },
    { payload: 'summary=x', type: 'application/x-www-form-urlencoded', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    { payload: { summary: 'x'.repeat(70 * 1024) }, type: 'application/json', status: 413, code: 'PAYLOAD_TOO_LARGE' },
  ];
  for (const c of cases) {
    const before = await snapshot();
    const res = await t.app.inject({
      method: 'POST', url: '/calendar/v3/calendars', headers: { ...a.auth, 'content-type': c.type },
      payload: typeof c.payload === 'string' ? c.payload : JSON.stringify(c.payload),
    });
    assert.equal(res.statusCode, c.status, JSON.stringify(c.payload).slice(0, 60));
    assert.equal(res.json().error.calsync.code, c.code);
    assert.ok(res.json().error.calsync.hint.length > 10);
    assert.deepEqual(await snapshot(), before);
  }
});

test('an id that is not a calendar id is a 404, not a 500', async () => {
  const res = await t.app.inject({ method: 'GET', url: "/calendar/v3/calendars/'; drop table calendars; --", headers: a.auth });
  assert.equal(res.statusCode, 404);
});

test('health, readiness and metrics need no key; unknown routes are 404', async () => {
  assert.deepEqual((await t.app.inject('/healthz')).json(), { status: 'ok' });
  const ready = await t.app.inject('/readyz');
  assert.equal(ready.statusCode, 200);
  assert.deepEqual(ready.json().checks, { database: 'ok', queue: 'ok' });
  const metrics = await t.app.inject('/metrics');
  assert.match(metrics.body, /calsync_http_requests_total\{method="GET",route="\/healthz",status="200"\} 1/);
  assert.match(metrics.body, /calsync_queue_jobs\{state="pending"\} \d+/);
  assert.equal((await t.app.inject('/nope')).statusCode, 404);
});
