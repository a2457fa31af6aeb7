// A batch part that asks for a calendar's event stream is answered 400 BATCH_PART_REFUSED
// at once, in its own part, and leaves no listener behind. It used to run the stream inside
// app.inject, which never ended: the batch never answered and the listener stayed.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { CalendarNotices } from '../../src/store/calendar-notices.ts';
import { docsBatch, readBatchAnswer } from '../helpers/google-batch.ts';
import { appOn, tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let notices: CalendarNotices;
let auth: { authorization: string };
let calendarId: string;

before(async () => {
  t = await testApp();
  notices = new CalendarNotices(t.database.db);
  await t.app.close();
  t.app = await appOn(t.database, { notices });
  auth = (await tenantWithKey(t, 'stream-batch')).auth;
  calendarId = (await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: auth, payload: { summary: 'Streamed' } })).json().id;
});
after(async () => {
  // The notices hold a pooled connection while listening: closed before the pool ends.
  await t.app.close();
  await notices.close();
  await t.database.drop();
});

/** The batch's answer, or a failure after 3 s instead of a test that hangs. */
async function promptly<T>(answer: Promise<T>): Promise<T> {
  let timer!: NodeJS.Timeout;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('the batch did not answer within 3 s')), 3000); });
  try {
    return await Promise.race([answer, late]);
  } finally {
    clearTimeout(timer);
  }
}

test('the listener count sees a stream opened on its own (so 0 below means something)', async () => {
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}/calendar/v3/calendars/${calendarId}/events/stream`;
  const request = http.get(url, { headers: auth });
  const response = await new Promise<http.IncomingMessage>((resolve) => request.on('response', resolve));
  assert.equal(response.statusCode, 200);
  for (let i = 0; i < 100 && notices.listenerCount() === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(notices.listenerCount(), 1);
  request.destroy();
  for (let i = 0; i < 100 && notices.listenerCount() > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(notices.listenerCount(), 0);
});

test('in the JSON form, a stream part is refused at once in its part; the others run', async () => {
  const stream = `calendars/${calendarId}/events/stream`;
  const res = await promptly(t.app.inject({
    method: 'POST', url: '/batch/calendar/v3', headers: auth,
    payload: { requests: [
      { id: 'stream', method: 'GET', path: stream },
      { id: 'resumed', method: 'GET', path: `/calendar/v3/${stream}?since=0`, headers: { 'Last-Event-ID': '0' } },
      { id: 'spelt', method: 'GET', path: `/calendar/v3/calendars/${calendarId}/events/./x/../stream` },
      { id: 'list', method: 'GET', path: `calendars/${calendarId}/events` },
    ] },
  }));
  assert.equal(res.statusCode, 200, res.body);
  const responses: Array<{ id: string; status: number; body: { error?: { message: string; calsync: { code: string } } } }> = res.json().responses;
  for (const id of ['stream', 'resumed', 'spelt']) {
    const answer = responses.find((r) => r.id === id)!;
    assert.equal(answer.status, 400, id);
    assert.equal(answer.body.error!.calsync.code, 'BATCH_PART_REFUSED', id);
    assert.match(answer.body.error!.message, /event stream/);
  }
  assert.equal(responses.find((r) => r.id === 'list')!.status, 200);
  assert.equal(notices.listenerCount(), 0, 'no listener left');
});

test('in Google\'s multipart form too', async () => {
  const batch = docsBatch([
    { method: 'GET', path: `/calendar/v3/calendars/${calendarId}/events/stream` },
    { method: 'GET', path: '/calendar/v3/users/me/calendarList' },
  ]);
  const res = await promptly(t.app.inject({ method: 'POST', url: '/batch/calendar/v3', headers: { ...auth, 'content-type': batch.contentType }, payload: batch.body }));
  assert.equal(res.statusCode, 200, res.body);
  const answers = readBatchAnswer(String(res.headers['content-type']), res.body);
  assert.equal(answers.get(batch.ids[0]!)!.status, 400);
  assert.equal(JSON.parse(answers.get(batch.ids[0]!)!.content).error.calsync.code, 'BATCH_PART_REFUSED');
  assert.equal(answers.get(batch.ids[1]!)!.status, 200);
  assert.equal(notices.listenerCount(), 0, 'no listener left');
});

test('the mark that refuses a part cannot be sent by a client: a part\'s own copy is dropped', async () => {
  const res = await t.app.inject({
    method: 'POST', url: '/batch/calendar/v3', headers: auth,
    payload: { requests: [{ id: 'list', method: 'GET', path: 'users/me/calendarList', headers: { 'x-calsync-batch-part': 'guess' } }] },
  });
  assert.equal(res.json().responses[0].status, 200);
  const direct = await t.app.inject({ method: 'HEAD', url: `/calendar/v3/calendars/${calendarId}/events/stream`, headers: { ...auth, 'x-calsync-batch-part': 'guess' } });
  assert.equal(direct.statusCode, 200, 'a request that is not a batch part is not refused as one');
});
