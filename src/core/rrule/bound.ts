// The latest a series can end, from its rules alone, for the store's range columns
// (series_until_at): computed, not expanded (about 0.1 ms an instance would make a daily
// series until 2100 cost seconds per write): UNTIL plus a day and the duration, or COUNT
// periods of the rule's frequency at their longest; null when a rule has no end.
//
// Postgres reads the ISO strings JavaScript writes only up to the year 9999 (a later
// one is written "+010000-…" and refused); `LATEST_END` is the last instant it takes.
export const LATEST_END = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const DAY_MS = 86_400_000;
const longestPeriodMs: Record<string, number> = {
  SECONDLY: 1000, MINUTELY: 60_000, HOURLY: 3_600_000, DAILY: DAY_MS + 3_600_000,
  WEEKLY: 7 * DAY_MS + 3_600_000, MONTHLY: 31 * DAY_MS + 3_600_000, YEARLY: 366 * DAY_MS + 3_600_000,
};

/** The latest end of one rule's instances' starts, in milliseconds; null without end. */
export function ruleEndMs(rule: string, startMs: number): number | null {
  const parts = new Map(rule.split(';').map((part) => {
    const [key, value] = part.split('=');
    return [key!.toUpperCase(), value ?? ''] as const;
  }));
  const until = parts.get('UNTIL');
  if (until) {
    const m = /^(\d{4})(\d{2})(\d{2})/.exec(until);
    return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + 2 * DAY_MS : null;
  }
  const count = Number(parts.get('COUNT'));
  const period = longestPeriodMs[parts.get('FREQ')?.toUpperCase() ?? ''];
  if (!Number.isInteger(count) || count < 1 || period === undefined) return null;
  return startMs + count * Math.max(1, Number(parts.get('INTERVAL') ?? 1) || 1) * period;
}
