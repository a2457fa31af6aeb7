// One Graph event → one canonical event: a single event (`singleInstance`), a series
// master (`seriesMaster`, with `recurrence`) or an override (`exception`, keyed by its
// `originalStart`). Anything malformed is CoreError naming the member as Graph spells
// it; map.ts turns it into an unreadable item. Occurrences are not events of their
// own: a series is its master and its exceptions.
import { objectArgument } from '../../core/arguments.ts';
import { CoreError } from '../../core/errors.ts';
import { fail, object, optionalArray, optionalBoolean, optionalInteger, optionalString, type Obj } from '../../core/google/checks.ts';
import { htmlToText } from '../../core/html-text.ts';
import { instantToLocal } from '../../core/ical/zoned.ts';
import type { CanonicalEvent, Conference, EventTime, LocalDateTime, Reminder } from '../../core/model.ts';
import { isIanaZone } from '../../core/timezones.ts';
import { validateEvent } from '../../core/validate.ts';
import { WRITABLE_FIELDS, type GraphExtras } from './extras.ts';
import { readAttendees, readOrganizer } from './people.ts';
import { rruleFromGraph } from './recurrence.ts';
import { isStampProperty } from './stamp.ts';
import { allDayDate, inZone, ownZone, readGraphTime } from './times.ts';
import type { GraphEventType } from './types.ts';

export const EVENT_TYPES: readonly GraphEventType[] = ['singleInstance', 'occurrence', 'exception', 'seriesMaster'];

/** What an exception needs from its master: the uid, and the terms its original start is read in. */
export interface GraphMasterTerms {
  uid: string;
  allDay: boolean;
  start: EventTime;
  /** The IANA zone the master is written in (an all-day master's too). */
  zone: string;
}

export interface GraphReadContext {
  /** For an exception: its master. Without it the original start is read in the exception's own zone. */
  master?: GraphMasterTerms | null;
  /** The uid when the event carries no iCalUId (an exception's own iCalUId is its instance's, not the series'). */
  uid?: string;
}

export interface GraphRead {
  event: CanonicalEvent;
  /** The IANA zone the event is written in (for an all-day event, the zone its dates are midnights of). */
  zone: string;
}

/**
 * Members that are Graph's own bookkeeping, not content: ids and versions, derived
 * text, the reader's own response, links, and what map.ts reads at the series level.
 */
const SERVER = new Set([
  'id', 'type', 'seriesMasterId', 'iCalUId', 'uid', 'changeKey', 'createdDateTime', 'lastModifiedDateTime',
  'originalStart', 'originalStartTimeZone', 'originalEndTimeZone', 'occurrenceId', 'cancelledOccurrences',
  'exceptionOccurrences', 'instances', 'bodyPreview', 'hasAttachments', 'isOrganizer', 'responseStatus', 'webLink',
  'isDraft', 'transactionId', 'onlineMeetingUrl', 'attachments', 'calendar', 'extensions',
]);
const MODELLED = new Set([
  'subject', 'body', 'start', 'end', 'isAllDay', 'isCancelled', 'location', 'locations', 'showAs', 'sensitivity',
  'attendees', 'organizer', 'recurrence', 'categories', 'isReminderOn', 'reminderMinutesBeforeStart',
  'isOnlineMeeting', 'onlineMeetingProvider', 'onlineMeeting', 'singleValueExtendedProperties',
]);

const isServer = (key: string): boolean => SERVER.has(key) || key.startsWith('@') || key.includes('@odata.');

function caseless<T extends string>(x: unknown, values: readonly T[], path: string): T | undefined {
  if (x === undefined) return undefined;
  const found = typeof x === 'string' ? values.find((v) => v.toLowerCase() === x.toLowerCase()) : undefined;
  if (found === undefined) fail(path, `expected one of ${values.join(', ')}, got ${JSON.stringify(x)}`);
  return found;
}

