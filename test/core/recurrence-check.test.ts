// Rules calsync cannot expand are refused where a recurrence comes in, with a sentence
// saying what to fix: by reasoning where the cause can be named, by the bounded probe
// otherwise. The iCalendar reader and Google reader refuse them (connectors then
// quarantine the item), and a pass's planner sets aside any that still arrive.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RemoteLiveItem } from '../../src/connectors/connector.ts';
import { CoreError } from '../../src/core/errors.ts';
import { eventFromGoogle } from '../../src/core/google/index.ts';
import { parseCalendar } from '../../src/core/ical/index.ts';
import { recurrenceProblem } from '../../src/core/ical/recurrence-check.ts';
import { plan } from '../../src/core/plan.ts';
import { defaultPolicy } from '../../src/core/policy.ts';
import { defaultSafety } from '../../src/core/safety.ts';
import { event, weekly } from '../helpers/events.ts';
import { withoutHanging } from '../helpers/hang-guard.ts';

const master = (rule: string, start = '2025-01-01T10:00:00', allDay = false) => event({
  allDay,
  start: { local: allDay ? start.slice(0, 10) : start, tz: allDay ? null : 'Europe/Berlin' },
  end: { local: allDay ? '2025-01-02' : start.replace('T10', 'T11'), tz: allDay ? null : 'Europe/Berlin' },
  recurrence: { rrule: [rule], rdate: [], exdate: [] },
});

const problem = (rule: string, start?: string, allDay?: boolean): string | null => recurrenceProblem(master(rule, start, allDay))?.message ?? null;

test('rules that can be seen never to occur are refused, naming the cause and the fix', async () => {
  await withoutHanging(60, 'refusing never-matching rules', () => {
    for (const freq of ['SECONDLY', 'MINUTELY', 'HOURLY', 'DAILY', 'MONTHLY', 'YEARLY']) {
      assert.match(problem(`FREQ=${freq};BYMONTH=2;BYMONTHDAY=30`) ?? '', /never occurs: February has no day BYMONTHDAY=30; fix BYMONTH or BYMONTHDAY \(BYMONTHDAY=-1 is the last day of every month\)/, freq);
    }
    assert.match(problem('FREQ=MONTHLY;BYMONTH=4;BYMONTHDAY=31') ?? '', /April has no day BYMONTHDAY=31/);
    assert.match(problem('FREQ=DAILY;BYMONTH=4,6,9,11;BYMONTHDAY=31') ?? '', /none of April, June, September, November has a day BYMONTHDAY=31/);
    assert.match(problem('FREQ=YEARLY;BYYEARDAY=366;BYMONTH=1') ?? '', /no day BYYEARDAY=366 falls on BYMONTH=1/);
    assert.match(problem('FREQ=MONTHLY;INTERVAL=12;BYMONTH=2') ?? '', /every 12 months from January reaches January only, never BYMONTH=2/);
    assert.match(problem('FREQ=HOURLY;INTERVAL=2;BYHOUR=1') ?? '', /steps of 2 hours from 10:00:00 never land on a time BYHOUR allows; change INTERVAL, BYHOUR or the start/);
    assert.match(problem('FREQ=SECONDLY;INTERVAL=2;BYSECOND=1') ?? '', /steps of 2 seconds from 10:00:00 never land on a time BYSECOND allows/);
    assert.match(problem('FREQ=SECONDLY;BYSECOND=60') ?? '', /BYSECOND=60 is a leap second/);
    assert.match(problem('FREQ=DAILY;BYHOUR=9,17;BYSETPOS=3') ?? '', /BYSETPOS=3 picks nothing: each day holds 2 instances/);
  });
});

