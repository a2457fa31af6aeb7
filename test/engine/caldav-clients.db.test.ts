// The corpus of real clients' exports (test/fixtures/clients/), put into a Xandikos
// calendar by another client next to one item nothing can read, synced two-way through
// one calendar to an empty Radicale calendar by real passes: every fixture arrives once
// with every instance at the instant its producer meant (expected.json, computed without
// calsync), the unreadable item is quarantined while its neighbours sync, quiet passes
// write nothing, and edits another client makes on Radicale reach Xandikos.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import type { RemoteLiveItem, UnreadableItem } from '../../src/connectors/connector.ts';
import { createCalDavConnector } from '../../src/connectors/caldav/index.ts';
import { parseCalendar } from '../../src/core/ical/index.ts';
import type { EventSeries } from '../../src/core/model.ts';
import { syncBinding, type EngineDeps } from '../../src/engine/sync-pass.ts';
import { connectorFactory, urlGuard } from '../../src/main/connectors.ts';
import { createAccount } from '../../src/store/accounts.ts';
import { createBinding, getBinding, type Binding } from '../../src/store/bindings.ts';
import { createCalendar } from '../../src/store/calendars.ts';
import { listSeriesPage } from '../../src/store/events.ts';
import { listQuarantined } from '../../src/store/quarantine.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { createTenant } from '../../src/store/tenants.ts';
import { makeCalendar, missingServer, otherClientCalendar, rawRequest, startCalDavServer, type CalDavServer } from '../helpers/caldav-servers.ts';
import { corpusFile, corpusManifest, instantsIn, type ExpectedInstances } from '../helpers/client-corpus.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

const missing = missingServer('radicale') ?? missingServer('xandikos');
let t: TestDatabase;
const servers: CalDavServer[] = [];

before(async () => {
  if (missing) return;
  t = await freshDatabase();
  servers.push(await startCalDavServer('xandikos'), await startCalDavServer('radicale'));
});
after(async () => {
  for (const server of servers) await server.stop();
  await t?.drop();
});

const fixtures = Object.keys(corpusManifest.fixtures).sort();
const uidOf = new Map(fixtures.map((name) => [name, parseCalendar(corpusFile(name)).series[0]!.uid]));

// Xandikos refuses the corpus's garbage file outright (412 valid-calendar-data), so the
// item nothing can read is one both servers store and calsync's model refuses.
const unreadableName = 'ends-before-it-starts.ics';
const unreadable = otherClientCalendar(['BEGIN:VEVENT', 'UID:ends-before-it-starts@other', 'DTSTAMP:20250101T000000Z',
  'DTSTART:20250302T090000Z', 'DTEND:20250302T080000Z', 'SUMMARY:Ends before it starts', 'END:VEVENT']);

async function listRemote(server: CalDavServer, collection: string): Promise<{ items: RemoteLiveItem[]; unreadable: UnreadableItem[] }> {
  const connector = createCalDavConnector({ serverUrl: server.url, username: server.username, password: server.password });
  const items: RemoteLiveItem[] = [];
  const refused: UnreadableItem[] = [];
  let page = await connector.listChanges(collection, null);
  for (;;) {
    for (const item of page.items) if (!item.deleted) items.push(item);
    refused.push(...(page.unreadable ?? []));
    if (page.nextPageToken === null) return { items, unreadable: refused };
    page = await connector.listChanges(collection, null, page.nextPageToken);
  }
}

/** What a side holds that differs from the corpus: fixtures missing or held twice, instances elsewhere than meant, strangers. */
function differences(side: string, held: EventSeries[], expected: (name: string) => ExpectedInstances): string[] {
  const problems: string[] = [];
  for (const name of fixtures) {
    const copies = held.filter((s) => s.uid === uidOf.get(name));
    if (copies.length !== 1) {
      problems.push(`${side}: ${name} held ${copies.length} times`);
      continue;
    }
    const want = expected(name);
    const got = instantsIn(copies[0]!, want);
    if (JSON.stringify(got) !== JSON.stringify(want.instances)) {
      problems.push(`${side}: ${name}: instances ${JSON.stringify(got)}, meant ${JSON.stringify(want.instances)}`);
    }
  }
  const known = new Set(uidOf.values());
  for (const series of held) if (!known.has(series.uid)) problems.push(`${side}: holds ${series.uid}, not in the corpus`);
  return problems;
}

