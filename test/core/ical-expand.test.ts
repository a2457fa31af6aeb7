import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoreError } from '../../src/core/errors.ts';
import type { CanonicalEvent, EventSeries } from '../../src/core/model.ts';
import { eventTimeInstant, expandSeries, type Expansion } from '../../src/core/ical/expand.ts';
import { parseCalendar } from '../../src/core/ical/parse.ts';
import { fixture } from '../fixtures/ical/fixtures.ts';
import { withoutHanging } from '../helpers/hang-guard.ts';

function series(name: string, index = 0): EventSeries {
  const { calsyncId: _, ...s } = parseCalendar(fixture(name)).series[index]!;
  return s;
}

const starts = (x: Expansion): string[] => x.instances.map((i) => i.start);

function event(patch: Partial<CanonicalEvent>): CanonicalEvent {
  return {
    uid: 'e@example.com', recurrenceId: null, sequence: 0, status: 'confirmed', summary: 'x', description: '',
    descriptionHtml: null, location: '', allDay: false,
    start: { local: '2025-03-03T10:00:00', tz: 'Europe/Berlin' }, end: { local: '2025-03-03T11:00:00', tz: 'Europe/Berlin' },
    recurrence: null, transparency: 'opaque', visibility: 'default', organizer: null, attendees: [], conference: null,
    reminders: null, categories: [], color: null, extras: {}, ...patch,
  };
}

test('weekly series: EXDATEs removed, a moved instance in its new place, a changed one replaced', () => {
  const team = series('rrule_exdate_two_overrides.ics');
  const x = expandSeries(team, {
    from: '2025-03-01T00:00:00Z', to: '2025-05-01T00:00:00Z', defaultZone: 'Europe/Berlin',
  });
  assert.equal(x.truncated, false);
  // COUNT=8 Mondays from Mar 3; Mar 17 and Apr 7 excluded; Mar 24 moved to Tue 25 15:00.
  // 10:00 Berlin is 09:00Z before the DST change on Mar 30 and 08:00Z after.
  assert.deepEqual(starts(x), [
    '2025-03-03T09:00:00Z',
    '2025-03-10T09:00:00Z',
    '2025-03-25T14:00:00Z',
    '2025-03-31T08:00:00Z',
    '2025-04-14T08:00:00Z',
    '2025-04-21T08:00:00Z',
  ]);
  const moved = x.instances[2]!;
  assert.equal(moved.recurrenceId, '2025-03-24T10:00:00');
  assert.equal(moved.event.summary, 'Team sync (moved to Tuesday)');
  assert.equal(moved.end, '2025-03-25T14:30:00Z');
  const longer = x.instances[4]!;
  assert.equal(longer.event.summary, 'Team sync + retro');
  assert.equal(longer.end, '2025-04-14T09:00:00Z');
  assert.equal(x.instances[0]!.event, team.master, 'regular instances show the master itself');
  assert.equal(longer.event, team.overrides[1]);
  assert.equal(x.instances[0]!.end, '2025-03-03T09:30:00Z');
});

test('a DST change in Europe/Berlin keeps a 10:00 meeting at 10:00 local', () => {
  const master = event({ recurrence: { rrule: ['FREQ=DAILY'], rdate: [], exdate: [] }, start: { local: '2025-03-28T10:00:00', tz: 'Europe/Berlin' }, end: { local: '2025-03-28T11:00:00', tz: 'Europe/Berlin' } });
  const x = expandSeries({ uid: master.uid, master, overrides: [] }, { from: '2025-03-28T00:00:00Z', to: '2025-04-01T00:00:00Z', defaultZone: 'UTC' });
  assert.deepEqual(starts(x), ['2025-03-28T09:00:00Z', '2025-03-29T09:00:00Z', '2025-03-30T08:00:00Z', '2025-03-31T08:00:00Z']);
  assert.deepEqual(x.instances.map((i) => i.end), ['2025-03-28T10:00:00Z', '2025-03-29T10:00:00Z', '2025-03-30T09:00:00Z', '2025-03-31T09:00:00Z']);
  assert.deepEqual(x.instances.map((i) => i.recurrenceId), ['2025-03-28T10:00:00', '2025-03-29T10:00:00', '2025-03-30T10:00:00', '2025-03-31T10:00:00']);
});

