// Text Postgres cannot store (NUL, unpaired surrogates) in any body member, key, path
// segment, query parameter or header is 400 STRING_NOT_STORABLE naming where it was, and
// changes nothing; text with surrogate pairs (emoji) is stored as sent.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { testApp, tenantWithKey, type TestApp } from '../helpers/app.ts';
import { snapshot } from '../helpers/snapshot.ts';
import { createAccount } from '../../src/store/accounts.ts';
import { createBinding } from '../../src/store/bindings.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';

let t: TestApp;
let auth: { authorization: string };
let calendarId: string;
let eventId: string;
let bindingId: string;

const json = { 'content-type': 'application/json' };
// JSON.stringify writes an unpaired surrogate as the escape \ud800, as a client would send it.
const body = (value: unknown) => JSON.stringify(value);

before(async () => {
  t = await testApp();
  const tenant = await tenantWithKey(t, 'strings');
  auth = tenant.auth;
  calendarId = (await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: auth, payload: { summary: 'Work' } })).json().id;
  eventId = (await t.app.inject({
    method: 'POST', url: `/calendar/v3/calendars/${calendarId}/events`, headers: auth,
    payload: { summary: 'Standup', start: { dateTime: '2026-03-02T10:00:00Z' }, end: { dateTime: '2026-03-02T10:15:00Z' } },
  })).json().id;
  const account = await createAccount(t.database.db, new Secrets(parseSecretKey(generateSecretKeyText())), tenant.tenantId, { provider: 'caldav' });
  bindingId = (await createBinding(t.database.db, tenant.tenantId, { calendarId, accountId: account.id, remoteCalendarId: 'remote' })).id;
});
after(async () => { await t.close(); });

/** The listing apps sync from, without its tokens (they carry the time they were issued). */
async function listing(): Promise<unknown> {
  const res = await t.app.inject({ method: 'GET', url: `/calendar/v3/calendars/${calendarId}/events?showDeleted=true`, headers: auth });
  const { nextSyncToken: _, ...rest } = res.json();
  return rest;
}

/** Sends a request that must be refused, and checks that it changed nothing; the error. */
async function refused(options: InjectOptions, code = 'STRING_NOT_STORABLE'): Promise<{ message: string; location?: string; locationType?: string; field?: string }> {
  const [rowsBefore, listedBefore] = [await snapshot(t.database.db), await listing()];
  const res = await t.app.inject({ ...options, headers: { ...auth, ...(options.headers as object) } });
  assert.equal(res.statusCode, 400, `${options.method} ${options.url}: ${res.body}`);
  const { error } = res.json();
  assert.equal(error.calsync.code, code);
  assert.equal(error.errors[0].reason, 'invalid');
  assert.deepEqual(await snapshot(t.database.db), rowsBefore, `${options.method} ${options.url} changed a row`);
  assert.deepEqual(await listing(), listedBefore, `${options.method} ${options.url} changed the listing`);
  return { message: error.message, location: error.errors[0].location, locationType: error.errors[0].locationType, field: error.calsync.field };
}

test('a NUL or an unpaired surrogate in an event\'s members, at any depth, is refused naming the member', async () => {
  const event = { summary: 'Review', start: { dateTime: '2026-03-03T10:00:00Z' }, end: { dateTime: '2026-03-03T11:00:00Z' } };
  const cases: Array<[object, string]> = [
    [{ ...event, summary: 'Re\u0000view' }, 'summary'],
    [{ ...event, description: '\ud800' }, 'description'],
    [{ ...event, location: 'Room \udc01' }, 'location'],
    [{ ...event, attendees: [{ email: 'a@example.org' }, { email: 'b@example.org', displayName: 'B\ud83d' }] }, 'attendees[1].displayName'],
    [{ ...event, extendedProperties: { private: { k: 'v\u0000' } } }, 'extendedProperties.private.k'],
    [{ ...event, start: { dateTime: '2026-03-03T10:00:00Z', timeZone: 'Europe/Berlin\u0000' } }, 'start.timeZone'],
  ];
  const urls: Array<[InjectOptions['method'], string]> = [
    ['POST', `/calendar/v3/calendars/${calendarId}/events`],
    ['POST', `/calendar/v3/calendars/${calendarId}/events/import`],
    ['PUT', `/calendar/v3/calendars/${calendarId}/events/${eventId}`],
    ['PATCH', `/calendar/v3/calendars/${calendarId}/events/${eventId}`],
  ];
  for (const [method, url] of urls) {
    for (const [payload, field] of cases) {
      const sent = method === 'POST' && url.endsWith('/import') ? { ...payload, iCalUID: 'imported@example.org' } : payload;
      const error = await refused({ method, url, headers: json, payload: body(sent) });
      assert.equal(error.field, field, `${method} ${url}`);
      assert.match(error.message, new RegExp(`^${field.replace(/[[\].]/g, '\\$&')} holds a NUL`));
    }
  }
});

