// freeBusy through the official Google client (@googleapis/calendar) and plain inject:
// recurrences expanded with their exceptions, all-day and transparent events, DST in
// Europe/Berlin, merged overlaps, unknown calendars and bad windows.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { calendar as googleCalendar, type calendar_v3 } from '@googleapis/calendar';
import { tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let client: calendar_v3.Calendar;
let auth: { authorization: string };

before(async () => {
  t = await testApp();
  const tenant = await tenantWithKey(t, 'app');
  auth = tenant.auth;
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const address = t.app.server.address() as { port: number };
  client = googleCalendar({ version: 'v3', rootUrl: `http://127.0.0.1:${address.port}/`, headers: { Authorization: `Bearer ${tenant.key}` } });
});
after(async () => { await t.close(); });

async function newCalendar(summary: string): Promise<string> {
  return (await client.calendars.insert({ requestBody: { summary, timeZone: 'Europe/Berlin' } })).data.id!;
}

async function busy(calendarId: string, timeMin: string, timeMax: string, timeZone?: string): Promise<Array<[string, string]>> {
  const { data } = await client.freebusy.query({ requestBody: { timeMin, timeMax, items: [{ id: calendarId }], ...(timeZone ? { timeZone } : {}) } });
  assert.equal(data.calendars![calendarId]!.errors, undefined);
  return data.calendars![calendarId]!.busy!.map((p) => [p.start!, p.end!]);
}

const berlin = (dateTime: string) => ({ dateTime, timeZone: 'Europe/Berlin' });

test('a weekly series across the spring DST change: EXDATE, a moved instance and a cancelled one respected', async () => {
  const calendarId = await newCalendar('Series');
  const { data: master } = await client.events.insert({ calendarId, requestBody: {
    summary: 'Clinic round', start: berlin('2026-03-02T10:00:00'), end: berlin('2026-03-02T11:00:00'),
    recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6', 'EXDATE;TZID=Europe/Berlin:20260309T100000'],
    attendees: [{ email: 'guest@example.org', responseStatus: 'declined' }],
  } });
  const { data: instances } = await client.events.instances({ calendarId, eventId: master.id! });
  const byDay = new Map(instances.items!.map((i) => [i.originalStartTime!.dateTime!.slice(0, 10), i]));
  assert.deepEqual([...byDay.keys()], ['2026-03-02', '2026-03-16', '2026-03-23', '2026-03-30', '2026-04-06'], 'Mar 9 is an EXDATE');
  await client.events.patch({ calendarId, eventId: byDay.get('2026-03-16')!.id!, requestBody: {
    start: berlin('2026-03-17T14:00:00'), end: berlin('2026-03-17T15:30:00'),
  } });
  await client.events.delete({ calendarId, eventId: byDay.get('2026-03-23')!.id! });

  // 10:00 Berlin is 09:00Z before March 29 and 08:00Z after; the declined guest changes nothing.
  assert.deepEqual(await busy(calendarId, '2026-03-01T00:00:00Z', '2026-04-30T00:00:00Z'), [
    ['2026-03-02T09:00:00Z', '2026-03-02T10:00:00Z'],
    ['2026-03-17T13:00:00Z', '2026-03-17T14:30:00Z'],
    ['2026-03-30T08:00:00Z', '2026-03-30T09:00:00Z'],
    ['2026-04-06T08:00:00Z', '2026-04-06T09:00:00Z'],
  ]);
  assert.deepEqual(await busy(calendarId, '2026-03-01T00:00:00Z', '2026-04-30T00:00:00Z', 'Europe/Berlin'), [
    ['2026-03-02T10:00:00+01:00', '2026-03-02T11:00:00+01:00'],
    ['2026-03-17T14:00:00+01:00', '2026-03-17T15:30:00+01:00'],
    ['2026-03-30T10:00:00+02:00', '2026-03-30T11:00:00+02:00'],
    ['2026-04-06T10:00:00+02:00', '2026-04-06T11:00:00+02:00'],
  ], 'in the requested zone, with its offset on each side of the change');
  // The moved instance alone: its series is found by the exception, not by the master's range.
  assert.deepEqual(await busy(calendarId, '2026-03-17T00:00:00Z', '2026-03-18T00:00:00Z'), [['2026-03-17T13:00:00Z', '2026-03-17T14:30:00Z']]);
  assert.deepEqual(await busy(calendarId, '2026-03-16T00:00:00Z', '2026-03-17T00:00:00Z'), [], 'the moved instance left its slot');
});

test('a rule without an end that started long before the window is expanded into it', async () => {
  const calendarId = await newCalendar('Endless');
  await client.events.insert({ calendarId, requestBody: {
    summary: 'Morning huddle', start: berlin('2024-01-01T08:00:00'), end: berlin('2024-01-01T08:15:00'), recurrence: ['RRULE:FREQ=DAILY'],
  } });
  assert.deepEqual(await busy(calendarId, '2026-07-01T00:00:00Z', '2026-07-03T00:00:00Z'), [
    ['2026-07-01T06:00:00Z', '2026-07-01T06:15:00Z'],
    ['2026-07-02T06:00:00Z', '2026-07-02T06:15:00Z'],
  ]);
});

test('all-day events block their day in the calendar zone; transparent and cancelled events leave time free; tentative ones block it', async () => {
  const calendarId = await newCalendar('Kinds');
  await client.events.insert({ calendarId, requestBody: { summary: 'Away', start: { date: '2026-05-04' }, end: { date: '2026-05-06' } } });
  await client.events.insert({ calendarId, requestBody: { summary: 'Holiday (free)', start: { date: '2026-05-07' }, end: { date: '2026-05-08' }, transparency: 'transparent' } });
  await client.events.insert({ calendarId, requestBody: { summary: 'Maybe', start: berlin('2026-05-07T09:00:00'), end: berlin('2026-05-07T10:00:00'), status: 'tentative' } });
  await client.events.insert({ calendarId, requestBody: {
    summary: 'Focus (free)', start: berlin('2026-05-07T11:00:00'), end: berlin('2026-05-07T12:00:00'), transparency: 'transparent',
    recurrence: ['RRULE:FREQ=DAILY;COUNT=3'],
  } });
  const { data: gone } = await client.events.insert({ calendarId, requestBody: { summary: 'Called off', start: berlin('2026-05-07T13:00:00'), end: berlin('2026-05-07T14:00:00') } });
  await client.events.delete({ calendarId, eventId: gone.id! });
  assert.deepEqual(await busy(calendarId, '2026-05-01T00:00:00Z', '2026-05-10T00:00:00Z'), [
    ['2026-05-03T22:00:00Z', '2026-05-05T22:00:00Z'],
    ['2026-05-07T07:00:00Z', '2026-05-07T08:00:00Z'],
  ]);
});

test('overlapping and touching events are one busy block; events are clipped to the window', async () => {
  const calendarId = await newCalendar('Overlaps');
  for (const [start, end] of [['09:00', '10:00'], ['09:30', '11:00'], ['11:00', '11:30'], ['13:00', '14:00'], ['06:00', '08:30']]) {
    await client.events.insert({ calendarId, requestBody: { summary: `${start}`, start: { dateTime: `2026-06-01T${start}:00Z` }, end: { dateTime: `2026-06-01T${end}:00Z` } } });
  }
  await client.events.insert({ calendarId, requestBody: {
    summary: 'Weekly overlap', start: berlin('2026-06-01T15:30:00'), end: berlin('2026-06-01T16:30:00'), recurrence: ['RRULE:FREQ=WEEKLY;COUNT=2'],
  } });
  await client.events.insert({ calendarId, requestBody: { summary: 'Overlapping the series', start: { dateTime: '2026-06-01T13:30:00Z' }, end: { dateTime: '2026-06-01T14:00:00Z' } } });
  assert.deepEqual(await busy(calendarId, '2026-06-01T08:00:00Z', '2026-06-01T14:15:00Z'), [
    ['2026-06-01T08:00:00Z', '2026-06-01T08:30:00Z'],
    ['2026-06-01T09:00:00Z', '2026-06-01T11:30:00Z'],
    ['2026-06-01T13:00:00Z', '2026-06-01T14:15:00Z'],
  ]);
});

test('primary names the first calendar; an unknown id gets notFound beside the answers of the others', async () => {
  const other = await tenantWithKey(t, 'other');
  const { data: created } = await client.calendars.insert({ requestBody: { summary: 'Not the first' } });
  const theirs = (await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: other.auth, payload: { summary: 'Theirs' } })).json().id;
  await t.app.inject({ method: 'POST', url: `/calendar/v3/calendars/${theirs}/events`, headers: other.auth, payload: {
    summary: 'Private', start: { dateTime: '2026-03-02T09:00:00Z' }, end: { dateTime: '2026-03-02T10:00:00Z' },
  } });
  const { data } = await client.freebusy.query({ requestBody: {
    timeMin: '2026-03-02T00:00:00Z', timeMax: '2026-03-03T00:00:00Z',
    items: [{ id: 'primary' }, { id: 'no-such-calendar' }, { id: theirs }, { id: created.id! }, { id: 'primary' }],
  } });
  assert.equal(data.kind, 'calendar#freeBusy');
  assert.equal(data.timeMin, '2026-03-02T00:00:00.000Z');
  assert.equal(data.timeMax, '2026-03-03T00:00:00.000Z');
  assert.deepEqual(Object.keys(data.calendars!), ['primary', 'no-such-calendar', theirs, created.id!]);
  assert.deepEqual(data.calendars!.primary, { busy: [{ start: '2026-03-02T09:00:00Z', end: '2026-03-02T10:00:00Z' }] }, 'the series calendar, made first');
  for (const id of ['no-such-calendar', theirs]) {
    assert.deepEqual(data.calendars![id], { errors: [{ domain: 'global', reason: 'notFound' }], busy: [] }, id);
  }
  assert.deepEqual(data.calendars![created.id!], { busy: [] });
});

