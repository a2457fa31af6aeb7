// Bounded expansion of a series into the instances that overlap a window, for
// availability (free/busy), listings and range columns. Rules run in the master's
// wall-clock time (a weekly 10:00 Berlin meeting stays at 10:00 across DST) with
// src/core/rrule, and each instance is then placed in time with Intl. Expansion is
// bounded by work (steps) and, when the caller injects a clock, by time: a rule that
// cannot reach the window within them answers what it found, flagged `truncated`.
import { describe, objectArgument } from '../arguments.ts';
import { CoreError } from '../errors.ts';
import type { CanonicalEvent, EventSeries, EventTime, LocalDateTime } from '../model.ts';
import { Budget } from '../rrule/budget.ts';
import { RuleIterator } from '../rrule/iterator.ts';
import { RuleError } from '../rrule/parse.ts';
import { isIanaZone } from '../timezones.ts';
import { isLocalDateTime, validateSeries } from '../validate.ts';
import { icalExtras } from './extras.ts';
import { localInstant, ruleTerms, timeInstant, wallSeconds } from './rule-terms.ts';
import { addDays, fieldsAsUtc, formatLocal, isoInstant, parseLocal, utcFields } from './zoned.ts';

export interface Instance {
  /** The instance's original start in the master's start terms (the override key); null for a single event. */
  recurrenceId: LocalDateTime | null;
  /** UTC ISO instants; the end is exclusive. */
  start: string;
  end: string;
  /** What the instance shows: the master (or single), or the override that replaces it. */
  event: CanonicalEvent;
}

export interface Expansion {
  instances: Instance[];
  /**
   * True when expansion stopped early: more than `limit` instances in the window, or a
   * rule whose walk through the window needed more than `maxSteps` steps or `maxMs`
   * (a SECONDLY rule, a rule whose dates are far apart or never come). The instances
   * returned are correct but not all of them; callers that must be exact refuse.
   */
  truncated: boolean;
  /**
   * Why it stopped early: too many instances, too much work, or a stored rule calsync
   * cannot read (it adds no instance); null when complete.
   */
  cause: 'instances' | 'work' | 'rule' | null;
}

export interface ExpandOptions {
  /** Window `[from, to)` as ISO instants. */
  from: string;
  to: string;
  /**
   * The zone that all-day dates and floating times are read in (the calendar's zone),
   * and times kept under a custom VTIMEZONE no IANA zone matched (their tz is null).
   */
  defaultZone: string;
  /** At most this many instances (default 5,000: ten years of a daily event plus slack). */
  limit?: number;
  /**
   * At most this many steps for the whole series (default 200,000, some 20 ms): a step
   * is one day looked at or one occurrence walked, window or not.
   */
  maxSteps?: number;
  /** At most this many milliseconds by `clock` (default 50). */
  maxMs?: number;
  /** Milliseconds from a fixed point (e.g. performance.now); without it only steps bound the work. */
  clock?: () => number;
}

function invalidInput(message: string, path: string): never {
  throw new CoreError('INVALID_INPUT', message, path);
}

function instantArg(iso: unknown, path: string): number {
  const ms = typeof iso === 'string' ? Date.parse(iso) : Number.NaN;
  if (typeof iso !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(iso) || Number.isNaN(ms)) {
    invalidInput(`expected an ISO instant like 2025-01-02T10:00:00Z, got ${describe(iso)}`, path);
  }
  return ms;
}

function countArg(n: unknown, path: string): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) invalidInput(`expected a whole number ≥ 1, got ${describe(n)}`, path);
  return n;
}

function zoneArg(zone: unknown): string {
  if (typeof zone !== 'string' || !isIanaZone(zone)) throw new CoreError('UNKNOWN_TIME_ZONE', `unknown IANA time zone ${describe(zone)}`, 'defaultZone');
  return zone;
}

const utcLocal = (ms: number): LocalDateTime => formatLocal(utcFields(ms));

/**
 * The instant of an event time as a UTC ISO string. All-day dates start at midnight
 * and floating times are read in `defaultZone`, the zone the calendar is shown in.
 */
