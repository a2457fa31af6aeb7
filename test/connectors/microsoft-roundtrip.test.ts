// Canonical → Graph → canonical keeps every field the Graph mapping claims to carry
// (src/connectors/microsoft/README.md, "What maps"), for any series made only of such
// fields; Graph → canonical → Graph → canonical is then exact, extras included.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { htmlToText } from '../../src/core/html-text.ts';
import { instantToLocal, localToInstant } from '../../src/core/ical/zoned.ts';
import type { Attendee, CanonicalEvent, EventSeries, Reminder } from '../../src/core/model.ts';
import { dayNumber, weekday } from '../../src/core/rrule/calendar.ts';
import { WEEKDAYS } from '../../src/core/rrule/parse.ts';
import { shiftDays } from '../helpers/event-arbitraries.ts';
import { throughGraph } from './microsoft-answers.ts';

const meta = { calendarTimeZone: 'Europe/Berlin', calsyncId: 'E1' };
// Kolkata's Windows name reads back as Asia/Calcutta (written as the IANA name Graph
// lists); Lord Howe moves by half an hour. Zones that come back as another zone
// (Europe/Amsterdam as Europe/Berlin) are not carried: microsoft-zones.test.ts.
const zone = fc.constantFrom('UTC', 'Europe/Berlin', 'America/Los_Angeles', 'Asia/Kolkata', 'Australia/Lord_Howe', 'America/Sao_Paulo');
const text = fc.string({ unit: 'grapheme', maxLength: 60 });
const name = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((s) => s.trim() !== '' && !s.includes('@'));
const html = fc.constantFrom('<p>Agenda</p>', 'Line one<br>Line two', '<b>Bold</b> &amp; <i>italic</i>', '<html><body>Does noon work?</body></html>');
const pad = (n: number): string => String(n).padStart(2, '0');

const day = fc.record({ y: fc.integer({ min: 2000, max: 2035 }), m: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: 1, max: 28 }) })
  .map(({ y, m, d }) => `${y}-${pad(m)}-${pad(d)}`);
// Hours away from the small hours, where DST gaps would move a wall-clock time.
const clock = fc.record({ h: fc.integer({ min: 6, max: 22 }), min: fc.constantFrom(0, 15, 30, 45) }).map(({ h, min }) => `${pad(h)}:${pad(min)}:00`);

/** A rule Graph holds, in the form the mapping writes: the pattern from the start's own date. */
function ruleArb(date: string, allDay: boolean, tz: string): fc.Arbitrary<string> {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wd = weekday(dayNumber(y, m, d));
  const nth = Math.ceil(d / 7);
  const pattern = fc.oneof(
    fc.integer({ min: 1, max: 5 }).map((n) => `FREQ=DAILY${n > 1 ? `;INTERVAL=${n}` : ''}`),
    fc.record({ n: fc.integer({ min: 1, max: 3 }), more: fc.subarray([0, 1, 2, 3, 4, 5, 6]), sunday: fc.boolean() }).map(({ n, more, sunday }) => {
      const days = [...new Set([wd, ...more])].sort().map((x) => WEEKDAYS[x]).join(',');
      return `FREQ=WEEKLY${n > 1 ? `;INTERVAL=${n}` : ''};BYDAY=${days}${sunday ? ';WKST=SU' : ''}`;
    }),
    fc.integer({ min: 1, max: 3 }).map((n) => `FREQ=MONTHLY${n > 1 ? `;INTERVAL=${n}` : ''};BYMONTHDAY=${d}`),
    fc.constant(`FREQ=MONTHLY;BYDAY=${nth}${WEEKDAYS[wd]}`),
    fc.constant(`FREQ=YEARLY;BYMONTH=${m};BYMONTHDAY=${d}`),
    fc.constant(`FREQ=YEARLY;BYMONTH=${m};BYDAY=${nth}${WEEKDAYS[wd]}`),
  );
  const ending = fc.oneof(
    fc.constant(''),
    fc.integer({ min: 1, max: 50 }).map((n) => `;COUNT=${n}`),
    fc.integer({ min: 0, max: 400 }).map((n) => {
      // The range's end date is the last day, so UNTIL is the end of that day in the series' zone.
      const end = shiftDays(date, n);
      if (allDay) return `;UNTIL=${end.replace(/-/g, '')}`;
      const utc = instantToLocal(localToInstant(`${end}T23:59:59`, tz), 'UTC');
      return `;UNTIL=${utc.replace(/[-:]/g, '')}Z`;
    }),
  );
  return fc.tuple(pattern, ending).map(([p, e]) => p + e);
}

const attendee: fc.Arbitrary<Omit<Attendee, 'email'>> = fc.oneof(
  // The organizer's own entry: Graph answers it "organizer".
  fc.record({ name: fc.option(name, { nil: null }), role: fc.constant('chair' as const), response: fc.constant('accepted' as const), respondedAt: fc.constant(null) }),
  fc.record({
    name: fc.option(name, { nil: null }),
    role: fc.constantFrom('required', 'optional', 'non-participant' as const),
    response: fc.constantFrom('needs-action', 'accepted', 'declined', 'tentative' as const),
    respondedAt: fc.option(fc.constantFrom('2025-01-02T03:04:05Z', '2026-06-30T23:59:59.123Z'), { nil: null }),
  }),
);

