// iCalendar text → canonical series: one EventSeries per UID (master plus RECURRENCE-ID
// overrides), recurrence ids, EXDATEs and RDATEs in the master's start terms. Broken
// input throws CoreError('INVALID_ICALENDAR') naming the line; nothing is skipped.
import { describe } from '../arguments.ts';
import { CoreError } from '../errors.ts';
import type { CalsyncId, CanonicalEvent, EventSeries } from '../model.ts';
import { validateSeries } from '../validate.ts';
import { recurrenceProblem } from './recurrence-check.ts';
import { icalExtras, type IcalExtras } from './extras.ts';
import { components, componentText, unescapeText, type RawComponent } from './lines.ts';
import { inTerms, rawValue, Zones, type Terms } from './times.ts';
import { readVevent, type ReadEvent } from './vevent.ts';
import { fieldsAsUtc, instantToLocal, localToInstant, parseLocal } from './zoned.ts';

export interface ParsedSeries extends EventSeries {
  /** The X-CALSYNC-ID calsync stamped on the item, from the master (else the first override). */
  calsyncId: CalsyncId | null;
}

export interface ParsedCalendar {
  series: ParsedSeries[];
  /** Calendar properties besides VERSION and PRODID (METHOD, X-WR-CALNAME…), unfolded. */
  properties: string[];
  /** Top-level components other than VEVENT and VTIMEZONE (VTODO, VJOURNAL…), as text. */
  components: string[];
}

function invalid(message: string, line: number): never {
  throw new CoreError('INVALID_ICALENDAR', message, `line ${line}`);
}

/**
 * PRODID names the writing software and every server writes its own (Google exports
 * `-//Google Inc//Google Calendar 70.9054//EN`); VERSION is always 2.0. Neither is kept.
 */
const REWRITTEN_CALENDAR_PROPS = new Set(['PRODID', 'VERSION']);

export function parseCalendar(input: string | Uint8Array): ParsedCalendar {
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) {
    throw new CoreError('INVALID_INPUT', `expected iCalendar text or bytes, got ${describe(input)}`, 'input');
  }
  const roots = components(input);
  const result: ParsedCalendar = { series: [], properties: [], components: [] };
  const groups = new Map<string, ReadEvent[]>();
  const source: Source = { properties: result.properties, vtimezones: new Map() };
  for (const root of roots) {
    if (root.name !== 'VCALENDAR') invalid(`expected BEGIN:VCALENDAR, got BEGIN:${root.name}`, root.line);
    result.properties.push(...root.properties.filter((p) => !REWRITTEN_CALENDAR_PROPS.has(p.name)).map((p) => p.text));
    const texts = vtimezones(root);
    for (const [tzid, text] of texts.exact) if (!source.vtimezones.has(tzid)) source.vtimezones.set(tzid, text);
    const zones = new Zones(texts.trimmed, calendarZone(root), 'floating', firstYears(root));
    for (const c of root.components) {
      if (c.name === 'VTIMEZONE') continue;
      if (c.name !== 'VEVENT') {
        result.components.push(componentText(c));
        continue;
      }
      const read = readVevent(c, zones);
      const group = groups.get(read.event.uid);
      if (group === undefined) groups.set(read.event.uid, [read]);
      else group.push(read);
    }
  }
  for (const [uid, group] of groups) result.series.push(withSource(toSeries(uid, group), source));
  return result;
}

/** What the calendar around the VEVENTs held, for the series to keep (extras.ts). */
interface Source {
  properties: string[];
  /** VTIMEZONE text by TZID exactly as written, the first of each. */
  vtimezones: Map<string, string>;
}

const TZID_PARAM = /;TZID=("[^"]*"|[^;:]*)/i;

/** The earliest year of a date-time written in each TZID (trimmed), over every VEVENT. */
function firstYears(calendar: RawComponent): Map<string, number> {
  const years = new Map<string, number>();
  for (const c of calendar.components) {
    if (c.name !== 'VEVENT') continue;
    for (const p of c.properties) {
      const tzid = TZID_PARAM.exec(p.text.slice(0, p.text.length - rawValue(p.text).length));
      if (tzid === null) continue;
      const name = tzid[1]!.replace(/^"(.*)"$/, '$1').trim();
      for (const m of rawValue(p.text).matchAll(/(?:^|[,/])(\d{4})\d{4}T/g)) {
        const year = Number(m[1]);
        if (year < (years.get(name) ?? Infinity)) years.set(name, year);
      }
    }
  }
  return years;
}