test('a NUL in a member name, and a number JSON cannot hold, are refused', async () => {
  const url = `/calendar/v3/calendars/${calendarId}/events/${eventId}`;
  assert.equal((await refused({ method: 'PATCH', url, headers: json, payload: body({ extendedProperties: { shared: { 'k\u0000': 'v' } } }) })).field, 'extendedProperties.shared');
  assert.equal((await refused({ method: 'PATCH', url, headers: json, payload: '{"sequence": 1e400}' }, 'VALUE_OUT_OF_RANGE')).field, 'sequence');
});

test('calendars, channels, freeBusy and operator routes refuse them too', async () => {
  const cases: Array<[InjectOptions, string]> = [
    [{ method: 'POST', url: '/calendar/v3/calendars', payload: body({ summary: 'a\u0000' }) }, 'summary'],
    [{ method: 'PATCH', url: `/calendar/v3/calendars/${calendarId}`, payload: body({ description: '\ud800' }) }, 'description'],
    [{ method: 'POST', url: '/calendar/v3/channels/stop', payload: body({ id: 'c\u0000', resourceId: 'r' }) }, 'id'],
    [{ method: 'POST', url: '/calendar/v3/freeBusy', payload: body({ timeMin: '2026-03-01T00:00:00Z', timeMax: '2026-03-02T00:00:00Z', items: [{ id: '\u0000' }] }) }, 'items[0].id'],
    [{ method: 'POST', url: `/admin/v1/bindings/${bindingId}/pause`, payload: body({ reason: 'moving \ud800' }) }, 'reason'],
    [{ method: 'POST', url: `/admin/v1/bindings/${bindingId}/quarantine/retry`, payload: body({ remoteIds: ['x\u0000'] }) }, 'remoteIds[0]'],
    [{ method: 'POST', url: '/batch/calendar/v3', payload: body({ requests: [{ id: '1', method: 'GET', path: `/calendar/v3/calendars/${calendarId}/events?q=\u0000` }] }) }, 'requests[0].path'],
  ];
  for (const [options, field] of cases) assert.equal((await refused({ ...options, headers: json })).field, field, String(options.url));
});

test('in a path segment or a query parameter, the parameter is named', async () => {
  const cases: Array<[string, string]> = [
    [`/calendar/v3/calendars/${calendarId}/events/a%00b`, 'eventId'],
    [`/calendar/v3/calendars/${calendarId}/events?q=a%00b`, 'q'],
    [`/calendar/v3/calendars/${calendarId}/events?iCalUID=%00`, 'iCalUID'],
    [`/calendar/v3/calendars/${calendarId}/events?privateExtendedProperty=a%3Db&privateExtendedProperty=k%3D%00`, 'privateExtendedProperty'],
    [`/admin/v1/calendars/${calendarId}/events/%00/history`, 'eventId'],
    [`/calendar/v3/calendars/%00`, 'calendarId'],
  ];
  for (const [url, parameter] of cases) {
    const error = await refused({ method: 'GET', url });
    assert.deepEqual([error.locationType, error.location], ['parameter', parameter], url);
  }
  const write = await refused({ method: 'DELETE', url: `/calendar/v3/calendars/${calendarId}/events/${eventId}%00` });
  assert.equal(write.location, 'eventId');
});

test('in a header, the header is named; a webhook with one costs no lookup', async () => {
  const error = await refused({ method: 'PATCH', url: `/calendar/v3/calendars/${calendarId}/events/${eventId}`, headers: { ...json, 'if-match': '"1"\u0000' }, payload: body({ summary: 'x' }) });
  assert.deepEqual([error.locationType, error.location], ['header', 'if-match']);
  const webhook = await t.app.inject({ method: 'POST', url: '/webhooks/google', headers: { 'x-goog-channel-id': 'c\u0000', 'x-goog-channel-token': 't' } });
  assert.equal(webhook.statusCode, 400);
  assert.equal(webhook.json().error.errors[0].location, 'x-goog-channel-id');
});

test('a path that is not valid percent-encoded UTF-8 is answered in calsync\'s shape', async () => {
  const res = await t.app.inject({ method: 'GET', url: `/calendar/v3/calendars/${calendarId}/events/%ED%A0%80`, headers: auth });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().error.calsync.code, 'INVALID_REQUEST');
});

test('surrogate pairs are text like any other: an emoji is stored and read back as sent', async () => {
  const summary = 'Launch \ud83d\ude80 with \ud83c\udf89';
  const res = await t.app.inject({ method: 'PATCH', url: `/calendar/v3/calendars/${calendarId}/events/${eventId}`, headers: { ...auth, ...json }, payload: body({ summary }) });
  assert.equal(res.statusCode, 200, res.body);
  const read = await t.app.inject({ method: 'GET', url: `/calendar/v3/calendars/${calendarId}/events/${eventId}`, headers: auth });
  assert.equal(read.json().summary, summary);
  const found = await t.app.inject({ method: 'GET', url: `/calendar/v3/calendars/${calendarId}/events?q=${encodeURIComponent('\ud83d\ude80')}`, headers: auth });
  assert.deepEqual(found.json().items.map((e: { id: string }) => e.id), [eventId]);
});
