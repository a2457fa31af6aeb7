// DATE and DATE-TIME values of iCalendar properties (DTSTART, DTEND, RECURRENCE-ID,
// EXDATE, RDATE) read strictly (ical.js accepts "2025013" as a date; calsync does not),
// with their TZID resolved to a zone, and converted into a master's start terms.
//
// A TZID resolves in this order (docs/ARCHITECTURE.md, "Time zones"):
// 1. the calendar's VTIMEZONE of that TZID, where it describes the time: the IANA zone
//    with the same offsets (the zone the TZID names first), else the VTIMEZONE itself,
//    whose exact instants the model keeps in UTC (the VTIMEZONE rides in extras);
// 2. the name: IANA, abbreviation, Windows name, offset or display name (timezones.ts);
// 3. a VTIMEZONE that describes other years only, read as written (offsets carried on);
// 4. nothing: the time is floating, written back under its TZID as it came.
import ICAL from 'ical.js';
import { CoreError } from '../errors.ts';
import type { LocalDateTime } from '../model.ts';
import { isLocalDateTime } from '../validate.ts';
import { ianaFromTzid } from '../timezones.ts';
import { vtimezoneRules, type VtimezoneRules } from './custom-zone.ts';
import type { ContentLine } from './lines.ts';
import { matchVtimezone } from './vtimezone.ts';
import { fieldsAsUtc, formatLocal, instantToLocal, localToInstant, parseLocal, utcFields } from './zoned.ts';

/** A TZID the model cannot name, and its VTIMEZONE (empty when the source had none). */
export interface KeptZone {
  tzid: string;
  vtimezone: string;
}

export interface IcalTime {
  /** The model's local time: as written, or in UTC for a custom zone (`tz` is then UTC). */
  local: LocalDateTime;
  /** The wall-clock time as written. */
  written: LocalDateTime;
  isDate: boolean;
  /** IANA zone, `UTC` for a `Z` time or a custom zone, null for floating and dates. */
  tz: string | null;
  /**
   * The TZID to write the time back under, when no IANA zone stands for it: a custom
   * VTIMEZONE (tz UTC, `rules` set) or a TZID nobody can read (tz null, floating).
   */
  zone: KeptZone | null;
  rules: VtimezoneRules | null;
}

/** The start terms of a master: what recurrence ids, EXDATEs and RDATEs are written in. */
export interface Terms {
  allDay: boolean;
  tz: string | null;
  zone: KeptZone | null;
  rules: VtimezoneRules | null;
  /** Time of day of the master's start as written (`HH:MM:SS`), for DATE values in a timed series. */
  timeOfDay: string;
}

type Resolved = { iana: string } | { custom: KeptZone; rules: VtimezoneRules } | { floating: KeptZone };

const asUtcLocal = (ms: number): LocalDateTime => formatLocal(utcFields(ms));

/**
 * TZID → zone for one calendar, from its VTIMEZONEs and its X-WR-TIMEZONE. A TZID that
 * names nothing is floating for an iCalendar resource (`unknown: 'floating'`), and an
 * error where the source only ever writes IANA names (Google's recurrence lines).
 */
export class Zones {
  private readonly matched = new Map<string, string | null>();

  constructor(
    private readonly vtimezones: Map<string, string>,
    private readonly hint: string | null = null,
    private readonly unknown: 'floating' | 'refuse' = 'refuse',
    /** The earliest year each TZID is used in: the year a VTIMEZONE is matched from. */
    private readonly firstYears: Map<string, number> = new Map(),
  ) {}

