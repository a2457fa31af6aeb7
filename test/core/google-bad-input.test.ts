// Malformed Google input is a CoreError naming the member as Google spells it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoreError } from '../../src/core/errors.ts';
import { eventFromGoogle, eventToGoogle, seriesFromGoogle, seriesToGoogle } from '../../src/core/google/index.ts';
import { FIXTURE_ZONE, googleFixture } from '../fixtures/google/fixtures.ts';
import { event, weekly } from '../helpers/events.ts';

const context = { calendarTimeZone: FIXTURE_ZONE };
const valid = () => googleFixture('attendees_with_resources.json');
const recurring = () => googleFixture('recurring_with_exdate_tzid.json');

function throwsAt(call: () => unknown, path: string, code?: string): void {
  assert.throws(call, (e: unknown) => {
    assert.ok(e instanceof CoreError, `not a CoreError: ${String(e)}`);
    assert.equal(e.path, path, e.message);
    if (code !== undefined) assert.equal(e.code, code);
    return true;
  });
}

test('bad members of a resource name themselves', () => {
  const cases: [string, (r: any) => void, string][] = [
    ['not an object', (r) => Object.assign(r, { start: 'tomorrow' }), 'start'],
    ['no start', (r) => delete r.start, 'start'],
    ['no end', (r) => delete r.end, 'end'],
    ['malformed dateTime', (r) => (r.start.dateTime = '2026-03-04 14:00'), 'start.dateTime'],
    ['impossible date', (r) => (r.end = { date: '2026-02-30' }), 'end.date'],
    ['date and dateTime mixed', (r) => (r.end = { date: '2026-03-05' }), 'end'],
    ['end before start', (r) => (r.end.dateTime = '2026-03-04T13:00:00+01:00'), 'end.dateTime'],
    ['unknown zone', (r) => (r.start.timeZone = 'Europe/Atlantis'), 'start.timeZone'],
    ['unknown status', (r) => (r.status = 'postponed'), 'status'],
    ['unknown transparency', (r) => (r.transparency = 'busy'), 'transparency'],
    ['unknown visibility', (r) => (r.visibility = 'secret'), 'visibility'],
    ['unknown event type', (r) => (r.eventType = 'meeting'), 'eventType'],
    ['bad email', (r) => (r.attendees[1].email = 'ann at example.com'), 'attendees[1].email'],
    ['attendee without email', (r) => delete r.attendees[2].email, 'attendees[2].email'],
    ['attendee twice', (r) => (r.attendees[2].email = 'ANN@example.com'), 'attendees[2].email'],
    ['unknown response', (r) => (r.attendees[0].responseStatus = 'maybe'), 'attendees[0].responseStatus'],
    ['optional not a boolean', (r) => (r.attendees[0].optional = 'yes'), 'attendees[0].optional'],
    ['bad organizer email', (r) => (r.organizer.email = 'carol'), 'organizer.email'],
    ['negative sequence', (r) => (r.sequence = -1), 'sequence'],
    ['summary not text', (r) => (r.summary = 42), 'summary'],
    ['wrong kind', (r) => (r.kind = 'calendar#calendar'), 'kind'],
    ['empty iCalUID', (r) => (r.iCalUID = ''), 'iCalUID'],
    ['reminders without useDefault', (r) => (r.reminders = { overrides: [] }), 'reminders.useDefault'],
    ['unknown reminder method', (r) => (r.reminders = { useDefault: false, overrides: [{ method: 'sms', minutes: 10 }] }), 'reminders.overrides[0].method'],
    ['reminder too early', (r) => (r.reminders = { useDefault: false, overrides: [{ method: 'popup', minutes: 40321 }] }), 'reminders.overrides[0].minutes'],
    ['six reminders', (r) => (r.reminders = { useDefault: false, overrides: Array.from({ length: 6 }, (_, i) => ({ method: 'popup', minutes: i })) }), 'reminders.overrides'],
    ['default and overrides', (r) => (r.reminders = { useDefault: true, overrides: [{ method: 'popup', minutes: 10 }] }), 'reminders.overrides'],
    ['two video entry points', (r) => (r.conferenceData = { entryPoints: [{ entryPointType: 'video', uri: 'https://a.example' }, { entryPointType: 'video', uri: 'https://b.example' }] }), 'conferenceData.entryPoints[1].entryPointType'],
    ['relative conference link', (r) => (r.hangoutLink = 'meet/abc'), 'hangoutLink'],
    ['unknown entry point type', (r) => (r.conferenceData = { entryPoints: [{ entryPointType: 'fax' }] }), 'conferenceData.entryPoints[0].entryPointType'],
    ['extended property not text', (r) => (r.extendedProperties = { private: { n: 1 } }), 'extendedProperties.private.n'],
    ['broken calsync property', (r) => (r.extendedProperties = { private: { calsyncCategories: '[1,' } }), 'extendedProperties.private.calsyncCategories'],
    ['instance without original start', (r) => (r.recurringEventId = 'abcde12345'), 'originalStartTime'],
    ['source without url', (r) => (r.source = { title: 'x' }), 'source.url'],
    ['attachment without url', (r) => (r.attachments = [{ title: 'x' }]), 'attachments[0].fileUrl'],
    ['recurrence on an instance', (r) => Object.assign(r, { recurringEventId: 'a', originalStartTime: r.start, recurrence: ['RRULE:FREQ=DAILY'] }), 'recurrence'],
  ];
  for (const [what, mutate, path] of cases) {
    const r = valid();
    mutate(r);
    assert.doesNotThrow(() => JSON.stringify(r), what);
    throwsAt(() => eventFromGoogle(r, context), path);
  }
});

