// JSON bodies nested past 64 levels are refused (400 JSON_TOO_DEEP) before anything walks
// them: a direct request, a part of a multipart batch (that part alone), and a JSON batch
// (its envelope, so none of it runs). 10,000 nested arrays in a JSON batch used to
// overflow the stack (a 500).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { jsonDepth } from '../../src/http/json-body.ts';
import { docsBatch, readBatchAnswer } from '../helpers/google-batch.ts';
import { tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let auth: { authorization: string };
let calendarId: string;

before(async () => {
  t = await testApp({ bodyLimitBytes: 256 * 1024 });
  auth = (await tenantWithKey(t, 'deep')).auth;
  calendarId = (await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: auth, payload: { summary: 'Deep' } })).json().id;
});
after(async () => { await t.close(); });

const event = (summary: string) => ({ summary, start: { date: '2026-03-02' }, end: { date: '2026-03-03' } });
/** `depth` arrays around 1, as text (JSON.stringify itself overflows at 10,000). */
const nested = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
const eventText = (summary: string, extra = ''): string => `{"summary":"${summary}","start":{"date":"2026-03-02"},"end":{"date":"2026-03-03"}${extra}}`;
const summaries = async (): Promise<string[]> => {
  const res = await t.app.inject({ method: 'GET', url: `/calendar/v3/calendars/${calendarId}/events`, headers: auth });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().items.map((e: { summary: string }) => e.summary).sort();
};
const post = (payload: string, url = `/calendar/v3/calendars/${calendarId}/events`) =>
  t.app.inject({ method: 'POST', url, headers: { ...auth, 'content-type': 'application/json' }, payload });
const code = (body: string): string => JSON.parse(body).error.calsync.code;

test('the depth scan counts brackets outside strings only, and stops past the limit', () => {
  assert.equal(jsonDepth('{"a": [1, {"b": []}]}', 64), 4);
  assert.equal(jsonDepth('{"a": "[[[{{{\\"[[[\\\\"}', 64), 1, 'brackets in strings, escaped quotes and backslashes');
  assert.equal(jsonDepth('['.repeat(100_000), 64), 65, 'counts no further than the limit + 1');
  assert.equal(jsonDepth('not json at all', 64), 0);
});

test('a direct request 2,000 arrays deep is 400 JSON_TOO_DEEP, changes nothing, and the server answers after it', async () => {
  const before = await summaries();
  const deep = await post(eventText('Deep', `,"extendedProperties":{"private":${nested(2000)}}`));
  assert.equal(deep.statusCode, 400, deep.body);
  assert.equal(code(deep.body), 'JSON_TOO_DEEP');
  assert.equal(JSON.parse(deep.body).error.errors[0].reason, 'invalid');
  const raw = await post(nested(2000));
  assert.equal(code(raw.body), 'JSON_TOO_DEEP');
  assert.deepEqual(await summaries(), before, 'nothing changed');

  // 64 levels pass the scan and reach the route, which judges the content.
  const shallow = await post(eventText('Shallow', `,"unknownField":${nested(63)}`));
  assert.notEqual(code(shallow.body), 'JSON_TOO_DEEP', shallow.body);
  const brackets = await post(JSON.stringify(event('['.repeat(2000))));
  assert.equal(brackets.statusCode, 200, 'brackets inside a string are text');
  assert.equal((await post(JSON.stringify(event('After')))).statusCode, 200, 'the server is healthy after');
  assert.equal((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
});

test('a multipart batch part 2,000 arrays deep is answered 400 alone; the other parts run', async () => {
  const before = await summaries();
  const path = `/calendar/v3/calendars/${calendarId}/events`;
  // Google's docs' layout, the first body as raw text (a pretty-printed one would be megabytes).
  const batch = docsBatch([{ method: 'POST', path, body: { placeholder: true } }, { method: 'POST', path, body: event('Beside the deep part') }]);
  batch.body = batch.body.replace(JSON.stringify({ placeholder: true }, null, 2), eventText('Deep part', `,"extendedProperties":{"private":${nested(2000)}}`));
  const res = await t.app.inject({ method: 'POST', url: '/batch/calendar/v3', headers: { ...auth, 'content-type': batch.contentType }, payload: batch.body });
  assert.equal(res.statusCode, 200, res.body);
  const answers = readBatchAnswer(String(res.headers['content-type']), res.body);
  assert.equal(answers.get(batch.ids[0]!)!.status, 400);
  assert.equal(code(answers.get(batch.ids[0]!)!.content), 'JSON_TOO_DEEP');
  assert.equal(answers.get(batch.ids[1]!)!.status, 200);
  assert.deepEqual(await summaries(), [...before, 'Beside the deep part'].sort());
});

test('a JSON batch with a body 2,000 or 10,000 arrays deep is refused whole; one 64 deep is the route\'s to judge', async () => {
  const before = await summaries();
  for (const depth of [2000, 10_000]) {
    const res = await post(`{"requests":[{"id":"deep","method":"POST","path":"calendars/${calendarId}/events","body":${nested(depth)}},`
      + `{"id":"beside","method":"POST","path":"calendars/${calendarId}/events","body":${eventText('Beside in JSON')}}]}`, '/batch/calendar/v3');
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(code(res.body), 'JSON_TOO_DEEP');
  }
  assert.deepEqual(await summaries(), before, 'none of it ran');

  const res = await post(`{"requests":[{"id":"at-limit","method":"POST","path":"calendars/${calendarId}/events","body":${nested(64)}}]}`, '/batch/calendar/v3');
  assert.equal(res.statusCode, 200, res.body);
  const [answer] = res.json().responses;
  assert.equal(answer.status, 400);
  assert.equal(answer.body.error.calsync.code, 'INVALID_REQUEST', 'not an Event resource, but not too deep either');
  assert.equal((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
});
