// The Microsoft connector beyond the contract, against the Graph emulator: series as
// another client (Outlook) shapes them, Windows zones, the listing window, tokens that
// rotate or are revoked, the mailbox's four requests, subscriptions and connecting an
// account.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { isConnectorError, type RemoteItem, type RemoteLiveItem } from '../../src/connectors/connector.ts';
import { normaliseSeries } from '../../src/core/normalise.ts';
import { authorizationRequest, exchangeCode, listMicrosoftCalendars } from '../../src/connectors/microsoft/oauth.ts';
import { microsoftEndpoints } from '../../src/connectors/microsoft/index.ts';
import { single } from '../helpers/events.ts';
import { timedEvent } from '../helpers/microsoft-emulator.ts';
import { GRAPH_CLIENT, graphConnector, listeningGraph, type ListeningGraph } from '../helpers/microsoft-connector.ts';
import { listAll } from './contract.ts';

let graph: ListeningGraph;
before(async () => {
  graph = await listeningGraph({ delta: { maxPageSize: 5 } });
});
after(async () => {
  await graph?.close();
});

const newCalendar = (): string => graph.app.emulator.addCalendar({ name: 'test' }).id;
const live = (items: RemoteItem[], id: string): RemoteLiveItem => {
  const found = new Map(items.map((i) => [i.remoteId, i])).get(id);
  assert.ok(found && !found.deleted, `${id} is listed live`);
  return found;
};
const standup = {
  ...timedEvent('2026-03-02T09:30:00', 15, 'W. Europe Standard Time'),
  subject: 'Stand-up',
  recurrence: { pattern: { type: 'weekly', interval: 1, daysOfWeek: ['Monday'], firstDayOfWeek: 'sunday' }, range: { type: 'numbered', startDate: '2026-03-02', numberOfOccurrences: 8, recurrenceTimeZone: 'W. Europe Standard Time' } },
};

test('a series another client made, with an exception and a cancelled occurrence, is listed whole under its master; Windows zones read as IANA', async () => {
  const cal = newCalendar();
  const { connector } = graphConnector(graph);
  const master = graph.app.emulator.insertEvent(cal, standup);
  const full = await listAll(connector, cal, null);
  const listed = live(full.items, master.id as string);
  assert.equal(new Set(full.items.map((i) => i.remoteId)).size, 1, 'occurrences are no items: the delta page\'s skeletal occurrences lead to the master');
  assert.equal(listed.calsyncId, null);
  assert.deepEqual(listed.series.master!.start, { local: '2026-03-02T09:30:00', tz: 'Europe/Berlin' });
  assert.equal(listed.series.master!.recurrence!.rrule[0], 'FREQ=WEEKLY;BYDAY=MO;WKST=SU;COUNT=8');

  const instances = (await connector.client.request({ operation: 'instances', method: 'GET', url: `/me/events/${master.id}/instances?startDateTime=2026-03-01T00:00:00Z&endDateTime=2026-05-01T00:00:00Z&$top=50` })).body.value;
  const on = (date: string) => instances.find((i: { start: { dateTime: string } }) => i.start.dateTime.startsWith(date)).id as string;
  graph.app.emulator.editEvent(on('2026-03-09'), { subject: 'Stand-up (long)', end: { dateTime: '2026-03-09T10:30:00', timeZone: 'W. Europe Standard Time' } });
  graph.app.emulator.deleteEvent(on('2026-03-16'));
  const changes = await listAll(connector, cal, full.cursor);
  const item = live(changes.items, master.id as string);
  assert.equal(new Set(changes.items.map((i) => i.remoteId)).size, 1, 'one item: the series');
  const normal = normaliseSeries(item.series);
  assert.deepEqual(normal.master!.recurrence!.exdate, ['2026-03-16T09:30:00']);
  assert.equal(normal.overrides.length, 1);
  assert.equal(normal.overrides[0]!.recurrenceId, '2026-03-09T09:30:00');
  assert.equal(normal.overrides[0]!.summary, 'Stand-up (long)');
  assert.notEqual(item.etag, listed.etag);
  assert.equal((await connector.read(cal, master.id as string)).etag, item.etag, 'read gives the series the etag a listing does');
});