test('UNTIL in UTC bounds a zoned series by its instant', () => {
  // UNTIL 2025-01-08T14:00Z is 09:00 New York: the Jan 8 instance at 09:00 is the last.
  const master = event({
    start: { local: '2025-01-06T09:00:00', tz: 'America/New_York' }, end: { local: '2025-01-06T09:30:00', tz: 'America/New_York' },
    recurrence: { rrule: ['FREQ=DAILY;UNTIL=20250108T140000Z'], rdate: [], exdate: [] },
  });
  const x = expandSeries({ uid: master.uid, master, overrides: [] }, { from: '2025-01-01T00:00:00Z', to: '2025-02-01T00:00:00Z', defaultZone: 'UTC' });
  assert.deepEqual(starts(x), ['2025-01-06T14:00:00Z', '2025-01-07T14:00:00Z', '2025-01-08T14:00:00Z']);
});

test('cancelled override: the instance is gone, its neighbours stay', () => {
  const x = expandSeries(series('cancelled_override.ics'), { from: '2025-01-06T00:00:00Z', to: '2025-01-14T00:00:00Z', defaultZone: 'UTC' });
  assert.deepEqual(x.instances.map((i) => i.recurrenceId), [
    '2025-01-06T09:00:00', '2025-01-07T09:00:00', '2025-01-08T09:00:00', '2025-01-09T09:00:00', '2025-01-13T09:00:00',
  ]);
});

test('all-day yearly: a leap-day birthday occurs only in leap years, read in the default zone', () => {
  const leap = series('google_birthday.ics', 0);
  const x = expandSeries(leap, { from: '2024-01-01T00:00:00Z', to: '2033-01-01T00:00:00Z', defaultZone: 'Europe/London' });
  assert.deepEqual(x.instances.map((i) => i.recurrenceId), ['2024-02-29', '2028-02-29', '2032-02-29']);
  assert.deepEqual([x.instances[0]!.start, x.instances[0]!.end], ['2024-02-29T00:00:00Z', '2024-03-01T00:00:00Z']);
  const ada = expandSeries(series('google_birthday.ics', 1), { from: '2025-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z', defaultZone: 'America/Los_Angeles' });
  assert.deepEqual(ada.instances.map((i) => [i.recurrenceId, i.start]), [
    ['2025-04-15', '2025-04-15T07:00:00Z'],
    ['2026-04-15', '2026-04-15T07:00:00Z'],
  ]);
});

test('window bounds: [from, to) with overlap, not start, deciding', () => {
  const master = event({ recurrence: { rrule: ['FREQ=DAILY;COUNT=5'], rdate: [], exdate: [] } });
  const s: EventSeries = { uid: master.uid, master, overrides: [] };
  const run = (from: string, to: string): string[] => starts(expandSeries(s, { from, to, defaultZone: 'UTC' }));
  // Instances are 09:00–10:00Z on Mar 3..7.
  assert.deepEqual(run('2025-03-04T09:00:00Z', '2025-03-05T09:00:00Z'), ['2025-03-04T09:00:00Z'], 'to is exclusive');
  assert.deepEqual(run('2025-03-04T09:59:59Z', '2025-03-04T10:00:00Z'), ['2025-03-04T09:00:00Z'], 'an instance running at from counts');
  assert.deepEqual(run('2025-03-04T10:00:00Z', '2025-03-05T08:59:59Z'), [], 'one ending exactly at from does not');
  assert.deepEqual(run('2025-03-07T09:30:00Z', '2030-01-01T00:00:00Z'), ['2025-03-07T09:00:00Z'], 'COUNT ends the series');
  assert.deepEqual(run('2020-01-01T00:00:00Z', '2025-03-03T09:00:00Z'), []);
});

