// Ids of recurring instances as Google gives them (events.instances, singleEvents=true):
// `<series id>_<original start in UTC basic format>Z`, and `<series id>_<date>` for an
// all-day series. The form calsync gave before (the original start in the master's wall
// clock, no Z) still names the same instance, and migration 000008 moved stored
// exceptions to Google's form.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { calendar as googleCalendar, type calendar_v3 } from '@googleapis/calendar';
import { withTransaction } from '../../src/store/db.ts';
import { instanceApiId, writeSeries } from '../../src/store/event-writes.ts';
import { migrationsDir } from '../../src/store/migrate.ts';
import { event } from '../helpers/events.ts';
import { googleFailure } from '../helpers/google-client-errors.ts';
import { tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let client: calendar_v3.Calendar;
let tenantId: string;
let calendarId: string;

before(async () => {
  t = await testApp();
  const tenant = await tenantWithKey(t, 'ids');
  tenantId = tenant.tenantId;
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = t.app.server.address() as { port: number };
  client = googleCalendar({ version: 'v3', rootUrl: `http://127.0.0.1:${port}/`, headers: { Authorization: `Bearer ${tenant.key}` } });
  calendarId = (await client.calendars.insert({ requestBody: { summary: 'Ids', timeZone: 'Europe/Berlin' } })).data.id!;
});
after(async () => { await t.close(); });

const berlin = (dateTime: string) => ({ dateTime, timeZone: 'Europe/Berlin' });

async function weeklyAtNine(summary: string): Promise<string> {
  const { data } = await client.events.insert({ calendarId, requestBody: {
    summary, start: berlin('2026-10-19T09:00:00'), end: berlin('2026-10-19T09:30:00'), recurrence: ['RRULE:FREQ=WEEKLY;COUNT=3'],
  } });
  return data.id!;
}

async function ids(params: calendar_v3.Params$Resource$Events$List): Promise<string[]> {
  return ((await client.events.list({ calendarId, ...params })).data.items ?? []).map((e) => e.id!);
}

test('timed instances carry their original start in UTC: 09:00 Berlin is 07:00Z in summer time and 08:00Z after it', async () => {
  const id = await weeklyAtNine('Timed');
  const expected = [`${id}_20261019T070000Z`, `${id}_20261026T080000Z`, `${id}_20261102T080000Z`];
  assert.deepEqual((await client.events.instances({ calendarId, eventId: id })).data.items!.map((i) => i.id), expected);
  assert.deepEqual(await ids({ singleEvents: true, q: 'Timed' }), expected);
  for (const instanceId of expected) assert.equal((await client.events.get({ calendarId, eventId: instanceId })).data.id, instanceId);
});

test('an exception keeps the id of the instance it replaces, in listings too', async () => {
  const id = await weeklyAtNine('Moved');
  const second = `${id}_20261026T080000Z`;
  const { data: patched } = await client.events.patch({ calendarId, eventId: second, requestBody: { start: berlin('2026-10-26T11:00:00'), end: berlin('2026-10-26T11:30:00') } });
  assert.equal(patched.id, second);
  assert.equal(patched.recurringEventId, id);
  assert.deepEqual(patched.originalStartTime, { dateTime: '2026-10-26T09:00:00+01:00', timeZone: 'Europe/Berlin' });
  assert.deepEqual(await ids({ singleEvents: true, q: 'Moved' }), [`${id}_20261019T070000Z`, second, `${id}_20261102T080000Z`]);
  assert.ok((await ids({ q: 'Moved' })).includes(second), 'the exception in a listing without singleEvents');
  const { data: updated } = await client.events.update({ calendarId, eventId: second, requestBody: { ...patched, summary: 'Moved again' } });
  assert.equal(updated.id, second);
  await client.events.delete({ calendarId, eventId: second });
  assert.deepEqual((await client.events.instances({ calendarId, eventId: id })).data.items!.map((i) => i.id), [`${id}_20261019T070000Z`, `${id}_20261102T080000Z`]);
});

test('all-day instances carry their date', async () => {
  const { data } = await client.events.insert({ calendarId, requestBody: {
    summary: 'All day', start: { date: '2026-10-24' }, end: { date: '2026-10-25' }, recurrence: ['RRULE:FREQ=DAILY;COUNT=2'],
  } });
  const expected = [`${data.id}_20261024`, `${data.id}_20261025`];
  assert.deepEqual((await client.events.instances({ calendarId, eventId: data.id! })).data.items!.map((i) => i.id), expected);
  const { data: patched } = await client.events.patch({ calendarId, eventId: expected[1]!, requestBody: { summary: 'Sunday' } });
  assert.equal(patched.id, expected[1]);
  // The date is the instance's own, not a UTC date-time.
  assert.deepEqual(await googleFailure(client.events.get({ calendarId, eventId: `${data.id}_20261024T000000Z` })), { code: 404, reason: 'notFound' });
});

test('the earlier form (wall clock, no Z) still names the instance, for get, patch, update and delete', async () => {
  const id = await weeklyAtNine('Legacy');
  const [first, second, third] = [`${id}_20261019T070000Z`, `${id}_20261026T080000Z`, `${id}_20261102T080000Z`];
  assert.equal((await client.events.get({ calendarId, eventId: `${id}_20261019T090000` })).data.id, first);
  const { data: patched } = await client.events.patch({ calendarId, eventId: `${id}_20261026T090000`, requestBody: { summary: 'Legacy patched' } });
  assert.equal(patched.id, second, 'the exception gets the Google form');
  const { data: updated } = await client.events.update({ calendarId, eventId: `${id}_20261026T090000`, requestBody: { ...patched, summary: 'Legacy updated' } });
  assert.equal(updated.id, second);
  assert.equal((await client.events.get({ calendarId, eventId: second })).data.summary, 'Legacy updated');
  await client.events.delete({ calendarId, eventId: `${id}_20261102T090000` });
  const { data: instances } = await client.events.instances({ calendarId, eventId: id });
  assert.deepEqual(instances.items!.map((i) => [i.id, i.summary]), [[first, 'Legacy'], [second, 'Legacy updated']]);
  assert.equal((await client.events.get({ calendarId, eventId: third })).data.status, 'cancelled');
});

test('ids that name no instance are 404 and change nothing', async () => {
  const id = await weeklyAtNine('Missing');
  const before = (await client.events.instances({ calendarId, eventId: id })).data.items!;
  for (const eventId of [
    `${id}_20261019t070000z`, // lower case: Google answered it with 404 (kuzmoyev/google-calendar-simple-api#52)
    `${id}_20261019T090000Z`, // the wall clock with a Z is another instant
    `${id}_20261020T070000Z`, // no instance that day
    `${id}_20261019`, // a date names instances of all-day series only
    `${id}_20261019T0700`,
    `nosuchseries_20261019T070000Z`,
  ]) {
    assert.deepEqual(await googleFailure(client.events.get({ calendarId, eventId })), { code: 404, reason: 'notFound' }, eventId);
    assert.deepEqual(await googleFailure(client.events.patch({ calendarId, eventId, requestBody: { summary: 'x' } })), { code: 404, reason: 'notFound' }, eventId);
    assert.deepEqual(await googleFailure(client.events.delete({ calendarId, eventId })), { code: 404, reason: 'notFound' }, eventId);
  }
  assert.deepEqual((await client.events.instances({ calendarId, eventId: id })).data.items, before);
});

test('migration 000008 gives stored exceptions Google\'s ids, also across daylight-saving changes, and the old ids keep resolving', async () => {
  const ctx = { tenantId, calendarId, actor: 'app' };
  const series = async (uid: string, start: { local: string; tz: string | null }, rule: string, recurrenceIds: string[], withMaster = true) => {
    const end = { ...start, local: start.local.replace(/T(\d\d)/, (_, h: string) => `T${String(Number(h) + 1).padStart(2, '0')}`) };
    const master = event({ uid, summary: uid, start, end, recurrence: { rrule: [rule], rdate: [], exdate: [] } });
    const overrides = recurrenceIds.map((recurrenceId) => event({ uid, summary: `${uid} changed`, recurrenceId, start: { ...start, local: recurrenceId }, end: { ...start, local: `${recurrenceId.slice(0, 11)}23:00:00` } }));
    const { eventId } = await withTransaction(t.database.db, (c) => writeSeries(c, ctx, null, { uid, master: withMaster ? master : null, overrides }));
    return { eventId, master: withMaster ? master : null, overrides };
  };
  const made = [
    // 02:30 on 2026-10-25 happens twice in Berlin: the first one (summer time) counts; 2026-03-29 02:30 does not happen at all.
    await series('dst', { local: '2026-03-27T02:30:00', tz: 'Europe/Berlin' }, 'FREQ=DAILY;COUNT=300', ['2026-03-29T02:30:00', '2026-10-25T02:30:00', '2026-07-01T02:30:00']),
    await series('floating', { local: '2026-07-01T10:00:00', tz: null }, 'FREQ=DAILY;COUNT=5', ['2026-07-02T10:00:00']),
    await series('new-york', { local: '2026-07-01T10:00:00', tz: 'America/New_York' }, 'FREQ=DAILY;COUNT=5', ['2026-07-03T10:00:00'], false),
  ];
  const { rows } = await t.database.db.query<{ id: string; series_id: string; api_id: string; original_start: string }>(
    "select id, series_id, api_id, original_start from events where calendar_id = $1 and kind = 'override' and series_id = any($2::uuid[])",
    [calendarId, made.map((m) => m.eventId)]);
  assert.equal(rows.length, 5);
  const expected = new Map(rows.map((row) => {
    const { master, overrides } = made.find((m) => m.eventId === row.series_id)!;
    const override = overrides.find((o) => o.recurrenceId === row.original_start)!;
    return [row.id, instanceApiId(row.series_id.replace(/-/g, ''), override, master, 'Europe/Berlin')];
  }));
  assert.deepEqual(new Map(rows.map((r) => [r.id, r.api_id])), expected, 'written in Google\'s form');
  const dst = made[0]!.eventId.replace(/-/g, '');
  assert.deepEqual(rows.filter((r) => r.series_id === made[0]!.eventId).map((r) => r.api_id).sort(),
    [`${dst}_20260329T013000Z`, `${dst}_20260701T003000Z`, `${dst}_20261025T003000Z`]);

  // Ids as calsync stored them before: the original start in basic format.
  await t.database.db.query(
    "update events set api_id = split_part(api_id, '_', 1) || '_' || regexp_replace(original_start, '[-:]', '', 'g') where id = any($1::uuid[])",
    [rows.map((r) => r.id)]);
  const migration = fs.readFileSync(path.join(migrationsDir, '000008_app_api_ids_filters.sql'), 'utf8');
  await t.database.db.query(migration.replace(/--.*$/gm, '').split(';').find((statement) => statement.includes('update events'))!);
  const { rows: migrated } = await t.database.db.query<{ id: string; api_id: string }>('select id, api_id from events where id = any($1::uuid[])', [rows.map((r) => r.id)]);
  assert.deepEqual(new Map(migrated.map((r) => [r.id, r.api_id])), expected, 'migrated to the same ids');
  const moved = (await client.events.get({ calendarId, eventId: `${dst}_20261025T023000` })).data;
  assert.deepEqual([moved.id, moved.summary], [`${dst}_20261025T003000Z`, 'dst changed']);
});