/** Another client's edit of the object it read, in the master VEVENT: each line rewritten by `replace`, and a line made from DTSTART added after it. */
function editMaster(text: string, edit: { replace: [RegExp, string][]; addAfterStart?: (dtstart: string) => string }): string {
  const lines = text.replace(/\r\n[ \t]/g, '').split('\r\n');
  const begins = lines.flatMap((line, i) => (line === 'BEGIN:VEVENT' ? [i] : []));
  const start = begins.find((i) => !lines.slice(i, lines.indexOf('END:VEVENT', i)).some((l) => l.startsWith('RECURRENCE-ID')))!;
  const end = lines.indexOf('END:VEVENT', start);
  const master = lines.slice(start, end).flatMap((line) => {
    const replaced = edit.replace.reduce((l, [from, to]) => l.replace(from, to), line);
    return line.startsWith('DTSTART') && edit.addAfterStart ? [replaced, edit.addAfterStart(line)] : [replaced];
  });
  return [...lines.slice(0, start), ...master, ...lines.slice(end)].join('\r\n');
}

test('the clients\' corpus syncs completely from Xandikos to Radicale through one calendar, every instance at the meant instant', { skip: missing ?? false, timeout: 120_000 }, async () => {
  const [xandikos, radicale] = servers as [CalDavServer, CalDavServer];
  const collections = { xandikos: await makeCalendar(xandikos), radicale: await makeCalendar(radicale) };

  // Another client fills Xandikos, the original text of every fixture.
  for (const name of fixtures) {
    assert.equal((await rawRequest(xandikos, 'PUT', `${collections.xandikos}${name}`, corpusFile(name))).status, 201, name);
  }
  assert.equal((await rawRequest(xandikos, 'PUT', `${collections.xandikos}${unreadableName}`, unreadable)).status, 201);

  const secrets = new Secrets(parseSecretKey(generateSecretKeyText()));
  const tenantId = (await createTenant(t.db, 'clients')).id;
  const calendarId = (await createCalendar(t.db, tenantId, { summary: 'clients', timeZone: 'UTC' })).id;
  const bindings: Binding[] = [];
  for (const server of [xandikos, radicale]) {
    const account = await createAccount(t.db, secrets, tenantId, {
      provider: 'caldav', serverUrl: server.url, login: server.username, credentials: { username: server.username, password: server.password },
    });
    bindings.push(await createBinding(t.db, tenantId, { calendarId, accountId: account.id, remoteCalendarId: collections[server.kind] }));
  }
  const [xandikosBinding, radicaleBinding] = bindings as [Binding, Binding];
  const engine: EngineDeps = {
    db: t.db, logger: pino({ level: 'silent' }), now: () => new Date(), workerName: 'clients', debounceMs: 0,
    connectorFor: connectorFactory({ db: t.db, secrets, fetch: globalThis.fetch, guard: urlGuard({ allowPrivateUrls: true, allowedUrlHosts: [] }) }),
  };

  /** One pass of each binding, in this order; returns how many writes they made. Every pass must succeed. */
  const round = async (order: Binding[]): Promise<number> => {
    let writes = 0;
    for (const binding of order) {
      const result = await syncBinding(engine, { tenantId, bindingId: binding.id, trigger: 'manual' });
      assert.equal(result.outcome, 'ok', `${binding.remoteCalendarId}: ${JSON.stringify(result.error ?? result.stop)}`);
      assert.equal(result.stats.failed, 0);
      writes += result.stats.calendarWrites + result.stats.remoteWrites;
    }
    return writes;
  };
  const calendarSeries = async () => (await listSeriesPage(t.db, tenantId, calendarId, null, 1000)).map((s) => s.series);
  const asMeant = (name: string) => corpusManifest.fixtures[name]!;

  assert.equal(await round([xandikosBinding, radicaleBinding]), 2 * fixtures.length, 'the first round takes each fixture into the calendar and out to Radicale once');
  assert.equal(await round([xandikosBinding, radicaleBinding]), 0, 'the second round writes nothing: no echo of what the servers rewrote');

  assert.deepEqual(differences('calendar', await calendarSeries(), asMeant), []);
  const onRadicale = await listRemote(radicale, collections.radicale);
  assert.deepEqual(onRadicale.unreadable, []);
  assert.deepEqual(differences('radicale', onRadicale.items.map((i) => i.series), asMeant), []);

  // The unreadable item is listed for the Xandikos binding with its reason, stays where
  // it is, and did not hold up the cursor.
  const quarantined = await listQuarantined(t.db, tenantId, { bindingId: xandikosBinding.id });
  assert.deepEqual(quarantined.map((q) => q.remoteId), [`${collections.xandikos}${unreadableName}`]);
  assert.match(quarantined[0]!.reason, /ends-before-it-starts@other.*end is before start/);
  assert.deepEqual(await listQuarantined(t.db, tenantId, { bindingId: radicaleBinding.id }), []);
  assert.equal((await rawRequest(xandikos, 'GET', `${collections.xandikos}${unreadableName}`)).status, 200);
  for (const binding of bindings) assert.notEqual((await getBinding(t.db, tenantId, binding.id)).cursor, null, `${binding.remoteCalendarId}: cursor stored`);

  // Another client edits two fixtures on Radicale with If-Match: the Google series loses
  // its first instance (an EXDATE on its DTSTART) and is renamed; the Outlook series in
  // its customized pre-2007 US zone is renamed, its instants unchanged.
  const google = 'google_export_moved_and_cancelled.ics';
  const outlook = 'outlook_customized_time_zone_old_us_rules.ics';
  const edits: Record<string, { summary: string; edit: Parameters<typeof editMaster>[1] }> = {
    [google]: {
      summary: 'Design sync (from April 14)',
      edit: { replace: [[/^SUMMARY(;[^:]*)?:.*$/, 'SUMMARY:Design sync (from April 14)']], addAfterStart: (dtstart) => `EXDATE${dtstart.slice('DTSTART'.length)}` },
    },
    [outlook]: { summary: 'Monday review (room 2)', edit: { replace: [[/^SUMMARY(;[^:]*)?:.*$/, 'SUMMARY:Monday review (room 2)']] } },
  };
  for (const [name, { edit }] of Object.entries(edits)) {
    const item = onRadicale.items.find((i) => i.series.uid === uidOf.get(name))!;
    const current = await rawRequest(radicale, 'GET', item.remoteId);
    const put = await rawRequest(radicale, 'PUT', item.remoteId, editMaster(current.text, edit), { 'if-match': current.etag! });
    assert.ok([200, 201, 204].includes(put.status), `${name}: PUT ${put.status} ${put.text}`);
  }
  const asMeantAfterEdits = (name: string) => name === google ? { ...asMeant(name), instances: asMeant(name).instances.slice(1) } : asMeant(name);

  assert.equal(await round([radicaleBinding, xandikosBinding]), 4, 'the edits are taken in and written out, each once');
  assert.equal(await round([radicaleBinding, xandikosBinding]), 0, 'and then nothing more is written');
  const onXandikos = await listRemote(xandikos, collections.xandikos);
  assert.deepEqual(onXandikos.unreadable.map((u) => u.remoteId), [`${collections.xandikos}${unreadableName}`]);
  assert.deepEqual(differences('xandikos', onXandikos.items.map((i) => i.series), asMeantAfterEdits), []);
  assert.deepEqual(differences('calendar', await calendarSeries(), asMeantAfterEdits), []);
  for (const [name, { summary }] of Object.entries(edits)) {
    assert.equal(onXandikos.items.find((i) => i.series.uid === uidOf.get(name))!.series.master!.summary, summary, name);
  }
});
