// Bounded expansion of a recurring event's `recurrence` lines ("list of RRULE, EXRULE,
// RDATE and EXDATE lines for a recurring event, as specified in RFC5545"), for
// events.instances, singleEvents=true and time-window filters. Rules are walked in the
// master's wall clock in its `timeZone`, then each occurrence is placed in time, so a
// weekly 10:00 Berlin meeting stays at 10:00 across DST. Written apart from calsync's own
// expansion (src/core/ical/expand.ts) so a bug there is not mirrored here; only the rule
// walk is shared (src/core/rrule), because ical.js, used before, never returns from some
// rules (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30) and would hang the emulator with them.
import ICAL from 'ical.js';
import type { GoogleEvent, GoogleEventDateTime } from '../../src/core/google/types.ts';
import { instanceId } from '../../src/core/google/ids.ts';
import { Budget } from '../../src/core/rrule/budget.ts';
import { RuleIterator } from '../../src/core/rrule/iterator.ts';
import { parseRule, RuleError, type Rule } from '../../src/core/rrule/parse.ts';
import { googleErrors } from './errors.ts';
import { addDaysToDate, formatDateTime, instantToLocal, localToInstant, readMoment } from './times.ts';

export interface Occurrence {
  id: string;
  /** As Google gives it on the instance: `{date}` or `{dateTime, timeZone}`. */
  originalStartTime: GoogleEventDateTime;
  start: GoogleEventDateTime;
  end: GoogleEventDateTime;
  startMs: number;
  endMs: number;
}

export interface Window {
  from: number;
  to: number;
}

const LINE = /^(RRULE|EXRULE|RDATE|EXDATE)([;:])/i;
const FREQS = new Set(['SECONDLY', 'MINUTELY', 'HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY']);
/** Steps of the rule walk per expansion at most (days looked at, occurrences walked). */
const MAX_STEPS = 200_000;

/** The lines of a request's `recurrence`, checked; a bad one is 400 as Google answers. */
export function checkRecurrence(lines: unknown): string[] {
  if (!Array.isArray(lines)) throw googleErrors.invalid('Invalid recurrence rule.');
  for (const line of lines) {
    if (typeof line !== 'string' || !LINE.test(line)) throw googleErrors.invalid('Invalid recurrence rule.');
    if (/^(RRULE|EXRULE):/i.test(line)) {
      try {
        const recur = ICAL.Recur.fromString(line.slice(line.indexOf(':') + 1));
        if (!FREQS.has(String(recur.freq))) throw new Error('no FREQ');
      } catch {
        throw googleErrors.invalid('Invalid recurrence rule.');
      }
    }
  }
  return lines as string[];
}

interface Terms {
  allDay: boolean;
  zone: string;
  /** Wall clock of the master's start: yyyy-mm-ddThh:mm:ss, or yyyy-mm-dd when all-day. */
  local: string;
  timeOfDay: string;
}

/** RFC 5545: with a zoned DTSTART, UNTIL is UTC; rules run in wall clocks, so move UNTIL there. */
function localUntil(rule: string, terms: Terms): string {
  return rule.replace(/UNTIL=(\d{8})T(\d{6})Z/i, (_, d: string, t: string) => {
    const utc = Date.parse(`${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}T${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4)}Z`);
    const basic = instantToLocal(utc, terms.zone).replace(/[-:]/g, '');
    return `UNTIL=${terms.allDay ? basic.slice(0, 8) : basic}`;
  });
}

/** The wall clocks (or dates) an RDATE or EXDATE line names, in the master's terms. */
function dateValues(line: string, terms: Terms): string[] {
  const colon = line.indexOf(':');
  const params = line.slice(0, colon).split(';').slice(1);
  const tzid = params.find((p) => /^TZID=/i.test(p))?.slice(5);
  return line.slice(colon + 1).split(',').map((raw) => {
    const value = raw.split('/')[0]!.trim();
    const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z)?)?$/i.exec(value);
    if (m === null) throw googleErrors.invalid('Invalid recurrence rule.');
    const date = `${m[1]}-${m[2]}-${m[3]}`;
    if (m[4] === undefined) return terms.allDay ? date : `${date}T${terms.timeOfDay}`;
    const local = `${date}T${m[4]}:${m[5]}:${m[6]}`;
    const ms = m[7] ? Date.parse(`${local}Z`) : localToInstant(local, tzid ?? terms.zone);
    const inZone = instantToLocal(ms, terms.zone);
    return terms.allDay ? inZone.slice(0, 10) : inZone;
  });
}

