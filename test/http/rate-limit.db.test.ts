// Per-key rate limits on a clock the test moves: 1 request per second, a burst of 3.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KeyRateLimiter } from '../../src/http/rate-limit.ts';
import { docsBatch } from '../helpers/google-batch.ts';
import { tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let clock = Date.parse('2026-03-02T09:00:00Z');
let a: Awaited<ReturnType<typeof tenantWithKey>>;
let b: Awaited<ReturnType<typeof tenantWithKey>>;
let calendarId: string;

before(async () => {
  t = await testApp({ rateLimit: { perSecond: 1, burst: 3 }, now: () => new Date(clock) });
  a = await tenantWithKey(t, 'tenant a');
  b = await tenantWithKey(t, 'tenant b');
});
after(async () => { await t.close(); });

/** Waits long enough for every bucket to be full again. */
const refill = () => { clock += 60_000; };

const list = () => t.app.inject({ method: 'GET', url: '/calendar/v3/users/me/calendarList', headers: a.auth });

async function eventCount(): Promise<number> {
  const { rows: [row] } = await t.database.db.query<{ n: string }>('select count(*) as n from events where calendar_id = $1', [calendarId]);
  return Number(row!.n);
}

test('the burst passes, the next request gets 429 rateLimitExceeded with Retry-After, and a second later one more passes', async () => {
  refill();
  const created = await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: a.auth, payload: { summary: 'Limited' } });
  calendarId = created.json().id;
  assert.equal((await list()).statusCode, 200);
  assert.equal((await list()).statusCode, 200);
  const limited = await list();
  assert.equal(limited.statusCode, 429);
  assert.equal(limited.headers['retry-after'], '1');
  const { error } = limited.json();
  assert.equal(error.code, 429);
  assert.equal(error.message, 'Rate Limit Exceeded');
  assert.deepEqual(error.errors, [{ domain: 'usageLimits', reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' }]);
  assert.equal(error.calsync.code, 'RATE_LIMITED');

  clock += 999;
  assert.equal((await list()).statusCode, 429, 'not a whole token yet');
  clock += 1;
  assert.equal((await list()).statusCode, 200);
  assert.equal((await list()).statusCode, 429);
});

test('a limited write changes nothing', async () => {
  refill();
  for (let i = 0; i < 3; i++) assert.equal((await list()).statusCode, 200);
  const before = await eventCount();
  const res = await t.app.inject({
    method: 'POST', url: `/calendar/v3/calendars/${calendarId}/events`, headers: a.auth,
    payload: { summary: 'Refused', start: { date: '2026-03-02' }, end: { date: '2026-03-03' } },
  });
  assert.equal(res.statusCode, 429);
  assert.equal(await eventCount(), before);
});

test('each key has its own bucket; health, readiness, metrics and the OpenAPI document are never limited', async () => {
  refill();
  for (let i = 0; i < 3; i++) await list();
  assert.equal((await list()).statusCode, 429);
  assert.equal((await t.app.inject({ method: 'GET', url: '/calendar/v3/users/me/calendarList', headers: b.auth })).statusCode, 200);
  for (let i = 0; i < 10; i++) {
    for (const url of ['/healthz', '/readyz', '/metrics', '/openapi.json']) assert.equal((await t.app.inject({ method: 'GET', url })).statusCode, 200, url);
  }
});

test('a batch counts as its parts: refused whole, running nothing, when the bucket lacks them', async () => {
  refill();
  const insert = { method: 'POST', path: `/calendar/v3/calendars/${calendarId}/events`, body: { summary: 'Batched', start: { date: '2026-04-01' }, end: { date: '2026-04-02' } } };
  const send = (parts: number) => {
    const batch = docsBatch(Array.from({ length: parts }, () => insert));
    return t.app.inject({ method: 'POST', url: '/batch/calendar/v3', headers: { ...a.auth, 'content-type': batch.contentType }, payload: batch.body });
  };
  const before = await eventCount();
  assert.equal((await send(2)).statusCode, 200, 'two of three tokens');
  assert.equal(await eventCount(), before + 2, 'its parts were not charged again');
  const refused = await send(2);
  assert.equal(refused.statusCode, 429);
  assert.equal(refused.headers['retry-after'], '1');
  assert.equal(await eventCount(), before + 2);
  clock += 1000;
  assert.equal((await send(2)).statusCode, 200);
  assert.equal((await list()).statusCode, 429, 'the batch took the tokens');
  clock += 1000;
  const tooBig = await send(3);
  assert.equal(tooBig.statusCode, 429);
  assert.equal(tooBig.headers['retry-after'], '2', 'three tokens at one a second, one already there');
});

test('the bucket: refills at the rate up to the burst; a cost above the burst waits for a full bucket', () => {
  let now = 0;
  const limiter = new KeyRateLimiter({ perSecond: 10, burst: 20 }, () => now);
  assert.equal(limiter.take('k', 20), 0);
  assert.equal(limiter.take('k', 1), 1);
  now += 100;
  assert.equal(limiter.take('k', 1), 0);
  now += 60_000;
  assert.equal(limiter.take('k', 50), 0, 'a full bucket lets a 50-part batch through');
  assert.equal(limiter.take('k', 50), 2, 'then it needs the whole burst again: 20 tokens at 10 a second');
});
