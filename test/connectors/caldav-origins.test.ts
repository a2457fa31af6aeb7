// A CalDAV account's login goes only to its own origins: the server URL's and those its
// principal names (a home on another host, as iCloud's are), never to a host a binding's
// remote calendar names or a redirect points at. Three servers on 127.0.0.1: the account's
// (principal), its home host, and another host that records whatever reaches it.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createCalDavConnector, discoverCalendars } from '../../src/connectors/caldav/index.ts';
import { requestFailureOf } from '../../src/connectors/request-failures.ts';

const login = { username: 'ann', password: 'right' };
const basic = `Basic ${Buffer.from('ann:right').toString('base64')}`;
const ms = (body: string) => `<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">${body}</d:multistatus>`;
const ok = (href: string, props: string) => `<d:response><d:href>${href}</d:href><d:propstat><d:prop>${props}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`;

let account: string;
let home: string;
let other: string;
const reachedOther: Array<{ method: string; url: string; authorization: string | undefined }> = [];
const servers: Server[] = [];

async function serve(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handle(req, res));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const multistatus = (res: ServerResponse, body: string) => res.writeHead(207, { 'content-type': 'application/xml' }).end(ms(body));

before(async () => {
  other = await serve((req, res) => {
    reachedOther.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization });
    res.writeHead(404).end();
  });
  home = await serve((req, res) => {
    if (req.headers.authorization !== basic) return void res.writeHead(401).end();
    if (req.url === '/calendars/ann/' && req.method === 'PROPFIND') {
      return multistatus(res, ok('/calendars/ann/', '<d:resourcetype><d:collection/></d:resourcetype>')
        + ok('/calendars/ann/work/', '<d:resourcetype><d:collection/><c:calendar/></d:resourcetype><d:displayname>Work</d:displayname>'));
    }
    res.writeHead(404).end();
  });
  account = await serve((req, res) => {
    if (req.url === '/.well-known/caldav') return void res.writeHead(301, { location: `${other}/dav/` }).end();
    if (req.headers.authorization !== basic) return void res.writeHead(401).end();
    if (req.url === '/moved/a.ics') return void res.writeHead(301, { location: '/calendars/ann/work/a.ics' }).end();
    if (req.url === '/moved/b.ics') return void res.writeHead(307, { location: `${other}/calendars/ann/work/b.ics` }).end();
    if (req.url === '/calendars/ann/work/a.ics') return void res.writeHead(404).end();
    if (req.method !== 'PROPFIND') return void res.writeHead(404).end();
    if (req.url === '/') return multistatus(res, ok('/', '<d:current-user-principal><d:href>/principals/ann/</d:href></d:current-user-principal>'));
    if (req.url === '/principals/ann/') return multistatus(res, ok('/principals/ann/', `<c:calendar-home-set><d:href>${home}/calendars/ann/</d:href></c:calendar-home-set>`));
    res.writeHead(404).end();
  });
});
after(() => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

const originRefused = (pattern: RegExp) => (e: unknown) => requestFailureOf(e)?.reason === 'origin-refused' && pattern.test((e as Error).message);

test('caldav origins: discovery follows the principal to a home on another host and returns both origins', async () => {
  const found = await discoverCalendars({ serverUrl: `${account}/`, ...login });
  assert.deepEqual(found.origins, [account, home]);
  assert.deepEqual(found.calendars.map((c) => c.remoteCalendarId), [`${home}/calendars/ann/work/`]);
  assert.deepEqual(reachedOther, []);
});

test('caldav origins: a redirect to another origin during discovery is refused, and the login never reaches it', async () => {
  await assert.rejects(discoverCalendars({ serverUrl: `${account}/nodav/`, ...login }),
    originRefused(new RegExp(`redirects to ${other}/dav/, on another server than this account's \\(${account}\\); its login is not sent there`)));
  assert.deepEqual(reachedOther, []);
});

test('caldav origins: a remote calendar on a host that is not the account\'s is refused before any request', async () => {
  const connector = createCalDavConnector({ serverUrl: `${account}/`, ...login, origins: [account, home] });
  const item = await connector.read(`${home}/calendars/ann/work/`, '/calendars/ann/work/gone.ics');
  assert.equal(item.deleted, true, 'the home host is one of the account\'s');
  await assert.rejects(connector.read(`${other}/calendars/ann/work/`, '/calendars/ann/work/a.ics'),
    originRefused(new RegExp(`${other} is not one of this account's servers \\(${account}, ${home}\\); its login is sent only there`)));
  await assert.rejects(connector.listChanges(`${other}/calendars/ann/work/`, null), originRefused(/is not one of this account's servers/));
  // Without the origins discovery found, only the server URL's origin is the account's.
  await assert.rejects(createCalDavConnector({ serverUrl: `${account}/`, ...login }).read(`${home}/calendars/ann/work/`, '/calendars/ann/work/gone.ics'), originRefused(/is not one of/));
  assert.deepEqual(reachedOther, []);
});

test('caldav origins: redirects are followed with the login on the account\'s origins only', async () => {
  const connector = createCalDavConnector({ serverUrl: `${account}/`, ...login });
  assert.equal((await connector.read(`${account}/moved/`, '/moved/a.ics')).deleted, true, 'followed to the same origin, login included');
  await assert.rejects(connector.read(`${account}/moved/`, '/moved/b.ics'), originRefused(new RegExp(`redirects to ${other}/calendars/ann/work/b\\.ics`)));
  assert.deepEqual(reachedOther, []);
});
