import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { isConnectorError, type Connector, type RemoteItem, type UnreadableItem } from '../../src/connectors/connector.ts';
import { createUrlGuard } from '../../src/connectors/http-guard.ts';
import { requestFailureOf } from '../../src/connectors/request-failures.ts';
import { createIcsConnector, type IcsConnectorOptions } from '../../src/connectors/ics/index.ts';
import { contentHash } from '../../src/core/hash.ts';
import { renderCalendar } from '../../src/core/ical/index.ts';
import type { EventSeries } from '../../src/core/model.ts';
import { listAll, registerConnectorContract } from './contract.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/ics/${name}`, import.meta.url), 'utf8');
const initialFeed = fixture('feed_weekly_exdate_override_berlin_and_windows_tzid.ics');
const changedFeed = fixture('feed_restamped_one_edited_one_removed_one_added.ics');
const emptyFeed = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nEND:VCALENDAR\r\n';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** A feed server on 127.0.0.1 that answers If-None-Match like a static file server. */
async function startFeedServer(initial: string, options: { validators?: boolean } = {}) {
  let body = initial;
  let version = 1;
  const requests: IncomingHttpHeaders[] = [];
  const feed: Handler = (request, response) => {
    const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
    const headers: Record<string, string> = { 'content-type': 'text/calendar; charset=utf-8' };
    if (options.validators !== false) Object.assign(headers, { etag, 'last-modified': new Date(Date.UTC(2026, 2, version)).toUTCString() });
    if (options.validators !== false && request.headers['if-none-match'] === etag) return void response.writeHead(304, headers).end();
    response.writeHead(200, headers).end(body);
  };
  let handler = feed;
  const server = createServer((request, response) => {
    requests.push(request.headers);
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/team/feed.ics`,
    requests,
    publish(text: string) {
      body = text;
      version++;
    },
    answer(next: Handler) {
      handler = next;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

type FeedServer = Awaited<ReturnType<typeof startFeedServer>>;

function connectorFor(options: Partial<IcsConnectorOptions> = {}) {
  return createIcsConnector({ fetch, guard: createUrlGuard({ allowPrivateNetworks: true }), ...options });
}

async function withServer(initial: string, body: (server: FeedServer) => Promise<void>, options?: { validators?: boolean }) {
  const server = await startFeedServer(initial, options);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

const byRemoteId = (items: RemoteItem[]) => new Map(items.map((i) => [i.remoteId, i]));

/** listAll, with the unreadable items of every page. */
async function listAllPages(connector: Connector, url: string, cursor: string | null) {
  const items: RemoteItem[] = [];
  const unreadable: UnreadableItem[] = [];
  let page = await connector.listChanges(url, cursor);
  for (;;) {
    items.push(...page.items);
    unreadable.push(...(page.unreadable ?? []));
    if (page.nextPageToken === null) return { items, unreadable, cursor: page.nextCursor!, complete: page.complete };
    page = await connector.listChanges(url, cursor, page.nextPageToken);
  }
}
const outlookUid = '040000008200E00074C5B7101A82E00800000000C0FFEE';

/** A feed of `series`, as calsync renders each, plus `extra` lines before its end. */
function feedOf(series: EventSeries[], extra: string[] = []): string {
  const bodies = series.map((s) => {
    const text = renderCalendar(s, { dtstamp: '2026-03-01T08:00:00Z' });
    return text.slice(text.search(/BEGIN:(VTIMEZONE|VEVENT)/), text.lastIndexOf('END:VCALENDAR'));
  });
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', ...bodies.map((b) => b.replace(/\r\n$/, '')), ...extra, 'END:VCALENDAR', ''].join('\r\n');
}

registerConnectorContract('ics', async () => {
  const server = await startFeedServer(emptyFeed);
  return {
    connector: connectorFor(),
    remoteCalendarId: server.url,
    plantUnreadable: async (readable) => {
      // An event that ends before it starts: calsync's model refuses it.
      server.publish(feedOf(readable, ['BEGIN:VEVENT', 'UID:backwards@example.org', 'DTSTAMP:20260301T080000Z', 'DTSTART:20260302T090000Z', 'DTEND:20260302T080000Z', 'END:VEVENT']));
      return 'uid:backwards@example.org';
    },
    close: server.close,
  };
}, { readOnly: true });

test('ics: the first listing returns every series, mapped, completely', () => withServer(initialFeed, async (server) => {
  const listing = await listAll(connectorFor(), server.url, null);
  assert.equal(listing.complete, true);
  const items = byRemoteId(listing.items);
  assert.deepEqual([...items.keys()].sort(), [`uid:${outlookUid}`, 'uid:company-holiday@example.org', 'uid:release-window@example.org', 'uid:team-sync@example.org']);

  const team = items.get('uid:team-sync@example.org');
  assert.ok(team && !team.deleted);
  assert.equal(team.etag, contentHash(team.series), 'the etag is the content hash');
  assert.equal(team.calsyncId, null);
  assert.deepEqual(team.series.master?.start, { local: '2026-03-02T10:00:00', tz: 'Europe/Berlin' });
  assert.deepEqual(team.series.master?.end, { local: '2026-03-02T10:30:00', tz: 'Europe/Berlin' });
  assert.deepEqual(team.series.master?.recurrence, { rrule: ['FREQ=WEEKLY;BYDAY=MO;COUNT=8'], rdate: [], exdate: ['2026-03-16T10:00:00'] });
  assert.deepEqual(team.series.overrides.map((o) => [o.recurrenceId, o.start, o.summary]), [
    ['2026-03-30T10:00:00', { local: '2026-03-31T14:00:00', tz: 'Europe/Berlin' }, 'Team sync (moved to Tuesday)'],
  ]);

  const outlook = items.get(`uid:${outlookUid}`);
  assert.ok(outlook && !outlook.deleted);
  assert.deepEqual(outlook.series.master?.start, { local: '2026-03-05T09:00:00', tz: 'Europe/Berlin' }, 'W. Europe Standard Time is Europe/Berlin');
  assert.deepEqual(outlook.series.master?.recurrence?.rrule, ['FREQ=WEEKLY;INTERVAL=2;BYDAY=TH;UNTIL=20260430T070000Z']);

  const holiday = items.get('uid:company-holiday@example.org');
  assert.ok(holiday && !holiday.deleted);
  assert.equal(holiday.series.master?.allDay, true);
  assert.deepEqual([holiday.series.master?.start, holiday.series.master?.end], [{ local: '2026-04-06', tz: null }, { local: '2026-04-07', tz: null }]);
  assert.equal(holiday.series.master?.transparency, 'transparent');

  const release = items.get('uid:release-window@example.org');
  assert.ok(release && !release.deleted);
  assert.deepEqual(release.series.master?.start, { local: '2026-03-10T16:00:00', tz: 'UTC' });
}));

test('ics: with the cursor, an unchanged feed is a 304 and no items', () => withServer(initialFeed, async (server) => {
  const connector = connectorFor();
  const first = await listAll(connector, server.url, null);
  assert.equal(server.requests.length, 1);
  const page = await connector.listChanges(server.url, first.cursor);
  assert.deepEqual(page, { items: [], nextPageToken: null, nextCursor: first.cursor, complete: false });
  const conditional = server.requests[1]!;
  assert.match(String(conditional['if-none-match']), /^"[0-9a-f]{16}"$/);
  assert.equal(conditional['if-modified-since'], 'Sun, 01 Mar 2026 00:00:00 GMT');
  assert.equal(server.requests[0]!['if-none-match'], undefined, 'the first listing is unconditional');
}));

test('ics: a changed feed yields exactly the edited, the removed and the added item', () => withServer(initialFeed, async (server) => {
  const connector = connectorFor();
  const first = await listAll(connector, server.url, null);
  server.publish(changedFeed);
  const changes = await listAll(connector, server.url, first.cursor);
  assert.equal(changes.complete, false);
  const items = byRemoteId(changes.items);
  assert.deepEqual([...items.keys()].sort(), ['uid:company-holiday@example.org', 'uid:release-window@example.org', 'uid:retro@example.org'],
    'restamped DTSTAMPs alone change nothing');
  const edited = items.get('uid:release-window@example.org');
  assert.ok(edited && !edited.deleted);
  assert.equal(edited.series.master?.summary, 'Release window (moved)');
  assert.deepEqual(edited.series.master?.end, { local: '2026-03-11T19:00:00', tz: 'UTC' });
  assert.deepEqual(items.get('uid:company-holiday@example.org'), {
    remoteId: 'uid:company-holiday@example.org', etag: null, deleted: true, series: null, calsyncId: null, updatedAt: null,
  });
  const added = items.get('uid:retro@example.org');
  assert.ok(added && !added.deleted && added.series.master?.start.tz === 'Europe/Berlin');

  assert.deepEqual((await listAll(connector, server.url, changes.cursor)).items, [], 'the new cursor covers the changes');
  const full = await listAll(connector, server.url, null);
  assert.equal(full.items.length, 4);
}));

test('ics: a server without ETag or Last-Modified is downloaded each time, and only changes come back', () => withServer(initialFeed, async (server) => {
  const connector = connectorFor();
  const first = await listAll(connector, server.url, null);
  assert.deepEqual((await listAll(connector, server.url, first.cursor)).items, []);
  assert.equal(server.requests[1]!['if-none-match'], undefined);
  server.publish(changedFeed);
  assert.equal((await listAll(connector, server.url, first.cursor)).items.length, 3);
}, { validators: false }));

function manyEvents(count: number, summary: (i: number) => string): string {
  const events = Array.from({ length: count }, (_, i) => [
    'BEGIN:VEVENT', `UID:bulk-${i}@example.org`, 'DTSTAMP:20260301T080000Z',
    `DTSTART:202604${String(1 + (i % 28)).padStart(2, '0')}T090000Z`, `DTEND:202604${String(1 + (i % 28)).padStart(2, '0')}T100000Z`,
    `SUMMARY:${summary(i)}`, 'END:VEVENT',
  ].join('\r\n'));
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', ...events, 'END:VCALENDAR', ''].join('\r\n');
}

test('ics: a big feed comes in bounded pages from one download', () => withServer(manyEvents(450, (i) => `Event ${i}`), async (server) => {
  const connector = connectorFor();
  const sizes: number[] = [];
  const seen = new Set<string>();
  let page = await connector.listChanges(server.url, null);
  for (;;) {
    sizes.push(page.items.length);
    for (const item of page.items) seen.add(item.remoteId);
    assert.equal(page.complete, true);
    if (page.nextPageToken === null) break;
    page = await connector.listChanges(server.url, null, page.nextPageToken);
  }
  assert.deepEqual(sizes, [200, 200, 50]);
  assert.equal(seen.size, 450);
  assert.equal(server.requests.length, 1);
}));

test('ics: a page token held by another process refetches, and refuses a feed that changed meanwhile', () => withServer(manyEvents(250, (i) => `Event ${i}`), async (server) => {
  const first = await connectorFor().listChanges(server.url, null);
  assert.ok(first.nextPageToken);
  const rest = await connectorFor().listChanges(server.url, null, first.nextPageToken);
  assert.deepEqual([rest.items.length, rest.nextPageToken, rest.complete], [50, null, true]);
  assert.ok(rest.nextCursor);

  const again = await connectorFor().listChanges(server.url, null);
  server.publish(manyEvents(250, (i) => (i === 3 ? 'Edited' : `Event ${i}`)));
  await assert.rejects(connectorFor().listChanges(server.url, null, again.nextPageToken!), (e: unknown) => isConnectorError(e, 'transient') && /changed while its pages were read/.test(e.message));
}));

test('ics: an oversized body is cut off while streaming and fails', () => withServer(initialFeed, async (server) => {
  let streamClosed!: () => void;
  const closed = new Promise<void>((resolve) => (streamClosed = resolve));
  server.answer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/calendar' });
    const chunk = `X-FILLER:${'x'.repeat(1000)}\r\n`.repeat(16);
    // An endless body: buffering it first would never end.
    const write = () => {
      while (!response.destroyed && response.write(chunk));
      if (!response.destroyed) response.once('drain', write);
    };
    response.on('close', streamClosed);
    response.write('BEGIN:VCALENDAR\r\n');
    write();
  });
  const connector = connectorFor({ maxBytes: 256 * 1024 });
  await assert.rejects(connector.listChanges(server.url, null), (e: unknown) => isConnectorError(e, 'permanent') && /larger than the 262144 bytes limit/.test(e.message));
  await closed;

  server.answer((_request, response) => response.writeHead(200, { 'content-length': String(11 * 1024 * 1024) }).end());
  await assert.rejects(connectorFor().listChanges(server.url, null), (e: unknown) => isConnectorError(e, 'permanent') && /larger than the 10 MiB limit/.test(e.message), 'a declared length over the limit is refused before reading');
}));

test('ics: a server answering garbage fails as permanent, naming the line', () => withServer(initialFeed, async (server) => {
  server.answer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end(fixture('html_login_page_served_as_feed.html')));
  await assert.rejects(connectorFor().listChanges(server.url, null), (e: unknown) =>
    isConnectorError(e, 'permanent') && /^http:\/\/127\.0\.0\.1:\d+\/… is not a valid iCalendar feed \(the server sent an HTML page\): .*at line 1\)$/.test(e.message));

  const unclosed = initialFeed.replace('END:VEVENT\r\nBEGIN:VEVENT\r\nUID:release-window', 'BEGIN:VEVENT\r\nUID:release-window');
  server.answer((_request, response) => response.writeHead(200).end(unclosed));
  await assert.rejects(connectorFor().listChanges(server.url, null), (e: unknown) => isConnectorError(e, 'permanent') && /is not a valid iCalendar feed: END:VCALENDAR closes BEGIN:VEVENT/.test(e.message),
    'components that do not nest cannot be cut into VEVENTs: the feed as a whole is unreadable');
}));

const brokenOverride = initialFeed.replace('DTSTART;TZID=Europe/Berlin:20260331T140000', 'DTSTART;TZID=Europe/Berlin:2026-03-31 14:00');
const withoutUid = brokenOverride.replace('END:VCALENDAR', 'BEGIN:VEVENT\r\nDTSTAMP:20260301T080000Z\r\nDTSTART:20260311T100000Z\r\nSUMMARY:Nobody\r\nEND:VEVENT\r\nEND:VCALENDAR');

test('ics: one VEVENT that does not parse makes its UID unreadable; the rest of the feed is read as it would be without it', () => withServer(withoutUid, async (server) => {
  const listing = await listAllPages(connectorFor({ pageSize: 2 }), server.url, null);
  assert.deepEqual(listing.items.map((i) => i.remoteId).sort(), [`uid:${outlookUid}`, 'uid:company-holiday@example.org', 'uid:release-window@example.org']);
  server.publish(initialFeed);
  const whole = byRemoteId((await listAll(connectorFor(), server.url, null)).items);
  for (const item of listing.items) assert.equal(item.etag, whole.get(item.remoteId)?.etag, `${item.remoteId} reads the same as in the whole feed`);

  const [team, nobody] = listing.unreadable;
  const line = withoutUid.split('\r\n').indexOf('DTSTART;TZID=Europe/Berlin:2026-03-31 14:00') + 1;
  assert.equal(team!.remoteId, 'uid:team-sync@example.org', 'the master and its override are one item');
  assert.match(team!.reason, new RegExp(`^UID team-sync@example.org cannot be read: .*\\(at line ${line}\\)$`));
  assert.equal((team!.raw!.match(/BEGIN:VEVENT/g) ?? []).length, 2);
  assert.match(team!.etag!, /^[0-9a-f]{64}$/);
  assert.match(nobody!.remoteId, /^vevent-without-uid:[0-9a-f]{16}$/);
  assert.match(nobody!.reason, /^a VEVENT without UID cannot be read: VEVENT without UID/);
  assert.equal(listing.complete, true);
}));

test('ics: an unreadable UID counts as present in the cursor; it is reported again only when it changes, and as deleted once it leaves', () => withServer(brokenOverride, async (server) => {
  const connector = connectorFor();
  const first = await listAllPages(connector, server.url, null);
  assert.deepEqual(first.unreadable.map((u) => u.remoteId), ['uid:team-sync@example.org']);
  server.publish(brokenOverride.replaceAll('DTSTAMP:20260301T080000Z', 'DTSTAMP:20260302T080000Z'));
  const restamped = await listAllPages(connector, server.url, first.cursor);
  assert.deepEqual([restamped.items, restamped.unreadable], [[], []], 'a new DTSTAMP alone is no change');

  server.publish(initialFeed);
  const mended = await listAllPages(connector, server.url, restamped.cursor);
  assert.deepEqual([mended.items.map((i) => [i.remoteId, i.deleted]), mended.unreadable], [[['uid:team-sync@example.org', false]], []]);

  server.publish(brokenOverride);
  const brokenAgain = await listAllPages(connector, server.url, mended.cursor);
  assert.deepEqual([brokenAgain.items, brokenAgain.unreadable.map((u) => u.remoteId)], [[], ['uid:team-sync@example.org']], 'not a deletion');

  const seriesStart = brokenOverride.indexOf('BEGIN:VEVENT\r\nUID:team-sync');
  const seriesEnd = brokenOverride.indexOf('BEGIN:VEVENT\r\nUID:040000008200E00074C5B7101A82E00800000000C0FFEE');
  server.publish(brokenOverride.slice(0, seriesStart) + brokenOverride.slice(seriesEnd));
  const removed = await listAllPages(connector, server.url, brokenAgain.cursor);
  assert.deepEqual(removed.items.map((i) => [i.remoteId, i.deleted]), [['uid:team-sync@example.org', true]]);
}));


test('ics: answers are classified: auth, gone, rate limits, server errors, timeouts, refused connections', () => withServer(initialFeed, async (server) => {
  const connector = connectorFor({ now: () => Date.UTC(2026, 2, 1, 12, 0, 0) });
  const answer = (status: number, headers: Record<string, string> = {}) => server.answer((_q, r) => r.writeHead(status, headers).end('nope'));
  const expect = async (kind: string, check: (e: { message: string; retryAfterSeconds: number | null }) => boolean = () => true) =>
    assert.rejects(connector.listChanges(server.url, null), (e: unknown) => isConnectorError(e) && e.kind === kind && check(e));

  answer(401);
  await expect('auth-revoked', (e) => /refused access \(401\)/.test(e.message));
  answer(403);
  await expect('auth-revoked');
  answer(404);
  await expect('permanent', (e) => /^http:\/\/127\.0\.0\.1:\d+\/… does not exist \(404\)/.test(e.message) && requestFailureOf(e)?.reason === 'feed-not-found');
  answer(410);
  await expect('permanent', (e) => /\(410\)/.test(e.message));
  answer(429, { 'retry-after': '120' });
  await expect('rate-limited', (e) => e.retryAfterSeconds === 120);
  answer(503, { 'retry-after': 'Sun, 01 Mar 2026 12:05:00 GMT' });
  await expect('rate-limited', (e) => e.retryAfterSeconds === 300);
  answer(503);
  await expect('transient');
  answer(500);
  await expect('transient', (e) => /failed with 500/.test(e.message));
  answer(400);
  await expect('permanent');
  server.answer(() => undefined);
  await assert.rejects(connectorFor({ timeoutMs: 300 }).listChanges(server.url, null), (e: unknown) => isConnectorError(e, 'transient') && /did not answer within 0.3 s/.test(e.message));

  const closedPort = await startFeedServer(emptyFeed);
  await closedPort.close();
  await assert.rejects(connector.listChanges(closedPort.url, null), (e: unknown) => isConnectorError(e, 'transient') && /could not be fetched: connection refused/.test(e.message) && requestFailureOf(e)?.reason === 'connection-refused');
}));

test('ics: redirects are followed, loopback is refused by default, webcal is https', () => withServer(initialFeed, async (server) => {
  server.answer((request, response) => {
    if (request.url === '/old.ics') return void response.writeHead(301, { location: '/team/feed.ics' }).end();
    response.writeHead(200).end(initialFeed);
  });
  const moved = server.url.replace('/team/feed.ics', '/old.ics');
  assert.equal((await listAll(connectorFor(), moved, null)).items.length, 4);

  const strict = createIcsConnector({ fetch });
  const before = server.requests.length;
  await assert.rejects(strict.listChanges(server.url, null), (e: unknown) => isConnectorError(e, 'permanent') && /loopback address; set CALSYNC_ALLOW_PRIVATE_URLS=1/.test(e.message));
  await assert.rejects(strict.listChanges(server.url.replace('http:', 'webcal:'), null), (e: unknown) => isConnectorError(e) && e.message.startsWith('https://127.0.0.1:'));
  assert.equal(server.requests.length, before, 'nothing reached the server');
}));

test('ics: an unreadable cursor expires; writes are refused as read-only', async () => {
  const connector = connectorFor();
  await assert.rejects(connector.listChanges('https://feeds.example.com/a.ics', 'm1:0:3'), (e: unknown) => isConnectorError(e, 'cursor-expired'));
  await assert.rejects(connector.listChanges('https://feeds.example.com/a.ics', 'ics1.bm90LWRlZmxhdGVk'), (e: unknown) => isConnectorError(e, 'cursor-expired'));
  await assert.rejects(connector.delete('https://feeds.example.com/a.ics', 'uid:x', { ifMatch: null }), (e: unknown) => isConnectorError(e, 'permanent') && e.message === 'ICS feeds are read-only' && e.remoteId === 'uid:x');
  assert.equal(connector.capabilities.writable, false);
});
