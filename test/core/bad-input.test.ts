// Bad input to any exported core function ends in a CoreError (src/core/errors.ts):
// never a TypeError from deep inside, never a silent misreading. Every entry point is
// called with arbitrary junk and with valid arguments that have one member, somewhere
// inside, replaced or removed; explicit cases pin the crashes an audit found.
// "Exported" means the core's surface: every export of src/core/*.ts, of
// src/core/ical/index.ts and of src/core/google/index.ts (the helpers behind them are
// reached through those). The Google mapping's errors also name where the input went
// wrong: every one carries a path.
//   CALSYNC_FUZZ_RUNS  cases per entry point (default 300)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { RemoteItem } from '../../src/connectors/connector.ts';
import { CoreError } from '../../src/core/errors.ts';
import { canonicalJson, contentHash, hashNormal, isSeries } from '../../src/core/hash.ts';
import { htmlToText } from '../../src/core/html-text.ts';
import { eventTimeInstant, expandSeries, icalExtras, parseCalendar, renderCalendar } from '../../src/core/ical/index.ts';
import {
  calsyncIdOf, eventFromGoogle, eventToGoogle, googleExtras, instanceId, isValidEventId, originalStartTime, parseInstanceId,
  seriesFromGoogle, seriesToGoogle,
} from '../../src/core/google/index.ts';
import { baseAfterUnconfirmedWrite, mergeSeries } from '../../src/core/merge.ts';
import { eventKind, type CanonicalEvent, type EventSeries } from '../../src/core/model.ts';
import { compare, normaliseEmail, normaliseEvent, normaliseLocal, normaliseSeries, normaliseZone } from '../../src/core/normalise.ts';
import { checkPlanInput } from '../../src/core/plan-types.ts';
import { plan, type PlanInput } from '../../src/core/plan.ts';
import { defaultPolicy, editVsDeleteOutcome, MERGE_FIELDS, parsePolicy, ruleFor, ruleName } from '../../src/core/policy.ts';
import { project } from '../../src/core/projection.ts';
import { defaultSafety, deletionBudget, isOutsideWindow, parseSafety, tombstoneExpired, wipeBrake } from '../../src/core/safety.ts';
import { ianaFromTzid, ianaToWindows, isIanaZone, windowsToIana } from '../../src/core/timezones.ts';
import { checkRrule, isLocalDateTime, validateEvent, validateSeries } from '../../src/core/validate.ts';
import { fixture } from '../fixtures/ical/fixtures.ts';
import { FIXTURE_ZONE, googleFixture } from '../fixtures/google/fixtures.ts';
import { event, instance, single, weekly } from '../helpers/events.ts';

const junk = fc.anything({
  withNullPrototype: true, withMap: true, withSet: true, withDate: true, withBigInt: true,
  withBoxedValues: true, withObjectString: true, maxDepth: 3,
});

/** Values that sit where a valid one is expected and look almost right. */
const nasty = fc.constantFrom<() => unknown>(
  () => 'x', () => '', () => ' ', () => ({}), () => [], () => null, () => undefined, () => 0, () => -1, () => 1.5,
  () => Number.NaN, () => Number.POSITIVE_INFINITY, () => true, () => Object.create(null), () => [null], () => [{}],
  () => ['x'], () => ({ x: 1 }), () => new Date(0), () => 'toString', () => '__proto__', () => 10n,
).map((make) => make());

/**
 * A valid value with one member replaced by junk or removed: `steps` walks into it,
 * each step picking a key of the object or array reached.
 */
function mutated<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc
    .tuple(valid, fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), fc.oneof(nasty, junk), fc.boolean())
    .map(([value, steps, replacement, remove]) => {
      const root: Record<string, unknown> = { value: structuredClone(value) };
      let parent: Record<string, unknown> = root;
      let key = 'value';
      for (const step of steps) {
        const child = parent[key];
        if (typeof child !== 'object' || child === null) break;
        const keys = Object.keys(child);
        if (keys.length === 0) break;
        parent = child as Record<string, unknown>;
        key = keys[step % keys.length]!;
      }
      // Arrays get undefined rather than a hole: JSON, the database and connectors never make holes.
      if (remove && !Array.isArray(parent)) delete parent[key];
      else parent[key] = remove ? undefined : replacement;
      return root.value;
    });
}

