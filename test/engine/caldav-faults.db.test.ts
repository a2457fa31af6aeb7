// A CalDAV server that fails mid-pass (5xx, garbage, a dropped connection) leaves
// nothing half-applied, and the next pass completes the work without duplicates.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { createCalDavConnector } from '../../src/connectors/caldav/index.ts';
import { syncBinding, type EngineDeps } from '../../src/engine/sync-pass.ts';
import { connectorFactory, urlGuard } from '../../src/main/connectors.ts';
import { createAccount } from '../../src/store/accounts.ts';
import { createBinding } from '../../src/store/bindings.ts';
import { createCalendar } from '../../src/store/calendars.ts';
import { withTransaction } from '../../src/store/db.ts';
import { writeSeries } from '../../src/store/event-writes.ts';
import { listSeriesPage } from '../../src/store/events.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { createTenant } from '../../src/store/tenants.ts';
import { makeCalendar, missingServer, rawRequest, startCalDavServer, otherClientEvent, type CalDavServer } from '../helpers/caldav-servers.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { single } from '../helpers/events.ts';

type Fault = 'none' | '500' | 'garbage' | 'drop';
const missing = missingServer('radicale');
let t: TestDatabase;
let radicale: CalDavServer;
let proxy: http.Server;
let proxyUrl: string;
const faults = { mode: 'none' as Fault, afterRequests: 0, methods: [] as string[], seen: 0 };

before(async () => {
  if (missing) return;
  t = await freshDatabase();
  radicale = await startCalDavServer('radicale');
  // A proxy that passes requests to Radicale until told to fail some of them.
  proxy = http.createServer((req, res) => {
    const matches = faults.methods.includes(req.method ?? '');
    if (matches) faults.seen++;
    if (faults.mode !== 'none' && matches && faults.seen > faults.afterRequests) {
      if (faults.mode === '500') return res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
      if (faults.mode === 'garbage') return res.writeHead(207, { 'content-type': 'application/xml' }).end('<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"><d:response><d:hr');
      req.socket.destroy();
      return;
    }
    const upstream = http.request(new URL(req.url!, radicale.url), { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  }).listen(0, '127.0.0.1');
  await new Promise((r) => proxy.once('listening', r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}/`;
});
after(async () => {
  proxy?.close();
  await radicale?.stop();
  await t?.drop();
});

async function setup(name: string) {
  const secrets = new Secrets(parseSecretKey(generateSecretKeyText()));
  const tenantId = (await createTenant(t.db, name)).id;
  const calendarId = (await createCalendar(t.db, tenantId, { summary: name })).id;
  const collection = await makeCalendar(radicale, name);
  const account = await createAccount(t.db, secrets, tenantId, {
    provider: 'caldav', serverUrl: proxyUrl, login: radicale.username, credentials: { username: radicale.username, password: radicale.password },
  });
  const binding = await createBinding(t.db, tenantId, { calendarId, accountId: account.id, remoteCalendarId: collection });
  const engine: EngineDeps = {
    db: t.db, logger: pino({ level: 'silent' }), now: () => new Date(), workerName: 'faults', debounceMs: 0,
    connectorFor: connectorFactory({ db: t.db, secrets, fetch: globalThis.fetch, guard: urlGuard({ allowPrivateUrls: true, allowedUrlHosts: [] }) }),
  };
  const pass = () => syncBinding(engine, { tenantId, bindingId: binding.id, trigger: 'manual' });
  const remoteUids = async () => {
    const connector = createCalDavConnector({ serverUrl: radicale.url, username: radicale.username, password: radicale.password });
    const page = await connector.listChanges(collection, null);
    return page.items.flatMap((i) => (i.deleted ? [] : [i.series.uid])).sort();
  };
  const calendarUids = async () => (await listSeriesPage(t.db, tenantId, calendarId, null, 1000)).map((s) => s.series.uid).sort();
  return { tenantId, calendarId, collection, binding, pass, remoteUids, calendarUids, ctx: { tenantId, calendarId, actor: 'app' } };
}

for (const mode of ['500', 'garbage', 'drop'] as const) {
  test(`writes failing with ${mode} part-way are retried by the next pass; nothing is duplicated`, { skip: missing ?? false }, async () => {
    const world = await setup(`writes-${mode}`);
    for (let i = 0; i < 24; i++) await withTransaction(t.db, (c) => writeSeries(c, world.ctx, null, single({ uid: `w-${mode}-${i}`, summary: `event ${i}` })));
    Object.assign(faults, { mode, afterRequests: 10, methods: ['PUT'], seen: 0 });
    const broken = await world.pass();
    assert.equal(broken.outcome, 'partial');
    assert.equal(broken.stats.remoteWrites, 10);
    assert.equal(broken.stats.failed, 14);
    assert.equal((await world.remoteUids()).length, 10, 'only the writes that succeeded are on the server');
    const { rows } = await t.db.query<{ n: string }>('select count(*) as n from sync_status where binding_id = $1 and not pending', [world.binding.id]);
    assert.equal(Number(rows[0]!.n), 10, 'a status only for what the server confirmed');

    faults.mode = 'none';
    const healed = await world.pass();
    assert.equal(healed.outcome, 'ok');
    assert.deepEqual(await world.remoteUids(), await world.calendarUids());
    assert.equal((await world.remoteUids()).length, 24);
    assert.equal((await world.pass()).stats.remoteWrites, 0, 'and then nothing is left to do');
  });

  test(`a listing failing with ${mode} changes nothing; the next pass reads it all`, { skip: missing ?? false }, async () => {
    const world = await setup(`reads-${mode}`);
    for (let i = 0; i < 12; i++) {
      assert.equal((await rawRequest(radicale, 'PUT', `${world.collection}other-${i}.ics`, otherClientEvent(`r-${mode}-${i}`, `from another client ${i}`))).status, 201);
    }
    Object.assign(faults, { mode, afterRequests: 0, methods: ['REPORT', 'PROPFIND'], seen: 0 });
    // A transient failure ends the pass with an error, so its job is retried with backoff.
    await assert.rejects(world.pass(), { name: 'ConnectorError', kind: 'transient' });
    assert.deepEqual(await world.calendarUids(), []);
    const { rows: [b] } = await t.db.query<{ cursor: string | null; last_error: { code: string }; last_pass_outcome: string; lease_owner: string | null }>(
      'select cursor, last_error, last_pass_outcome, lease_owner from bindings where id = $1', [world.binding.id]);
    assert.equal(b!.cursor, null, 'no cursor was stored');
    assert.equal(b!.last_pass_outcome, 'failed');
    assert.equal(b!.last_error.code, 'transient');
    assert.equal(b!.lease_owner, null, 'the lease was released');

    faults.mode = 'none';
    const healed = await world.pass();
    assert.equal(healed.outcome, 'ok');
    assert.equal((await world.calendarUids()).length, 12);
  });
}
