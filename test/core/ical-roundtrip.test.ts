import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CoreError } from '../../src/core/errors.ts';
import type { IcalExtras } from '../../src/core/ical/extras.ts';
import type { CanonicalEvent, EventSeries } from '../../src/core/model.ts';
import { parseCalendar, type ParsedSeries } from '../../src/core/ical/parse.ts';
import { renderCalendar } from '../../src/core/ical/render.ts';
import { fixture, goodFixtures } from '../fixtures/ical/fixtures.ts';
import { eventArbitrary, seriesArbitrary } from '../helpers/event-arbitraries.ts';
import { withoutRenderAdditions } from './ical-render-additions.ts';

const options = { dtstamp: '2025-06-01T12:00:00Z' };

function withoutId({ calsyncId: _, ...series }: ParsedSeries): EventSeries {
  return series;
}

function roundTrip(series: EventSeries, calsyncId: string | null = null): ParsedSeries {
  const parsed = parseCalendar(renderCalendar(series, { ...options, calsyncId }));
  assert.equal(parsed.series.length, 1);
  return parsed.series[0]!;
}

for (const name of goodFixtures) {
  test(`${name}: parse → render → parse is lossless`, () => {
    const first = parseCalendar(fixture(name));
    assert.ok(first.series.length > 0);
    for (const parsed of first.series) {
      const series = withoutId(parsed);
      const again = roundTrip(series, 'cs_roundtrip');
      assert.equal(again.calsyncId, 'cs_roundtrip');
      assert.deepEqual(withoutRenderAdditions(withoutId(again), series), series);
      const text = renderCalendar(series, options);
      assert.equal(renderCalendar(withoutId(parseCalendar(text).series[0]!), options), text, 'rendering is stable');
    }
  });
}

test('rendered text follows RFC 5545: CRLF, 75-octet folds, PRODID, DTSTAMP, VTIMEZONE', () => {
  const parsed = withoutId(parseCalendar(fixture('folded_lines.ics')).series[0]!);
  // Without a kept DTSTAMP, render stamps the time it is given.
  const { stamps: _, ...ical } = parsed.master!.extras.ical as IcalExtras;
  const series = { ...parsed, master: { ...parsed.master!, extras: { ical } } };
  const text = renderCalendar(series, { dtstamp: '2025-06-01T12:34:56.789Z', calsyncId: 'cs_1' });
  assert.ok(text.endsWith('END:VCALENDAR\r\n'));
  assert.ok(!/[^\r]\n/.test(text), 'every line ends in CRLF');
  const encoder = new TextEncoder();
  for (const line of text.split('\r\n')) assert.ok(encoder.encode(line).length <= 75, `too long: ${line}`);
  assert.match(text, /\r\nPRODID:-\/\/calsync\/\/calsync\/\/EN\r\n/);
  assert.match(text, /\r\nDTSTAMP:20250601T123456Z\r\n/);
  assert.match(text, /\r\nX-CALSYNC-ID:cs_1\r\n/);
  assert.match(text, /BEGIN:VTIMEZONE\r\nTZID:Europe\/Berlin\r\n/);
  assert.match(text, /\r\nDTSTART;TZID=Europe\/Berlin:20250305T140000\r\n/);
  assert.match(text, /\r\nX-LONG-PROPERTY;X-PARAM="a value; with: specials":x{20}/);
});

