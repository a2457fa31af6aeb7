import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CoreError } from '../../src/core/errors.ts';
import type { CanonicalEvent, EventSeries } from '../../src/core/model.ts';
import { parseCalendar, type ParsedSeries } from '../../src/core/ical/parse.ts';
import { renderCalendar } from '../../src/core/ical/render.ts';
import { fixture, goodFixtures } from '../fixtures/ical/fixtures.ts';

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
      assert.deepEqual(withoutId(again), series);
      const text = renderCalendar(series, options);
      assert.equal(renderCalendar(withoutId(parseCalendar(text).series[0]!), options), text, 'rendering is stable');
    }
  });
}

test('rendered text follows RFC 5545: CRLF, 75-octet folds, PRODID, DTSTAMP, VTIMEZONE', () => {
  const series = withoutId(parseCalendar(fixture('folded_lines.ics')).series[0]!);
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
  assert.ok(!/CREATED|LAST-MODIFIED|DTSTAMP:20250502/.test(unfolded), 'server-owned values are not written back');
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
    assert.deepEqual(again, expected);
  }
});

const local = fc
  .record({
    y: fc.integer({ min: 1990, max: 2035 }),
    m: fc.integer({ min: 1, max: 12 }),
    d: fc.integer({ min: 1, max: 28 }),
    h: fc.integer({ min: 0, max: 23 }),
    min: fc.constantFrom(0, 15, 30, 45),
  })
  .map(({ y, m, d, h, min }) => ({
    date: `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
    time: `${String(h).padStart(2, '0')}:${String(min).padStart(2, '0')}:00`,
  }));

// iCalendar text has no carriage return of its own: a line break is written as \n.
const text = fc.string({ unit: 'grapheme', maxLength: 120 }).filter((s) => !s.includes('\r'));
const email = fc.constantFrom('ann@example.com', 'bob@example.org', 'c.d@example.net', 'room-1@resource.example.com');

const eventArb = fc
  .record({
    allDay: fc.boolean(),
    tz: fc.constantFrom<string | null>(null, 'UTC', 'Europe/Berlin', 'America/Los_Angeles', 'Asia/Kolkata', 'Australia/Lord_Howe'),
    start: local,
    lengthDays: fc.integer({ min: 1, max: 5 }),
    lengthMinutes: fc.integer({ min: 0, max: 600 }),
    recurring: fc.boolean(),
    exdates: fc.integer({ min: 0, max: 3 }),
    sequence: fc.nat({ max: 50 }),
    status: fc.constantFrom('confirmed', 'tentative', 'cancelled' as const),
    summary: text,
    description: text,
    html: fc.option(text, { nil: null }),
    location: text,
    transparency: fc.constantFrom('opaque', 'transparent' as const),
    visibility: fc.constantFrom('default', 'public', 'private', 'confidential' as const),
    organizer: fc.option(fc.record({ email, name: fc.option(text, { nil: null }) }), { nil: null }),
    attendees: fc.uniqueArray(
      fc.record({
        email,
        name: fc.option(text, { nil: null }),
        role: fc.constantFrom('chair', 'required', 'optional', 'non-participant' as const),
        response: fc.constantFrom('needs-action', 'accepted', 'declined', 'tentative', 'delegated' as const),
        respondedAt: fc.option(fc.constant('2025-01-02T03:04:05Z'), { nil: null }),
      }),
      { selector: (a) => a.email, maxLength: 4 },
    ),
    conference: fc.option(
      fc.record({
        url: fc.constantFrom('https://meet.google.com/abc-defg-hij', 'https://zoom.us/j/123', 'https://example.com/call?id=1&x=a,b'),
        provider: fc.constantFrom(null, 'meet', 'zoom', 'other'),
      }),
      { nil: null },
    ),
    reminders: fc.option(
      fc.array(fc.record({ method: fc.constantFrom('display', 'email', 'audio' as const), minutesBefore: fc.nat({ max: 40320 }) }), { maxLength: 3 }),
      { nil: null },
    ),
    categories: fc.array(text.filter((c) => c.trim() !== ''), { maxLength: 3 }),
    color: fc.option(fc.constantFrom('red', 'teal', '#1BADF8'), { nil: null }),
  })
  .map((r): CanonicalEvent => {
    const startLocal = r.allDay ? r.start.date : `${r.start.date}T${r.start.time}`;
    const tz = r.allDay ? null : r.tz;
    const day = (n: number): string => {
      const d = new Date(`${r.start.date}T00:00:00Z`);
      d.setUTCDate(d.getUTCDate() + n);
      return d.toISOString().slice(0, 10);
    };
    const endLocal = r.allDay
      ? day(r.lengthDays)
      : new Date(Date.parse(`${startLocal}Z`) + r.lengthMinutes * 60_000).toISOString().slice(0, 19);
    const instance = (n: number): string => (r.allDay ? day(7 * n) : `${day(7 * n)}T${r.start.time}`);
    return base({
      sequence: r.sequence,
      status: r.status,
      summary: r.summary,
      description: r.description,
      descriptionHtml: r.html,
      location: r.location,
      allDay: r.allDay,
      start: { local: startLocal, tz },
      end: { local: endLocal, tz },
      recurrence: r.recurring
        ? { rrule: ['FREQ=WEEKLY;COUNT=10'], rdate: [instance(20)], exdate: Array.from({ length: r.exdates }, (_, i) => instance(i + 1)) }
        : null,
      transparency: r.transparency,
      visibility: r.visibility,
      organizer: r.organizer,
      attendees: r.attendees,
      conference: r.conference,
      reminders: r.reminders,
      categories: r.categories,
      color: r.color,
    });
  });

test('any valid event round-trips through iCalendar (property test)', () => {
  fc.assert(
    fc.property(eventArb, (generated) => {
      // fast-check builds records without a prototype; events are plain JSON data.
      const master = JSON.parse(JSON.stringify(generated)) as CanonicalEvent;
      const series: EventSeries = { uid: master.uid, master, overrides: [] };
      const { calsyncId: _, ...again } = roundTrip(series);
      assert.deepEqual(again, series);
    }),
    { numRuns: 500 },
  );
});

function shiftDays(local: string, days: number): string {
  const d = new Date(`${local.slice(0, 10)}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10) + local.slice(10);
}

const seriesArb = fc
  .record({
    master: eventArb,
    overrides: fc.uniqueArray(
      fc.record({
        week: fc.integer({ min: 0, max: 9 }),
        moveDays: fc.integer({ min: -3, max: 3 }),
        summary: text,
        status: fc.constantFrom('confirmed', 'tentative', 'cancelled' as const),
        tz: fc.constantFrom<string | null>(null, 'UTC', 'Asia/Tokyo'),
        properties: fc.array(fc.constantFrom('X-A:1', 'X-B;X-P="a,b":c', 'PRIORITY:5'), { maxLength: 2 }),
      }),
      { selector: (o) => o.week, maxLength: 3 },
    ),
  })
  .map(({ master, overrides }): EventSeries => {
    const recurring: CanonicalEvent = {
      ...master,
      recurrence: master.recurrence ?? { rrule: ['FREQ=WEEKLY;COUNT=10'], rdate: [], exdate: [] },
    };
    return JSON.parse(
      JSON.stringify({
        uid: master.uid,
        master: recurring,
        overrides: overrides.map((o) => {
          // A timed override keeps the master's floating-ness; its zone may differ.
          const tz = master.allDay ? null : master.start.tz === null ? null : (o.tz ?? 'Europe/Berlin');
          const move = (local: string): string => shiftDays(local, 7 * o.week + o.moveDays);
          return {
            ...master,
            recurrenceId: shiftDays(master.start.local, 7 * o.week),
            recurrence: null,
            summary: o.summary,
            status: o.status,
            start: { local: move(master.start.local), tz },
            end: { local: move(master.end.local), tz: master.allDay ? null : tz },
            reminders: null,
            extras: o.properties.length > 0 ? { ical: { properties: o.properties } } : {},
          };
        }),
      }),
    ) as EventSeries;
  });

test('any valid series with overrides round-trips (property test)', () => {
  fc.assert(
    fc.property(seriesArb, (series) => {
      const { calsyncId: _, ...again } = roundTrip(series);
      assert.deepEqual(again, series);
    }),
    { numRuns: 200 },
  );
});
