// Graph `dateTimeTimeZone` ⇄ canonical times. A Graph time is a wall-clock time
// without offset plus the zone it is written in: UTC by default, the zone of a
// `Prefer: outlook.timezone` header, or on create/PATCH answers the event's own (those
// ignore the header, PROVIDER-FACTS.md). The event's own zone is
// `originalStartTimeZone` / `originalEndTimeZone`, so a time is read in the zone it
// came in and shown in the event's own: the model keeps the zone a person chose.
import { describe } from '../../core/arguments.ts';
import { CoreError } from '../../core/errors.ts';
import type { LocalDateTime } from '../../core/model.ts';
import { instantToLocal, localToInstant } from '../../core/ical/zoned.ts';
import { isLocalDateTime } from '../../core/validate.ts';
import { ianaFromGraphZone, isOpaqueZone } from './zones.ts';

export interface GraphTime {
  /** The wall clock in `zone`. */
  local: LocalDateTime;
  /** IANA zone the value was written in. */
  zone: string;
}

const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d{1,7}))?(Z)?$/;

/** A `dateTimeTimeZone`: `2020-02-25T12:00:00.0000000` in "Pacific Standard Time". */
export function readGraphTime(x: unknown, path: string): GraphTime {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new CoreError('INVALID_EVENT', `expected {dateTime, timeZone}, got ${describe(x)}`, path);
  const { dateTime, timeZone } = x as Record<string, unknown>;
  const m = typeof dateTime === 'string' ? DATE_TIME.exec(dateTime) : null;
  const local = m === null ? null : `${m[1]}T${m[2]}`;
  if (m === null || !isLocalDateTime(local, false)) {
    throw new CoreError('INVALID_EVENT', `expected a date-time like 2020-02-25T12:00:00.0000000, got ${describe(dateTime)}`, `${path}.dateTime`);
  }
  // The model keeps whole seconds; Graph writes seven zero digits.
  if (m[3] !== undefined && /[1-9]/.test(m[3])) throw new CoreError('INVALID_EVENT', 'fractions of a second are not supported', `${path}.dateTime`);
  const zone = m[4] !== undefined ? 'UTC' : ianaFromGraphZone(timeZone, `${path}.timeZone`);
  return { local: local!, zone };
}

/** The event's own zone from `originalStartTimeZone`/`originalEndTimeZone`, or null when it names none. */
export function ownZone(name: unknown, path: string): string | null {
  if (name === undefined || name === null) return null;
  if (typeof name !== 'string') throw new CoreError('INVALID_EVENT', `expected a time zone name, got ${describe(name)}`, path);
  return isOpaqueZone(name) ? null : ianaFromGraphZone(name, path);
}

/** A time read in the zone it came in, as a wall clock in `zone`. */
export function inZone(time: GraphTime, zone: string): LocalDateTime {
  return time.zone === zone ? time.local : instantToLocal(localToInstant(time.local, time.zone), zone);
}

/**
 * The date of an all-day boundary. Graph writes them at midnight in the event's zone;
 * one answered in another zone (the Prefer header's) is brought back to it first.
 */
export function allDayDate(time: GraphTime, zone: string | null, path: string): LocalDateTime {
  const local = zone === null || time.local.endsWith('T00:00:00') ? time.local : inZone(time, zone);
  if (!local.endsWith('T00:00:00')) throw new CoreError('INVALID_EVENT', `an all-day event starts and ends at midnight, got ${time.local}`, `${path}.dateTime`);
  return local.slice(0, 10);
}
