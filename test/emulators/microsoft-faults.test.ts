// Throttling and outages as Graph answers them (429 with Retry-After, fractional included;
// 503; 504), the four-request mailbox concurrency limit, lost answers, a repeating delta
// page, seeded replay, JSON batching with its 20-request limit and dependsOn, and the
// control API over HTTP.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pathOf, testGraph, timedEvent } from '../helpers/microsoft-emulator.ts';

const EVENTS = '/v1.0/me/events';
const count = async (t: ReturnType<typeof testGraph>): Promise<number> => (await t.call('GET', `${EVENTS}?$top=1000`)).json().value.length;

test('each error kind answers its status, code and Retry-After (fractions kept); the refused request changes nothing', async () => {
  const expected = {
    tooManyRequests: [429, 'TooManyRequests', '2.128'],
    serviceUnavailable: [503, 'serviceNotAvailable', '2.128'],
    gatewayTimeout: [504, 'UnknownError', undefined],
    mailboxConcurrency: [429, 'ApplicationThrottled', '2.128'],
  } as const;
  for (const [kind, [status, code, retryAfter]] of Object.entries(expected)) {
    const t = testGraph();
    t.app.emulator.setFaults({ errorRates: { [kind]: 1 }, retryAfterSeconds: 2.128 });
    const r = await t.call('POST', EVENTS, timedEvent('2026-03-02T09:00:00'));
    assert.equal(r.statusCode, status, kind);
    assert.equal(r.json().error.code, code, kind);
    assert.ok(r.json().error.innerError['request-id'], kind);
    assert.equal(r.headers['retry-after'], retryAfter, kind);
    if (kind === 'tooManyRequests') {
      assert.equal(r.json().error.message, 'Please retry again later.');
      assert.deepEqual([r.json().error.innerError.code, r.json().error.innerError.status, r.json().error.innerError.message], ['429', '429', 'Please retry after']);
    }
    t.app.emulator.clearFaults();
    assert.equal(await count(t), 0, `${kind}: nothing was created`);
  }
});

test('the same seed replays the same faults', async () => {
  const run = async (seed: number): Promise<number[]> => {
    const t = testGraph({ faults: { seed, errorRates: { tooManyRequests: 0.2, serviceUnavailable: 0.1 } } });
    const out: number[] = [];
    for (let i = 0; i < 50; i++) out.push((await t.call('GET', '/v1.0/me')).statusCode);
    return out;
  };
  const a = await run(7);
  assert.deepEqual(await run(7), a);
  assert.notDeepEqual(await run(8), a);
  assert.ok(a.filter((s) => s !== 200).length > 5);
});

test('a fifth concurrent request for the mailbox is 429 ApplicationThrottled; four at once pass', async () => {
  const t = testGraph({ faults: { latencyMs: 40 } });
  const four = await Promise.all(Array.from({ length: 4 }, () => t.call('GET', '/v1.0/me')));
  assert.deepEqual(four.map((r) => r.statusCode), [200, 200, 200, 200]);
  const five = await Promise.all(Array.from({ length: 5 }, () => t.call('GET', '/v1.0/me')));
  const throttled = five.filter((r) => r.statusCode === 429);
  assert.equal(throttled.length, 1);
  assert.equal(throttled[0]!.json().error.code, 'ApplicationThrottled');
  assert.equal(throttled[0]!.json().error.message, 'Application is over its MailboxConcurrency limit.');
  assert.ok(throttled[0]!.headers['retry-after']);
  assert.equal(t.app.emulator.stats().maxConcurrent, 4);
  t.app.emulator.setSettings({ mailboxConcurrency: null });
  const many = await Promise.all(Array.from({ length: 8 }, () => t.call('GET', '/v1.0/me')));
  assert.ok(many.every((r) => r.statusCode === 200));
});

test('a lost answer: the write is made, the client hears 504; a retried create with its transactionId finds it', async () => {
  const t = testGraph();
  t.app.emulator.setFaults({ script: [{ kind: 'lostAnswer', method: 'POST', route: '/v1.0/me/events' }] });
  const body = timedEvent('2026-03-02T09:00:00', 30, 'UTC', { transactionId: 'calsync-lost-1' });
  const lost = await t.call('POST', EVENTS, body);
  assert.equal(lost.statusCode, 504);
  assert.equal(await count(t), 1, 'the event exists');
  const retry = await t.call('POST', EVENTS, body);
  assert.equal(retry.statusCode, 201);
  assert.equal(await count(t), 1, 'the retry did not duplicate it');
});