function masterArgument(x: unknown): GraphMasterTerms | null {
  if (x == null) return null;
  const m = objectArgument(x, 'context.master');
  if (typeof m.uid !== 'string' || m.uid === '') throw new CoreError('INVALID_INPUT', 'the master needs a uid', 'context.master.uid');
  if (typeof m.allDay !== 'boolean') throw new CoreError('INVALID_INPUT', 'expected true or false', 'context.master.allDay');
  objectArgument(m.start, 'context.master.start');
  if (typeof m.zone !== 'string' || !isIanaZone(m.zone)) throw new CoreError('UNKNOWN_TIME_ZONE', 'expected the master\'s IANA zone', 'context.master.zone');
  return m as unknown as GraphMasterTerms;
}

function readBody(x: unknown, extras: GraphExtras): { description: string; descriptionHtml: string | null } {
  if (x === undefined) return { description: '', descriptionHtml: null };
  const body = object(x, 'body');
  const type = caseless(body.contentType ?? 'text', ['text', 'html'] as const, 'body.contentType');
  const content = optionalString(body.content ?? undefined, 'body.content') ?? '';
  if (type === 'text') return { description: content, descriptionHtml: null };
  if (content.trim() === '') {
    extras.bodyType = 'html';
    return { description: '', descriptionHtml: null };
  }
  return { description: htmlToText(content), descriptionHtml: content };
}

function readLocation(o: Obj, extras: GraphExtras): string {
  const location = o.location === undefined ? undefined : object(o.location, 'location');
  const locations = optionalArray(o.locations, 'locations')?.map((l, i) => object(l, `locations[${i}]`));
  const name = optionalString(location?.displayName ?? undefined, 'location.displayName') ?? '';
  if (location !== undefined && Object.keys(location).some((k) => k !== 'displayName')) extras.location = location;
  if (locations !== undefined && locations.length > 0) extras.locations = locations;
  return name;
}

const SHOW_AS = ['free', 'tentative', 'busy', 'oof', 'workingElsewhere', 'unknown'] as const;
const SENSITIVITY = ['normal', 'personal', 'private', 'confidential'] as const;
const PROVIDERS: Record<string, string | null> = { teamsForBusiness: 'teams', skypeForBusiness: 'skype', skypeForConsumer: 'skype', unknown: null };

function readReminders(o: Obj, extras: GraphExtras): Reminder[] | null {
  const on = optionalBoolean(o.isReminderOn, 'isReminderOn');
  const minutes = optionalInteger(o.reminderMinutesBeforeStart, 'reminderMinutesBeforeStart', 0, Number.MAX_SAFE_INTEGER);
  if (on === undefined) return null;
  if (!on) {
    if (minutes !== undefined) extras.reminderMinutesBeforeStart = minutes;
    return [];
  }
  // Outlook's default when none is given is 15 minutes.
  return [{ method: 'display', minutesBefore: minutes ?? 15 }];
}

function readConference(o: Obj, extras: GraphExtras): Conference | null {
  const on = optionalBoolean(o.isOnlineMeeting, 'isOnlineMeeting');
  const provider = optionalString(o.onlineMeetingProvider, 'onlineMeetingProvider');
  const meeting = o.onlineMeeting === undefined ? undefined : object(o.onlineMeeting, 'onlineMeeting');
  const kept = Object.fromEntries(Object.entries({ isOnlineMeeting: on, onlineMeetingProvider: provider, onlineMeeting: meeting }).filter(([, v]) => v !== undefined));
  if (Object.keys(kept).length > 0) extras.onlineMeeting = kept;
  const url = optionalString(meeting?.joinUrl ?? undefined, 'onlineMeeting.joinUrl') ?? optionalString(o.onlineMeetingUrl ?? undefined, 'onlineMeetingUrl');
  if (on === false || url === undefined || url === '' || !URL.canParse(url)) return null;
  return { url, provider: provider === undefined ? null : (PROVIDERS[provider] ?? provider) };
}

function readCategories(x: unknown): string[] {
  const list = optionalArray(x, 'categories') ?? [];
  return list.map((c, i) => {
    if (typeof c !== 'string' || c.trim() === '') fail(`categories[${i}]`, 'expected a category name');
    return c;
  });
}

function readProperties(x: unknown, extras: GraphExtras): void {
  const list = optionalArray(x, 'singleValueExtendedProperties') ?? [];
  const others = list.map((p, i) => object(p, `singleValueExtendedProperties[${i}]`)).filter((p) => !isStampProperty(p.id));
  if (others.length > 0) extras.properties = others;
}

