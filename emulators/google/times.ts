// Google EventDateTime values as the emulator reads and answers them. From the events
// reference (`start.dateTime`): "A time zone offset is required unless a time zone is
// explicitly specified in timeZone"; `start.timeZone`: "For recurring events this field
// is required and specifies the time zone in which the recurrence is expanded". Answers
// write dateTime with the offset of the calendar's zone, or of the `timeZone` request
// parameter ("Time zone used in the response. Optional. The default is the time zone of
// the calendar."), as Google does.
import { instantToLocal, localToInstant, offsetSeconds } from '../../src/core/ical/zoned.ts';
import { isIanaZone } from '../../src/core/timezones.ts';
import type { GoogleEventDateTime } from '../../src/core/google/types.ts';
import { googleErrors } from './errors.ts';

/** A start or end read: all-day dates keep their date; every value gets its instant. */
export interface Moment {
  allDay: boolean;
  /** The instant: midnight in the calendar's zone for a date. */
  ms: number;
  /** yyyy-mm-dd of an all-day value. */
  date: string | null;
  /** The zone the value is shown and expanded in: its timeZone, else the calendar's. */
  zone: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/i;

function validDate(date: string): boolean {
  const ms = Date.parse(`${date}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === date;
}

/** Milliseconds of an RFC 3339 timestamp with a mandatory offset; null otherwise. */
export function parseTimestamp(value: string): number | null {
  const m = DATE_TIME.exec(value);
  if (m === null || m[4] === undefined || !validDate(m[1]!)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

export function checkZone(zone: unknown, path: string): string {
  if (typeof zone !== 'string' || !isIanaZone(zone)) throw googleErrors.invalid(`Invalid time zone definition for ${path}.`);
  return zone;
}

/** `start`, `end` or `originalStartTime` of a request body. */
export function readMoment(value: GoogleEventDateTime | undefined, path: string, calendarZone: string): Moment {
  if (typeof value !== 'object' || value === null) throw googleErrors.required(`Missing ${path} time.`);
  const zone = value.timeZone === undefined || value.timeZone === null ? null : checkZone(value.timeZone, `${path} time`);
  const hasDate = typeof value.date === 'string';
  const hasDateTime = typeof value.dateTime === 'string';
  if (hasDate === hasDateTime) throw googleErrors.invalid(`Invalid ${path} time.`);
  if (hasDate) {
    if (!DATE.test(value.date!) || !validDate(value.date!)) throw googleErrors.invalid(`Invalid ${path} time.`);
    return { allDay: true, ms: localToInstant(`${value.date}T00:00:00`, calendarZone), date: value.date!, zone: zone ?? calendarZone };
  }
  const m = DATE_TIME.exec(value.dateTime!);
  if (m === null || !validDate(m[1]!)) throw googleErrors.invalid(`Invalid ${path} time.`);
  const local = `${m[1]}T${m[2]}`;
  if (m[4] !== undefined) return { allDay: false, ms: Date.parse(`${local}${m[3] ?? ''}${m[4]}`), date: null, zone: zone ?? calendarZone };
  if (zone === null) throw googleErrors.required(`Missing time zone definition for ${path} time.`);
  return { allDay: false, ms: localToInstant(local, zone), date: null, zone };
}

function formatOffset(seconds: number): string {
  if (seconds === 0) return 'Z';
  const abs = Math.abs(seconds) / 60;
  const pad = (n: number): string => String(Math.floor(n)).padStart(2, '0');
  return `${seconds < 0 ? '-' : '+'}${pad(abs / 60)}:${pad(abs % 60)}`;
}

/** An instant as Google writes it in a zone: `2026-03-02T10:00:00+01:00`, `…Z` at UTC. */
export function formatDateTime(ms: number, zone: string): string {
  const offset = offsetSeconds(ms, zone);
  if (offset % 60 !== 0) return `${instantToLocal(ms, 'UTC')}Z`;
  return `${instantToLocal(ms, zone)}${formatOffset(offset)}`;
}

/** A stored EventDateTime answered in `zone`: the same instant, the zone's offset, its timeZone kept. */
export function renderMoment(value: GoogleEventDateTime, calendarZone: string, zone: string): GoogleEventDateTime {
  if (value.date !== undefined) return { ...value };
  const ms = readMoment(value, 'stored', calendarZone).ms;
  return { ...value, dateTime: formatDateTime(ms, zone) };
}

/** RFC 3339 with milliseconds, as Google writes `created` and `updated`. */
export const isoMillis = (ms: number): string => new Date(ms).toISOString();

export const addDaysToDate = (date: string, days: number): string =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

export { instantToLocal, localToInstant };
