// The CalDAV connector against a server that fails: a tiny HTTP server on 127.0.0.1
// answering 5xx, garbage, bodies cut off mid-stream, auth and rate-limit errors.
// A failed listing never hands out a cursor, so nothing of it can be stored.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createCalDavConnector, type CalDavConnectorOptions } from '../../src/connectors/caldav/index.ts';
import { isConnectorError, type ConnectorErrorKind } from '../../src/connectors/connector.ts';
import { renderCalendar } from '../../src/core/ical/index.ts';
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

test('caldav faults: a PUT answered without an ETag is followed by one PROPFIND for it', async () => {
  const methods: string[] = [];
  handler = (req, _body, res) => {
    methods.push(req.method!);
    if (req.method === 'PUT') res.writeHead(201).end();
    else res.writeHead(207, { 'content-type': 'application/xml' }).end(`${OPEN}<d:response><d:href>/cal/cs-1.ics</d:href><d:propstat><d:prop><d:getetag>"rewritten"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>`);
  };
  assert.deepEqual(await connect().create('/cal/', single(), { calsyncId: 'cs-1' }), { remoteId: '/cal/cs-1.ics', etag: '"rewritten"' });
  assert.deepEqual(methods, ['PUT', 'PROPFIND']);
});
