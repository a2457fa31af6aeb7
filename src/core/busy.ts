// Busy time, as Google's freeBusy reports it (developers.google.com/calendar/api/v3/
// reference/freebusy/query): periods with an inclusive start and an exclusive end.
// An event blocks its time unless it is cancelled or transparent ("show me as free");
// its attendees' answers do not matter, because the time is the calendar's own. Google's
// reference is silent on overlaps: periods that overlap or touch are merged (10-11 and
// 11-12 are one block, 10-12) and each is clipped to the queried window, so a client
// inverts the list into free time without further work.
import type { CanonicalEvent } from './model.ts';

/** A period of time in epoch milliseconds; the end is exclusive. */
export interface Period {
  start: number;
  end: number;
}

/** Whether an event (or one instance of a series) makes its time busy. */
export function blocksTime(event: Pick<CanonicalEvent, 'status' | 'transparency'>): boolean {
  return event.status !== 'cancelled' && event.transparency !== 'transparent';
}

/**
 * Whether an event makes `email`'s time busy: it blocks time and that attendee did not
 * decline it (null: nobody's answer counts, as for the calendar's own time).
 */
export function busyFor(event: Pick<CanonicalEvent, 'status' | 'transparency' | 'attendees'>, email: string | null | undefined): boolean {
  return blocksTime(event) && !(!!email && event.attendees.some((a) => a.email === email && a.response === 'declined'));
}

/** The periods within `[from, to)`, clipped, sorted, overlapping and touching ones merged, empty ones gone. */
export function busyPeriods(periods: Iterable<Period>, from: number, to: number): Period[] {
  const clipped: Period[] = [];
  for (const p of periods) {
    const start = Math.max(p.start, from);
    const end = Math.min(p.end, to);
    if (end > start) clipped.push({ start, end });
  }
  clipped.sort((a, b) => a.start - b.start || a.end - b.end);
  const merged: Period[] = [];
  for (const p of clipped) {
    const last = merged.at(-1);
    if (last && p.start <= last.end) last.end = Math.max(last.end, p.end);
    else merged.push({ ...p });
  }
  return merged;
}
