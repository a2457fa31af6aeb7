// The official Google Calendar client (@googleapis/calendar) pointed at calsync: what an
// app written for Google does, unchanged, and every outcome asserted.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { calendar as googleCalendar, type calendar_v3 } from '@googleapis/calendar';
import { writeSeriesBatch } from '../../src/store/event-writes.ts';
import { withTransaction } from '../../src/store/db.ts';
import { single } from '../helpers/events.ts';
import { tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';
import { googleFailure } from '../helpers/google-client-errors.ts';

let t: TestApp;
let client: calendar_v3.Calendar;
let rootUrl: string;
let authorization: string;
let tenantId: string;
let calendarId: string;

before(async () => {
  t = await testApp();
  const tenant = await tenantWithKey(t, 'app');
  tenantId = tenant.tenantId;
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const address = t.app.server.address() as { port: number };
  rootUrl = `http://127.0.0.1:${address.port}/`;
  authorization = `Bearer ${tenant.key}`;
  client = googleCalendar({ version: 'v3', rootUrl, headers: { Authorization: authorization } });
  const created = await client.calendars.insert({ requestBody: { summary: 'Front desk', timeZone: 'Europe/Berlin' } });
  calendarId = created.data.id!;
});
after(async () => { await t.close(); });

/** Every page of a listing; the sync token comes from the last page only. */
async function listAll(params: calendar_v3.Params$Resource$Events$List): Promise<{ items: calendar_v3.Schema$Event[]; nextSyncToken: string; pages: number }> {
  const items: calendar_v3.Schema$Event[] = [];
  let pageToken: string | undefined;
  for (let pages = 1; ; pages++) {
    const { data } = await client.events.list({ ...params, calendarId, ...(pageToken ? { pageToken } : {}) });
    items.push(...(data.items ?? []));
    if (data.nextPageToken) {
      assert.equal(data.nextSyncToken, undefined, 'nextSyncToken only on the last page');
      pageToken = data.nextPageToken;
      continue;
    }
    assert.ok(data.nextSyncToken, 'the last page carries nextSyncToken');
    return { items, nextSyncToken: data.nextSyncToken, pages };
  }
}

test('full sync of 3,000 events across pages, then incremental syncs see creates, updates and deletions', async () => {
  const ctx = { tenantId, calendarId, actor: 'app' };
  for (let start = 0; start < 3000; start += 500) {
    await withTransaction(t.database.db, (c) => writeSeriesBatch(c, ctx, Array.from({ length: 500 }, (_, i) => ({
      eventId: null, series: single({ uid: `bulk-${start + i}@test`, summary: `Appointment ${start + i}` }),
    }))));
  }
  const full = await listAll({ maxResults: 250 });
  assert.equal(full.items.length, 3000);
  assert.equal(new Set(full.items.map((e) => e.id)).size, 3000, 'no event twice');
  assert.equal(full.pages, 12);
  assert.ok(full.items.every((e) => e.kind === 'calendar#event' && e.etag && e.status === 'confirmed'));

  const created = await client.events.insert({ calendarId, requestBody: {
    summary: 'Check-up', start: { dateTime: '2026-03-02T10:00:00+01:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2026-03-02T10:30:00+01:00', timeZone: 'Europe/Berlin' },
  } });
  const changed = full.items[7]!;
  await client.events.patch({ calendarId, eventId: changed.id!, requestBody: { summary: 'Moved appointment' } });
  const removed = full.items[8]!;
  await client.events.delete({ calendarId, eventId: removed.id! });

  const delta = await listAll({ syncToken: full.nextSyncToken });
  const byId = new Map(delta.items.map((e) => [e.id, e]));
  assert.equal(delta.items.length, 3);
  assert.equal(byId.get(created.data.id!)?.summary, 'Check-up');
  assert.equal(byId.get(changed.id!)?.summary, 'Moved appointment');
  assert.equal(byId.get(removed.id!)?.status, 'cancelled');
  assert.equal((await listAll({ syncToken: delta.nextSyncToken })).items.length, 0, 'nothing changed since');
});

test('an expired sync token gets 410 fullSyncRequired, and a full resync recovers', async () => {
  const first = await listAll({ maxResults: 2500 });
  // Deletions older than the token were purged: the calendar's oldest usable version moved past it.
  await t.database.db.query('update calendars set min_version = version + 1 where id = $1', [calendarId]);
  await client.events.insert({ calendarId, requestBody: { summary: 'After purge', start: { date: '2026-04-01' }, end: { date: '2026-04-02' } } });
  assert.deepEqual(await googleFailure(client.events.list({ calendarId, syncToken: first.nextSyncToken })), { code: 410, reason: 'fullSyncRequired' });
  const again = await listAll({ maxResults: 2500 });
  assert.ok(again.items.some((e) => e.summary === 'After purge'));
  assert.equal((await listAll({ syncToken: again.nextSyncToken })).items.length, 0);
});

test('If-Match: a stale etag gets 412 conditionNotMet and changes nothing; the current one writes', async () => {
  const { data: event } = await client.events.insert({ calendarId, requestBody: { summary: 'Original', start: { date: '2026-05-01' }, end: { date: '2026-05-02' } } });
  const { data: updated } = await client.events.patch({ calendarId, eventId: event.id!, requestBody: { summary: 'First edit' } }, { headers: { 'If-Match': event.etag! } });
  assert.notEqual(updated.etag, event.etag);
  assert.deepEqual(await googleFailure(client.events.patch({ calendarId, eventId: event.id!, requestBody: { summary: 'Lost edit' } }, { headers: { 'If-Match': event.etag! } })), { code: 412, reason: 'conditionNotMet' });
  assert.equal((await client.events.get({ calendarId, eventId: event.id! })).data.summary, 'First edit');
  assert.deepEqual(await googleFailure(client.events.update({ calendarId, eventId: event.id!, requestBody: { ...updated, sequence: 0, summary: 'x' } }, { headers: { 'If-Match': '"1"' } })), { code: 412, reason: 'conditionNotMet' });
});

test('insert with a client-chosen id; the same id again is 409 duplicate; deleting twice is 410 deleted', async () => {
  const requestBody = { id: 'clinicappointment0001', summary: 'Chosen id', start: { date: '2026-06-01' }, end: { date: '2026-06-02' } };
  const { data } = await client.events.insert({ calendarId, requestBody });
  assert.equal(data.id, 'clinicappointment0001');
  assert.deepEqual(await googleFailure(client.events.insert({ calendarId, requestBody })), { code: 409, reason: 'duplicate' });
  await client.events.delete({ calendarId, eventId: data.id! });
  assert.deepEqual(await googleFailure(client.events.delete({ calendarId, eventId: data.id! })), { code: 410, reason: 'deleted' });
  assert.deepEqual(await googleFailure(client.events.insert({ calendarId, requestBody })), { code: 409, reason: 'duplicate' }, 'a deleted event keeps its id');
  assert.deepEqual(await googleFailure(client.events.insert({ calendarId, requestBody: { ...requestBody, id: 'UPPER-case!' } })), { code: 400, reason: 'invalid' });
});

test('import is deduplicated by iCalUID: the second import replaces the first', async () => {
  const requestBody = { iCalUID: 'imported-1@example.org', summary: 'Imported', start: { dateTime: '2026-07-01T09:00:00Z' }, end: { dateTime: '2026-07-01T10:00:00Z' } };
  const first = await client.events.import({ calendarId, requestBody });
  const second = await client.events.import({ calendarId, requestBody: { ...requestBody, summary: 'Imported again' } });
  assert.equal(second.data.id, first.data.id);
  const { items } = await listAll({ iCalUID: 'imported-1@example.org' });
  assert.deepEqual(items.map((e) => e.summary), ['Imported again']);
});

test('a weekly series: instances, an instance moved, one cancelled, singleEvents listing in order', async () => {
  const { data: master } = await client.events.insert({ calendarId, requestBody: {
    summary: 'Standup', start: { dateTime: '2026-09-07T09:00:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2026-09-07T09:15:00', timeZone: 'Europe/Berlin' },
    recurrence: ['RRULE:FREQ=WEEKLY;COUNT=4'],
  } });
  const { data: instances } = await client.events.instances({ calendarId, eventId: master.id! });
  assert.equal(instances.items!.length, 4);
  assert.ok(instances.items!.every((i) => i.recurringEventId === master.id && i.originalStartTime));
  const [, second, third] = instances.items!;
  await client.events.patch({ calendarId, eventId: second!.id!, requestBody: { start: { dateTime: '2026-09-14T11:00:00+02:00' }, end: { dateTime: '2026-09-14T11:15:00+02:00' } } });
  await client.events.delete({ calendarId, eventId: third!.id! });
  const { items } = await listAll({ singleEvents: true, orderBy: 'startTime', timeMin: '2026-09-01T00:00:00Z', timeMax: '2026-10-01T00:00:00Z', q: 'Standup' });
  assert.deepEqual(items.map((i) => i.start?.dateTime), ['2026-09-07T09:00:00+02:00', '2026-09-14T11:00:00+02:00', '2026-09-28T09:00:00+02:00']);
  const moved = await client.events.get({ calendarId, eventId: second!.id! });
  assert.equal(moved.data.recurringEventId, master.id);
});

test('bad requests get Google-shaped 400s and change nothing', async () => {
  const before = await listAll({ maxResults: 2500 });
  for (const filter of [{ timeMin: '2026-01-01T00:00:00Z' }, { privateExtendedProperty: ['kind=visit'] }, { sharedExtendedProperty: ['room=1'] }, { q: 'x' }, { showDeleted: false }]) {
    assert.deepEqual(await googleFailure(client.events.list({ calendarId, syncToken: before.nextSyncToken, ...filter })), { code: 400, reason: 'syncTokenWithRequestRestrictions' }, JSON.stringify(filter));
  }
  assert.deepEqual(await googleFailure(client.events.list({ calendarId, orderBy: 'startTime' })), { code: 400, reason: 'invalid' });
  assert.deepEqual(await googleFailure(client.events.list({ calendarId, pageToken: 'not-a-token' })), { code: 400, reason: 'invalid' });
  assert.deepEqual(await googleFailure(client.events.list({ calendarId, syncToken: 'garbage' })), { code: 410, reason: 'fullSyncRequired' });
  assert.deepEqual(await googleFailure(client.events.insert({ calendarId, requestBody: { summary: 'No times' } })), { code: 400, reason: 'invalid' });
  assert.deepEqual(await googleFailure(client.events.insert({ calendarId, requestBody: { summary: 'Backwards', start: { date: '2026-02-02' }, end: { date: '2026-02-01' } } })), { code: 400, reason: 'invalid' });
  assert.deepEqual(await googleFailure(client.events.insert({ calendarId, requestBody: { summary: 'Unknown field', start: { date: '2026-02-02' }, end: { date: '2026-02-03' }, colour: 'red' } as never })), { code: 400, reason: 'invalid' });
  assert.deepEqual(await googleFailure(client.events.get({ calendarId, eventId: 'nosuchevent' })), { code: 404, reason: 'notFound' });
  assert.deepEqual(await googleFailure(client.events.get({ calendarId: 'not-a-calendar', eventId: 'x' })), { code: 404, reason: 'notFound' });
  // The test app accepts bodies up to 64 KB.
  assert.deepEqual(await googleFailure(client.events.insert({ calendarId, requestBody: { summary: 'Big', description: 'x'.repeat(70_000), start: { date: '2026-02-02' }, end: { date: '2026-02-03' } } })), { code: 413, reason: 'uploadTooLarge' });
  const malformed = await fetch(`${rootUrl}calendar/v3/calendars/${calendarId}/events`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: '{"summary": ' });
  assert.equal(malformed.status, 400);
  assert.equal(((await malformed.json()) as { error: { errors: Array<{ reason: string }> } }).error.errors[0]!.reason, 'invalid');
  assert.equal((await listAll({ syncToken: before.nextSyncToken })).items.length, 0, 'nothing changed');
});
