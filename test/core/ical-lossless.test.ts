// An item parsed and rendered again holds what it held: the benchmark's canonical form
// (../shared/bench/seed.py) of the rendered text equals the source's. What servers
// rewrite on their own (stamps, VTIMEZONEs, which defaults are written out, calendar
// properties) is kept in extras.ical and never counts as content.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contentHash } from '../../src/core/hash.ts';
import type { IcalExtras } from '../../src/core/ical/extras.ts';
import { parseCalendar, type ParsedSeries } from '../../src/core/ical/parse.ts';
import { renderCalendar } from '../../src/core/ical/render.ts';
import type { CanonicalEvent, EventSeries } from '../../src/core/model.ts';
import { canonical } from '../fixtures/ical/canonical.ts';
import { fixture } from '../fixtures/ical/fixtures.ts';

const BENCH = 'bench_workload_item_with_stamps_and_tzname.ics';
const options = { dtstamp: '2026-11-21T12:00:00Z' };

function withoutId({ calsyncId: _, ...series }: ParsedSeries): EventSeries {
  return series;
}

function only(input: string | Uint8Array): EventSeries {
  const { series } = parseCalendar(input);
  assert.equal(series.length, 1);
  return withoutId(series[0]!);
}

const ical = (e: CanonicalEvent | null | undefined): IcalExtras => (e?.extras.ical ?? {}) as IcalExtras;
const text = (name: string): string => new TextDecoder().decode(fixture(name));
const unfolded = (ics: string): string => ics.replace(/\r\n[ \t]/g, '');

function withMaster(series: EventSeries, patch: Partial<CanonicalEvent>): EventSeries {
  return { ...series, master: { ...series.master!, ...patch } };
}

// Each fixture holds one item as a server stores it; the others in test/fixtures/ical
// differ where the model spells a value its own way (Windows TZIDs become IANA names,
// DURATION becomes DTEND, CATEGORIES lines join, TRIGGER is written in minutes).
for (const name of [BENCH, 'all_day.ics', 'cancelled_override.ics']) {
  test(`${name}: the rendered item has the source's canonical content`, () => {
    const rendered = renderCalendar(only(fixture(name)), options);
    assert.equal(canonical(rendered), canonical(fixture(name)));
  });
}

test('bench workload item: stamps, CALSCALE, TZNAMEs and left-out TRANSP come back; no X-CALSYNC-ID', () => {
  const series = only(fixture(BENCH));
  assert.deepEqual(ical(series.master).stamps, ['DTSTAMP:20250101T120000Z', 'CREATED:20240514T185328Z', 'LAST-MODIFIED:20240514T185328Z']);
  assert.deepEqual(ical(series.overrides[0]).stamps, ['DTSTAMP:20250101T120000Z', 'CREATED:20240514T185328Z', 'LAST-MODIFIED:20250101T120000Z']);
  assert.deepEqual(ical(series.master).calendar, ['CALSCALE:GREGORIAN']);
  assert.deepEqual(Object.keys(ical(series.master).vtimezones ?? {}), ['Europe/Berlin']);
  assert.deepEqual(ical(series.overrides[0]).omitted, ['TRANSP']);
  assert.equal(ical(series.master).omitted, undefined);

  const rendered = unfolded(renderCalendar(series, options));
  assert.equal(rendered.match(/^TRANSP:/gm)?.length, 1, 'only the master says TRANSP');
  assert.match(rendered, /\r\nTZNAME:CEST\r\n/);
  assert.match(rendered, /\r\nCALSCALE:GREGORIAN\r\n/);
  assert.doesNotMatch(rendered, /X-CALSYNC-ID/);
  assert.doesNotMatch(rendered, /20261121T120000Z/, 'the kept DTSTAMPs are written, not the render time');
  assert.equal(renderCalendar(series, { dtstamp: '2030-01-01T00:00:00Z' }), renderCalendar(series, options), 'the render time does not matter');
});

