// The busy time of a calendar over a window, as freeBusy answers it and availability
// counts it: single events merged by Postgres (src/store/busy.ts), recurring series
// expanded here within the request's expansion budget. Availability also leaves out the
// events of the resource's own bookings (their time is counted as bookings, with their
// buffers) and events the resource declined.
import { busyFor, busyPeriods, type Period } from '../core/busy.ts';
import { expandSeries } from '../core/ical/index.ts';
import { CalsyncError } from '../errors.ts';
import { recurringSeriesIn, singleBusyPeriods } from '../store/busy.ts';
import type { Queryable } from '../store/db.ts';
import { getSeries } from '../store/events.ts';
import { expansionBounds, expansionPacer } from './expansion-budget.ts';

// 93 days of a meeting every 15 minutes is 8,928 instances.
export const instancesPerSeries = 10_000;
const seriesPerCalendar = 20_000;
const seriesPerRead = 500;

export interface BusyOptions {
  /** Events whose time does not count (a resource's own bookings' events). */
  excludeEventIds?: readonly string[];
  /** The address of whose time it is: an event with this attendee's answer `declined` is free. */
  declinedBy?: string | null;
}

/**
 * The busy periods of one calendar in `[from, to)`, merged and clipped; null when a
 * series could not be expanded in full (its busy time is unknown).
 */
export async function calendarBusy(db: Queryable, tenantId: string, calendar: { id: string; timeZone: string }, window: { from: number; to: number }, options: BusyOptions = {}): Promise<Period[] | null> {
  const from = new Date(window.from).toISOString();
  const to = new Date(window.to).toISOString();
  const email = options.declinedBy?.toLowerCase() ?? null;
  const periods = await singleBusyPeriods(db, tenantId, calendar.id, from, to, { excludeEventIds: options.excludeEventIds ?? [], declinedBy: email });
  const seriesIds = await recurringSeriesIn(db, tenantId, calendar.id, from, to, seriesPerCalendar + 1);
  if (seriesIds.length > seriesPerCalendar) {
    throw new CalsyncError('INVALID_REQUEST', `more than ${seriesPerCalendar} recurring series of calendar ${calendar.id} fall in this window: narrow timeMin and timeMax`, { parameter: 'timeMax' });
  }
  const excluded = new Set(options.excludeEventIds ?? []);
  const pace = expansionPacer();
  for (let start = 0; start < seriesIds.length; start += seriesPerRead) {
    for (const stored of await getSeries(db, tenantId, calendar.id, seriesIds.slice(start, start + seriesPerRead).filter((id) => !excluded.has(id)))) {
      await pace();
      const { instances, truncated } = expandSeries(stored.series, { from, to, defaultZone: calendar.timeZone, limit: instancesPerSeries, ...expansionBounds });
      if (truncated) return null;
      for (const instance of instances) {
        if (busyFor(instance.event, email)) periods.push({ start: Date.parse(instance.start), end: Date.parse(instance.end) });
      }
    }
  }
  return busyPeriods(periods, window.from, window.to);
}
