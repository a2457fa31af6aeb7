// Google EventDateTime ⇄ canonical times. Google's rules (events reference, `start`):
// - `date` ("yyyy-mm-dd") for all-day events, `dateTime` (RFC 3339) otherwise; the time
//   zone "has no significance for all-day events" (concepts/events-calendars).
// - `dateTime` needs an offset "unless a time zone is explicitly specified in timeZone";
//   with both, the offset fixes the instant and `timeZone` the zone it is shown in.
// - Responses write `dateTime` with the offset of the calendar's zone (or the request's
//   `timeZone` parameter), not the event's: "offsets based on calendar's time zone"
//   (googleapis/google-api-dotnet-client#1778). Rendering does the same.
// - `timeZone` is an IANA name; required for recurring events. events.list may leave it
//   out of single events (googleapis/google-api-dotnet-client#1093): such times are in
//   the calendar's zone.
import type { EventTime, LocalDateTime } from '../model.ts';
import { isIanaZone } from '../timezones.ts';
import { isLocalDateTime } from '../validate.ts';
import { instantToLocal, localToInstant, offsetSeconds } from '../ical/zoned.ts';
import { describe } from '../arguments.ts';
import { CoreError } from '../errors.ts';
import { fail, object, optionalString } from './checks.ts';
import type { GoogleEventDateTime } from './types.ts';

/** A Google time read: the wall clock in `tz`, and the instant when the value fixed one. */
export interface ReadTime {
  allDay: boolean;
  local: LocalDateTime;
  /** The zone of a timed value: its `timeZone`, else the calendar's; null for dates. */
  tz: string | null;
  /** Whether `timeZone` was written (for a date: kept as written, see read.ts). */
  timeZone: string | null;
  instant: number | null;
}

const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})?$/;

/** An IANA zone name from a `timeZone` member or a TZID. */
export function zoneName(x: unknown, path: string): string {
  if (typeof x !== 'string') fail(path, `expected an IANA time zone name, got ${describe(x)}`);
  if (!isIanaZone(x)) fail(path, `unknown IANA time zone "${x}"`, 'UNKNOWN_TIME_ZONE');
  return x;
}

/** A caller's calendar zone argument: an IANA name, else CoreError naming `path`. */
export function calendarZoneArgument(x: unknown, path: string): string {
  if (typeof x !== 'string') throw new CoreError('INVALID_INPUT', `expected the calendar's IANA time zone, got ${describe(x)}`, path);
  if (!isIanaZone(x)) throw new CoreError('UNKNOWN_TIME_ZONE', `unknown IANA time zone "${x}"`, path);
  return x;
}

function offsetMinutes(offset: string): number {
  if (/^z$/i.test(offset)) return 0;
  const sign = offset[0] === '-' ? -1 : 1;
  const [h, m] = offset.slice(1).split(':').map(Number) as [number, number];
  return sign * (h * 60 + m);
}

/** `start`, `end` or `originalStartTime`: exactly one of `date` and `dateTime`. */
export function readTime(x: unknown, path: string, calendarTimeZone: string): ReadTime {
  const o = object(x, path);
  const date = optionalString(o.date, `${path}.date`);
  const dateTime = optionalString(o.dateTime, `${path}.dateTime`);
  const timeZone = o.timeZone === undefined ? null : zoneName(o.timeZone, `${path}.timeZone`);
  if ((date === undefined) === (dateTime === undefined)) fail(path, 'needs exactly one of date (all-day) and dateTime');
  if (date !== undefined) {
    if (!isLocalDateTime(date, true)) fail(`${path}.date`, `expected a date YYYY-MM-DD, got ${describe(date)}`);
    return { allDay: true, local: date, tz: null, timeZone, instant: null };
  }
  const m = DATE_TIME.exec(dateTime!);
  const local = m === null ? null : `${m[1]}T${m[2]}`;
  if (m === null || !isLocalDateTime(local, false)) {
    fail(`${path}.dateTime`, `expected an RFC 3339 date-time like 2026-03-02T10:00:00+01:00, got ${describe(dateTime)}`);
  }
  // The model keeps whole seconds; Google writes none.
  if (m[3] !== undefined && /[1-9]/.test(m[3])) fail(`${path}.dateTime`, 'fractions of a second are not supported');
  const offset = m[4];
  if (offset !== undefined && !/^z$/i.test(offset)) {
    const [h, min] = offset.slice(1).split(':').map(Number) as [number, number];
    if (h > 23 || min > 59) fail(`${path}.dateTime`, `impossible UTC offset "${offset}"`);
  }
  const tz = timeZone ?? calendarTimeZone;
  if (offset === undefined) return { allDay: false, local: local!, tz, timeZone, instant: null };
  const instant = Date.parse(`${local}Z`) - offsetMinutes(offset) * 60_000;
  return { allDay: false, local: instantToLocal(instant, tz), tz, timeZone, instant };
}