test('an event moved out of the window comes as @removed but still exists: it is listed as it is, not as deleted; a deleted one is deleted', async () => {
  const cal = newCalendar();
  const { connector } = graphConnector(graph);
  const moving = graph.app.emulator.insertEvent(cal, timedEvent('2026-12-10T09:00:00'));
  const going = graph.app.emulator.insertEvent(cal, timedEvent('2026-12-11T09:00:00'));
  const full = await listAll(connector, cal, null);
  live(full.items, moving.id as string);
  graph.app.emulator.editEvent(moving.id as string, { start: { dateTime: '2031-01-10T09:00:00', timeZone: 'UTC' }, end: { dateTime: '2031-01-10T10:00:00', timeZone: 'UTC' } });
  graph.app.emulator.deleteEvent(going.id as string);
  const changes = new Map((await listAll(connector, cal, full.cursor)).items.map((i) => [i.remoteId, i]));
  const moved = changes.get(moving.id as string);
  assert.ok(moved && !moved.deleted, 'still there, outside the window');
  assert.equal(moved.series.master!.start.local, '2031-01-10T09:00:00');
  assert.equal(changes.get(going.id as string)?.deleted, true);
});

test('a cursor whose window has moved on starts a fresh round: cursor-expired', async () => {
  const cal = newCalendar();
  let now = Date.parse('2026-12-07T12:00:00Z');
  const { connector } = graphConnector(graph, { now: () => now });
  const { cursor } = await listAll(connector, cal, null);
  now = Date.parse('2027-01-02T12:00:00Z');
  await assert.rejects(connector.listChanges(cal, cursor), (e: unknown) => isConnectorError(e, 'cursor-expired'));
});

test('refresh tokens rotate: each new one goes to onCredentials at once and the used one is never sent again', async () => {
  const cal = newCalendar();
  const grant = graph.app.emulator.issueGrant();
  const { connector, handed } = graphConnector(graph, { credentials: { refreshToken: grant.refresh_token, accessToken: null, expiry: null } });
  await listAll(connector, cal, null);
  assert.equal(handed.length, 1);
  assert.notEqual(handed[0]!.refreshToken, grant.refresh_token);
  graph.app.emulator.expireAccessTokens();
  await listAll(connector, cal, null);
  assert.equal(handed.length, 2, 'a 401 refreshed once more, with the rotated token (the old one is refused at once)');
  assert.notEqual(handed[1]!.refreshToken, handed[0]!.refreshToken);
  assert.deepEqual(connector.client.current(), handed[1]);
});

test('a revoked grant is auth-revoked, not retried as an outage', async () => {
  const cal = newCalendar();
  const { connector, grant, sleeps } = graphConnector(graph);
  graph.app.emulator.revokeGrant(grant.refresh_token);
  await assert.rejects(connector.listChanges(cal, null), (e: unknown) => isConnectorError(e, 'auth-revoked'));
  assert.deepEqual(sleeps, []);
});

test('429 with a fractional Retry-After is waited exactly and retried; then the classified error when it lasts', async () => {
  const cal = newCalendar();
  const { connector, sleeps } = graphConnector(graph, { maxAttempts: 3 });
  graph.app.emulator.setFaults({ retryAfterSeconds: 2.128, script: [{ kind: 'tooManyRequests', times: 1 }] });
  try {
    await listAll(connector, cal, null);
    assert.deepEqual(sleeps, [2128]);
    graph.app.emulator.setFaults({ retryAfterSeconds: 2.128, script: [{ kind: 'serviceUnavailable', times: 3 }] });
    await assert.rejects(connector.listChanges(cal, null), (e: unknown) => isConnectorError(e, 'transient') && e.retryAfterSeconds === 3);
  } finally {
    graph.app.emulator.clearFaults();
  }
});

