// One canonical event → the Google event resource as Google answers it: members in the
// order of the events reference, defaults Google leaves out left out (transparency
// "opaque", visibility "default", empty text, no attendees), `kind` and `eventType`
// always, reminders `{useDefault: true}` when the model has null, and what the event
// kept in extras.google written back. Server-owned members come from the caller.
import { describe, objectArgument } from '../arguments.ts';
import { CoreError } from '../errors.ts';
import type { CanonicalEvent, EventTime } from '../model.ts';
import { isLocalDateTime, validateEvent } from '../validate.ts';
import { isIanaZone } from '../timezones.ts';
import type { Obj } from './checks.ts';
import { renderConference } from './conference.ts';
import { renderDescription } from './description.ts';
import { googleExtras } from './extras.ts';
import { isModelled } from './fields.ts';
import { renderAttendees, renderOrganizer } from './people.ts';
import { fitting, PRIVATE_KEYS } from './private-properties.ts';
import { renderRecurrence } from './recurrence.ts';
import { renderReminders } from './reminders.ts';
import { calendarZoneArgument, renderTime, termsOf, type Terms } from './times.ts';
import type { GoogleEvent, GoogleEventDateTime, GoogleServerFields } from './types.ts';

export interface GoogleRenderMeta extends GoogleServerFields {
  /** The resource's id (an exception's is `instanceId(recurringEventId, …)`). */
  id?: string;
  /** The calendar's IANA zone: `dateTime` offsets are written in it, floating times read in it. */
  calendarTimeZone: string;
  /** For an exception: the id of its series. */
  recurringEventId?: string;
  /** For an exception: its master, whose start terms the recurrence id is in; else the override's own. */
  master?: Pick<CanonicalEvent, 'allDay' | 'start'> | null;
  /** Stamped in extendedProperties.private so the item is recognised when it comes back. */
  calsyncId?: string | null;
}

/** Member order of the Event resource representation in the events reference. */
const ORDER = [
  'kind', 'etag', 'id', 'status', 'htmlLink', 'created', 'updated', 'summary', 'description', 'location', 'colorId',
  'creator', 'organizer', 'start', 'end', 'endTimeUnspecified', 'recurrence', 'recurringEventId', 'originalStartTime',
  'transparency', 'visibility', 'iCalUID', 'sequence', 'attendees', 'attendeesOmitted', 'extendedProperties',
  'hangoutLink', 'conferenceData', 'gadget', 'anyoneCanAddSelf', 'guestsCanInviteOthers', 'guestsCanModify',
  'guestsCanSeeOtherGuests', 'privateCopy', 'locked', 'reminders', 'source', 'workingLocationProperties',
  'outOfOfficeProperties', 'focusTimeProperties', 'attachments', 'birthdayProperties', 'eventType',
];

function ordered(members: Obj): GoogleEvent {
  const known = ORDER.filter((k) => members[k] !== undefined).map((k) => [k, members[k]] as const);
  const others = Object.entries(members).filter(([k, v]) => v !== undefined && !ORDER.includes(k));
  return Object.fromEntries([...known, ...others]) as GoogleEvent;
}

function metaArgument(x: unknown): GoogleRenderMeta {
  const meta = objectArgument(x, 'meta');
  calendarZoneArgument(meta.calendarTimeZone, 'meta.calendarTimeZone');
  for (const name of ['id', 'etag', 'created', 'updated', 'htmlLink', 'recurringEventId'] as const) {
    if (meta[name] !== undefined && typeof meta[name] !== 'string') throw new CoreError('INVALID_INPUT', `expected a string, got ${describe(meta[name])}`, `meta.${name}`);
  }
  if (meta.calsyncId != null && typeof meta.calsyncId !== 'string') throw new CoreError('INVALID_INPUT', 'expected a string', 'meta.calsyncId');
  masterArgument(meta.master, 'meta.master');
  return meta as unknown as GoogleRenderMeta;
}

/** A master's start terms given by a caller: allDay and a start, or nothing. */
function masterArgument(x: unknown, path: string): void {
  if (x == null) return;
  const m = objectArgument(x, path);
  const start = objectArgument(m.start, `${path}.start`);
  if (typeof m.allDay !== 'boolean' || !isLocalDateTime(start.local, m.allDay)) throw new CoreError('INVALID_INPUT', 'expected the master\'s allDay and start', path);
  if (m.allDay === false && start.tz !== null && !isIanaZone(start.tz as string)) throw new CoreError('UNKNOWN_TIME_ZONE', `unknown IANA time zone ${describe(start.tz)}`, `${path}.start.tz`);
}

function ownTerms(event: CanonicalEvent): Terms {
  const allDay = !event.recurrenceId!.includes('T');
  return { allDay, tz: allDay ? null : event.start.tz, timeOfDay: event.recurrenceId!.slice(11) || '00:00:00' };
}

/**
 * The `originalStartTime` of an override: its recurrence id in its master's start
 * terms (else, without a master, its own), `timeZone` written for a zoned series.
 */
