// CalDAV behaviour beyond the contract, on real Radicale and Xandikos: discovery,
// RFC 6578 changes, invalid tokens, conditional writes, round trips and request counts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createCalDavConnector, discoverCalendars, type CalDavConnectorOptions } from '../../src/connectors/caldav/index.ts';
import { isConnectorError, type RemoteItem } from '../../src/connectors/connector.ts';
import { contentHash } from '../../src/core/hash.ts';
import { parseCalendar } from '../../src/core/ical/index.ts';
import type { CanonicalEvent, EventSeries } from '../../src/core/model.ts';
import { instance, single, weekly } from '../helpers/events.ts';
import { makeCalendar, missingServer, otherClientEvent, rawRequest, startCalDavServer, type CalDavServer, type ServerKind } from '../helpers/caldav-servers.ts';
import { canonical } from '../fixtures/ical/canonical.ts';
import { fixture, goodFixtures } from '../fixtures/ical/fixtures.ts';
import { listAll } from './contract.ts';

/** A fetch that records `METHOD` or `REPORT <report name>` per request. */
/** countingFetch whose answers carry a Date `ms` later than the server's, as if read later. */
function shiftedDates(ms: number): { fetch: typeof fetch; requests: string[] } {
  const counted = countingFetch();
  const shifted = (async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    const response = await counted.fetch(input, init);
    const date = response.headers.get('date');
    if (date === null) return response;
    const headers = new Headers(response.headers);
    headers.set('date', new Date(Date.parse(date) + ms).toUTCString());
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }) as typeof fetch;
  return { fetch: shifted, requests: counted.requests };
}

export function countingFetch(): { fetch: typeof fetch; requests: string[] } {
  const requests: string[] = [];
  const counted: typeof fetch = async (input, init) => {
    const method = init?.method ?? 'GET';
    const report = method === 'REPORT' ? /<\w+:([\w-]+)/.exec(String(init?.body ?? ''))?.[1] : undefined;
    requests.push(report ? `REPORT ${report}` : method);
    return fetch(input, init);
  };
  return { fetch: counted, requests };
}

interface Rewrite {
  fields: ('summary' | 'description' | 'categories')[];
  why: string;
}

/** What each server changes in stored content, by fixture (`raw …`: as another client wrote it). */
const serverRewrites: Record<ServerKind, Record<string, Rewrite>> = {
  radicale: {
    'raw folded_lines.ics': { fields: ['summary', 'description'], why: 'vobject cuts TEXT at the first unescaped comma' },
  },
  xandikos: {
    'escaped_text.ics': { fields: ['categories'], why: 'python-icalendar drops the escape of "Food\\, Drink", making two categories' },
    'raw folded_lines.ics': { fields: ['summary', 'description'], why: 'a fold inside a UTF-8 sequence comes back as U+FFFD' },
  },
};

function blank(series: EventSeries, fields: Rewrite['fields']): EventSeries {
  const clear = (e: CanonicalEvent): CanonicalEvent => ({
    ...e,
    ...(fields.includes('summary') ? { summary: '' } : {}),
    ...(fields.includes('description') ? { description: '' } : {}),
    ...(fields.includes('categories') ? { categories: [] } : {}),
  });
  return { ...series, master: series.master && clear(series.master), overrides: series.overrides.map(clear) };
}

const latest = (items: RemoteItem[]) => new Map(items.map((i) => [i.remoteId, i]));
const expired = (e: unknown) => isConnectorError(e, 'cursor-expired');