export function eventTimeInstant(time: EventTime, defaultZone: string): string {
  const { local, tz } = objectArgument(time, 'time');
  if (!isLocalDateTime(local, true) && !isLocalDateTime(local, false)) invalidInput(`expected a local date or time, got ${describe(local)}`, 'time.local');
  if (tz !== null && !isIanaZone(tz as string)) throw new CoreError('UNKNOWN_TIME_ZONE', `unknown IANA time zone ${describe(tz)}`, 'time.tz');
  return isoInstant(localInstant(local, tz as string | null, zoneArg(defaultZone)));
}

const overlaps = (start: number, end: number, from: number, to: number): boolean =>
  start < to && (end > from || (end === start && start >= from));

interface Occurrence {
  recurrenceId: LocalDateTime;
  start: number;
  end: number;
}

type Options = Required<Omit<ExpandOptions, 'clock'>> & Pick<ExpandOptions, 'clock'>;

const DAY_MS = 86_400_000;
const DAY_SECONDS = 86_400;

function occurrences(master: CanonicalEvent, from: number, to: number, cap: number, options: Options, budget: Budget): { list: Occurrence[]; cause: Expansion['cause'] } {
  const recurrence = master.recurrence!;
  const terms = ruleTerms(master, options.defaultZone);
  const { clock } = terms;
  // Recurrence ids, RDATEs and EXDATEs are in the master's terms: UTC for a converted zone.
  const at = (id: LocalDateTime): number => (clock.converted ? fieldsAsUtc(parseLocal(id)) : clock.at(id));
  const idOf = (wallClock: LocalDateTime): LocalDateTime => (clock.converted ? utcLocal(clock.at(wallClock)) : wallClock);
  const startAt = timeInstant(master.start, icalExtras(master).timezone, master.allDay, options.defaultZone);
  const endAt = timeInstant(master.end, icalExtras(master).endTimezone ?? (master.end.tz === null ? icalExtras(master).timezone : undefined), master.allDay, options.defaultZone);
  const duration = master.allDay ? null : endAt - startAt;
  const days = master.allDay ? Math.round((Date.parse(`${master.end.local}T00:00:00Z`) - Date.parse(`${master.start.local}T00:00:00Z`)) / DAY_MS) : 0;
  const occurrence = (id: LocalDateTime): Occurrence => {
    const start = at(id);
    return { recurrenceId: id, start, end: duration === null ? at(addDays(id, days)) : start + duration };
  };
  // Rules may begin near the window: an instance that overlaps it starts at most its
  // length before it. Occurrences outside these wall-clock bounds are passed over
  // without placing them in time (a SECONDLY rule walks thousands); near a transition
  // the bound leaves room for the wall clock running back (two hours at most in IANA
  // zones, Antarctica/Troll; a custom VTIMEZONE may say anything under a day).
  const length = duration ?? days * DAY_MS;
  const wallAt = (ms: number, direction: number): number => {
    const steady = [ms - DAY_MS, ms + DAY_MS].every((t) => clock.offsetAt(t) === clock.offsetAt(ms));
    return wallSeconds(clock.wallClock(ms)) + direction * (steady ? 0 : clock.custom ? DAY_SECONDS : 3 * 3600);
  };
  const lowWall = wallAt(from - length, -1);
  const highWall = wallAt(to, 1);
  const placeWall = (wall: number): Occurrence => {
    const local = formatLocal(utcFields(wall * 1000));
    if (clock.converted || master.allDay) return occurrence(idOf(master.allDay ? local.slice(0, 10) : local));
    const start = clock.atWall(wall);
    return { recurrenceId: local, start, end: start + duration! };
  };

  const found = new Map<LocalDateTime, Occurrence>();
  let cause: Expansion['cause'] = null;
  for (const text of recurrence.rrule) {
    let iterator: RuleIterator;
    try {
      iterator = new RuleIterator(terms.rule(text), terms.start, budget, lowWall);
    } catch (e) {
      // A rule stored before calsync refused such rules (COUNT=0, UNTIL=20250230)
      // adds nothing: the series is answered without it, flagged.
      if (!(e instanceof RuleError)) throw e;
      cause ??= 'rule';
      continue;
    }
    let inWindow = 0;
    for (;;) {
      const next = iterator.next();
      if (next === null) {
        if (iterator.exhausted) cause = 'work';
        break;
      }
      if (next < lowWall) continue;
      if (next > highWall) break;
      const o = placeWall(next);
      if (o.start >= to) break;
      found.set(o.recurrenceId, o);
      // The first `cap` instances of each rule in the window are all the answer can hold.
      if (overlaps(o.start, o.end, from, to) && ++inWindow >= cap) {
        cause ??= 'instances';
        break;
      }
    }
    if (cause === 'work') break;
  }
  // DTSTART is the first instance of every recurrence set (RFC 5545 §3.8.5.3); the rule
  // iterator yields it, a set of RDATEs alone (Lotus Notes) does not.
  if (recurrence.rrule.length === 0) found.set(master.start.local, occurrence(master.start.local));
  for (const local of recurrence.rdate) found.set(local, occurrence(local));
  for (const local of recurrence.exdate) found.delete(local);
  return { list: [...found.values()], cause };
}

