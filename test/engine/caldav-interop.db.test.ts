// One calendar bound two-way to a Radicale calendar and a Xandikos calendar, synced by
// workers through the queue, converges after another CalDAV client edits both servers.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeWorkerUtils, type Runner, type WorkerUtils } from 'graphile-worker';
import pino from 'pino';
import { createCalDavConnector } from '../../src/connectors/caldav/index.ts';
import { contentHash } from '../../src/core/hash.ts';
import type { EventSeries } from '../../src/core/model.ts';
import { normaliseSeries } from '../../src/core/normalise.ts';
import type { EngineDeps } from '../../src/engine/sync-pass.ts';
import { allTasks } from '../../src/jobs/tasks.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { connectorFactory, urlGuard } from '../../src/main/connectors.ts';
import { graphileLogger } from '../../src/main/graphile-logger.ts';
import { createAccount } from '../../src/store/accounts.ts';
import { createBinding, type Binding } from '../../src/store/bindings.ts';
import { createCalendar } from '../../src/store/calendars.ts';
import { listSeriesPage } from '../../src/store/events.ts';
import { queuePass } from '../../src/store/outbox.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { createTenant } from '../../src/store/tenants.ts';
import { berlinTimezone, makeCalendar, missingServer, otherClientCalendar, rawRequest, startCalDavServer, type CalDavServer } from '../helpers/caldav-servers.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

const missing = missingServer('radicale') ?? missingServer('xandikos');
let t: TestDatabase;
let utils: WorkerUtils;
let runner: Runner | undefined;
const servers: CalDavServer[] = [];

before(async () => {
  if (missing) return;
  t = await freshDatabase();
  utils = await makeWorkerUtils({ pgPool: t.db });
  servers.push(await startCalDavServer('radicale'), await startCalDavServer('xandikos'));
});
after(async () => {
  await runner?.stop();
  await utils?.release();
  for (const server of servers) await server.stop();
  await t?.drop();
});

const ics = otherClientCalendar;
const weeklyWithExdateAndMovedInstance = ics([...berlinTimezone,
  'BEGIN:VEVENT', 'UID:weekly-standup@other', 'DTSTAMP:20260101T000000Z', 'DTSTART;TZID=Europe/Berlin:20260302T093000',
  'DTEND;TZID=Europe/Berlin:20260302T094500', 'RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=12', 'EXDATE;TZID=Europe/Berlin:20260316T093000',
  'SUMMARY:Stand-up', 'END:VEVENT',
  'BEGIN:VEVENT', 'UID:weekly-standup@other', 'DTSTAMP:20260101T000000Z', 'RECURRENCE-ID;TZID=Europe/Berlin:20260323T093000',
  'DTSTART;TZID=Europe/Berlin:20260323T113000', 'DTEND;TZID=Europe/Berlin:20260323T114500', 'SUMMARY:Stand-up (moved)', 'END:VEVENT']);
const allDay = ics(['BEGIN:VEVENT', 'UID:offsite@other', 'DTSTAMP:20260101T000000Z', 'DTSTART;VALUE=DATE:20260410',
  'DTEND;VALUE=DATE:20260412', 'SUMMARY:Offsite', 'TRANSP:TRANSPARENT', 'END:VEVENT']);
const tokyo = (summary: string, location = '') => ics(['BEGIN:VTIMEZONE', 'TZID:Asia/Tokyo', 'BEGIN:STANDARD', 'DTSTART:19700101T000000',
  'TZOFFSETFROM:+0900', 'TZOFFSETTO:+0900', 'END:STANDARD', 'END:VTIMEZONE', 'BEGIN:VEVENT', 'UID:tokyo-call@other',
  'DTSTAMP:20260101T000000Z', 'DTSTART;TZID=Asia/Tokyo:20260305T180000', 'DTEND;TZID=Asia/Tokyo:20260305T190000',
  `SUMMARY:${summary}`, ...(location ? [`LOCATION:${location}`] : []), 'END:VEVENT']);