/** An argument: junk, the valid value, or the valid value mutated (most often). */
const arg = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 1, arbitrary: junk }, { weight: 1, arbitrary: valid }, { weight: 3, arbitrary: mutated(valid) });
const scalar = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof(junk, nasty, valid);

const rich = (): EventSeries => weekly(
  {
    uid: 'u-rich', descriptionHtml: '<p>Agenda</p>', location: 'Room 1',
    organizer: { email: 'owner@example.com', name: 'Owner' },
    attendees: [{ email: 'ann@example.com', name: 'Ann', role: 'required', response: 'accepted', respondedAt: '2026-03-01T08:00:00Z' }],
    conference: { url: 'https://meet.example.com/x', provider: 'meet' },
    reminders: [{ method: 'display', minutesBefore: 10 }], categories: ['work'], color: '#a4bdfc',
    recurrence: { rrule: ['FREQ=WEEKLY;BYDAY=MO;COUNT=10'], rdate: ['2026-03-04T10:00:00'], exdate: ['2026-03-16T10:00:00'] },
  },
  [instance('2026-03-09', { uid: 'u-rich', summary: 'Moved' }), instance('2026-03-23', { uid: 'u-rich', status: 'cancelled', summary: '' })],
);
const allDay = (): EventSeries => single({ uid: 'u-day', allDay: true, start: { local: '2026-03-02', tz: null }, end: { local: '2026-03-03', tz: null } });
const orphan = (): EventSeries => ({ uid: 'u-orphan', master: null, overrides: [instance('2026-03-09', { uid: 'u-orphan' })] });

const seriesArb = fc.constantFrom(() => single({ uid: 'u-single' }), rich, allDay, orphan).map((make) => make());
const normalArb = seriesArb.map((s) => normaliseSeries(s));
const eventArb: fc.Arbitrary<CanonicalEvent> = fc.constantFrom(
  () => event(), () => rich().master!, () => instance('2026-03-09'), () => allDay().master!,
).map((make) => make());
const policyArb = fc.constantFrom<unknown>(
  'default', 'manual', { mode: 'calendar-wins' }, { fields: { description: 'ask' }, editVsDelete: 'delete-wins' }, { default: 'latest' }, null,
);
const parsedPolicyArb = policyArb.map((p) => ({ ...parsePolicy(p), fields: { ...parsePolicy(p).fields } }));
const safetyArb = fc.constant(null).map(() => ({ ...defaultSafety }));
const windowArb = fc.constantFrom(() => ({ start: '2026-03-01', end: '2026-03-31' }), () => ({ start: '2026-03-01T00:00:00', end: '2026-04-01T00:00:00' })).map((make) => make());
const sideArb = fc.constantFrom('calendar', 'remote');
const countArb = fc.nat(1000);
const instantArb = fc.constantFrom('2026-03-01T08:00:00Z', '2026-05-01T08:00:00.250Z');
const zoneArb = fc.constantFrom('Europe/Berlin', 'UTC', 'Asia/Calcutta', ' Europe/Berlin ', 'W. Europe Standard Time', '/mozilla.org/20050126_1/Europe/Berlin', 'Nowhere/Else', '+01:00');
const localArb = fc.constantFrom('2026-03-02', '2026-03-02T10:00:00', '20260302T100000Z', '2026-03-02 10:00', 'soon');
const icsArb = fc.constantFrom('all_day.ics', 'rrule_exdate_two_overrides.ics', 'outlook_windows_tzid.ics', 'broken_unterminated.ics').map((name) => fixture(name));

const mergeInputArb = fc.tuple(seriesArb, policyArb).map(([s, policy]) => {
  const calendar = structuredClone(s);
  if (calendar.master) calendar.master.summary = 'Calendar edit';
  const remote = structuredClone(s);
  if (remote.master) remote.master.location = 'Remote room';
  return { base: normaliseSeries(s), calendar, remote, calendarUpdatedAt: '2026-03-01T08:00:00Z', remoteUpdatedAt: null, policy };
});

