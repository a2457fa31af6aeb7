// A rule made concrete for one start: the parts RFC 5545 leaves implicit filled in from
// DTSTART (a yearly rule recurs on its start's month and day, a weekly one on its
// weekday, a daily one at its time), as the filters the iterator applies to each day
// and the times of day each day holds. Expansion follows python-dateutil's reading of
// the RFC: a period's days are every day of the period that passes the BY-day parts.
import { DAY_SECONDS, civil, weekday } from './calendar.ts';
import { DAILY, HOURLY, MINUTELY, MONTHLY, SECONDLY, WEEKLY, YEARLY, type Rule, type WeekdayNum } from './parse.ts';

/** Where a series starts, in wall-clock terms. */
export interface Start {
  /** Wall-clock seconds from 1970-01-01T00:00:00 (a date: its midnight). */
  seconds: number;
  allDay: boolean;
}

export interface Pattern {
  rule: Rule;
  start: Start;
  /** Day filters after defaults; null where the rule does not filter. */
  months: boolean[] | null;
  monthDays: number[] | null;
  yearDays: number[] | null;
  weekNos: number[] | null;
  weekdays: WeekdayNum[] | null;
  /** What a numbered weekday counts in: the month (MONTHLY, YEARLY with BYMONTH) or the year. */
  ordinalsIn: 'month' | 'year';
  /**
   * DAILY and coarser: the seconds of the day an occurrence day holds, sorted. Finer:
   * offsets within the period (an HOURLY rule's minutes and seconds).
   */
  times: number[];
  /** Finer than DAILY: the hours, minutes and seconds a period may start at, or null for any. */
  hours: boolean[] | null;
  minutes: boolean[] | null;
  seconds: boolean[] | null;
  /** Whether some day filter applies (else every day passes). */
  filtersDays: boolean;
}

const mask = (size: number, values: number[] | null): boolean[] | null => {
  if (values === null) return null;
  const m = new Array<boolean>(size).fill(false);
  for (const v of values) if (v < size) m[v] = true;
  return m;
};

const product = (...lists: Array<Array<[number, number]>>): number[] => {
  let out = [0];
  for (const list of lists) out = out.flatMap((base) => list.map(([value, scale]) => base + value * scale));
  return [...new Set(out)].sort((a, b) => a - b);
};

const scaled = (values: number[], scale: number): Array<[number, number]> => values.map((v) => [v, scale]);

/** A leap second (BYSECOND=60) has no place in a wall clock: it never occurs. */
const wallSeconds = (values: number[] | null): number[] | null => (values === null ? null : values.filter((v) => v < 60));

export function patternOf(rule: Rule, start: Start): Pattern {
  const day = Math.floor(start.seconds / DAY_SECONDS);
  const ofDay = start.seconds - day * DAY_SECONDS;
  const date = civil(day);
  const [hour, minute, second] = [Math.floor(ofDay / 3600), Math.floor(ofDay / 60) % 60, ofDay % 60];
  const { freq } = rule;
  const dayParts = rule.byWeekNo !== null || rule.byYearDay !== null || rule.byMonthDay !== null || rule.byDay !== null;
  let months = rule.byMonth;
  let monthDays = rule.byMonthDay;
  let weekdays = rule.byDay;
  if (freq === YEARLY && !dayParts) {
    monthDays = [date.day];
    months ??= [date.month];
  }
  if (freq === MONTHLY && rule.byMonthDay === null && rule.byDay === null) monthDays = [date.day];
  if (freq === WEEKLY && rule.byDay === null) weekdays = [{ ord: 0, day: weekday(day) }];

  const bySecond = wallSeconds(rule.bySecond);
  let times: number[];
  if (start.allDay) times = [0];
  else if (freq >= DAILY) {
    times = product(scaled(rule.byHour ?? [hour], 3600), scaled(rule.byMinute ?? [minute], 60), scaled(bySecond ?? [second], 1));
  } else if (freq === HOURLY) times = product(scaled(rule.byMinute ?? [minute], 60), scaled(bySecond ?? [second], 1));
  else if (freq === MINUTELY) times = product(scaled(bySecond ?? [second], 1));
  else times = [0];

  return {
    rule, start, months: mask(13, months), monthDays, yearDays: rule.byYearDay, weekNos: rule.byWeekNo, weekdays,
    ordinalsIn: freq === MONTHLY || rule.byMonth !== null ? 'month' : 'year',
    times,
    hours: freq <= HOURLY ? mask(24, rule.byHour) : null,
    minutes: freq <= MINUTELY ? mask(60, rule.byMinute) : null,
    seconds: freq === SECONDLY ? mask(60, bySecond) : null,
    filtersDays: months !== null || monthDays !== null || rule.byYearDay !== null || rule.byWeekNo !== null || weekdays !== null,
  };
}
