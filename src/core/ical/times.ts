// DATE and DATE-TIME values of iCalendar properties (DTSTART, DTEND, RECURRENCE-ID,
// EXDATE, RDATE) read strictly (ical.js accepts "2025013" as a date; calsync does not),
// with their TZID resolved to an IANA zone, and converted into a master's start terms.
import { CoreError } from '../errors.ts';
import type { LocalDateTime } from '../model.ts';
import { isLocalDateTime } from '../validate.ts';
import { ianaFromTzid } from '../timezones.ts';
import type { ContentLine } from './lines.ts';
import { instantToLocal, localToInstant } from './zoned.ts';
import { matchVtimezone } from './vtimezone.ts';

export interface CustomZone {
  tzid: string;
  vtimezone: string;
}

export interface IcalTime {
  local: LocalDateTime;
  isDate: boolean;
  /** IANA zone, `UTC` for a `Z` time, null for floating, dates and unresolved zones. */
  tz: string | null;
  /** Set when the TZID is a custom VTIMEZONE that no IANA zone matches. */
  custom: CustomZone | null;
}

/** The start terms of a master: what recurrence ids, EXDATEs and RDATEs are written in. */
export interface Terms {
  allDay: boolean;
  tz: string | null;
  custom: CustomZone | null;
  /** Time of day of the master's start (`HH:MM:SS`), for DATE values in a timed series. */
  timeOfDay: string;
}

type Resolved = { iana: string } | { custom: CustomZone };

/** TZID → zone for one calendar, from its VTIMEZONEs. */
export class Zones {
  private readonly resolved = new Map<string, Resolved>();

  constructor(private readonly vtimezones: Map<string, string>) {}

  resolve(tzid: string, year: number, line: number): Resolved {
    const known = this.resolved.get(tzid);
    if (known !== undefined) return known;
    const vtimezone = this.vtimezones.get(tzid.trim());
    const iana = ianaFromTzid(tzid) ?? (vtimezone === undefined ? null : matchVtimezone(vtimezone, tzid, year));
    let result: Resolved;
    if (iana !== null) result = { iana };
    else if (vtimezone !== undefined) result = { custom: { tzid, vtimezone } };
    else {
      throw new CoreError(
        'INVALID_ICALENDAR',
        `TZID "${tzid}" is neither an IANA or Windows zone nor defined by a VTIMEZONE`,
        `line ${line}`,
      );
    }
    this.resolved.set(tzid, result);
    return result;
  }
}

const DATE = /^(\d{4})(\d{2})(\d{2})$/;
const DATE_TIME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$/;

function invalid(message: string, line: number): never {
  throw new CoreError('INVALID_ICALENDAR', message, `line ${line}`);
}

/** The raw value of a content line: everything after the first colon outside quotes. */
export function rawValue(text: string): string {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === ':' && !quoted) return text.slice(i + 1);
  }
  return '';
}

/** Every value of a DATE / DATE-TIME property (EXDATE and RDATE may hold several). */
export function readTimes(
  l: ContentLine,
  params: Record<string, unknown>,
  zones: Zones,
): IcalTime[] {
  const valueType = typeof params.value === 'string' ? params.value.toUpperCase() : null;
  const tzid = typeof params.tzid === 'string' ? params.tzid : null;
  const raw = rawValue(l.text).trim();
  if (raw === '') invalid(`${l.name} has no value`, l.line);
  return raw.split(',').map((v) => {
    const date = DATE.exec(v);
    if (date !== null && valueType !== 'DATE-TIME') {
      const local = `${date[1]}-${date[2]}-${date[3]}`;
      if (!isLocalDateTime(local, true)) invalid(`${l.name} has an impossible date "${v}"`, l.line);
      return { local, isDate: true, tz: null, custom: null };
    }
    const dt = DATE_TIME.exec(v);
    if (dt === null || valueType === 'DATE') invalid(`${l.name} has an unreadable value "${v}"`, l.line);
    const local = `${dt[1]}-${dt[2]}-${dt[3]}T${dt[4]}:${dt[5]}:${dt[6]}`;
    if (!isLocalDateTime(local, false)) invalid(`${l.name} has an impossible time "${v}"`, l.line);
    if (dt[7] === 'Z') return { local, isDate: false, tz: 'UTC', custom: null };
    if (tzid === null) return { local, isDate: false, tz: null, custom: null };
    const zone = zones.resolve(tzid, Number(dt[1]), l.line);
    return 'iana' in zone
      ? { local, isDate: false, tz: zone.iana, custom: null }
      : { local, isDate: false, tz: null, custom: zone.custom };
  });
}

/**
 * A time in the master's start terms: the date of an all-day series; the local time in
 * the master's zone for a timed one (a `Z` or other-zone EXDATE becomes the master's
 * local time); floating and same-zone values as written.
 */
export function inTerms(t: IcalTime, terms: Terms): LocalDateTime {
  if (terms.allDay) return t.local.slice(0, 10);
  // A DATE in a timed series (RFC 5545 says the types must match; some exporters
  // write EXDATE;VALUE=DATE anyway) means that day's instance.
  if (t.isDate) return `${t.local}T${terms.timeOfDay}`;
  if (t.tz !== null && terms.tz !== null && t.tz !== terms.tz) {
    return instantToLocal(localToInstant(t.local, t.tz), terms.tz);
  }
  return t.local;
}
