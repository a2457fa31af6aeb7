// Deletion safety (ARCHITECTURE.md "Deletion safety"): a side that had items and lists
// none does not wipe its peers; a pass that would delete more than a share of the
// calendar pauses for confirmation; deletes are tombstones; absence outside the sync
// window is not deletion. Pure: the clock is an input.
import { countArgument, describe, isPlainObject, objectArgument, oneOfArgument, stringArgument } from './arguments.ts';
import { CoreError } from './errors.ts';
import type { EventSeries, LocalDateTime } from './model.ts';
import { normaliseLocal, normaliseSeries } from './normalise.ts';
import { SIDES, type Side } from './policy.ts';
import { isLocalDateTime } from './validate.ts';

export interface SafetySettings {
  /** Share of the calendar (0..1) one pass may delete without confirmation. */
  maxDeleteShare: number;
  /** Deletions always allowed per pass, so a small calendar can still lose an event. */
  deleteAllowance: number;
  /** An operator confirmed this pass's wipe (a side listing nothing). */
  confirmWipe: boolean;
  /** An operator confirmed this pass's deletions beyond the budget. */
  confirmDeletions: boolean;
  /** Days a tombstone is kept (the app API promises 30). */
  tombstoneDays: number;
}

export const defaultSafety: SafetySettings = Object.freeze({
  // A quarter: more than any routine cleanup we have seen, less than a cleared calendar.
  maxDeleteShare: 0.25,
  deleteAllowance: 5,
  confirmWipe: false,
  confirmDeletions: false,
  tombstoneDays: 30,
});

/** Why a pass stopped before changing anything; the operator confirms or the pass stays paused. */
export type SafetyStop =
  | { kind: 'wipe'; side: Side; known: number; message: string }
  | { kind: 'deletion-budget'; deletes: number; limit: number; message: string };

export interface SyncWindow {
  /** Local date or date-time bounds; items wholly outside are absent, not deleted. */
  start: LocalDateTime;
  end: LocalDateTime;
}

export function parseSafety(input: Partial<SafetySettings> | null | undefined): SafetySettings {
  if (input != null && !isPlainObject(input)) throw new CoreError('INVALID_INPUT', 'safety settings must be an object', 'safety');
  for (const key of Object.keys(input ?? {})) {
    if (!Object.hasOwn(defaultSafety, key)) throw new CoreError('INVALID_INPUT', `unknown safety setting ${JSON.stringify(key)}`, `safety.${key}`);
  }
  const settings = { ...defaultSafety, ...(input ?? {}) };
  if (!(typeof settings.maxDeleteShare === 'number' && settings.maxDeleteShare >= 0 && settings.maxDeleteShare <= 1)) {
    throw new CoreError('INVALID_INPUT', 'maxDeleteShare must be between 0 and 1', 'safety.maxDeleteShare');
  }
  for (const key of ['deleteAllowance', 'tombstoneDays'] as const) {
    if (!Number.isInteger(settings[key]) || settings[key] < 0) {
      throw new CoreError('INVALID_INPUT', `${key} must be a whole number ≥ 0`, `safety.${key}`);
    }
  }
  for (const key of ['confirmWipe', 'confirmDeletions'] as const) {
    if (typeof settings[key] !== 'boolean') throw new CoreError('INVALID_INPUT', `${key} must be true or false`, `safety.${key}`);
  }
  return settings;
}

/**
 * The wipe brake: `known` items both sides agreed on were synced with `side`, which now
 * lists none. A side of at most `deleteAllowance` items may empty itself unasked: the
 * deletion budget lets any pass delete that many, and a person deleting the last few
 * events of a calendar must not stop its binding.
 */
export function wipeBrake(side: Side, known: number, listed: number, settings: SafetySettings): SafetyStop | null {
  oneOfArgument(side, SIDES, 'side');
  countArgument(known, 'known');
  countArgument(listed, 'listed');
  const safety = parseSafety(objectArgument(settings, 'safety'));
  if (known <= safety.deleteAllowance || listed > 0 || safety.confirmWipe) return null;
  return {
    kind: 'wipe', side, known,
    message: `the ${side} side had ${known} synced item(s) and now lists none; confirm to mirror the wipe`,
  };
}

