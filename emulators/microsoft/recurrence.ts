// Graph's patterned recurrence (resources/patternedrecurrence, recurrencepattern,
// recurrencerange): checked, normalised as Graph answers it, and expanded into the dates
// of its occurrences. Written for Graph's own model instead of translating to RRULE:
// the six pattern types map one to one onto date arithmetic, and ical.js never returns
// from some rules (see emulators/google/recurrence.ts), so the walk here is bounded by a
// step budget and a date horizon: a pathological pattern ends early instead of hanging.
import { graphErrors } from './errors.ts';
import { resolveZone } from './zones.ts';

export const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
export type Day = (typeof DAYS)[number];
const INDEXES = ['first', 'second', 'third', 'fourth', 'last'] as const;
const PATTERNS = ['daily', 'weekly', 'absoluteMonthly', 'relativeMonthly', 'absoluteYearly', 'relativeYearly'] as const;
const RANGES = ['endDate', 'noEnd', 'numbered'] as const;

export interface Recurrence {
  pattern: {
    type: (typeof PATTERNS)[number];
    interval: number;
    month: number;
    dayOfMonth: number;
    daysOfWeek: Day[];
    firstDayOfWeek: Day;
    index: (typeof INDEXES)[number];
  };
  range: {
    type: (typeof RANGES)[number];
    startDate: string;
    endDate: string;
    recurrenceTimeZone: string;
    numberOfOccurrences: number;
  };
}

/** Steps (days, weeks, months or years looked at) one expansion may take at most. */
const MAX_STEPS = 100_000;
const DAY_MS = 86_400_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const bad = (message: string) => graphErrors.invalidRequest(message);

function validDate(x: unknown): x is string {
  return typeof x === 'string' && DATE.test(x) && new Date(`${x}T00:00:00Z`).toISOString().slice(0, 10) === x;
}

function day(x: unknown, path: string): Day {
  const d = typeof x === 'string' ? x.toLowerCase() : '';
  if (!(DAYS as readonly string[]).includes(d)) throw bad(`${path}: '${String(x)}' is not a day of the week.`);
  return d as Day;
}

function whole(x: unknown, path: string, min: number, max: number): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) throw bad(`${path} must be a whole number from ${min} to ${max}.`);
  return x;
}

/** A request's `recurrence`, checked member by member; defaults as Graph fills them. */
export function checkRecurrence(raw: unknown, defaultZone: string): Recurrence {
  if (!isObject(raw) || !isObject(raw.pattern) || !isObject(raw.range)) throw bad('recurrence needs a pattern and a range.');
  const p = raw.pattern;
  const r = raw.range;
  if (!(PATTERNS as readonly unknown[]).includes(p.type)) throw bad(`recurrence.pattern.type must be one of ${PATTERNS.join(', ')}.`);
  const type = p.type as Recurrence['pattern']['type'];
  const daysOfWeek = p.daysOfWeek === undefined || p.daysOfWeek === null ? [] : Array.isArray(p.daysOfWeek)
    ? [...new Set(p.daysOfWeek.map((d, i) => day(d, `recurrence.pattern.daysOfWeek[${i}]`)))]
    : (() => { throw bad('recurrence.pattern.daysOfWeek must be an array.'); })();
  const pattern: Recurrence['pattern'] = {
    type,
    interval: p.interval === undefined ? 1 : whole(p.interval, 'recurrence.pattern.interval', 1, 999),
    month: p.month === undefined || p.month === 0 ? 0 : whole(p.month, 'recurrence.pattern.month', 1, 12),
    dayOfMonth: p.dayOfMonth === undefined || p.dayOfMonth === 0 ? 0 : whole(p.dayOfMonth, 'recurrence.pattern.dayOfMonth', 1, 31),
    daysOfWeek,
    firstDayOfWeek: p.firstDayOfWeek === undefined || p.firstDayOfWeek === null ? 'sunday' : day(p.firstDayOfWeek, 'recurrence.pattern.firstDayOfWeek'),
    index: p.index === undefined || p.index === null ? 'first' : (INDEXES as readonly unknown[]).includes(p.index)
      ? p.index as Recurrence['pattern']['index'] : (() => { throw bad(`recurrence.pattern.index must be one of ${INDEXES.join(', ')}.`); })(),
  };
  if ((type === 'weekly' || type === 'relativeMonthly' || type === 'relativeYearly') && daysOfWeek.length === 0) throw bad(`recurrence.pattern.daysOfWeek is required for a ${type} pattern.`);
  if ((type === 'absoluteMonthly' || type === 'absoluteYearly') && pattern.dayOfMonth === 0) throw bad(`recurrence.pattern.dayOfMonth is required for a ${type} pattern.`);
  if ((type === 'absoluteYearly' || type === 'relativeYearly') && pattern.month === 0) throw bad(`recurrence.pattern.month is required for a ${type} pattern.`);

  if (!(RANGES as readonly unknown[]).includes(r.type)) throw bad(`recurrence.range.type must be one of ${RANGES.join(', ')}.`);
  if (!validDate(r.startDate)) throw bad('recurrence.range.startDate must be a date (yyyy-mm-dd).');
  const zoneName = r.recurrenceTimeZone === undefined || r.recurrenceTimeZone === null || r.recurrenceTimeZone === '' ? defaultZone : r.recurrenceTimeZone;
  if (resolveZone(zoneName) === null) throw graphErrors.invalidTimeZone(zoneName);
  const range: Recurrence['range'] = {
    type: r.type as Recurrence['range']['type'], startDate: r.startDate, endDate: '0001-01-01', recurrenceTimeZone: String(zoneName), numberOfOccurrences: 0,
  };
  if (range.type === 'endDate') {
    if (!validDate(r.endDate)) throw bad('recurrence.range.endDate must be a date (yyyy-mm-dd) for an endDate range.');
    if (r.endDate < r.startDate) throw bad('recurrence.range.endDate must not be before its startDate.');
    range.endDate = r.endDate;
  }
  if (range.type === 'numbered') range.numberOfOccurrences = whole(r.numberOfOccurrences, 'recurrence.range.numberOfOccurrences', 1, 999);
  return { pattern, range };
}

