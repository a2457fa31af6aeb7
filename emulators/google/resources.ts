// Event resources: checking what a client sends, filling in what the server owns, and
// rendering what Google answers. Server-owned members (events reference): kind, etag,
// htmlLink, created, updated ("Read-only"), creator and organizer (the calendar's),
// iCalUID ("<id>@google.com" when the client gives none), sequence.
import { isDeepStrictEqual } from 'node:util';
import { EVENT_MEMBERS, type GoogleEvent } from '../../src/core/google/types.ts';
import { googleErrors } from './errors.ts';
import { checkRecurrence } from './recurrence.ts';
import type { CalendarRecord, StoredEvent } from './store.ts';
import { readMoment, renderMoment } from './times.ts';


const KNOWN = new Set<string>(EVENT_MEMBERS);
/** Members a client cannot set (creator/organizer only through import). */
const READ_ONLY = ['kind', 'etag', 'htmlLink', 'created', 'updated', 'creator', 'organizer', 'hangoutLink'];
const STATUSES = ['confirmed', 'tentative', 'cancelled'];
const EVENT_TYPES = ['default', 'birthday', 'focusTime', 'fromGmail', 'outOfOffice', 'workingLocation'];

export type Body = Record<string, unknown>;

export function isObject(x: unknown): x is Body {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The request body as an object (a missing body is 400 required). */
export function bodyObject(x: unknown): Body {
  if (!isObject(x)) throw googleErrors.required('Required');
  return x;
}

/**
 * Patch semantics (events.patch): "The field values you specify replace the existing
 * values. Fields that you don't specify in the request remain unchanged. Array fields,
 * if specified, overwrite the existing arrays". Nested objects merge the same way; a
 * member set to null is cleared.
 */
export function mergePatch(target: Body, patch: Body): Body {
  const out: Body = structuredClone(target);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (isObject(value) && isObject(out[key])) out[key] = mergePatch(out[key] as Body, value);
    else out[key] = structuredClone(value);
  }
  return out;
}

function stringMap(x: unknown, path: string): void {
  if (x === undefined) return;
  if (!isObject(x)) throw googleErrors.invalid(`Invalid value for: ${path}`);
  for (const v of Object.values(x)) if (typeof v !== 'string') throw googleErrors.invalid(`Invalid value for: ${path}`);
}

function oneOf(x: unknown, values: string[], path: string): void {
  if (x !== undefined && !values.includes(x as string)) throw googleErrors.invalid(`Invalid value for: ${path}`);
}

/**
 * A client's event checked and reduced to the members the resource has (unknown members
 * are dropped, as Google's JSON reader drops them). Start and end are required; a
 * recurring event needs a time zone; the end may not be before the start.
 */
export function checkEvent(body: Body, calendar: CalendarRecord, options: { exception: boolean; keepOrganizer: boolean }): StoredEvent {
  const event: Body = {};
  for (const [key, value] of Object.entries(body)) {
    if (!KNOWN.has(key) || value === null || value === undefined) continue;
    if (READ_ONLY.includes(key) && !(options.keepOrganizer && (key === 'organizer' || key === 'creator'))) continue;
    event[key] = structuredClone(value);
  }
  for (const key of ['summary', 'description', 'location', 'colorId', 'iCalUID']) {
    if (event[key] !== undefined && typeof event[key] !== 'string') throw googleErrors.invalid(`Invalid value for: ${key}`);
  }
  oneOf(event.status, STATUSES, 'status');
  oneOf(event.transparency, ['opaque', 'transparent'], 'transparency');
  oneOf(event.visibility, ['default', 'public', 'private', 'confidential'], 'visibility');
  oneOf(event.eventType, EVENT_TYPES, 'eventType');
  if (event.sequence !== undefined && !(Number.isSafeInteger(event.sequence) && (event.sequence as number) >= 0)) {
    throw googleErrors.invalid('Invalid value for: sequence');
  }
  if (event.extendedProperties !== undefined) {
    if (!isObject(event.extendedProperties)) throw googleErrors.invalid('Invalid value for: extendedProperties');
    stringMap(event.extendedProperties.private, 'extendedProperties.private');
    stringMap(event.extendedProperties.shared, 'extendedProperties.shared');
  }
  if (event.attendees !== undefined) {
    if (!Array.isArray(event.attendees)) throw googleErrors.invalid('Invalid value for: attendees');
    for (const a of event.attendees) {
      if (!isObject(a) || typeof a.email !== 'string' || !a.email.includes('@')) throw googleErrors.required('Missing attendee email.');
    }
  }
  if (event.reminders !== undefined && !isObject(event.reminders)) throw googleErrors.invalid('Invalid value for: reminders');

  if (event.start === undefined) throw googleErrors.required('Missing start time.');
  if (event.end === undefined) throw googleErrors.required('Missing end time.');
  const start = readMoment(event.start as GoogleEvent['start'], 'start', calendar.timeZone);
  const end = readMoment(event.end as GoogleEvent['end'], 'end', calendar.timeZone);
  if (start.allDay !== end.allDay) throw googleErrors.invalid('Start and end times must either both be date or both be dateTime.');
  if (end.ms < start.ms) throw googleErrors.timeRangeEmpty('end');

  if (options.exception) {
    delete event.recurrence;
  } else if (event.recurrence !== undefined) {
    checkRecurrence(event.recurrence);
    if ((event.recurrence as string[]).length === 0) delete event.recurrence;
    else if (!start.allDay && (event.start as Body).timeZone === undefined) {
      throw googleErrors.required('Missing time zone definition for start time.');
    }
  }
  return event as StoredEvent;
}

