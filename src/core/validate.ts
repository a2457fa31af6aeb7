// Runtime validation of the canonical model (model.ts). Every core entry point that
// takes events from outside (connectors, the API, the database) runs them through
// here first: anything malformed becomes CoreError('INVALID_EVENT') naming the property
// path, never a crash further in. Validation does not copy: a valid input is returned
// as is, typed.
import ICAL from 'ical.js';
import { describe, stringArgument } from './arguments.ts';
import { CoreError } from './errors.ts';
import type {
  Attendee,
  CanonicalEvent,
  EventSeries,
  EventTime,
  LocalDateTime,
  Person,
  Recurrence,
  Reminder,
} from './model.ts';
import { isIanaZone } from './timezones.ts';
import { localToInstant } from './ical/zoned.ts';

type Obj = Record<string, unknown>;

function fail(path: string, message: string): never {
  throw new CoreError('INVALID_EVENT', message, path || '(root)');
}

function object(x: unknown, path: string): Obj {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) fail(path, `expected an object, got ${describe(x)}`);
  return x as Obj;
}

function string(x: unknown, path: string): string {
  if (typeof x !== 'string') fail(path, `expected a string, got ${describe(x)}`);
  return x;
}

function nonEmpty(x: unknown, path: string): string {
  const s = string(x, path);
  if (s.trim() === '') fail(path, 'must not be empty');
  return s;
}

function nullableString(x: unknown, path: string): string | null {
  return x === null ? null : string(x, path);
}

function boolean(x: unknown, path: string): boolean {
  if (typeof x !== 'boolean') fail(path, `expected a boolean, got ${describe(x)}`);
  return x;
}

function array(x: unknown, path: string): unknown[] {
  if (!Array.isArray(x)) fail(path, `expected an array, got ${describe(x)}`);
  return x;
}

