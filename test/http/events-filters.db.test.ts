// events.list's extended-property filters through the official Google client:
// privateExtendedProperty and sharedExtendedProperty are `propertyName=value`
// constraints, "repeated multiple times to return events that match all given
// constraints" (events.list reference), each matching its own kind of property only.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { calendar as googleCalendar, type calendar_v3 } from '@googleapis/calendar';
import { withTransaction } from '../../src/store/db.ts';
import { writeSeriesBatch } from '../../src/store/event-writes.ts';
import { single } from '../helpers/events.ts';
import { googleFailure } from '../helpers/google-client-errors.ts';
import { tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let client: calendar_v3.Calendar;
let calendarId: string;

before(async () => {
  t = await testApp();
  const tenant = await tenantWithKey(t, 'filters');
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = t.app.server.address() as { port: number };
  client = googleCalendar({ version: 'v3', rootUrl: `http://127.0.0.1:${port}/`, headers: { Authorization: `Bearer ${tenant.key}` } });
  calendarId = (await client.calendars.insert({ requestBody: { summary: 'Filters', timeZone: 'Europe/Berlin' } })).data.id!;
  // Untagged events around the tagged ones, so a filter that is ignored shows.
  await withTransaction(t.database.db, (c) => writeSeriesBatch(c, { tenantId: tenant.tenantId, calendarId, actor: 'app' },
    Array.from({ length: 300 }, (_, i) => ({ eventId: null, series: single({ uid: `plain-${i}@test`, summary: `Plain ${i}` }) }))));
});
after(async () => { await t.close(); });

async function insert(summary: string, extendedProperties?: calendar_v3.Schema$Event['extendedProperties'], extra: calendar_v3.Schema$Event = {}): Promise<calendar_v3.Schema$Event> {
  const { data } = await client.events.insert({ calendarId, requestBody: {
    summary, start: { dateTime: '2026-06-01T09:00:00+02:00' }, end: { dateTime: '2026-06-01T10:00:00+02:00' }, ...(extendedProperties ? { extendedProperties } : {}), ...extra,
  } });
  return data;
}

/** The summaries of every page of a listing, in order. */
async function summaries(params: calendar_v3.Params$Resource$Events$List): Promise<string[]> {
  const out: string[] = [];
  let pageToken: string | undefined;
  do {
    const { data } = await client.events.list({ calendarId, ...params, ...(pageToken ? { pageToken } : {}) });
    out.push(...(data.items ?? []).map((e) => e.summary ?? `(${e.status})`));
    pageToken = data.nextPageToken ?? undefined;
  } while (pageToken);
  return out;
}

test('privateExtendedProperty lists the events with that private property only; repeated, all must match', async () => {
  await insert('Visit A', { private: { app: 'clinic', kind: 'visit' } });
  await insert('Visit B', { private: { app: 'clinic', kind: 'visit' }, shared: { room: '1' } });
  await insert('Call', { private: { app: 'clinic', kind: 'call' } });
  await insert('Other app', { private: { app: 'dentist', kind: 'visit' } });
  await insert('Shared only', { shared: { app: 'clinic' } });
  await insert('Formula', { private: { formula: 'a=b' } });

  assert.deepEqual((await summaries({ privateExtendedProperty: ['app=clinic'] })).sort(), ['Call', 'Visit A', 'Visit B']);
  assert.deepEqual((await summaries({ privateExtendedProperty: ['app=clinic', 'kind=visit'] })).sort(), ['Visit A', 'Visit B']);
  assert.deepEqual(await summaries({ privateExtendedProperty: ['app=clinic', 'app=dentist'] }), [], 'two values of one property: nothing has both');
  assert.deepEqual(await summaries({ privateExtendedProperty: ['app=Clinic'] }), [], 'values compare exactly');
  assert.deepEqual(await summaries({ privateExtendedProperty: ['formula=a=b'] }), ['Formula'], 'the value runs from the first "=" on');
  assert.deepEqual((await summaries({ sharedExtendedProperty: ['app=clinic'] })), ['Shared only'], 'shared properties are not private ones');
  assert.deepEqual(await summaries({ privateExtendedProperty: ['app=clinic'], sharedExtendedProperty: ['room=1'] }), ['Visit B']);
  // With the other filters and across pages of one.
  assert.deepEqual((await summaries({ privateExtendedProperty: ['app=clinic'], q: 'visit', maxResults: 1 })).sort(), ['Visit A', 'Visit B']);
  assert.deepEqual((await summaries({ privateExtendedProperty: ['app=clinic'], orderBy: 'updated', maxResults: 2 })), ['Visit A', 'Visit B', 'Call']);
  assert.deepEqual(await summaries({ privateExtendedProperty: ['app=clinic'], timeMin: '2026-06-02T00:00:00Z' }), []);
});

test('a changed or deleted event follows its properties', async () => {
  const tagged = await insert('Retagged', { private: { app: 'retag' } });
  const unchanged = await client.events.patch({ calendarId, eventId: tagged.id!, requestBody: { extendedProperties: { private: { app: 'retag' } } } });
  assert.equal(unchanged.data.etag, tagged.etag, 'the same properties again change nothing');
  // Only a property changes: the model's hash leaves extendedProperties out, the write must not.
  const { data: retagged } = await client.events.patch({ calendarId, eventId: tagged.id!, requestBody: { extendedProperties: { private: { app: 'moved-on' } } } });
  assert.deepEqual(retagged.extendedProperties, { private: { app: 'moved-on' } });
  assert.notEqual(retagged.etag, tagged.etag);
  assert.deepEqual(await summaries({ privateExtendedProperty: ['app=retag'] }), []);
  assert.deepEqual(await summaries({ privateExtendedProperty: ['app=moved-on'] }), ['Retagged']);
  await client.events.delete({ calendarId, eventId: tagged.id! });
  assert.deepEqual(await summaries({ privateExtendedProperty: ['app=moved-on'] }), []);
  assert.deepEqual(await summaries({ privateExtendedProperty: ['app=moved-on'], showDeleted: true }), ['(cancelled)']);
});

test('with singleEvents, each instance has the properties of what it shows: its exception, else its master', async () => {
  const series = await insert('Round', { private: { app: 'ward' } }, {
    start: { dateTime: '2026-07-06T09:00:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2026-07-06T09:30:00', timeZone: 'Europe/Berlin' },
    recurrence: ['RRULE:FREQ=WEEKLY;COUNT=3'],
  });
  const untagged = await insert('Rota', undefined, {
    start: { dateTime: '2026-07-07T09:00:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2026-07-07T09:30:00', timeZone: 'Europe/Berlin' },
    recurrence: ['RRULE:FREQ=WEEKLY;COUNT=3'],
  });
  const [, second] = (await client.events.instances({ calendarId, eventId: series.id! })).data.items!;
  await client.events.patch({ calendarId, eventId: second!.id!, requestBody: { summary: 'Round (untagged)', extendedProperties: { private: { app: 'other' } } } });
  const [, , third] = (await client.events.instances({ calendarId, eventId: untagged.id! })).data.items!;
  await client.events.patch({ calendarId, eventId: third!.id!, requestBody: { summary: 'Rota (tagged)', extendedProperties: { private: { app: 'ward' } } } });

  const listed = await summaries({ privateExtendedProperty: ['app=ward'], singleEvents: true, orderBy: 'startTime', timeMin: '2026-07-01T00:00:00Z', timeMax: '2026-08-01T00:00:00Z' });
  assert.deepEqual(listed, ['Round', 'Round', 'Rota (tagged)']);
  assert.deepEqual((await summaries({ privateExtendedProperty: ['app=ward'], timeMin: '2026-07-01T00:00:00Z' })).sort(), ['Rota (tagged)', 'Round'], 'without singleEvents: the master and the exception');
});

test('a constraint without "=" or without a name is a 400 and lists nothing', async () => {
  for (const params of [{ privateExtendedProperty: ['clinic'] }, { sharedExtendedProperty: ['=clinic'] }, { privateExtendedProperty: ['app=clinic', 'oops'] }]) {
    assert.deepEqual(await googleFailure(client.events.list({ calendarId, ...params })), { code: 400, reason: 'invalid' }, JSON.stringify(params));
  }
});

test('the filter is answered from an index, not by reading the calendar', async () => {
  const db = t.database.db;
  await db.query('analyze events');
  const scans = async (): Promise<number> => {
    await db.query('select pg_stat_clear_snapshot()');
    const { rows: [row] } = await db.query<{ idx_scan: string }>("select idx_scan from pg_stat_user_indexes where indexrelname = 'events_extended_properties'");
    return Number(row!.idx_scan);
  };
  const before = await scans();
  assert.deepEqual((await summaries({ privateExtendedProperty: ['app=clinic', 'kind=visit'] })).sort(), ['Visit A', 'Visit B']);
  await summaries({ privateExtendedProperty: ['app=ward'], singleEvents: true, timeMin: '2026-07-01T00:00:00Z', timeMax: '2026-08-01T00:00:00Z' });
  // Backends report their statistics when idle, at most once a second.
  let after = before;
  for (let waited = 0; after < before + 2 && waited < 5000; waited += 250) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    after = await scans();
  }
  assert.ok(after >= before + 2, `events_extended_properties scanned ${after - before} times`);
});
