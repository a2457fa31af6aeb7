// Bounded expansion of a series into the instances that overlap a window, for
// availability (free/busy) and range columns. Recurrence is expanded in the master's
// wall-clock time with ical.js (a weekly 10:00 Berlin meeting stays at 10:00 across DST)
// and each instance is then placed in time with Intl.
import ICAL from 'ical.js';
import { describe, objectArgument } from '../arguments.ts';
import { CoreError } from '../errors.ts';
import type { CanonicalEvent, EventSeries, EventTime, LocalDateTime } from '../model.ts';
import { isIanaZone } from '../timezones.ts';
import { isLocalDateTime, validateSeries } from '../validate.ts';
import { vtimezoneRules, type VtimezoneRules } from './custom-zone.ts';
import { icalExtras, type IcalExtras } from './extras.ts';
import { contradicts, explicitRule } from './recur-rules.ts';
import { addDays, fieldsAsUtc, formatLocal, instantToLocal, isoInstant, localToInstant, parseLocal, utcFields } from './zoned.ts';

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
   * rule that needed more than `maxSteps` occurrences to get through the window (a
   * SECONDLY rule, a rule whose dates never fall in it). The instances returned are
   * correct but not all of them; callers that must be exact (booking checks) refuse.
   */
  truncated: boolean;
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
  /** At most this many occurrences walked per rule, window or not (default 200,000). */
  maxSteps?: number;
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

/** Milliseconds of a local time or date: in its own zone, else in `defaultZone`. */
function localInstant(local: LocalDateTime, tz: string | null, defaultZone: string): number {
  return localToInstant(local.includes('T') ? local : `${local}T00:00:00`, tz ?? defaultZone);
}

/**
 * The rules of the custom VTIMEZONE a time was written in (extras.ical.timezone), when
 * they place it: a UTC time converted from it, or a floating time kept under it.
 */
function keptRules(time: EventTime, kept: IcalExtras['timezone'], allDay: boolean): VtimezoneRules | null {
  if (allDay || kept === undefined || (time.tz !== null && time.tz !== 'UTC')) return null;
  return vtimezoneRules(kept.vtimezone);
}

