// recurrence lines ⇄ Recurrence. Google's `recurrence` is a "List of RRULE, EXRULE,
// RDATE and EXDATE lines for a recurring event, as specified in RFC5545. Note that
// DTSTART and DTEND lines are not allowed in this field" (events reference). RDATE and
// EXDATE values come as dates (`EXDATE;VALUE=DATE:20260309`), UTC times
// (`EXDATE:20260309T090000Z`) or local times with a TZID (`EXDATE;TZID=Europe/Berlin:
// 20260309T100000`), several to a line; the model holds them in the master's start
// terms, so UTC and other-zone values become the master's wall clock (the calendar's,
// for a floating master) and dates in an all-day series stay dates, as in the
// iCalendar reader (ical/times.ts, whose value reader is reused here). EXRULE
// (deprecated by RFC 5545) and RDATE;VALUE=PERIOD have no place in the model: they are
// kept as lines (extras.google.recurrence) and written back, as the iCalendar layer
// keeps them in extras.ical.
import { CoreError } from '../errors.ts';
import type { LocalDateTime, Recurrence } from '../model.ts';
import { checkRrule } from '../validate.ts';
import { contentLine, type ContentLine } from '../ical/lines.ts';
import { rawValue, readTimes, Zones } from '../ical/times.ts';
import { describe } from '../arguments.ts';
import { fail, optionalArray } from './checks.ts';
import { inTerms, type Terms } from './times.ts';

export interface ReadRecurrence {
  recurrence: Recurrence | null;
  /** Lines the model has no place for (EXRULE, RDATE;VALUE=PERIOD). */
  unmodelled: string[];
}

const nameOf = (line: string): string => /^[^;:]*/.exec(line)![0].toUpperCase();

/**
 * The parameters of a line, names lower-cased, quotes removed. Read here rather than
 * with ical.js, which moves VALUE out of the parameters into the value type, where the
 * value reader (ical/times.ts) does not look for it.
 */
function params(text: string, path: string): Record<string, string> {
  const head = text.slice(0, text.length - rawValue(text).length - 1);
  const out: Record<string, string> = {};
  const parts = head.match(/;[^;"]*(?:"[^"]*"[^;"]*)*/g) ?? [];
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq < 0) fail(path, `unreadable parameter "${part.slice(1)}"`, 'INVALID_RECURRENCE');
    out[part.slice(1, eq).toLowerCase()] = part.slice(eq + 1).replace(/^"(.*)"$/, '$1');
  }
  return out;
}

function times(text: string, name: string, p: Record<string, string>, terms: Terms, calendarTimeZone: string, path: string): LocalDateTime[] {
  const line: ContentLine = { line: 0, text, name };
  try {
    return readTimes(line, p, new Zones(new Map())).map((t) =>
      inTerms({ allDay: t.isDate, local: t.local, tz: t.tz ?? terms.tz ?? calendarTimeZone, timeZone: null, instant: null }, terms, calendarTimeZone));
  } catch (e) {
    if (e instanceof CoreError) fail(path, e.message.replace(/ \(at line \d+\)$/, ''), 'INVALID_RECURRENCE');
    throw e;
  }
}

export function readRecurrence(x: unknown, terms: Terms, calendarTimeZone: string): ReadRecurrence {
  const lines = optionalArray(x, 'recurrence') ?? [];
  const rrule: string[] = [];
  const rdate: LocalDateTime[] = [];
  const exdate: LocalDateTime[] = [];
  const unmodelled: string[] = [];
  lines.forEach((raw, i) => {
    const path = `recurrence[${i}]`;
    if (typeof raw !== 'string') fail(path, `expected a line of text, got ${describe(raw)}`, 'INVALID_RECURRENCE');
    const text = raw.trim();
    const name = nameOf(text);
    switch (name) {
      case 'RRULE':
      case 'EXRULE': {
        if (!new RegExp(`^${name}:`, 'i').test(text)) fail(path, `${name} takes no parameters`, 'INVALID_RECURRENCE');
        const rule = rawValue(text).trim();
        const problem = checkRrule(rule);
        if (problem !== null) fail(path, `bad ${name}: ${problem}`, 'INVALID_RECURRENCE');
        if (name === 'RRULE') rrule.push(rule);
        else unmodelled.push(text);
        break;
      }
      case 'RDATE':
      case 'EXDATE': {
        const p = params(text, path);
        if (name === 'RDATE' && p.value?.toUpperCase() === 'PERIOD') {
          unmodelled.push(text);
          break;
        }
        (name === 'RDATE' ? rdate : exdate).push(...times(text, name, p, terms, calendarTimeZone, path));
        break;
      }
      case 'DTSTART':
      case 'DTEND':
        fail(path, `${name} is not allowed in recurrence: start and end say it`, 'INVALID_RECURRENCE');
      default:
        fail(path, `expected an RRULE, EXRULE, RDATE or EXDATE line, got ${describe(raw)}`, 'INVALID_RECURRENCE');
    }
  });
  if (lines.length === 0) return { recurrence: null, unmodelled };
  if (rrule.length === 0 && rdate.length === 0) fail('recurrence', 'a recurrence needs an RRULE or an RDATE', 'INVALID_RECURRENCE');
  return { recurrence: { rrule, rdate, exdate }, unmodelled };
}

const basic = (local: LocalDateTime): string => local.replace(/[-:]/g, '');

function timeLine(name: string, values: LocalDateTime[], terms: Terms, calendarTimeZone: string): string {
  if (terms.allDay) return contentLine(name, { value: 'DATE' }, values.map(basic).join(','));
  const zone = terms.tz ?? calendarTimeZone;
  if (zone === 'UTC') return contentLine(name, {}, values.map((v) => `${basic(v)}Z`).join(','));
  return contentLine(name, { tzid: zone }, values.map(basic).join(','));
}

const same = (a: Recurrence, b: Recurrence): boolean =>
  JSON.stringify([a.rrule, a.rdate, a.exdate]) === JSON.stringify([b.rrule, b.rdate, b.exdate]);

/**
 * The lines for a master's recurrence: the source's own while they still read as the
 * model's recurrence, else RRULE, RDATE and EXDATE lines in the master's terms (one RDATE
 * and one EXDATE line, TZID for a zoned or floating master, `Z` values for UTC, VALUE=DATE
 * for all-day), then the lines the model has no place for.
 */
export function renderRecurrence(recurrence: Recurrence, terms: Terms, calendarTimeZone: string, kept: string[] | undefined): string[] {
  if (kept !== undefined) {
    try {
      const again = readRecurrence(kept, terms, calendarTimeZone);
      if (again.recurrence !== null && same(again.recurrence, recurrence)) return kept;
    } catch {
      // Kept lines that no longer read in these terms are written afresh.
    }
  }
  const unmodelled = (kept ?? []).filter((l) => nameOf(l) === 'EXRULE' || (nameOf(l) === 'RDATE' && /;VALUE=PERIOD[;:]/i.test(l)));
  return [
    ...recurrence.rrule.map((r) => `RRULE:${r}`),
    ...(recurrence.rdate.length > 0 ? [timeLine('RDATE', recurrence.rdate, terms, calendarTimeZone)] : []),
    ...(recurrence.exdate.length > 0 ? [timeLine('EXDATE', recurrence.exdate, terms, calendarTimeZone)] : []),
    ...unmodelled,
  ];
}
