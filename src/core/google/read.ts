// One Google event resource → one canonical event: a single event, a series master
// (with `recurrence`), or an override of one instance (with `recurringEventId` and
// `originalStartTime`). Input comes from clients of calsync's Google-shaped API and
// from Google itself; anything malformed is CoreError naming the member as Google
// spells it. Server-owned members (kind, etag, id, htmlLink, created, updated) are
// checked but are not content.
import { isDeepStrictEqual } from 'node:util';
import { describe, objectArgument } from '../arguments.ts';
import { CoreError } from '../errors.ts';
import type { CanonicalEvent, EventTime, LocalDateTime } from '../model.ts';
import { isLocalDateTime, MAX_SEQUENCE, validateEvent } from '../validate.ts';
import { checkRecurrence } from '../ical/recurrence-check.ts';
import { isIanaZone } from '../timezones.ts';
import { addDays, instantToLocal, localToInstant } from '../ical/zoned.ts';
import { fail, object, optionalInteger, optionalOneOf, optionalString, type Obj } from './checks.ts';
import { readConference } from './conference.ts';
import { readDescription } from './description.ts';
import type { GoogleExtras } from './extras.ts';
import { checkServerFields, splitExtendedProperties, unmodelledFields } from './fields.ts';
import { readAttendees, readOrganizer } from './people.ts';
import { PRIVATE_KEYS, privateJson } from './private-properties.ts';
import { readRecurrence, renderRecurrence } from './recurrence.ts';
import { readReminders } from './reminders.ts';
import { calendarZoneArgument, inTerms, instantOf, readTime, termsOf, type ReadTime, type Terms } from './times.ts';

/** What the master of an exception says about it, when the caller knows the master. */
export type GoogleMasterTerms = Pick<CanonicalEvent, 'uid' | 'allDay' | 'start' | 'end'>;

export interface GoogleReadContext {
  /** The calendar's IANA zone: timed values without `timeZone` are in it. */
  calendarTimeZone: string;
  /**
   * For an exception: its master (its start terms say what the recurrence id is, its
   * uid what an exception without iCalUID belongs to). Without it the original start
   * is read in its own zone.
   */
  master?: GoogleMasterTerms | null;
  /** The uid of a resource without iCalUID (a client's insert); else `<id>@google.com`, as Google forms it. */
  uid?: string;
}

function masterArgument(x: unknown): GoogleMasterTerms | null {
  if (x == null) return null;
  const m = objectArgument(x, 'context.master');
  const time = (t: unknown, name: string): EventTime => {
    const o = objectArgument(t, `context.master.${name}`);
    if (!isLocalDateTime(o.local, m.allDay === true)) throw new CoreError('INVALID_INPUT', `expected a local time, got ${describe(o.local)}`, `context.master.${name}.local`);
    if (o.tz !== null && !isIanaZone(o.tz as string)) throw new CoreError('UNKNOWN_TIME_ZONE', `unknown IANA time zone ${describe(o.tz)}`, `context.master.${name}.tz`);
    return o as unknown as EventTime;
  };
  if (typeof m.uid !== 'string' || m.uid.trim() === '') throw new CoreError('INVALID_INPUT', 'the master needs a uid', 'context.master.uid');
  if (typeof m.allDay !== 'boolean') throw new CoreError('INVALID_INPUT', 'expected true or false', 'context.master.allDay');
  time(m.start, 'start');
  time(m.end, 'end');
  return m as unknown as GoogleMasterTerms;
}

function uidOf(o: Obj, isException: boolean, context: { master: GoogleMasterTerms | null; uid?: string }): string {
  const iCalUID = optionalString(o.iCalUID, 'iCalUID');
  if (iCalUID !== undefined) {
    if (iCalUID.trim() === '') fail('iCalUID', 'must not be empty');
    return iCalUID;
  }
  if (isException && context.master) return context.master.uid;
  if (context.uid !== undefined) {
    if (typeof context.uid !== 'string' || context.uid.trim() === '') throw new CoreError('INVALID_INPUT', 'expected a uid', 'context.uid');
    return context.uid;
  }
  const id = isException ? o.recurringEventId : o.id;
  if (typeof id === 'string' && id !== '') return `${id}@google.com`;
  return fail('iCalUID', 'without iCalUID or id there is no uid for the event');
}