interface Times {
  allDay: boolean;
  start: EventTime;
  end: EventTime;
  zone: string;
}

function readTimes(o: Obj, extras: GraphExtras): Times {
  if (o.start === undefined) fail('start', 'an event needs a start');
  if (o.end === undefined) fail('end', 'an event needs an end');
  const start = readGraphTime(o.start, 'start');
  const end = readGraphTime(o.end, 'end');
  const startZone = ownZone(o.originalStartTimeZone, 'originalStartTimeZone');
  const endZone = ownZone(o.originalEndTimeZone, 'originalEndTimeZone') ?? startZone;
  const zones = {
    ...(typeof o.originalStartTimeZone === 'string' ? { start: o.originalStartTimeZone } : {}),
    ...(typeof o.originalEndTimeZone === 'string' ? { end: o.originalEndTimeZone } : {}),
  };
  if (Object.keys(zones).length > 0) extras.timeZones = zones;
  if (optionalBoolean(o.isAllDay, 'isAllDay') === true) {
    const from = allDayDate(start, startZone, 'start');
    const to = allDayDate(end, endZone, 'end');
    if (to <= from) fail('end', 'the end of an all-day event is exclusive and must be after its start');
    return { allDay: true, start: { local: from, tz: null }, end: { local: to, tz: null }, zone: startZone ?? start.zone };
  }
  const zs = startZone ?? start.zone;
  const ze = endZone ?? end.zone;
  return { allDay: false, start: { local: inZone(start, zs), tz: zs }, end: { local: inZone(end, ze), tz: ze }, zone: zs };
}

/** `OID.<master id>.2020-04-30` (occurrenceId, cancelledOccurrences) → the date; null for anything else. */
export function occurrenceDate(occurrenceId: unknown, masterId?: string): LocalDateTime | null {
  if (typeof occurrenceId !== 'string') return null;
  const m = /^OID\.(.+)\.(\d{4}-\d{2}-\d{2})$/.exec(occurrenceId);
  if (m === null || (masterId !== undefined && m[1] !== masterId)) return null;
  return m[2]!;
}

/**
 * An exception's original start in its master's terms (the override key): its
 * `originalStart`, else (an exception expanded from its master's exceptionOccurrences,
 * which carry none) the date of its `occurrenceId` at the master's time of day.
 */
function recurrenceIdOf(o: Obj, master: GraphMasterTerms | null, own: Times): LocalDateTime {
  const original = optionalString(o.originalStart, 'originalStart');
  const date = master === null ? null : occurrenceDate(o.occurrenceId);
  if (original === undefined && date !== null) return master!.allDay ? date : `${date}T${master!.start.local.slice(11)}`;
  if (original === undefined) fail('originalStart', 'an exception needs the original start of the instance it replaces');
  const ms = Date.parse(original);
  if (Number.isNaN(ms) || !/(Z|[+-]\d{2}:\d{2})$/i.test(original)) fail('originalStart', `expected an instant, got ${JSON.stringify(original)}`);
  if (master === null) {
    const local = instantToLocal(ms, own.zone);
    return own.allDay ? local.slice(0, 10) : local;
  }
  if (master.allDay) return instantToLocal(ms, master.zone).slice(0, 10);
  return instantToLocal(ms, master.start.tz ?? master.zone);
}