export function instantOf(t: ReadTime): number {
  return t.instant ?? localToInstant(t.allDay ? `${t.local}T00:00:00` : t.local, t.tz ?? 'UTC');
}

function formatOffset(seconds: number): string {
  if (seconds === 0) return 'Z';
  const abs = Math.abs(seconds) / 60;
  const pad = (n: number): string => String(Math.floor(n)).padStart(2, '0');
  return `${seconds < 0 ? '-' : '+'}${pad(abs / 60)}:${pad(abs % 60)}`;
}

/**
 * The `dateTime` of a wall-clock time in `zone`, written with the offset of the
 * calendar's zone as Google answers ('Z' for a zero offset, as Google's RFC 3339
 * formatter writes it). A wall-clock time the zone skips (02:30 on a spring-forward
 * day) has no offset that gives it back, so it is written without one: Google reads an
 * offset-less dateTime in `timeZone`, which the caller must then write.
 */
export function renderDateTime(local: LocalDateTime, zone: string, calendarTimeZone: string): { dateTime: string; exact: boolean } {
  const ms = localToInstant(local, zone);
  if (instantToLocal(ms, zone) !== local) return { dateTime: local, exact: false };
  const offset = offsetSeconds(ms, calendarTimeZone);
  // Offsets in whole seconds (local mean time before ~1900) have no RFC 3339 form.
  if (offset % 60 !== 0) return { dateTime: `${instantToLocal(ms, 'UTC')}Z`, exact: true };
  return { dateTime: `${instantToLocal(ms, calendarTimeZone)}${formatOffset(offset)}`, exact: true };
}

/**
 * A canonical time as Google writes it. Floating times (tz null) are wall-clock times
 * in the calendar's zone (see read.ts for how they are recognised coming back);
 * `timeZone` is written when asked for or when the wall clock needs it.
 */
export function renderTime(time: EventTime, allDay: boolean, calendarTimeZone: string, withTimeZone: boolean): GoogleEventDateTime {
  if (allDay) return { date: time.local };
  const zone = time.tz ?? calendarTimeZone;
  const { dateTime, exact } = renderDateTime(time.local, zone, calendarTimeZone);
  return withTimeZone || !exact ? { dateTime, timeZone: zone } : { dateTime };
}

/**
 * An instant as Google writes it for a requested zone (freeBusy's `timeZone`): the
 * zone's wall clock with its offset, `Z` for a zero offset.
 */
export function renderInstant(ms: number, zone: string): string {
  const offset = offsetSeconds(ms, zone);
  if (offset % 60 !== 0) return `${instantToLocal(ms, 'UTC')}Z`;
  return `${instantToLocal(ms, zone)}${formatOffset(offset)}`;
}

/** The start terms of a master: what recurrence ids, EXDATEs and RDATEs are written in. */
export interface Terms {
  allDay: boolean;
  /** The master's zone; null when floating (its wall clock is in the calendar's zone). */
  tz: string | null;
  /** Time of day of the master's start, for dates given in a timed series. */
  timeOfDay: string;
}

export function termsOf(master: { allDay: boolean; start: EventTime }): Terms {
  return { allDay: master.allDay, tz: master.allDay ? null : master.start.tz, timeOfDay: master.start.local.slice(11) || '00:00:00' };
}

/**
 * A time in the master's start terms: the date of an all-day series (a date-time gives
 * its date in its own zone); the wall clock in the master's zone (the calendar's for a
 * floating master) for a timed one; a date in a timed series means that day's instance.
 */
export function inTerms(t: ReadTime, terms: Terms, calendarTimeZone: string): LocalDateTime {
  if (terms.allDay) return t.local.slice(0, 10);
  if (t.allDay) return `${t.local}T${terms.timeOfDay}`;
  const zone = terms.tz ?? calendarTimeZone;
  return t.tz === zone ? t.local : instantToLocal(instantOf(t), zone);
}