test('a kept VTIMEZONE is written only while a time is still in its zone', () => {
  const series = only(fixture(BENCH));
  const newYork = { start: { local: '2025-03-08T11:30:00', tz: 'America/New_York' }, end: { local: '2025-03-08T11:45:00', tz: 'America/New_York' } };
  const moved = { ...withMaster(series, newYork), overrides: series.overrides.map((o) => ({ ...o, ...newYork })) };
  const rendered = unfolded(renderCalendar(moved, options));
  assert.match(rendered, /BEGIN:VTIMEZONE\r\nTZID:America\/New_York\r\n/);
  assert.doesNotMatch(rendered, /TZID:Europe\/Berlin|TZNAME/, 'the Berlin VTIMEZONE went with the last Berlin time');

  // One event still in Berlin: its zone keeps the source's VTIMEZONE.
  const partly = withMaster(series, newYork);
  assert.match(unfolded(renderCalendar(partly, options)), /TZID:Europe\/Berlin\r\n(.*\r\n)*?TZNAME:CEST\r\n/);
});

test('a default the source left out is written once the value changes', () => {
  const series = only(fixture(BENCH));
  const override = series.overrides[0]!;
  const free = { ...series, overrides: [{ ...override, transparency: 'transparent' as const }] };
  assert.equal(unfolded(renderCalendar(free, options)).match(/^TRANSP:TRANSPARENT$/gm)?.length, 1);

  const bare = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//x//x//EN', 'BEGIN:VEVENT', 'UID:bare', 'DTSTAMP:20250101T000000Z',
    'DTSTART;VALUE=DATE:20250301', 'SUMMARY:', 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
  const minimal = only(bare);
  assert.deepEqual(ical(minimal.master).omitted, ['SEQUENCE', 'STATUS', 'TRANSP', 'DTEND']);
  assert.deepEqual(ical(minimal.master).explicit, ['SUMMARY']);
  assert.equal(canonical(renderCalendar(minimal, options)), canonical(bare), 'nothing added, the empty SUMMARY kept');

  const edited = unfolded(renderCalendar(withMaster(minimal, {
    sequence: 1, status: 'tentative', summary: 'Named', end: { local: '2025-03-03', tz: null },
  }), options));
  for (const line of ['SEQUENCE:1', 'STATUS:TENTATIVE', 'SUMMARY:Named', 'DTEND;VALUE=DATE:20250303']) {
    assert.match(edited, new RegExp(`\\r\\n${line}\\r\\n`), line);
  }
  assert.doesNotMatch(edited, /TRANSP/);
});

test('kept calendar properties give way to the caller\'s and to those it leaves out', () => {
  const series = only(fixture('all_day.ics'));
  const rendered = renderCalendar(series, { ...options, calendarProperties: ['METHOD:REQUEST'], withoutCalendarProperties: ['x-wr-calname'] });
  assert.match(rendered, /\r\nMETHOD:REQUEST\r\n/);
  assert.doesNotMatch(rendered, /METHOD:PUBLISH|X-WR-CALNAME/);
  assert.match(rendered, /\r\nCALSCALE:GREGORIAN\r\nX-WR-TIMEZONE:Europe\/Berlin\r\n/);
});

test('stamps, VTIMEZONE text and written-out defaults are not content; SUMMARY is', () => {
  const source = text(BENCH);
  const base = contentHash(only(source));
  const restamped = source
    .replace(/DTSTAMP:20250101T120000Z/g, 'DTSTAMP:20261121T093000Z')
    .replace(/LAST-MODIFIED:\d{8}T\d{6}Z/g, 'LAST-MODIFIED:20261121T093000Z')
    .replace(/CREATED:20240514T185328Z/g, 'CREATED:20240101T000000Z');
  // A server that writes its own VTIMEZONE (no TZNAME) and every default out.
  const regenerated = source
    .replace(/TZNAME:CES?T\r\n/g, '')
    .replace('CALSCALE:GREGORIAN\r\n', '')
    .replace('STATUS:CONFIRMED\r\nSUMMARY:Moved', 'STATUS:CONFIRMED\r\nTRANSP:OPAQUE\r\nSUMMARY:Moved');
  for (const [what, changed] of [['restamped', restamped], ['regenerated', regenerated]] as const) {
    assert.notEqual(changed, source, what);
    assert.notDeepEqual(only(changed), only(source), `${what}: the difference is kept`);
    assert.equal(contentHash(only(changed)), base, `${what}: same content`);
  }
  const renamed = source.replace('SUMMARY:Sprint retro', 'SUMMARY:Sprint review');
  assert.notEqual(contentHash(only(renamed)), base);
});