interface Shape {
  allDay: boolean;
  date: string;
  time: string;
  tz: string;
}

function content(shape: Shape) {
  const emails = ['ann@example.com', 'bob@example.org', 'c.d@example.net', 'room-1@example.com'];
  return fc.record({
    summary: text,
    description: fc.oneof(text.map((t) => ({ description: t, descriptionHtml: null })), html.map((h) => ({ description: htmlToText(h), descriptionHtml: h }))),
    location: text,
    lengthMinutes: fc.integer({ min: 0, max: 600 }),
    lengthDays: fc.integer({ min: 1, max: 4 }),
    endTz: fc.option(zone, { nil: null }),
    transparency: fc.constantFrom('opaque', 'transparent' as const),
    visibility: fc.constantFrom('default', 'private', 'confidential' as const),
    attendees: fc.uniqueArray(fc.tuple(fc.constantFrom(...emails), attendee), { selector: ([e]) => e, maxLength: 4 }),
    reminders: fc.oneof(fc.constant<Reminder[]>([]), fc.nat({ max: 10_000 }).map((n): Reminder[] => [{ method: 'display', minutesBefore: n }])),
    categories: fc.array(name, { maxLength: 3 }),
  }).map((c): CanonicalEvent => {
    const startLocal = shape.allDay ? shape.date : `${shape.date}T${shape.time}`;
    const start = { local: startLocal, tz: shape.allDay ? null : shape.tz };
    let end = start;
    if (shape.allDay) end = { local: shiftDays(shape.date, c.lengthDays), tz: null };
    else {
      const endZone = c.endTz ?? shape.tz;
      end = { local: instantToLocal(localToInstant(startLocal, shape.tz) + c.lengthMinutes * 60_000, endZone), tz: endZone };
    }
    const attendees: Attendee[] = c.attendees.map(([email, a]) => ({ email, ...a }));
    return {
      uid: 'roundtrip@example.com', recurrenceId: null, sequence: 0, status: 'confirmed', summary: c.summary, ...c.description,
      location: c.location, allDay: shape.allDay, start, end, recurrence: null, transparency: c.transparency, visibility: c.visibility,
      // Graph makes the calendar's owner the organizer: the model's is not written.
      organizer: null,
      attendees, conference: null, reminders: c.reminders, categories: c.categories, color: null, extras: {},
    };
  });
}

const seriesArb: fc.Arbitrary<EventSeries> = fc.record({ allDay: fc.boolean(), date: day, time: clock, tz: zone, recurring: fc.boolean() })
  .chain((shape) => fc.record({
    master: content(shape),
    rule: ruleArb(shape.date, shape.allDay, shape.tz),
    exdates: fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 3 }),
    overrides: fc.uniqueArray(
      fc.record({ week: fc.integer({ min: 1, max: 9 }), move: fc.integer({ min: -2, max: 2 }), tz: zone })
        .chain((o) => content({ ...shape, date: shiftDays(shape.date, 7 * o.week + o.move), tz: o.tz }).map((event) => ({ ...o, event }))),
      { selector: (o) => o.week, maxLength: 3 },
    ),
  }).map(({ master, rule, exdates, overrides }): EventSeries => {
    const at = (days: number): string => (shape.allDay ? shiftDays(shape.date, days) : `${shiftDays(shape.date, days)}T${shape.time}`);
    if (!shape.recurring) return { uid: master.uid, master, overrides: [] };
    const taken = new Set(overrides.map((o) => 7 * o.week));
    const recurrence = { rrule: [rule], rdate: [], exdate: exdates.filter((n) => !taken.has(n)).sort((a, b) => a - b).map(at) };
    const list = overrides.map(({ week, event }): CanonicalEvent => ({ ...event, recurrenceId: at(7 * week) })).sort((a, b) => (a.recurrenceId! < b.recurrenceId! ? -1 : 1));
    return { uid: master.uid, master: { ...master, recurrence }, overrides: list };
  }))
  // fast-check builds records without a prototype; events are plain JSON data.
  .map((series) => JSON.parse(JSON.stringify(series)) as EventSeries);

const withoutExtras = (s: EventSeries): EventSeries => ({
  ...s,
  master: s.master && { ...s.master, extras: {} },
  overrides: s.overrides.map((o) => ({ ...o, extras: {} })),
});

test('canonical → Graph → canonical keeps every field the mapping carries (property test)', () => {
  fc.assert(
    fc.property(seriesArb, (series) => {
      const again = throughGraph(series, meta);
      assert.deepEqual(withoutExtras(again), series);
      // What the first trip kept in extras.graph makes the second one exact.
      assert.deepEqual(throughGraph(again, meta), again);
    }),
    { numRuns: 300 },
  );
});
