// The rule walk of src/core/rrule: RFC 5545's own examples, rare rules that do occur,
// rules that never occur ending (or running out of steps) instead of spinning, and the
// jump to a window giving what walking there gives.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Budget } from '../../src/core/rrule/budget.ts';
import { RuleIterator } from '../../src/core/rrule/iterator.ts';
import { parseRule, RuleError } from '../../src/core/rrule/parse.ts';
import { withoutHanging } from '../helpers/hang-guard.ts';

const seconds = (local: string): number => Date.parse(`${local.includes('T') ? local : `${local}T00:00:00`}Z`) / 1000;
const local = (s: number, allDay: boolean): string => new Date(s * 1000).toISOString().slice(0, allDay ? 10 : 19);

function walk(rule: string, start: string, max = 20, steps = 400_000): { list: string[]; iterator: RuleIterator } {
  const allDay = !start.includes('T');
  const iterator = new RuleIterator(parseRule(rule), { seconds: seconds(start), allDay }, new Budget({ steps }));
  const list: string[] = [];
  for (let t = iterator.next(); t !== null && list.length < max; t = iterator.next()) list.push(local(t, allDay));
  return { list, iterator };
}

const days = (rule: string, start: string, max?: number): string[] => walk(rule, start, max).list.map((l) => l.slice(0, 10));

test('RFC 5545 §3.8.5.3 examples (New York wall clock, 1997)', () => {
  const start = '1997-09-02T09:00:00';
  assert.deepEqual(days('FREQ=MONTHLY;COUNT=10;BYDAY=1FR', '1997-09-05T09:00:00'),
    ['1997-09-05', '1997-10-03', '1997-11-07', '1997-12-05', '1998-01-02', '1998-02-06', '1998-03-06', '1998-04-03', '1998-05-01', '1998-06-05']);
  // DTSTART is the first instance even off the rule (a Tuesday), as the RFC lists it.
  assert.deepEqual(days('FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR', start, 8),
    ['1997-09-02', '1997-09-03', '1997-09-05', '1997-09-15', '1997-09-17', '1997-09-19', '1997-09-29', '1997-10-01']);
  assert.deepEqual(days('FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3', '1997-09-04T09:00:00'), ['1997-09-04', '1997-10-07', '1997-11-06']);
  assert.deepEqual(days('FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2', '1997-09-29T09:00:00', 7),
    ['1997-09-29', '1997-10-30', '1997-11-27', '1997-12-30', '1998-01-29', '1998-02-26', '1998-03-30']);
  assert.deepEqual(days('FREQ=YEARLY;BYDAY=20MO', '1997-05-19T09:00:00', 3), ['1997-05-19', '1998-05-18', '1999-05-17']);
  assert.deepEqual(days('FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO', '1997-05-12T09:00:00', 3), ['1997-05-12', '1998-05-11', '1999-05-17']);
  assert.deepEqual(walk('FREQ=HOURLY;INTERVAL=3;UNTIL=19970902T170000Z', start).list, ['1997-09-02T09:00:00', '1997-09-02T12:00:00', '1997-09-02T15:00:00']);
  assert.deepEqual(walk('FREQ=MINUTELY;INTERVAL=15;COUNT=6', start).list.map((l) => l.slice(11, 16)), ['09:00', '09:15', '09:30', '09:45', '10:00', '10:15']);
  const daily = walk('FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE=0,20,40', start, 30).list;
  assert.deepEqual(walk('FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10,11,12,13,14,15,16', start, 30).list, daily);
  assert.equal(daily[23], '1997-09-02T16:40:00');
  assert.equal(daily[24], '1997-09-03T09:00:00');
  assert.deepEqual(days('FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO', '1997-08-05T09:00:00'), ['1997-08-05', '1997-08-10', '1997-08-19', '1997-08-24']);
  assert.deepEqual(days('FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU', '1997-08-05T09:00:00'), ['1997-08-05', '1997-08-17', '1997-08-19', '1997-08-31']);
  // "An example where an invalid date (i.e., February 30) is ignored."
  assert.deepEqual(days('FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5', '2007-01-15T09:00:00'), ['2007-01-15', '2007-01-30', '2007-02-15', '2007-03-15', '2007-03-30']);
});

test('rules that occur rarely still occur: 29 February, the 31st, Friday the 13th, Monday 29 February', () => {
  assert.deepEqual(days('FREQ=YEARLY', '2096-02-29', 3), ['2096-02-29', '2104-02-29', '2108-02-29'], '2100 is no leap year');
  assert.deepEqual(days('FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29', '2025-01-10T08:00:00', 3), ['2025-01-10', '2028-02-29', '2032-02-29']);
  assert.deepEqual(days('FREQ=MONTHLY;BYMONTHDAY=31', '2025-01-31T08:00:00', 7), ['2025-01-31', '2025-03-31', '2025-05-31', '2025-07-31', '2025-08-31', '2025-10-31', '2025-12-31']);
  assert.deepEqual(days('FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13', '2025-06-13T08:00:00', 5), ['2025-06-13', '2026-02-13', '2026-03-13', '2026-11-13', '2027-08-13']);
  assert.deepEqual(days('FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO', '2044-02-29T08:00:00', 4), ['2044-02-29', '2072-02-29', '2112-02-29', '2140-02-29']);
  assert.deepEqual(walk('FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=10;BYMINUTE=0;BYSECOND=0', '2025-01-01T10:00:00', 4).list,
    ['2025-01-01T10:00:00', '2028-02-29T10:00:00', '2032-02-29T10:00:00', '2036-02-29T10:00:00']);
  assert.deepEqual(walk('FREQ=HOURLY;BYMONTHDAY=-1;BYHOUR=23', '2025-01-30T23:00:00', 3).list, ['2025-01-30T23:00:00', '2025-01-31T23:00:00', '2025-02-28T23:00:00']);
});