/** Members that make a change significant enough to raise `sequence` (RFC 5545 §3.8.7.4). */
const SIGNIFICANT = ['start', 'end', 'recurrence', 'status', 'location'];

/**
 * The sequence of a new version. A lower one than the current is refused as Google
 * refuses it; a higher one is taken; otherwise the current one, plus one when the
 * time, recurrence, status or place changed.
 */
export function nextSequence(current: StoredEvent, next: StoredEvent, given: unknown): number {
  const now = current.sequence ?? 0;
  if (typeof given === 'number' && given < now) throw googleErrors.invalidSequence();
  if (typeof given === 'number' && given > now) return given;
  return SIGNIFICANT.some((k) => !isDeepStrictEqual(current[k], next[k])) ? now + 1 : now;
}

/** The web link Google gives: eid is base64 of "<event id> <calendar id>". */
export function htmlLink(eventId: string, calendarId: string): string {
  return `https://www.google.com/calendar/event?eid=${Buffer.from(`${eventId} ${calendarId}`).toString('base64url')}`;
}

/** Defaults Google answers when the client left them out. */
export function withDefaults(event: StoredEvent): StoredEvent {
  event.status ??= 'confirmed';
  event.reminders ??= { useDefault: true };
  event.eventType ??= 'default';
  return event;
}

function ordered(event: Body): Body {
  const out: Body = {};
  for (const key of EVENT_MEMBERS) if (event[key] !== undefined) out[key] = event[key];
  return out;
}

/** How much of a cancelled event an answer shows. */
export type CancelledDetail = 'full' | 'minimal';

/**
 * An event as answered, times written in `zone`. Minimal cancelled events follow the
 * `status` reference: "Cancelled exceptions are only guaranteed to have values for the
 * id, recurringEventId and originalStartTime fields populated" and "Deleted events are
 * only guaranteed to have the id field populated" (with kind, etag and status).
 */
export function render(event: StoredEvent, calendar: CalendarRecord, zone: string, cancelled: CancelledDetail = 'full'): Body {
  if (event.status === 'cancelled' && cancelled === 'minimal') {
    const minimal: Body = { kind: 'calendar#event', etag: event.etag, id: event.id, status: 'cancelled' };
    if (event.recurringEventId !== undefined) {
      minimal.recurringEventId = event.recurringEventId;
      minimal.originalStartTime = renderMoment(event.originalStartTime!, calendar.timeZone, zone);
    }
    return ordered(minimal);
  }
  const out: Body = structuredClone(event);
  for (const key of ['start', 'end', 'originalStartTime'] as const) {
    if (event[key] !== undefined) out[key] = renderMoment(event[key]!, calendar.timeZone, zone);
  }
  return ordered(out);
}