function oneOf<T extends string>(x: unknown, values: readonly T[], path: string): T {
  if (typeof x !== 'string' || !(values as readonly string[]).includes(x)) {
    fail(path, `expected one of ${values.join(', ')}, got ${describe(x)}`);
  }
  return x as T;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

/** A `YYYY-MM-DD` date (allDay) or `YYYY-MM-DDTHH:MM:SS` wall-clock time. */
export function isLocalDateTime(x: unknown, allDay: boolean): x is LocalDateTime {
  if (typeof x !== 'string') return false;
  const m = (allDay ? DATE : DATE_TIME).exec(x);
  if (m === null) return false;
  const [year, month, day, hour = 0, minute = 0, second = 0] = m.slice(1).map(Number) as number[];
  return (
    year! >= 1 && day! >= 1 && day! <= daysInMonth(year!, month!) && hour < 24 && minute < 60 && second < 60
  );
}

function local(x: unknown, allDay: boolean, path: string): LocalDateTime {
  if (!isLocalDateTime(x, allDay)) {
    fail(path, `expected ${allDay ? 'a date YYYY-MM-DD' : 'a local time YYYY-MM-DDTHH:MM:SS'}, got ${describe(x)}`);
  }
  return x;
}

function eventTime(x: unknown, allDay: boolean, path: string): EventTime {
  const o = object(x, path);
  local(o.local, allDay, `${path}.local`);
  const tz = nullableString(o.tz, `${path}.tz`);
  if (tz !== null && !isIanaZone(tz)) fail(`${path}.tz`, `unknown IANA time zone "${tz}"`);
  if (allDay && tz !== null) fail(`${path}.tz`, 'all-day times are plain dates: tz must be null');
  return o as unknown as EventTime;
}

const RRULE_PARTS = new Set([
  'FREQ', 'UNTIL', 'COUNT', 'INTERVAL', 'BYSECOND', 'BYMINUTE', 'BYHOUR', 'BYDAY', 'BYMONTHDAY',
  'BYYEARDAY', 'BYWEEKNO', 'BYMONTH', 'BYSETPOS', 'WKST', 'RSCALE', 'SKIP',
]);

/** Why `rule` is not an RFC 5545 RRULE value (without the `RRULE:` prefix), or null when it is. */
export function checkRrule(rule: string): string | null {
  if (typeof rule !== 'string') return `expected a string, got ${describe(rule)}`;
  if (/^RRULE:/i.test(rule)) return 'write the value without the "RRULE:" prefix';
  const names = rule.split(';').map((part) => part.split('=')[0]?.toUpperCase() ?? '');
  const unknown = names.find((n) => !RRULE_PARTS.has(n));
  if (unknown !== undefined) return `unknown RRULE part "${unknown}"`;
  if (new Set(names).size !== names.length) return 'repeated RRULE part';
  if (names.includes('COUNT') && names.includes('UNTIL')) return 'COUNT and UNTIL together';
  try {
    if (ICAL.Recur.fromString(rule).freq == null) return 'FREQ is required';
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  return null;
}

function recurrence(x: unknown, allDay: boolean, path: string): Recurrence {
  const o = object(x, path);
  const rrule = array(o.rrule, `${path}.rrule`);
  rrule.forEach((r, i) => {
    const problem = checkRrule(nonEmpty(r, `${path}.rrule[${i}]`));
    if (problem !== null) fail(`${path}.rrule[${i}]`, problem);
  });
  const rdate = array(o.rdate, `${path}.rdate`);
  rdate.forEach((d, i) => local(d, allDay, `${path}.rdate[${i}]`));
  array(o.exdate, `${path}.exdate`).forEach((d, i) => local(d, allDay, `${path}.exdate[${i}]`));
  if (rrule.length === 0 && rdate.length === 0) fail(path, 'a recurrence needs an rrule or an rdate (use null for none)');
  return o as unknown as Recurrence;
}

function email(x: unknown, path: string): string {
  const s = nonEmpty(x, path);
  if (s !== s.toLowerCase()) fail(path, `email must be lower-case, got "${s}"`);
  if (/^mailto:/.test(s)) fail(path, 'email must not carry the "mailto:" prefix');
  if (/\s/.test(s) || !s.includes('@')) fail(path, `not an email address: "${s}"`);
  return s;
}

function person(x: unknown, path: string): Person {
  const o = object(x, path);
  email(o.email, `${path}.email`);
  nullableString(o.name, `${path}.name`);
  return o as unknown as Person;
}

function attendee(x: unknown, path: string): Attendee {
  const o = person(x, path) as unknown as Obj;
  oneOf(o.role, ['chair', 'required', 'optional', 'non-participant'] as const, `${path}.role`);
  oneOf(o.response, ['needs-action', 'accepted', 'declined', 'tentative', 'delegated'] as const, `${path}.response`);
  const at = nullableString(o.respondedAt, `${path}.respondedAt`);
  if (at !== null && (!INSTANT.test(at) || Number.isNaN(Date.parse(at)))) {
    fail(`${path}.respondedAt`, `expected an ISO instant like 2025-01-02T10:00:00Z, got "${at}"`);
  }
  return o as unknown as Attendee;
}

function reminder(x: unknown, path: string): Reminder {
  const o = object(x, path);
  oneOf(o.method, ['display', 'email', 'audio'] as const, `${path}.method`);
  const m = o.minutesBefore;
  if (typeof m !== 'number' || !Number.isSafeInteger(m) || m < 0) {
    fail(`${path}.minutesBefore`, `expected a whole number of minutes ≥ 0, got ${describe(m)}`);
  }
  return o as unknown as Reminder;
}

/** Extras must be JSON data (they are stored as jsonb): no cycles, functions, NaN. */
function json(x: unknown, path: string, ancestors: unknown[]): void {
  if (x === null || typeof x === 'string' || typeof x === 'boolean') return;
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) fail(path, 'numbers in extras must be finite');
    return;
  }
  if (typeof x !== 'object') fail(path, `extras hold JSON data only, got ${typeof x}`);
  if (ancestors.includes(x)) fail(path, 'cyclic value');
  if (ancestors.length > 64) fail(path, 'nested deeper than 64 levels');
  const next = [...ancestors, x];
  if (Array.isArray(x)) {
    x.forEach((v, i) => json(v, `${path}[${i}]`, next));
    return;
  }
  const proto = Object.getPrototypeOf(x);
  if (proto !== Object.prototype && proto !== null) fail(path, 'extras hold plain objects only');
  for (const [k, v] of Object.entries(x)) json(v, `${path}.${k}`, next);
}

function instantOf(t: EventTime): number {
  return t.tz === null ? Date.parse(`${t.local}Z`) : localToInstant(t.local, t.tz);
}

/**
 * The highest SEQUENCE: an iCalendar INTEGER is 32-bit (RFC 5545 3.3.8), Google's
 * `sequence` an int32, and the store's column an integer.
 */
export const MAX_SEQUENCE = 2_147_483_647;

function sequence(x: unknown, path: string): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0 || x > MAX_SEQUENCE) fail(path, `expected a whole number from 0 to ${MAX_SEQUENCE}, got ${describe(x)}`);
  return x;
}