/** X-WR-TIMEZONE (Google, Apple, Outlook exports): the zone the calendar is shown in. */
function calendarZone(calendar: RawComponent): string | null {
  const line = calendar.properties.find((p) => p.name === 'X-WR-TIMEZONE');
  return line === undefined ? null : unescapeText(rawValue(line.text)).trim() || null;
}

/**
 * VTIMEZONE text by TZID: trimmed to resolve times (Outlook pads TZIDs with spaces in
 * one place and not the other), exact to be written back under the TZID render writes.
 */
function vtimezones(calendar: RawComponent): { trimmed: Map<string, string>; exact: Map<string, string> } {
  const trimmed = new Map<string, string>();
  const exact = new Map<string, string>();
  for (const c of calendar.components) {
    if (c.name !== 'VTIMEZONE') continue;
    const tzid = c.properties.find((p) => p.name === 'TZID');
    if (tzid === undefined) invalid('VTIMEZONE without TZID', c.line);
    const name = unescapeText(rawValue(tzid.text));
    const text = componentText(c);
    trimmed.set(name.trim(), text);
    if (!exact.has(name)) exact.set(name, text);
  }
  return { trimmed, exact };
}

/**
 * The series keeps, on its master (else its first override), the calendar properties
 * and the VTIMEZONEs of the zones its times are in, as the source wrote them.
 */
function withSource(series: ParsedSeries, source: Source): ParsedSeries {
  const events = [...(series.master === null ? [] : [series.master]), ...series.overrides];
  const carrier = events[0];
  if (carrier === undefined) return series;
  const kept: IcalExtras = {};
  if (source.properties.length > 0) kept.calendar = [...source.properties];
  const zones = new Set(events.flatMap((e) => [e.start.tz, e.end.tz]));
  const texts = [...zones].flatMap((tz) => {
    const text = tz === null ? undefined : source.vtimezones.get(tz);
    return text === undefined ? [] : [[tz, text] as const];
  });
  if (texts.length > 0) kept.vtimezones = Object.fromEntries(texts);
  if (Object.keys(kept).length === 0) return series;
  const withKept: CanonicalEvent = { ...carrier, extras: { ...carrier.extras, ical: { ...icalExtras(carrier), ...kept } } };
  return series.master !== null
    ? { ...series, master: withKept }
    : { ...series, overrides: [withKept, ...series.overrides.slice(1)] };
}

function termsOf(read: ReadEvent): Terms {
  const { start } = read;
  return { allDay: start.isDate, tz: start.tz, zone: start.zone, rules: start.rules, timeOfDay: start.written.slice(11) || '00:00:00' };
}

function toSeries(uid: string, group: ReadEvent[]): ParsedSeries {
  const masters = group.filter((r) => r.recurrenceId === null);
  if (masters.length > 1) invalid(`a second VEVENT with UID "${uid}" and no RECURRENCE-ID`, masters[1]!.line);
  const masterRead = masters[0] ?? null;
  const overrideReads = group.filter((r) => r.recurrenceId !== null);

  const master = masterRead === null ? null : finish(masterRead, null, termsOf(masterRead));
  const periodOverrides = master === null ? [] : periodInstances(masterRead!, master, overrideReads.map((r) => inTerms(r.recurrenceId!, termsOf(masterRead!))));
  // Without a master, a recurrence id is read in the override's own zone, as a date
  // when written as one; render writes orphans the same way.
  const overrides = overrideReads.map((r) =>
    finish(r, r.recurrenceId, masterRead !== null ? termsOf(masterRead) : { ...termsOf(r), allDay: r.recurrenceId!.isDate }),
  );
  const series: EventSeries = { uid, master, overrides: [...overrides, ...periodOverrides] };
  try {
    validateSeries(series);
  } catch (e) {
    if (!(e instanceof CoreError) || e.code !== 'INVALID_EVENT') throw e;
    const index = /^overrides\[(\d+)\]/.exec(e.path ?? '');
    const at = index === null ? (masterRead ?? group[0]!) : overrideReads[Number(index[1])]!;
    invalid(`VEVENT "${uid}": ${e.message}`, at.line);
  }
  // A rule calsync cannot expand makes the item unreadable, named by its RRULE line.
  const problem = master === null ? null : recurrenceProblem(master);
  if (problem !== null) {
    const line = problem.rule === null ? masterRead!.line : masterRead!.rruleLines[problem.rule]!;
    throw new CoreError('INVALID_RECURRENCE', `VEVENT "${uid}": ${problem.message}`, `line ${line}`);
  }
  const calsyncId = (masterRead ?? overrideReads[0])?.calsyncId ?? null;
  return { ...series, calsyncId };
}