for (const kind of ['radicale', 'xandikos'] as ServerKind[]) {
  const missing = missingServer(kind);
  if (missing !== null) {
    test(`caldav ${kind}`, (t) => t.skip(missing));
    continue;
  }

  describe(`caldav ${kind}`, () => {
    let server: CalDavServer;
    before(async () => {
      server = await startCalDavServer(kind);
    });
    after(async () => {
      await server?.stop();
    });
    const connect = (options: Partial<CalDavConnectorOptions> = {}) =>
      createCalDavConnector({ serverUrl: server.url, username: server.username, password: server.password, ...options });

    test('discovery finds the calendar with its name, ctag and sync support', async () => {
      const collection = await makeCalendar(server, 'Team & Co');
      const found = await discoverCalendars({ serverUrl: server.url, username: server.username, password: server.password });
      const calendar = found.calendars.find((c) => new URL(c.remoteCalendarId).pathname === collection);
      assert.ok(calendar, `discovered ${found.calendars.map((c) => c.remoteCalendarId).join(', ')}`);
      assert.equal(calendar.displayName, 'Team & Co');
      assert.equal(calendar.supportsSyncCollection, true);
      assert.ok(calendar.ctag && calendar.syncToken);
      assert.ok(calendar.writable);
      // Xandikos 0.2.8 does not store Apple's calendar-color (404 propstat).
      assert.equal(calendar.color, kind === 'radicale' ? '#1E90FFFF' : null);
      const connector = connect();
      await connector.create(calendar.remoteCalendarId, single({ uid: 'found' }), { calsyncId: 'cs-found' });
      assert.equal((await listAll(connector, calendar.remoteCalendarId, null)).items.length, 1);
    });

    test('sync-collection returns exactly the changes since the cursor, removals as deleted items', async () => {
      const connector = connect();
      const cal = await makeCalendar(server);
      const a = await connector.create(cal, single({ uid: 'a' }), { calsyncId: 'cs-a' });
      const b = await connector.create(cal, single({ uid: 'b' }), { calsyncId: 'cs-b' });
      const c = await connector.create(cal, single({ uid: 'c' }), { calsyncId: 'cs-c' });
      await connector.create(cal, single({ uid: 'untouched' }), { calsyncId: 'cs-untouched' });
      const { cursor } = await listAll(connector, cal, null);
      await connector.update(cal, a.remoteId, single({ uid: 'a', summary: 'A2' }), { ifMatch: a.etag });
      await connector.delete(cal, c.remoteId, { ifMatch: c.etag });
      const other = `${cal}other-client.ics`;
      assert.equal((await rawRequest(server, 'PUT', other, otherClientEvent('other'))).status, 201);
      assert.ok([200, 204].includes((await rawRequest(server, 'DELETE', b.remoteId)).status));

      const changes = await listAll(connector, cal, cursor);
      assert.equal(changes.complete, false);
      const byId = latest(changes.items);
      assert.deepEqual([...byId.keys()].sort(), [a.remoteId, b.remoteId, c.remoteId, other].sort());
      const edited = byId.get(a.remoteId);
      assert.ok(edited && !edited.deleted && edited.series.master?.summary === 'A2' && edited.calsyncId === 'cs-a');
      assert.equal(byId.get(b.remoteId)?.deleted, true);
      assert.equal(byId.get(c.remoteId)?.deleted, true);
      const foreign = byId.get(other);
      assert.ok(foreign && !foreign.deleted && foreign.calsyncId === null && foreign.series.uid === 'other');
      assert.deepEqual((await listAll(connector, cal, changes.cursor)).items, []);
    });

    test('an item made after a cursor and deleted since: reported where keepsDeletionsSince says so (Radicale), not elsewhere (Xandikos)', async () => {
      const connector = connect();
      const cal = await makeCalendar(server);
      await connector.create(cal, single({ uid: 'stays' }), { calsyncId: 'cs-stays' });
      const { cursor } = await listAll(connector, cal, null);
      const brief = await connector.create(cal, single({ uid: 'brief' }), { calsyncId: '0b7e2a52-61c4-4f0e-9a57-3c1f08d2d6a1' });
      assert.ok([200, 204].includes((await rawRequest(server, 'DELETE', brief.remoteId)).status));
      const keeps = connector.keepsDeletionsSince(cursor!);
      assert.equal(keeps, kind === 'radicale');
      const changes = await listAll(connector, cal, cursor);
      assert.deepEqual(changes.items.map((i) => [i.remoteId, i.deleted, i.calsyncId]), keeps ? [[brief.remoteId, true, '0b7e2a52-61c4-4f0e-9a57-3c1f08d2d6a1']] : []);
    });

    test('a pass with no changes costs one request (two on Radicale until its probe is trusted); reads never multiget what a listing can carry', async (t) => {
      const cal = await makeCalendar(server);
      const setup = connect();
      for (let i = 0; i < 5; i++) await setup.create(cal, single({ uid: `n${i}` }), { calsyncId: `cs-n${i}` });

      const full = countingFetch();
      const { cursor } = await listAll(connect({ fetch: full.fetch }), cal, null);
      assert.deepEqual(full.requests, ['PROPFIND', 'REPORT calendar-query']);

      // Radicale sends its collection's getlastmodified: read first (probe.ts), then the REPORT
      // until the value has been seen to follow a change.
      const probe = kind === 'radicale' ? ['PROPFIND'] : [];
      const noop = countingFetch();
      assert.deepEqual((await listAll(connect({ fetch: noop.fetch }), cal, cursor)).items, []);
      assert.deepEqual(noop.requests, [...probe, 'REPORT sync-collection']);

      // Xandikos leaves calendar-data out of sync-collection: a few changes are
      // multigot, more than a batch come from one calendar-query instead.
      for (let i = 0; i < 5; i++) await rawRequest(server, 'PUT', `${cal}x${i}.ics`, otherClientEvent(`x${i}`));
      const few = countingFetch();
      const fewChanges = await listAll(connect({ fetch: few.fetch }), cal, cursor);
      const many = countingFetch();
      const manyChanges = await listAll(connect({ fetch: many.fetch, multigetBatch: 2 }), cal, cursor);
      for (const listing of [fewChanges, manyChanges]) {
        assert.deepEqual(listing.items.map((i) => i.deleted || i.series.uid).sort(), ['x0', 'x1', 'x2', 'x3', 'x4']);
      }
      const fetched = kind === 'xandikos';
      assert.deepEqual(few.requests, [...probe, 'REPORT sync-collection', ...(fetched ? ['REPORT calendar-multiget'] : [])]);
      assert.deepEqual(many.requests, [...probe, 'REPORT sync-collection', ...(fetched ? ['REPORT calendar-query'] : [])]);
      t.diagnostic(`${kind}: full listing ${full.requests.length} requests, no-op ${noop.requests.length}, 5 changes ${few.requests.length}`);
    });

    test('a quiet collection costs one PROPFIND once its getlastmodified has followed a change (Radicale); none is sent where the server has none', { skip: kind !== 'radicale' && 'Xandikos sends no getlastmodified for collections' }, async () => {
      const cal = await makeCalendar(server);
      await connect().create(cal, single({ uid: 'p0' }), { calsyncId: 'cs-p0' });
      const { cursor: first } = await listAll(connect(), cal, null);
      assert.match(first, /^caldav-sync-probed:/);
      // getlastmodified has one-second resolution: changes in a later second move it.
      const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1100));
      await nextSecond();
      await rawRequest(server, 'PUT', `${cal}p1.ics`, otherClientEvent('p1'));
      // The probe believes "unchanged" only of a value read 2 s before its answer: these
      // listings happen 3 s later in the server's Date header.
      const later = shiftedDates(3000);
      const seen = await listAll(connect({ fetch: later.fetch }), cal, first);
      assert.deepEqual(seen.items.map((i) => !i.deleted && i.series.uid), ['p1']);
      assert.deepEqual(later.requests, ['PROPFIND', 'REPORT sync-collection']);

      const quiet = shiftedDates(3000);
      const nothing = await listAll(connect({ fetch: quiet.fetch }), cal, seen.cursor);
      assert.deepEqual(nothing.items, []);
      assert.equal(nothing.cursor, seen.cursor);
      assert.deepEqual(quiet.requests, ['PROPFIND']);

      await nextSecond();
      await rawRequest(server, 'DELETE', `${cal}p1.ics`);
      const again = shiftedDates(3000);
      const gone = await listAll(connect({ fetch: again.fetch }), cal, seen.cursor);
      assert.deepEqual(gone.items.map((i) => i.deleted), [true], 'a deletion moves the value too');
      assert.deepEqual(again.requests, ['PROPFIND', 'REPORT sync-collection']);
    });

    test('without sync-collection, ctag and etags find the same changes; a quiet ctag costs one request', async () => {
      const cal = await makeCalendar(server);
      const connector = connect({ useSyncCollection: false });
      const a = await connector.create(cal, single({ uid: 'a' }), { calsyncId: 'cs-a' });
      const b = await connector.create(cal, single({ uid: 'b' }), { calsyncId: 'cs-b' });
      const { cursor } = await listAll(connector, cal, null);
      assert.match(cursor, /^caldav-etags:/);

      const noop = countingFetch();
      const quiet = await listAll(connect({ useSyncCollection: false, fetch: noop.fetch }), cal, cursor);
      assert.deepEqual(quiet.items, []);
      assert.equal(quiet.cursor, cursor);
      assert.deepEqual(noop.requests, ['PROPFIND']);

      await connector.update(cal, a.remoteId, single({ uid: 'a', summary: 'A2' }), { ifMatch: a.etag });
      await rawRequest(server, 'DELETE', b.remoteId);
      await rawRequest(server, 'PUT', `${cal}new.ics`, otherClientEvent('new'));
      const changes = latest((await listAll(connector, cal, cursor)).items);
      assert.deepEqual([...changes.keys()].sort(), [a.remoteId, b.remoteId, `${cal}new.ics`].sort());
      assert.equal(changes.get(b.remoteId)?.deleted, true);
      const edited = changes.get(a.remoteId);
      assert.ok(edited && !edited.deleted && edited.series.master?.summary === 'A2');
    });

    test('invalid and garbage sync tokens are cursor-expired, and a full listing still works', async () => {
      const connector = connect();
      const cal = await makeCalendar(server);
      await connector.create(cal, single({ uid: 'kept' }), { calsyncId: 'cs-kept' });
      for (const cursor of [
        'caldav-sync:BOGUS',
        `caldav-sync:${'0'.repeat(40)}`,
        `caldav-sync:http://radicale.org/ns/sync/${'0'.repeat(64)}`,
        'm1:0:0',
      ]) {
        await assert.rejects(connector.listChanges(cal, cursor), expired, cursor);
      }
      const full = await listAll(connector, cal, null);
      assert.equal(full.complete, true);
      assert.equal(full.items.length, 1);
    });

    test('If-Match mismatches are precondition-failed and change nothing', async () => {
      const connector = connect();
      const cal = await makeCalendar(server);
      const created = await connector.create(cal, single({ uid: 'guarded' }), { calsyncId: 'cs-guarded' });
      const failed = (e: unknown) => isConnectorError(e, 'precondition-failed') && e.remoteId === created.remoteId;
      await assert.rejects(connector.update(cal, created.remoteId, single({ uid: 'guarded', summary: 'x' }), { ifMatch: '"stale"' }), failed);
      await assert.rejects(connector.delete(cal, created.remoteId, { ifMatch: '"stale"' }), failed);
      // A change by another client between read and write: the server's 412 decides.
      await rawRequest(server, 'PUT', created.remoteId, otherClientEvent('guarded', 'Edited elsewhere'));
      await assert.rejects(connector.update(cal, created.remoteId, single({ uid: 'guarded', summary: 'y' }), { ifMatch: created.etag }), failed);
      const [item] = (await listAll(connector, cal, null)).items;
      assert.ok(item && !item.deleted && item.series.master?.summary === 'Edited elsewhere');
    });

    test('create twice with one calsync id makes one resource; a foreign resource in the way is refused', async () => {
      const connector = connect();
      const cal = await makeCalendar(server);
      const first = await connector.create(cal, single({ uid: 'twice' }), { calsyncId: 'cs/twice with spaces' });
      const second = await connector.create(cal, single({ uid: 'twice' }), { calsyncId: 'cs/twice with spaces' });
      assert.deepEqual(second, first);
      assert.match(first.remoteId, /^[\w/.-]+$/, 'the href is URL-safe');
      assert.equal((await listAll(connector, cal, null)).items.length, 1);

      await rawRequest(server, 'PUT', `${cal}cs-taken.ics`, otherClientEvent('taken'));
      await assert.rejects(connector.create(cal, single({ uid: 'mine' }), { calsyncId: 'cs-taken' }), (e: unknown) => isConnectorError(e, 'precondition-failed'));
      // The same UID under another href (CALDAV:no-uid-conflict): a pull matches it by UID.
      await assert.rejects(connector.create(cal, single({ uid: 'taken' }), { calsyncId: 'cs-other' }), (e: unknown) => isConnectorError(e, 'precondition-failed'));
    });

    test('a weekly series with an EXDATE and a moved instance round-trips with the same content hash', async () => {
      const connector = connect();
      const cal = await makeCalendar(server);
      const series = weekly({ uid: 'series', recurrence: { rrule: ['FREQ=WEEKLY;BYDAY=MO;COUNT=10'], rdate: [], exdate: ['2026-03-16T10:00:00'] } }, [
        instance('2026-03-09', { uid: 'series', summary: 'Moved', start: { local: '2026-03-10T14:00:00', tz: 'Europe/Berlin' }, end: { local: '2026-03-10T15:00:00', tz: 'Europe/Berlin' } }),
      ]);
      const allDay = single({ uid: 'all-day', allDay: true, start: { local: '2026-03-05', tz: null }, end: { local: '2026-03-06', tz: null } });
      const newYork = single({ uid: 'new-york', start: { local: '2026-03-08T09:00:00', tz: 'America/New_York' }, end: { local: '2026-03-08T10:00:00', tz: 'America/New_York' } });
      const written = new Map<string, string>();
      for (const s of [series, allDay, newYork]) written.set((await connector.create(cal, s, { calsyncId: `cs-${s.uid}` })).remoteId, contentHash(s));
      for (const item of (await listAll(connector, cal, null)).items) {
        assert.ok(!item.deleted);
        assert.equal(contentHash(item.series), written.get(item.remoteId), item.series.uid);
      }
    });

    test('every iCalendar fixture survives the server, written by calsync or by another client', async () => {
      const connector = connect();
      const cal = await makeCalendar(server);
      const same = (got: EventSeries, sent: EventSeries, rewrite: Rewrite | undefined, what: string) => {
        const fields = rewrite?.fields ?? [];
        assert.equal(contentHash(blank(got, fields)), contentHash(blank(sent, fields)), what);
        if (rewrite) assert.notEqual(contentHash(got), contentHash(sent), `${what}: the known rewrite (${rewrite.why}) no longer happens`);
      };
      for (const name of goodFixtures) {
        const parsed = parseCalendar(fixture(name)).series;
        for (const [i, { calsyncId: _, ...series }] of parsed.entries()) {
          const { remoteId } = await connector.create(cal, series, { calsyncId: `cs-${name.replace(/\W/g, '-')}-${i}` });
          const item = latest((await listAll(connector, cal, null)).items).get(remoteId);
          assert.ok(item && !item.deleted, name);
          same(item.series, series, serverRewrites[kind][name], `${name} written by calsync`);
          await connector.delete(cal, remoteId, { ifMatch: item.etag });
        }
        if (parsed.length !== 1) continue;
        const href = `${cal}raw-${name}`;
        const put = await rawRequest(server, 'PUT', href, Buffer.from(fixture(name)).toString('utf8'));
        assert.ok(put.status === 201 || put.status === 204, `${name}: ${put.status} ${put.text}`);
        const item = latest((await listAll(connector, cal, null)).items).get(href);
        assert.ok(item && !item.deleted, name);
        const { calsyncId: _, ...expected } = parsed[0]!;
        same(item.series, expected, serverRewrites[kind][`raw ${name}`] ?? serverRewrites[kind][name], `${name} written by another client`);
        await rawRequest(server, 'DELETE', href);
      }
    });

    test('an item calsync creates carries no X-CALSYNC-ID: its href is the stamp, through update and a repeated create', async () => {
      const connector = connect();
      const cal = await makeCalendar(server);
      const id = '5d0c7f3e-2b1a-4c9d-8e7f-6a5b4c3d2e1f';
      const created = await connector.create(cal, single({ uid: 'href-stamped' }), { calsyncId: id });
      assert.equal(created.remoteId, `${new URL(cal, server.url).pathname}${id}.ics`);
      assert.doesNotMatch((await rawRequest(server, 'GET', created.remoteId)).text, /X-CALSYNC-ID/);
      const listed = latest((await listAll(connector, cal, null)).items).get(created.remoteId);
      assert.ok(listed && !listed.deleted);
      assert.equal(listed.calsyncId, id);

      const updated = await connector.update(cal, created.remoteId, single({ uid: 'href-stamped', summary: 'Renamed' }), { ifMatch: listed.etag });
      assert.doesNotMatch((await rawRequest(server, 'GET', created.remoteId)).text, /X-CALSYNC-ID/);
      assert.equal(latest((await listAll(connector, cal, null)).items).get(created.remoteId)?.calsyncId, id);
      // A create retried after a lost answer finds its own item at the href and adopts it.
      assert.deepEqual(await connector.create(cal, single({ uid: 'href-stamped' }), { calsyncId: id }), updated);
    });

    test('a conditional update of an item calsync created is one PUT; a stale or gone one is precondition-failed', async () => {
      const cal = await makeCalendar(server);
      const id = '7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a098';
      const created = await connect().create(cal, single({ uid: 'one-put' }), { calsyncId: id });
      const counted = countingFetch();
      const updated = await connect({ fetch: counted.fetch }).update(cal, created.remoteId, single({ uid: 'one-put', summary: 'Moved' }), { ifMatch: created.etag });
      assert.deepEqual(counted.requests, ['PUT']);
      assert.notEqual(updated.etag, created.etag);
      assert.match((await rawRequest(server, 'GET', created.remoteId)).text, /SUMMARY:Moved/);
      await assert.rejects(connect().update(cal, created.remoteId, single({ uid: 'one-put', summary: 'Stale' }), { ifMatch: created.etag }), (e: unknown) => isConnectorError(e, 'precondition-failed'));
      await connect().delete(cal, created.remoteId, { ifMatch: null });
      await assert.rejects(connect().update(cal, created.remoteId, single({ uid: 'one-put', summary: 'Gone' }), { ifMatch: updated.etag }), (e: unknown) => isConnectorError(e, 'precondition-failed') || isConnectorError(e, 'not-found'));
      assert.equal((await rawRequest(server, 'GET', created.remoteId)).status, 404, 'nothing was written');
    });

    test('without an ETag in the PUT answer, the etag read afterwards is answered only while the member holds what was PUT', async () => {
      const cal = await makeCalendar(server);
      let meanwhile: (() => Promise<unknown>) | null = null;
      // The server's PUT answers without their ETag header, as a server that rewrites content must (RFC 9110 §9.3.4).
      const etagless: typeof fetch = async (input, init) => {
        const response = await fetch(input, init);
        if (init?.method !== 'PUT' || !response.ok) return response;
        await meanwhile?.();
        meanwhile = null;
        const headers = new Headers(response.headers);
        headers.delete('etag');
        return new Response(response.status === 204 ? null : response.body, { status: response.status, headers });
      };
      const connector = connect({ fetch: etagless });
      const id = '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
      const created = await connector.create(cal, single({ uid: 'etagless' }), { calsyncId: id });
      assert.equal(created.etag, latest((await listAll(connector, cal, null)).items).get(created.remoteId)?.etag);

      meanwhile = () => rawRequest(server, 'PUT', created.remoteId, otherClientEvent('etagless', 'Their edit'));
      const updated = await connector.update(cal, created.remoteId, single({ uid: 'etagless', summary: 'Mine' }), { ifMatch: created.etag });
      assert.equal(updated.etag, '', 'the etag read belongs to their write, not to this one');
      const now = latest((await listAll(connector, cal, null)).items).get(created.remoteId);
      assert.ok(now && !now.deleted && now.series.master?.summary === 'Their edit');
      assert.notEqual(now.etag, updated.etag, 'the next listing shows it as changed');
    });

    test('a bench workload item copied by calsync has the same canonical content as the source on the server', async () => {
      const connector = connect();
      const source = await makeCalendar(server);
      const target = await makeCalendar(server);
      const name = 'bench_workload_item_with_stamps_and_tzname.ics';
      const href = `${source}bench-item.ics`;
      assert.ok([201, 204].includes((await rawRequest(server, 'PUT', href, Buffer.from(fixture(name)).toString('utf8'))).status));
      const [item] = (await listAll(connector, source, null)).items;
      assert.ok(item && !item.deleted);
      const copy = await connector.create(target, item.series, { calsyncId: '0b9e8d7c-6f5a-4b3c-9d2e-1f0a9b8c7d6e' });
      const stored = (await rawRequest(server, 'GET', href)).text;
      const copied = (await rawRequest(server, 'GET', copy.remoteId)).text;
      assert.equal(canonical(copied), canonical(stored));
    });

    test('a listing left idle between pages is closed; its page token then fails as transient', async () => {
      const cal = await makeCalendar(server);
      const connector = connect({ pageSize: 1, pageIdleMs: 50 });
      for (const uid of ['p1', 'p2', 'p3']) await connector.create(cal, single({ uid }), { calsyncId: `cs-${uid}` });
      const first = await connector.listChanges(cal, null);
      assert.ok(first.nextPageToken);
      await new Promise((resolve) => setTimeout(resolve, 150));
      await assert.rejects(connector.listChanges(cal, null, first.nextPageToken), (e: unknown) => isConnectorError(e, 'transient'));
      assert.equal((await listAll(connector, cal, null)).items.length, 3);
      await connector.close();
    });
  });
}
