// Discovery paths the two real servers do not take: a root without a principal (found
// through /.well-known/caldav), a calendar home on another path given as an absolute
// URL, task-only and plain collections left out, read-only calendars, a bad password.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { discoverCalendars } from '../../src/connectors/caldav/index.ts';
import { isConnectorError } from '../../src/connectors/connector.ts';
import { createUrlGuard, guardedFetch } from '../../src/connectors/http-guard.ts';
import { requestFailureOf } from '../../src/connectors/request-failures.ts';

let server: Server;
let origin: string;

const ms = (body: string) => `<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/" xmlns:a="http://apple.com/ns/ical/">${body}</d:multistatus>`;
const ok = (href: string, props: string) => `<d:response><d:href>${href}</d:href><d:propstat><d:prop>${props}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`;
const calendar = '<d:resourcetype><d:collection/><c:calendar/></d:resourcetype>';

before(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const expected = `Basic ${Buffer.from('ann:right').toString('base64')}`;
      if (req.headers.authorization !== expected) return void res.writeHead(401).end();
      const answer = (body: string) => res.writeHead(207, { 'content-type': 'application/xml' }).end(ms(body));
      switch (req.url) {
        case '/':
          return void res.writeHead(404).end('no DAV here');
        case '/.well-known/caldav':
          return void res.writeHead(301, { location: '/dav/' }).end();
        case '/dav/':
          return answer(ok('/dav/', '<d:current-user-principal><d:href>/dav/principals/ann/</d:href></d:current-user-principal>'));
        case '/dav/principals/ann/':
          return answer(ok('/dav/principals/ann/', `<c:calendar-home-set><d:href>${origin}/dav/calendars/ann/</d:href></c:calendar-home-set>`));
        case '/dav/calendars/ann/':
          return answer([
            ok('/dav/calendars/ann/', '<d:resourcetype><d:collection/></d:resourcetype>'),
            ok('/dav/calendars/ann/work/', `${calendar}<d:displayname>Work</d:displayname><a:calendar-color>#FF0000</a:calendar-color><cs:getctag>"7"</cs:getctag><d:sync-token>urn:tok:1</d:sync-token><d:supported-report-set><d:supported-report><d:report><d:sync-collection/></d:report></d:supported-report></d:supported-report-set><c:supported-calendar-component-set><c:comp name="VEVENT"/><c:comp name="VTODO"/></c:supported-calendar-component-set><d:current-user-privilege-set><d:privilege><d:read/></d:privilege><d:privilege><d:write/></d:privilege></d:current-user-privilege-set>`),
            ok('/dav/calendars/ann/tasks/', `${calendar}<d:displayname>Tasks</d:displayname><c:supported-calendar-component-set><c:comp name="VTODO"/></c:supported-calendar-component-set>`),
            ok('/dav/calendars/ann/shared/', `${calendar}<d:displayname>Shared</d:displayname><d:current-user-privilege-set><d:privilege><d:read/></d:privilege></d:current-user-privilege-set>`),
          ].join(''));
        default:
          return void res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test('caldav discovery: well-known URL, absolute home, event calendars only, privileges', async () => {
  const found = await discoverCalendars({ serverUrl: `${origin}/`, username: 'ann', password: 'right' });
  assert.equal(found.principalUrl, `${origin}/dav/principals/ann/`);
  assert.deepEqual(found.homeUrls, [`${origin}/dav/calendars/ann/`]);
  assert.deepEqual(found.calendars, [
    {
      remoteCalendarId: `${origin}/dav/calendars/ann/work/`,
      displayName: 'Work',
      color: '#FF0000',
      ctag: '"7"',
      syncToken: 'urn:tok:1',
      supportsSyncCollection: true,
      components: ['VEVENT', 'VTODO'],
      writable: true,
    },
    {
      remoteCalendarId: `${origin}/dav/calendars/ann/shared/`,
      displayName: 'Shared',
      color: null,
      ctag: null,
      syncToken: null,
      supportsSyncCollection: false,
      components: [],
      writable: false,
    },
  ]);
});

test('caldav discovery: a wrong password is auth-revoked', async () => {
  await assert.rejects(discoverCalendars({ serverUrl: `${origin}/`, username: 'ann', password: 'wrong' }), (e: unknown) => isConnectorError(e, 'auth-revoked'));
});

test('caldav discovery: an address the URL guard refuses is said so, not taken for a server without CalDAV', async () => {
  const guarded = guardedFetch(globalThis.fetch, createUrlGuard()) as typeof fetch;
  await assert.rejects(discoverCalendars({ serverUrl: `${origin}/`, username: 'ann', password: 'right', fetch: guarded }),
    (e: unknown) => requestFailureOf(e)?.reason === 'url-refused' && /loopback address; set CALSYNC_ALLOW_PRIVATE_URLS=1/.test((e as Error).message));
});

test('caldav discovery: a URL that is not one is refused before any request', async () => {
  let requests = 0;
  const counting = (async () => { requests++; throw new Error('no request expected'); }) as typeof fetch;
  await assert.rejects(discoverCalendars({ serverUrl: 'caldav.example.com', username: 'ann', password: 'right', fetch: counting }),
    (e: unknown) => requestFailureOf(e)?.reason === 'url-invalid' && (e as Error).message === '"caldav.example.com" is not a valid URL');
  assert.equal(requests, 0);
});

test('caldav discovery: a web server is not a CalDAV server, and its page is not quoted', async () => {
  const web = createServer((req, res) => {
    req.resume();
    res.writeHead(req.url === '/.well-known/caldav' ? 404 : 200, { 'content-type': 'text/html' }).end('<!DOCTYPE html><html><body>Welcome to nginx!</body></html>');
  });
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  const site = `http://127.0.0.1:${(web.address() as AddressInfo).port}/`;
  try {
    await assert.rejects(discoverCalendars({ serverUrl: site, username: 'ann', password: 'right' }), (e: unknown) =>
      isConnectorError(e, 'permanent') && requestFailureOf(e)?.reason === 'not-caldav'
      && (e as Error).message === `${site} is not a CalDAV server: PROPFIND there answered HTTP 200 with a web page, and /.well-known/caldav HTTP 404 with a web page`);
  } finally {
    web.close();
  }
});
