import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoreError } from '../../src/core/errors.ts';
import { readRecurrence, renderRecurrence } from '../../src/core/google/recurrence.ts';
import type { Terms } from '../../src/core/google/times.ts';

const berlin: Terms = { allDay: false, tz: 'Europe/Berlin', timeOfDay: '10:00:00' };
const allDay: Terms = { allDay: true, tz: null, timeOfDay: '00:00:00' };
const floating: Terms = { allDay: false, tz: null, timeOfDay: '10:00:00' };

test('EXDATE and RDATE in UTC or another zone become the master\'s wall clock', () => {
  const { recurrence } = readRecurrence([
    'RRULE:FREQ=WEEKLY;BYDAY=MO',
    'EXDATE:20260309T090000Z',
    'EXDATE;TZID=America/New_York:20260316T050000,20260323T050000',
    'exdate;tzid=Europe/Berlin:20260330T100000',
    // Quoted, and a Windows name, as Outlook-made events carry into Google.
    'EXDATE;TZID="W. Europe Standard Time":20260406T100000',
    'RDATE;TZID=Asia/Tokyo:20260305T180000',
    'RDATE:20260701T080000Z',
  ], berlin, 'UTC');
  assert.deepEqual(recurrence, {
    rrule: ['FREQ=WEEKLY;BYDAY=MO'],
    rdate: ['2026-03-05T10:00:00', '2026-07-01T10:00:00'],
    // 16 and 23 March fall between the US (8 March) and EU (29 March) DST changes.
    exdate: ['2026-03-09T10:00:00', '2026-03-16T10:00:00', '2026-03-23T10:00:00', '2026-03-30T10:00:00', '2026-04-06T10:00:00'],
  });
});

test('all-day series keep dates; a date-time EXDATE gives its date', () => {
  const { recurrence } = readRecurrence(['RRULE:FREQ=YEARLY', 'EXDATE;VALUE=DATE:20280229,20320229', 'EXDATE:20360229T230000Z'], allDay, 'UTC');
  assert.deepEqual(recurrence?.exdate, ['2028-02-29', '2032-02-29', '2036-02-29']);
});

test('a DATE in a timed series means that day\'s instance', () => {
  assert.deepEqual(readRecurrence(['RRULE:FREQ=DAILY', 'EXDATE;VALUE=DATE:20260303'], berlin, 'UTC').recurrence?.exdate, ['2026-03-03T10:00:00']);
});

test('a floating master reads its dates in the calendar\'s zone', () => {
  const { recurrence } = readRecurrence(['RRULE:FREQ=DAILY', 'EXDATE;TZID=Europe/London:20260303T100000', 'EXDATE:20260304T100000Z'], floating, 'Europe/London');
  assert.deepEqual(recurrence?.exdate, ['2026-03-03T10:00:00', '2026-03-04T10:00:00']);
});

test('EXRULE and RDATE;VALUE=PERIOD are kept as lines', () => {
  const lines = ['RRULE:FREQ=DAILY;COUNT=10', 'EXRULE:FREQ=WEEKLY;BYDAY=SA,SU', 'RDATE;VALUE=PERIOD:20260320T090000Z/PT2H'];
  const read = readRecurrence(lines, berlin, 'UTC');
  assert.deepEqual(read.recurrence, { rrule: ['FREQ=DAILY;COUNT=10'], rdate: [], exdate: [] });
  assert.deepEqual(read.unmodelled, lines.slice(1));
  // Changed, the recurrence is written afresh, with the unmodelled lines after it.
  const changed = { rrule: ['FREQ=DAILY;COUNT=12'], rdate: [], exdate: ['2026-03-05T10:00:00'] };
  assert.deepEqual(renderRecurrence(changed, berlin, 'UTC', lines), [
    'RRULE:FREQ=DAILY;COUNT=12', 'EXDATE;TZID=Europe/Berlin:20260305T100000', ...lines.slice(1),
  ]);
});