const newYork = (summary: string) => ics(['BEGIN:VEVENT', 'UID:ny-review@other', 'DTSTAMP:20260101T000000Z',
  'DTSTART;TZID=America/New_York:20260306T140000', 'DTEND;TZID=America/New_York:20260306T150000', `SUMMARY:${summary}`, 'END:VEVENT']);

async function quiesce(bindings: Binding[], timeoutMs = 120_000): Promise<void> {
  // Quiet when no pass is running or due within the debounce window, twice in a row.
  const deadline = Date.now() + timeoutMs;
  let quietRounds = 0;
  while (quietRounds < 2) {
    if (Date.now() > deadline) throw new Error('passes did not settle');
    const { rows: [row] } = await t.db.query<{ busy: string }>(
      `select count(*) as busy from graphile_worker.jobs where task_identifier = 'sync_binding'
          and key = any($1::text[]) and (locked_at is not null or run_at < now() + interval '2 seconds')`,
      [bindings.map((b) => `pass:${b.id}`)]);
    quietRounds = Number(row!.busy) === 0 ? quietRounds + 1 : 0;
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function remoteSeries(server: CalDavServer, collection: string): Promise<EventSeries[]> {
  const connector = createCalDavConnector({ serverUrl: server.url, username: server.username, password: server.password });
  const all: EventSeries[] = [];
  let page = await connector.listChanges(collection, null);
  for (;;) {
    for (const item of page.items) if (!item.deleted) all.push(item.series);
    if (page.nextPageToken === null) return all;
    page = await connector.listChanges(collection, null, page.nextPageToken);
  }
}

test('a calendar bound to Radicale and Xandikos converges after edits by another client on both', { skip: missing ?? false, timeout: 300_000 }, async () => {
  const [radicale, xandikos] = servers as [CalDavServer, CalDavServer];
  const secrets = new Secrets(parseSecretKey(generateSecretKeyText()));
  const tenantId = (await createTenant(t.db, 'interop')).id;
  const calendarId = (await createCalendar(t.db, tenantId, { summary: 'team', timeZone: 'Europe/Berlin' })).id;
  const collections = { radicale: await makeCalendar(radicale), xandikos: await makeCalendar(xandikos) };
  const bindings: Binding[] = [];
  for (const server of [radicale, xandikos]) {
    const account = await createAccount(t.db, secrets, tenantId, {
      provider: 'caldav', serverUrl: server.url, login: server.username, credentials: { username: server.username, password: server.password },
    });
    bindings.push(await createBinding(t.db, tenantId, { calendarId, accountId: account.id, remoteCalendarId: collections[server.kind] }));
  }
  const engine: EngineDeps = {
    db: t.db, logger: pino({ level: 'silent' }), now: () => new Date(), workerName: 'interop', debounceMs: 200,
    connectorFor: connectorFactory({ db: t.db, secrets, fetch: globalThis.fetch, guard: urlGuard({ allowPrivateUrls: true, allowedUrlHosts: [] }) }),
  };
  runner = await startWorker({ db: t.db, concurrency: 2, workerName: 'interop', engine, tasks: allTasks, logger: graphileLogger(pino({ level: 'silent' })) });

  // Another client fills both servers before the first pass.
  const put = (server: CalDavServer, name: string, body: string) => rawRequest(server, 'PUT', `${collections[server.kind]}${name}.ics`, body);
  assert.equal((await put(radicale, 'standup', weeklyWithExdateAndMovedInstance)).status, 201);
  assert.equal((await put(radicale, 'offsite', allDay)).status, 201);
  assert.equal((await put(xandikos, 'tokyo', tokyo('Tokyo call'))).status, 201);
  assert.equal((await put(xandikos, 'ny', newYork('NY review'))).status, 201);
  for (const b of bindings) await queuePass(t.db, tenantId, b.id, 'manual');
  await quiesce(bindings);

  const check = async (expected: number) => {
    const calendar = (await listSeriesPage(t.db, tenantId, calendarId, null, 1000)).map((s) => s.series);
    assert.equal(calendar.length, expected, 'calendar size');
    const want = new Map(calendar.map((s) => [s.uid, contentHash(normaliseSeries(s))]));
    for (const server of [radicale, xandikos]) {
      const remote = await remoteSeries(server, collections[server.kind]);
      assert.equal(remote.length, expected, `${server.kind} holds each event once`);
      for (const series of remote) assert.equal(contentHash(normaliseSeries(series)), want.get(series.uid), `${server.kind}: ${series.uid}`);
    }
    return calendar;
  };
  let calendar = await check(4);
  const standup = calendar.find((s) => s.uid === 'weekly-standup@other')!;
  assert.deepEqual(standup.master!.recurrence!.exdate, ['2026-03-16T09:30:00']);
  assert.equal(standup.overrides[0]!.start.local, '2026-03-23T11:30:00');
  assert.equal(calendar.find((s) => s.uid === 'offsite@other')!.master!.allDay, true);
  assert.equal(calendar.find((s) => s.uid === 'tokyo-call@other')!.master!.start.tz, 'Asia/Tokyo');

  // Edits by the other client: a delete on Radicale, an edit on Xandikos, and the same
  // event edited on both (different fields: both edits survive).
  const hrefOf = async (server: CalDavServer, uid: string) => {
    const connector = createCalDavConnector({ serverUrl: server.url, username: server.username, password: server.password });
    const page = await connector.listChanges(collections[server.kind], null);
    return page.items.find((i) => !i.deleted && i.series.uid === uid)!.remoteId;
  };
  const ok = (status: number) => assert.ok([200, 201, 204].includes(status), `status ${status}`);
  ok((await rawRequest(radicale, 'DELETE', await hrefOf(radicale, 'ny-review@other'))).status);
  ok((await rawRequest(xandikos, 'PUT', await hrefOf(xandikos, 'offsite@other'), allDay.replace('SUMMARY:Offsite', 'SUMMARY:Offsite (Lisbon)'))).status);
  ok((await rawRequest(radicale, 'PUT', await hrefOf(radicale, 'tokyo-call@other'), tokyo('Tokyo call', 'Zoom'))).status);
  ok((await rawRequest(xandikos, 'PUT', await hrefOf(xandikos, 'tokyo-call@other'), tokyo('Tokyo call with Kenji'))).status);
  for (const b of bindings) await queuePass(t.db, tenantId, b.id, 'manual');
  await quiesce(bindings);

  calendar = await check(3);
  assert.equal(calendar.some((s) => s.uid === 'ny-review@other'), false);
  assert.equal(calendar.find((s) => s.uid === 'offsite@other')!.master!.summary, 'Offsite (Lisbon)');
  const tokyoNow = calendar.find((s) => s.uid === 'tokyo-call@other')!.master!;
  assert.equal(tokyoNow.summary, 'Tokyo call with Kenji');
  assert.equal(tokyoNow.location, 'Zoom', 'the edit of another field on the other server is kept');
  const { rows: merges } = await t.db.query(`select rule from sync_operations where operation = 'merge'`);
  assert.ok(merges.length >= 1, 'the two-sided edit was merged and recorded');

  // Nothing left to do: a further pass on each side writes nothing.
  await runner.stop();
  runner = undefined;
  const { syncBinding } = await import('../../src/engine/sync-pass.ts');
  for (const b of bindings) {
    const result = await syncBinding(engine, { tenantId, bindingId: b.id, trigger: 'manual' });
    assert.equal(result.outcome, 'ok');
    assert.equal(result.stats.calendarWrites + result.stats.remoteWrites, 0, `${b.remoteCalendarId}: a second pass writes nothing`);
  }
});
