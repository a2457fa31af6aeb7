// Graph `patternedRecurrence` ⇄ RRULE. A Graph recurrence is one pattern
// (recurrencePattern: daily, weekly, absoluteMonthly, relativeMonthly, absoluteYearly,
// relativeYearly) and one range (recurrenceRange: endDate, noEnd, numbered); an RRULE
// says much more. Reading takes every pattern Graph documents; writing refuses, with a
// sentence the connector reports, what no pattern says (README.md lists both ways).
// Graph has no RDATE or EXDATE: removed instances are deleted occurrences (map.ts).
import { CoreError } from '../../core/errors.ts';
import type { LocalDateTime } from '../../core/model.ts';
import { dayNumber, monthLength, weekday } from '../../core/rrule/calendar.ts';
import { DAILY, MONTHLY, parseRule, RuleError, WEEKDAYS, WEEKLY, YEARLY, type Rule, type WeekdayNum } from '../../core/rrule/parse.ts';
import { addDays, instantToLocal, localToInstant } from '../../core/ical/zoned.ts';
import type { GraphPatternedRecurrence, GraphRecurrencePattern, GraphRecurrenceRange } from './types.ts';

/** What a rule is read and written against: the master's start. */
export interface RecurrenceTerms {
  allDay: boolean;
  /** The master's start, a date for all-day series. */
  start: LocalDateTime;
  /** The IANA zone of the master's start (the calendar's for all-day and floating). */
  zone: string;
}

const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
const INDEXES = { first: 1, second: 2, third: 3, fourth: 4, last: -1 } as const;
type WeekIndex = keyof typeof INDEXES;
const PATTERNS = ['daily', 'weekly', 'absoluteMonthly', 'relativeMonthly', 'absoluteYearly', 'relativeYearly'] as const;
const RANGES = ['endDate', 'noEnd', 'numbered'] as const;

function fail(path: string, message: string): never {
  throw new CoreError('INVALID_RECURRENCE', message, path);
}

function object(x: unknown, path: string): Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) fail(path, 'expected an object');
  return x as Record<string, unknown>;
}

/** An enumeration value as Graph spells it; answers have been seen in both cases ("Weekly", "monday"). */
function oneOf<T extends string>(x: unknown, values: readonly T[], path: string): T {
  const found = typeof x === 'string' ? values.find((v) => v.toLowerCase() === x.toLowerCase()) : undefined;
  if (found === undefined) fail(path, `expected one of ${values.join(', ')}, got ${JSON.stringify(x)}`);
  return found;
}

function integer(x: unknown, min: number, max: number, path: string): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) fail(path, `expected a whole number from ${min} to ${max}, got ${JSON.stringify(x)}`);
  return x;
}

function date(x: unknown, path: string): LocalDateTime {
  if (typeof x !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(x)) fail(path, `expected a date YYYY-MM-DD, got ${JSON.stringify(x)}`);
  return x;
}

function days(x: unknown, path: string): number[] {
  if (!Array.isArray(x) || x.length === 0) fail(path, 'expected at least one day of the week');
  return x.map((d, i) => DAY_NAMES.indexOf(oneOf(d, DAY_NAMES, `${path}[${i}]`)));
}

const byDay = (list: number[]): string => list.map((d) => WEEKDAYS[d]).join(',');

/** 28, 29, …, `day`. */
const lateDays = (day: number): number[] => Array.from({ length: day - 27 }, (_, i) => 28 + i);

/**
 * A Graph day of the month as RRULE. Outlook puts the instances of a day a month lacks
 * (the 31st in April, the 29th of February) on that month's last day, where RFC 5545's
 * BYMONTHDAY=31 skips the month: past the 28th it is the last of the days 28 to `day`
 * the month has.
 */
function monthDay(day: number): string {
  return day <= 28 ? `BYMONTHDAY=${day}` : `BYMONTHDAY=${lateDays(day).join(',')};BYSETPOS=-1`;
}
const basic = (local: LocalDateTime): string => local.replace(/[-:]/g, '');

/**
 * The RRULE of a Graph recurrence, in the terms of the master's start. The range's end
 * date is the last day an instance may fall on, so UNTIL is the end of that date in the
 * recurrence's zone (a date for all-day series); `recurrenceZone` is that zone,
 * already translated (zones.ts), or null for the master's own.
 */
