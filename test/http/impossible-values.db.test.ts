// Values that cannot be are answered for what they are, never with a 500, and a refused
// write changes nothing: instance ids naming days that do not exist, times outside years
// 1-9999, an instances window whose default end came before timeMin, a sequence past
// int32, a CalDAV port no server listens on, a new calendar in an unknown time zone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { testApp, tenantWithKey, type TestApp } from '../helpers/app.ts';
import { snapshot } from '../helpers/snapshot.ts';
import { createAccount } from '../../src/store/accounts.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';

let t: TestApp;
let auth: { authorization: string };
let tenantId: string;
let calendarId: string;
let singleId: string;
let seriesId: string;

before(async () => {
  t = await testApp();
  ({ auth, tenantId } = await tenantWithKey(t, 'values'));
  calendarId = (await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: auth, payload: { summary: 'Work', timeZone: 'Europe/Berlin' } })).json().id;
  const insert = async (payload: object) => (await t.app.inject({ method: 'POST', url: `/calendar/v3/calendars/${calendarId}/events`, headers: auth, payload })).json().id as string;
  singleId = await insert({ summary: 'Once', start: { dateTime: '2026-03-02T10:00:00Z' }, end: { dateTime: '2026-03-02T11:00:00Z' } });
  seriesId = await insert({
    summary: 'Weekly', start: { dateTime: '2026-03-02T10:00:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2026-03-02T11:00:00', timeZone: 'Europe/Berlin' },
    recurrence: ['RRULE:FREQ=WEEKLY'],
  });
});
after(async () => { await t.close(); });

async function call(options: InjectOptions): Promise<{ status: number; body: any }> {
  const res = await t.app.inject({ ...options, headers: { ...auth, ...(options.headers as object) } });
  return { status: res.statusCode, body: res.json() };
}

/** A request answered `status` and `code` that changed no row; its error. */
async function refused(options: InjectOptions, status: number, code: string): Promise<any> {
  const before = await snapshot(t.database.db);
  const res = await call(options);
  assert.equal(res.status, status, `${options.method} ${options.url}: ${JSON.stringify(res.body)}`);
  assert.equal(res.body.error.calsync.code, code, String(options.url));
  assert.deepEqual(await snapshot(t.database.db), before, `${options.method} ${options.url} changed a row`);
  return res.body.error;
}

test('an instance id naming a day that does not exist is not found, for reads and writes alike', async () => {
  const events = `/calendar/v3/calendars/${calendarId}/events`;
  assert.equal((await call({ method: 'GET', url: `${events}/${seriesId}_20260309T090000Z` })).status, 200, 'a real instance id');
  const tails = ['_20261399T100000Z', '_20261399T100000', '_00000101', '_00000101T100000Z', '_99991231T235959Z', '_99991231', '_20260230T090000Z', '_275760913T000000Z'];
  for (const tail of tails) {
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE'] as const) {
      const payload = method === 'PUT' || method === 'PATCH' ? { summary: 'moved' } : undefined;
      const error = await refused({ method, url: `${events}/${seriesId}${tail}`, ...(payload ? { payload } : {}) }, 404, 'NOT_FOUND');
      assert.equal(error.errors[0].reason, 'notFound');
    }
  }
});

test('times outside years 1 to 9999, or on days that do not exist, are 400 naming the parameter', async () => {
  const events = `/calendar/v3/calendars/${calendarId}/events`;
  const times = ['0000-01-01T00:00:00Z', '0001-01-01T00:30:00+01:00', '10000-01-01T00:00:00Z', '-000001-01-01T00:00:00Z', '+275760-09-13T00:00:00Z', '2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z'];
  for (const time of times) {
    for (const parameter of ['timeMin', 'timeMax', 'updatedMin']) {
      for (const url of [`${events}?${parameter}=${encodeURIComponent(time)}`, `${events}?singleEvents=true&${parameter}=${encodeURIComponent(time)}`, `${events}/${seriesId}/instances?${parameter}=${encodeURIComponent(time)}`]) {
        const error = await refused({ method: 'GET', url }, 400, 'INVALID_REQUEST');
        assert.deepEqual([error.errors[0].locationType, error.errors[0].location], ['parameter', parameter], url);
      }
    }
    const freeBusy = await refused({ method: 'POST', url: '/calendar/v3/freeBusy', payload: { timeMin: time, timeMax: '2026-03-10T00:00:00Z', items: [{ id: calendarId }] } }, 400, 'INVALID_REQUEST');
    assert.equal(freeBusy.errors[0].location, 'timeMin');
  }
  const edges = await call({ method: 'GET', url: `${events}?singleEvents=true&timeMin=0001-01-01T00:00:00Z&timeMax=${encodeURIComponent('9999-12-31T23:59:59Z')}&maxResults=3` });
  assert.equal(edges.status, 200, 'the first and last instants are in range');
});

