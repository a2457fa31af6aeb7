import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blocksTime, busyPeriods, type Period } from '../../src/core/busy.ts';

const h = (hour: number): number => Date.UTC(2026, 2, 2, hour);
const p = (start: number, end: number): Period => ({ start: h(start), end: h(end) });

test('overlapping and touching periods merge; gaps stay; the result is sorted', () => {
  assert.deepEqual(busyPeriods([p(14, 15), p(9, 10), p(10, 11), p(9.5, 10.5), p(12, 13), p(12.5, 12.75)], h(0), h(24)),
    [p(9, 11), p(12, 13), p(14, 15)]);
});

test('periods are clipped to the window; those outside it or empty are left out', () => {
  assert.deepEqual(busyPeriods([p(7, 9), p(8, 8.5), p(16, 18), p(18, 19), p(10, 10)], h(8), h(17)), [p(8, 9), p(16, 17)]);
});

test('a period that holds the whole window is the window', () => {
  assert.deepEqual(busyPeriods([p(0, 24), p(9, 10)], h(8), h(12)), [p(8, 12)]);
});

test('cancelled and transparent events leave the time free; tentative ones block it', () => {
  assert.equal(blocksTime({ status: 'confirmed', transparency: 'opaque' }), true);
  assert.equal(blocksTime({ status: 'tentative', transparency: 'opaque' }), true);
  assert.equal(blocksTime({ status: 'cancelled', transparency: 'opaque' }), false);
  assert.equal(blocksTime({ status: 'confirmed', transparency: 'transparent' }), false);
});