export function rruleFromGraph(x: unknown, terms: RecurrenceTerms, recurrenceZone: string | null): string {
  const o = object(x, 'recurrence');
  const p = object(o.pattern, 'recurrence.pattern');
  const r = object(o.range, 'recurrence.range');
  const type = oneOf(p.type, PATTERNS, 'recurrence.pattern.type');
  const interval = integer(p.interval, 1, 999, 'recurrence.pattern.interval');
  const parts = [`FREQ=${type === 'daily' ? 'DAILY' : type === 'weekly' ? 'WEEKLY' : type.endsWith('Monthly') ? 'MONTHLY' : 'YEARLY'}`];
  if (interval > 1) parts.push(`INTERVAL=${interval}`);
  const relative = (): void => {
    const list = days(p.daysOfWeek, 'recurrence.pattern.daysOfWeek');
    const index = INDEXES[p.index === undefined ? 'first' : oneOf(p.index, Object.keys(INDEXES) as WeekIndex[], 'recurrence.pattern.index')];
    // "If daysOfWeek specifies more than one day, the event falls on the first day that
    // satisfies the pattern" (recurrencePattern): the nth of the set, BYSETPOS.
    parts.push(list.length === 1 ? `BYDAY=${index}${WEEKDAYS[list[0]!]}` : `BYDAY=${byDay(list)};BYSETPOS=${index}`);
  };
  switch (type) {
    case 'daily':
      break;
    case 'weekly': {
      parts.push(`BYDAY=${byDay(days(p.daysOfWeek, 'recurrence.pattern.daysOfWeek'))}`);
      // Graph's default first day is Sunday, RFC 5545's Monday.
      const first = p.firstDayOfWeek === undefined ? 0 : DAY_NAMES.indexOf(oneOf(p.firstDayOfWeek, DAY_NAMES, 'recurrence.pattern.firstDayOfWeek'));
      if (first !== 1) parts.push(`WKST=${WEEKDAYS[first]}`);
      break;
    }
    case 'absoluteMonthly':
      parts.push(monthDay(integer(p.dayOfMonth, 1, 31, 'recurrence.pattern.dayOfMonth')));
      break;
    case 'relativeMonthly':
      relative();
      break;
    case 'absoluteYearly':
      parts.push(`BYMONTH=${integer(p.month, 1, 12, 'recurrence.pattern.month')}`, monthDay(integer(p.dayOfMonth, 1, 31, 'recurrence.pattern.dayOfMonth')));
      break;
    case 'relativeYearly':
      parts.push(`BYMONTH=${integer(p.month, 1, 12, 'recurrence.pattern.month')}`);
      relative();
      break;
  }
  const range = oneOf(r.type, RANGES, 'recurrence.range.type');
  if (range === 'numbered') parts.push(`COUNT=${integer(r.numberOfOccurrences, 1, 999_999, 'recurrence.range.numberOfOccurrences')}`);
  if (range === 'endDate') {
    const end = date(r.endDate, 'recurrence.range.endDate');
    if (terms.allDay) parts.push(`UNTIL=${basic(end)}`);
    else {
      const ms = localToInstant(`${end}T23:59:59`, recurrenceZone ?? terms.zone);
      parts.push(`UNTIL=${basic(instantToLocal(ms, 'UTC'))}Z`);
    }
  }
  return parts.join(';');
}

export type GraphRecurrenceResult = { recurrence: GraphPatternedRecurrence; refused?: undefined } | { refused: string; recurrence?: undefined };

const refuse = (reason: string): GraphRecurrenceResult => ({ refused: reason });

interface StartDay {
  year: number;
  month: number;
  day: number;
  weekday: number;
}

function startDay(start: LocalDateTime): StartDay {
  const [year, month, day] = start.slice(0, 10).split('-').map(Number) as [number, number, number];
  return { year, month, day, weekday: weekday(dayNumber(year, month, day)) };
}

/** Whether `d` is the `index`th (−1: last) day of its month whose weekday is in `set`. */
function isNthOfSet(d: StartDay, set: number[], index: number): boolean {
  const matching: number[] = [];
  for (let day = 1; day <= monthLength(d.year, d.month); day++) {
    if (set.includes(weekday(dayNumber(d.year, d.month, day)))) matching.push(day);
  }
  return (index === -1 ? matching.at(-1) : matching[index - 1]) === d.day;
}