test('the source\'s lines are written back verbatim while they say the same', () => {
  const lines = ['EXDATE:20260309T090000Z', 'RRULE:FREQ=WEEKLY'];
  const { recurrence } = readRecurrence(lines, berlin, 'UTC');
  assert.equal(renderRecurrence(recurrence!, berlin, 'UTC', lines), lines);
  // The master moved to another zone: the same lines now mean other instances.
  const moved: Terms = { ...berlin, tz: 'Europe/London' };
  assert.deepEqual(renderRecurrence(recurrence!, moved, 'UTC', lines), ['RRULE:FREQ=WEEKLY', 'EXDATE;TZID=Europe/London:20260309T100000']);
});

test('rendering in the master\'s terms: TZID, Z for UTC, VALUE=DATE, the calendar zone for floating', () => {
  const r = { rrule: ['FREQ=DAILY'], rdate: ['2026-03-05T10:00:00'], exdate: ['2026-03-03T10:00:00', '2026-03-04T10:00:00'] };
  assert.deepEqual(renderRecurrence(r, berlin, 'UTC', undefined), [
    'RRULE:FREQ=DAILY', 'RDATE;TZID=Europe/Berlin:20260305T100000', 'EXDATE;TZID=Europe/Berlin:20260303T100000,20260304T100000',
  ]);
  assert.deepEqual(renderRecurrence(r, { ...berlin, tz: 'UTC' }, 'Europe/Berlin', undefined)[2], 'EXDATE:20260303T100000Z,20260304T100000Z');
  assert.deepEqual(renderRecurrence(r, floating, 'Asia/Tokyo', undefined)[1], 'RDATE;TZID=Asia/Tokyo:20260305T100000');
  assert.deepEqual(renderRecurrence({ rrule: [], rdate: ['2026-03-05'], exdate: [] }, allDay, 'UTC', undefined), ['RDATE;VALUE=DATE:20260305']);
});

test('lines that are not RRULE, EXRULE, RDATE or EXDATE, or are broken, are errors naming the line', () => {
  const cases: [unknown[], string][] = [
    [['RRULE:FREQ=WEEKLY', 'DTSTART:20260302T100000Z'], 'recurrence[1]'],
    [['RRULE:FREQ=WEEKLY', 'X-FOO:1'], 'recurrence[1]'],
    [['RRULE:FREQ=SOMETIMES'], 'recurrence[0]'],
    [['RRULE;X=1:FREQ=DAILY'], 'recurrence[0]'],
    [['RRULE:FREQ=DAILY;COUNT=2;UNTIL=20260101T000000Z'], 'recurrence[0]'],
    [['RRULE:FREQ=DAILY', 'EXDATE;TZID=Mars/Olympus:20260303T100000'], 'recurrence[1]'],
    [['RRULE:FREQ=DAILY', 'EXDATE:2026-03-03'], 'recurrence[1]'],
    [['RRULE:FREQ=DAILY', 'EXDATE;VALUE=DATE:20260303T100000Z'], 'recurrence[1]'],
    [['RRULE:FREQ=DAILY', 'EXDATE;TZID:20260303T100000'], 'recurrence[1]'],
    [['RRULE:FREQ=DAILY', 42], 'recurrence[1]'],
    [['EXDATE:20260303T100000Z'], 'recurrence'],
  ];
  for (const [lines, path] of cases) {
    assert.throws(
      () => readRecurrence(lines, berlin, 'UTC'),
      (e: unknown) => e instanceof CoreError && e.code === 'INVALID_RECURRENCE' && e.path === path,
      JSON.stringify(lines),
    );
  }
  assert.throws(() => readRecurrence('RRULE:FREQ=DAILY', berlin, 'UTC'), (e: unknown) => e instanceof CoreError && e.path === 'recurrence');
  assert.deepEqual(readRecurrence([], berlin, 'UTC').recurrence, null);
});
