// When a resource can be booked, from its rules and its busy time. Pure: the store gives
// the busy periods (its calendars' events and its live bookings), this finds the slots.
//
// - Working hours are wall-clock intervals per weekday in the resource's time zone
//   ("09:00"-"17:00"; "24:00" ends at midnight). A day without hours is closed. Across a
//   daylight-saving change an interval keeps its wall-clock times (09:00 is 09:00).
// - A booking occupies its time widened by the resource's buffers: before its start and
//   after its end. No busy time may fall in what a booking occupies, and no two bookings'
//   occupied time may overlap, so two bookings are at least the buffers apart.
// - Minimum notice: a slot starts at least that long after now. Horizon: a slot starts
//   within that many days of now.
// - Slots are `slotMinutes` long, every `slotMinutes` from the start of each working
//   interval; a slot must fit in its interval. A booking may be of any length that fits
//   in one working interval (the app may book 90 minutes on a 30-minute grid).
import { CoreError } from './errors.ts';
import type { Period } from './busy.ts';
import { addDays, instantToLocal, localToInstant } from './ical/zoned.ts';

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = typeof WEEKDAYS[number];

/** Wall-clock intervals by weekday: `[["09:00", "12:00"], ["13:00", "17:00"]]`. */
export type WorkingHours = Partial<Record<Weekday, Array<[string, string]>>>;

/** Monday to Friday, 09:00 to 17:00: what a resource gets unless told otherwise (as migration 000014's default). */
export const defaultWorkingHours: WorkingHours = Object.fromEntries(WEEKDAYS.slice(0, 5).map((d) => [d, [['09:00', '17:00']]]));

export interface BookingRules {
  timeZone: string;
  workingHours: WorkingHours;
  bufferBeforeMinutes: number;
  bufferAfterMinutes: number;
  minimumNoticeMinutes: number;
  horizonDays: number;
  slotMinutes: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
const hhmm = /^([01][0-9]|2[0-3]):([0-5][0-9])$|^24:00$/;

const minutesOf = (time: string): number => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/** Working hours as given, checked: known weekdays, HH:MM times, each interval non-empty, none overlapping. */
export function parseWorkingHours(value: unknown): WorkingHours {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CoreError('INVALID_INPUT', 'workingHours must be an object keyed by weekday (monday … sunday)');
  const hours: WorkingHours = {};
  for (const [day, intervals] of Object.entries(value)) {
    if (!(WEEKDAYS as readonly string[]).includes(day)) throw new CoreError('INVALID_INPUT', `workingHours: ${JSON.stringify(day)} is not a weekday (monday … sunday)`);
    if (!Array.isArray(intervals) || intervals.length > 24) throw new CoreError('INVALID_INPUT', `workingHours.${day} must be a list of at most 24 [start, end] pairs`);
    const checked: Array<[string, string]> = [];
    for (const interval of intervals) {
      if (!Array.isArray(interval) || interval.length !== 2 || !interval.every((t) => typeof t === 'string' && hhmm.test(t)) || interval[0] === '24:00') {
        throw new CoreError('INVALID_INPUT', `workingHours.${day}: each interval is ["HH:MM", "HH:MM"] (00:00 to 24:00), not ${JSON.stringify(interval)}`);
      }
      const [start, end] = interval as [string, string];
      if (minutesOf(end) <= minutesOf(start)) throw new CoreError('INVALID_INPUT', `workingHours.${day}: ${start}-${end} ends before it starts`);
      checked.push([start, end]);
    }
    checked.sort((a, b) => minutesOf(a[0]) - minutesOf(b[0]));
    for (let i = 1; i < checked.length; i++) {
      if (minutesOf(checked[i]![0]) < minutesOf(checked[i - 1]![1])) throw new CoreError('INVALID_INPUT', `workingHours.${day}: ${checked[i - 1]!.join('-')} and ${checked[i]!.join('-')} overlap`);
    }
    if (checked.length > 0) hours[day as Weekday] = checked;
  }
  return hours;
}

/** The weekday of a local date (YYYY-MM-DD). */
function weekdayOf(date: string): Weekday {
  // 1970-01-01 was a Thursday.
  const days = Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY);
  return WEEKDAYS[(((days + 3) % 7) + 7) % 7]!;
}

/** The working intervals that overlap `[from, to)`, as instants, in order. */
export function workingPeriods(rules: Pick<BookingRules, 'timeZone' | 'workingHours'>, from: number, to: number): Period[] {
  const periods: Period[] = [];
  // A day before and after: a zone far from UTC moves a local day across the bounds.
  let date = addDays(instantToLocal(from, rules.timeZone).slice(0, 10), -1);
  const last = addDays(instantToLocal(to, rules.timeZone).slice(0, 10), 1);
  while (date <= last) {
    for (const [start, end] of rules.workingHours[weekdayOf(date)] ?? []) {
      const startAt = localToInstant(`${date}T${start}:00`, rules.timeZone);
      const endAt = end === '24:00' ? localToInstant(`${addDays(date, 1)}T00:00:00`, rules.timeZone) : localToInstant(`${date}T${end}:00`, rules.timeZone);
      if (endAt > from && startAt < to && endAt > startAt) periods.push({ start: startAt, end: endAt });
    }
    date = addDays(date, 1);
  }
  return periods;
}