test('calendars past calendarExpansionMax get tooManyCalendarsRequested', async () => {
  const res = await t.app.inject({ method: 'POST', url: '/calendar/v3/freeBusy', headers: auth, payload: {
    timeMin: '2026-03-02T00:00:00Z', timeMax: '2026-03-03T00:00:00Z', calendarExpansionMax: 2, items: [{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: '__proto__' }],
  } });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json().calendars, {
    a: { errors: [{ domain: 'global', reason: 'notFound' }], busy: [] },
    b: { errors: [{ domain: 'global', reason: 'notFound' }], busy: [] },
    c: { errors: [{ domain: 'global', reason: 'tooManyCalendarsRequested' }], busy: [] },
    ['__proto__']: { errors: [{ domain: 'global', reason: 'tooManyCalendarsRequested' }], busy: [] },
  });
});

test('bad windows and bodies get Google-shaped 400s', async () => {
  const query = (requestBody: calendar_v3.Schema$FreeBusyRequest) => t.app.inject({ method: 'POST', url: '/calendar/v3/freeBusy', headers: auth, payload: requestBody });
  const reasonOf = async (requestBody: calendar_v3.Schema$FreeBusyRequest): Promise<[number, string, string | undefined]> => {
    const res = await query(requestBody);
    const [error] = res.json().error.errors;
    return [res.statusCode, error.reason, error.location];
  };
  const items = [{ id: 'primary' }];
  assert.deepEqual(await reasonOf({ timeMin: '2026-03-02T00:00:00Z', timeMax: '2026-03-02T00:00:00Z', items }), [400, 'timeRangeEmpty', 'timeMax']);
  assert.deepEqual(await reasonOf({ timeMin: '2026-03-02T00:00:00Z', timeMax: '2026-03-01T00:00:00+01:00', items }), [400, 'timeRangeEmpty', 'timeMax']);
  assert.deepEqual(await reasonOf({ timeMin: '2026-01-01T00:00:00Z', timeMax: '2026-04-04T00:00:01Z', items }), [400, 'timeRangeTooLong', 'timeMax']);
  assert.equal((await query({ timeMin: '2026-01-01T00:00:00Z', timeMax: '2026-04-04T00:00:00Z', items })).statusCode, 200, '93 days exactly');
  assert.deepEqual(await reasonOf({ timeMin: '2026-03-02T00:00:00', timeMax: '2026-03-03T00:00:00Z', items }), [400, 'invalid', 'timeMin']);
  assert.deepEqual(await reasonOf({ timeMin: '2026-03-02T00:00:00Z', timeMax: '2026-03-03T00:00:00Z', timeZone: 'Mars/Olympus', items }), [400, 'invalid', 'timeZone']);
  assert.deepEqual(await reasonOf({ timeMin: '2026-03-02T00:00:00Z', timeMax: '2026-03-03T00:00:00Z', calendarExpansionMax: 51, items }), [400, 'invalid', undefined]);
  assert.deepEqual(await reasonOf({ timeMin: '2026-03-02T00:00:00Z', items }), [400, 'invalid', undefined]);
  // The official client surfaces the same error.
  await assert.rejects(client.freebusy.query({ requestBody: { timeMin: '2026-03-03T00:00:00Z', timeMax: '2026-03-02T00:00:00Z', items } }),
    (error: { response: { status: number; data: { error: { errors: Array<{ domain: string; reason: string }> } } } }) => {
      assert.equal(error.response.status, 400);
      assert.deepEqual([error.response.data.error.errors[0]!.domain, error.response.data.error.errors[0]!.reason], ['calendar', 'timeRangeEmpty']);
      return true;
    });
});
