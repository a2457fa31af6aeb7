// The origins a CalDAV account's login may go to are kept sealed with the login: an
// account connected before they were kept learns them once by discovery, and a binding
// whose remote calendar is on another host gets a refusal, not the login.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { requestFailureOf } from '../../src/connectors/request-failures.ts';
import { connectorFactory, urlGuard } from '../../src/main/connectors.ts';
import type { CalDavCredentials } from '../../src/connectors/caldav/provider.ts';
import { createAccount, readCredentials } from '../../src/store/accounts.ts';
import { createBinding } from '../../src/store/bindings.ts';
import { createCalendar } from '../../src/store/calendars.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { createTenant } from '../../src/store/tenants.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

const basic = `Basic ${Buffer.from('ann:right').toString('base64')}`;
const ms = (body: string) => `<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">${body}</d:multistatus>`;
const ok = (href: string, props: string) => `<d:response><d:href>${href}</d:href><d:propstat><d:prop>${props}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`;

let t: TestDatabase;
let principalHost: string;
let homeHost: string;
let otherHost: string;
const reachedOther: string[] = [];
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

before(async () => {
  t = await freshDatabase();
  otherHost = await serve((req, res) => {
    reachedOther.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
    res.writeHead(404).end();
  });
  homeHost = await serve((req, res) => {
    if (req.headers.authorization !== basic) return void res.writeHead(401).end();
    if (req.method === 'PROPFIND' && req.url === '/calendars/ann/') {
      return void res.writeHead(207).end(ms(ok('/calendars/ann/work/', '<d:resourcetype><d:collection/><c:calendar/></d:resourcetype>')));
    }
    res.writeHead(404).end();
  });
  principalHost = await serve((req, res) => {
    if (req.headers.authorization !== basic) return void res.writeHead(401).end();
    if (req.method === 'PROPFIND' && req.url === '/') return void res.writeHead(207).end(ms(ok('/', '<d:current-user-principal><d:href>/p/</d:href></d:current-user-principal>')));
    if (req.method === 'PROPFIND' && req.url === '/p/') return void res.writeHead(207).end(ms(ok('/p/', `<c:calendar-home-set><d:href>${homeHost}/calendars/ann/</d:href></c:calendar-home-set>`)));
    res.writeHead(404).end();
  });
});
after(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
  await t.drop();
});

test('an account without kept origins learns them once; a binding on another host is refused without the login', async () => {
  const secrets = new Secrets(parseSecretKey(generateSecretKeyText()));
  const tenantId = (await createTenant(t.db, 'origins')).id;
  const calendarId = (await createCalendar(t.db, tenantId, { summary: 'Work' })).id;
  const account = await createAccount(t.db, secrets, tenantId, {
    provider: 'caldav', serverUrl: `${principalHost}/`, login: 'ann', credentials: { username: 'ann', password: 'right' },
  });
  const onHome = await createBinding(t.db, tenantId, { calendarId, accountId: account.id, remoteCalendarId: `${homeHost}/calendars/ann/work/` });
  const onOther = await createBinding(t.db, tenantId, { calendarId, accountId: account.id, remoteCalendarId: `${otherHost}/calendars/ann/work/` });
  const factory = connectorFactory({ db: t.db, secrets, fetch: globalThis.fetch, guard: urlGuard({ allowPrivateUrls: true, allowedUrlHosts: [] }) });

  const connector = await factory(onHome);
  const stored = await readCredentials<CalDavCredentials>(t.db, secrets, tenantId, account.id);
  assert.deepEqual(stored, { username: 'ann', password: 'right', origins: [principalHost, homeHost] });
  assert.equal((await connector.read!(onHome.remoteCalendarId, '/calendars/ann/work/gone.ics')).deleted, true);

  const refused = await factory(onOther);
  await assert.rejects(refused.listChanges(onOther.remoteCalendarId, null), (e: unknown) => requestFailureOf(e)?.reason === 'origin-refused');
  assert.deepEqual(reachedOther, []);
});
