import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeCalendar, missingServer, startCalDavServer, type CalDavServer } from '../helpers/caldav-servers.ts';
import { appOn, offlineProviders, tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';

const missing = missingServer('radicale');
let t: TestApp;
let radicale: CalDavServer;
let a: Awaited<ReturnType<typeof tenantWithKey>>;
let b: Awaited<ReturnType<typeof tenantWithKey>>;
before(async () => {
  t = await testApp();
  a = await tenantWithKey(t, 'a');
  b = await tenantWithKey(t, 'b');
  if (!missing) radicale = await startCalDavServer('radicale');
});
after(async () => {
  await radicale?.stop();
  await t.close();
});

const count = async (table: string) => Number((await t.database.db.query<{ n: string }>(`select count(*) as n from ${table}`)).rows[0]!.n);

test('connect a CalDAV server, bind one of its calendars, queue a pass; another tenant sees none of it', { skip: missing ?? false }, async () => {
  const collection = await makeCalendar(radicale, 'Front desk');
  const connected = await t.app.inject({
    method: 'POST', url: '/admin/v1/accounts', headers: a.auth,
    payload: { provider: 'caldav', serverUrl: radicale.url, username: radicale.username, password: radicale.password },
  });
  assert.equal(connected.statusCode, 201, connected.body);
  const { account, calendars } = connected.json();
  const found = calendars.find((c: { remoteCalendarId: string }) => c.remoteCalendarId.endsWith(collection));
  assert.equal(found.displayName, 'Front desk');
  assert.equal(found.supportsSyncCollection, true);
  assert.equal(JSON.stringify(connected.json()).includes(radicale.password) && radicale.password.length > 3, false, 'the password is not echoed');

  const bound = await t.app.inject({
    method: 'POST', url: '/admin/v1/bindings', headers: a.auth,
    payload: { accountId: account.id, remoteCalendarId: found.remoteCalendarId, newCalendar: { summary: 'Front desk', timeZone: 'Europe/Berlin' }, policy: { mode: 'manual' } },
  });
  assert.equal(bound.statusCode, 201, bound.body);
  const binding = bound.json();
  assert.equal(binding.direction, 'two_way');
  assert.equal(binding.conflictPolicy.mode, 'manual');
  assert.equal(binding.remoteName, 'Front desk', 'the name the server lists the calendar with');
  const { rows } = await t.database.db.query(`select 1 from graphile_worker.jobs where key = $1`, [`pass:${binding.id}`]);
  assert.equal(rows.length, 1, 'a first pass is queued');

  assert.equal((await t.app.inject({ method: 'POST', url: `/admin/v1/bindings/${binding.id}/sync`, headers: a.auth })).statusCode, 202);
  assert.equal((await t.app.inject({ method: 'GET', url: `/admin/v1/bindings/${binding.id}`, headers: a.auth })).json().id, binding.id);
  // A pass an operator confirms is queued with its confirmation, as a job of its own.
  const confirmed = await t.app.inject({ method: 'POST', url: `/admin/v1/bindings/${binding.id}/sync`, headers: a.auth, payload: { confirmWipe: true } });
  assert.equal(confirmed.statusCode, 202, confirmed.body);
  const { rows: jobs } = await t.database.db.query<{ payload: Record<string, unknown> }>(
    `select payload from graphile_worker._private_jobs where payload ->> 'bindingId' = $1 and (payload ->> 'confirmWipe')::boolean`, [binding.id]);
  assert.equal(jobs.length, 1);
  assert.equal(jobs[0]!.payload.confirmDeletions, false);
  const badConfirm = await t.app.inject({ method: 'POST', url: `/admin/v1/bindings/${binding.id}/sync`, headers: a.auth, payload: { confirmWipe: 'yes' } });
  assert.equal(badConfirm.statusCode, 400);

  // Tenant B: not found everywhere, and cannot bind A's account.
  assert.equal((await t.app.inject({ method: 'GET', url: `/admin/v1/bindings/${binding.id}`, headers: b.auth })).statusCode, 404);
  assert.equal((await t.app.inject({ method: 'POST', url: `/admin/v1/bindings/${binding.id}/sync`, headers: b.auth })).statusCode, 404);
  assert.deepEqual((await t.app.inject({ method: 'GET', url: '/admin/v1/bindings', headers: b.auth })).json().items, []);
  assert.deepEqual((await t.app.inject({ method: 'GET', url: '/admin/v1/accounts', headers: b.auth })).json().items, []);
  assert.equal((await t.app.inject({ method: 'GET', url: `/admin/v1/accounts/${account.id}/calendars`, headers: b.auth })).statusCode, 404);
  const before = await count('bindings');
  const calendarsBefore = await count('calendars');
  for (const remoteCalendarId of [`${radicale.url}someone-else/calendar/`, 'http://dav.example.com/user/calendar/', '/user/not-a-calendar/']) {
    const unknown = await t.app.inject({ method: 'POST', url: '/admin/v1/bindings', headers: a.auth, payload: { accountId: account.id, remoteCalendarId, newCalendar: { summary: 'x' } } });
    assert.equal(unknown.statusCode, 400, unknown.body);
    assert.equal(unknown.json().error.calsync.code, 'REMOTE_CALENDAR_UNKNOWN');
  }
  assert.equal(await count('bindings'), before);
  assert.equal(await count('calendars'), calendarsBefore, 'no calendar made for a refused binding');
  const listed = await t.app.inject({ method: 'GET', url: `/admin/v1/accounts/${account.id}/calendars`, headers: a.auth });
  assert.ok(listed.json().items.some((c: { remoteCalendarId: string }) => c.remoteCalendarId === found.remoteCalendarId));
  const stolen = await t.app.inject({ method: 'POST', url: '/admin/v1/bindings', headers: b.auth, payload: { accountId: account.id, remoteCalendarId: 'x', newCalendar: { summary: 'x' } } });
  assert.equal(stolen.statusCode, 404);
  assert.equal(await count('bindings'), before);
});

test('bad requests get a 4xx with a calsync code and store nothing', async () => {
  const accounts = await count('accounts');
  const bindings = await count('bindings');
  const calendars = await count('calendars');
  const cases: Array<{ url: string; payload: unknown; status: number; code: string }> = [
    { url: '/admin/v1/accounts', payload: { provider: 'gopher', url: 'x' }, status: 400, code: 'INVALID_REQUEST' },
    { url: '/admin/v1/accounts', payload: { provider: 'caldav', serverUrl: 'http://127.0.0.1:1/', username: 'u', password: 'p' }, status: 502, code: 'PROVIDER_UNAVAILABLE' },
    { url: '/admin/v1/accounts', payload: { provider: 'ics', url: 'ftp://example.org/feed.ics' }, status: 400, code: 'PROVIDER_URL_INVALID' },
    { url: '/admin/v1/accounts', payload: { provider: 'caldav', serverUrl: 'caldav.example.com', username: 'u', password: 'p' }, status: 400, code: 'PROVIDER_URL_INVALID' },
    { url: '/admin/v1/bindings', payload: { accountId: '00000000-0000-0000-0000-000000000000', remoteCalendarId: 'x', newCalendar: { summary: 'x' } }, status: 404, code: 'NOT_FOUND' },
    { url: '/admin/v1/bindings', payload: { accountId: 'x', remoteCalendarId: 'x' }, status: 400, code: 'INVALID_REQUEST' },
    { url: '/admin/v1/bindings', payload: { accountId: 'x', remoteCalendarId: 'x', newCalendar: { summary: 'x' }, policy: { mode: 'coin-toss' } }, status: 400, code: 'INVALID_REQUEST' },
    { url: '/admin/v1/bindings', payload: { accountId: 'x', remoteCalendarId: 'x', newCalendar: { summary: 'x' }, direction: 'sideways' }, status: 400, code: 'INVALID_REQUEST' },
  ];
  for (const c of cases) {
    const res = await t.app.inject({ method: 'POST', url: c.url, headers: a.auth, payload: c.payload as object });
    assert.equal(res.statusCode, c.status, `${c.url} ${JSON.stringify(c.payload)}: ${res.body}`);
    assert.equal(res.json().error.calsync.code, c.code);
  }
  assert.equal(await count('accounts'), accounts);
  assert.equal(await count('bindings'), bindings);
  assert.equal(await count('calendars'), calendars);
});

test('an ICS feed\'s address is sealed and listed as its origin; a binding takes only that feed', async () => {
  const feeds = await appOn(t.database, { providers: offlineProviders(3) });
  try {
    const secretUrl = 'https://calendar.example.org/calendar/ical/s3cr3t/basic.ics';
    const connected = await feeds.inject({ method: 'POST', url: '/admin/v1/accounts', headers: a.auth, payload: { provider: 'ics', url: secretUrl } });
    assert.equal(connected.statusCode, 201, connected.body);
    const { account } = connected.json();
    assert.equal(account.serverUrl, 'https://calendar.example.org/…');
    assert.equal(account.displayName, 'https://calendar.example.org/…');
    const listed = await feeds.inject({ method: 'GET', url: '/admin/v1/accounts', headers: a.auth });
    assert.doesNotMatch(listed.body, /s3cr3t/);
    const { rows: [row] } = await t.database.db.query<{ text: string }>('select a::text as text from accounts a where id = $1', [account.id]);
    assert.doesNotMatch(row!.text, /s3cr3t/, 'sealed at rest');

    const bindings = await count('bindings');
    const other = await feeds.inject({ method: 'POST', url: '/admin/v1/bindings', headers: a.auth, payload: { accountId: account.id, remoteCalendarId: 'https://calendar.example.org/calendar/ical/other/basic.ics', newCalendar: { summary: 'x' } } });
    assert.equal(other.statusCode, 400, other.body);
    assert.equal(other.json().error.calsync.code, 'REMOTE_CALENDAR_UNKNOWN');
    assert.equal(await count('bindings'), bindings);
    const bound = await feeds.inject({ method: 'POST', url: '/admin/v1/bindings', headers: a.auth, payload: { accountId: account.id, remoteCalendarId: secretUrl.replace('https:', 'webcal:'), newCalendar: { summary: 'Feed' } } });
    assert.equal(bound.statusCode, 201, bound.body);
    assert.equal(bound.json().remoteCalendarId, 'https://calendar.example.org/…');
    const calendars = await feeds.inject({ method: 'GET', url: `/admin/v1/accounts/${account.id}/calendars`, headers: a.auth });
    assert.deepEqual(calendars.json().items, [{ remoteCalendarId: 'https://calendar.example.org/…', displayName: 'https://calendar.example.org/…', writable: false }]);
    assert.doesNotMatch((await feeds.inject({ method: 'GET', url: '/admin/v1/bindings', headers: a.auth })).body, /s3cr3t/);
  } finally {
    await feeds.close();
  }
});