test('RDATE adds instances, overrides moved into the window appear, floating times use the default zone', () => {
  const master = event({
    start: { local: '2025-03-03T10:00:00', tz: null }, end: { local: '2025-03-03T10:30:00', tz: null },
    recurrence: { rrule: ['FREQ=WEEKLY;COUNT=3'], rdate: ['2025-03-05T16:00:00'], exdate: ['2025-03-10T10:00:00'] },
  });
  const moved = event({
    recurrenceId: '2025-03-17T10:00:00', summary: 'moved earlier',
    start: { local: '2025-03-04T08:00:00', tz: null }, end: { local: '2025-03-04T08:30:00', tz: null },
  });
  const x = expandSeries({ uid: master.uid, master, overrides: [moved] }, { from: '2025-03-01T00:00:00Z', to: '2025-03-08T00:00:00Z', defaultZone: 'Asia/Tokyo' });
  assert.deepEqual(x.instances.map((i) => [i.recurrenceId, i.start, i.event.summary]), [
    ['2025-03-03T10:00:00', '2025-03-03T01:00:00Z', 'x'],
    ['2025-03-17T10:00:00', '2025-03-03T23:00:00Z', 'moved earlier'],
    ['2025-03-05T16:00:00', '2025-03-05T07:00:00Z', 'x'],
  ]);
});

test('single events, cancelled masters and orphan overrides', () => {
  const single = event({});
  assert.deepEqual(
    expandSeries({ uid: single.uid, master: single, overrides: [] }, { from: '2025-03-03T00:00:00Z', to: '2025-03-04T00:00:00Z', defaultZone: 'UTC' }).instances,
    [{ recurrenceId: null, start: '2025-03-03T09:00:00Z', end: '2025-03-03T10:00:00Z', event: single }],
  );
  const cancelled = event({ status: 'cancelled', recurrence: { rrule: ['FREQ=DAILY'], rdate: [], exdate: [] } });
  assert.deepEqual(expandSeries({ uid: cancelled.uid, master: cancelled, overrides: [] }, { from: '2025-03-01T00:00:00Z', to: '2025-04-01T00:00:00Z', defaultZone: 'UTC' }).instances, []);
  const orphan = event({ recurrenceId: '2025-03-10T10:00:00', start: { local: '2025-03-10T12:00:00', tz: 'UTC' }, end: { local: '2025-03-10T13:00:00', tz: 'UTC' } });
  assert.deepEqual(
    starts(expandSeries({ uid: orphan.uid, master: null, overrides: [orphan] }, { from: '2025-03-01T00:00:00Z', to: '2025-04-01T00:00:00Z', defaultZone: 'UTC' })),
    ['2025-03-10T12:00:00Z'],
  );
});

test('the cap: more instances than the limit are truncated and flagged', () => {
  const master = event({ recurrence: { rrule: ['FREQ=DAILY'], rdate: [], exdate: [] } });
  const s: EventSeries = { uid: master.uid, master, overrides: [] };
  const window = { from: '2025-01-01T00:00:00Z', to: '2035-01-01T00:00:00Z', defaultZone: 'UTC' };
  const capped = expandSeries(s, { ...window, limit: 100 });
  assert.equal(capped.truncated, true);
  assert.equal(capped.instances.length, 100);
  assert.equal(capped.instances[99]!.start, '2025-06-10T08:00:00Z');
  const full = expandSeries(s, window);
  assert.equal(full.truncated, false);
  assert.equal(full.instances.length, 3591, 'Mar 3 2025 to Dec 31 2034, daily');
  const secondly = event({ recurrence: { rrule: ['FREQ=SECONDLY'], rdate: [], exdate: [] } });
  const walked = expandSeries({ uid: secondly.uid, master: secondly, overrides: [] }, { ...window, maxSteps: 10_000 });
  assert.equal(walked.truncated, true, 'a rule that cannot reach the window end in maxSteps is flagged');
  // 10,000 one-second steps all fall in the window; the default limit keeps 5,000.
  assert.equal(walked.instances.length, 5_000);
});

const ruled = (rrule: string, start = '2025-01-01T10:00:00'): EventSeries => {
  const master = event({ recurrence: { rrule: [rrule], rdate: [], exdate: [] }, start: { local: start, tz: 'Europe/Berlin' }, end: { local: start.replace('T10', 'T11'), tz: 'Europe/Berlin' } });
  return { uid: master.uid, master, overrides: [] };
};

