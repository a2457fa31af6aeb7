import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoreError } from '../../src/core/errors.ts';
import { instanceId, isValidEventId, parseInstanceId } from '../../src/core/google/ids.ts';
import { readTime, renderDateTime, renderTime } from '../../src/core/google/times.ts';

test('client-chosen ids are base32hex, 5 to 1024 characters', () => {
  for (const id of ['abcde', '0123456789abcdefghijklmnopqrstuv', 'v'.repeat(1024)]) assert.ok(isValidEventId(id), id);
  for (const id of ['abcd', 'v'.repeat(1025), 'abcdw', 'ABCDE', 'abc-de', 'abc_de', 'abcde ', '', 42 as never]) {
    assert.ok(!isValidEventId(id), String(id));
  }
});

test('instance ids: UTC basic format for timed series, a basic date for all-day ones', () => {
  assert.equal(instanceId('m1234', { dateTime: '2026-03-02T10:00:00+01:00', timeZone: 'Europe/Berlin' }, 'UTC'), 'm1234_20260302T090000Z');
  // No offset: read in timeZone, else in the calendar's zone.
  assert.equal(instanceId('m1234', { dateTime: '2026-07-02T10:00:00', timeZone: 'Europe/Berlin' }, 'UTC'), 'm1234_20260702T080000Z');
  assert.equal(instanceId('m1234', { dateTime: '2026-07-02T10:00:00' }, 'America/New_York'), 'm1234_20260702T140000Z');
  assert.equal(instanceId('m1234', { date: '2026-03-02' }, 'Europe/Berlin'), 'm1234_20260302');
});

test('instance ids parse back, in either case', () => {
  assert.deepEqual(parseInstanceId('m1234_20260302T090000Z'), { masterId: 'm1234', originalStartTime: { dateTime: '2026-03-02T09:00:00Z' } });
  // events.list has answered ids lower-cased (kuzmoyev/google-calendar-simple-api#52).
  assert.deepEqual(parseInstanceId('74sm6c_20201107t070000z'), { masterId: '74sm6c', originalStartTime: { dateTime: '2020-11-07T07:00:00Z' } });
  assert.deepEqual(parseInstanceId('m1_x_20260302'), { masterId: 'm1_x', originalStartTime: { date: '2026-03-02' } });
  for (const id of ['m1234', 'm1234_2026030', 'm1234_20261302', '_20260302', 'm1234_20260302T250000Z', 'm1234_20260302T0900Z']) {
    assert.equal(parseInstanceId(id), null, id);
  }
  assert.throws(() => parseInstanceId(42 as never), CoreError);
});

test('dateTime values: offset fixes the instant, timeZone the wall clock', () => {
  const t = readTime({ dateTime: '2026-03-02T10:00:00Z', timeZone: 'Europe/Berlin' }, 'start', 'UTC');
  assert.deepEqual([t.local, t.tz], ['2026-03-02T11:00:00', 'Europe/Berlin']);
  const plain = readTime({ dateTime: '2026-03-02T10:00:00' }, 'start', 'Asia/Tokyo');
  assert.deepEqual([plain.local, plain.tz, plain.timeZone], ['2026-03-02T10:00:00', 'Asia/Tokyo', null]);
  assert.equal(readTime({ dateTime: '2026-03-02T10:00:00.000-05:00' }, 'start', 'America/New_York').local, '2026-03-02T10:00:00');
  for (const [value, path] of [
    [{ dateTime: '2026-03-02 10:00:00Z' }, 'start.dateTime'],
    [{ dateTime: '2026-02-30T10:00:00Z' }, 'start.dateTime'],
    [{ dateTime: '2026-03-02T10:00:00.5Z' }, 'start.dateTime'],
    [{ dateTime: '2026-03-02T10:00:00+25:00' }, 'start.dateTime'],
    [{ dateTime: '2026-03-02T10:00:00', timeZone: 'Mars/Olympus' }, 'start.timeZone'],
    [{ date: '2026-3-2' }, 'start.date'],
    [{ date: '2026-03-02', dateTime: '2026-03-02T10:00:00Z' }, 'start'],
    [{}, 'start'],
  ] as const) {
    assert.throws(() => readTime(value, 'start', 'UTC'), (e: unknown) => e instanceof CoreError && e.path === path, JSON.stringify(value));
  }
});

test('dateTime is written with the calendar zone\'s offset; a skipped wall clock without one', () => {
  assert.deepEqual(renderDateTime('2026-03-02T10:00:00', 'America/New_York', 'Europe/Berlin'), { dateTime: '2026-03-02T16:00:00+01:00', exact: true });
  assert.deepEqual(renderDateTime('2026-03-02T10:00:00', 'UTC', 'UTC'), { dateTime: '2026-03-02T10:00:00Z', exact: true });
  assert.deepEqual(renderDateTime('2026-03-29T02:30:00', 'Europe/Berlin', 'Europe/Berlin'), { dateTime: '2026-03-29T02:30:00', exact: false });
  assert.deepEqual(renderTime({ local: '2026-03-29T02:30:00', tz: 'Europe/Berlin' }, false, 'UTC', false), { dateTime: '2026-03-29T02:30:00', timeZone: 'Europe/Berlin' });
  assert.deepEqual(renderTime({ local: '2026-03-02', tz: null }, true, 'UTC', true), { date: '2026-03-02' });
  // Local mean time has offsets in seconds, which RFC 3339 cannot write: UTC instead.
  const lmt = renderDateTime('1850-01-01T12:00:00', 'Europe/Amsterdam', 'Europe/Amsterdam');
  assert.match(lmt.dateTime, /Z$/);
  const back = readTime({ dateTime: lmt.dateTime, timeZone: 'Europe/Amsterdam' }, 'start', 'UTC');
  assert.equal(back.local, '1850-01-01T12:00:00');
});
