// Slots from a resource's rules and busy time (src/core/availability.ts): working hours in
// the resource's zone (across daylight saving), buffers, notice, horizon, several
// resources at once, and working hours that are refused with a message naming the fault.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultWorkingHours, freeSlots, parseWorkingHours, sharedSlots, whyNotBookable, workingPeriods, type BookingRules } from '../../src/core/availability.ts';
import { CoreError } from '../../src/core/errors.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const berlin: BookingRules = {
  timeZone: 'Europe/Berlin', workingHours: defaultWorkingHours, bufferBeforeMinutes: 0, bufferAfterMinutes: 0,
  minimumNoticeMinutes: 0, horizonDays: 60, slotMinutes: 60,
};
// Sunday 2026-03-01, 08:00 UTC.
const now = at('2026-03-01T08:00:00Z');

test('a working day in Berlin gives its hours as instants, before and after the change to summer time', () => {
  const monday = workingPeriods(berlin, at('2026-03-02T00:00:00Z'), at('2026-03-03T00:00:00Z'));
  assert.deepEqual(monday.map((p) => [iso(p.start), iso(p.end)]), [['2026-03-02T08:00:00.000Z', '2026-03-02T16:00:00.000Z']]);
  // 2026-03-29 is the change; Monday 30 March 09:00 CEST is 07:00 UTC.
  const after = workingPeriods(berlin, at('2026-03-30T00:00:00Z'), at('2026-03-31T00:00:00Z'));
  assert.deepEqual(after.map((p) => [iso(p.start), iso(p.end)]), [['2026-03-30T07:00:00.000Z', '2026-03-30T15:00:00.000Z']]);
  // The weekend is closed.
  assert.deepEqual(workingPeriods(berlin, at('2026-03-07T00:00:00Z'), at('2026-03-09T00:00:00Z')), []);
});

test('slots skip busy time widened by the buffers, and keep to notice and horizon', () => {
  const rules = { ...berlin, bufferBeforeMinutes: 15, bufferAfterMinutes: 15 };
  // Busy 11:00-12:00 Berlin on Monday: the 10:00 slot would end at 11:00 plus 15 minutes of buffer.
  const busy = [{ start: at('2026-03-02T10:00:00Z'), end: at('2026-03-02T11:00:00Z') }];
  const slots = freeSlots(rules, busy, at('2026-03-02T00:00:00Z'), at('2026-03-03T00:00:00Z'), now).map(iso);
  assert.deepEqual(slots, ['2026-03-02T08:00:00.000Z', '2026-03-02T12:00:00.000Z', '2026-03-02T13:00:00.000Z', '2026-03-02T14:00:00.000Z', '2026-03-02T15:00:00.000Z']);
  // A minimum notice of a day and a half leaves Monday before 20:00 UTC out, so only Tuesday.
  const notice = freeSlots({ ...berlin, minimumNoticeMinutes: 36 * 60 }, [], at('2026-03-02T00:00:00Z'), at('2026-03-04T00:00:00Z'), now).map(iso);
  assert.equal(notice[0], '2026-03-03T08:00:00.000Z');
  assert.equal(notice.length, 8);
  // A horizon of one day: nothing from Monday 08:00 UTC on.
  assert.deepEqual(freeSlots({ ...berlin, horizonDays: 1 }, [], at('2026-03-02T00:00:00Z'), at('2026-03-03T00:00:00Z'), now), []);
});

test('a booking must fit one working interval, keep the notice and meet no busy time', () => {
  assert.equal(whyNotBookable(berlin, at('2026-03-02T08:00:00Z'), at('2026-03-02T09:30:00Z'), [], now), null, 'any length within the hours');
  assert.equal(whyNotBookable(berlin, at('2026-03-02T15:30:00Z'), at('2026-03-02T16:30:00Z'), [], now)?.reason, 'outside-hours');
  assert.equal(whyNotBookable(berlin, at('2026-03-07T10:00:00Z'), at('2026-03-07T11:00:00Z'), [], now)?.reason, 'outside-hours', 'Saturday');
  assert.equal(whyNotBookable({ ...berlin, minimumNoticeMinutes: 60 * 48 }, at('2026-03-02T08:00:00Z'), at('2026-03-02T09:00:00Z'), [], now)?.reason, 'too-soon');
  assert.equal(whyNotBookable({ ...berlin, horizonDays: 1 }, at('2026-03-02T08:00:00Z'), at('2026-03-02T09:00:00Z'), [], now)?.reason, 'too-far');
  const busy = [{ start: at('2026-03-02T09:00:00Z'), end: at('2026-03-02T09:10:00Z') }];
  assert.equal(whyNotBookable({ ...berlin, bufferAfterMinutes: 10 }, at('2026-03-02T08:00:00Z'), at('2026-03-02T09:00:00Z'), busy, now)?.reason, 'busy', 'the buffer meets it');
  assert.equal(whyNotBookable(berlin, at('2026-03-02T08:00:00Z'), at('2026-03-02T09:00:00Z'), busy, now), null, 'touching is not overlapping');
});

test('several resources: all free for a meeting, any free for a pool, naming who is free', () => {
  const monday = [at('2026-03-02T00:00:00Z'), at('2026-03-03T00:00:00Z')] as const;
  const a = { id: 'a', rules: berlin, busy: [{ start: at('2026-03-02T08:00:00Z'), end: at('2026-03-02T09:00:00Z') }] };
  // b works mornings only.
  const b = { id: 'b', rules: { ...berlin, workingHours: { monday: [['09:00', '12:00']] as Array<[string, string]> } }, busy: [] };
  const all = sharedSlots([a, b], 'all', ...monday, now, { durationMinutes: 60 });
  assert.deepEqual(all.map((s) => iso(s.start)), ['2026-03-02T09:00:00.000Z', '2026-03-02T10:00:00.000Z']);
  const any = sharedSlots([a, b], 'any', ...monday, now, { durationMinutes: 60 });
  assert.deepEqual(any[0], { start: at('2026-03-02T08:00:00Z'), end: at('2026-03-02T09:00:00Z'), resourceIds: ['b'] });
  assert.equal(any.length, 8);
  assert.deepEqual(any.at(-1)!.resourceIds, ['a']);
});

test('working hours that are not intervals of a weekday are refused, naming the fault', () => {
  const refused = (value: unknown, pattern: RegExp) => assert.throws(() => parseWorkingHours(value), (e: unknown) => e instanceof CoreError && pattern.test(e.message));
  refused([], /object keyed by weekday/);
  refused({ funday: [] }, /not a weekday/);
  refused({ monday: [['9:00', '17:00']] }, /HH:MM/);
  refused({ monday: [['17:00', '09:00']] }, /ends before it starts/);
  refused({ monday: [['09:00', '12:00'], ['11:00', '13:00']] }, /overlap/);
  refused({ monday: [['24:00', '24:00']] }, /HH:MM/);
  assert.deepEqual(parseWorkingHours({ sunday: [['13:00', '24:00'], ['08:00', '12:00']], monday: [] }), { sunday: [['08:00', '12:00'], ['13:00', '24:00']] });
});
