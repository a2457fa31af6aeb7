import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoreError } from '../../src/core/errors.ts';
import { rruleFromGraph, rruleToGraph, type RecurrenceTerms } from '../../src/connectors/microsoft/recurrence.ts';

const berlin: RecurrenceTerms = { allDay: false, start: '2026-03-02T10:00:00', zone: 'Europe/Berlin' };
const range = (extra: object = {}) => ({ type: 'noEnd', startDate: '2026-03-02', recurrenceTimeZone: 'W. Europe Standard Time', ...extra });

test('each documented pattern reads as its RRULE', () => {
  const cases: [object, string, RecurrenceTerms?][] = [
    [{ type: 'daily', interval: 3 }, 'FREQ=DAILY;INTERVAL=3'],
    [{ type: 'weekly', interval: 1, daysOfWeek: ['monday', 'tuesday'], firstDayOfWeek: 'monday' }, 'FREQ=WEEKLY;BYDAY=MO,TU'],
    [{ type: 'weekly', interval: 2, daysOfWeek: ['monday'], firstDayOfWeek: 'sunday' }, 'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;WKST=SU'],
    [{ type: 'absoluteMonthly', interval: 3, dayOfMonth: 15 }, 'FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15'],
    [{ type: 'relativeMonthly', interval: 1, daysOfWeek: ['thursday'], index: 'second' }, 'FREQ=MONTHLY;BYDAY=2TH'],
    [{ type: 'relativeMonthly', interval: 1, daysOfWeek: ['friday'], index: 'last' }, 'FREQ=MONTHLY;BYDAY=-1FR'],
    [{ type: 'relativeMonthly', interval: 3, daysOfWeek: ['thursday', 'friday'], index: 'second' }, 'FREQ=MONTHLY;INTERVAL=3;BYDAY=TH,FR;BYSETPOS=2'],
    [{ type: 'absoluteYearly', interval: 3, month: 3, dayOfMonth: 15 }, 'FREQ=YEARLY;INTERVAL=3;BYMONTH=3;BYMONTHDAY=15'],
    [{ type: 'relativeYearly', interval: 1, month: 11, daysOfWeek: ['thursday'], index: 'fourth' }, 'FREQ=YEARLY;BYMONTH=11;BYDAY=4TH'],
  ];
  for (const [pattern, rrule] of cases) assert.equal(rruleFromGraph({ pattern, range: range() }, berlin, 'Europe/Berlin'), rrule);
});