test('an instances window without timeMax runs two years past a timeMin later than now; a window that ends before it starts is empty', async () => {
  const events = `/calendar/v3/calendars/${calendarId}/events`;
  const later = await call({ method: 'GET', url: `${events}/${seriesId}/instances?timeMin=2090-01-01T00:00:00Z&maxResults=3` });
  assert.equal(later.status, 200, JSON.stringify(later.body));
  assert.deepEqual(later.body.items.map((i: { start: { dateTime: string } }) => i.start.dateTime), ['2090-01-02T10:00:00+01:00', '2090-01-09T10:00:00+01:00', '2090-01-16T10:00:00+01:00']);
  const listed = await call({ method: 'GET', url: `${events}?singleEvents=true&orderBy=startTime&timeMin=2090-01-01T00:00:00Z&maxResults=1` });
  assert.deepEqual(listed.body.items.map((i: { id: string }) => i.id), [`${seriesId}_20900102T090000Z`]);
  const lastDay = await call({ method: 'GET', url: `${events}/${seriesId}/instances?timeMin=${encodeURIComponent('9999-12-30T00:00:00Z')}` });
  assert.equal(lastDay.status, 200, JSON.stringify(lastDay.body));
  const beforeAll = await call({ method: 'GET', url: `${events}/${seriesId}/instances?timeMax=0001-01-02T00:00:00Z` });
  assert.deepEqual([beforeAll.status, beforeAll.body.items], [200, []]);
});

test('a sequence past 2147483647 or below 0 is 400 naming sequence; 2147483647 is taken', async () => {
  const event = `/calendar/v3/calendars/${calendarId}/events/${singleId}`;
  const full = (await call({ method: 'GET', url: event })).body;
  for (const sequence of [2 ** 31, 2 ** 53, -1]) {
    for (const options of [
      { method: 'PATCH' as const, url: event, payload: { sequence, summary: 'renamed' } },
      { method: 'PUT' as const, url: event, payload: { ...full, sequence, summary: 'renamed' } },
      { method: 'POST' as const, url: `/calendar/v3/calendars/${calendarId}/events`, payload: { summary: 'new', sequence, start: full.start, end: full.end } },
      { method: 'POST' as const, url: `/calendar/v3/calendars/${calendarId}/events/import`, payload: { summary: 'new', iCalUID: 'imported@example.org', sequence, start: full.start, end: full.end } },
    ]) {
      const error = await refused(options, 400, 'INVALID_REQUEST');
      assert.equal(error.calsync.field, 'sequence', `${options.method} ${sequence}`);
    }
  }
  const highest = await call({ method: 'PATCH', url: event, payload: { sequence: 2147483647, summary: 'renamed' } });
  assert.deepEqual([highest.status, highest.body.sequence], [200, 2147483647]);
});

test('a CalDAV or feed address on port 0 or past 65535 is 400 PROVIDER_URL_INVALID, and no account is made', async () => {
  for (const port of [0, 99999, 65536]) {
    await refused({ method: 'POST', url: '/admin/v1/accounts', payload: { provider: 'caldav', serverUrl: `https://127.0.0.1:${port}/dav/`, username: 'u', password: 'p' } }, 400, 'PROVIDER_URL_INVALID');
    await refused({ method: 'POST', url: '/admin/v1/accounts', payload: { provider: 'ics', url: `https://127.0.0.1:${port}/feed.ics` } }, 400, 'PROVIDER_URL_INVALID');
  }
});

test('a binding\'s new calendar in an unknown time zone is 400 naming newCalendar.timeZone, before anything is made', async () => {
  const account = await createAccount(t.database.db, new Secrets(parseSecretKey(generateSecretKeyText())), tenantId, { provider: 'caldav' });
  for (const timeZone of ['Mars/Olympus_Mons', 'Europe/Berlin ', 'UTC+1']) {
    const error = await refused({ method: 'POST', url: '/admin/v1/bindings', payload: { accountId: account.id, remoteCalendarId: 'https://dav.example.org/cal/', newCalendar: { summary: 'Synced', timeZone } } }, 400, 'INVALID_REQUEST');
    assert.equal(error.calsync.field, 'newCalendar.timeZone');
  }
  const calendar = await refused({ method: 'PATCH', url: `/calendar/v3/calendars/${calendarId}`, payload: { timeZone: 'Mars/Olympus_Mons' } }, 400, 'INVALID_REQUEST');
  assert.equal(calendar.calsync.field, 'timeZone');
});
