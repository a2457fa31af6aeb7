// Event ids. Client-chosen ids (events reference, `id`): "characters allowed in the ID
// are those used in base32hex encoding, i.e. lowercase letters a-v and digits 0-9, see
// section 3.1.2 in RFC2938; the length of the ID must be between 5 and 1024 characters".
// An instance of a recurring event has the id `<series id>_<original start>`: the
// original start in UTC basic format (`20260302T090000Z`) or, for all-day series, a
// basic date (`20260302`). events.list has been seen to answer the same id lower-cased
// (`…_20201107t070000z`, kuzmoyev/google-calendar-simple-api#52), so both cases parse.
import { describe, stringArgument } from '../arguments.ts';
import { CoreError } from '../errors.ts';
import { calendarZoneArgument, instantOf, readTime } from './times.ts';
import type { GoogleEventDateTime } from './types.ts';

export function isValidEventId(id: string): boolean {
  return typeof id === 'string' && /^[a-v0-9]{5,1024}$/.test(id);
}

/** The id Google gives the instance of series `masterId` that starts at `originalStartTime`. */
export function instanceId(masterId: string, originalStartTime: GoogleEventDateTime, calendarTimeZone: string): string {
  if (stringArgument(masterId, 'masterId') === '') throw new CoreError('INVALID_INPUT', 'masterId must not be empty', 'masterId');
  const t = readTime(originalStartTime, 'originalStartTime', calendarZoneArgument(calendarTimeZone, 'calendarTimeZone'));
  if (t.allDay) return `${masterId}_${t.local.replace(/-/g, '')}`;
  const utc = new Date(instantOf(t)).toISOString().slice(0, 19).replace(/[-:]/g, '');
  return `${masterId}_${utc}Z`;
}

export interface ParsedInstanceId {
  masterId: string;
  /** `{date}` for an all-day series, else `{dateTime}` in UTC. */
  originalStartTime: GoogleEventDateTime;
}

const INSTANCE = /^(.+)_(\d{4})(\d{2})(\d{2})(?:[Tt](\d{2})(\d{2})(\d{2})[Zz])?$/;

/** The series id and original start of an instance id; null for any other id. */
export function parseInstanceId(id: string): ParsedInstanceId | null {
  if (typeof id !== 'string') throw new CoreError('INVALID_INPUT', `expected an event id, got ${describe(id)}`, 'id');
  const m = INSTANCE.exec(id);
  if (m === null) return null;
  const [, masterId, y, mo, d, h, mi, s] = m as unknown as string[];
  const date = `${y}-${mo}-${d}`;
  const originalStartTime: GoogleEventDateTime = h === undefined ? { date } : { dateTime: `${date}T${h}:${mi}:${s}Z` };
  try {
    readTime(originalStartTime, 'originalStartTime', 'UTC');
  } catch {
    return null;
  }
  return { masterId: masterId!, originalStartTime };
}