test('unknown properties, parameters and components survive a round trip as text', () => {
  const series = withoutId(parseCalendar(fixture('x_properties_and_valarm.ics')).series[0]!);
  const unfolded = renderCalendar(series, options).replace(/\r\n /g, '');
  for (const line of [
    'X-APPLE-STRUCTURED-LOCATION;VALUE=URI;X-ADDRESS="5 Parvis Alan Turing, 75013 Paris";X-APPLE-RADIUS=70;X-TITLE=Station F:geo:48.834,2.370',
    'X-MICROSOFT-CDO-BUSYSTATUS:BUSY',
    'GEO:48.834;2.370',
    'URL;VALUE=URI:https://example.com/workshops/42',
    'ORGANIZER;CN="Dupont, Claire";SENT-BY="mailto:assistant@example.fr":mailto:claire.dupont@example.fr',
    'CONFERENCE;VALUE=URI;FEATURE=VIDEO;LABEL=Zoom:https://us02web.zoom.us/j/81234567890',
    'X-ALT-DESC;FMTTYPE=text/html:<p>Bring the <b>prototype</b>.</p>',
    'BEGIN:VALARM\r\nACTION:AUDIO\r\nTRIGGER:-PT30M\r\nX-WR-ALARMUID:6E0B3E1C-0F5B-4B4B-9C1A-2D3E4F5A6B7C',
    'TRIGGER;VALUE=DATE-TIME:20250519T160000Z',
    'BEGIN:X-CUSTOM-THING\r\nX-FOO:bar\r\nEND:X-CUSTOM-THING',
  ]) {
    assert.ok(unfolded.includes(line), `missing ${line}`);
  }
  for (const stamp of ['CREATED:20250502T101010Z', 'DTSTAMP:20250502T101500Z', 'LAST-MODIFIED:20250502T101500Z']) {
    assert.ok(unfolded.includes(`\r\n${stamp}\r\n`), `the stamp ${stamp} is written back as it came`);
  }
  assert.ok(!unfolded.includes('DTSTAMP:20250601T120000Z'), 'the render time is not stamped over the kept DTSTAMP');
});

test('an unmatched custom zone is written back under its own TZID with its VTIMEZONE', () => {
  const lunar = withoutId(parseCalendar(fixture('custom_vtimezone.ics')).series[1]!);
  const text = renderCalendar(lunar, options);
  assert.match(text, /BEGIN:VTIMEZONE\r\nTZID:Lunar Base Time\r\n/);
  assert.match(text, /\r\nDTSTART;TZID=Lunar Base Time:20250311T090000\r\n/);
  assert.match(text, /\r\nEXDATE;TZID=Lunar Base Time:20250313T090000\r\n/);
});

test('render refuses bad options with typed errors, never a crash', () => {
  const series = withoutId(parseCalendar(fixture('all_day.ics')).series[0]!);
  const bad: unknown[] = [
    undefined,
    {},
    { dtstamp: 'now' },
    { dtstamp: '2025-01-01T00:00:00Z', calsyncId: 'a\r\nX-EVIL:1' },
    { dtstamp: '2025-01-01T00:00:00Z', calendarProperties: ['METHOD:PUBLISH\r\nBEGIN:VEVENT'] },
    { dtstamp: '2025-01-01T00:00:00Z', calendarProperties: 'METHOD:PUBLISH' },
  ];
  for (const options of bad) {
    assert.throws(
      () => renderCalendar(series, options as never),
      (e: unknown) => e instanceof CoreError && e.code === 'INVALID_INPUT',
      JSON.stringify(options),
    );
  }
  assert.throws(() => renderCalendar({ uid: 'x' } as never, options), (e: unknown) => e instanceof CoreError && e.code === 'INVALID_EVENT');
  assert.match(renderCalendar(series, { ...options, calendarProperties: ['METHOD:PUBLISH'] }), /\r\nPRODID:[^\r]+\r\nMETHOD:PUBLISH\r\n/);
});

function base(patch: Partial<CanonicalEvent> = {}): CanonicalEvent {
  return {
    uid: 'model@example.com',
    recurrenceId: null,
    sequence: 0,
    status: 'confirmed',
    summary: '',
    description: '',
    descriptionHtml: null,
    location: '',
    allDay: false,
    start: { local: '2025-03-03T10:00:00', tz: 'Europe/Berlin' },
    end: { local: '2025-03-03T11:00:00', tz: 'Europe/Berlin' },
    recurrence: null,
    transparency: 'opaque',
    visibility: 'default',
    organizer: null,
    attendees: [],
    conference: null,
    reminders: null,
    categories: [],
    color: null,
    extras: {},
    ...patch,
  };
}

