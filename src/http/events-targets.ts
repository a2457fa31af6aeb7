// What the event id of a request names: a stored row (a single, a master or an
// exception, found by its api id), or an instance its master generates, which has no row
// until it is changed and is found by expanding the master around the day its id names.
// Instance ids have Google's form (`<series>_20260302T090000Z`, all-day
// `<series>_20260302`; event-writes.ts instanceApiId). The form calsync gave before
// migration 000008, the original start in the master's wall clock without a Z
// (`<series>_20260302T100000`), still names the same instance, so ids apps stored then
// keep working. Ids are compared exactly: Google answered a lower-cased instance id
// (`…_20201107t070000z`) with 404 (kuzmoyev/google-calendar-simple-api#52).
import { expandSeries, type Instance } from '../core/ical/index.ts';
import type { CanonicalEvent } from '../core/model.ts';
import type { Calendar } from '../store/calendars.ts';
import type { Queryable } from '../store/db.ts';
import { appEventByApiId, type AppEvent } from '../store/app-events.ts';
import { instanceApiId, seriesApiIdOf } from '../store/event-writes.ts';
import { expansionBounds } from '../engine/expansion-budget.ts';
import { seriesRows, type SeriesRows } from './series-instances.ts';
import { calendarDayMs, clampToRange } from './time-bounds.ts';

export interface EventTarget {
  series: SeriesRows;
  /** The stored row the id names, deleted or not; null for an instance the master generates. */
  row: AppEvent | null;
  /** For an instance (an exception row or a generated instance): its original start in the master's terms. */
  recurrenceId: string | null;
  /** A generated instance's times; null for a stored row. */
  instance: Instance | null;
}

const dayMs = 86_400_000;

/** The id calsync gave an instance before migration 000008: its recurrence id in basic format. */
function legacyInstanceApiId(seriesApiId: string, recurrenceId: string): string {
  return `${seriesApiId}_${recurrenceId.replace(/[-:]/g, '')}`;
}

/** Whether `eventId` is the id, in either form, of the series' instance at `recurrenceId`. */
function namesInstance(eventId: string, seriesApiId: string, series: SeriesRows, instance: Pick<CanonicalEvent, 'recurrenceId' | 'start'>, calendarZone: string): boolean {
  const master = series.master?.kind === 'master' ? series.master.event : null;
  return eventId === legacyInstanceApiId(seriesApiId, instance.recurrenceId!) || eventId === instanceApiId(seriesApiId, instance, master, calendarZone);
}

export async function eventTarget(db: Queryable, tenantId: string, calendar: Calendar, eventId: string): Promise<EventTarget | null> {
  const row = await appEventByApiId(db, tenantId, calendar.id, eventId);
  if (row) {
    const series = (await seriesRows(db, tenantId, calendar.id, row.seriesId))!;
    return { series, row, recurrenceId: row.kind === 'override' ? row.event.recurrenceId : null, instance: null };
  }
  const seriesApiId = seriesApiIdOf(eventId);
  const day = /^_(\d{4})(\d{2})(\d{2})/.exec(eventId.slice(seriesApiId.length));
  if (!day) return null;
  const head = await appEventByApiId(db, tenantId, calendar.id, seriesApiId);
  if (!head || head.kind === 'override') return null;
  const series = (await seriesRows(db, tenantId, calendar.id, head.seriesId))!;
  for (const override of series.overrides.values()) {
    if (namesInstance(eventId, seriesApiId, series, override.event, calendar.timeZone)) {
      return { series, row: override, recurrenceId: override.event.recurrenceId, instance: null };
    }
  }
  const master = series.master;
  if (!master || master.kind !== 'master' || master.deleted) return null;
  // The day in the id is UTC (or the series' own date): the instance starts within a day of it.
  // An id naming a day that does not exist (month 13, year 0) names no instance.
  const at = calendarDayMs(Number(day[1]), Number(day[2]), Number(day[3]));
  if (at === null) return null;
  const { instances } = expandSeries({ uid: master.event.uid, master: master.event, overrides: [] }, {
    from: new Date(clampToRange(at - 2 * dayMs)).toISOString(), to: new Date(clampToRange(at + 3 * dayMs)).toISOString(), defaultZone: calendar.timeZone, ...expansionBounds,
  });
  const instance = instances.find((i) => namesInstance(eventId, seriesApiId, series, { recurrenceId: i.recurrenceId, start: master.event.start }, calendar.timeZone));
  return instance ? { series, row: null, recurrenceId: instance.recurrenceId, instance } : null;
}
