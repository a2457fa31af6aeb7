// The timeZone parameter of events.list, get and instances: "Time zone used in the
// response. Optional. The default is the time zone of the calendar." Times keep their
// instant and are written with the requested zone's offset; the listing's own timeZone
// stays the calendar's ("The time zone of the calendar").
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { calendar as googleCalendar, type calendar_v3 } from '@googleapis/calendar';
import { googleFailure } from '../helpers/google-client-errors.ts';
import { tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let client: calendar_v3.Calendar;
let calendarId: string;
let timed: calendar_v3.Schema$Event;
let series: calendar_v3.Schema$Event;

before(async () => {
  t = await testApp();
  const tenant = await tenantWithKey(t, 'zones');
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = t.app.server.address() as { port: number };
  client = googleCalendar({ version: 'v3', rootUrl: `http://127.0.0.1:${port}/`, headers: { Authorization: `Bearer ${tenant.key}` } });
  calendarId = (await client.calendars.insert({ requestBody: { summary: 'Zones', timeZone: 'Europe/Berlin' } })).data.id!;
  timed = (await client.events.insert({ calendarId, requestBody: {
    summary: 'Timed', start: { dateTime: '2026-03-02T10:00:00+01:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2026-03-02T11:00:00+01:00', timeZone: 'Europe/Berlin' },
  } })).data;
  await client.events.insert({ calendarId, requestBody: { summary: 'Plain', start: { dateTime: '2026-03-03T10:00:00+01:00' }, end: { dateTime: '2026-03-03T11:00:00+01:00' } } });
  await client.events.insert({ calendarId, requestBody: { summary: 'All day', start: { date: '2026-03-04' }, end: { date: '2026-03-05' } } });
  // 02:30 does not happen in Berlin on 2026-03-29: that wall clock has no offset to write.
  await client.events.insert({ calendarId, requestBody: { summary: 'Gap', start: { dateTime: '2026-03-29T02:30:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2026-03-29T04:00:00', timeZone: 'Europe/Berlin' } } });
  series = (await client.events.insert({ calendarId, requestBody: {
    summary: 'Weekly', start: { dateTime: '2026-03-09T09:00:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2026-03-09T09:30:00', timeZone: 'Europe/Berlin' },
    recurrence: ['RRULE:FREQ=WEEKLY;COUNT=2'],
  } })).data;
  const [first] = (await client.events.instances({ calendarId, eventId: series.id! })).data.items!;
  await client.events.patch({ calendarId, eventId: first!.id!, requestBody: { summary: 'Weekly (moved)', start: { dateTime: '2026-03-09T12:00:00+01:00' }, end: { dateTime: '2026-03-09T12:30:00+01:00' } } });
});
after(async () => { await t.close(); });

const times = (e: calendar_v3.Schema$Event) => [e.summary, e.start, e.end, ...(e.originalStartTime ? [e.originalStartTime] : [])];

test('events.list writes times with the offset of the requested zone; the listing keeps the calendar\'s zone', async () => {
  const { data } = await client.events.list({ calendarId, timeZone: 'America/New_York' });
  assert.equal(data.timeZone, 'Europe/Berlin');
  const bySummary = new Map(data.items!.map((e) => [e.summary, e]));
  assert.deepEqual(times(bySummary.get('Timed')!), ['Timed', { dateTime: '2026-03-02T04:00:00-05:00', timeZone: 'Europe/Berlin' }, { dateTime: '2026-03-02T05:00:00-05:00', timeZone: 'Europe/Berlin' }]);
  assert.deepEqual(times(bySummary.get('Plain')!), ['Plain', { dateTime: '2026-03-03T04:00:00-05:00' }, { dateTime: '2026-03-03T05:00:00-05:00' }]);
  assert.deepEqual(times(bySummary.get('All day')!), ['All day', { date: '2026-03-04' }, { date: '2026-03-05' }]);
  assert.deepEqual(times(bySummary.get('Gap')!), ['Gap', { dateTime: '2026-03-29T02:30:00', timeZone: 'Europe/Berlin' }, { dateTime: '2026-03-28T22:00:00-04:00', timeZone: 'Europe/Berlin' }]);
  assert.deepEqual(times(bySummary.get('Weekly (moved)')!), ['Weekly (moved)',
    { dateTime: '2026-03-09T07:00:00-04:00', timeZone: 'Europe/Berlin' }, { dateTime: '2026-03-09T07:30:00-04:00', timeZone: 'Europe/Berlin' },
    { dateTime: '2026-03-09T04:00:00-04:00', timeZone: 'Europe/Berlin' }]);
  // Without the parameter: the calendar's zone; UTC is written with Z.
  const plain = (await client.events.list({ calendarId })).data.items!.find((e) => e.summary === 'Timed')!;
  assert.deepEqual(plain.start, { dateTime: '2026-03-02T10:00:00+01:00', timeZone: 'Europe/Berlin' });
  const utc = (await client.events.list({ calendarId, timeZone: 'UTC' })).data.items!.find((e) => e.summary === 'Timed')!;
  assert.deepEqual(utc.start, { dateTime: '2026-03-02T09:00:00Z', timeZone: 'Europe/Berlin' });
});

test('instances, singleEvents listings, events.get and a sync token\'s listing take it too', async () => {
  const instances = (await client.events.instances({ calendarId, eventId: series.id!, timeZone: 'Asia/Tokyo' })).data.items!;
  assert.deepEqual(instances.map((i) => [i.start?.dateTime, i.originalStartTime?.dateTime]), [
    ['2026-03-09T20:00:00+09:00', '2026-03-09T17:00:00+09:00'], ['2026-03-16T17:00:00+09:00', '2026-03-16T17:00:00+09:00']]);
  const single = (await client.events.list({ calendarId, singleEvents: true, orderBy: 'startTime', timeZone: 'Asia/Tokyo', q: 'Weekly' })).data.items!;
  assert.deepEqual(single.map((i) => i.start?.dateTime), ['2026-03-09T20:00:00+09:00', '2026-03-16T17:00:00+09:00']);
  assert.equal((await client.events.get({ calendarId, eventId: timed.id!, timeZone: 'Asia/Tokyo' })).data.start?.dateTime, '2026-03-02T18:00:00+09:00');
  assert.equal((await client.events.get({ calendarId, eventId: instances[1]!.id!, timeZone: 'Asia/Tokyo' })).data.start?.dateTime, '2026-03-16T17:00:00+09:00');
  const { data: full } = await client.events.list({ calendarId });
  await client.events.patch({ calendarId, eventId: timed.id!, requestBody: { location: 'Room 1' } });
  const { data: delta } = await client.events.list({ calendarId, syncToken: full.nextSyncToken!, timeZone: 'UTC' });
  assert.deepEqual(delta.items!.map((e) => e.start?.dateTime), ['2026-03-02T09:00:00Z']);
});

test('a timeZone that is no IANA zone is a 400 on list, get and instances', async () => {
  for (const timeZone of ['Mars/Olympus', '+01:00', 'utc']) {
    assert.deepEqual(await googleFailure(client.events.list({ calendarId, timeZone })), { code: 400, reason: 'invalid' }, timeZone);
    assert.deepEqual(await googleFailure(client.events.get({ calendarId, eventId: timed.id!, timeZone })), { code: 400, reason: 'invalid' }, timeZone);
    assert.deepEqual(await googleFailure(client.events.instances({ calendarId, eventId: series.id!, timeZone })), { code: 400, reason: 'invalid' }, timeZone);
  }
});