test('a stored series whose rule never occurs expands at once: its start and nothing after, or flagged', async () => {
  await withoutHanging(60, 'expanding never-matching series', () => {
    for (const rule of ['FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30', 'FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30', 'FREQ=HOURLY;INTERVAL=2;BYHOUR=1', 'FREQ=MINUTELY;BYMONTH=4;BYMONTHDAY=31']) {
      const x = expandSeries(ruled(rule), { from: '1970-01-01T00:00:00Z', to: '2030-01-01T00:00:00Z', defaultZone: 'UTC', limit: 2500 });
      assert.deepEqual(starts(x), ['2025-01-01T09:00:00Z'], rule);
      assert.ok(x.cause === null || x.cause === 'work', rule);
    }
  });
});

test('FREQ=SECONDLY;COUNT=1000000000: a window far from the start is reached by a jump, not a walk', async () => {
  await withoutHanging(60, 'expanding a secondly series', () => {
    const x = expandSeries(ruled('FREQ=SECONDLY;COUNT=1000000000'), { from: '2026-06-01T00:00:00Z', to: '2026-06-02T00:00:00Z', defaultZone: 'UTC', limit: 3 });
    // Each instance lasts an hour: the first to overlap the window started just after 23:00.
    assert.deepEqual(starts(x), ['2026-05-31T23:00:01Z', '2026-05-31T23:00:02Z', '2026-05-31T23:00:03Z']);
    assert.equal(x.cause, 'instances');
    // COUNT ends the series 31.7 years after its start: a window past that is empty.
    assert.deepEqual(starts(expandSeries(ruled('FREQ=SECONDLY;COUNT=1000000000'), { from: '2060-01-01T00:00:00Z', to: '2060-01-02T00:00:00Z', defaultZone: 'UTC' })), []);
  });
});

test('a rule too costly to expand stops at maxSteps, flagged as work; a stored rule calsync cannot read adds nothing, flagged', () => {
  const costly = expandSeries(ruled('FREQ=MINUTELY;INTERVAL=1439;BYMONTH=2;BYMONTHDAY=29;BYHOUR=3;BYMINUTE=7'), { from: '2025-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z', defaultZone: 'UTC', maxSteps: 20_000 });
  assert.equal(costly.truncated, true);
  assert.equal(costly.cause, 'work');
  const unreadable = expandSeries(ruled('FREQ=DAILY;COUNT=0'), { from: '2025-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z', defaultZone: 'UTC' });
  assert.deepEqual([unreadable.instances.length, unreadable.truncated, unreadable.cause], [0, true, 'rule']);
});

test('bad arguments fail with typed errors', () => {
  const s: EventSeries = { uid: 'e@example.com', master: event({}), overrides: [] };
  const code = (fn: () => unknown, expected: string): void => {
    assert.throws(fn, (e: unknown) => e instanceof CoreError && e.code === expected);
  };
  code(() => expandSeries(s, { from: 'yesterday', to: '2025-01-01T00:00:00Z', defaultZone: 'UTC' }), 'INVALID_INPUT');
  code(() => expandSeries(s, { from: '2025-02-01T00:00:00Z', to: '2025-01-01T00:00:00Z', defaultZone: 'UTC' }), 'INVALID_INPUT');
  code(() => expandSeries(s, { from: '2025-01-01T00:00:00Z', to: '2025-02-01T00:00:00Z', defaultZone: 'Mars/Base' }), 'UNKNOWN_TIME_ZONE');
  code(() => expandSeries({ uid: 'x', master: null, overrides: [] }, { from: '2025-01-01T00:00:00Z', to: '2025-02-01T00:00:00Z', defaultZone: 'UTC' }), 'INVALID_EVENT');
  code(() => eventTimeInstant({ local: '2025-01-01', tz: null }, 'Nowhere'), 'UNKNOWN_TIME_ZONE');
});

test('eventTimeInstant: zoned, UTC, floating and all-day times', () => {
  assert.equal(eventTimeInstant({ local: '2025-07-01T10:00:00', tz: 'Europe/Berlin' }, 'UTC'), '2025-07-01T08:00:00Z');
  assert.equal(eventTimeInstant({ local: '2025-07-01T10:00:00', tz: 'UTC' }, 'Asia/Tokyo'), '2025-07-01T10:00:00Z');
  assert.equal(eventTimeInstant({ local: '2025-07-01T10:00:00', tz: null }, 'Asia/Tokyo'), '2025-07-01T01:00:00Z');
  assert.equal(eventTimeInstant({ local: '2025-07-01', tz: null }, 'America/Los_Angeles'), '2025-07-01T07:00:00Z');
});