test('repeatPage: following a nextLink answers the page before it again, nextLink included', async () => {
  const t = testGraph();
  for (let d = 2; d <= 5; d++) await t.call('POST', EVENTS, timedEvent(`2026-03-0${d}T09:00:00`));
  const first = (await t.call('GET', '/v1.0/me/calendarView/delta?startDateTime=2026-03-01&endDateTime=2026-04-01', undefined, { prefer: 'odata.maxpagesize=2' })).json();
  t.app.emulator.setFaults({ script: [{ kind: 'repeatPage' }] });
  const again = (await t.call('GET', pathOf(first['@odata.nextLink']), undefined, { prefer: 'odata.maxpagesize=2' })).json();
  assert.deepEqual(again.value.map((e: any) => e.id), first.value.map((e: any) => e.id));
  assert.equal(again['@odata.nextLink'], first['@odata.nextLink']);
  const onward = (await t.call('GET', pathOf(first['@odata.nextLink']), undefined, { prefer: 'odata.maxpagesize=2' })).json();
  assert.notDeepEqual(onward.value.map((e: any) => e.id), first.value.map((e: any) => e.id));
});

test('duplicateItem: the next delta page starts with the last item of the page before it', async () => {
  const t = testGraph();
  for (let d = 2; d <= 5; d++) await t.call('POST', EVENTS, timedEvent(`2026-03-0${d}T09:00:00`));
  const first = (await t.call('GET', '/v1.0/me/calendarView/delta?startDateTime=2026-03-01&endDateTime=2026-04-01', undefined, { prefer: 'odata.maxpagesize=2' })).json();
  t.app.emulator.setFaults({ script: [{ kind: 'duplicateItem' }] });
  const second = (await t.call('GET', pathOf(first['@odata.nextLink']), undefined, { prefer: 'odata.maxpagesize=2' })).json();
  assert.equal(second.value.length, 3);
  assert.equal(second.value[0].id, first.value[1].id);
  assert.ok(second['@odata.deltaLink']);
});

test('a lost answer on a real socket: the connection closes unanswered, the event exists', async () => {
  const t = testGraph();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const url = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    t.app.emulator.setFaults({ script: [{ kind: 'lostAnswer', method: 'POST' }] });
    await assert.rejects(fetch(`${url}${EVENTS}`, { method: 'POST', headers: { ...t.auth, 'content-type': 'application/json' }, body: JSON.stringify(timedEvent('2026-03-02T09:00:00')) }));
    const list = await fetch(`${url}${EVENTS}`, { headers: t.auth });
    assert.equal((await list.json() as { value: unknown[] }).value.length, 1);
  } finally {
    await t.app.close();
  }
});

test('a lost answer on a real socket frees its place in the mailbox: four more requests at once still pass', async () => {
  const t = testGraph();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const url = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    t.app.emulator.setFaults({ script: [{ kind: 'lostAnswer', method: 'POST', times: 4 }] });
    for (let i = 0; i < 4; i++) {
      await assert.rejects(fetch(`${url}${EVENTS}`, { method: 'POST', headers: { ...t.auth, 'content-type': 'application/json' }, body: JSON.stringify(timedEvent('2026-03-02T09:00:00')) }));
    }
    const answers = await Promise.all([0, 1, 2, 3].map(() => fetch(`${url}${EVENTS}`, { headers: t.auth })));
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200]);
  } finally {
    await t.app.close();
  }
});

test('$batch: per-request status and body; dependsOn runs in order and a failed dependency is 424', async () => {
  const t = testGraph();
  const r = await t.call('POST', '/v1.0/$batch', { requests: [
    { id: '1', method: 'POST', url: '/me/events', headers: { 'content-type': 'application/json' }, body: timedEvent('2026-03-02T09:00:00') },
    { id: '2', method: 'GET', url: '/me/events/AAMkAnotThere=', dependsOn: ['1'] },
    { id: '3', method: 'GET', url: 'me', dependsOn: ['2'] },
    { id: '4', method: 'GET', url: '/me/calendars' },
  ] });
  assert.equal(r.statusCode, 200);
  const byId = new Map(r.json().responses.map((x: any) => [x.id, x]));
  assert.equal((byId.get('1') as any).status, 201);
  assert.equal((byId.get('1') as any).body.subject, 'Appointment');
  assert.equal((byId.get('2') as any).status, 404);
  assert.equal((byId.get('2') as any).body.error.code, 'ErrorItemNotFound');
  assert.equal((byId.get('3') as any).status, 424);
  assert.equal((byId.get('4') as any).status, 200);
  assert.equal(await count(t), 1);
});