const planInputArb = fc.tuple(seriesArb, seriesArb, policyArb, fc.boolean(), fc.option(windowArb)).map(([a, b, policy, complete, window]): PlanInput => {
  const baseA = normaliseSeries(a);
  const editedB = structuredClone({ ...b, uid: 'u-other', master: b.master && { ...b.master, uid: 'u-other' }, overrides: b.overrides.map((o) => ({ ...o, uid: 'u-other' })) });
  const baseB = normaliseSeries(editedB);
  if (editedB.master) editedB.master.summary = 'Edited remotely';
  const items: RemoteItem[] = [
    { remoteId: 'R1', etag: '"2"', deleted: false, series: a, calsyncId: 'E1', updatedAt: '2026-03-01T09:00:00Z' },
    { remoteId: 'R2', etag: '"3"', deleted: false, series: editedB, calsyncId: null, updatedAt: null },
    { remoteId: 'R3', etag: null, deleted: true, series: null, calsyncId: null, updatedAt: null },
    { remoteId: 'R4', etag: '"4"', deleted: false, series: single({ uid: 'u-new' }), calsyncId: null, updatedAt: null },
  ];
  return {
    binding: { direction: 'two_way', projection: 'full' }, policy: policy as PlanInput['policy'], safety: { ...defaultSafety },
    statuses: [
      { eventId: 'E1', remoteId: 'R1', etag: '"1"', base: baseA, contentHash: hashNormal(baseA) },
      { eventId: 'E2', remoteId: 'R2', etag: '"1"', base: baseB, contentHash: hashNormal(baseB), sent: { base: baseB, contentHash: hashNormal(baseB) } },
      { eventId: 'E3', remoteId: 'R3', etag: '"1"', base: baseB, contentHash: hashNormal(baseB) },
    ],
    calendar: [
      { eventId: 'E1', uid: a.uid, series: structuredClone(a), updatedAt: '2026-03-01T08:00:00Z' },
      { eventId: 'E2', uid: 'u-other', series: null, lastSeries: structuredClone(editedB), updatedAt: null },
      { eventId: 'E4', uid: 'u-cal', series: single({ uid: 'u-cal' }), updatedAt: null },
    ],
    remote: { items, complete, window },
  };
});

