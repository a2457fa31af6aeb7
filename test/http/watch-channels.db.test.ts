// events.watch and channels.stop: Google's Channel shapes through plain HTTP and the
// official client, bad bodies refused with Google's reasons and nothing stored, tenants
// kept apart.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { calendar as googleCalendar, type calendar_v3 } from '@googleapis/calendar';
import type { FastifyInstance } from 'fastify';
import { appOn, tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let strict: FastifyInstance;
let a: { tenantId: string; auth: { authorization: string }; key: string };
let b: { tenantId: string; auth: { authorization: string } };
let calendarId: string;
let client: calendar_v3.Calendar;

before(async () => {
  t = await testApp();
  strict = await appOn(t.database, { localWebhooks: false });
  a = await tenantWithKey(t, 'a');
  b = await tenantWithKey(t, 'b');
  const created = await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: a.auth, payload: { summary: 'Front desk' } });
  calendarId = created.json().id;
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = t.app.server.address() as { port: number };
  client = googleCalendar({ version: 'v3', rootUrl: `http://127.0.0.1:${port}/`, headers: { Authorization: `Bearer ${a.key}` } });
});
after(async () => {
  await strict.close();
  await t.close();
});

async function channelCount(): Promise<number> {
  const { rows: [row] } = await t.database.db.query<{ n: number }>('select count(*)::int as n from watch_channels');
  return row!.n;
}

function watch(app: FastifyInstance, auth: { authorization: string }, payload: unknown, calendar = calendarId) {
  return app.inject({ method: 'POST', url: `/calendar/v3/calendars/${calendar}/events/watch`, headers: auth, payload: payload as object });
}

test('events.watch answers a Channel with the ttl applied, the token echoed and the signing secret once', async () => {
  const before = Date.now();
  const response = await watch(t.app, a.auth, { id: 'channel-1', type: 'web_hook', address: 'https://127.0.0.1:1/hook', token: 'target=front-desk', params: { ttl: '3600' } });
  assert.equal(response.statusCode, 200);
  const channel = response.json();
  assert.equal(channel.kind, 'api#channel');
  assert.equal(channel.id, 'channel-1');
  assert.equal(channel.token, 'target=front-desk');
  assert.match(channel.resourceId, /^[A-Za-z0-9_-]{27}$/);
  assert.match(channel.resourceUri, new RegExp(`/calendar/v3/calendars/${calendarId}/events\\?alt=json$`));
  assert.equal(typeof channel.expiration, 'string', 'int64 as a string, as Google\'s discovery document types it');
  const expiration = Number(channel.expiration);
  assert.ok(expiration >= before + 3_600_000 && expiration <= Date.now() + 3_600_000);
  assert.match(channel.calsync.signingSecret, /^[0-9a-f]{64}$/);
  const { rows: [stored] } = await t.database.db.query<{ secret: Buffer }>(`select secret from watch_channels where id = 'channel-1'`);
  assert.ok(!stored!.secret.toString('latin1').includes(channel.calsync.signingSecret), 'the secret is stored sealed');
  const job = await t.database.db.query(`select 1 from graphile_worker.jobs where task_identifier = 'deliver_watch' and key = $1`, [`watch:${calendarId}`]);
  assert.equal(job.rowCount, 1, 'the sync message is queued with the channel');
});

test('the official client watches and stops; expiration is capped at 30 days, and a second watch of the calendar shares its resourceId', async () => {
  const asked = Date.now() + 90 * 86_400_000;
  const { data } = await client.events.watch({ calendarId: 'primary', requestBody: { id: 'client-channel', type: 'web_hook', address: 'https://127.0.0.1:1/x', expiration: String(asked) } });
  assert.equal(data.kind, 'api#channel');
  assert.equal(data.id, 'client-channel');
  assert.equal(data.token, undefined, 'no token asked, none answered');
  assert.ok(Number(data.expiration) <= Date.now() + 30 * 86_400_000 && Number(data.expiration) > Date.now() + 29 * 86_400_000);
  const other = await watch(t.app, a.auth, { id: 'channel-2', type: 'webhook', address: 'https://127.0.0.1:1/y' });
  assert.equal(other.json().resourceId, data.resourceId);
  assert.ok(Number(other.json().expiration) <= Date.now() + 604_800_000, 'a week without ttl or expiration');
  const stop = await client.channels.stop({ requestBody: { id: data.id!, resourceId: data.resourceId! } });
  assert.equal(stop.status, 204);
  const { rows: [row] } = await t.database.db.query<{ stopped_at: Date | null }>(`select stopped_at from watch_channels where id = 'client-channel'`);
  assert.ok(row!.stopped_at);
});

test('a live channel id is not unique (400 channelIdNotUnique); a stopped one may be used again', async () => {
  const first = await watch(t.app, a.auth, { id: 'reused', type: 'web_hook', address: 'https://127.0.0.1:1/a' });
  assert.equal(first.statusCode, 200);
  const twice = await watch(t.app, a.auth, { id: 'reused', type: 'web_hook', address: 'https://127.0.0.1:1/b' });
  assert.equal(twice.statusCode, 400);
  assert.equal(twice.json().error.errors[0].reason, 'channelIdNotUnique');
  assert.equal((await t.app.inject({ method: 'POST', url: '/calendar/v3/channels/stop', headers: a.auth, payload: { id: 'reused', resourceId: first.json().resourceId } })).statusCode, 204);
  const again = await watch(t.app, a.auth, { id: 'reused', type: 'web_hook', address: 'https://127.0.0.1:1/c' });
  assert.equal(again.statusCode, 200);
  assert.notEqual(again.json().calsync.signingSecret, first.json().calsync.signingSecret);
  const { rows } = await t.database.db.query<{ address: string; stopped_at: Date | null; message_number: string }>(`select address, stopped_at, message_number from watch_channels where id = 'reused'`);
  assert.deepEqual(rows, [{ address: 'https://127.0.0.1:1/c', stopped_at: null, message_number: '0' }]);
});