/** A relative pattern's days and index: BYDAY=2TH, or BYDAY=MO,TU;BYSETPOS=2. */
function relativeOf(rule: Rule): { days: number[]; index: WeekIndex } | string {
  const list = rule.byDay!;
  const indexName = (n: number): WeekIndex | undefined => (Object.keys(INDEXES) as WeekIndex[]).find((k) => INDEXES[k] === n);
  if (rule.bySetPos !== null) {
    if (rule.bySetPos.length !== 1) return 'BYSETPOS with several positions has no Graph pattern (one index at most)';
    if (list.some((d) => d.ord !== 0)) return 'BYSETPOS with numbered BYDAY values has no Graph pattern';
    const index = indexName(rule.bySetPos[0]!);
    if (index === undefined) return `BYSETPOS=${rule.bySetPos[0]} has no Graph index (first to fourth, or last)`;
    return { days: list.map((d) => d.day), index };
  }
  if (list.length !== 1) return 'several BYDAY values in a monthly or yearly rule have no Graph pattern unless they share one BYSETPOS';
  const only = list[0] as WeekdayNum;
  if (only.ord === 0) return 'every such weekday of the month (BYDAY without a number) has no Graph pattern';
  const index = indexName(only.ord);
  if (index === undefined) return `BYDAY=${only.ord}${WEEKDAYS[only.day]} has no Graph index (first to fourth, or last)`;
  return { days: [only.day], index };
}

function rangeOf(rule: Rule, terms: RecurrenceTerms, zoneName: string): GraphRecurrenceRange | string {
  const startDate = terms.start.slice(0, 10);
  const common = { startDate, recurrenceTimeZone: zoneName };
  if (rule.count !== null) return { type: 'numbered', ...common, numberOfOccurrences: rule.count };
  if (rule.until === null) return { type: 'noEnd', ...common };
  const wall = new Date(rule.until.seconds * 1000).toISOString().slice(0, 19);
  let endDate: LocalDateTime;
  if (rule.until.date) endDate = wall.slice(0, 10);
  else {
    // The last date an instance can start on: UNTIL's date in the series' zone, or the
    // day before when UNTIL comes earlier in that day than the instances start.
    const local = rule.until.utc ? instantToLocal(Date.parse(`${wall}Z`), terms.zone) : wall;
    const timeOfDay = terms.allDay ? '00:00:00' : terms.start.slice(11);
    endDate = local.slice(11) >= timeOfDay ? local.slice(0, 10) : addDays(local.slice(0, 10), -1);
  }
  if (endDate < startDate) return `UNTIL ends the series before its start (${startDate})`;
  return { type: 'endDate', ...common, endDate };
}

/**
 * The Graph recurrence of one RRULE in the terms of the master's start, or the reason
 * Graph cannot hold it. `zoneName` is the recurrenceTimeZone to write (zones.ts).
 */
