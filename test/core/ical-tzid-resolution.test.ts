// How a TZID becomes a zone (docs/ARCHITECTURE.md, "Time zones"): the VTIMEZONE's own
// offsets first, then names, abbreviations, offsets and display names; custom zones
// kept at their exact instants; nothing loops.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { vtimezoneRules } from '../../src/core/ical/custom-zone.ts';
import type { IcalExtras } from '../../src/core/ical/extras.ts';
import { expandSeries, parseCalendar, renderCalendar } from '../../src/core/ical/index.ts';
import { fixedOffsetZone, ianaFromTzid, isIanaZone } from '../../src/core/timezones.ts';

const calendar = (...lines: string[]): string => ['BEGIN:VCALENDAR', 'VERSION:2.0', ...lines, 'END:VCALENDAR'].join('\r\n');
const event = (...lines: string[]): string[] => ['BEGIN:VEVENT', 'UID:u', ...lines, 'END:VEVENT'];
const fixedZone = (tzid: string, offset: string): string[] => [
  'BEGIN:VTIMEZONE', `TZID:${tzid}`, 'BEGIN:STANDARD', 'DTSTART:19700101T000000', `TZOFFSETFROM:${offset}`, `TZOFFSETTO:${offset}`, 'END:STANDARD', 'END:VTIMEZONE',
];
const startOf = (text: string) => parseCalendar(text).series[0]!.master!.start;

test('abbreviations: the zone that uses them at that time, else their offset fixed', () => {
  assert.equal(ianaFromTzid('JST', { at: '2025-03-14T10:00:00' }), 'Asia/Tokyo');
  assert.equal(ianaFromTzid('CET', { at: '2025-01-10T10:00:00' }), 'Europe/Berlin');
  assert.equal(ianaFromTzid('CEST', { at: '2025-07-10T10:00:00' }), 'Europe/Berlin');
  // CEST written for a winter time: the offset it names, not Berlin's.
  assert.equal(ianaFromTzid('CEST', { at: '2025-01-10T10:00:00' }), 'Etc/GMT-2');
  // EST is also a legacy IANA name for a fixed -05:00; read as New York, which uses it in January.
  assert.equal(ianaFromTzid('EST', { at: '2025-01-10T10:00:00' }), 'America/New_York');
  assert.equal(ianaFromTzid('MST', { at: '2025-07-10T10:00:00' }), 'America/Phoenix');
  assert.equal(ianaFromTzid('CST', { at: '2025-01-10T10:00:00' }), 'America/Chicago');
  assert.equal(ianaFromTzid('CST', { at: '2025-07-10T10:00:00' }), 'Asia/Shanghai');
  assert.equal(ianaFromTzid('IST', { at: '2025-07-10T10:00:00' }), 'Asia/Kolkata');
  assert.equal(ianaFromTzid('IST', { at: '2025-07-10T10:00:00', hint: 'Europe/Dublin' }), 'Europe/Dublin');
  assert.equal(ianaFromTzid('BST', { at: '2025-07-10T10:00:00' }), 'Europe/London');
  assert.equal(ianaFromTzid('GMT', { at: '2025-07-10T10:00:00' }), 'UTC');
});

test('offsets, Windows display names and IANA names Intl knows but does not list', () => {
  assert.equal(ianaFromTzid('UTC+09:00'), 'Etc/GMT-9');
  assert.equal(ianaFromTzid('+08'), 'Etc/GMT-8');
  assert.equal(ianaFromTzid('GMT-0330'), null);
  assert.equal(ianaFromTzid('UTC+05:30'), 'Asia/Kolkata');
  assert.equal(fixedOffsetZone(197), null);
  assert.equal(ianaFromTzid('(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna'), 'Europe/Amsterdam');
  assert.equal(ianaFromTzid('(GMT+01.00) Amsterdam / Berlin / Bern / Rome / Stockholm / Vienna'), 'Europe/Amsterdam');
  assert.equal(ianaFromTzid('(UTC-05:00) Eastern Time (US & Canada)'), 'America/New_York');
  assert.equal(ianaFromTzid('(UTC+08:00) Beijing, Chongqing, Hong Kong, Urumqi'), 'Asia/Hong_Kong');
  assert.equal(ianaFromTzid('(UTC) Coordinated Universal Time'), 'UTC');
  assert.ok(isIanaZone('Europe/Kyiv'));
  assert.ok(isIanaZone('Etc/GMT-9'));
  assert.ok(!isIanaZone('europe/kyiv'));
});

test("a VTIMEZONE's offsets win over the zone its TZID names", () => {
  const text = calendar(...fixedZone('Europe/Berlin', '+0300'), ...event('DTSTART;TZID=Europe/Berlin:20250710T120000'));
  assert.deepEqual(startOf(text), { local: '2025-07-10T12:00:00', tz: 'Etc/GMT-3' });
  // Without the VTIMEZONE the name counts.
  assert.deepEqual(startOf(calendar(...event('DTSTART;TZID=Europe/Berlin:20250710T120000'))), { local: '2025-07-10T12:00:00', tz: 'Europe/Berlin' });
});