/** Where a cancelled exception without start and end would have started and ended. */
function bareTimes(original: ReadTime, recurrenceId: LocalDateTime, terms: Terms, master: GoogleMasterTerms | null, calendarTimeZone: string): { start: EventTime; end: EventTime } {
  if (terms.allDay) {
    const days = master?.allDay ? Math.round((Date.parse(master.end.local) - Date.parse(master.start.local)) / 86_400_000) : 1;
    return { start: { local: recurrenceId, tz: null }, end: { local: addDays(recurrenceId, days), tz: null } };
  }
  const tz = master ? terms.tz : original.tz;
  const zone = tz ?? calendarTimeZone;
  const length = master && !master.allDay
    ? localToInstant(master.end.local, master.end.tz ?? calendarTimeZone) - localToInstant(master.start.local, master.start.tz ?? calendarTimeZone)
    : 0;
  const end = instantToLocal(localToInstant(recurrenceId, zone) + length, zone);
  return { start: { local: recurrenceId, tz }, end: { local: end, tz } };
}

interface Times {
  allDay: boolean;
  start: EventTime;
  end: EventTime;
  extras: Pick<GoogleExtras, 'dateTimeZones' | 'timeZoneOmitted'>;
}

function readTimes(o: Obj, floating: boolean, recurring: boolean, calendarTimeZone: string): Times {
  if (o.start === undefined) fail('start', 'an event needs a start');
  if (o.end === undefined) fail('end', 'an event needs an end');
  const start = readTime(o.start, 'start', calendarTimeZone);
  const end = readTime(o.end, 'end', calendarTimeZone);
  if (start.allDay !== end.allDay) fail('end', 'start and end must both be dates or both be date-times');
  if (start.allDay) {
    if (end.local <= start.local) fail('end.date', 'the end date is exclusive and must be after the start date');
    const zones = { ...(start.timeZone ? { start: start.timeZone } : {}), ...(end.timeZone ? { end: end.timeZone } : {}) };
    return {
      allDay: true,
      start: { local: start.local, tz: null },
      end: { local: end.local, tz: null },
      extras: Object.keys(zones).length > 0 ? { dateTimeZones: zones } : {},
    };
  }
  if (instantOf(end) < instantOf(start)) fail('end.dateTime', 'the end is before the start');
  // Floating times are written in the calendar's zone with calsync's marker; a zone a
  // person set in Google since makes them zoned again.
  const isFloating = floating && [start, end].every((t) => t.timeZone === null || t.timeZone === calendarTimeZone);
  if (recurring && !isFloating) {
    // "For recurring events this field is required" (EventDateTime.timeZone).
    if (start.timeZone === null) fail('start.timeZone', 'a recurring event needs a time zone');
    if (end.timeZone === null) fail('end.timeZone', 'a recurring event needs a time zone');
  }
  return {
    allDay: false,
    start: { local: start.local, tz: isFloating ? null : start.tz },
    end: { local: end.local, tz: isFloating ? null : end.tz },
    extras: !isFloating && start.timeZone === null && end.timeZone === null ? { timeZoneOmitted: true } : {},
  };
}

function categoriesOf(value: string | undefined): string[] {
  if (value === undefined) return [];
  const at = `extendedProperties.private.${PRIVATE_KEYS.categories}`;
  const list = privateJson(value, PRIVATE_KEYS.categories);
  if (!Array.isArray(list) || !list.every((c) => typeof c === 'string' && c.trim() !== '')) fail(at, 'expected a list of categories');
  return list as string[];
}