/**
 * The instances of a series overlapping `[from, to)`, sorted by start: EXDATEs removed,
 * RDATEs added, overrides in place of the instances they replace, cancelled overrides
 * (and every instance of a cancelled master) left out. An override counts where it now
 * is, so one moved into the window appears and one moved out does not.
 */
export function expandSeries(series: EventSeries, options: ExpandOptions): Expansion {
  validateSeries(series);
  if (typeof options !== 'object' || options === null) invalidInput('expand options are required', 'options');
  const from = instantArg(options.from, 'from');
  const to = instantArg(options.to, 'to');
  if (to <= from) invalidInput('the window must end after it starts', 'to');
  const opts: Options = {
    from: options.from,
    to: options.to,
    defaultZone: zoneArg(options.defaultZone),
    limit: countArg(options.limit ?? 5_000, 'limit'),
    maxSteps: countArg(options.maxSteps ?? 200_000, 'maxSteps'),
    maxMs: countArg(options.maxMs ?? 50, 'maxMs'),
    clock: options.clock,
  };
  if (opts.clock !== undefined && typeof opts.clock !== 'function') invalidInput('clock must be a function returning milliseconds', 'clock');
  const { master } = series;
  const overridden = new Set(series.overrides.map((o) => o.recurrenceId!));
  const found: Instance[] = [];
  let cause: Expansion['cause'] = null;

  const instance = (recurrenceId: LocalDateTime | null, start: number, end: number, event: CanonicalEvent): void => {
    if (overlaps(start, end, from, to)) found.push({ recurrenceId, start: isoInstant(start), end: isoInstant(end), event });
  };
  const placed = (e: CanonicalEvent): [number, number] => {
    const x = icalExtras(e);
    return [
      timeInstant(e.start, x.timezone, e.allDay, opts.defaultZone),
      timeInstant(e.end, x.endTimezone ?? (e.end.tz === null ? x.timezone : undefined), e.allDay, opts.defaultZone),
    ];
  };

  if (master !== null && master.status !== 'cancelled') {
    if (master.recurrence === null) {
      instance(null, ...placed(master), master);
    } else {
      const budget = new Budget({ steps: opts.maxSteps, ms: opts.maxMs, ...(opts.clock ? { clock: opts.clock } : {}) });
      // Each rule's first instances in the window that can still be in the answer once
      // EXDATEs and overrides took theirs.
      const cap = opts.limit + master.recurrence.exdate.length + series.overrides.length + 1;
      const expanded = occurrences(master, from, to, cap, opts, budget);
      cause = expanded.cause;
      for (const o of expanded.list) if (!overridden.has(o.recurrenceId)) instance(o.recurrenceId, o.start, o.end, master);
    }
  }
  if (master === null || master.status !== 'cancelled') {
    for (const o of series.overrides) if (o.status !== 'cancelled') instance(o.recurrenceId, ...placed(o), o);
  }
  found.sort((a, b) => a.start.localeCompare(b.start) || (a.recurrenceId ?? '').localeCompare(b.recurrenceId ?? ''));
  if (found.length > opts.limit) return { instances: found.slice(0, opts.limit), truncated: true, cause: cause ?? 'instances' };
  return { instances: found, truncated: cause !== null, cause };
}
