// Fault injection: error bodies as the errors guide gives them, a seeded generator that
// replays, scripted faults, lost responses, a rate limit with Retry-After, dropped and
// duplicated notifications, the control API over HTTP, and request counting.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testEmulator, timed } from '../helpers/google-emulator.ts';

const EVENTS = '/calendar/v3/calendars/primary/events';
const ROUTE = '/calendar/v3/calendars/:calendarId/events';

// errors guide bodies, one per kind.
const BODIES = {
  backendError: { status: 500, body: { error: { errors: [{ domain: 'global', reason: 'backendError', message: 'Backend Error' }], code: 500, message: 'Backend Error' } } },
  rateLimitExceeded: { status: 403, body: { error: { errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' }], code: 403, message: 'Rate Limit Exceeded' } } },
  userRateLimitExceeded: { status: 403, body: { error: { errors: [{ domain: 'usageLimits', reason: 'userRateLimitExceeded', message: 'User Rate Limit Exceeded' }], code: 403, message: 'User Rate Limit Exceeded' } } },
  tooManyRequests: { status: 429, body: { error: { errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' }], code: 429, message: 'Rate Limit Exceeded' } } },
  quotaExceeded: { status: 403, body: { error: { errors: [{ domain: 'usageLimits', message: 'Calendar usage limits exceeded.', reason: 'quotaExceeded' }], code: 403, message: 'Calendar usage limits exceeded.' } } },
} as const;

test('each error kind answers the errors guide\'s status and body; 429 carries Retry-After; nothing changes', async () => {
  for (const [kind, expected] of Object.entries(BODIES)) {
    const t = testEmulator();
    t.app.emulator.setFaults({ errorRates: { [kind]: 1 }, retryAfterSeconds: 7 });
    const r = await t.call('POST', EVENTS, timed('2026-03-02T09:00:00Z', 30, { id: 'faulted01' }));
    assert.equal(r.statusCode, expected.status, kind);
    assert.deepEqual(r.json(), expected.body, kind);
    if (kind === 'tooManyRequests') assert.equal(r.headers['retry-after'], '7');
    t.app.emulator.clearFaults();
    assert.equal((await t.call('GET', `${EVENTS}/faulted01`)).statusCode, 404, `${kind}: the refused insert did not happen`);
  }
});

async function statuses(seed: number, count: number): Promise<number[]> {
  const t = testEmulator({ faults: { seed, errorRates: { backendError: 0.2, rateLimitExceeded: 0.1, tooManyRequests: 0.1 } } });
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((await t.call('GET', EVENTS)).statusCode);
  return out;
}

test('the same seed replays the same faults; another seed gives others', async () => {
  const a = await statuses(42, 60);
  assert.deepEqual(await statuses(42, 60), a);
  assert.notDeepEqual(await statuses(43, 60), a);
  const errors = a.filter((s) => s !== 200).length;
  assert.ok(errors > 8 && errors < 35, `about 40% errors, got ${errors} of 60`);
});

test('scripted faults hit the next matching requests in order; a lost write lands although the client hears 500', async () => {
  const t = testEmulator();
  t.app.emulator.setFaults({ script: [{ kind: 'lostWrite', method: 'POST', route: ROUTE }, { kind: 'userRateLimitExceeded', method: 'GET', times: 2 }] });
  const lost = await t.call('POST', EVENTS, timed('2026-03-02T09:00:00Z', 30, { id: 'lostresp01' }));
  assert.equal(lost.statusCode, 500);
  assert.equal(lost.json().error.errors[0].reason, 'backendError');
  assert.equal((await t.call('GET', `${EVENTS}/lostresp01`)).statusCode, 403);
  assert.equal((await t.call('GET', `${EVENTS}/lostresp01`)).statusCode, 403);
  assert.equal((await t.call('GET', `${EVENTS}/lostresp01`)).statusCode, 200, 'the write happened');
  const retry = await t.call('POST', EVENTS, timed('2026-03-02T09:00:00Z', 30, { id: 'lostresp01' }));
  assert.equal(retry.statusCode, 409, 'a retried create with the same id is a duplicate');
});

test('latency delays answers; a rate limit answers 429 past its burst and recovers with time', async () => {
  const t = testEmulator();
  t.app.emulator.setFaults({ latencyMs: 40 });
  const started = Date.now();
  await t.call('GET', EVENTS);
  assert.ok(Date.now() - started >= 35);
  t.app.emulator.setFaults({ rateLimit: { requestsPerSecond: 2, burst: 3 }, retryAfterSeconds: 2 });
  const burst = [];
  for (let i = 0; i < 5; i++) burst.push((await t.call('GET', EVENTS)).statusCode);
  assert.deepEqual(burst, [200, 200, 200, 429, 429]);
  t.clock.advance(1000);
  assert.deepEqual([(await t.call('GET', EVENTS)).statusCode, (await t.call('GET', EVENTS)).statusCode, (await t.call('GET', EVENTS)).statusCode], [200, 200, 429]);
});

test('notifications: dropped and duplicated ones are replayed by the seed', async () => {
  const run = async (seed: number) => {
    const t = testEmulator({ faults: { seed, notifications: { dropRate: 0.3, duplicateRate: 0.3 } } });
    await t.call('POST', `${EVENTS}/watch`, { id: 'flaky', type: 'web_hook', address: 'https://example.org/hook' });
    for (let i = 0; i < 12; i++) {
      await t.call('POST', EVENTS, timed('2026-03-02T09:00:00Z'));
      await t.app.emulator.flushNotifications();
    }
    return t.app.emulator.deliveries().map((d) => `${d.messageNumber}:${d.outcome}${d.duplicate ? '+dup' : ''}`);
  };
  const first = await run(1);
  assert.deepEqual(await run(1), first);
  assert.ok(first.some((d) => d.endsWith('dropped')), first.join(' '));
  assert.ok(first.some((d) => d.endsWith('+dup')), first.join(' '));
});

test('the control API over HTTP: faults set, read and cleared; bad configurations are 400; stats count by method and route', async () => {
  const t = testEmulator();
  const set = await t.app.inject({ method: 'POST', url: '/emulator/faults', payload: { seed: 5, errorRates: { backendError: 1 } } });
  assert.equal(set.statusCode, 200);
  assert.deepEqual(set.json(), { seed: 5, errorRates: { backendError: 1 } });
  assert.equal((await t.call('GET', EVENTS)).statusCode, 500);
  assert.deepEqual((await t.app.inject({ method: 'GET', url: '/emulator/faults' })).json(), { seed: 5, errorRates: { backendError: 1 } });
  assert.equal((await t.app.inject({ method: 'DELETE', url: '/emulator/faults' })).statusCode, 204);
  assert.equal((await t.call('GET', EVENTS)).statusCode, 200);
  for (const bad of [{ errorRates: { backendError: 2 } }, { errorRates: { teapot: 0.1 } }, { latencyMs: -1 }, { surprise: true }]) {
    assert.equal((await t.app.inject({ method: 'POST', url: '/emulator/faults', payload: bad })).statusCode, 400, JSON.stringify(bad));
  }
  await t.call('POST', EVENTS, timed('2026-03-02T09:00:00Z', 30, { id: 'counted01' }));
  await t.call('PATCH', `${EVENTS}/counted01`, { summary: 'x' });
  const stats = (await t.app.inject({ method: 'GET', url: '/emulator/stats' })).json();
  assert.equal(stats.byRoute[`GET ${ROUTE}`], 2);
  assert.equal(stats.byRoute[`POST ${ROUTE}`], 1);
  assert.equal(stats.byRoute[`PATCH ${ROUTE}/:eventId`], 1);
  assert.equal(stats.byRouteAndStatus[`GET ${ROUTE} 500`], 1);
  assert.equal(stats.total, 4, 'control routes are not counted');
  await t.app.inject({ method: 'POST', url: '/emulator/stats/reset' });
  assert.equal(t.app.emulator.stats().total, 0);
});

test('another client\'s edit through the control API races a connector\'s If-Match', async () => {
  const t = testEmulator();
  const mine = (await t.call('POST', EVENTS, timed('2026-03-02T09:00:00Z', 30, { id: 'raced0001' }))).json();
  const theirs = await t.app.inject({ method: 'PATCH', url: '/emulator/calendars/primary/events/raced0001', payload: { summary: 'Their edit' } });
  assert.equal(theirs.statusCode, 200);
  assert.equal((await t.call('PATCH', `${EVENTS}/raced0001`, { summary: 'My edit' }, { 'if-match': mine.etag })).statusCode, 412);
  assert.equal((await t.call('GET', `${EVENTS}/raced0001`)).json().summary, 'Their edit');
  const inserted = await t.app.inject({ method: 'POST', url: '/emulator/calendars/primary/events', payload: timed('2026-03-03T09:00:00Z') });
  assert.equal(inserted.statusCode, 200);
  assert.equal((await t.app.inject({ method: 'DELETE', url: `/emulator/calendars/primary/events/${inserted.json().id}` })).statusCode, 204);
  assert.deepEqual(t.app.emulator.writes().map((w) => w.method), ['insert', 'anotherClient', 'anotherClient', 'anotherClient']);
});