/** Milliseconds of an event time, through the custom VTIMEZONE it came with if any. */
function timeInstant(time: EventTime, kept: IcalExtras['timezone'], allDay: boolean, defaultZone: string): number {
  const rules = keptRules(time, kept, allDay);
  if (rules !== null && time.tz === null) return rules.toInstant(time.local);
  return localInstant(time.local, time.tz, defaultZone);
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

interface Occurrence {
  recurrenceId: LocalDateTime;
  start: number;
  end: number;
}

const toLocal = (t: InstanceType<typeof ICAL.Time>): LocalDateTime => t.toString();

/**
 * The wall clock a master recurs in: its zone's, the calendar's for floating times, or
 * its custom VTIMEZONE's. For a custom zone the model's times are UTC (`converted`), so
 * recurrence ids, RDATEs and EXDATEs are UTC times while the rule runs in the VTIMEZONE's
 * wall clock, as the producing client expands it.
 */
interface Clock {
  at(wallClock: LocalDateTime): number;
  wallClock(ms: number): LocalDateTime;
  converted: boolean;
}

function masterClock(master: CanonicalEvent, defaultZone: string): Clock {
  const rules = keptRules(master.start, icalExtras(master).timezone, master.allDay);
  if (rules !== null) {
    return { at: (l) => rules.toInstant(l), wallClock: (ms) => rules.toLocal(ms), converted: master.start.tz === 'UTC' };
  }
  const zone = master.start.tz ?? defaultZone;
  return { at: (l) => localInstant(l, zone, defaultZone), wallClock: (ms) => instantToLocal(ms, zone), converted: false };
}

function occurrences(master: CanonicalEvent, to: number, options: Required<ExpandOptions>): { list: Occurrence[]; truncated: boolean } {
  const recurrence = master.recurrence!;
  const clock = masterClock(master, options.defaultZone);
  // Recurrence ids, RDATEs and EXDATEs are in the master's terms: UTC for a converted zone.
  const at = (id: LocalDateTime): number => (clock.converted ? fieldsAsUtc(parseLocal(id)) : clock.at(id));
  const idOf = (wallClock: LocalDateTime): LocalDateTime => (clock.converted ? utcLocal(clock.at(wallClock)) : wallClock);
  const startAt = timeInstant(master.start, icalExtras(master).timezone, master.allDay, options.defaultZone);
  const endAt = timeInstant(master.end, icalExtras(master).endTimezone ?? (master.end.tz === null ? icalExtras(master).timezone : undefined), master.allDay, options.defaultZone);
  const duration = master.allDay ? null : endAt - startAt;
  const days = master.allDay ? Math.round((Date.parse(`${master.end.local}T00:00:00Z`) - Date.parse(`${master.start.local}T00:00:00Z`)) / 86_400_000) : 0;
  const occurrence = (id: LocalDateTime): Occurrence => {
    const start = at(id);
    return { recurrenceId: id, start, end: duration === null ? at(addDays(id, days)) : start + duration };
  };

  const wallStart = clock.converted ? clock.wallClock(startAt) : master.start.local;
  const dtstart = master.allDay ? ICAL.Time.fromDateString(master.start.local) : ICAL.Time.fromDateTimeString(wallStart);
  const found = new Map<LocalDateTime, Occurrence>();
  let truncated = false;
  for (const rule of recurrence.rrule) {
    let recur: InstanceType<typeof ICAL.Recur>;
    try {
      recur = explicitRule(localUntil(rule, clock, master.allDay), wallStart);
    } catch (e) {
      throw new CoreError('INVALID_RECURRENCE', `cannot expand RRULE "${rule}": ${String(e)}`, 'recurrence.rrule');
    }
    const iterator = recur.iterator(dtstart);
    for (let step = 0; ; step++) {
      if (step >= options.maxSteps) {
        truncated = true;
        break;
      }
      const next = iterator.next();
      if (!next) break;
      if (contradicts(recur, next)) continue;
      const o = occurrence(idOf(toLocal(next)));
      if (o.start >= to) break;
      found.set(o.recurrenceId, o);
    }
  }
  // DTSTART is the first instance of every recurrence set (RFC 5545 §3.8.5.3); the rule
  // iterator yields it, a set of RDATEs alone (Lotus Notes) does not.
  if (recurrence.rrule.length === 0) found.set(master.start.local, occurrence(master.start.local));
  for (const local of recurrence.rdate) found.set(local, occurrence(local));
  for (const local of recurrence.exdate) found.delete(local);
  return { list: [...found.values()], truncated };
}

/**
 * RFC 5545: with a zoned DTSTART, UNTIL is a UTC time. ical.js iterates wall-clock
 * times here, so UNTIL is moved into the same wall clock before iterating.
 */
function localUntil(rule: string, clock: Clock, allDay: boolean): string {
  return rule.replace(/UNTIL=(\d{8})T(\d{6})Z/i, (_, date: string, time: string) => {
    const utc = `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6)}T${time.slice(0, 2)}:${time.slice(2, 4)}:${time.slice(4)}Z`;
    const local = clock.wallClock(Date.parse(utc));
    const basic = local.replace(/[-:]/g, '');
    return `UNTIL=${allDay ? basic.slice(0, 8) : basic}`;
  });
}

const overlaps = (start: number, end: number, from: number, to: number): boolean =>
  start < to && (end > from || (end === start && start >= from));

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
  const opts: Required<ExpandOptions> = {
    from: options.from,
    to: options.to,
    defaultZone: zoneArg(options.defaultZone),
    limit: countArg(options.limit ?? 5_000, 'limit'),
    maxSteps: countArg(options.maxSteps ?? 200_000, 'maxSteps'),
  };
  const { master } = series;
  const overridden = new Set(series.overrides.map((o) => o.recurrenceId!));
  const found: Instance[] = [];
  let truncated = false;

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
      const expanded = occurrences(master, to, opts);
      truncated = expanded.truncated;
      for (const o of expanded.list) if (!overridden.has(o.recurrenceId)) instance(o.recurrenceId, o.start, o.end, master);
    }
  }
  if (master === null || master.status !== 'cancelled') {
    for (const o of series.overrides) if (o.status !== 'cancelled') instance(o.recurrenceId, ...placed(o), o);
  }
  found.sort((a, b) => a.start.localeCompare(b.start) || (a.recurrenceId ?? '').localeCompare(b.recurrenceId ?? ''));
  if (found.length > opts.limit) return { instances: found.slice(0, opts.limit), truncated: true };
  return { instances: found, truncated };
}
