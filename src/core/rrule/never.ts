// Why a rule is refused before it is expanded: parts RFC 5545 forbids together, and
// rules that can be seen to never occur (February 30, an hourly rule stepping over the
// only hour it allows). Each answer is a sentence saying what is wrong and what to do.
// What this reasoning misses, the bounded probe of src/core/ical/recurrence-check.ts
// still catches.
import { DAY_SECONDS, civil } from './calendar.ts';
import { DAILY, FREQS, HOURLY, MINUTELY, MONTHLY, SECONDLY, WEEKDAYS, WEEKLY, YEARLY, type Rule } from './parse.ts';
import { patternOf, type Start } from './pattern.ts';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
/** The longest each month gets (February in a leap year). */
const LONGEST = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** Days before each month in a common year. */
const BEFORE = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

const list = (values: number[]): string => values.join(',');
const clock = (seconds: number): string => [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60].map((v) => String(v).padStart(2, '0')).join(':');
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Parts RFC 5545 does not allow together, or that an all-day series cannot have. */
export function structureProblem(rule: Rule, allDay: boolean): string | null {
  const freq = FREQS[rule.freq];
  if (allDay && rule.freq < DAILY) return `an all-day series repeats at most daily, not FREQ=${freq}: use FREQ=DAILY or a longer one`;
  if (rule.byWeekNo !== null && rule.freq !== YEARLY) return `BYWEEKNO is for FREQ=YEARLY only (RFC 5545), not FREQ=${freq}: use BYMONTH or BYMONTHDAY, or FREQ=YEARLY`;
  if (rule.byYearDay !== null && (rule.freq === DAILY || rule.freq === WEEKLY || rule.freq === MONTHLY)) {
    return `BYYEARDAY does not go with FREQ=${freq} (RFC 5545): use FREQ=YEARLY, or BYMONTH with BYMONTHDAY`;
  }
  if (rule.byMonthDay !== null && rule.freq === WEEKLY) return 'BYMONTHDAY does not go with FREQ=WEEKLY (RFC 5545): use FREQ=MONTHLY, or BYDAY for weekdays';
  const numbered = rule.byDay?.find((d) => d.ord !== 0);
  if (numbered !== undefined && (rule.freq < MONTHLY || rule.byWeekNo !== null)) {
    const name = `${numbered.ord}${WEEKDAYS[numbered.day]}`;
    return `BYDAY=${name}: a numbered weekday needs FREQ=MONTHLY or FREQ=YEARLY without BYWEEKNO (RFC 5545); write BYDAY=${WEEKDAYS[numbered.day]} for every such weekday`;
  }
  return null;
}

/** BYMONTH with BYMONTHDAY: some month must have some of the days. */
function monthDaysProblem(rule: Rule): string | null {
  if (rule.byMonth === null || rule.byMonthDay === null) return null;
  const fits = rule.byMonth.some((m) => rule.byMonthDay!.some((d) => Math.abs(d) <= LONGEST[m - 1]!));
  if (fits) return null;
  const months = rule.byMonth.map((m) => MONTHS[m - 1]).join(', ');
  const subject = rule.byMonth.length === 1 ? `${months} has no day` : `none of ${months} has a day`;
  return `${subject} BYMONTHDAY=${list(rule.byMonthDay)}; fix BYMONTH or BYMONTHDAY (BYMONTHDAY=-1 is the last day of every month)`;
}

/** BYYEARDAY with BYMONTH or BYMONTHDAY: some year day must fall on an allowed month and day. */
function yearDaysProblem(rule: Rule): string | null {
  if (rule.byYearDay === null || (rule.byMonth === null && rule.byMonthDay === null)) return null;
  for (const length of [365, 366]) {
    for (const v of rule.byYearDay) {
      const yearDay = v > 0 ? v : length + v + 1;
      if (yearDay < 1 || yearDay > length) continue;
      const leap = length === 366 ? 1 : 0;
      let month = 12;
      while (month > 1 && yearDay <= BEFORE[month - 1]! + (month > 2 ? leap : 0)) month--;
      const day = yearDay - BEFORE[month - 1]! - (month > 2 ? leap : 0);
      const monthLength = month === 2 ? 28 + leap : LONGEST[month - 1]!;
      const dayOk = rule.byMonthDay === null || rule.byMonthDay.some((d) => (d > 0 ? d : monthLength + d + 1) === day);
      if ((rule.byMonth === null || rule.byMonth.includes(month)) && dayOk) return null;
    }
  }
  return `no day BYYEARDAY=${list(rule.byYearDay)} falls on ${[rule.byMonth && `BYMONTH=${list(rule.byMonth)}`, rule.byMonthDay && `BYMONTHDAY=${list(rule.byMonthDay)}`].filter(Boolean).join(' and ')}; fix one of them`;
}