/** The time a booking of `[start, end)` occupies: widened by the buffers. */
export function occupiedBy(rules: Pick<BookingRules, 'bufferBeforeMinutes' | 'bufferAfterMinutes'>, start: number, end: number): Period {
  return { start: start - rules.bufferBeforeMinutes * MINUTE, end: end + rules.bufferAfterMinutes * MINUTE };
}


const overlaps = (a: Period, b: Period): boolean => a.start < b.end && b.start < a.end;

const busyMessage = 'the resource is busy then (an event of its calendars or another booking, with the buffers)';

/** Sorted, merged busy periods: whether any overlaps `p` (binary search). */
function anyOverlap(busy: readonly Period[], p: Period): boolean {
  let lo = 0;
  let hi = busy.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (busy[mid]!.end <= p.start) lo = mid + 1;
    else hi = mid;
  }
  return lo < busy.length && overlaps(busy[lo]!, p);
}

/**
 * Why `[start, end)` cannot be booked, or null when it can. `busy` is sorted and merged.
 * `busyOnly`: a booking another tool already made (an inbound source) is refused only
 * for overlapping busy time; its hours, notice and horizon were that tool's to apply.
 */
export function whyNotBookable(rules: BookingRules, start: number, end: number, busy: readonly Period[], now: number, options: { busyOnly?: boolean } = {}): { reason: 'outside-hours' | 'too-soon' | 'too-far' | 'busy'; message: string } | null {
  if (options.busyOnly) return anyOverlap(busy, occupiedBy(rules, start, end)) ? { reason: 'busy', message: busyMessage } : null;
  if (start < now + rules.minimumNoticeMinutes * MINUTE) {
    return { reason: 'too-soon', message: `bookings start at least ${rules.minimumNoticeMinutes} minutes from now` };
  }
  if (start >= now + rules.horizonDays * DAY) return { reason: 'too-far', message: `bookings start within ${rules.horizonDays} days from now` };
  if (!workingPeriods(rules, start, end).some((p) => p.start <= start && end <= p.end)) {
    return { reason: 'outside-hours', message: `the time is not within one of the resource's working intervals (${rules.timeZone})` };
  }
  if (anyOverlap(busy, occupiedBy(rules, start, end))) return { reason: 'busy', message: busyMessage };
  return null;
}

/**
 * The starts of the free slots of `durationMinutes` (default the resource's slot length),
 * every `stepMinutes` (default the duration) from each working interval's start, within
 * `[from, to)`. `busy` is sorted and merged.
 */
export function freeSlots(rules: BookingRules, busy: readonly Period[], from: number, to: number, now: number, options: { durationMinutes?: number; stepMinutes?: number; limit?: number } = {}): number[] {
  const duration = (options.durationMinutes ?? rules.slotMinutes) * MINUTE;
  const step = (options.stepMinutes ?? options.durationMinutes ?? rules.slotMinutes) * MINUTE;
  const earliest = Math.max(from, now + rules.minimumNoticeMinutes * MINUTE);
  const latest = Math.min(to, now + rules.horizonDays * DAY);
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const starts: number[] = [];
  for (const period of workingPeriods(rules, from, to)) {
    for (let start = period.start; start + duration <= period.end; start += step) {
      if (start < earliest) continue;
      if (start >= latest || start + duration > to) break;
      if (!anyOverlap(busy, occupiedBy(rules, start, start + duration))) starts.push(start);
      if (starts.length >= limit) return starts;
    }
  }
  return starts;
}

/** A slot offered for several resources, and which of them are free then. */
export interface SharedSlot {
  start: number;
  end: number;
  resourceIds: string[];
}

/**
 * Slots of `durationMinutes` for several resources: `all` where every one is free (a
 * meeting of them all), `any` where at least one is (a pool), with the free ones named.
 * Candidates are each resource's own grid; each candidate is checked against every
 * resource's rules.
 */
export function sharedSlots(
  resources: Array<{ id: string; rules: BookingRules; busy: readonly Period[] }>, mode: 'all' | 'any',
  from: number, to: number, now: number, options: { durationMinutes: number; stepMinutes?: number; limit?: number },
): SharedSlot[] {
  const duration = options.durationMinutes * MINUTE;
  const candidates = new Set<number>();
  for (const r of resources) {
    for (const start of freeSlots(r.rules, r.busy, from, to, now, { durationMinutes: options.durationMinutes, stepMinutes: options.stepMinutes })) candidates.add(start);
  }
  const slots: SharedSlot[] = [];
  for (const start of [...candidates].sort((a, b) => a - b)) {
    const free = resources.filter((r) => whyNotBookable(r.rules, start, start + duration, r.busy, now) === null).map((r) => r.id);
    if (mode === 'all' ? free.length === resources.length : free.length > 0) slots.push({ start, end: start + duration, resourceIds: free });
    if (slots.length >= (options.limit ?? Number.POSITIVE_INFINITY)) break;
  }
  return slots;
}