export function rruleToGraph(rrule: string, terms: RecurrenceTerms, zoneName: string): GraphRecurrenceResult {
  let rule: Rule;
  try {
    rule = parseRule(rrule);
  } catch (e) {
    if (e instanceof RuleError) return refuse(`the RRULE cannot be read: ${e.message}`);
    throw e;
  }
  if (![DAILY, WEEKLY, MONTHLY, YEARLY].includes(rule.freq)) return refuse('Graph repeats daily at the finest: FREQ=SECONDLY, MINUTELY and HOURLY have no Graph pattern');
  if (rule.byHour || rule.byMinute || rule.bySecond) return refuse('BYHOUR, BYMINUTE and BYSECOND have no Graph pattern: an instance starts at the series\' start time');
  if (rule.byYearDay || rule.byWeekNo) return refuse('BYYEARDAY and BYWEEKNO have no Graph pattern');
  const start = startDay(terms.start);
  const range = rangeOf(rule, terms, zoneName);
  if (typeof range === 'string') return refuse(range);
  const done = (pattern: GraphRecurrencePattern): GraphRecurrenceResult => ({ recurrence: { pattern, range } });
  const mismatch = 'the series starts on a day its own rule does not give, which Graph cannot show (Graph starts a series on its first matching day)';
  const interval = rule.interval;

  if (rule.freq === DAILY) {
    if (rule.byDay || rule.byMonthDay || rule.byMonth || rule.bySetPos) return refuse('a daily rule with BYDAY, BYMONTHDAY, BYMONTH or BYSETPOS has no Graph pattern');
    return done({ type: 'daily', interval });
  }
  if (rule.freq === WEEKLY) {
    if (rule.byMonthDay || rule.byMonth || rule.bySetPos) return refuse('a weekly rule with BYMONTHDAY, BYMONTH or BYSETPOS has no Graph pattern');
    if (rule.byDay?.some((d) => d.ord !== 0)) return refuse('numbered BYDAY values in a weekly rule have no Graph pattern');
    const list = rule.byDay ? [...new Set(rule.byDay.map((d) => d.day))] : [start.weekday];
    if (!list.includes(start.weekday)) return refuse(mismatch);
    return done({ type: 'weekly', interval, daysOfWeek: list.sort().map((d) => DAY_NAMES[d]!), firstDayOfWeek: DAY_NAMES[rule.wkst]! });
  }
  // Monthly and yearly.
  const yearly = rule.freq === YEARLY;
  if (!yearly && rule.byMonth) return refuse('a monthly rule with BYMONTH has no Graph pattern');
  if (rule.byMonth && rule.byMonth.length > 1) return refuse('several BYMONTH values have no Graph pattern');
  const month = rule.byMonth?.[0] ?? start.month;
  if (yearly && month !== start.month) return refuse(mismatch);
  if (rule.byMonthDay && rule.byDay) return refuse('BYMONTHDAY and BYDAY together have no Graph pattern');
  if (rule.byMonthDay) {
    const last = rule.byMonthDay.at(-1)!;
    const clamped = last > 28 && rule.bySetPos?.length === 1 && rule.bySetPos[0] === -1 && rule.byMonthDay.join() === lateDays(last).join();
    if (rule.bySetPos && !clamped) return refuse('BYSETPOS with BYMONTHDAY has no Graph pattern, but for BYMONTHDAY=28,…,N;BYSETPOS=-1 (Outlook\'s day N or the month\'s last)');
    if (!clamped && rule.byMonthDay.length > 1) return refuse('several BYMONTHDAY values have no Graph pattern (one day of the month)');
    if (yearly && !rule.byMonth) return refuse('a yearly rule with BYMONTHDAY but no BYMONTH repeats every month, which has no Graph pattern');
    const day = clamped ? last : rule.byMonthDay[0]!;
    if (day < 0) return refuse(`BYMONTHDAY=${day} counts from the month's end, which Graph cannot`);
    if (day > 28 && !clamped) {
      return refuse(`BYMONTHDAY=${day} skips the months that have no day ${day}; Graph moves those instances to the month's last day (BYMONTHDAY=${lateDays(day).join(',')};BYSETPOS=-1 says that)`);
    }
    if (start.day !== Math.min(day, monthLength(start.year, month))) return refuse(mismatch);
    return done(yearly ? { type: 'absoluteYearly', interval, month, dayOfMonth: day } : { type: 'absoluteMonthly', interval, dayOfMonth: day });
  }
  if (rule.byDay) {
    if (yearly && !rule.byMonth) return refuse('a yearly rule with BYDAY but no BYMONTH counts weekdays in the year, which has no Graph pattern');
    const relative = relativeOf(rule);
    if (typeof relative === 'string') return refuse(relative);
    if (!isNthOfSet(start, relative.days, INDEXES[relative.index])) return refuse(mismatch);
    const daysOfWeek = [...new Set(relative.days)].sort().map((d) => DAY_NAMES[d]!);
    return done(yearly ? { type: 'relativeYearly', interval, month, daysOfWeek, index: relative.index } : { type: 'relativeMonthly', interval, daysOfWeek, index: relative.index });
  }
  if (rule.bySetPos) return refuse('BYSETPOS without BYDAY has no Graph pattern');
  // FREQ=MONTHLY or FREQ=YEARLY alone repeat on the start's day (RFC 5545 §3.3.10).
  return done(yearly ? { type: 'absoluteYearly', interval, month, dayOfMonth: start.day } : { type: 'absoluteMonthly', interval, dayOfMonth: start.day });
}
