// Builders for canonical events in tests: a complete, valid event with overrides only
// for what a test is about.
import type { CanonicalEvent, EventSeries } from '../../src/core/model.ts';

export function event(overrides: Partial<CanonicalEvent> = {}): CanonicalEvent {
  return {
    uid: 'uid-1',
    recurrenceId: null,
    sequence: 0,
    status: 'confirmed',
    summary: 'Planning',
    description: '',
    descriptionHtml: null,
    location: '',
    allDay: false,
    start: { local: '2026-03-02T10:00:00', tz: 'Europe/Berlin' },
    end: { local: '2026-03-02T11:00:00', tz: 'Europe/Berlin' },
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
    ...overrides,
  };
}

export function single(overrides: Partial<CanonicalEvent> = {}): EventSeries {
  const master = event(overrides);
  return { uid: master.uid, master, overrides: [] };
}

/** A weekly series on Mondays from 2026-03-02 10:00 Berlin, ten instances. */
export function weekly(overrides: Partial<CanonicalEvent> = {}, instances: CanonicalEvent[] = []): EventSeries {
  const master = event({
    recurrence: { rrule: ['FREQ=WEEKLY;BYDAY=MO;COUNT=10'], rdate: [], exdate: [] },
    ...overrides,
  });
  return { uid: master.uid, master, overrides: instances };
}

/** An override of the weekly series' instance on `date` (YYYY-MM-DD). */
export function instance(date: string, overrides: Partial<CanonicalEvent> = {}): CanonicalEvent {
  return event({
    recurrenceId: `${date}T10:00:00`,
    start: { local: `${date}T10:00:00`, tz: 'Europe/Berlin' },
    end: { local: `${date}T11:00:00`, tz: 'Europe/Berlin' },
    ...overrides,
  });
}
