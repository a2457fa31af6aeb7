// Watch channels and notifications against the push guide (guides/push) and the
// events.watch and channels.stop references, with its notification example's headers.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { testEmulator, timed } from '../helpers/google-emulator.ts';

interface Received {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** A fetch that records what it is sent and answers with the next status (default 200). */
function receiver(statuses: number[] = []): { fetch: typeof fetch; received: Received[] } {
  const received: Received[] = [];
  const fetchImpl = (async (url: string | URL, init?: RequestInit) => {
    received.push({ url: String(url), headers: Object.fromEntries(new Headers(init?.headers).entries()), body: String(init?.body ?? '') });
    return new Response(null, { status: statuses.shift() ?? 200 });
  }) as typeof fetch;
  return { fetch: fetchImpl, received };
}

const WATCH = '/calendar/v3/calendars/primary/events/watch';

// The push guide's notification example for Calendar:
//   X-Goog-Channel-ID: 4ba78bf0-6a47-11e2-bcfd-0800200c9a66
//   X-Goog-Channel-Token: 398348u3tu83ut8uu38
//   X-Goog-Channel-Expiration: Tue, 19 Nov 2013 01:13:52 GMT
//   X-Goog-Resource-ID:  ret08u3rv24htgh289g
//   X-Goog-Resource-URI: https://www.googleapis.com/calendar/v3/calendars/my_calendar@gmail.com/events
//   X-Goog-Resource-State:  exists
//   X-Goog-Message-Number: 10
const EXAMPLE_HEADERS = ['x-goog-channel-id', 'x-goog-channel-token', 'x-goog-channel-expiration', 'x-goog-resource-id',
  'x-goog-resource-uri', 'x-goog-resource-state', 'x-goog-message-number'];

test('watch answers the channel; a sync message (number 1) comes first, then exists after each change, numbers increasing', async () => {
  const r = receiver();
  const t = testEmulator({ fetch: r.fetch, account: 'my_calendar@gmail.com' });
  // The push guide's watch request.
  const watch = await t.call('POST', WATCH, {
    id: '01234567-89ab-cdef-0123456789ab', type: 'web_hook', address: 'https://mydomain.com/notifications',
    token: 'target=myApp-myCalendarChannelDest', expiration: 1772438400000,
  });
  assert.equal(watch.statusCode, 200, watch.body);
  const channel = watch.json();
  assert.deepEqual(Object.keys(channel), ['kind', 'id', 'resourceId', 'resourceUri', 'token', 'expiration']);
  assert.equal(channel.kind, 'api#channel');
  assert.equal(channel.id, '01234567-89ab-cdef-0123456789ab');
  assert.equal(channel.token, 'target=myApp-myCalendarChannelDest');
  assert.equal(channel.expiration, '1772438400000', 'the requested expiration, as the discovery schema\'s int64 string');
  assert.match(channel.resourceUri, /\/calendar\/v3\/calendars\/my_calendar%40gmail\.com\/events/);

  await t.app.emulator.flushNotifications();
  assert.equal(r.received.length, 1);
  const sync = r.received[0]!;
  assert.equal(sync.url, 'https://mydomain.com/notifications');
  assert.equal(sync.body, '');
  for (const name of EXAMPLE_HEADERS) assert.ok(sync.headers[name] !== undefined, name);
  assert.equal(sync.headers['x-goog-resource-state'], 'sync');
  assert.equal(sync.headers['x-goog-message-number'], '1');
  assert.equal(sync.headers['x-goog-channel-id'], channel.id);
  assert.equal(sync.headers['x-goog-channel-token'], channel.token);
  assert.equal(sync.headers['x-goog-resource-id'], channel.resourceId);
  assert.equal(sync.headers['x-goog-resource-uri'], channel.resourceUri);
  assert.equal(sync.headers['x-goog-channel-expiration'], 'Mon, 02 Mar 2026 08:00:00 GMT', 'human-readable');

  await t.call('POST', '/calendar/v3/calendars/primary/events', timed('2026-03-02T09:00:00Z', 30, { id: 'pushed001' }));
  await t.app.emulator.flushNotifications();
  await t.call('PATCH', '/calendar/v3/calendars/primary/events/pushed001', { summary: 'Changed' });
  await t.app.emulator.flushNotifications();
  await t.call('DELETE', '/calendar/v3/calendars/primary/events/pushed001');
  await t.app.emulator.flushNotifications();
  const states = r.received.map((m) => m.headers['x-goog-resource-state']);
  assert.deepEqual(states, ['sync', 'exists', 'exists', 'exists'], 'deletions also come as exists');
  const numbers = r.received.map((m) => Number(m.headers['x-goog-message-number']));
  for (let i = 1; i < numbers.length; i++) assert.ok(numbers[i]! > numbers[i - 1]!, `message numbers increase: ${numbers.join(', ')}`);
});

test('expiration: ttl in params or the default 604800 seconds, capped; the sync message may be the only one after expiry', async () => {
  const r = receiver();
  const t = testEmulator({ fetch: r.fetch, channels: { maxTtlSeconds: 86_400, expirationAs: 'number' } });
  const byDefault = (await t.call('POST', WATCH, { id: 'default-ttl', type: 'web_hook', address: 'https://example.org/hook' })).json();
  assert.equal(byDefault.expiration, t.clock.now() + 86_400_000, 'the more restrictive of the default and the limit');
  const byTtl = (await t.call('POST', WATCH, { id: 'short-ttl', type: 'webhook', address: 'https://example.org/hook', params: { ttl: '60' } })).json();
  assert.equal(byTtl.expiration, t.clock.now() + 60_000);
  assert.equal(byTtl.token, undefined);
  await t.app.emulator.flushNotifications();
  t.clock.advance(61_000);
  t.renew();
  await t.call('POST', '/calendar/v3/calendars/primary/events', timed('2026-03-02T09:00:00Z'));
  await t.app.emulator.flushNotifications();
  const toShort = r.received.filter((m) => m.headers['x-goog-channel-id'] === 'short-ttl');
  assert.deepEqual(toShort.map((m) => m.headers['x-goog-resource-state']), ['sync'], 'an expired channel is not renewed and sends nothing');
  assert.equal(toShort[0]!.headers['x-goog-channel-token'], undefined, 'no token header when the channel has none');
});

test('watch refuses a channel without id or address, an unknown type, and an id already in use', async () => {
  const t = testEmulator();
  assert.equal((await t.call('POST', WATCH, { type: 'web_hook', address: 'https://example.org/hook' })).statusCode, 400);
  assert.equal((await t.call('POST', WATCH, { id: 'c1', type: 'web_hook' })).statusCode, 400);
  assert.equal((await t.call('POST', WATCH, { id: 'c1', type: 'email', address: 'https://example.org/hook' })).statusCode, 400);
  assert.equal((await t.call('POST', WATCH, { id: 'x'.repeat(65), type: 'web_hook', address: 'https://example.org/hook' })).statusCode, 400);
  assert.equal((await t.call('POST', WATCH, { id: 'c1', type: 'web_hook', address: 'https://example.org/hook' })).statusCode, 200);
  const twice = await t.call('POST', WATCH, { id: 'c1', type: 'web_hook', address: 'https://example.org/hook' });
  assert.equal(twice.statusCode, 400);
  assert.equal(twice.json().error.errors[0].reason, 'channelIdNotUnique');
  const strict = testEmulator({ channels: { requireHttps: true } });
  assert.equal((await strict.call('POST', WATCH, { id: 'c2', type: 'web_hook', address: 'http://example.org/hook' })).statusCode, 400);
});

test('channels.stop needs both id and resourceId; a stopped channel sends nothing more', async () => {
  const r = receiver();
  const t = testEmulator({ fetch: r.fetch });
  const channel = (await t.call('POST', WATCH, { id: 'to-stop', type: 'web_hook', address: 'https://example.org/hook' })).json();
  assert.equal((await t.call('POST', '/calendar/v3/channels/stop', { id: 'to-stop' })).statusCode, 400);
  assert.equal((await t.call('POST', '/calendar/v3/channels/stop', { resourceId: channel.resourceId })).statusCode, 400);
  const wrong = await t.call('POST', '/calendar/v3/channels/stop', { id: 'to-stop', resourceId: 'other' });
  assert.equal(wrong.statusCode, 404);
  assert.equal((await t.call('POST', '/calendar/v3/channels/stop', { id: 'to-stop', resourceId: channel.resourceId })).statusCode, 204);
  assert.equal((await t.call('POST', '/calendar/v3/channels/stop', { id: 'to-stop', resourceId: channel.resourceId })).statusCode, 404);
  await t.app.emulator.flushNotifications();
  const before = r.received.length;
  await t.call('POST', '/calendar/v3/calendars/primary/events', timed('2026-03-02T09:00:00Z'));
  await t.app.emulator.flushNotifications();
  assert.equal(r.received.length, before);
});

test('a receiver answering 503 is retried with backoff; 404 is a failed delivery; another client\'s edit notifies too', async () => {
  const r = receiver([200, 503, 503, 200, 404]);
  const t = testEmulator({ fetch: r.fetch, channels: { retryDelaysMs: [5, 10] } });
  await t.call('POST', WATCH, { id: 'retried', type: 'web_hook', address: 'https://example.org/hook' });
  t.app.emulator.insertEvent('primary', timed('2026-03-02T09:00:00Z', 30, { id: 'another01' }));
  await t.app.emulator.flushNotifications();
  t.app.emulator.editEvent('primary', 'another01', { summary: 'Edited elsewhere' });
  await t.app.emulator.flushNotifications();
  const log = t.app.emulator.deliveries().map((d) => [d.state, d.attempt, d.status, d.outcome]);
  assert.deepEqual(log, [
    ['sync', 1, 200, 'delivered'],
    ['exists', 1, 503, 'retrying'], ['exists', 2, 503, 'retrying'], ['exists', 3, 200, 'delivered'],
    ['exists', 1, 404, 'failed'],
  ]);
});

test('notifications reach a real HTTP receiver through the default fetch', async () => {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((request, response) => {
    seen.push(request.headers);
    request.resume();
    request.on('end', () => response.writeHead(200).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as { port: number };
    const { build } = await import('../../emulators/google/app.ts');
    const app = build();
    const token = app.emulator.issueGrant().access_token;
    const watch = await app.inject({ method: 'POST', url: WATCH, headers: { authorization: `Bearer ${token}` }, payload: { id: 'real-http', type: 'web_hook', address: `http://127.0.0.1:${port}/hook`, token: 'secret' } });
    assert.equal(watch.statusCode, 200);
    await app.emulator.flushNotifications();
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!['x-goog-channel-token'], 'secret');
    assert.equal(seen[0]!['content-length'], '0');
    await app.close();
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