test('$batch refuses more than 20 requests, a body without Content-Type, duplicate ids and unknown dependencies; nothing runs', async () => {
  const t = testGraph();
  const post = (id: string) => ({ id, method: 'POST', url: '/me/events', headers: { 'content-type': 'application/json' }, body: timedEvent('2026-03-02T09:00:00') });
  const bad = [
    { requests: Array.from({ length: 21 }, (_, i) => post(String(i + 1))) },
    { requests: [{ id: '1', method: 'POST', url: '/me/events', body: timedEvent('2026-03-02T09:00:00') }] },
    { requests: [post('1'), post('1')] },
    { requests: [post('1'), { ...post('2'), dependsOn: ['9'] }] },
    { requests: [] },
    { nope: true },
  ];
  for (const body of bad) {
    const r = await t.call('POST', '/v1.0/$batch', body);
    assert.equal(r.statusCode, 400, JSON.stringify(body).slice(0, 80));
    assert.equal(r.json().error.code, 'BadRequest');
  }
  assert.equal(await count(t), 0);
  const twenty = await t.call('POST', '/v1.0/$batch', { requests: Array.from({ length: 20 }, (_, i) => post(String(i + 1))) });
  assert.equal(twenty.statusCode, 200);
  assert.equal(twenty.json().responses.length, 20);
  assert.equal(await count(t), 20);
});

test('batched requests count against the mailbox: with four already in flight, batch items are throttled one by one', async () => {
  const t = testGraph({ faults: { latencyMs: 30 } });
  const outside = Array.from({ length: 4 }, () => t.call('GET', '/v1.0/me'));
  const batch = t.call('POST', '/v1.0/$batch', { requests: [{ id: 'a', method: 'GET', url: '/me' }] });
  const [r] = await Promise.all([batch, ...outside]);
  const item = r!.json().responses[0];
  assert.equal(item.status, 429);
  assert.equal(item.body.error.code, 'ApplicationThrottled');
  assert.ok(item.headers['retry-after']);
});

test('control API over HTTP: faults and settings are checked; bad ones are 400 and change nothing', async () => {
  const t = testGraph();
  const set = await t.app.inject({ method: 'POST', url: '/emulator/faults', payload: { errorRates: { tooManyRequests: 0.5 }, seed: 3 } });
  assert.equal(set.statusCode, 200);
  for (const bad of [{ errorRates: { quotaExceeded: 1 } }, { errorRates: { tooManyRequests: 2 } }, { lostWriteRate: 0.1 }, { script: [{ kind: 'boom' }] }]) {
    assert.equal((await t.app.inject({ method: 'POST', url: '/emulator/faults', payload: bad })).statusCode, 400, JSON.stringify(bad));
  }
  assert.deepEqual((await t.app.inject({ method: 'GET', url: '/emulator/faults' })).json(), { errorRates: { tooManyRequests: 0.5 }, seed: 3 });
  assert.equal((await t.app.inject({ method: 'DELETE', url: '/emulator/faults' })).statusCode, 204);
  const settings = await t.app.inject({ method: 'POST', url: '/emulator/settings', payload: { expiredDeltaToken: { code: 'resyncRequired' }, mailboxConcurrency: 2 } });
  assert.equal(settings.json().expiredDeltaToken.code, 'resyncRequired');
  assert.equal(settings.json().mailboxConcurrency, 2);
  assert.equal((await t.app.inject({ method: 'POST', url: '/emulator/settings', payload: { mailboxConcurrency: 0 } })).statusCode, 400);
  assert.equal((await t.app.inject({ method: 'POST', url: '/emulator/settings', payload: { nonsense: 1 } })).statusCode, 400);
  assert.equal((await t.app.inject({ method: 'GET', url: '/emulator/settings' })).json().mailboxConcurrency, 2);
  const made = await t.app.inject({ method: 'POST', url: '/emulator/events', payload: { event: timedEvent('2026-03-02T09:00:00') } });
  assert.equal(made.statusCode, 201);
  assert.equal(await count(t), 1);
  await t.call('GET', '/v1.0/me');
  const stats = (await t.app.inject({ method: 'GET', url: '/emulator/stats' })).json();
  assert.equal(stats.byRouteAndStatus['GET /v1.0/me 200'], 1);
});