export function originalStartTime(
  override: Pick<CanonicalEvent, 'recurrenceId' | 'start'>,
  master: Pick<CanonicalEvent, 'allDay' | 'start'> | null,
  calendarTimeZone: string,
): GoogleEventDateTime {
  const o = objectArgument(override, 'override');
  const start = objectArgument(o.start, 'override.start');
  if (!isLocalDateTime(o.recurrenceId, true) && !isLocalDateTime(o.recurrenceId, false)) {
    throw new CoreError('INVALID_INPUT', `expected the override's recurrence id, got ${describe(o.recurrenceId)}`, 'override.recurrenceId');
  }
  if (start.tz !== null && !isIanaZone(start.tz as string)) throw new CoreError('UNKNOWN_TIME_ZONE', `unknown IANA time zone ${describe(start.tz)}`, 'override.start.tz');
  masterArgument(master, 'master');
  calendarZoneArgument(calendarTimeZone, 'calendarTimeZone');
  const terms = master ? termsOf(master) : ownTerms(override as CanonicalEvent);
  const time: EventTime = { local: override.recurrenceId!, tz: terms.tz };
  return renderTime(time, terms.allDay, calendarTimeZone, terms.tz !== null);
}

function privateProperties(event: CanonicalEvent, meta: GoogleRenderMeta, found: [string, string | null][]): [string, string][] {
  const own: [string, string | null][] = [
    [PRIVATE_KEYS.id, meta.calsyncId ?? null],
    [PRIVATE_KEYS.floating, !event.allDay && event.start.tz === null ? '1' : null],
    [PRIVATE_KEYS.categories, event.categories.length > 0 ? fitting(event.categories) : null],
    [PRIVATE_KEYS.color, event.color === null ? null : fitting(event.color)],
    ...found,
  ];
  return own.filter((entry): entry is [string, string] => entry[1] !== null);
}

export function eventToGoogle(event: CanonicalEvent, meta: GoogleRenderMeta): GoogleEvent {
  validateEvent(event);
  const m = metaArgument(meta);
  const calendarTimeZone = m.calendarTimeZone;
  const x = googleExtras(event);
  // Kept members never stand in for what the model or the caller decides.
  const fields: Obj = Object.fromEntries(Object.entries(x.fields ?? {}).filter(([k]) => !isModelled(k)));
  const isException = event.recurrenceId !== null;
  if (isException && (typeof m.recurringEventId !== 'string' || m.recurringEventId === '')) {
    throw new CoreError('INVALID_INPUT', 'an override needs the id of its series', 'meta.recurringEventId');
  }
  const server = { kind: 'calendar#event', etag: m.etag, id: m.id, htmlLink: m.htmlLink, created: m.created, updated: m.updated };
  const exception = isException
    ? { recurringEventId: m.recurringEventId, originalStartTime: originalStartTime(event, m.master ?? null, calendarTimeZone) }
    : {};
  if (isException && x.bare && event.status === 'cancelled') return ordered({ ...server, status: 'cancelled', ...exception });

  const recurring = event.recurrence !== null;
  const zoned = !event.allDay && event.start.tz !== null;
  const implicitZone = x.timeZoneOmitted === true && !recurring && event.start.tz === calendarTimeZone && event.end.tz === calendarTimeZone;
  const time = (t: EventTime, which: 'start' | 'end'): GoogleEventDateTime => {
    const rendered = renderTime(t, event.allDay, calendarTimeZone, recurring || (zoned && !implicitZone));
    const dateZone = x.dateTimeZones?.[which];
    return event.allDay && dateZone !== undefined ? { ...rendered, timeZone: dateZone } : rendered;
  };

  const description = renderDescription(event.description, event.descriptionHtml);
  const attendees = renderAttendees(event.attendees, (x.attendees ?? {}) as Record<string, Obj>);
  const reminders = renderReminders(event.reminders);
  const conference = renderConference(event.conference, fields);
  delete fields.hangoutLink;
  delete fields.conferenceData;
  const found: [string, string | null][] = [
    [PRIVATE_KEYS.conference, conference.privateValue],
    [PRIVATE_KEYS.reminders, reminders.privateValue],
    ...attendees.privateValues,
  ];
  const extended = { ...(fields.extendedProperties as Obj | undefined) };
  // Birthday events refuse private properties (private-properties.ts).
  const own = fields.eventType === 'birthday' ? [] : privateProperties(event, m, found);
  if (own.length > 0) extended.private = { ...(extended.private as Obj | undefined), ...Object.fromEntries(own) };

  return ordered({
    ...fields,
    ...server,
    status: event.status,
    summary: event.summary === '' ? undefined : event.summary,
    description: description === '' ? undefined : description,
    location: event.location === '' ? undefined : event.location,
    organizer: renderOrganizer(event.organizer, x.organizer as Obj | undefined),
    start: time(event.start, 'start'),
    end: time(event.end, 'end'),
    recurrence: event.recurrence === null ? undefined : renderRecurrence(event.recurrence, termsOf(event), calendarTimeZone, x.recurrence),
    ...exception,
    transparency: event.transparency === 'opaque' ? undefined : event.transparency,
    visibility: event.visibility === 'default' ? undefined : event.visibility,
    iCalUID: event.uid,
    sequence: event.sequence,
    attendees: attendees.attendees.length > 0 ? attendees.attendees : undefined,
    extendedProperties: Object.keys(extended).length > 0 ? extended : undefined,
    ...conference.members,
    reminders: reminders.reminders,
    eventType: fields.eventType ?? 'default',
  });
}