test('a VTIMEZONE describing other years only leaves the time to the name', () => {
  const old = [
    'BEGIN:VTIMEZONE', 'TZID:Europe/Berlin',
    'BEGIN:DAYLIGHT', 'DTSTART:20190331T020000', 'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0200', 'END:DAYLIGHT',
    'BEGIN:STANDARD', 'DTSTART:20191027T030000', 'TZOFFSETFROM:+0200', 'TZOFFSETTO:+0100', 'END:STANDARD',
    'END:VTIMEZONE',
  ];
  // Read literally, the VTIMEZONE would keep +01:00 for ever after 2019.
  assert.deepEqual(startOf(calendar(...old, ...event('DTSTART;TZID=Europe/Berlin:20250710T120000'))), { local: '2025-07-10T12:00:00', tz: 'Europe/Berlin' });
});

test('DTSTART and DTEND each in their own custom zone keep their instants and their TZIDs', () => {
  const text = calendar(
    ...fixedZone('Lunar', '+0317'), ...fixedZone('Orbital', '-0213'),
    ...event('DTSTART;TZID=Lunar:20250601T080000', 'DTEND;TZID=Orbital:20250601T060000'),
  );
  const series = parseCalendar(text).series[0]!;
  const e = series.master!;
  assert.deepEqual([e.start, e.end], [{ local: '2025-06-01T04:43:00', tz: 'UTC' }, { local: '2025-06-01T08:13:00', tz: 'UTC' }]);
  const x = e.extras.ical as IcalExtras;
  assert.deepEqual([x.timezone!.tzid, x.endTimezone!.tzid], ['Lunar', 'Orbital']);
  const rendered = renderCalendar({ uid: 'u', master: e, overrides: [] }, { dtstamp: '2025-06-01T00:00:00Z' });
  assert.match(rendered, /\r\nDTSTART;TZID=Lunar:20250601T080000\r\n/);
  assert.match(rendered, /\r\nDTEND;TZID=Orbital:20250601T060000\r\n/);
  assert.match(rendered, /BEGIN:VTIMEZONE\r\nTZID:Orbital\r\n/);
});

// US Eastern with the rules before 2007: DST from the first Sunday of April to the last Sunday of October.
const oldRules = [
  'BEGIN:VTIMEZONE', 'TZID:Customized Time Zone',
  'BEGIN:STANDARD', 'DTSTART:16011028T020000', 'RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10', 'TZOFFSETFROM:-0400', 'TZOFFSETTO:-0500', 'END:STANDARD',
  'BEGIN:DAYLIGHT', 'DTSTART:16010401T020000', 'RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=4', 'TZOFFSETFROM:-0500', 'TZOFFSETTO:-0400', 'END:DAYLIGHT',
  'END:VTIMEZONE',
];

test('a custom zone with DST no IANA zone has: the series recurs in its wall clock', () => {
  const text = calendar(...oldRules, ...event('DTSTART;TZID="Customized Time Zone":20250331T090000', 'DURATION:PT1H', 'RRULE:FREQ=WEEKLY;COUNT=2'));
  const series = parseCalendar(text).series[0]!;
  const { instances } = expandSeries(series, { from: '2025-03-01T00:00:00Z', to: '2025-05-01T00:00:00Z', defaultZone: 'UTC' });
  // 09:00 at -05:00 on March 31 (New York is on -04:00 by then), 09:00 at -04:00 on April 7.
  assert.deepEqual(instances.map((i) => i.start), ['2025-03-31T14:00:00Z', '2025-04-07T13:00:00Z']);
});

test('a time in the second occurrence of a custom zone\'s repeated hour is written in UTC, and reads back as the same instant', () => {
  // Under the old US Eastern rules 2025-10-26 02:00 -04:00 falls back to 01:00 -05:00, so
  // 01:30 happens twice. The second one (06:30Z) in wall clock would read back as the first.
  const text = calendar(...oldRules, ...event('DTSTART;TZID="Customized Time Zone":20251026T000000', 'DTEND;TZID="Customized Time Zone":20251026T013000'));
  const e = parseCalendar(text).series[0]!.master!;
  // A repeated wall time read is its first occurrence: 01:30 -04:00.
  assert.deepEqual([e.start, e.end], [{ local: '2025-10-26T04:00:00', tz: 'UTC' }, { local: '2025-10-26T05:30:00', tz: 'UTC' }]);
  const second = { ...e, start: { local: '2025-10-26T06:30:00', tz: 'UTC' }, end: { local: '2025-10-26T07:00:00', tz: 'UTC' } };
  const rendered = renderCalendar({ uid: 'u', master: second, overrides: [] }, { dtstamp: '2025-06-01T00:00:00Z' });
  assert.match(rendered, /\r\nDTSTART:20251026T063000Z\r\n/, 'the second 01:30 in UTC');
  assert.match(rendered, /\r\nDTEND;TZID=Customized Time Zone:20251026T020000\r\n/, '02:00 happens once: wall clock');
  const again = parseCalendar(rendered).series[0]!.master!;
  assert.deepEqual([again.start, again.end], [second.start, second.end]);
});