/** The deletion budget of one pass over a calendar of `calendarSize` events. */
export function deletionBudget(deletes: number, calendarSize: number, settings: SafetySettings): SafetyStop | null {
  countArgument(deletes, 'deletes');
  countArgument(calendarSize, 'calendarSize');
  const safety = parseSafety(objectArgument(settings, 'safety'));
  const limit = Math.max(safety.deleteAllowance, Math.floor(safety.maxDeleteShare * calendarSize));
  if (deletes <= limit || safety.confirmDeletions) return null;
  return {
    kind: 'deletion-budget', deletes, limit,
    message: `the pass would delete ${deletes} item(s), more than the ${limit} allowed for ${calendarSize}; confirm to go on`,
  };
}

/** A sync window: two local dates or times (model.ts), the end not before the start. */
export function checkWindow(window: unknown, path: string): SyncWindow {
  const w = objectArgument(window, path);
  for (const key of ['start', 'end'] as const) {
    const local = w[key];
    if (!isLocalDateTime(local, true) && !isLocalDateTime(local, false)) {
      throw new CoreError('INVALID_INPUT', `expected a local date or time, got ${describe(local)}`, `${path}.${key}`);
    }
  }
  if ((w.end as string) < (w.start as string)) throw new CoreError('INVALID_INPUT', 'the window ends before it starts', `${path}.end`);
  return w as unknown as SyncWindow;
}

/**
 * Whether a series lies wholly outside the window, so that a windowed listing (Graph
 * calendarView delta, a CalDAV time-range query) not showing it means nothing. Local
 * times are compared with a day of slack each side, which covers every zone offset.
 * A series without an end (RRULE without COUNT/UNTIL) is inside once it has started.
 */
export function isOutsideWindow(seriesIn: EventSeries, window: SyncWindow): boolean {
  checkWindow(window, 'window');
  const series = normaliseSeries(seriesIn);
  const event = series.master ?? series.overrides[0];
  if (!event) return false;
  const start = dayOf(window.start, -1);
  const end = dayOf(window.end, 1);
  const first = dayOf(event.start.local, 0);
  if (first > end) return true;
  if (event.recurrence) {
    const until = seriesEnd(event.recurrence.rrule);
    return until !== null && until < start && series.overrides.every((o) => dayOf(o.end.local, 0) < start);
  }
  return dayOf(event.end.local, 0) < start && series.overrides.every((o) => dayOf(o.end.local, 0) < start);
}

function seriesEnd(rrules: string[]): string | null {
  let last: string | null = null;
  for (const rule of rrules) {
    const until = /UNTIL=(\d{8})/i.exec(rule);
    if (!until) return null;
    const day = dayOf(until[1]!, 0);
    if (last === null || day > last) last = day;
  }
  return last;
}

function dayOf(local: LocalDateTime, shiftDays: number): string {
  const date = normaliseLocal(local, true, 'window');
  if (shiftDays === 0) return date;
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + shiftDays);
  return d.toISOString().slice(0, 10);
}

/**
 * A binding's sync window on `today` (a date): its stored form is absolute dates
 * (`{start, end}`) or days around today (`{pastDays, futureDays}`, a window that moves).
 * Null (no window) for null. Throws INVALID_INPUT for anything else.
 */
export function resolveWindow(spec: unknown, today: LocalDateTime): SyncWindow | null {
  if (spec == null) return null;
  const w = objectArgument(spec, 'syncWindow');
  if ('pastDays' in w || 'futureDays' in w) {
    for (const key of ['pastDays', 'futureDays'] as const) {
      if (!Number.isInteger(w[key]) || (w[key] as number) < 0 || (w[key] as number) > 36_500) {
        throw new CoreError('INVALID_INPUT', `${key} must be a whole number of days from 0 to 36500`, `syncWindow.${key}`);
      }
    }
    return { start: dayOf(today, -(w.pastDays as number)), end: dayOf(today, w.futureDays as number) };
  }
  return checkWindow(w, 'syncWindow');
}

/** Whether a tombstone deleted at `deletedAt` may be purged at `now` (ISO instants). */
export function tombstoneExpired(deletedAt: string, now: string, settings: SafetySettings = defaultSafety): boolean {
  const { tombstoneDays } = parseSafety(objectArgument(settings, 'safety'));
  const age = Date.parse(stringArgument(now, 'now')) - Date.parse(stringArgument(deletedAt, 'deletedAt'));
  if (!Number.isFinite(age)) throw new CoreError('INVALID_INPUT', 'deletedAt and now must be ISO instants', 'tombstone.deletedAt');
  return age > tombstoneDays * 86_400_000;
}
