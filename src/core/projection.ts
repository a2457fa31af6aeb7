// What a binding shows of an event. `busy-only` bindings (a work calendar mirrored into
// a personal one) carry time, recurrence and free/busy only; the rest stays private.
import type { CanonicalEvent, EventSeries } from './model.ts';

export type Projection = 'full' | 'busy-only';

export function project(series: EventSeries, projection: Projection): EventSeries {
  if (projection === 'full') return series;
  return { uid: series.uid, master: series.master && busy(series.master), overrides: series.overrides.map(busy) };
}

function busy(event: CanonicalEvent): CanonicalEvent {
  return {
    ...event,
    summary: 'Busy',
    description: '',
    descriptionHtml: null,
    location: '',
    visibility: 'private',
    organizer: null,
    attendees: [],
    conference: null,
    reminders: [],
    categories: [],
    color: null,
    extras: {},
  };
}