export function validateEvent(x: unknown, path = ''): CanonicalEvent {
  stringArgument(path, 'path');
  const at = (name: string): string => (path ? `${path}.${name}` : name);
  const o = object(x, path);
  nonEmpty(o.uid, at('uid'));
  const recurrenceId = o.recurrenceId;
  if (recurrenceId !== null && !isLocalDateTime(recurrenceId, true) && !isLocalDateTime(recurrenceId, false)) {
    fail(at('recurrenceId'), `expected null, a date or a local time, got ${describe(recurrenceId)}`);
  }
  sequence(o.sequence, at('sequence'));
  oneOf(o.status, ['confirmed', 'tentative', 'cancelled'] as const, at('status'));
  string(o.summary, at('summary'));
  string(o.description, at('description'));
  nullableString(o.descriptionHtml, at('descriptionHtml'));
  string(o.location, at('location'));
  const allDay = boolean(o.allDay, at('allDay'));
  const start = eventTime(o.start, allDay, at('start'));
  const end = eventTime(o.end, allDay, at('end'));
  if ((start.tz === null) !== (end.tz === null)) fail(at('end.tz'), 'start and end must both be floating or both zoned');
  const endsBefore = allDay
    ? end.local <= start.local
    : start.tz === end.tz
      ? end.local < start.local
      : instantOf(end) < instantOf(start);
  if (endsBefore) {
    fail(at('end'), allDay ? 'an all-day end is exclusive and must be after the start date' : 'end is before start');
  }
  if (o.recurrence !== null) {
    if (recurrenceId !== null) fail(at('recurrence'), 'an override (recurrenceId set) cannot carry a recurrence');
    recurrence(o.recurrence, allDay, at('recurrence'));
  }
  oneOf(o.transparency, ['opaque', 'transparent'] as const, at('transparency'));
  oneOf(o.visibility, ['default', 'public', 'private', 'confidential'] as const, at('visibility'));
  if (o.organizer !== null) person(o.organizer, at('organizer'));
  const emails = new Set<string>();
  array(o.attendees, at('attendees')).forEach((a, i) => {
    const { email: address } = attendee(a, at(`attendees[${i}]`));
    if (emails.has(address)) fail(at(`attendees[${i}].email`), `attendee ${address} is listed twice`);
    emails.add(address);
  });
  if (o.conference !== null) {
    const c = object(o.conference, at('conference'));
    const url = nonEmpty(c.url, at('conference.url'));
    if (!URL.canParse(url)) fail(at('conference.url'), `not an absolute URL: "${url}"`);
    nullableString(c.provider, at('conference.provider'));
  }
  if (o.reminders !== null) array(o.reminders, at('reminders')).forEach((r, i) => reminder(r, at(`reminders[${i}]`)));
  array(o.categories, at('categories')).forEach((c, i) => nonEmpty(c, at(`categories[${i}]`)));
  nullableString(o.color, at('color'));
  json(object(o.extras, at('extras')), at('extras'), []);
  return o as unknown as CanonicalEvent;
}

export function validateSeries(x: unknown): EventSeries {
  const o = object(x, '');
  const uid = nonEmpty(o.uid, 'uid');
  const master = o.master === null ? null : validateEvent(o.master, 'master');
  if (master !== null) {
    if (master.uid !== uid) fail('master.uid', `differs from the series uid "${uid}"`);
    if (master.recurrenceId !== null) fail('master.recurrenceId', 'a master has no recurrenceId');
  }
  const overrides = array(o.overrides, 'overrides');
  if (master === null && overrides.length === 0) fail('', 'a series needs a master or at least one override');
  if (master !== null && master.recurrence === null && overrides.length > 0) {
    fail('master.recurrence', 'overrides need a recurring master');
  }
  const seen = new Set<string>();
  overrides.forEach((raw, i) => {
    const p = `overrides[${i}]`;
    const e = validateEvent(raw, p);
    if (e.uid !== uid) fail(`${p}.uid`, `differs from the series uid "${uid}"`);
    if (e.recurrenceId === null) fail(`${p}.recurrenceId`, 'an override needs the original start it replaces');
    if (master !== null && !isLocalDateTime(e.recurrenceId, master.allDay)) {
      fail(`${p}.recurrenceId`, `must be in the master's start terms (${master.allDay ? 'a date' : 'a local time'})`);
    }
    if (seen.has(e.recurrenceId)) fail(`${p}.recurrenceId`, `instance ${e.recurrenceId} is overridden twice`);
    seen.add(e.recurrenceId);
  });
  return o as unknown as EventSeries;
}