test('bad watch bodies get Google-shaped 400s and store nothing', async () => {
  const count = await channelCount();
  const cases: Array<[object, string, string]> = [
    [{ id: 'x1', type: 'web_hook' }, 'invalid', 'Required: address'],
    [{ type: 'web_hook', address: 'https://127.0.0.1:1/' }, 'invalid', 'Required: id'],
    [{ id: 'x2', type: 'web_hook', address: 'https://127.0.0.1:1/', params: { ttl: 'soon' } }, 'invalid', 'params.ttl'],
    [{ id: 'x3', type: 'web_hook', address: 'https://127.0.0.1:1/', params: { ttl: '-5' } }, 'invalid', 'params.ttl'],
    [{ id: 'x4', type: 'web_hook', address: 'https://127.0.0.1:1/', colour: 'red' }, 'invalid', 'colour'],
    [{ id: 'x5', type: 'web_hook', address: 'https://127.0.0.1:1/', params: { ttl: '60', retries: '3' } }, 'invalid', 'params.retries'],
    [{ id: 'x6', type: 'email', address: 'https://127.0.0.1:1/' }, 'invalid', 'type'],
    [{ id: 'has space', type: 'web_hook', address: 'https://127.0.0.1:1/' }, 'invalid', 'channel id'],
    [{ id: 'x7', type: 'web_hook', address: 'https://127.0.0.1:1/', expiration: '1000' }, 'invalid', 'past'],
    [{ id: 'x8', type: 'web_hook', address: 'not a url' }, 'invalid', 'not a URL'],
    [{ id: 'x9', type: 'web_hook', address: 'ftp://127.0.0.1/' }, 'push.webhookUrlNotHttps', 'HTTPS'],
  ];
  for (const [payload, reason, message] of cases) {
    const response = await watch(t.app, a.auth, payload);
    assert.equal(response.statusCode, 400, JSON.stringify(payload));
    const error = response.json().error;
    assert.equal(error.errors[0].reason, reason, JSON.stringify(payload));
    assert.ok(error.message.includes(message), `${error.message} names ${message}`);
  }
  const http = await watch(strict, a.auth, { id: 'x10', type: 'web_hook', address: 'http://hooks.example.com/calsync' });
  assert.equal(http.statusCode, 400);
  assert.equal(http.json().error.errors[0].reason, 'push.webhookUrlNotHttps');
  assert.equal(http.json().error.calsync.code, 'WEBHOOK_URL_NOT_HTTPS');
  const loopback = await watch(strict, a.auth, { id: 'x11', type: 'web_hook', address: 'https://127.0.0.1/calsync' });
  assert.equal(loopback.statusCode, 400);
  assert.equal(loopback.json().error.calsync.code, 'WEBHOOK_URL_REFUSED');
  assert.match(loopback.json().error.message, /loopback/);
  assert.equal(await channelCount(), count, 'nothing stored');
});

test('channels.stop needs id and resourceId; tenant B can neither stop nor see tenant A\'s channel', async () => {
  const created = (await watch(t.app, a.auth, { id: 'private-to-a', type: 'web_hook', address: 'https://127.0.0.1:1/' })).json();
  const stop = (auth: { authorization: string }, payload: object) => t.app.inject({ method: 'POST', url: '/calendar/v3/channels/stop', headers: auth, payload });
  const missing = await stop(a.auth, { id: 'private-to-a' });
  assert.equal(missing.statusCode, 400);
  assert.match(missing.json().error.message, /Required: resourceId/);
  assert.equal((await stop(b.auth, { id: 'private-to-a', resourceId: created.resourceId })).json().error.errors[0].reason, 'notFound');
  assert.equal((await stop(a.auth, { id: 'private-to-a', resourceId: 'another-resource' })).statusCode, 404);
  assert.equal((await watch(t.app, b.auth, { id: 'x', type: 'web_hook', address: 'https://127.0.0.1:1/' })).statusCode, 404, 'B cannot watch A\'s calendar');
  await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: b.auth, payload: { summary: 'B' } });
  const bOwn = await watch(t.app, b.auth, { id: 'private-to-a', type: 'web_hook', address: 'https://127.0.0.1:1/' }, 'primary');
  assert.equal(bOwn.statusCode, 200, 'channel ids are unique per tenant');
  assert.equal((await stop(b.auth, { id: 'private-to-a', resourceId: created.resourceId })).statusCode, 404, 'B\'s channel of that id watches another resource');
  assert.equal((await stop(a.auth, { id: 'private-to-a', resourceId: created.resourceId })).statusCode, 204);
  assert.equal((await stop(a.auth, { id: 'private-to-a', resourceId: created.resourceId })).statusCode, 404, 'stopped already');
});