test('floating start, zoned end: the end is read as wall clock in the start terms', () => {
  const e = parseCalendar(calendar(...event('DTSTART:20250605T140000', 'DTEND;TZID=Europe/Paris:20250605T153000'))).series[0]!.master!;
  assert.deepEqual([e.start, e.end], [{ local: '2025-06-05T14:00:00', tz: null }, { local: '2025-06-05T15:30:00', tz: null }]);
  const z = parseCalendar(calendar(...event('DTSTART;TZID=Europe/Paris:20250605T140000', 'DTEND:20250605T153000'))).series[0]!.master!;
  assert.deepEqual(z.end, { local: '2025-06-05T15:30:00', tz: 'Europe/Paris' });
});

test('an empty RRULE is no rule; a trailing semicolon is dropped', () => {
  assert.equal(parseCalendar(calendar(...event('DTSTART;VALUE=DATE:20251225', 'RRULE:'))).series[0]!.master!.recurrence, null);
  const r = parseCalendar(calendar(...event('DTSTART:20250106T090000Z', 'RRULE:FREQ=WEEKLY;BYDAY=MO;'))).series[0]!.master!.recurrence;
  assert.deepEqual(r!.rrule, ['FREQ=WEEKLY;BYDAY=MO']);
});

test('RDATE;VALUE=PERIOD: each instance keeps its own length, as an override when it differs', () => {
  const text = calendar(...event('DTSTART:20250303T093000Z', 'DTEND:20250303T103000Z', 'SUMMARY:s', 'RDATE;VALUE=PERIOD:20250310T093000Z/PT1H,20250317T130000Z/20250317T150000Z'));
  const series = parseCalendar(text).series[0]!;
  assert.deepEqual(series.master!.recurrence!.rdate, ['2025-03-10T09:30:00', '2025-03-17T13:00:00']);
  assert.deepEqual(series.overrides.map((o) => [o.recurrenceId, o.end.local, o.summary]), [['2025-03-17T13:00:00', '2025-03-17T15:00:00', 's']]);
});

test('an override carrying RRULE and EXDATE: they are ignored and not written back', () => {
  const text = calendar(
    ...event('DTSTART:20250901T170000Z', 'DURATION:PT1H', 'RRULE:FREQ=WEEKLY;COUNT=3'),
    ...event('RECURRENCE-ID:20250908T170000Z', 'DTSTART:20250908T180000Z', 'DURATION:PT1H', 'RRULE:FREQ=WEEKLY;COUNT=3', 'EXDATE:20250915T170000Z'),
  );
  const series = parseCalendar(text).series[0]!;
  assert.equal(series.overrides[0]!.recurrence, null);
  assert.equal(series.master!.recurrence!.exdate.length, 0);
  const rendered = renderCalendar(series, { dtstamp: '2025-06-01T00:00:00Z' });
  assert.equal(rendered.match(/\r\nRRULE:/g)!.length, 1);
  assert.ok(!rendered.includes('EXDATE'));
});

test('a hostile VTIMEZONE is refused quickly, never followed for ages', () => {
  const rule = (freq: string) => [
    'BEGIN:VTIMEZONE', 'TZID:X', 'BEGIN:STANDARD', 'DTSTART:00010101T000000', `RRULE:FREQ=${freq}`,
    'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0200', 'END:STANDARD', 'END:VTIMEZONE',
  ].join('\r\n');
  const started = performance.now();
  assert.equal(vtimezoneRules(rule('SECONDLY')), null);
  // A yearly rule that matches no date is followed at most 5,000 onsets.
  vtimezoneRules(rule('YEARLY;BYMONTH=2;BYMONTHDAY=30'));
  const many = ['BEGIN:VTIMEZONE', 'TZID:Y', ...Array.from({ length: 3_000 }, (_, i) => [
    'BEGIN:DAYLIGHT', `DTSTART:${1000 + i}0301T020000`, 'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=1SU', 'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0200', 'END:DAYLIGHT',
  ]).flat(), 'END:VTIMEZONE'].join('\r\n');
  assert.equal(vtimezoneRules(many), null);
  assert.ok(performance.now() - started < 2_000, `took ${performance.now() - started} ms`);
  // The event in such a zone still reads: floating, its TZID kept.
  const e = parseCalendar(calendar(rule('SECONDLY'), ...event('DTSTART;TZID=X:20250101T100000'))).series[0]!.master!;
  assert.deepEqual(e.start, { local: '2025-01-01T10:00:00', tz: null });
});
