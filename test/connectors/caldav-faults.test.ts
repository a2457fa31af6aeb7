// The CalDAV connector against a server that fails: a tiny HTTP server on 127.0.0.1
// answering 5xx, garbage, bodies cut off mid-stream, auth and rate-limit errors.
// A failed listing never hands out a cursor, so nothing of it can be stored; a member
// that does not parse is reported as unreadable and the listing goes on.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createCalDavConnector, type CalDavConnectorOptions } from '../../src/connectors/caldav/index.ts';
import { MAX_CONTINUATIONS } from '../../src/connectors/caldav/listing.ts';
import { isConnectorError, type ConnectorErrorKind } from '../../src/connectors/connector.ts';
import { renderCalendar } from '../../src/core/ical/index.ts';
import type { EventSeries } from '../../src/core/model.ts';
import { single } from '../helpers/events.ts';
import { listAll } from './contract.ts';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

let server: Server;
let url: string;
let handler: Handler;

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const connect = (options: Partial<CalDavConnectorOptions> = {}) => createCalDavConnector({ serverUrl: url, username: 'u', password: 'p', ...options });
const failsAs = (kind: ConnectorErrorKind) => (e: unknown) => isConnectorError(e, kind);
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

const COLLECTION_STATE = `<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/"><d:response><d:href>/cal/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/><c:calendar/></d:resourcetype><d:sync-token>tok-1</d:sync-token><cs:getctag>ctag-1</cs:getctag><d:supported-report-set><d:supported-report><d:report><d:sync-collection/></d:report></d:supported-report></d:supported-report-set></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>`;

function member(i: number): string {
  const ics = renderCalendar(single({ uid: `e${i}` }), { dtstamp: '2026-01-01T00:00:00Z' });
  return `<d:response><d:href>/cal/e${i}.ics</d:href><d:propstat><d:prop><d:getetag>"e${i}"</d:getetag><c:calendar-data>${escape(ics)}</c:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`;
}

const OPEN = '<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">';

/** A healthy server with three events, except for what `report` answers. */
function serve(report: (res: ServerResponse, body: string) => void): Handler {
  return (req, body, res) => {
    if (req.method === 'PROPFIND') {
      res.writeHead(207, { 'content-type': 'application/xml' }).end(COLLECTION_STATE);
    } else {
      report(res, body);
    }
  };
}

const healthy = serve((res) => res.writeHead(207, { 'content-type': 'application/xml' }).end(`${OPEN}${member(1)}${member(2)}${member(3)}</d:multistatus>`));