test('recurring events need timeZone; recurrence lines are checked line by line', () => {
  const noZone = recurring();
  delete noZone.start.timeZone;
  throwsAt(() => eventFromGoogle(noZone, context), 'start.timeZone');
  const badLine = recurring();
  badLine.recurrence.push('DTSTART:20260302T140000Z');
  throwsAt(() => eventFromGoogle(badLine, context), 'recurrence[3]', 'INVALID_RECURRENCE');
  const badRule = recurring();
  badRule.recurrence[2] = 'RRULE:FREQ=WEEKLY;BYDAY=XX';
  throwsAt(() => eventFromGoogle(badRule, context), 'recurrence[2]', 'INVALID_RECURRENCE');
});

test('bad arguments name the argument', () => {
  throwsAt(() => eventFromGoogle(valid(), {} as never), 'context.calendarTimeZone', 'INVALID_INPUT');
  throwsAt(() => eventFromGoogle(valid(), { calendarTimeZone: 'Moon/Base' }), 'context.calendarTimeZone', 'UNKNOWN_TIME_ZONE');
  throwsAt(() => eventFromGoogle(valid(), { ...context, master: { uid: 'x' } as never }), 'context.master.allDay', 'INVALID_INPUT');
  throwsAt(() => eventToGoogle(event(), { calendarTimeZone: 'Moon/Base' }), 'meta.calendarTimeZone', 'UNKNOWN_TIME_ZONE');
  throwsAt(() => eventToGoogle(event({ recurrenceId: '2026-03-02T10:00:00' }), context), 'meta.recurringEventId', 'INVALID_INPUT');
  throwsAt(() => eventToGoogle(event({ extras: { google: { recurrence: 'RRULE:FREQ=DAILY' } } }), context), 'event.extras.google.recurrence');
  throwsAt(() => seriesToGoogle(weekly(), { calendarTimeZone: FIXTURE_ZONE } as never), 'meta.id', 'INVALID_INPUT');
  throwsAt(() => seriesFromGoogle('x', context), 'resources', 'INVALID_INPUT');
});

test('a series: one master, one series id, one uid, each instance once', () => {
  const list = () => googleFixture('series_master_with_exceptions.json');
  const twoMasters = list();
  twoMasters.push({ ...twoMasters[2], id: 'other12345' });
  throwsAt(() => seriesFromGoogle(twoMasters, context), '[3].recurringEventId');
  const otherSeries = list();
  otherSeries[0].recurringEventId = 'other12345';
  throwsAt(() => seriesFromGoogle(otherSeries, context), '[0].recurringEventId');
  const otherUid = list();
  otherUid[0].iCalUID = 'other@example.com';
  throwsAt(() => seriesFromGoogle(otherUid, context), '[0].iCalUID');
  const twice = list();
  twice[1].originalStartTime = twice[0].originalStartTime;
  throwsAt(() => seriesFromGoogle(twice, context), '[1].originalStartTime');
  const broken = list();
  broken[0].start.dateTime = 'soon';
  throwsAt(() => seriesFromGoogle(broken, context), '[0].start.dateTime');
  throwsAt(() => seriesFromGoogle([], context), 'resources');
});
