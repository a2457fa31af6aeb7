// ical.js recurrence rules made to follow RFC 5545 where ical.js does not: an implied
// yearly date that does not exist in a year is skipped, not rolled over.
import ICAL from 'ical.js';
import type { LocalDateTime } from '../model.ts';

/**
 * ical.js rolls an invalid yearly date over (FREQ=YEARLY from Feb 29 gives Mar 1 in
 * common years), where RFC 5545 §3.3.10 says such dates are skipped. Spelling out the
 * implied BYMONTH and BYMONTHDAY makes ical.js skip them.
 */
export function explicitRule(rule: string, start: LocalDateTime): InstanceType<typeof ICAL.Recur> {
  const recur = ICAL.Recur.fromString(rule);
  const parts = recur.parts as Record<string, unknown>;
  const [month, day] = start.slice(5, 10).split('-').map(Number) as [number, number];
  if (recur.freq === 'YEARLY' && !parts.BYDAY && !parts.BYYEARDAY && !parts.BYWEEKNO && !parts.BYMONTHDAY) {
    parts.BYMONTHDAY = [day];
    parts.BYMONTH ??= [month];
  }
  return recur;
}

/** Occurrence dates that contradict an explicit BYMONTH / BYMONTHDAY (ical.js overflow). */
export function contradicts(recur: InstanceType<typeof ICAL.Recur>, t: InstanceType<typeof ICAL.Time>): boolean {
  const parts = recur.parts as Record<string, number[] | undefined>;
  if (parts.BYMONTH && !parts.BYMONTH.includes(t.month)) return true;
  const days = ICAL.Time.daysInMonth(t.month, t.year);
  return parts.BYMONTHDAY !== undefined && !parts.BYMONTHDAY.some((d) => (d > 0 ? d : days + d + 1) === t.day);
}