test('caldav faults: 500, garbage XML and a 200 HTML page fail the listing as transient, with no cursor', async () => {
  handler = serve((res) => res.writeHead(500).end('Internal Server Error'));
  await assert.rejects(listAll(connect(), '/cal/', null), failsAs('transient'));
  handler = serve((res) => res.writeHead(207, { 'content-type': 'application/xml' }).end(`${OPEN}${member(1)}<d:response><<<`));
  await assert.rejects(listAll(connect(), '/cal/', null), failsAs('transient'));
  handler = (_req, _body, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Welcome to the hotel Wi-Fi</body></html>');
  await assert.rejects(listAll(connect(), '/cal/', null), failsAs('transient'));
  handler = healthy;
  const listing = await listAll(connect(), '/cal/', null);
  assert.equal(listing.items.length, 3);
  assert.equal(listing.cursor, 'caldav-sync:tok-1');
});

test('caldav faults: a server that disappears mid-listing fails a later page; the next pass completes', async () => {
  handler = serve((res) => {
    res.writeHead(207, { 'content-type': 'application/xml' });
    res.write(`${OPEN}${member(1)}${member(2)}`);
    setTimeout(() => res.destroy(), 20);
  });
  const connector = connect({ pageSize: 1 });
  const first = await connector.listChanges('/cal/', null);
  assert.equal(first.items.length, 1);
  assert.equal(first.nextCursor, null);
  await assert.rejects(listAll(connector, '/cal/', null), failsAs('transient'));
  handler = healthy;
  assert.equal((await listAll(connector, '/cal/', null)).items.length, 3);
  await connector.close();
});

test('caldav faults: a 500 on an old sync-token is cursor-expired only if the server reads its current one', async () => {
  const syncAnswers = (current: (res: ServerResponse) => void) =>
    serve((res, body) => {
      if (body.includes('<d:sync-token>old</d:sync-token>')) res.writeHead(500).end('500 Internal Server Error\n\nServer got itself in trouble');
      else current(res);
    });
  handler = syncAnswers((res) => res.writeHead(207, { 'content-type': 'application/xml' }).end(`${OPEN}<d:sync-token>tok-1</d:sync-token></d:multistatus>`));
  await assert.rejects(connect().listChanges('/cal/', 'caldav-sync:old'), failsAs('cursor-expired'));
  handler = syncAnswers((res) => res.writeHead(500).end());
  await assert.rejects(connect().listChanges('/cal/', 'caldav-sync:old'), failsAs('transient'));
});

test('caldav faults: auth, rate limits and server errors on writes', async () => {
  handler = (_req, _body, res) => res.writeHead(401, { 'www-authenticate': 'Basic realm="dav"' }).end();
  await assert.rejects(listAll(connect(), '/cal/', null), failsAs('auth-revoked'));
  handler = (_req, _body, res) => res.writeHead(429, { 'retry-after': '7' }).end();
  await assert.rejects(connect().create('/cal/', single(), { calsyncId: 'cs-1' }), (e: unknown) => isConnectorError(e, 'rate-limited') && e.retryAfterSeconds === 7);
  handler = (_req, _body, res) => res.writeHead(503).end();
  await assert.rejects(connect().create('/cal/', single(), { calsyncId: 'cs-1' }), failsAs('transient'));
  handler = (_req, _body, res) => res.destroy();
  await assert.rejects(connect().delete('/cal/', '/cal/a.ics', { ifMatch: '"1"' }), failsAs('transient'));
});

/**
 * A server that answers PUT without an ETag (RFC 9110 §9.3.4: it stored something else
 * than what was sent) and holds `held` afterwards, as calendar-multiget, PROPFIND and
 * GET show it; `held` null: the member is gone.
 */
function etaglessPuts(held: () => { etag: string; text: string } | null, methods: string[]): Handler {
  return (req, _body, res) => {
    methods.push(req.method!);
    const now = held();
    if (req.method === 'PUT') return res.writeHead(201).end();
    if (req.method === 'GET') return now === null ? res.writeHead(404).end() : res.writeHead(200, { 'content-type': 'text/calendar' }).end(now.text);
    const member = now === null ? gone('/cal/cs-1.ics') : rawMember('/cal/cs-1.ics', now.etag, req.method === 'REPORT' ? now.text : null);
    multistatus(res, member);
  };
}

/** What a server that rewrites content stores of `series`: its own PRODID and a new DTSTAMP. */
const rewritten = (series: EventSeries) => renderCalendar(series, { dtstamp: '2026-02-02T02:02:02Z', calsyncId: 'cs-1' }).replace('PRODID:-//calsync//calsync//EN', 'PRODID:-//other//server//EN');

test('caldav faults: a PUT answered without an ETag answers the etag read with the content, when it is what was PUT', async () => {
  const methods: string[] = [];
  handler = etaglessPuts(() => ({ etag: '"rewritten"', text: rewritten(single()) }), methods);
  assert.deepEqual(await connect().create('/cal/', single(), { calsyncId: 'cs-1' }), { remoteId: '/cal/cs-1.ics', etag: '"rewritten"' });
  assert.deepEqual(methods, ['PUT', 'REPORT'], 'one calendar-multiget: etag and content of one version');
  methods.length = 0;
  const updated = await connect().update('/cal/', '/cal/cs-1.ics', single({ summary: 'Renamed' }), { ifMatch: '"rewritten"' });
  assert.equal(updated.etag, '', 'the server holds the earlier content: not the etag of this write');
});

test('caldav faults: a PUT answered without an ETag answers no etag when another client wrote after it, or the member is gone', async () => {
  handler = etaglessPuts(() => ({ etag: '"theirs"', text: rewritten(single({ summary: 'Their edit' })) }), []);
  assert.deepEqual(await connect().create('/cal/', single(), { calsyncId: 'cs-1' }), { remoteId: '/cal/cs-1.ics', etag: '' });
  handler = etaglessPuts(() => null, []);
  assert.deepEqual(await connect().create('/cal/', single(), { calsyncId: 'cs-1' }), { remoteId: '/cal/cs-1.ics', etag: '' });
});

test('caldav faults: a GET answered without an ETag reads etag and content together by calendar-multiget', async () => {
  const methods: string[] = [];
  let version = 0;
  // Each request sees a newer version: the GET's body and a later etag never pair up.
  handler = etaglessPuts(() => ({ etag: `"v${++version}"`, text: rewritten(single({ summary: `Version ${version}` })) }), methods);
  const item = await connect().read('/cal/', '/cal/cs-1.ics');
  assert.ok(!item.deleted);
  assert.deepEqual([item.etag, item.series.master?.summary], ['"v2"', 'Version 2']);
  assert.deepEqual(methods, ['GET', 'REPORT']);
});

const UNTERMINATED = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:bad\r\n';
const STAMPED = '3f2b8c1e-9d4a-4f6b-8e2c-1a5d7b9c0e3f';

function rawMember(href: string, etag: string, calendarData: string | null): string {
  const data = calendarData === null ? '' : `<c:calendar-data>${escape(calendarData)}</c:calendar-data>`;
  return `<d:response><d:href>${href}</d:href><d:propstat><d:prop><d:getetag>${etag}</d:getetag>${data}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`;
}

const gone = (href: string) => `<d:response><d:href>${href}</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>`;
const multistatus = (res: ServerResponse, body: string) => res.writeHead(207, { 'content-type': 'application/xml' }).end(`${OPEN}${body}</d:multistatus>`);

test('caldav faults: a member that does not parse is listed as unreadable; its neighbours are listed and the cursor moves', async () => {
  const twoUids = renderCalendar(single({ uid: 'x' }), { dtstamp: '2026-01-01T00:00:00Z' }).replace('END:VCALENDAR', 'BEGIN:VEVENT\r\nUID:y\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260302T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR');
  handler = serve((res, body) => {
    if (body.includes('calendar-multiget')) return multistatus(res, rawMember('/cal/two.ics', '"two"', twoUids));
    if (body.includes('sync-collection')) return multistatus(res, `${rawMember(`/cal/${STAMPED}.ics`, '"bad-2"', UNTERMINATED)}${member(4)}${rawMember('/cal/two.ics', '"two"', null)}<d:sync-token>tok-2</d:sync-token>`);
    multistatus(res, `${member(1)}${rawMember(`/cal/${STAMPED}.ics`, '"bad"', UNTERMINATED)}${member(2)}`);
  });
  const connector = connect({ pageSize: 2 });
  const first = await connector.listChanges('/cal/', null);
  assert.deepEqual(first.items.map((i) => i.remoteId), ['/cal/e1.ics']);
  assert.equal(first.unreadable?.length, 1, 'an unreadable member takes its place on the page');
  const [bad] = first.unreadable!;
  assert.equal(bad!.remoteId, `/cal/${STAMPED}.ics`);
  assert.equal(bad!.etag, '"bad"');
  assert.equal(bad!.calsyncId, STAMPED, 'the href carries the stamp');
  assert.equal(bad!.raw, UNTERMINATED);
  assert.match(bad!.reason, /^CalDAV resource \/cal\/3f2b8c1e-.*\.ics is not usable iCalendar: BEGIN:VEVENT is never closed/);
  const second = await connector.listChanges('/cal/', null, first.nextPageToken!);
  assert.deepEqual([second.items.map((i) => i.remoteId), second.unreadable, second.nextCursor], [['/cal/e2.ics'], undefined, 'caldav-sync:tok-1']);

  const changes = await connect().listChanges('/cal/', second.nextCursor!);
  assert.deepEqual(changes.items.map((i) => i.remoteId), ['/cal/e4.ics']);
  assert.deepEqual(changes.unreadable?.map((u) => [u.remoteId, u.etag, /holds 2 UIDs/.test(u.reason)]), [[`/cal/${STAMPED}.ics`, '"bad-2"', false], ['/cal/two.ics', '"two"', true]],
    'a body fetched by calendar-multiget is judged the same way');
  assert.equal(changes.nextCursor, 'caldav-sync:tok-2');
});

test('caldav faults: without sync-collection an unreadable member counts as present, so it is not reported again until it changes', async () => {
  const state = COLLECTION_STATE.replace('<d:sync-collection/>', '<d:other/>');
  let badEtag = '"bad"';
  handler = (req, body, res) => {
    if (req.method === 'PROPFIND') return res.writeHead(207, { 'content-type': 'application/xml' }).end(state.replace('ctag-1', `ctag-${badEtag}`));
    const withData = body.includes('calendar-data');
    const asked = (href: string) => !body.includes('calendar-multiget') || body.includes(href);
    multistatus(res, [
      asked('/cal/e1.ics') ? rawMember('/cal/e1.ics', '"e1"', withData ? renderCalendar(single({ uid: 'e1' }), { dtstamp: '2026-01-01T00:00:00Z' }) : null) : '',
      asked('/cal/bad.ics') ? rawMember('/cal/bad.ics', badEtag, withData ? UNTERMINATED : null) : '',
    ].join(''));
  };
  const connector = connect();
  const full = await listAll(connector, '/cal/', null);
  badEtag = '"bad-2"';
  const changes = await connector.listChanges('/cal/', full.cursor);
  assert.deepEqual([changes.items, changes.unreadable?.map((u) => [u.remoteId, u.etag])], [[], [['/cal/bad.ics', '"bad-2"']]], 'only the changed member, still unreadable');
  const quiet = await connector.listChanges('/cal/', changes.nextCursor!);
  assert.deepEqual([quiet.items, quiet.unreadable], [[], undefined]);
});

test('caldav faults: read of an unreadable member is permanent, naming it', async () => {
  handler = (_req, _body, res) => res.writeHead(200, { 'content-type': 'text/calendar', etag: '"bad"' }).end(UNTERMINATED);
  await assert.rejects(connect().read('/cal/', '/cal/bad.ics'), (e: unknown) => isConnectorError(e, 'permanent') && e.remoteId === '/cal/bad.ics' && /not usable iCalendar/.test(e.message));
});

test('caldav faults: a removed member calsync created carries the stamp of its href', async () => {
  handler = serve((res) => multistatus(res, `${gone(`/cal/${STAMPED}.ics`)}${gone('/cal/someone-else.ics')}<d:sync-token>tok-2</d:sync-token>`));
  const { items } = await listAll(connect(), '/cal/', 'caldav-sync:tok-1');
  assert.deepEqual(items.map((i) => [i.remoteId, i.deleted, i.calsyncId]), [[`/cal/${STAMPED}.ics`, true, STAMPED], ['/cal/someone-else.ics', true, null]]);
});

test('caldav faults: a sync-collection answer truncated with 507 is continued at once from its token', async () => {
  const tokens: string[] = [];
  const truncated = '<d:response><d:href>/cal/</d:href><d:status>HTTP/1.1 507 Insufficient Storage</d:status><d:error><d:number-of-matches-within-limits/></d:error></d:response>';
  handler = serve((res, body) => {
    const token = /<d:sync-token>([^<]*)<\/d:sync-token>/.exec(body)![1]!;
    tokens.push(token);
    if (token === 'tok-1') return multistatus(res, `${member(1)}${member(2)}${truncated}<d:sync-token>tok-2</d:sync-token>`);
    if (token === 'tok-2') return multistatus(res, `${gone('/cal/e3.ics')}${truncated}<d:sync-token>tok-3</d:sync-token>`);
    multistatus(res, `${member(4)}<d:sync-token>tok-4</d:sync-token>`);
  });
  const listing = await listAll(connect({ pageSize: 2 }), '/cal/', 'caldav-sync:tok-1');
  assert.deepEqual(listing.items.map((i) => [i.remoteId, i.deleted]), [['/cal/e1.ics', false], ['/cal/e2.ics', false], ['/cal/e3.ics', true], ['/cal/e4.ics', false]]);
  assert.equal(listing.cursor, 'caldav-sync:tok-4');
  assert.deepEqual(tokens, ['tok-1', 'tok-2', 'tok-3']);

  // A server that truncates without end is asked a bounded number of times; one that
  // answers the same token again is not asked again.
  tokens.length = 0;
  handler = serve((res, body) => {
    const n = Number(/<d:sync-token>tok-(\d+)<\/d:sync-token>/.exec(body)![1]);
    tokens.push(`tok-${n}`);
    multistatus(res, `${member(n)}${truncated}<d:sync-token>tok-${n + 1}</d:sync-token>`);
  });
  const endless = await listAll(connect(), '/cal/', 'caldav-sync:tok-1');
  assert.equal(tokens.length, MAX_CONTINUATIONS + 1);
  assert.equal(endless.cursor, `caldav-sync:tok-${MAX_CONTINUATIONS + 2}`, 'the next pass goes on from where this one stopped');
  tokens.length = 0;
  handler = serve((res) => multistatus(res, `${truncated}<d:sync-token>tok-1</d:sync-token>`));
  assert.equal((await listAll(connect(), '/cal/', 'caldav-sync:tok-1')).cursor, 'caldav-sync:tok-1');
});