test('rules that never occur end or run out of steps at once, inside one call', async () => {
  await withoutHanging(60, 'never-matching rules', () => {
    for (const freq of ['SECONDLY', 'MINUTELY', 'HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY']) {
      const rule = freq === 'WEEKLY' ? 'FREQ=WEEKLY;INTERVAL=20871;BYMONTH=2' : `FREQ=${freq};BYMONTH=2;BYMONTHDAY=30`;
      const { list, iterator } = walk(rule, '2025-01-01T10:00:00');
      assert.deepEqual(list, ['2025-01-01T10:00:00'], `${rule}: the start, nothing after`);
      assert.equal(iterator.ended, 'never', `${rule}: proven over one 400-year cycle`);
    }
    // Steps of 2 hours from 10:00 only reach even hours: no proof, but no spin either.
    const { list, iterator } = walk('FREQ=HOURLY;INTERVAL=2;BYHOUR=1', '2025-01-01T10:00:00', 20, 50_000);
    assert.deepEqual(list, ['2025-01-01T10:00:00']);
    assert.equal(iterator.exhausted, true);
  });
});

test('a budget bounds every call: an exhausted iterator answers null at once', () => {
  const iterator = new RuleIterator(parseRule('FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=29'), { seconds: seconds('2029-03-01T00:00:00'), allDay: false }, new Budget({ steps: 1000 }));
  iterator.next();
  assert.equal(iterator.next(), null);
  assert.equal(iterator.exhausted, true);
  // A clock that moves 0.01 ms each time it is read, every 128 steps: 5 ms is 64,000 steps.
  let now = 0;
  const timed = new RuleIterator(parseRule('FREQ=SECONDLY'), { seconds: 0, allDay: false }, new Budget({ steps: 1e9, ms: 5, clock: () => (now += 0.01) }));
  let count = 0;
  while (timed.next() !== null) count++;
  assert.ok(timed.exhausted && count < 64_000, `stopped by the clock after ${count}`);
});

test('starting near a window gives what walking there gives, with COUNT too', () => {
  const rules = ['FREQ=SECONDLY;INTERVAL=7', 'FREQ=MINUTELY;BYSECOND=5,50', 'FREQ=HOURLY;INTERVAL=5;BYMINUTE=0,30', 'FREQ=DAILY;INTERVAL=3;BYHOUR=1,5', 'FREQ=WEEKLY;BYDAY=MO,FR',
    'FREQ=MONTHLY;BYDAY=-1FR', 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29', 'FREQ=DAILY;BYHOUR=3,4;BYSETPOS=-1', 'FREQ=HOURLY;BYHOUR=3'];
  fc.assert(fc.property(
    fc.constantFrom(...rules), fc.option(fc.integer({ min: 1, max: 3000 }), { nil: null }), fc.integer({ min: 0, max: 20 * 365 * 86_400 }), fc.integer({ min: 0, max: 100_000 }),
    (text, count, offset, after) => {
      const rule = count === null ? text : `${text};COUNT=${count}`;
      const start = seconds('2001-03-04T05:06:07');
      const from = start + (text.startsWith('FREQ=SECONDLY') || text.startsWith('FREQ=MINUTELY') ? after : offset);
      const firstFrom = (iterator: RuleIterator): number[] => {
        const found: number[] = [];
        for (let t = iterator.next(); t !== null && found.length < 30; t = iterator.next()) if (t >= from) found.push(t);
        return found;
      };
      const walked = firstFrom(new RuleIterator(parseRule(rule), { seconds: start, allDay: false }, new Budget({ steps: 1e8 })));
      const jumped = firstFrom(new RuleIterator(parseRule(rule), { seconds: start, allDay: false }, new Budget({ steps: 1e8 }), from));
      assert.deepEqual(jumped, walked);
    },
  ), { numRuns: 150 });
});

test('rules are read strictly: what ical.js would misread is refused with what is wrong', () => {
  const refused = (rule: string, pattern: RegExp): void => {
    assert.throws(() => parseRule(rule), (e: unknown) => e instanceof RuleError && pattern.test(e.message), rule);
  };
  refused('FREQ=DAILY;COUNT=1e9', /COUNT=1E9 is not a whole number/);
  refused('FREQ=DAILY;COUNT=0', /COUNT=0 is not a whole number of at least 1/);
  refused('FREQ=DAILY;INTERVAL=0', /INTERVAL=0/);
  refused('FREQ=YEARLY;UNTIL=20251399', /UNTIL=20251399 is not a valid date/);
  refused('FREQ=DAILY;BYMONTHDAY=0', /BYMONTHDAY=0 is out of range/);
  refused('FREQ=DAILY;BYHOUR=24', /BYHOUR=24 is out of range: 0 to 23/);
  refused('FREQ=MONTHLY;BYDAY=0MO', /number before the weekday/);
  refused('FREQ=FORTNIGHTLY', /FREQ=FORTNIGHTLY is not one of/);
  refused('BYDAY=MO', /FREQ is required/);
  assert.deepEqual(parseRule('freq=monthly;byday=-1fr;bymonth=3,1').byMonth, [1, 3]);
});
