// Arbitrary valid canonical events and series for property tests. Each format says which
// texts it can carry (iCalendar has no carriage return of its own; Google's description
// is HTML, so plain text must not read as markup) and how many reminders it keeps.
import fc from 'fast-check';
import type { CanonicalEvent, EventSeries } from '../../src/core/model.ts';
import { event as base } from './events.ts';

export interface EventTexts {
  uid: string;
  summary: fc.Arbitrary<string>;
  description: fc.Arbitrary<{ description: string; descriptionHtml: string | null }>;
  location: fc.Arbitrary<string>;
  /** Names of people, never empty. */
  name: fc.Arbitrary<string>;
  category: fc.Arbitrary<string>;
  email: fc.Arbitrary<string>;
  reminders: { maxMinutes: number; maxCount: number };
}

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

// fast-check builds records without a prototype; events are plain JSON data.
const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export function eventArbitrary(texts: EventTexts): fc.Arbitrary<CanonicalEvent> {
  return fc
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
      summary: texts.summary,
      description: texts.description,
      location: texts.location,
      transparency: fc.constantFrom('opaque', 'transparent' as const),
      visibility: fc.constantFrom('default', 'public', 'private', 'confidential' as const),
      organizer: fc.option(fc.record({ email: texts.email, name: fc.option(texts.name, { nil: null }) }), { nil: null }),
      attendees: fc.uniqueArray(
        fc.record({
          email: texts.email,
          name: fc.option(texts.name, { nil: null }),
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
        fc.array(
          fc.record({ method: fc.constantFrom('display', 'email', 'audio' as const), minutesBefore: fc.nat({ max: texts.reminders.maxMinutes }) }),
          { maxLength: texts.reminders.maxCount },
        ),
        { nil: null },
      ),
      categories: fc.array(texts.category, { maxLength: 3 }),
      color: fc.option(fc.constantFrom('red', 'teal', '#1BADF8'), { nil: null }),
    })
    .map((r): CanonicalEvent => {
      const startLocal = r.allDay ? r.start.date : `${r.start.date}T${r.start.time}`;
      const tz = r.allDay ? null : r.tz;
      const day = (n: number): string => shiftDays(r.start.date, n);
      const endLocal = r.allDay
        ? day(r.lengthDays)
        : new Date(Date.parse(`${startLocal}Z`) + r.lengthMinutes * 60_000).toISOString().slice(0, 19);
      const instance = (n: number): string => (r.allDay ? day(7 * n) : `${day(7 * n)}T${r.start.time}`);
      return plain(base({
        uid: texts.uid,
        sequence: r.sequence,
        status: r.status,
        summary: r.summary,
        ...r.description,
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
      }));
    });
}

export function shiftDays(local: string, days: number): string {
  const d = new Date(`${local.slice(0, 10)}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10) + local.slice(10);
}

/**
 * A weekly series from an arbitrary master with up to three overrides, each moved by up
 * to three days, retitled, maybe cancelled, maybe in another zone; `extras` gives each
 * override's provider extras.
 */
export function seriesArbitrary(
  master: fc.Arbitrary<CanonicalEvent>,
  summary: fc.Arbitrary<string>,
  extras: fc.Arbitrary<CanonicalEvent['extras']> = fc.constant({}),
): fc.Arbitrary<EventSeries> {
  return fc
    .record({
      master,
      overrides: fc.uniqueArray(
        fc.record({
          week: fc.integer({ min: 0, max: 9 }),
          moveDays: fc.integer({ min: -3, max: 3 }),
          summary,
          status: fc.constantFrom('confirmed', 'tentative', 'cancelled' as const),
          tz: fc.constantFrom<string | null>(null, 'UTC', 'Asia/Tokyo'),
          extras,
        }),
        { selector: (o) => o.week, maxLength: 3 },
      ),
    })
    .map(({ master, overrides }): EventSeries => {
      const recurring: CanonicalEvent = { ...master, recurrence: master.recurrence ?? { rrule: ['FREQ=WEEKLY;COUNT=10'], rdate: [], exdate: [] } };
      const list = overrides.map((o): CanonicalEvent => {
        // A timed override keeps the master's floating-ness; its zone may differ.
        const tz = master.allDay ? null : master.start.tz === null ? null : (o.tz ?? 'Europe/Berlin');
        const move = (l: string): string => shiftDays(l, 7 * o.week + o.moveDays);
        return {
          ...master,
          recurrenceId: shiftDays(master.start.local, 7 * o.week),
          recurrence: null,
          summary: o.summary,
          status: o.status,
          start: { local: move(master.start.local), tz },
          end: { local: move(master.end.local), tz: master.allDay ? null : tz },
          reminders: null,
          extras: o.extras,
        };
      }).sort((a, b) => (a.recurrenceId! < b.recurrenceId! ? -1 : 1));
      return plain({ uid: master.uid, master: recurring, overrides: list });
    });
}
