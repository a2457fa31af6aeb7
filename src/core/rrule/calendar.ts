// Proleptic Gregorian day arithmetic on whole days numbered from 1970-01-01 (day 0),
// the clock recurrence rules run in: wall-clock times without zones, so every day has
// 86,400 seconds and every minute 60. The calendar repeats every 400 years: 146,097
// days, exactly 20,871 weeks, 4,800 months; what never happens in one such cycle never
// happens at all.
export const DAY_SECONDS = 86_400;
export const CYCLE_DAYS = 146_097;
export const CYCLE_WEEKS = 20_871;
export const CYCLE_MONTHS = 4_800;
export const CYCLE_YEARS = 400;
/** Years iCalendar can write (four digits). */
export const FIRST_YEAR = 1;
export const LAST_YEAR = 9999;

export interface CivilDate {
  year: number;
  month: number;
  day: number;
}

const floorDiv = (a: number, b: number): number => Math.floor(a / b);
const mod = (a: number, b: number): number => ((a % b) + b) % b;

/** The day number of a date (H. Hinnant's days_from_civil). */
export function dayNumber(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = floorDiv(y, 400);
  const yoe = y - era * 400;
  const doy = floorDiv(153 * (month + (month > 2 ? -3 : 9)) + 2, 5) + day - 1;
  const doe = yoe * 365 + floorDiv(yoe, 4) - floorDiv(yoe, 100) + doy;
  return era * CYCLE_DAYS + doe - 719_468;
}

/** The date of a day number (civil_from_days). */
export function civil(n: number): CivilDate {
  const z = n + 719_468;
  const era = floorDiv(z, CYCLE_DAYS);
  const doe = z - era * CYCLE_DAYS;
  const yoe = floorDiv(doe - floorDiv(doe, 1460) + floorDiv(doe, 36_524) - floorDiv(doe, CYCLE_DAYS - 1), 365);
  const doy = doe - (365 * yoe + floorDiv(yoe, 4) - floorDiv(yoe, 100));
  const mp = floorDiv(5 * doy + 2, 153);
  const day = doy - floorDiv(153 * mp + 2, 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

export const isLeap = (year: number): boolean => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
export const yearLength = (year: number): number => (isLeap(year) ? 366 : 365);

export function monthLength(year: number, month: number): number {
  if (month === 2) return isLeap(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** 0 = Sunday … 6 = Saturday (day 0, 1970-01-01, was a Thursday). */
export const weekday = (n: number): number => mod(n + 4, 7);

/** The first day of the week (starting on `wkst`) that holds day `n`. */
export const weekStart = (n: number, wkst: number): number => n - mod(weekday(n) - wkst, 7);

/**
 * The first day of week 1 of `year` (RFC 5545 BYWEEKNO, ISO 8601 with weeks starting on
 * `wkst`): week 1 is the first week with at least four days in the year, so the week
 * that holds January 4.
 */
export const firstWeek = (year: number, wkst: number): number => weekStart(dayNumber(year, 1, 4), wkst);

/** The week number of day `n` and the number of weeks of the week-numbering year it is in. */
export function weekOf(n: number, year: number, wkst: number): { week: number; weeks: number } {
  let owner = year;
  if (n < firstWeek(year, wkst)) owner = year - 1;
  else if (n >= firstWeek(year + 1, wkst)) owner = year + 1;
  const first = firstWeek(owner, wkst);
  return { week: floorDiv(n - first, 7) + 1, weeks: (firstWeek(owner + 1, wkst) - first) / 7 };
}

/** The day number of the last day iCalendar can write. */
export const LAST_DAY = dayNumber(LAST_YEAR, 12, 31);
