// What a binding shows of an event. `busy-only` bindings (a work calendar mirrored into
// a personal one) carry time, recurrence and free/busy only; the rest stays private.
import { oneOfArgument } from './arguments.ts';
import { CoreError } from './errors.ts';
import type { CanonicalEvent, EventSeries } from './model.ts';

export const PROJECTIONS = ['full', 'busy-only'] as const;
export type Projection = (typeof PROJECTIONS)[number];

export function project(series: EventSeries, projection: Projection): EventSeries {
  oneOfArgument(projection, PROJECTIONS, 'projection');
  if (typeof series !== 'object' || series === null) throw new CoreError('INVALID_EVENT', 'series must be an object', 'series');
  if (typeof series.master !== 'object') throw new CoreError('INVALID_EVENT', 'master must be an event or null', 'series.master');
  const overrides = series.overrides ?? [];
  if (!Array.isArray(overrides)) throw new CoreError('INVALID_EVENT', 'overrides must be an array', 'series.overrides');
  if (projection === 'full') return series;
  return { uid: series.uid, master: series.master && busy(series.master, 'series.master'), overrides: overrides.map((o, i) => busy(o, `series.overrides[${i}]`)) };
}

function busy(event: CanonicalEvent, path: string): CanonicalEvent {
  if (typeof event !== 'object' || event === null) throw new CoreError('INVALID_EVENT', 'event must be an object', path);
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