const toDays = (date: string): number => Date.parse(`${date}T00:00:00Z`) / DAY_MS;
const fromDays = (days: number): string => new Date(days * DAY_MS).toISOString().slice(0, 10);
const weekday = (days: number): number => (((days + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
const daysInMonth = (year: number, month0: number): number => new Date(Date.UTC(year, month0 + 1, 0)).getUTCDate();

/** The nth (or last) day of a month whose weekday is one of `days`; null when there is none. */
function relativeDay(year: number, month0: number, days: Day[], index: Recurrence['pattern']['index']): number | null {
  const first = Date.UTC(year, month0, 1) / DAY_MS;
  const matches: number[] = [];
  for (let d = 0; d < daysInMonth(year, month0); d++) if (days.includes(DAYS[weekday(first + d)]!)) matches.push(first + d);
  const i = INDEXES.indexOf(index);
  return (index === 'last' ? matches[matches.length - 1] : matches[i]) ?? null;
}

/** Dates of the pattern from range.startDate in order, unbounded by the range (the caller stops). */
function* candidates(rec: Recurrence): Generator<number> {
  const { pattern } = rec;
  const start = toDays(rec.range.startDate);
  const startDate = new Date(start * DAY_MS);
  const interval = pattern.interval;
  switch (pattern.type) {
    case 'daily':
      for (let k = 0; ; k++) yield start + k * interval;
    case 'weekly': {
      const fdw = DAYS.indexOf(pattern.firstDayOfWeek);
      const weekStart = start - ((weekday(start) - fdw + 7) % 7);
      const offsets = pattern.daysOfWeek.map((d) => (DAYS.indexOf(d) - fdw + 7) % 7).sort((a, b) => a - b);
      for (let k = 0; ; k++) for (const o of offsets) yield weekStart + k * 7 * interval + o;
    }
    case 'absoluteMonthly':
    case 'relativeMonthly':
      for (let k = 0; ; k++) {
        const m = startDate.getUTCMonth() + k * interval;
        const year = startDate.getUTCFullYear() + Math.floor(m / 12);
        const month0 = m % 12;
        // A dayOfMonth past the month's end lands on its last day, as Outlook places "the 31st".
        const d = pattern.type === 'absoluteMonthly'
          ? Date.UTC(year, month0, Math.min(pattern.dayOfMonth, daysInMonth(year, month0))) / DAY_MS
          : relativeDay(year, month0, pattern.daysOfWeek, pattern.index);
        yield d ?? Number.NaN;
      }
    case 'absoluteYearly':
    case 'relativeYearly':
      for (let k = 0; ; k++) {
        const year = startDate.getUTCFullYear() + k * interval;
        const month0 = pattern.month - 1;
        const d = pattern.type === 'absoluteYearly'
          ? Date.UTC(year, month0, Math.min(pattern.dayOfMonth, daysInMonth(year, month0))) / DAY_MS
          : relativeDay(year, month0, pattern.daysOfWeek, pattern.index);
        yield d ?? Number.NaN;
      }
  }
}

/**
 * The occurrence dates (yyyy-mm-dd) of a recurrence up to `until` (inclusive), in order.
 * `truncated` says the step budget ran out before the range or `until` ended.
 */
export function occurrenceDates(rec: Recurrence, until: string): { dates: string[]; truncated: boolean } {
  const start = toDays(rec.range.startDate);
  const last = Math.min(toDays(until), rec.range.type === 'endDate' ? toDays(rec.range.endDate) : Number.POSITIVE_INFINITY);
  const dates: string[] = [];
  let steps = 0;
  for (const d of candidates(rec)) {
    if (++steps > MAX_STEPS) return { dates, truncated: true };
    if (Number.isNaN(d) || d < start) continue;
    if (d > last) break;
    dates.push(fromDays(d));
    if (rec.range.type === 'numbered' && dates.length >= rec.range.numberOfOccurrences) break;
  }
  return { dates, truncated: false };
}

export const addDays = (date: string, days: number): string => fromDays(toDays(date) + days);