export function readGraphEvent(resource: unknown, context: GraphReadContext = {}): GraphRead {
  const ctx = objectArgument(context, 'context');
  const master = masterArgument(ctx.master);
  // Graph writes null for members without a value ("recurrence": null, "seriesMasterId": null).
  const o = Object.fromEntries(Object.entries(object(resource, '')).filter(([, v]) => v !== null));
  const type = caseless(o.type, EVENT_TYPES, 'type') ?? 'singleInstance';
  if (type === 'occurrence') fail('type', 'an occurrence is an instance of its master, not an event of its own');
  const isException = type === 'exception';
  const extras: GraphExtras = {};

  const ownUid = optionalString(o.iCalUId, 'iCalUId') ?? optionalString(o.uid, 'uid');
  const uid = isException ? (master?.uid ?? (ctx.uid as string | undefined)) : (ownUid ?? (ctx.uid as string | undefined));
  if (typeof uid !== 'string' || uid.trim() === '') fail(isException ? 'seriesMasterId' : 'iCalUId', isException ? 'an exception needs its master (or the series\' uid)' : 'an event needs an iCalUId');

  const times = readTimes(o, extras);
  let recurrence: CanonicalEvent['recurrence'] = null;
  if (!isException && o.recurrence !== undefined) {
    const r = object(o.recurrence, 'recurrence');
    const range = object(r.range ?? {}, 'recurrence.range');
    const zoneName = optionalString(range.recurrenceTimeZone ?? undefined, 'recurrence.range.recurrenceTimeZone');
    const zone = ownZone(zoneName, 'recurrence.range.recurrenceTimeZone');
    if (zoneName !== undefined) extras.timeZones = { ...extras.timeZones, recurrence: zoneName };
    const rule = rruleFromGraph(r, { allDay: times.allDay, start: times.start.local, zone: times.zone }, zone);
    const startDate = optionalString(range.startDate ?? undefined, 'recurrence.range.startDate');
    if (startDate !== undefined && startDate !== times.start.local.slice(0, 10)) extras.rangeStartDate = startDate;
    recurrence = { rrule: [rule], rdate: [], exdate: [] };
  }

  const description = readBody(o.body, extras);
  const location = readLocation(o, extras);
  const showAs = caseless(o.showAs, SHOW_AS, 'showAs');
  if (showAs !== undefined && showAs !== 'busy' && showAs !== 'free') extras.showAs = showAs;
  const sensitivity = caseless(o.sensitivity, SENSITIVITY, 'sensitivity') ?? 'normal';
  if (sensitivity === 'personal') extras.sensitivity = 'personal';
  const people = readAttendees(o.attendees);
  if (Object.keys(people.kept).length > 0) extras.attendees = people.kept;
  if (people.unaddressed.length > 0) extras.unaddressed = people.unaddressed;
  let organizer = readOrganizer(o.organizer);
  // Graph names the calendar's owner as the organizer of every event, meeting or not:
  // without attendees there is no meeting and so no organizer (RFC 5545 §3.8.4.3).
  if (organizer !== null && people.attendees.length === 0 && people.unaddressed.length === 0) {
    extras.organizer = o.organizer as Obj;
    organizer = null;
  }
  const reminders = readReminders(o, extras);
  const conference = readConference(o, extras);
  readProperties(o.singleValueExtendedProperties, extras);
  const others = Object.entries(o).filter(([k]) => !isServer(k) && !MODELLED.has(k));
  const fields = Object.fromEntries(others.filter(([k]) => WRITABLE_FIELDS.has(k)));
  const unknown = Object.fromEntries(others.filter(([k]) => !WRITABLE_FIELDS.has(k)));
  if (Object.keys(fields).length > 0) extras.fields = fields;
  if (Object.keys(unknown).length > 0) extras.unknown = unknown;

  const event: CanonicalEvent = {
    uid: uid!,
    recurrenceId: isException ? recurrenceIdOf(o, master, times) : null,
    sequence: 0,
    status: optionalBoolean(o.isCancelled, 'isCancelled') === true ? 'cancelled' : 'confirmed',
    summary: optionalString(o.subject, 'subject') ?? '',
    description: description.description,
    descriptionHtml: description.descriptionHtml,
    location,
    allDay: times.allDay,
    start: times.start,
    end: times.end,
    recurrence,
    transparency: showAs === 'free' ? 'transparent' : 'opaque',
    visibility: sensitivity === 'normal' ? 'default' : sensitivity === 'personal' ? 'private' : sensitivity,
    organizer,
    attendees: people.attendees,
    conference,
    reminders,
    categories: readCategories(o.categories),
    color: null,
    extras: Object.keys(extras).length > 0 ? { graph: extras as Record<string, unknown> } : {},
  };
  validateEvent(event);
  return { event, zone: times.zone };
}

export function eventFromGraph(resource: unknown, context: GraphReadContext = {}): CanonicalEvent {
  return readGraphEvent(resource, context).event;
}
