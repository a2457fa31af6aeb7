// One canonical event → the Graph body that creates it (POST) or brings an event to
// it (PATCH). Only members Update event lists as writable are written (attendees, body,
// categories, start, end, hideAttendees, importance, isAllDay, isOnlineMeeting,
// isReminderOn, location, locations, onlineMeetingProvider, recurrence,
// reminderMinutesBeforeStart, responseRequested, sensitivity, showAs, subject), plus
// calsync's stamp; every modelled one is written, emptied ones too, so a PATCH leaves
// nothing stale behind. `organizer` is not among them: Graph makes the calendar's
// owner the organizer. A master gets `recurrence`; an override is written by PATCHing
// its occurrence (map.ts says which), so its body has none.
import { CoreError } from '../../core/errors.ts';
import type { CanonicalEvent, EventTime } from '../../core/model.ts';
import { isIanaZone } from '../../core/timezones.ts';
import { validateEvent } from '../../core/validate.ts';
import { graphExtras, WRITABLE_FIELDS, type GraphExtras } from './extras.ts';
import { renderAttendees } from './people.ts';
import { rruleToGraph } from './recurrence.ts';
import { stampProperty } from './stamp.ts';
import type { GraphDateTimeTimeZone, GraphEvent, GraphPatternedRecurrence } from './types.ts';
import { graphZoneFromIana, ianaFromGraphZone, isOpaqueZone } from './zones.ts';

/** Content Graph cannot hold: the connector reports it (a permanent failure of that write). */
export class GraphWriteRefused extends Error {
  override readonly name = 'GraphWriteRefused';
  constructor(message: string, readonly path: string) {
    super(`${message} (at ${path})`);
  }
}

export interface GraphRenderMeta {
  /** The calendar's IANA zone: floating times and all-day dates without a kept zone are written in it. */
  calendarTimeZone: string;
  /** Stamped in the calsync single-value extended property. */
  calsyncId?: string | null;
}

function time(t: EventTime, allDay: boolean, keptZone: string | undefined, calendarTimeZone: string): GraphDateTimeTimeZone {
  if (allDay) return { dateTime: `${t.local}T00:00:00`, timeZone: keptZone ?? graphZoneFromIana(calendarTimeZone) };
  // Graph has no floating time: one is written in the calendar's zone.
  return { dateTime: t.local, timeZone: graphZoneFromIana(t.tz ?? calendarTimeZone, keptZone) };
}

function body(event: CanonicalEvent, x: GraphExtras): { contentType: 'text' | 'html'; content: string } {
  if (event.descriptionHtml !== null && event.descriptionHtml.trim() !== '') return { contentType: 'html', content: event.descriptionHtml };
  if (event.description === '' && x.bodyType === 'html') return { contentType: 'html', content: '' };
  return { contentType: 'text', content: event.description };
}

function location(event: CanonicalEvent, x: GraphExtras): Pick<GraphEvent, 'location' | 'locations'> {
  // Kept members describe the place they came with; a renamed place drops them.
  if (x.location !== undefined && x.location.displayName === event.location) {
    return { location: x.location, ...(x.locations ? { locations: x.locations } : {}) };
  }
  return { location: { displayName: event.location } };
}

function showAs(event: CanonicalEvent, x: GraphExtras): string {
  const free = event.transparency === 'transparent';
  if (x.showAs !== undefined && (x.showAs === 'free') === free) return x.showAs;
  return free ? 'free' : 'busy';
}

function sensitivity(event: CanonicalEvent, x: GraphExtras): string {
  switch (event.visibility) {
    case 'private': return x.sensitivity === 'personal' ? 'personal' : 'private';
    case 'confidential': return 'confidential';
    // Graph has no "public": normal is what a public event shows as.
    default: return 'normal';
  }
}

function reminders(event: CanonicalEvent, x: GraphExtras): Pick<GraphEvent, 'isReminderOn' | 'reminderMinutesBeforeStart'> {
  // null (the calendar's default) has no Graph form: Outlook then applies its own.
  if (event.reminders === null) return {};
  if (event.reminders.length === 0) {
    return { isReminderOn: false, ...(x.reminderMinutesBeforeStart !== undefined ? { reminderMinutesBeforeStart: x.reminderMinutesBeforeStart } : {}) };
  }
  // One reminder per event: the display one, else the first.
  const first = event.reminders.find((r) => r.method === 'display') ?? event.reminders[0]!;
  return { isReminderOn: true, reminderMinutesBeforeStart: first.minutesBefore };
}

