// An RRULE value (RFC 5545 §3.3.10) read into plain data, strictly: ical.js reads
// COUNT=1e9 as 1, INTERVAL=0 as 1 and UNTIL=20251399 as 2026-04-09, where each is a
// mistake its writer should hear about. A rule that cannot be read throws RuleError
// with a sentence saying what is wrong.
import { FIRST_YEAR, dayNumber, monthLength } from './calendar.ts';

export const FREQS = ['SECONDLY', 'MINUTELY', 'HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'] as const;
export const SECONDLY = 0;
export const MINUTELY = 1;
export const HOURLY = 2;
export const DAILY = 3;
export const WEEKLY = 4;
export const MONTHLY = 5;
export const YEARLY = 6;
/** Index = weekday number of calendar.ts (0 = Sunday). */
export const WEEKDAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'] as const;

export interface WeekdayNum {
  /** 0 for every such weekday, else the nth (negative: from the end). */
  ord: number;
  day: number;
}

export interface Rule {
  freq: number;
  interval: number;
  count: number | null;
  /** UNTIL as written: a date, or a date-time (UTC when `utc`), in wall-clock seconds from 1970. */
  until: { seconds: number; date: boolean; utc: boolean } | null;
  bySecond: number[] | null;
  byMinute: number[] | null;
  byHour: number[] | null;
  byDay: WeekdayNum[] | null;
  byMonthDay: number[] | null;
  byYearDay: number[] | null;
  byWeekNo: number[] | null;
  byMonth: number[] | null;
  bySetPos: number[] | null;
  wkst: number;
}

export class RuleError extends Error {
  override readonly name = 'RuleError';
}

const fail = (message: string): never => {
  throw new RuleError(message);
};

// Ranges of RFC 5545's grammar; zero is never a valid position.
const RANGES: Record<string, [number, number, boolean]> = {
  BYSECOND: [0, 60, false], BYMINUTE: [0, 59, false], BYHOUR: [0, 23, false],
  BYMONTHDAY: [1, 31, true], BYYEARDAY: [1, 366, true], BYWEEKNO: [1, 53, true],
  BYMONTH: [1, 12, false], BYSETPOS: [1, 366, true],
};

function whole(name: string, value: string, min: number): number {
  if (!/^\d{1,16}$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
    fail(`${name}=${value} is not a whole number of at least ${min}`);
  }
  return Number(value);
}

function numbers(name: string, value: string): number[] {
  const [low, high, signed] = RANGES[name]!;
  const list = value.split(',').map((v) => {
    if (!/^[+-]?\d{1,3}$/.test(v)) fail(`${name} holds "${v}", which is not a whole number`);
    const n = Number(v);
    const size = Math.abs(n);
    if ((n < 0 && !signed) || size < low || size > high) {
      fail(`${name}=${v} is out of range: ${signed ? `±${low} to ±${high}` : `${low} to ${high}`}`);
    }
    return n;
  });
  return [...new Set(list)].sort((a, b) => a - b);
}

function weekdays(value: string): WeekdayNum[] {
  return value.split(',').map((v) => {
    const m = /^([+-]?\d{1,2})?(SU|MO|TU|WE|TH|FR|SA)$/.exec(v);
    if (m === null) fail(`BYDAY holds "${v}"; write a weekday (MO) or a numbered one (1MO, -1FR)`);
    const ord = m![1] === undefined ? 0 : Number(m![1]);
    if (m![1] !== undefined && (ord === 0 || Math.abs(ord) > 53)) fail(`BYDAY=${v}: the number before the weekday is ±1 to ±53`);
    return { ord, day: WEEKDAYS.indexOf(m![2] as (typeof WEEKDAYS)[number]) };
  });
}

function until(value: string): NonNullable<Rule['until']> {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z)?)?$/.exec(value);
  if (m === null) fail(`UNTIL=${value} is not a date (YYYYMMDD) or date-time (YYYYMMDDTHHMMSSZ)`);
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m![i] ?? 0)) as [number, number, number, number, number, number];
  if (year < FIRST_YEAR || month < 1 || month > 12 || day < 1 || day > monthLength(year, month) || hour > 23 || minute > 59 || second > 60) {
    fail(`UNTIL=${value} is not a valid ${m![4] === undefined ? 'date' : 'date-time'}`);
  }
  return {
    seconds: dayNumber(year, month, day) * 86_400 + hour * 3600 + minute * 60 + Math.min(second, 59),
    date: m![4] === undefined,
    utc: m![7] !== undefined,
  };
}

/** The rule `text` (without the "RRULE:" prefix), or RuleError. */
export function parseRule(text: string): Rule {
  const rule: Rule = {
    freq: -1, interval: 1, count: null, until: null, bySecond: null, byMinute: null, byHour: null, byDay: null,
    byMonthDay: null, byYearDay: null, byWeekNo: null, byMonth: null, bySetPos: null, wkst: 1,
  };
  const seen = new Set<string>();
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq).toUpperCase();
    const value = part.slice(eq + 1).toUpperCase();
    if (eq <= 0 || value === '') fail(`"${part}" is not a NAME=VALUE part`);
    if (seen.has(name)) fail(`${name} is given twice`);
    seen.add(name);
    switch (name) {
      case 'FREQ':
        rule.freq = FREQS.indexOf(value as (typeof FREQS)[number]);
        if (rule.freq < 0) fail(`FREQ=${value} is not one of ${FREQS.join(', ')}`);
        break;
      case 'INTERVAL': rule.interval = whole(name, value, 1); break;
      case 'COUNT': rule.count = whole(name, value, 1); break;
      case 'UNTIL': rule.until = until(value); break;
      case 'BYSECOND': rule.bySecond = numbers(name, value); break;
      case 'BYMINUTE': rule.byMinute = numbers(name, value); break;
      case 'BYHOUR': rule.byHour = numbers(name, value); break;
      case 'BYMONTHDAY': rule.byMonthDay = numbers(name, value); break;
      case 'BYYEARDAY': rule.byYearDay = numbers(name, value); break;
      case 'BYWEEKNO': rule.byWeekNo = numbers(name, value); break;
      case 'BYMONTH': rule.byMonth = numbers(name, value); break;
      case 'BYSETPOS': rule.bySetPos = numbers(name, value); break;
      case 'BYDAY': rule.byDay = weekdays(value); break;
      case 'WKST':
        rule.wkst = WEEKDAYS.indexOf(value as (typeof WEEKDAYS)[number]);
        if (rule.wkst < 0) fail(`WKST=${value} is not a weekday (SU, MO … SA)`);
        break;
      // RFC 7529: only the Gregorian scale is expanded; SKIP (what an invalid date
      // becomes) is read as its default, OMIT, as ical.js reads it.
      case 'RSCALE':
        if (value !== 'GREGORIAN') fail(`RSCALE=${value}: calsync expands Gregorian rules only`);
        break;
      case 'SKIP':
        if (!['OMIT', 'BACKWARD', 'FORWARD'].includes(value)) fail(`SKIP=${value} is not OMIT, BACKWARD or FORWARD`);
        break;
      default:
        fail(`unknown RRULE part "${name}"`);
    }
  }
  if (rule.freq < 0) fail('FREQ is required');
  if (rule.count !== null && rule.until !== null) fail('COUNT and UNTIL together');
  return rule;
}
