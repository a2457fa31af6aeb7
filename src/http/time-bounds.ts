// The instants the API takes: years 1 to 9999 in UTC. Postgres's timestamptz has no year 0
// (it counts 1 BC), RFC 3339 writes four-digit years, and the recurrence expansion takes
// those only; JavaScript's Date goes further (±275,760 years) and Date.parse rolls an
// impossible day over (2026-02-30 is March 2), so both are checked here.

export const earliestMs = Date.parse('0001-01-01T00:00:00.000Z');
export const latestMs = Date.parse('9999-12-31T23:59:59.999Z');

export function isInRange(ms: number): boolean {
  return Number.isFinite(ms) && ms >= earliestMs && ms <= latestMs;
}

/** `ms` moved into the range. */
export function clampToRange(ms: number): number {
  return Math.min(Math.max(ms, earliestMs), latestMs);
}

/**
 * Midnight UTC of a day of the Gregorian calendar, or null when there is no such day
 * (month 13, February 30, year 0). Date.UTC reads years 0-99 as 1900-1999, so the year is
 * set on its own.
 */
export function calendarDayMs(year: number, month: number, day: number): number | null {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  const ms = date.getTime();
  const exists = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return exists && isInRange(ms) ? ms : null;
}