function onlineMeeting(event: CanonicalEvent, x: GraphExtras): Pick<GraphEvent, 'isOnlineMeeting' | 'onlineMeetingProvider'> {
  // onlineMeeting is read-only: a join link comes from Graph, never from a write. What
  // Graph said about the meeting is written back while the event still has that link.
  const kept = x.onlineMeeting;
  if (kept === undefined) return {};
  const joinUrl = (kept.onlineMeeting as { joinUrl?: unknown } | undefined)?.joinUrl ?? null;
  if ((event.conference?.url ?? null) !== joinUrl) return {};
  return {
    ...(typeof kept.isOnlineMeeting === 'boolean' ? { isOnlineMeeting: kept.isOnlineMeeting } : {}),
    ...(typeof kept.onlineMeetingProvider === 'string' ? { onlineMeetingProvider: kept.onlineMeetingProvider } : {}),
  };
}

/** The IANA zone an all-day event's dates are midnights of: the one it came with, else the calendar's (where it is written). */
export function allDayZone(event: Pick<CanonicalEvent, 'extras'>, calendarTimeZone: string): string {
  const kept = graphExtras(event).timeZones?.start;
  if (kept === undefined || isOpaqueZone(kept)) return calendarTimeZone;
  try {
    return ianaFromGraphZone(kept);
  } catch {
    return calendarTimeZone;
  }
}

/** The `recurrence` of a master, or GraphWriteRefused saying what Graph cannot hold. */
export function recurrenceToGraph(event: CanonicalEvent, meta: GraphRenderMeta): GraphPatternedRecurrence {
  const r = event.recurrence!;
  if (r.rrule.length !== 1) throw new GraphWriteRefused(r.rrule.length === 0 ? 'a series of RDATEs alone has no Graph recurrence' : 'Graph holds one recurrence pattern per series, not several RRULEs', 'recurrence.rrule');
  if (r.rdate.length > 0) throw new GraphWriteRefused('Graph has no RDATE: extra instances cannot be added to a series', 'recurrence.rdate');
  const x = graphExtras(event);
  const zone = event.allDay ? allDayZone(event, meta.calendarTimeZone) : (event.start.tz ?? meta.calendarTimeZone);
  const zoneName = graphZoneFromIana(zone, x.timeZones?.recurrence ?? x.timeZones?.start);
  const result = rruleToGraph(r.rrule[0]!, { allDay: event.allDay, start: event.start.local, zone }, zoneName);
  if (result.refused !== undefined) throw new GraphWriteRefused(result.refused, 'recurrence.rrule[0]');
  if (x.rangeStartDate !== undefined) result.recurrence.range.startDate = x.rangeStartDate;
  return result.recurrence;
}

export function eventToGraph(event: CanonicalEvent, meta: GraphRenderMeta): GraphEvent {
  validateEvent(event);
  if (typeof meta?.calendarTimeZone !== 'string' || !isIanaZone(meta.calendarTimeZone)) {
    throw new CoreError('UNKNOWN_TIME_ZONE', 'expected the calendar\'s IANA time zone', 'meta.calendarTimeZone');
  }
  const x = graphExtras(event);
  const keptStart = x.timeZones?.start !== undefined && !isOpaqueZone(x.timeZones.start) ? x.timeZones.start : undefined;
  const allDayZone = event.allDay ? (keptStart ?? graphZoneFromIana(meta.calendarTimeZone)) : undefined;
  const attendees = renderAttendees(event.attendees, x.attendees ?? {}, x.unaddressed ?? []);

  // Kept members never stand in for what the model decides, nor add what Graph does not take.
  const fields = Object.fromEntries(Object.entries(x.fields ?? {}).filter(([k]) => WRITABLE_FIELDS.has(k)));
  return {
    ...fields,
    subject: event.summary,
    body: body(event, x),
    start: time(event.start, event.allDay, allDayZone ?? x.timeZones?.start, meta.calendarTimeZone),
    // Graph wants an all-day event's start and end in one zone.
    end: time(event.end, event.allDay, allDayZone ?? x.timeZones?.end, meta.calendarTimeZone),
    isAllDay: event.allDay,
    ...location(event, x),
    showAs: showAs(event, x),
    sensitivity: sensitivity(event, x),
    attendees: attendees as GraphEvent['attendees'],
    categories: event.categories,
    ...reminders(event, x),
    ...onlineMeeting(event, x),
    ...(event.recurrence !== null ? { recurrence: recurrenceToGraph(event, meta) } : {}),
    ...(meta.calsyncId ? { singleValueExtendedProperties: [stampProperty(meta.calsyncId)] } : {}),
  };
}