test('what reasoning does not name, the bounded probe refuses: never proven over 400 years, or not found in time', async () => {
  await withoutHanging(60, 'probing rules', () => {
    assert.match(problem('FREQ=YEARLY;BYWEEKNO=1;BYMONTH=6') ?? '', /never occurs after its start: its steps never reach a date that matches all its parts \(checked over a whole 400-year cycle/);
    assert.match(problem('FREQ=WEEKLY;INTERVAL=20871;BYMONTH=2') ?? '', /never occurs after its start/);
    assert.match(problem('FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6') ?? '', /never occurs after its start/);
    assert.match(problem('FREQ=YEARLY;INTERVAL=1000;BYMONTH=2;BYMONTHDAY=29') ?? '', /never occurs after its start/, '2025 + 1000 k is never a leap year');
    assert.match(problem('FREQ=DAILY;INTERVAL=1000000;BYMONTH=2') ?? '', /no instance after its start before the year 9999/);
    // Steps of a day less a minute meet 29 February at 03:07 once in centuries, if at all.
    assert.match(problem('FREQ=MINUTELY;INTERVAL=1439;BYMONTH=2;BYMONTHDAY=29;BYHOUR=3;BYMINUTE=7') ?? '', /no instance after its start within the 400,000 steps calsync takes to find one: its instances lie too far apart to expand, or never come; simplify the rule/);
  });
});

test('parts RFC 5545 forbids together, unreadable values, and series past what the store holds are refused', () => {
  assert.match(problem('FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=30') ?? '', /BYMONTHDAY does not go with FREQ=WEEKLY/);
  assert.match(problem('FREQ=DAILY;BYDAY=1MO') ?? '', /BYDAY=1MO: a numbered weekday needs FREQ=MONTHLY or FREQ=YEARLY/);
  assert.match(problem('FREQ=MONTHLY;BYWEEKNO=3') ?? '', /BYWEEKNO is for FREQ=YEARLY only/);
  assert.match(problem('FREQ=HOURLY', '2025-01-01', true) ?? '', /an all-day series repeats at most daily/);
  assert.match(problem('FREQ=DAILY;COUNT=0') ?? '', /cannot be read: COUNT=0 is not a whole number of at least 1/);
  assert.match(problem('FREQ=YEARLY;COUNT=100000') ?? '', /COUNT=100000 runs the series past the year 9999, the last one calsync stores; give a smaller COUNT/);
  assert.match(problem('FREQ=DAILY;UNTIL=99991231T000000Z') ?? '', /UNTIL lies too close to the end of the year 9999/);
  assert.equal(problem('FREQ=DAILY;UNTIL=99981231T000000Z'), null);
  assert.equal(problem('FREQ=SECONDLY;COUNT=1000000000'), null, 'long but expandable: listings bound it');
});

test('rare rules that do occur pass', () => {
  for (const rule of ['FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29', 'FREQ=MONTHLY;BYMONTHDAY=31', 'FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13', 'FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO',
    'FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=10;BYMINUTE=0;BYSECOND=0', 'FREQ=YEARLY;BYYEARDAY=366', 'FREQ=YEARLY;BYWEEKNO=53;BYDAY=TH', 'FREQ=WEEKLY;BYDAY=MO;COUNT=10']) {
    assert.equal(problem(rule), null, rule);
  }
  assert.equal(problem('FREQ=YEARLY', '2024-02-29', true), null);
});

test('the iCalendar reader refuses the item at its RRULE line; the Google reader names the recurrence line', () => {
  const ics = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', 'BEGIN:VEVENT', 'UID:feb30@example.com', 'DTSTAMP:20250101T000000Z',
    'DTSTART:20250101T100000Z', 'DTEND:20250101T110000Z', 'SUMMARY:Never', 'RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30', 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
  assert.throws(() => parseCalendar(ics), (e: unknown) =>
    e instanceof CoreError && e.code === 'INVALID_RECURRENCE' && e.path === 'line 10' && /VEVENT "feb30@example.com": RRULE "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30" never occurs/.test(e.message));
  const resource = {
    iCalUID: 'never@example.com', summary: 'Never', start: { dateTime: '2025-01-01T10:00:00+01:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2025-01-01T11:00:00+01:00', timeZone: 'Europe/Berlin' },
    recurrence: ['EXDATE;TZID=Europe/Berlin:20250102T100000', 'RRULE:FREQ=HOURLY;BYMONTH=4;BYMONTHDAY=31'],
  };
  assert.throws(() => eventFromGoogle(resource, { calendarTimeZone: 'UTC' }), (e: unknown) =>
    e instanceof CoreError && e.code === 'INVALID_RECURRENCE' && e.path === 'recurrence[1]' && /April has no day BYMONTHDAY=31/.test(e.message));
});

test('a pass sets aside a series it cannot expand, on either side, with the reason', () => {
  const bad = weekly({ uid: 'never', recurrence: { rrule: ['FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30'], rdate: [], exdate: [] } });
  const item: RemoteLiveItem = { remoteId: 'R', etag: 'e1', deleted: false, series: bad, calsyncId: null, updatedAt: null };
  const input = {
    binding: { direction: 'two_way' as const, projection: 'full' as const }, policy: defaultPolicy, safety: defaultSafety, statuses: [],
    calendar: [{ eventId: 'E', series: { ...bad, uid: 'never-too', master: { ...bad.master!, uid: 'never-too' } }, updatedAt: null, uid: 'never-too' }],
    remote: { items: [item], complete: false, window: null },
  };
  const quarantined = plan(input).actions.filter((a) => a.op === 'quarantine');
  assert.deepEqual(quarantined.map((a) => `${a.side}:${a.remoteId ?? a.eventId}`).sort(), ['calendar:E', 'remote:R']);
  for (const a of quarantined) assert.match(a.reason, /never occurs: February has no day BYMONTHDAY=30/);
});
