// Batch at Google's path, in Google's multipart form (bodies as Google's docs and its
// Python client write them) and in calsync's JSON form.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { docsBatch, pythonClientBatch, readBatchAnswer, type BatchCall } from '../helpers/google-batch.ts';
import { tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let a: Awaited<ReturnType<typeof tenantWithKey>>;
let b: Awaited<ReturnType<typeof tenantWithKey>>;
let calendarOfA: string;
let calendarOfB: string;

before(async () => {
  t = await testApp();
  a = await tenantWithKey(t, 'tenant a');
  b = await tenantWithKey(t, 'tenant b');
  calendarOfA = (await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: a.auth, payload: { summary: 'A', timeZone: 'Europe/Berlin' } })).json().id;
  calendarOfB = (await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: b.auth, payload: { summary: 'B' } })).json().id;
});
after(async () => { await t.close(); });

const event = (summary: string, day = '2026-03-02') => ({ summary, start: { date: day }, end: { date: '2026-03-03' } });

async function send(batch: { contentType: string; body: string }, auth = a.auth, url = '/batch/calendar/v3') {
  return t.app.inject({ method: 'POST', url, headers: { ...auth, 'content-type': batch.contentType }, payload: batch.body });
}

async function eventCount(calendarId: string, auth = a.auth): Promise<number> {
  const res = await t.app.inject({ method: 'GET', url: `/calendar/v3/calendars/${calendarId}/events?maxResults=2500`, headers: auth });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().items.length;
}

test('50 inserts in one batch laid out as Google\'s docs show: 50 created, each answered under response-<Content-ID>', async () => {
  const before = await eventCount(calendarOfA);
  const calls: BatchCall[] = Array.from({ length: 50 }, (_, i) => ({ method: 'POST', path: `/calendar/v3/calendars/${calendarOfA}/events`, body: event(`Visit ${i}`) }));
  const batch = docsBatch(calls);
  const res = await send(batch);
  assert.equal(res.statusCode, 200, res.body);
  const answers = readBatchAnswer(String(res.headers['content-type']), res.body);
  assert.deepEqual([...answers.keys()], batch.ids, 'one part per request, in order');
  for (const [i, id] of batch.ids.entries()) {
    const answer = answers.get(id)!;
    assert.equal(answer.status, 200);
    assert.equal(answer.reason, 'OK');
    assert.match(answer.headers['content-type']!, /^application\/json/);
    assert.equal(JSON.parse(answer.content).summary, `Visit ${i}`);
  }
  assert.equal(await eventCount(calendarOfA), before + 50);
});

test('a batch as Google\'s Python client sends it: LF lines, <BASE + N> ids, each part its own status, matched by id', async () => {
  const { json: stale } = await t.app.inject({ method: 'POST', url: `/calendar/v3/calendars/${calendarOfA}/events`, headers: a.auth, payload: event('Original') });
  const original = stale();
  const edited = await t.app.inject({ method: 'PATCH', url: `/calendar/v3/calendars/${calendarOfA}/events/${original.id}`, headers: a.auth, payload: { summary: 'Edited elsewhere' } });
  assert.equal(edited.statusCode, 200);
  const doomed = (await t.app.inject({ method: 'POST', url: `/calendar/v3/calendars/${calendarOfA}/events`, headers: a.auth, payload: event('Doomed') })).json();
  const before = await eventCount(calendarOfA);

  const calls: BatchCall[] = [
    { method: 'POST', path: `/calendar/v3/calendars/${calendarOfA}/events`, body: event('From Python') },
    { method: 'POST', path: `/calendar/v3/calendars/${calendarOfA}/events`, body: { summary: 'No times' } },
    { method: 'PATCH', path: `/calendar/v3/calendars/${calendarOfA}/events/${original.id}`, headers: { 'If-Match': original.etag }, body: { summary: 'Lost edit' } },
    { method: 'DELETE', path: `/calendar/v3/calendars/${calendarOfA}/events/${doomed.id}` },
    { method: 'GET', path: `/calendar/v3/calendars/${calendarOfA}/events/${original.id}` },
    { method: 'GET', path: '/batch/calendar/v3' },
    { method: 'GET', path: 'users/me/calendarList' },
  ];
  const batch = pythonClientBatch(calls, a.auth.authorization);
  const res = await send(batch);
  assert.equal(res.statusCode, 200, res.body);
  const answers = readBatchAnswer(String(res.headers['content-type']), res.body);
  const status = (id: string) => answers.get(id)!.status;
  const json = (id: string) => JSON.parse(answers.get(id)!.content);

  assert.equal(status('1'), 200);
  assert.equal(json('1').summary, 'From Python');
  assert.equal(status('2'), 400, 'a bad item fails alone');
  assert.equal(json('2').error.errors[0].reason, 'invalid');
  assert.equal(status('3'), 412, 'a stale If-Match inside a batch');
  assert.equal(json('3').error.errors[0].reason, 'conditionNotMet');
  assert.equal(status('4'), 204);
  assert.equal(answers.get('4')!.reason, 'No Content');
  assert.equal(answers.get('4')!.content, '');
  assert.equal(status('5'), 200);
  assert.equal(json('5').summary, 'Edited elsewhere', 'the 412 changed nothing');
  assert.equal(status('6'), 400, 'a batch inside a batch is refused for that item');
  assert.match(json('6').error.message, /batch cannot contain another batch/);
  assert.equal(status('7'), 200, 'a path relative to the API root');
  assert.equal(json('7').kind, 'calendar#calendarList');
  assert.equal(await eventCount(calendarOfA), before, 'one created, one deleted');
});

