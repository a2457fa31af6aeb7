// The terms a master's rules run in: the wall clock it recurs in (its zone's, the
// calendar's for floating times, or its custom VTIMEZONE's) and its start in that clock.
// Shared by expansion and by the check that refuses rules which cannot be expanded, so
// both judge a rule from the same start.
import type { CanonicalEvent, EventTime, LocalDateTime } from '../model.ts';
import { parseRule, type Rule } from '../rrule/parse.ts';
import type { Start } from '../rrule/pattern.ts';
import { vtimezoneRules, type VtimezoneRules } from './custom-zone.ts';
import { icalExtras, type IcalExtras } from './extras.ts';
import { fieldsAsUtc, formatLocal, instantToLocal, localToInstant, offsetSeconds, parseLocal, utcFields, wallToInstant } from './zoned.ts';

/** Milliseconds of a local time or date: in its own zone, else in `defaultZone`. */
export function localInstant(local: LocalDateTime, tz: string | null, defaultZone: string): number {
  return localToInstant(local.includes('T') ? local : `${local}T00:00:00`, tz ?? defaultZone);
}

/**
 * The rules of the custom VTIMEZONE a time was written in (extras.ical.timezone), when
 * they place it: a UTC time converted from it, or a floating time kept under it.
 */
function keptRules(time: EventTime, kept: IcalExtras['timezone'], allDay: boolean): VtimezoneRules | null {
  if (allDay || kept === undefined || (time.tz !== null && time.tz !== 'UTC')) return null;
  return vtimezoneRules(kept.vtimezone);
}

/** Milliseconds of an event time, through the custom VTIMEZONE it came with if any. */
export function timeInstant(time: EventTime, kept: IcalExtras['timezone'], allDay: boolean, defaultZone: string): number {
  const rules = keptRules(time, kept, allDay);
  if (rules !== null && time.tz === null) return rules.toInstant(time.local);
  return localInstant(time.local, time.tz, defaultZone);
}

/**
 * The wall clock a master recurs in. For a custom zone the model's times are UTC
 * (`converted`), so recurrence ids, RDATEs and EXDATEs are UTC times while the rule runs
 * in the VTIMEZONE's wall clock, as the producing client expands it.
 */
export interface Clock {
  at(wallClock: LocalDateTime): number;
  /** `at` of a wall-clock time in seconds from 1970, without formatting it. */
  atWall(seconds: number): number;
  wallClock(ms: number): LocalDateTime;
  converted: boolean;
  /** Whether the clock is a custom VTIMEZONE's rather than an IANA zone's. */
  custom: boolean;
  /** The clock's UTC offset at an instant, in seconds. */
  offsetAt(ms: number): number;
}

export function masterClock(master: CanonicalEvent, defaultZone: string): Clock {
  const rules = keptRules(master.start, icalExtras(master).timezone, master.allDay);
  if (rules !== null) {
    return {
      at: (l) => rules.toInstant(l), atWall: (s) => rules.toInstant(formatLocal(utcFields(s * 1000))),
      wallClock: (ms) => rules.toLocal(ms), converted: master.start.tz === 'UTC', custom: true, offsetAt: (ms) => rules.offsetAt(ms),
    };
  }
  const zone = master.start.tz ?? defaultZone;
  return {
    at: (l) => localInstant(l, zone, defaultZone), atWall: (s) => wallToInstant(s * 1000, zone),
    wallClock: (ms) => instantToLocal(ms, zone), converted: false, custom: false, offsetAt: (ms) => offsetSeconds(ms, zone),
  };
}

export interface RuleTerms {
  clock: Clock;
  /** The start in the clock's wall time, as the rules run from it. */
  wallStart: LocalDateTime;
  start: Start;
  /** A rule of the master read in these terms (RuleError when it cannot be read). */
  rule(text: string): Rule;
}

/** Wall-clock seconds from 1970 of a local date or time. */
export const wallSeconds = (local: LocalDateTime): number =>
  fieldsAsUtc(parseLocal(local.includes('T') ? local : `${local}T00:00:00`)) / 1000;

export function ruleTerms(master: CanonicalEvent, defaultZone: string): RuleTerms {
  const clock = masterClock(master, defaultZone);
  const startAt = timeInstant(master.start, icalExtras(master).timezone, master.allDay, defaultZone);
  const wallStart = clock.converted ? clock.wallClock(startAt) : master.start.local;
  return {
    clock, wallStart,
    start: { seconds: wallSeconds(wallStart), allDay: master.allDay },
    rule: (text) => parseRule(localUntil(text, clock, master.allDay)),
  };
}

/**
 * RFC 5545: with a zoned DTSTART, UNTIL is a UTC time. Rules run in wall-clock time
 * here, so UNTIL is moved into the same wall clock before iterating.
 */
function localUntil(rule: string, clock: Clock, allDay: boolean): string {
  return rule.replace(/UNTIL=(\d{8})T(\d{6})Z/i, (whole, date: string, time: string) => {
    const iso = `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6)}T${time.slice(0, 2)}:${time.slice(2, 4)}:${time.slice(4)}`;
    const ms = Date.parse(`${iso}Z`);
    // An UNTIL that is not a real time (Date.parse takes February 30) is left for parseRule to refuse.
    if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 19) !== iso) return whole;
    const basic = clock.wallClock(ms).replace(/[-:]/g, '');
    return `UNTIL=${allDay ? basic.slice(0, 8) : basic}`;
  });
}