/**
 * The occurrences of a master that overlap `window`, sorted by start, at most `limit`.
 * `truncated` says more were left out (the limit, or a rule that needed too many steps).
 */
export function expand(master: GoogleEvent, calendarZone: string, window: Window, limit: number): { occurrences: Occurrence[]; truncated: boolean } {
  const start = readMoment(master.start, 'start', calendarZone);
  const end = readMoment(master.end, 'end', calendarZone);
  const terms: Terms = start.allDay
    ? { allDay: true, zone: calendarZone, local: start.date!, timeOfDay: '00:00:00' }
    : { allDay: false, zone: start.zone, local: instantToLocal(start.ms, start.zone), timeOfDay: instantToLocal(start.ms, start.zone).slice(11) };
  const days = start.allDay ? Math.round((Date.parse(`${end.date}T00:00:00Z`) - Date.parse(`${start.date}T00:00:00Z`)) / 86_400_000) : 0;
  const duration = end.ms - start.ms;
  const endZone = end.zone;

  const occurrence = (local: string): Occurrence => {
    if (terms.allDay) {
      const startMs = localToInstant(`${local}T00:00:00`, calendarZone);
      const endDate = addDaysToDate(local, days);
      return {
        id: instanceId(master.id!, { date: local }, calendarZone), originalStartTime: { date: local },
        start: { date: local }, end: { date: endDate }, startMs, endMs: localToInstant(`${endDate}T00:00:00`, calendarZone),
      };
    }
    const startMs = localToInstant(local, terms.zone);
    const original = { dateTime: formatDateTime(startMs, terms.zone), timeZone: terms.zone };
    return {
      id: instanceId(master.id!, original, calendarZone), originalStartTime: original,
      start: original, end: { dateTime: formatDateTime(startMs + duration, endZone), timeZone: endZone },
      startMs, endMs: startMs + duration,
    };
  };

  const found = new Map<string, Occurrence>();
  let truncated = false;
  const lines = master.recurrence ?? [];
  // RFC 5545 §3.8.5.3: DTSTART is always the first instance of the recurrence set.
  const first = occurrence(terms.local);
  if (first.startMs < window.to && first.endMs > window.from) found.set(first.id, first);
  const budget = new Budget({ steps: MAX_STEPS });
  const wall = (local: string): number => Date.parse(`${terms.allDay ? `${local}T00:00:00` : local}Z`) / 1000;
  const ruleStart = { seconds: wall(terms.local), allDay: terms.allDay };
  // Occurrences start in the window at the earliest a day and a duration before it.
  const from = Number.isFinite(window.from) ? wall(instantToLocal(window.from - duration - 86_400_000, terms.zone)) : undefined;
  for (const line of lines.filter((l) => /^RRULE:/i.test(l))) {
    let rule: Rule;
    try {
      rule = parseRule(localUntil(line.slice(6), terms));
    } catch (e) {
      if (!(e instanceof RuleError)) throw e;
      truncated = true;
      continue;
    }
    const iterator = new RuleIterator(rule, ruleStart, budget, from);
    for (;;) {
      const next = iterator.next();
      if (next === null) {
        truncated ||= iterator.exhausted;
        break;
      }
      const local = new Date(next * 1000).toISOString().slice(0, 19);
      const o = occurrence(terms.allDay ? local.slice(0, 10) : local);
      if (o.startMs >= window.to) break;
      if (o.endMs > window.from || (o.endMs === o.startMs && o.startMs >= window.from)) found.set(o.id, o);
      if (found.size > limit) {
        truncated = true;
        break;
      }
    }
  }
  for (const line of lines.filter((l) => /^RDATE[;:]/i.test(l))) {
    for (const local of dateValues(line, terms)) {
      const o = occurrence(local);
      if (o.startMs < window.to && o.endMs > window.from) found.set(o.id, o);
    }
  }
  for (const line of lines.filter((l) => /^EXDATE[;:]/i.test(l))) {
    for (const local of dateValues(line, terms)) found.delete(occurrence(local).id);
  }
  const occurrences = [...found.values()].sort((a, b) => a.startMs - b.startMs);
  if (occurrences.length > limit) return { occurrences: occurrences.slice(0, limit), truncated: true };
  return { occurrences, truncated };
}
