// What a batch part may call: a batch inside a batch, however its path is spelt, and
// anything outside the API (provider webhooks, probes) are refused in their own part and
// run nothing. The check used to read the path as the part wrote it, while the part ran on
// the path app.inject's URL parser made of it: `../../batch` and `/%62atch` ran the inner batch.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { normaliseTarget } from '../../src/http/batch-target.ts';
import { docsBatch, readBatchAnswer } from '../helpers/google-batch.ts';
import { tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let auth: { authorization: string };
let calendarId: string;

before(async () => {
  t = await testApp();
  auth = (await tenantWithKey(t, 'nested')).auth;
  calendarId = (await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: auth, payload: { summary: 'Nested' } })).json().id;
});
after(async () => { await t.close(); });

const nestedSpellings = [
  '/batch', '/batch/calendar/v3', '../../batch', '../../batch/calendar/v3', '../..//calendar/../batch',
  '/%62atch', '/%62atch/calendar/v3', '/%2e%2e/batch', '%2e%2e/%2e%2e/batch', '/calendar/v3/%2E%2e/%2e%2E/batch/calendar/v3',
  '..\\..\\batch', '/calendar/v3/..\\..\\batch', '/BATCH', '/Batch/Calendar/V3', '/%42ATCH', '/batch%2Fcalendar%2Fv3',
  '/batch?alt=json', 'https://www.googleapis.com/batch/calendar/v3', 'https://www.googleapis.com/calendar/v3/../../%62atch',
];

const eventCount = async (): Promise<number> =>
  (await t.app.inject({ method: 'GET', url: `/calendar/v3/calendars/${calendarId}/events`, headers: auth })).json().items.length;
const innerBatch = () => ({ requests: [{ id: 'inner', method: 'POST', path: `calendars/${calendarId}/events`, body: { summary: 'Smuggled', start: { date: '2026-03-02' }, end: { date: '2026-03-03' } } }] });

test('the path is normalised as the URL parser reads it; unreserved escapes are decoded, others kept', () => {
  assert.equal(normaliseTarget('users/me/calendarList'), '/calendar/v3/users/me/calendarList');
  assert.equal(normaliseTarget('/calendar/v3/users/../users/me/./calendarList?maxResults=5'), '/calendar/v3/users/me/calendarList?maxResults=5');
  assert.equal(normaliseTarget('%63alendars/en.usa%23holiday%40group.v.calendar.google.com/events'), '/calendar/v3/calendars/en.usa%23holiday%40group.v.calendar.google.com/events');
  assert.equal(normaliseTarget('https://www.googleapis.com/calendar/v3/calendars/primary/events?q=a%20b'), '/calendar/v3/calendars/primary/events?q=a%20b');
  for (const spelling of nestedSpellings) assert.throws(() => normaliseTarget(spelling), /another batch/, spelling);
  for (const odd of ['//batch/calendar/v3', '\\\\batch', 'file:///batch', 'javascript:1']) assert.throws(() => normaliseTarget(odd), /begins with \/\/|path or an http/, odd);
});

test('in the JSON form, every spelling of a nested batch is refused in its part and runs nothing; the other parts run', async () => {
  const before = await eventCount();
  const res = await t.app.inject({
    method: 'POST', url: '/batch/calendar/v3', headers: auth,
    payload: { requests: [
      ...nestedSpellings.map((path, i) => ({ id: `nested-${i}`, method: 'POST', path, body: innerBatch() })),
      { id: 'dot-dot', method: 'POST', path: '%2e%2e/batch', body: innerBatch() },
      { id: 'normal', method: 'GET', path: '%63alendars/../users/me/calendarList' },
    ] },
  });
  assert.equal(res.statusCode, 200, res.body);
  const responses: Array<{ id: string; status: number; body: { error?: { calsync: { code: string } } } }> = res.json().responses;
  for (const [i, path] of nestedSpellings.entries()) {
    const answer = responses.find((r) => r.id === `nested-${i}`)!;
    assert.equal(answer.status, 400, path);
    assert.equal(answer.body.error!.calsync.code, 'BATCH_PART_REFUSED', path);
  }
  // Relative to /calendar/v3/, `%2e%2e/batch` is /calendar/batch: outside the API, refused as well.
  const dotDot = responses.find((r) => r.id === 'dot-dot')!;
  assert.equal(dotDot.status, 400);
  assert.equal(dotDot.body.error!.calsync.code, 'BATCH_PART_REFUSED');
  assert.equal(responses.find((r) => r.id === 'normal')!.status, 200);
  assert.equal(await eventCount(), before, 'no inner batch ran');
});

test('in Google\'s multipart form too', async () => {
  const before = await eventCount();
  const batch = docsBatch([
    ...nestedSpellings.map((path) => ({ method: 'POST', path, body: innerBatch() })),
    { method: 'GET', path: 'users/me/calendarList' },
  ]);
  const res = await t.app.inject({ method: 'POST', url: '/batch/calendar/v3', headers: { ...auth, 'content-type': batch.contentType }, payload: batch.body });
  assert.equal(res.statusCode, 200, res.body);
  const answers = readBatchAnswer(String(res.headers['content-type']), res.body);
  for (const [i, path] of nestedSpellings.entries()) {
    const answer = answers.get(batch.ids[i]!)!;
    assert.equal(answer.status, 400, path);
    assert.equal(JSON.parse(answer.content).error.calsync.code, 'BATCH_PART_REFUSED', path);
  }
  assert.equal(answers.get(batch.ids.at(-1)!)!.status, 200);
  assert.equal(await eventCount(), before, 'no inner batch ran');
});

test('a part outside the API (a provider webhook, the probes) is refused in its part', async () => {
  const outside = ['/webhooks/google', '../../webhooks/google', 'https://calsync.example.com/webhooks/google', '/webhooks/microsoft?validationToken=forged',
    '/healthz', '/metrics', '/openapi.json', '/', '/Calendar/v3/users/me/calendarList'];
  const res = await t.app.inject({
    method: 'POST', url: '/batch', headers: auth,
    payload: { requests: [
      ...outside.map((path, i) => ({ id: `outside-${i}`, method: 'POST', path, headers: { 'X-Goog-Channel-ID': 'forged', 'X-Goog-Resource-State': 'exists' } })),
      { id: 'admin', method: 'GET', path: '/admin/v1/bindings' },
    ] },
  });
  assert.equal(res.statusCode, 200, res.body);
  const responses: Array<{ id: string; status: number; body: { error?: { calsync: { code: string } } } }> = res.json().responses;
  for (const [i, path] of outside.entries()) {
    const answer = responses.find((r) => r.id === `outside-${i}`)!;
    assert.equal(answer.status, 400, path);
    assert.equal(answer.body.error!.calsync.code, 'BATCH_PART_REFUSED', path);
  }
  assert.equal(responses.find((r) => r.id === 'admin')!.status, 200);
});