test('never more than four requests in flight for the mailbox, however many the caller starts', async () => {
  const cal = newCalendar();
  const ids: string[] = [];
  for (let i = 0; i < 12; i++) ids.push(graph.app.emulator.insertEvent(cal, timedEvent(`2026-12-${String(i + 10)}T09:00:00`)).id as string);
  graph.app.emulator.setFaults({ latencyMs: { min: 20, max: 40 } });
  try {
    const run = async (concurrency: number) => {
      const { connector } = graphConnector(graph, { concurrency, maxAttempts: 1 });
      graph.app.emulator.resetStats();
      const settled = await Promise.allSettled(ids.map((id) => connector.read(cal, id)));
      return { failed: settled.filter((s) => s.status === 'rejected').length, stats: graph.app.emulator.stats() };
    };
    const held = await run(4);
    assert.equal(held.failed, 0);
    assert.ok(held.stats.maxConcurrent <= 4 && held.stats.maxConcurrent >= 2, `saw ${held.stats.maxConcurrent}`);
    assert.equal(held.stats.byStatus['429'] ?? 0, 0);
    // The same reads without the limit meet the mailbox's refusal: the limit is what spares them.
    const unheld = await run(12);
    assert.ok((unheld.stats.byStatus['429'] ?? 0) > 0 && unheld.failed > 0);
  } finally {
    graph.app.emulator.clearFaults();
  }
});

test('a subscription is made through the validation handshake with lifecycle notifications, renewed, and stopped', async () => {
  const cal = newCalendar();
  const { connector } = graphConnector(graph);
  const address = 'https://calsync.example/webhooks/microsoft/ch-1';
  const channel = await connector.watch(cal, { id: 'ch-1', token: 'secret-token', address, ttlSeconds: 3600 });
  const validations = graph.hook.received.filter((r) => r.url.startsWith(address) && r.url.includes('validationToken='));
  assert.equal(validations.length, 2, 'the notification and the lifecycle address are both validated');
  const [held] = graph.app.emulator.subscriptions().filter((s) => s.id === channel.resourceId);
  assert.ok(held);
  assert.equal(held.clientState, 'secret-token');
  assert.equal(held.resource, `me/calendars/${cal}/events`);
  assert.equal(held.lifecycleNotificationUrl, address);
  assert.equal(channel.expiresAt, held.expirationMs, 'the expiry the server answered');

  const renewed = await connector.renew(channel, 7200);
  assert.ok(renewed && renewed.expiresAt > channel.expiresAt);
  await connector.stopChannel(renewed);
  assert.equal(graph.app.emulator.subscriptions().some((s) => s.id === channel.resourceId && !s.deleted), false);
  await connector.stopChannel(renewed);
  assert.equal(await connector.renew(renewed, 7200), null, 'gone: make a new one');
});

test('a subscription whose answer was lost is made once: the copy the retry made beside it is deleted', async () => {
  const cal = newCalendar();
  const { connector } = graphConnector(graph);
  const address = 'https://calsync.example/webhooks/microsoft';
  const token = 'ch-lost.secret-of-ch-lost';
  // Graph carries the POST out and the answer never comes; the retry makes a second subscription with the same clientState.
  graph.app.emulator.setFaults({ script: [{ kind: 'lostAnswer', method: 'POST', route: '/v1.0/subscriptions' }] });
  let channel;
  try {
    channel = await connector.watch(cal, { id: 'ch-lost', token, address, ttlSeconds: 3600 });
  } finally {
    graph.app.emulator.clearFaults();
  }
  const made = graph.app.emulator.subscriptions().filter((s) => s.clientState === token);
  assert.equal(made.length, 2, 'Graph made two');
  assert.deepEqual(made.filter((s) => !s.deleted).map((s) => s.id), [channel.resourceId], 'the one answered is kept, the other deleted');
  // A subscription of another clientState is left alone.
  const other = await connector.watch(cal, { id: 'ch-other', token: 'ch-other.secret', address, ttlSeconds: 3600 });
  assert.equal(graph.app.emulator.subscriptions().find((s) => s.id === other.resourceId)!.deleted, false);
  assert.equal(graph.app.emulator.subscriptions().find((s) => s.id === channel.resourceId)!.deleted, false);
});