const timeArb = fc.constantFrom(() => ({ local: '2026-03-02T10:00:00', tz: 'Europe/Berlin' }), () => ({ local: '2026-03-02', tz: null })).map((make) => make());
const renderOptionsArb = fc.constant(null).map(() => ({ dtstamp: '2026-03-01T08:00:00Z', calsyncId: 'E1', calendarProperties: ['METHOD:PUBLISH'], withoutCalendarProperties: ['X-WR-CALNAME'] }));
const expandOptionsArb = fc.constant(null).map(() => ({ from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z', defaultZone: 'Europe/Berlin', limit: 50, maxSteps: 1000 }));

const googleResourceArb = fc.constantFrom(
  'all_day_multi_day.json', 'recurring_with_exdate_tzid.json', 'cancelled_exception_minimal.json', 'birthday_event.json',
  'attendees_with_resources.json', 'meet_conference_data.json', 'html_description.json', 'unknown_fields_and_extended_properties.json',
).map((name) => googleFixture(name));
const googleSeriesArb = fc.constantFrom('series_master_with_exceptions.json', 'all_day_series_with_exception.json').map((name) => googleFixture(name));
const googleReadContextArb = fc.constantFrom(
  () => ({ calendarTimeZone: FIXTURE_ZONE }),
  () => ({ calendarTimeZone: 'America/New_York', uid: 'client@example.com' }),
  () => ({ calendarTimeZone: FIXTURE_ZONE, master: weekly().master }),
).map((make) => make());
const googleEventArb = fc.oneof(eventArb, googleResourceArb.map((r) => eventFromGoogle(r, { calendarTimeZone: FIXTURE_ZONE, master: weekly().master })));
const googleRenderMetaArb = fc.constantFrom(
  () => ({ id: 'abcde12345', calendarTimeZone: FIXTURE_ZONE, etag: '"1"', calsyncId: 'E1' }),
  () => ({ id: 'abcde12345_20260309T090000Z', calendarTimeZone: FIXTURE_ZONE, recurringEventId: 'abcde12345', master: weekly().master }),
).map((make) => make());
const googleSeriesMetaArb = fc.constant(null).map(() => ({
  id: 'abcde12345', calendarTimeZone: FIXTURE_ZONE, calsyncId: 'E1', servers: { abcde12345: { etag: '"1"' } }, master: weekly().master,
}));
const originalStartArb = fc.constantFrom(
  () => ({ dateTime: '2026-03-09T10:00:00+01:00', timeZone: 'Europe/Berlin' }), () => ({ date: '2026-03-09' }), () => ({ dateTime: '2026-03-09T10:00:00' }),
).map((make) => make());

/** Each entry point with arbitraries for its arguments. */
const ENTRY_POINTS: [name: string, args: fc.Arbitrary<unknown[]>, call: (...args: any[]) => unknown][] = [
  ['canonicalJson', fc.tuple(junk), canonicalJson],
  ['hashNormal', fc.tuple(arg(normalArb)), hashNormal],
  ['contentHash', fc.tuple(arg(fc.oneof(seriesArb, eventArb))), contentHash],
  ['isSeries', fc.tuple(arg(seriesArb)), isSeries],
  ['htmlToText', fc.tuple(scalar(fc.constantFrom('<p>a&amp;b</p>', '<br>', '&#x110000;'))), htmlToText],
  ['mergeSeries', fc.tuple(arg(mergeInputArb)), mergeSeries],
  ['baseAfterUnconfirmedWrite', fc.tuple(arg(normalArb), arg(normalArb), arg(normalArb)), baseAfterUnconfirmedWrite],
  ['eventKind', fc.tuple(arg(eventArb)), eventKind],
  ['normaliseSeries', fc.tuple(arg(seriesArb)), normaliseSeries],
  ['normaliseEvent', fc.tuple(arg(eventArb), scalar(fc.constant('event'))), normaliseEvent],
  ['normaliseEmail', fc.tuple(scalar(fc.constantFrom('MAILTO:Ann@Example.com', ' bob@example.com'))), normaliseEmail],
  ['normaliseLocal', fc.tuple(scalar(localArb), scalar(fc.boolean()), scalar(fc.constant('start.local'))), normaliseLocal],
  ['normaliseZone', fc.tuple(scalar(zoneArb)), normaliseZone],
  ['compare', fc.tuple(scalar(fc.string()), scalar(fc.string())), compare],
  ['checkPlanInput', fc.tuple(arg(planInputArb)), checkPlanInput],
  ['plan', fc.tuple(arg(planInputArb)), plan],
  ['parsePolicy', fc.tuple(arg(policyArb)), parsePolicy],
  ['ruleFor', fc.tuple(arg(parsedPolicyArb), scalar(fc.constantFrom(...MERGE_FIELDS))), ruleFor],
  ['ruleName', fc.tuple(arg(parsedPolicyArb), scalar(fc.constantFrom(...MERGE_FIELDS))), ruleName],
  ['editVsDeleteOutcome', fc.tuple(arg(parsedPolicyArb), scalar(sideArb)), editVsDeleteOutcome],
  ['project', fc.tuple(arg(seriesArb), scalar(fc.constantFrom('full', 'busy-only'))), project],
  ['parseSafety', fc.tuple(arg(safetyArb)), parseSafety],
  ['wipeBrake', fc.tuple(scalar(sideArb), scalar(countArb), scalar(countArb), arg(safetyArb)), wipeBrake],
  ['deletionBudget', fc.tuple(scalar(countArb), scalar(countArb), arg(safetyArb)), deletionBudget],
  ['isOutsideWindow', fc.tuple(arg(normalArb), arg(windowArb)), isOutsideWindow],
  ['tombstoneExpired', fc.tuple(scalar(instantArb), scalar(instantArb), arg(safetyArb)), tombstoneExpired],
  ['isIanaZone', fc.tuple(scalar(zoneArb)), isIanaZone],
  ['windowsToIana', fc.tuple(scalar(zoneArb)), windowsToIana],
  ['ianaToWindows', fc.tuple(scalar(zoneArb)), ianaToWindows],
  ['ianaFromTzid', fc.tuple(scalar(zoneArb)), ianaFromTzid],
  ['isLocalDateTime', fc.tuple(scalar(localArb), scalar(fc.boolean())), isLocalDateTime],
  ['checkRrule', fc.tuple(scalar(fc.constantFrom('FREQ=WEEKLY;COUNT=3', 'RRULE:FREQ=DAILY', 'FREQ=NOPE', 'COUNT=1'))), checkRrule],
  ['validateEvent', fc.tuple(arg(eventArb), scalar(fc.constant('master'))), validateEvent],
  ['validateSeries', fc.tuple(arg(seriesArb)), validateSeries],
  ['parseCalendar', fc.tuple(fc.oneof(junk, icsArb, icsArb.map((bytes) => new TextDecoder().decode(bytes)))), parseCalendar],
  ['renderCalendar', fc.tuple(arg(seriesArb), arg(renderOptionsArb)), renderCalendar],
  ['expandSeries', fc.tuple(arg(seriesArb), arg(expandOptionsArb)), expandSeries],
  ['eventTimeInstant', fc.tuple(arg(timeArb), scalar(zoneArb)), eventTimeInstant],
  ['icalExtras', fc.tuple(arg(eventArb)), icalExtras],
];

/** The Google mapping's entry points: their errors name a path as well. */
const GOOGLE_ENTRY_POINTS: typeof ENTRY_POINTS = [
  ['eventFromGoogle', fc.tuple(arg(googleResourceArb), arg(googleReadContextArb)), eventFromGoogle],
  ['eventToGoogle', fc.tuple(arg(googleEventArb), arg(googleRenderMetaArb)), eventToGoogle],
  ['seriesFromGoogle', fc.tuple(arg(googleSeriesArb), arg(googleReadContextArb)), seriesFromGoogle],
  ['seriesToGoogle', fc.tuple(arg(seriesArb), arg(googleSeriesMetaArb)), seriesToGoogle],
  ['calsyncIdOf', fc.tuple(arg(googleResourceArb)), calsyncIdOf],
  ['googleExtras', fc.tuple(arg(googleEventArb)), googleExtras],
  ['originalStartTime', fc.tuple(arg(eventArb.map(() => instance('2026-03-09'))), arg(eventArb), scalar(zoneArb)), originalStartTime],
  ['instanceId', fc.tuple(scalar(fc.constant('abcde12345')), arg(originalStartArb), scalar(zoneArb)), instanceId],
  ['parseInstanceId', fc.tuple(scalar(fc.constantFrom('abcde_20260309T090000Z', 'abcde_20260309', 'abcde'))), parseInstanceId],
  ['isValidEventId', fc.tuple(scalar(fc.constantFrom('abcde12345', 'ABC'))), isValidEventId],
];

function onlyCoreErrors(name: string, call: () => unknown): void {
  try {
    call();
  } catch (error) {
    if (!(error instanceof CoreError)) assert.fail(`${name} threw ${error instanceof Error ? error.stack : String(error)}, not a CoreError`);
  }
}

function onlyCoreErrorsWithPath(name: string, call: () => unknown): void {
  try {
    call();
  } catch (error) {
    if (!(error instanceof CoreError)) assert.fail(`${name} threw ${error instanceof Error ? error.stack : String(error)}, not a CoreError`);
    if (typeof error.path !== 'string' || error.path === '') assert.fail(`${name} threw a CoreError without a path: ${error.message}`);
  }
}

const numRuns = Number(process.env.CALSYNC_FUZZ_RUNS ?? 300);
for (const [name, args, call] of ENTRY_POINTS) {
  test(`${name}: junk and near-valid arguments end in a CoreError or a result`, () => {
    fc.assert(fc.property(args, (values) => onlyCoreErrors(name, () => call(...values))), { numRuns, includeErrorInReport: true });
  });
}
for (const [name, args, call] of GOOGLE_ENTRY_POINTS) {
  test(`${name}: junk and near-valid arguments end in a CoreError with a path, or a result`, () => {
    fc.assert(fc.property(args, (values) => onlyCoreErrorsWithPath(name, () => call(...values))), { numRuns, includeErrorInReport: true });
  });
}

function throwsCore(call: () => unknown, code?: string): void {
  assert.throws(call, (error: unknown) => error instanceof CoreError && (code === undefined || error.code === code));
}

const withAttendees = (attendees: unknown): EventSeries => single({ uid: 'u-bad', attendees: attendees as [] });

test('attendees that are not a list: INVALID_EVENT from normalise, hash and merge', () => {
  for (const attendees of ['x', {}, 42]) {
    const series = withAttendees(attendees);
    throwsCore(() => normaliseSeries(series), 'INVALID_EVENT');
    throwsCore(() => contentHash(series), 'INVALID_EVENT');
    throwsCore(() => mergeSeries({ base: null, calendar: series, remote: single({ uid: 'u-bad' }), calendarUpdatedAt: null, remoteUpdatedAt: null, policy: defaultPolicy }), 'INVALID_EVENT');
  }
});

test('plan quarantines a remote item whose attendees are not a list and plans the rest', () => {
  const good = single({ uid: 'u-good' });
  const { actions } = plan({
    binding: { direction: 'two_way', projection: 'full' }, policy: defaultPolicy, safety: defaultSafety, statuses: [], calendar: [],
    remote: {
      items: [
        { remoteId: 'R1', etag: '"1"', deleted: false, series: withAttendees('x'), calsyncId: null, updatedAt: null },
        { remoteId: 'R2', etag: '"2"', deleted: false, series: withAttendees({}), calsyncId: null, updatedAt: null },
        { remoteId: 'R3', etag: '"3"', deleted: false, series: good, calsyncId: null, updatedAt: null },
      ],
      complete: false, window: null,
    },
  });
  assert.deepEqual(actions.map((a) => `${a.op}:${a.remoteId}`), ['quarantine:R1', 'quarantine:R2', 'create:R3']);
  const quarantined = actions[0]!;
  assert.ok(quarantined.op === 'quarantine' && quarantined.error.code === 'INVALID_EVENT' && quarantined.error.path === 'series.master.attendees');
});

test('plan refuses a sync window that is not two local dates', () => {
  const input = (window: unknown): PlanInput => ({
    binding: { direction: 'two_way', projection: 'full' }, policy: defaultPolicy, safety: defaultSafety, statuses: [], calendar: [],
    remote: { items: [], complete: true, window: window as PlanInput['remote']['window'] },
  });
  for (const window of [{}, { start: '2026-03-01' }, { start: 1, end: 2 }, { start: '2026-03-31', end: '2026-03-01' }, 'March']) {
    throwsCore(() => plan(input(window)), 'INVALID_INPUT');
  }
  assert.deepEqual(plan(input({ start: '2026-03-01', end: '2026-03-31' })).actions, []);
});

test('the audit\'s TypeErrors are CoreErrors', () => {
  throwsCore(() => mergeSeries(null as never), 'INVALID_INPUT');
  throwsCore(() => baseAfterUnconfirmedWrite(42 as never, single(), single()));
  throwsCore(() => baseAfterUnconfirmedWrite(normaliseSeries(single()), 'x' as never, single()));
  throwsCore(() => parseCalendar(42 as never), 'INVALID_INPUT');
  throwsCore(() => project(null as never, 'full'));
  throwsCore(() => wipeBrake('remote', 3, 0, undefined as never), 'INVALID_INPUT');
  throwsCore(() => deletionBudget(6, 4, undefined as never), 'INVALID_INPUT');
  for (const fn of [windowsToIana, ianaFromTzid, normaliseZone, normaliseEmail, htmlToText] as ((x: unknown) => unknown)[]) {
    for (const x of [42, {}, undefined]) throwsCore(() => fn(x), 'INVALID_INPUT');
  }
  throwsCore(() => normaliseLocal(20260302 as never, false, 'start.local'), 'INVALID_EVENT');
});

test('project refuses an unknown projection instead of showing busy blocks', () => {
  throwsCore(() => project(single(), 'nope' as never), 'INVALID_INPUT');
  assert.equal(project(single(), 'busy-only').master?.summary, 'Busy');
});

test('a policy mode named like an Object member is refused', () => {
  for (const mode of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) throwsCore(() => parsePolicy({ mode }), 'INVALID_POLICY');
  throwsCore(() => parseSafety(42 as never), 'INVALID_INPUT');
  throwsCore(() => parseSafety('strict' as never), 'INVALID_INPUT');
});