  resolve(tzid: string, at: LocalDateTime, line: number): Resolved {
    const vtimezone = this.vtimezones.get(tzid.trim());
    const rules = vtimezone === undefined ? null : vtimezoneRules(vtimezone);
    const context = { at, hint: this.hint };
    if (vtimezone !== undefined && rules !== null) {
      const asUtc = fieldsAsUtc(parseLocal(at));
      if (rules.describes(asUtc - rules.offsetAt(asUtc) * 1000)) {
        // One zone per TZID for the whole calendar, matched from the earliest year it is
        // used in: generators (render.ts, Google) describe the rules of that year.
        if (!this.matched.has(tzid)) {
          const year = this.firstYears.get(tzid.trim()) ?? parseLocal(at).year;
          this.matched.set(tzid, matchVtimezone(vtimezone, tzid, year, context));
        }
        const iana = this.matched.get(tzid)!;
        return iana !== null ? { iana } : { custom: { tzid, vtimezone }, rules };
      }
    }
    const named = ianaFromTzid(tzid, context);
    if (named !== null) return { iana: named };
    if (vtimezone !== undefined && rules !== null) return { custom: { tzid, vtimezone }, rules };
    if (this.unknown === 'refuse' && vtimezone === undefined) {
      throw new CoreError('INVALID_ICALENDAR', `TZID "${tzid}" is neither a known zone name nor defined by a VTIMEZONE`, `line ${line}`);
    }
    return { floating: { tzid, vtimezone: vtimezone ?? '' } };
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
      return { local, written: local, isDate: true, tz: null, zone: null, rules: null };
    }
    const dt = DATE_TIME.exec(v);
    if (dt === null || valueType === 'DATE') invalid(`${l.name} has an unreadable value "${v}"`, l.line);
    const local = `${dt[1]}-${dt[2]}-${dt[3]}T${dt[4]}:${dt[5]}:${dt[6]}`;
    if (!isLocalDateTime(local, false)) invalid(`${l.name} has an impossible time "${v}"`, l.line);
    if (dt[7] === 'Z') return { local, written: local, isDate: false, tz: 'UTC', zone: null, rules: null };
    if (tzid === null) return { local, written: local, isDate: false, tz: null, zone: null, rules: null };
    const zone = zones.resolve(tzid, local, l.line);
    if ('iana' in zone) return { local, written: local, isDate: false, tz: zone.iana, zone: null, rules: null };
    if ('floating' in zone) return { local, written: local, isDate: false, tz: null, zone: zone.floating, rules: null };
    const utc = asUtcLocal(zone.rules.toInstant(local));
    return { local: utc, written: local, isDate: false, tz: 'UTC', zone: zone.custom, rules: zone.rules };
  });
}

/**
 * A time in the master's start terms: the date of an all-day series; the local time in
 * the master's zone for a timed one (a `Z` or other-zone EXDATE becomes the master's
 * local time, a custom zone's its UTC time); the wall clock as written where one of
 * the two is floating.
 */
export function inTerms(t: IcalTime, terms: Terms): LocalDateTime {
  if (terms.allDay) return t.written.slice(0, 10);
  // A DATE in a timed series (RFC 5545 says the types must match; some exporters
  // write EXDATE;VALUE=DATE anyway) means that day's instance.
  if (t.isDate) {
    const local = `${t.written}T${terms.timeOfDay}`;
    return terms.rules !== null && terms.tz === 'UTC' ? asUtcLocal(terms.rules.toInstant(local)) : local;
  }
  if (t.tz === null || terms.tz === null) return t.written;
  if (t.tz !== terms.tz) return instantToLocal(localToInstant(t.local, t.tz), terms.tz);
  return t.local;
}

/** One RDATE;VALUE=PERIOD value: an instance's start and its length in seconds. */
export interface Period {
  start: IcalTime;
  seconds: number;
}

/**
 * RDATE;VALUE=PERIOD values, `start/end` or `start/duration` (RFC 5545 §3.3.9), the
 * end in the start's zone. A duration's days count as 24 hours here.
 */
export function readPeriods(l: ContentLine, params: Record<string, unknown>, zones: Zones): Period[] {
  const raw = rawValue(l.text).trim();
  if (raw === '') invalid(`${l.name} has no value`, l.line);
  return raw.split(',').map((value) => {
    const [from, to, ...rest] = value.split('/');
    if (to === undefined || rest.length > 0) invalid(`${l.name} has an unreadable period "${value}"`, l.line);
    const single = (v: string): IcalTime => readTimes({ ...l, text: `${l.name}:${v}` }, { ...params, value: 'DATE-TIME' }, zones)[0]!;
    const start = single(from!);
    let seconds: number;
    if (/^[+-]?P/i.test(to)) {
      let duration: InstanceType<typeof ICAL.Duration>;
      try {
        duration = ICAL.Duration.fromString(to);
      } catch {
        return invalid(`${l.name} has an unreadable duration "${to}"`, l.line);
      }
      seconds = duration.toSeconds();
    } else {
      const end = single(to);
      const instant = (t: IcalTime): number => (t.tz === null ? fieldsAsUtc(parseLocal(t.local)) : localToInstant(t.local, t.tz));
      seconds = (instant(end) - instant(start)) / 1000;
    }
    if (!(seconds >= 0)) invalid(`${l.name} has a period that ends before it starts: "${value}"`, l.line);
    return { start, seconds };
  });
}