test('connecting an account: PKCE authorization, the code exchanged for a refresh token, the calendars listed', async () => {
  const client = { ...GRAPH_CLIENT, endpoints: microsoftEndpoints({ graphUrl: `${graph.root}/v1.0`, authorityUrl: graph.root }) };
  const { url, codeVerifier } = authorizationRequest(client, { redirectUri: 'http://127.0.0.1/callback', state: 'st-1', loginHint: 'user@example.com' });
  const asked = new URL(url);
  assert.equal(asked.searchParams.get('code_challenge_method'), 'S256');
  assert.match(asked.searchParams.get('scope')!, /offline_access/);
  assert.equal(asked.searchParams.get('login_hint'), 'user@example.com');
  const redirect = await fetch(url, { redirect: 'manual' });
  const back = new URL(redirect.headers.get('location')!);
  assert.equal(back.searchParams.get('state'), 'st-1');
  const credentials = await exchangeCode(client, { code: back.searchParams.get('code')!, codeVerifier, redirectUri: 'http://127.0.0.1/callback' });
  assert.ok(credentials.refreshToken && credentials.accessToken);
  const { login, calendars } = await listMicrosoftCalendars(client, credentials);
  assert.equal(login, 'user@example.com');
  assert.ok(calendars.some((c) => c.primary && c.writable && c.displayName === 'Calendar'));
  await assert.rejects(exchangeCode(client, { code: back.searchParams.get('code')!, codeVerifier, redirectUri: 'http://127.0.0.1/callback' }), (e: unknown) => isConnectorError(e, 'auth-revoked'));
});

test('a create whose answer was lost is retried into the same event, not a second one', async () => {
  const cal = newCalendar();
  const { connector } = graphConnector(graph);
  graph.app.emulator.setFaults({ script: [{ kind: 'lostAnswer', method: 'POST', route: '/v1.0/me/calendars/:calendarId/events', times: 1 }] });
  try {
    const written = await connector.create(cal, single({ uid: 'lost-1' }), { calsyncId: 'cs-lost-1' });
    const listed = (await listAll(connector, cal, null)).items.filter((i) => !i.deleted);
    assert.deepEqual([...new Set(listed.map((i) => i.remoteId))], [written.remoteId]);
    assert.equal(graph.app.emulator.writes().filter((w) => w.method === 'POST').length >= 2, true, 'the POST was sent again');
  } finally {
    graph.app.emulator.clearFaults();
  }
});

test('Graph\'s own uid and default reminder read back as written; a reminder another client sets reads as set', async () => {
  const cal = newCalendar();
  const { connector } = graphConnector(graph);
  const written = await connector.create(cal, single({ uid: 'kept-1', reminders: null }), { calsyncId: 'cs-kept-1' });
  const { items, cursor } = await listAll(connector, cal, null);
  const item = live(items, written.remoteId);
  assert.equal(item.series.uid, 'kept-1');
  assert.equal(item.series.master!.reminders, null);
  graph.app.emulator.editEvent(written.remoteId, { reminderMinutesBeforeStart: 30 });
  const edited = live((await listAll(connector, cal, cursor)).items, written.remoteId);
  assert.deepEqual(edited.series.master!.reminders, [{ method: 'display', minutesBefore: 30 }]);
  assert.equal(edited.series.uid, 'kept-1');
});