/**
 * RDATE;VALUE=PERIOD (Lotus Notes writes a series so) gives an instance a length of its
 * own: such an instance becomes an override of the master with that end, which every
 * provider and client reads (Radicale refuses PERIOD values). One the source overrides
 * anyway keeps its override.
 */
function periodInstances(read: ReadEvent, master: CanonicalEvent, overridden: string[]): CanonicalEvent[] {
  const terms = termsOf(read);
  const masterLength = instantOf(master.end) - instantOf(master.start);
  return read.periods.flatMap((p) => {
    const id = inTerms(p.start, terms);
    const start = { local: id, tz: master.start.tz };
    if (master.allDay || overridden.includes(id) || p.seconds * 1000 === masterLength) return [];
    const end = master.start.tz === null
      ? { local: utcLocal(instantOf(start) + p.seconds * 1000), tz: null }
      : { local: instantToLocal(instantOf(start) + p.seconds * 1000, master.start.tz), tz: master.start.tz };
    // The series-level extras stay on the master.
    const { calendar: _c, vtimezones: _v, ...ical } = icalExtras(master);
    const extras = Object.keys(ical).length > 0 ? { ...master.extras, ical } : {};
    return [{ ...master, recurrenceId: id, start, end, recurrence: null, extras }];
  });
}

/** Milliseconds of a model time; floating times as if UTC (only differences are used). */
function instantOf(t: { local: string; tz: string | null }): number {
  return t.tz === null ? fieldsAsUtc(parseLocal(t.local)) : localToInstant(t.local, t.tz);
}

const utcLocal = (ms: number): string => instantToLocal(ms, 'UTC');

function finish(read: ReadEvent, recurrenceId: ReadEvent['recurrenceId'], terms: Terms): CanonicalEvent {
  const { event } = read;
  // An override is one instance: RRULE, RDATE and EXDATE there (copies of the master's,
  // from clients that copy every property) are ignored, as ical.js and libical ignore
  // them, and not written back (Radicale refuses an override that carries an RRULE).
  const isOverride = recurrenceId !== null;
  const hasRecurrence = !isOverride && (read.rrule.length > 0 || read.rdate.length > 0 || read.periods.length > 0 || read.exdate.length > 0);
  return {
    uid: event.uid,
    recurrenceId: recurrenceId === null ? null : inTerms(recurrenceId, terms),
    sequence: event.sequence,
    status: event.status,
    summary: event.summary,
    description: event.description,
    descriptionHtml: event.descriptionHtml,
    location: event.location,
    allDay: event.allDay,
    start: event.start,
    end: event.end,
    recurrence: hasRecurrence
      ? {
          rrule: read.rrule,
          rdate: [...new Set([...read.rdate, ...read.periods.map((p) => p.start)].map((t) => inTerms(t, terms)))],
          exdate: read.exdate.map((t) => inTerms(t, terms)),
        }
      : null,
    transparency: event.transparency,
    visibility: event.visibility,
    organizer: event.organizer,
    attendees: event.attendees,
    conference: event.conference,
    reminders: event.reminders,
    categories: event.categories,
    color: event.color,
    extras: event.extras,
  };
}