test('malformed multipart is 400 and runs nothing', async () => {
  const before = await eventCount(calendarOfA);
  const good = docsBatch([{ method: 'POST', path: `/calendar/v3/calendars/${calendarOfA}/events`, body: event('Never') }]);
  for (const [label, contentType, body] of [
    ['no closing delimiter', good.contentType, good.body.replace(/--batch_foobarbaz--$/, '')],
    ['no boundary parameter', 'multipart/mixed', good.body],
    ['a boundary the body does not use', 'multipart/mixed; boundary=other', good.body],
    ['no parts', good.contentType, '--batch_foobarbaz--'],
  ] as const) {
    const res = await send({ contentType, body });
    assert.equal(res.statusCode, 400, label);
    assert.equal(res.json().error.calsync.code, 'INVALID_REQUEST', label);
  }
  assert.equal(await eventCount(calendarOfA), before);
});

test('a batch touches only its key\'s tenant, whatever Authorization its parts carry', async () => {
  const target = (await t.app.inject({ method: 'POST', url: `/calendar/v3/calendars/${calendarOfA}/events`, headers: a.auth, payload: event('A only') })).json();
  const before = await eventCount(calendarOfA);
  const calls: BatchCall[] = [
    { method: 'GET', path: `/calendar/v3/calendars/${calendarOfA}/events/${target.id}`, headers: { Authorization: a.auth.authorization } },
    { method: 'PATCH', path: `/calendar/v3/calendars/${calendarOfA}/events/${target.id}`, headers: { Authorization: a.auth.authorization }, body: { summary: 'Taken over' } },
    { method: 'POST', path: `/calendar/v3/calendars/${calendarOfA}/events`, body: event('Planted') },
    { method: 'DELETE', path: `/calendar/v3/calendars/${calendarOfA}` },
    { method: 'GET', path: '/calendar/v3/users/me/calendarList' },
  ];
  const res = await send(docsBatch(calls), b.auth);
  const answers = readBatchAnswer(String(res.headers['content-type']), res.body);
  const statuses = [...answers.values()].map((answer) => answer.status);
  assert.deepEqual(statuses, [404, 404, 404, 404, 200]);
  assert.deepEqual(JSON.parse([...answers.values()][4]!.content).items.map((c: { id: string }) => c.id), [calendarOfB]);
  const after = await t.app.inject({ method: 'GET', url: `/calendar/v3/calendars/${calendarOfA}/events/${target.id}`, headers: a.auth });
  assert.equal(after.json().summary, 'A only');
  assert.equal(await eventCount(calendarOfA), before);
});

test('the JSON form: ids echoed, a status, headers and the JSON body per request, best effort', async () => {
  const res = await t.app.inject({
    method: 'POST', url: '/batch', headers: b.auth,
    payload: { requests: [
      { id: 'new', method: 'POST', path: `/calendar/v3/calendars/${calendarOfB}/events`, body: event('JSON batch') },
      { id: 'bad', method: 'POST', path: `/calendar/v3/calendars/${calendarOfB}/events`, body: { summary: 'No times' } },
      { id: 'list', method: 'GET', path: `calendars/${calendarOfB}/events` },
    ] },
  });
  assert.equal(res.statusCode, 200, res.body);
  const { responses } = res.json();
  assert.deepEqual(responses.map((r: { id: string; status: number }) => [r.id, r.status]), [['new', 200], ['bad', 400], ['list', 200]]);
  assert.equal(responses[0].body.summary, 'JSON batch');
  assert.match(responses[0].headers['content-type'], /^application\/json/);
  assert.equal(responses[1].body.error.errors[0].reason, 'invalid');
  assert.deepEqual(responses[2].body.items.map((e: { summary: string }) => e.summary), ['JSON batch']);

  const invalid = await t.app.inject({ method: 'POST', url: '/batch', headers: b.auth, payload: { requests: [{ id: 'x', method: 'TRACE', path: '/' }] } });
  assert.equal(invalid.statusCode, 400);
});

test('a batch needs a key and stays within the body limit', async () => {
  const batch = docsBatch([{ method: 'GET', path: '/calendar/v3/users/me/calendarList' }]);
  assert.equal((await send(batch, {} as typeof a.auth)).statusCode, 401);
  const big = docsBatch(Array.from({ length: 50 }, () => ({ method: 'POST', path: `/calendar/v3/calendars/${calendarOfA}/events`, body: { ...event('Big'), description: 'x'.repeat(2000) } })));
  const res = await send(big);
  assert.equal(res.statusCode, 413);
  assert.equal(res.json().error.calsync.code, 'PAYLOAD_TOO_LARGE');
});