export function eventFromGoogle(resource: unknown, context: GoogleReadContext): CanonicalEvent {
  const ctx = objectArgument(context, 'context');
  const calendarTimeZone = calendarZoneArgument(ctx.calendarTimeZone, 'context.calendarTimeZone');
  const master = masterArgument(ctx.master);
  const o = object(resource, '');
  checkServerFields(o);
  const recurringEventId = optionalString(o.recurringEventId, 'recurringEventId');
  if ((recurringEventId === undefined) !== (o.originalStartTime === undefined)) {
    fail(recurringEventId === undefined ? 'recurringEventId' : 'originalStartTime', 'an instance needs both recurringEventId and originalStartTime');
  }
  const isException = recurringEventId !== undefined;
  if (isException && o.recurrence !== undefined) fail('recurrence', 'an instance of a recurring event has no recurrence of its own');
  const uid = uidOf(o, isException, { master, uid: ctx.uid as string | undefined });
  const status = optionalOneOf(o.status, ['confirmed', 'tentative', 'cancelled'] as const, 'status') ?? 'confirmed';
  const { calsync, kept: extendedProperties } = splitExtendedProperties(o.extendedProperties);
  const extras: GoogleExtras = {};

  const original = isException ? readTime(o.originalStartTime, 'originalStartTime', calendarTimeZone) : null;
  const ownTerms = (t: ReadTime): Terms => ({ allDay: t.allDay, tz: t.tz, timeOfDay: t.local.slice(11) || '00:00:00' });
  const terms = master ? termsOf(master) : original ? ownTerms(original) : null;
  const recurrenceId = original && terms ? inTerms(original, terms, calendarTimeZone) : null;

  // "Cancelled exceptions are only guaranteed to have values for the id,
  // recurringEventId and originalStartTime fields populated" (events reference, status).
  const bare = isException && status === 'cancelled' && o.start === undefined && o.end === undefined;
  let times: Times;
  if (bare) {
    times = { allDay: terms!.allDay, ...bareTimes(original!, recurrenceId!, terms!, master, calendarTimeZone), extras: {} };
    extras.bare = true;
  } else {
    const recurring = Array.isArray(o.recurrence) && o.recurrence.length > 0;
    times = readTimes(o, calsync[PRIVATE_KEYS.floating] === '1', recurring, calendarTimeZone);
  }
  Object.assign(extras, times.extras);

  const recurrence = isException ? { recurrence: null, unmodelled: [] } : readRecurrence(o.recurrence, termsOf(times), calendarTimeZone);
  // Lines as render would write them anyway are not worth keeping.
  if (recurrence.recurrence !== null && !isDeepStrictEqual(o.recurrence, renderRecurrence(recurrence.recurrence, termsOf(times), calendarTimeZone, undefined))) {
    extras.recurrence = o.recurrence as string[];
  }

  const { organizer, extra: organizerExtra } = readOrganizer(o.organizer);
  if (organizerExtra) extras.organizer = organizerExtra;
  const attendeeKeys = Object.entries(calsync).filter(([k]) => k.startsWith(PRIVATE_KEYS.attendee));
  const { attendees, extras: attendeeExtras } = readAttendees(o.attendees, attendeeKeys);
  if (Object.keys(attendeeExtras).length > 0) extras.attendees = attendeeExtras;
  const { conference, keep } = readConference(o, calsync[PRIVATE_KEYS.conference]);
  const description = readDescription(optionalString(o.description, 'description') ?? '');

  const fields: Obj = { ...unmodelledFields(o), ...keep };
  if (extendedProperties !== undefined) fields.extendedProperties = extendedProperties;
  if (Object.keys(fields).length > 0) extras.fields = fields;

  const event: CanonicalEvent = {
    uid,
    recurrenceId,
    sequence: optionalInteger(o.sequence, 'sequence', 0, MAX_SEQUENCE) ?? 0,
    status,
    summary: optionalString(o.summary, 'summary') ?? '',
    description: description.description,
    descriptionHtml: description.descriptionHtml,
    location: optionalString(o.location, 'location') ?? '',
    allDay: times.allDay,
    start: times.start,
    end: times.end,
    recurrence: recurrence.recurrence,
    transparency: optionalOneOf(o.transparency, ['opaque', 'transparent'] as const, 'transparency') ?? 'opaque',
    visibility: optionalOneOf(o.visibility, ['default', 'public', 'private', 'confidential'] as const, 'visibility') ?? 'default',
    organizer,
    attendees,
    conference,
    reminders: readReminders(o.reminders, calsync[PRIVATE_KEYS.reminders]),
    categories: categoriesOf(calsync[PRIVATE_KEYS.categories]),
    color: calsync[PRIVATE_KEYS.color] ?? null,
    extras: Object.keys(extras).length > 0 ? { google: extras as Record<string, unknown> } : {},
  };
  validateEvent(event);
  if (event.recurrence !== null) {
    // The path names the `recurrence` line the rule came from.
    const lines = (o.recurrence as unknown[]).flatMap((line, i) => (typeof line === 'string' && /^\s*RRULE:/i.test(line) ? [i] : []));
    checkRecurrence(event, (rule) => (rule === null ? 'recurrence' : `recurrence[${lines[rule]}]`));
  }
  return event;
}

/** The calsync id stamped on a resource calsync wrote, or null. */
export function calsyncIdOf(resource: unknown): string | null {
  const o = object(resource, '');
  return splitExtendedProperties(o.extendedProperties).calsync[PRIVATE_KEYS.id] ?? null;
}