test('index defaults to first, and Graph\'s default first day of the week (Sunday) is written as WKST', () => {
  assert.equal(rruleFromGraph({ pattern: { type: 'relativeMonthly', interval: 1, daysOfWeek: ['monday'] }, range: range() }, berlin, null), 'FREQ=MONTHLY;BYDAY=1MO');
  assert.equal(rruleFromGraph({ pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'] }, range: range() }, berlin, null), 'FREQ=WEEKLY;BYDAY=MO;WKST=SU');
});

test('days of the week and types are read whatever their case', () => {
  const pattern = { type: 'Weekly', interval: 1, daysOfWeek: ['Monday', 'WEDNESDAY'], firstDayOfWeek: 'Monday' };
  assert.equal(rruleFromGraph({ pattern, range: { ...range(), type: 'NoEnd' } }, berlin, null), 'FREQ=WEEKLY;BYDAY=MO,WE');
});

test('a day past the 28th is the month\'s last day in months that lack it, as Outlook schedules it', () => {
  assert.equal(rruleFromGraph({ pattern: { type: 'absoluteMonthly', interval: 1, dayOfMonth: 31 }, range: range() }, berlin, null), 'FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1');
  const back = rruleToGraph('FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1', { ...berlin, start: '2026-03-31T10:00:00' }, 'W. Europe Standard Time');
  assert.deepEqual(back.recurrence?.pattern, { type: 'absoluteMonthly', interval: 1, dayOfMonth: 31 });
  assert.match(rruleToGraph('FREQ=MONTHLY;BYMONTHDAY=31', { ...berlin, start: '2026-03-31T10:00:00' }, 'UTC').refused!, /skips the months that have no day 31/);
});

test('ranges: numbered is COUNT, endDate is UNTIL at the end of that date in the recurrence zone, noEnd is neither', () => {
  const daily = { type: 'daily', interval: 1 };
  assert.equal(rruleFromGraph({ pattern: daily, range: range({ type: 'numbered', numberOfOccurrences: 10, endDate: '0001-01-01' }) }, berlin, null), 'FREQ=DAILY;COUNT=10');
  // 2026-06-30 23:59:59 in Berlin (CEST, +02:00) is 21:59:59 UTC.
  assert.equal(rruleFromGraph({ pattern: daily, range: range({ type: 'endDate', endDate: '2026-06-30' }) }, berlin, 'Europe/Berlin'), 'FREQ=DAILY;UNTIL=20260630T215959Z');
  // The recurrence zone, not the master's, decides where the day ends.
  assert.equal(rruleFromGraph({ pattern: daily, range: range({ type: 'endDate', endDate: '2026-06-30' }) }, berlin, 'America/Los_Angeles'), 'FREQ=DAILY;UNTIL=20260701T065959Z');
  assert.equal(rruleFromGraph({ pattern: daily, range: range({ type: 'endDate', endDate: '2026-06-30' }) }, { allDay: true, start: '2026-03-02', zone: 'Europe/Berlin' }, null), 'FREQ=DAILY;UNTIL=20260630');
});

test('malformed patterns are INVALID_RECURRENCE naming the member', () => {
  const bad: [object, string][] = [
    [{ pattern: { type: 'hourly', interval: 1 }, range: range() }, 'recurrence.pattern.type'],
    [{ pattern: { type: 'daily', interval: 0 }, range: range() }, 'recurrence.pattern.interval'],
    [{ pattern: { type: 'weekly', interval: 1, daysOfWeek: [] }, range: range() }, 'recurrence.pattern.daysOfWeek'],
    [{ pattern: { type: 'weekly', interval: 1, daysOfWeek: ['funday'] }, range: range() }, 'recurrence.pattern.daysOfWeek[0]'],
    [{ pattern: { type: 'absoluteMonthly', interval: 1, dayOfMonth: 0 }, range: range() }, 'recurrence.pattern.dayOfMonth'],
    [{ pattern: { type: 'relativeMonthly', interval: 1, daysOfWeek: ['monday'], index: 'fifth' }, range: range() }, 'recurrence.pattern.index'],
    [{ pattern: { type: 'daily', interval: 1 }, range: range({ type: 'endDate' }) }, 'recurrence.range.endDate'],
    [{ pattern: { type: 'daily', interval: 1 }, range: range({ type: 'numbered', numberOfOccurrences: 0 }) }, 'recurrence.range.numberOfOccurrences'],
  ];
  for (const [recurrence, path] of bad) {
    assert.throws(() => rruleFromGraph(recurrence, berlin, null), (e: unknown) => e instanceof CoreError && e.code === 'INVALID_RECURRENCE' && e.path === path, path);
  }
});

test('RRULEs Graph can hold become its pattern and range', () => {
  const to = (rule: string, terms = berlin) => rruleToGraph(rule, terms, 'W. Europe Standard Time').recurrence;
  assert.deepEqual(to('FREQ=WEEKLY;INTERVAL=2;BYDAY=WE,MO;WKST=SU;COUNT=8'), {
    pattern: { type: 'weekly', interval: 2, daysOfWeek: ['monday', 'wednesday'], firstDayOfWeek: 'sunday' },
    range: { type: 'numbered', startDate: '2026-03-02', recurrenceTimeZone: 'W. Europe Standard Time', numberOfOccurrences: 8 },
  });
  assert.deepEqual(to('FREQ=WEEKLY')?.pattern, { type: 'weekly', interval: 1, daysOfWeek: ['monday'], firstDayOfWeek: 'monday' });
  // 2026-03-02 is the first Monday of March.
  assert.deepEqual(to('FREQ=MONTHLY;BYDAY=1MO')?.pattern, { type: 'relativeMonthly', interval: 1, daysOfWeek: ['monday'], index: 'first' });
  assert.deepEqual(to('FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1')?.pattern, { type: 'relativeMonthly', interval: 1, daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'], index: 'first' });
  assert.deepEqual(to('FREQ=YEARLY')?.pattern, { type: 'absoluteYearly', interval: 1, month: 3, dayOfMonth: 2 });
  assert.deepEqual(to('FREQ=YEARLY;BYMONTH=3;BYDAY=1MO')?.pattern, { type: 'relativeYearly', interval: 1, month: 3, daysOfWeek: ['monday'], index: 'first' });
  assert.deepEqual(to('FREQ=MONTHLY;BYDAY=-1TU', { ...berlin, start: '2026-03-31T10:00:00' })?.pattern, { type: 'relativeMonthly', interval: 1, daysOfWeek: ['tuesday'], index: 'last' });
});

test('UNTIL becomes the last date an instance can fall on, in the series\' zone', () => {
  const endDate = (rule: string, terms = berlin) => rruleToGraph(rule, terms, 'x').recurrence?.range.endDate;
  assert.equal(endDate('FREQ=DAILY;UNTIL=20260630T215959Z'), '2026-06-30');
  // 08:00 UTC on 30 June is 10:00 in Berlin: the 10:00 instance of that day is included.
  assert.equal(endDate('FREQ=DAILY;UNTIL=20260630T080000Z'), '2026-06-30');
  // 07:59 UTC is 09:59 in Berlin, before that day's instance.
  assert.equal(endDate('FREQ=DAILY;UNTIL=20260630T075900Z'), '2026-06-29');
  assert.equal(endDate('FREQ=DAILY;UNTIL=20260630', { allDay: true, start: '2026-03-02', zone: 'Europe/Berlin' }), '2026-06-30');
});

test('what Graph cannot hold is refused with a reason, never approximated', () => {
  const refused: [string, RegExp, RecurrenceTerms?][] = [
    ['FREQ=HOURLY', /daily at the finest/],
    ['FREQ=MINUTELY;INTERVAL=15', /daily at the finest/],
    ['FREQ=DAILY;BYHOUR=9,17', /BYHOUR/],
    ['FREQ=YEARLY;BYYEARDAY=100', /BYYEARDAY/],
    ['FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO', /BYWEEKNO/],
    ['FREQ=MONTHLY;BYMONTHDAY=2,16', /several BYMONTHDAY/],
    ['FREQ=MONTHLY;BYMONTHDAY=-1', /from the month's end/],
    ['FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=1,2', /several positions/],
    ['FREQ=MONTHLY;BYDAY=1MO;BYSETPOS=1', /numbered BYDAY/],
    ['FREQ=MONTHLY;BYDAY=MO', /BYDAY without a number/],
    ['FREQ=MONTHLY;BYDAY=1MO,3MO', /several BYDAY/],
    ['FREQ=MONTHLY;BYDAY=5MO', /no Graph index/],
    ['FREQ=DAILY;BYDAY=MO,TU', /daily rule with BYDAY/],
    ['FREQ=WEEKLY;BYDAY=1MO', /numbered BYDAY/],
    ['FREQ=YEARLY;BYMONTH=3,6', /several BYMONTH/],
    ['FREQ=YEARLY;BYDAY=1MO', /counts weekdays in the year/],
    ['FREQ=WEEKLY;BYDAY=TU', /starts on a day its own rule does not give/],
    ['FREQ=MONTHLY;BYMONTHDAY=15', /starts on a day its own rule does not give/],
    ['FREQ=DAILY;UNTIL=20260101T000000Z', /before its start/],
    ['FREQ=DAILY;COUNT=0', /cannot be read/],
  ];
  for (const [rule, reason] of refused) {
    const result = rruleToGraph(rule, berlin, 'UTC');
    assert.equal(result.recurrence, undefined, rule);
    assert.match(result.refused!, reason, rule);
  }
});

test('a written pattern reads back as the rule it came from', () => {
  const rules = [
    'FREQ=DAILY;INTERVAL=2;COUNT=5', 'FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=20260630T215959Z', 'FREQ=WEEKLY;INTERVAL=3;BYDAY=MO;WKST=SU',
    'FREQ=MONTHLY;BYMONTHDAY=2', 'FREQ=MONTHLY;BYDAY=1MO', 'FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=1', 'FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=2',
    'FREQ=YEARLY;INTERVAL=2;BYMONTH=3;BYDAY=1MO;COUNT=4',
  ];
  for (const rule of rules) {
    const written = rruleToGraph(rule, berlin, 'W. Europe Standard Time');
    assert.ok(written.recurrence, `${rule}: ${written.refused}`);
    assert.equal(rruleFromGraph(written.recurrence, berlin, 'Europe/Berlin'), rule);
  }
});
