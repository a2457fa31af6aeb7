import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoreError } from '../../src/core/errors.ts';
import { defaultSafety, deletionBudget, isOutsideWindow, parseSafety, tombstoneExpired, wipeBrake } from '../../src/core/safety.ts';
import { single, weekly } from '../helpers/events.ts';

test('the wipe brake stops only when a side that had items lists none', () => {
  assert.equal(wipeBrake('remote', 6, 0, defaultSafety)?.kind, 'wipe');
  assert.equal(wipeBrake('remote', 6, 1, defaultSafety), null);
  assert.equal(wipeBrake('remote', 5, 0, defaultSafety), null, 'a side of at most deleteAllowance items may empty itself');
  assert.equal(wipeBrake('remote', 3, 0, { ...defaultSafety, deleteAllowance: 2 })?.kind, 'wipe');
  assert.equal(wipeBrake('remote', 0, 0, defaultSafety), null);
  assert.equal(wipeBrake('calendar', 3, 0, { ...defaultSafety, confirmWipe: true }), null);
});

test('the deletion budget is a share of the calendar with a small allowance', () => {
  assert.equal(deletionBudget(5, 4, defaultSafety), null);
  assert.deepEqual(deletionBudget(6, 4, defaultSafety), { kind: 'deletion-budget', deletes: 6, limit: 5, message: 'the pass would delete 6 item(s), more than the 5 allowed for 4; confirm to go on' });
  assert.equal(deletionBudget(25, 100, defaultSafety), null);
  assert.equal(deletionBudget(26, 100, defaultSafety)?.kind, 'deletion-budget');
  assert.equal(deletionBudget(26, 100, { ...defaultSafety, confirmDeletions: true }), null);
});

test('absence outside the sync window is not deletion', () => {
  const window = { start: '2026-03-01', end: '2026-03-31' };
  const at = (day: string) => single({ start: { local: `${day}T10:00:00`, tz: 'Pacific/Kiritimati' }, end: { local: `${day}T11:00:00`, tz: 'Pacific/Kiritimati' } });
  assert.equal(isOutsideWindow(at('2026-02-01'), window), true);
  assert.equal(isOutsideWindow(at('2026-05-01'), window), true);
  assert.equal(isOutsideWindow(at('2026-03-15'), window), false);
  // A day of slack at each edge covers zone offsets up to ±14 h.
  assert.equal(isOutsideWindow(at('2026-02-28'), window), false);
  assert.equal(isOutsideWindow(weekly({ start: { local: '2025-01-06T10:00:00', tz: 'UTC' }, end: { local: '2025-01-06T11:00:00', tz: 'UTC' }, recurrence: { rrule: ['FREQ=WEEKLY'], rdate: [], exdate: [] } }), window), false);
  assert.equal(isOutsideWindow(weekly({ start: { local: '2025-01-06T10:00:00', tz: 'UTC' }, end: { local: '2025-01-06T11:00:00', tz: 'UTC' }, recurrence: { rrule: ['FREQ=WEEKLY;UNTIL=20250301T000000Z'], rdate: [], exdate: [] } }), window), true);
});

test('tombstones are kept for the configured days', () => {
  assert.equal(tombstoneExpired('2026-03-01T00:00:00Z', '2026-03-31T00:00:00Z'), false);
  assert.equal(tombstoneExpired('2026-03-01T00:00:00Z', '2026-03-31T00:00:01Z'), true);
  assert.throws(() => tombstoneExpired('yesterday', '2026-03-31T00:00:00Z'), (e: unknown) => e instanceof CoreError && e.code === 'INVALID_INPUT');
});

test('bad safety settings are INVALID_INPUT', () => {
  assert.deepEqual(parseSafety(undefined), defaultSafety);
  for (const [input, path] of [[{ maxDeleteShare: 2 }, 'safety.maxDeleteShare'], [{ deleteAllowance: -1 }, 'safety.deleteAllowance'], [{ confirmWipe: 'yes' }, 'safety.confirmWipe']] as const) {
    assert.throws(() => parseSafety(input as never), (e: unknown) => e instanceof CoreError && e.code === 'INVALID_INPUT' && e.path === path);
  }
});
