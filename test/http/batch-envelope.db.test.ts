// The batch's own envelope: without a body, with a body of another type, a JSON one that
// is not a list of requests, or more requests than Google's 1,000, the batch is 400 (415
// for another type) and none of it runs. It used to answer a batch without a body 500.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { docsBatch, pythonClientBatch, readBatchAnswer } from '../helpers/google-batch.ts';
import { tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let auth: { authorization: string };
let calendarId: string;

before(async () => {
  // Room for 1,001 parts.
  t = await testApp({ bodyLimitBytes: 1024 * 1024 });
  auth = (await tenantWithKey(t, 'envelope')).auth;
  calendarId = (await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: auth, payload: { summary: 'Envelope' } })).json().id;
});
after(async () => { await t.close(); });

const event = (summary: string) => ({ summary, start: { date: '2026-03-02' }, end: { date: '2026-03-03' } });
const eventCount = async (): Promise<number> =>
  (await t.app.inject({ method: 'GET', url: `/calendar/v3/calendars/${calendarId}/events?maxResults=2500`, headers: auth })).json().items.length;
const batch = (headers: Record<string, string>, payload?: string) =>
  t.app.inject({ method: 'POST', url: '/batch/calendar/v3', headers: { ...auth, ...headers }, ...(payload === undefined ? {} : { payload }) });

test('a batch without a body is 400, whatever its content type says', async () => {
  for (const [label, headers] of [
    ['no content type', {}],
    ['JSON', { 'content-type': 'application/json' }],
    ['multipart', { 'content-type': 'multipart/mixed; boundary=batch_x' }],
  ] as const) {
    const res = await batch(headers);
    assert.equal(res.statusCode, 400, `${label}: ${res.body}`);
    assert.equal(res.json().error.calsync.code, 'INVALID_REQUEST', label);
    assert.equal(res.json().error.errors[0].reason, 'invalid', label);
  }
  const onOldPath = await t.app.inject({ method: 'POST', url: '/batch', headers: auth });
  assert.equal(onOldPath.statusCode, 400, onOldPath.body);
});

test('a body that is not a batch is refused whole and nothing runs', async () => {
  const before = await eventCount();
  const path = `/calendar/v3/calendars/${calendarId}/events`;
  const textual = await batch({ 'content-type': 'text/plain' }, `POST ${path}\n\n${JSON.stringify(event('Plain'))}`);
  assert.equal(textual.statusCode, 415, textual.body);
  assert.equal(textual.json().error.calsync.code, 'UNSUPPORTED_MEDIA_TYPE');
  for (const payload of ['null', '[]', '"requests"', '{}', '{"requests": "all"}', '{"requests": []}', `{"requests": [{"id": "1", "method": "POST", "path": "${path}", "body": ${JSON.stringify(event('No'))}}], "more": 1}`]) {
    const res = await batch({ 'content-type': 'application/json' }, payload);
    assert.equal(res.statusCode, 400, `${payload}: ${res.body}`);
  }
  assert.equal(await eventCount(), before);
});

test('1,000 requests run; 1,001 are 400 BATCH_TOO_LARGE in Google\'s error shape, in every form, and none runs', async () => {
  const before = await eventCount();
  const calls = (n: number) => Array.from({ length: n }, (_, i) => ({ method: 'POST', path: `/calendar/v3/calendars/${calendarId}/events`, body: event(`Too many ${i}`) }));
  for (const form of [docsBatch(calls(1001)), pythonClientBatch(calls(1001), auth.authorization)]) {
    const res = await batch({ 'content-type': form.contentType }, form.body);
    assert.equal(res.statusCode, 400);
    const { error } = res.json();
    assert.equal(error.code, 400);
    assert.equal(error.errors[0].reason, 'invalid');
    assert.equal(error.calsync.code, 'BATCH_TOO_LARGE');
  }
  const json = await batch({ 'content-type': 'application/json' }, JSON.stringify({ requests: calls(1001).map((c, i) => ({ id: String(i), ...c })) }));
  assert.equal(json.statusCode, 400);
  assert.equal(json.json().error.calsync.code, 'BATCH_TOO_LARGE');
  assert.equal(await eventCount(), before);

  const reads = docsBatch(Array.from({ length: 1000 }, () => ({ method: 'GET', path: 'users/me/calendarList' })));
  const res = await batch({ 'content-type': reads.contentType }, reads.body);
  assert.equal(res.statusCode, 200);
  const answers = readBatchAnswer(String(res.headers['content-type']), res.body);
  assert.equal(answers.size, 1000);
  assert.ok([...answers.values()].every((a) => a.status === 200));
});