test('model values iCalendar has no standard place for still round-trip', () => {
  const cases: EventSeries[] = [
    // No reminders at all, as opposed to the calendar's defaults (null).
    { uid: 'model@example.com', master: base({ reminders: [] }), overrides: [] },
    // A provider that differs from what the link suggests, and none for a known link.
    { uid: 'model@example.com', master: base({ conference: { url: 'https://zoom.us/j/1', provider: 'custom' } }), overrides: [] },
    { uid: 'model@example.com', master: base({ conference: { url: 'https://meet.google.com/x', provider: null } }), overrides: [] },
    { uid: 'model@example.com', master: base({ conference: { url: 'https://example.com/room', provider: null } }), overrides: [] },
    // Backslashes next to separators (ical.js reads `\\,` as an escaped comma).
    { uid: 'model@example.com', master: base({ categories: ['\\', '!', 'a\\,b', 'c;d\\'] }), overrides: [] },
    // An empty description that still carries a LANGUAGE parameter.
    { uid: 'model@example.com', master: base({ extras: { ical: { params: { DESCRIPTION: { language: 'nl-NL' } } } } }), overrides: [] },
    // When an attendee answered.
    {
      uid: 'model@example.com',
      master: base({
        attendees: [{ email: 'a@example.com', name: 'A; B, C', role: 'optional', response: 'delegated', respondedAt: '2025-02-01T10:00:00.250Z' }],
      }),
      overrides: [],
    },
    // Overrides without their master, one all-day instance of a timed series.
    {
      uid: 'model@example.com',
      master: null,
      overrides: [
        base({ recurrenceId: '2025-03-10T10:00:00', start: { local: '2025-03-10T12:00:00', tz: 'America/New_York' }, end: { local: '2025-03-10T13:00:00', tz: 'America/New_York' } }),
        base({ recurrenceId: '2025-03-17', allDay: true, start: { local: '2025-03-17', tz: null }, end: { local: '2025-03-18', tz: null } }),
      ],
    },
    // Two reminders with the same timing, each with its own extra lines.
    {
      uid: 'model@example.com',
      master: base({
        reminders: [{ method: 'display', minutesBefore: 0 }, { method: 'display', minutesBefore: 0 }],
        extras: { ical: { alarms: { 'display:0': [['X-A:1'], ['X-A:2']] } }, google: { colorId: '5' } },
      }),
      overrides: [],
    },
  ];
  for (const series of cases) {
    const { calsyncId, ...again } = roundTrip(series);
    assert.equal(calsyncId, null);
    // Only extras.ical is iCalendar's to keep; other origins are the connectors' business.
    const expected = structuredClone(series);
    for (const e of [expected.master, ...expected.overrides]) if (e) delete e.extras.google;
    assert.deepEqual(withoutRenderAdditions(again, expected), expected);
  }
});

// iCalendar text has no carriage return of its own: a line break is written as \n.
const text = fc.string({ unit: 'grapheme', maxLength: 120 }).filter((s) => !s.includes('\r'));

const eventArb = eventArbitrary({
  uid: 'model@example.com',
  summary: text,
  description: fc.record({ description: text, descriptionHtml: fc.option(text, { nil: null }) }),
  location: text,
  name: text,
  category: text.filter((c) => c.trim() !== ''),
  email: fc.constantFrom('ann@example.com', 'bob@example.org', 'c.d@example.net', 'room-1@resource.example.com'),
  reminders: { maxMinutes: 40320, maxCount: 3 },
});

test('any valid event round-trips through iCalendar (property test)', () => {
  fc.assert(
    fc.property(eventArb, (generated) => {
      const master = generated;
      const series: EventSeries = { uid: master.uid, master, overrides: [] };
      const { calsyncId: _, ...again } = roundTrip(series);
      assert.deepEqual(withoutRenderAdditions(again, series), series);
    }),
    { numRuns: 500 },
  );
});

const seriesArb = seriesArbitrary(
  eventArb,
  text,
  fc.array(fc.constantFrom('X-A:1', 'X-B;X-P="a,b":c', 'PRIORITY:5'), { maxLength: 2 })
    .map((properties) => (properties.length > 0 ? { ical: { properties } } : {})),
);

test('any valid series with overrides round-trips (property test)', () => {
  fc.assert(
    fc.property(seriesArb, (series) => {
      const { calsyncId: _, ...again } = roundTrip(series);
      assert.deepEqual(withoutRenderAdditions(again, series), series);
    }),
    { numRuns: 200 },
  );
});
