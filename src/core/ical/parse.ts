// iCalendar text → canonical series: one EventSeries per UID (master plus RECURRENCE-ID
// overrides), recurrence ids, EXDATEs and RDATEs in the master's start terms. Broken
// input throws CoreError('INVALID_ICALENDAR') naming the line; nothing is skipped.
import { CoreError } from '../errors.ts';
import type { CalsyncId, CanonicalEvent, EventSeries } from '../model.ts';
import { validateSeries } from '../validate.ts';
import { components, componentText, unescapeText, type RawComponent } from './lines.ts';
import { inTerms, rawValue, Zones, type Terms } from './times.ts';
import { readVevent, type ReadEvent } from './vevent.ts';

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
  const roots = components(input);
  const result: ParsedCalendar = { series: [], properties: [], components: [] };
  const groups = new Map<string, ReadEvent[]>();
  for (const root of roots) {
    if (root.name !== 'VCALENDAR') invalid(`expected BEGIN:VCALENDAR, got BEGIN:${root.name}`, root.line);
    result.properties.push(...root.properties.filter((p) => !REWRITTEN_CALENDAR_PROPS.has(p.name)).map((p) => p.text));
    const zones = new Zones(vtimezones(root));
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
  for (const [uid, group] of groups) result.series.push(toSeries(uid, group));
  return result;
}

/** VTIMEZONE text by TZID, trimmed: Outlook pads TZIDs with spaces in one place and not the other. */
function vtimezones(calendar: RawComponent): Map<string, string> {
  const map = new Map<string, string>();
  for (const c of calendar.components) {
    if (c.name !== 'VTIMEZONE') continue;
    const tzid = c.properties.find((p) => p.name === 'TZID');
    if (tzid === undefined) invalid('VTIMEZONE without TZID', c.line);
    map.set(unescapeText(rawValue(tzid.text)).trim(), componentText(c));
  }
  return map;
}

function termsOf(read: ReadEvent): Terms {
  const { allDay, start } = read.event;
  return { allDay, tz: start.tz, custom: read.custom, timeOfDay: start.local.slice(11) || '00:00:00' };
}

function toSeries(uid: string, group: ReadEvent[]): ParsedSeries {
  const masters = group.filter((r) => r.recurrenceId === null);
  if (masters.length > 1) invalid(`a second VEVENT with UID "${uid}" and no RECURRENCE-ID`, masters[1]!.line);
  const masterRead = masters[0] ?? null;
  const overrideReads = group.filter((r) => r.recurrenceId !== null);

  const master = masterRead === null ? null : finish(masterRead, null, termsOf(masterRead));
  // Without a master, a recurrence id is read in the override's own zone, as a date
  // when written as one; render writes orphans the same way.
  const overrides = overrideReads.map((r) =>
    finish(r, r.recurrenceId, masterRead !== null ? termsOf(masterRead) : { ...termsOf(r), allDay: r.recurrenceId!.isDate }),
  );
  const series: EventSeries = { uid, master, overrides };
  try {
    validateSeries(series);
  } catch (e) {
    if (!(e instanceof CoreError) || e.code !== 'INVALID_EVENT') throw e;
    const index = /^overrides\[(\d+)\]/.exec(e.path ?? '');
    const at = index === null ? (masterRead ?? group[0]!) : overrideReads[Number(index[1])]!;
    invalid(`VEVENT "${uid}": ${e.message}`, at.line);
  }
  const calsyncId = (masterRead ?? overrideReads[0])?.calsyncId ?? null;
  return { ...series, calsyncId };
}

function finish(read: ReadEvent, recurrenceId: ReadEvent['recurrenceId'], terms: Terms): CanonicalEvent {
  const { event } = read;
  const hasRecurrence = read.rrule.length > 0 || read.rdate.length > 0 || read.exdate.length > 0;
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
          rdate: read.rdate.map((t) => inTerms(t, terms)),
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