/** MONTHLY with INTERVAL and BYMONTH: the months the steps reach must include an allowed one. */
function monthStepsProblem(rule: Rule, start: Start): string | null {
  if (rule.freq !== MONTHLY || rule.byMonth === null) return null;
  const first = civil(Math.floor(start.seconds / DAY_SECONDS)).month - 1;
  const reached = new Set(Array.from({ length: 12 }, (_, k) => (first + k * rule.interval) % 12 + 1));
  if (rule.byMonth.some((m) => reached.has(m))) return null;
  const names = [...reached].sort((a, b) => a - b).map((m) => MONTHS[m - 1]).join(', ');
  return `every ${rule.interval} months from ${MONTHS[first]} reaches ${names} only, never BYMONTH=${list(rule.byMonth)}; change INTERVAL, BYMONTH or the start`;
}

/**
 * Finer than DAILY: a period starts at the start's period plus whole steps, so its time
 * of day keeps the start's remainder modulo gcd(step, one day); BYHOUR, BYMINUTE and
 * BYSECOND must allow some time of day with that remainder.
 */
function timeStepsProblem(rule: Rule, start: Start): string | null {
  if (rule.bySecond !== null && rule.bySecond.every((s) => s === 60) && !start.allDay) {
    return 'BYSECOND=60 is a leap second, which never occurs in a calendar\'s wall clock: use BYSECOND=59 or leave it out';
  }
  if (rule.freq > HOURLY) return null;
  const unit = [1, 60, 3600][rule.freq]!;
  const step = rule.interval * unit;
  const first = Math.floor(start.seconds / unit) * unit;
  const g = gcd(step, DAY_SECONDS);
  const remainder = ((first % g) + g) % g;
  const hours = rule.byHour ?? Array.from({ length: 24 }, (_, h) => h);
  const minutes = rule.freq <= MINUTELY && rule.byMinute !== null ? rule.byMinute : rule.freq <= MINUTELY ? Array.from({ length: 60 }, (_, m) => m) : [0];
  const seconds = rule.freq === SECONDLY && rule.bySecond !== null ? rule.bySecond.filter((s) => s < 60) : rule.freq === SECONDLY ? Array.from({ length: 60 }, (_, s) => s) : [0];
  if (rule.byHour === null && (rule.freq === HOURLY || rule.byMinute === null) && (rule.freq !== SECONDLY || rule.bySecond === null)) return null;
  for (const h of hours) for (const m of minutes) for (const s of seconds) if ((h * 3600 + m * 60 + s) % g === remainder) return null;
  const limits = [rule.byHour && 'BYHOUR', rule.freq <= MINUTELY && rule.byMinute && 'BYMINUTE', rule.freq === SECONDLY && rule.bySecond && 'BYSECOND'].filter(Boolean).join(', ');
  const unitName = ['second', 'minute', 'hour'][rule.freq]!;
  return `steps of ${rule.interval} ${unitName}${rule.interval === 1 ? '' : 's'} from ${clock(first % DAY_SECONDS)} never land on a time ${limits} allow${limits.includes(',') ? '' : 's'}; change INTERVAL, ${limits} or the start`;
}

/** BYSETPOS of a rule whose every period holds the same set: it must pick from that set. */
function setPosProblem(rule: Rule, start: Start): string | null {
  if (rule.bySetPos === null || rule.freq > DAILY) return null;
  const size = patternOf(rule, start).times.length;
  if (rule.bySetPos.some((p) => Math.abs(p) <= size)) return null;
  const unit = ['second', 'minute', 'hour', 'day'][rule.freq]!;
  return `BYSETPOS=${list(rule.bySetPos)} picks nothing: each ${unit} holds ${size} instance${size === 1 ? '' : 's'}; use a position from 1 to ${size} (or -1 for the last)`;
}

/** A sentence saying why the rule never occurs, where reasoning shows it; else null. */
export function neverReason(rule: Rule, start: Start): string | null {
  return monthDaysProblem(rule) ?? yearDaysProblem(rule) ?? monthStepsProblem(rule, start) ?? timeStepsProblem(rule, start) ?? setPosProblem(rule, start);
}
