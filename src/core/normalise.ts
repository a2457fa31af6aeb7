// The normalised form of an event: what "changed" means. Two items that differ only in
// what a server rewrites on its own normalise to the same value, so their content hashes
// match and a round trip through a provider is an echo, not an edit. Every rule below
// names the server or provider that needs it (CONVENTIONS.md 3). The normal form keeps
// the EventSeries shape so it can be stored as the base and merged against.
import { booleanArgument, describe, stringArgument } from './arguments.ts';
import { CoreError } from './errors.ts';
import type {
  Attendee, CanonicalEvent, Conference, EventSeries, EventTime, LocalDateTime, Person,
  Recurrence, Reminder,
} from './model.ts';
import { htmlToText } from './html-text.ts';

// Zone names that all mean UTC. Google returns 'UTC', Graph 'UTC' or 'Etc/GMT', ical.js
// reads `Z` times as 'UTC', Thunderbird writes 'Etc/UTC', Apple Calendar 'GMT'.
const UTC_ALIASES = new Set([
  'utc', 'etc/utc', 'gmt', 'etc/gmt', 'etc/gmt0', 'etc/gmt+0', 'etc/gmt-0', 'gmt0', 'gmt+0',
  'gmt-0', 'z', 'zulu', 'etc/zulu', 'universal', 'etc/universal', 'uct', 'etc/uct',
  'greenwich', 'etc/greenwich', 'coordinated universal time',
]);

const DATE = /^(\d{4})-?(\d{2})-?(\d{2})$/;
const DATE_TIME = /^(\d{4})-?(\d{2})-?(\d{2})[T ](\d{2}):?(\d{2})(?::?(\d{2})(?:\.\d+)?)?$/;

/** The normalised series: key-stable, with every server rewrite undone. */
export function normaliseSeries(series: EventSeries): EventSeries {
  if (!isObject(series)) throw new CoreError('INVALID_EVENT', 'series must be an object', 'series');
  const uid = requireString(series.uid, 'series.uid').trim();
  if (uid === '') throw new CoreError('INVALID_EVENT', 'series has an empty uid', 'series.uid');
  if (series.master !== null && !isObject(series.master)) {
    throw new CoreError('INVALID_EVENT', 'master must be an event or null', 'series.master');
  }
  const overridesIn = series.overrides ?? [];
  if (!Array.isArray(overridesIn)) {
    throw new CoreError('INVALID_EVENT', 'overrides must be an array', 'series.overrides');
  }
  let master = series.master ? normaliseEvent(series.master, 'series.master') : null;
  if (master && master.recurrenceId !== null) {
    throw new CoreError('INVALID_EVENT', 'the master has a recurrence id', 'series.master.recurrenceId');
  }
  const exdates = new Set(master?.recurrence?.exdate ?? []);
  const overrides = new Map<LocalDateTime, CanonicalEvent>();
  overridesIn.forEach((raw, i) => {
    const path = `series.overrides[${i}]`;
    const event = normaliseEvent(raw, path);
    if (event.recurrenceId === null) {
      throw new CoreError('INVALID_EVENT', 'an override needs a recurrence id', `${path}.recurrenceId`);
    }
    if (overrides.has(event.recurrenceId)) {
      throw new CoreError('INVALID_EVENT', `two overrides for ${event.recurrenceId}`, path);
    }
    // A cancelled instance is an EXDATE: Google lists a deleted instance as a bare
    // `status: cancelled` event, Graph as a missing occurrence, iCloud and Nextcloud write
    // EXDATE, Thunderbird a cancelled RECURRENCE-ID component. Only a bare cancellation
    // folds; one that carries content of its own stays an override.
    if (master?.recurrence && event.status === 'cancelled' && isBareCancellation(event, master)) {
      exdates.add(event.recurrenceId);
      return;
    }
    overrides.set(event.recurrenceId, event);
  });
  if (master?.recurrence) {
    master = { ...master, recurrence: { ...master.recurrence, exdate: [...exdates].sort() } };
  }
  const sorted = [...overrides.values()].sort((a, b) => compare(a.recurrenceId!, b.recurrenceId!));
  return { uid, master, overrides: sorted };
}

/** The normalised form of one event (single, master or override). */
export function normaliseEvent(event: CanonicalEvent, path = 'event'): CanonicalEvent {
  stringArgument(path, 'path');
  if (!isObject(event)) throw new CoreError('INVALID_EVENT', 'event must be an object', path);
  const allDay = requireBoolean(event.allDay, `${path}.allDay`);
  const start = normaliseTime(event.start, allDay, `${path}.start`);
  const end = normaliseTime(event.end, allDay, `${path}.end`);
  if (compare(end.local, start.local) < 0 && end.tz === start.tz) {
    throw new CoreError('INVALID_EVENT', 'end is before start', `${path}.end`);
  }
  const recurrenceId = event.recurrenceId == null
    ? null
    : normaliseLocal(requireString(event.recurrenceId, `${path}.recurrenceId`), allDay, `${path}.recurrenceId`);
  return {
    uid: requireString(event.uid, `${path}.uid`).trim(),
    recurrenceId,
    // SEQUENCE is not content: Google bumps it on every time change, Exchange on every
    // organiser save, and calsync on its own writes; the merge keeps the highest.
    sequence: requireSequence(event.sequence, `${path}.sequence`),
    status: requireOneOf(event.status, ['confirmed', 'tentative', 'cancelled'], `${path}.status`),
    summary: normaliseText(event.summary, `${path}.summary`),
    description: normaliseDescription(event, path),
    // Compared through its text (above): Graph returns every body as HTML even when it
    // was written as text, and Google's web UI wraps edited descriptions in markup.
    descriptionHtml: null,
    location: normaliseText(event.location, `${path}.location`),
    allDay,
    start,
    end,
    recurrence: event.recurrence == null ? null : normaliseRecurrence(event.recurrence, allDay, `${path}.recurrence`),
    transparency: requireOneOf(event.transparency, ['opaque', 'transparent'], `${path}.transparency`),
    visibility: requireOneOf(event.visibility, ['default', 'public', 'private', 'confidential'], `${path}.visibility`),
    organizer: normalisePerson(event.organizer, `${path}.organizer`),
    attendees: normaliseAttendees(event.attendees, `${path}.attendees`),
    conference: normaliseConference(event.conference, `${path}.conference`),
    reminders: normaliseReminders(event.reminders, `${path}.reminders`),
    categories: normaliseCategories(event.categories, `${path}.categories`),
    // Colours are compared case-blind: Google answers '#A4BDFC' for '#a4bdfc'.
    color: emptyToNull(optionalString(event.color, `${path}.color`)?.trim().toLowerCase() ?? null),
    // Provider extras are opaque pass-through (ETag echoes, Google `htmlLink`, Graph
    // `changeKey`): servers rewrite them on every read, so they are never content.
    // What extras.ical keeps only to write an item back as it came (src/core/ical/extras.ts):
    // - stamps (DTSTAMP, CREATED, LAST-MODIFIED): servers restamp DTSTAMP on store and
    //   export (Google's ICS export writes the export time), sabre/dav and iCloud set
    //   LAST-MODIFIED on every PUT;
    // - vtimezones: Radicale regenerates VTIMEZONEs on a whole-collection PUT, Google
    //   regenerates them in every export; the zone is compared by its resolved IANA name;
    // - omitted / explicit (TRANSP:OPAQUE, SEQUENCE:0, STATUS:CONFIRMED, an empty SUMMARY
    //   written out or not): writers differ by habit, not meaning: Google's export
    //   writes SEQUENCE:0 and STATUS:CONFIRMED on every event (all_day.ics), the bench
    //   workload's overrides leave TRANSP out;
    // - calendar (CALSCALE, METHOD, X-WR-*): belongs to the collection or the export,
    //   not the event; Google writes METHOD:PUBLISH and X-WR-CALNAME into every export.
    extras: {},
  };
}

/** A lower-cased address without `mailto:`: Outlook writes `MAILTO:`, Google lower-cases. */
export function normaliseEmail(email: string): string {
  return stringArgument(email, 'email').trim().replace(/^mailto:/i, '').toLowerCase();
}

/** One canonical spelling of a local time; `allDay` keeps dates only. */
export function normaliseLocal(local: LocalDateTime, allDay: boolean, path: string): LocalDateTime {
  stringArgument(path, 'path');
  booleanArgument(allDay, 'allDay');
  if (typeof local !== 'string') throw new CoreError('INVALID_EVENT', `not a local date or time: ${describe(local)}`, path);
  const value = local.trim().replace(/Z$/i, '');
  const date = DATE.exec(value);
  if (date) {
    const [, y, m, d] = date;
    return allDay ? `${y}-${m}-${d}` : `${y}-${m}-${d}T00:00:00`;
  }
  const dateTime = DATE_TIME.exec(value);
  if (!dateTime) throw new CoreError('INVALID_EVENT', `not a local date or time: ${describe(local)}`, path);
  const [, y, m, d, hh, mm, ss] = dateTime;
  // Graph sends all-day events as midnight date-times; the date is the content.
  if (allDay) return `${y}-${m}-${d}`;
  return `${y}-${m}-${d}T${hh}:${mm}:${ss ?? '00'}`;
}

/** One spelling per zone: UTC aliases collapse, and the trailing space Outlook leaves goes. */
export function normaliseZone(tz: string | null): string | null {
  if (tz === null) return null;
  const trimmed = stringArgument(tz, 'tz').trim();
  if (trimmed === '') return null;
  return UTC_ALIASES.has(trimmed.toLowerCase()) ? 'UTC' : trimmed;
}

function normaliseTime(time: EventTime, allDay: boolean, path: string): EventTime {
  if (!isObject(time)) throw new CoreError('INVALID_EVENT', 'time must be an object', path);
  const local = normaliseLocal(requireString(time.local, `${path}.local`), allDay, `${path}.local`);
  // All-day events are dates: Graph still sends the calendar's zone with them, Google none.
  const tz = allDay ? null : normaliseZone(optionalString(time.tz, `${path}.tz`));
  return { local, tz };
}

// Line endings and trailing whitespace: Exchange stores CRLF, Google trims the end of
// summaries, Outlook appends a newline to locations pasted from mail.
function normaliseText(value: unknown, path: string): string {
  return requireString(value ?? '', path).replace(/\r\n?/g, '\n').replace(/[ \t]+$/gm, '').trim();
}

function normaliseDescription(event: CanonicalEvent, path: string): string {
  const html = optionalString(event.descriptionHtml, `${path}.descriptionHtml`);
  const text = html !== null && html.trim() !== '' ? htmlToText(html) : requireString(event.description ?? '', `${path}.description`);
  return normaliseText(text, `${path}.description`);
}

function normaliseRecurrence(recurrence: Recurrence, allDay: boolean, path: string): Recurrence | null {
  if (!isObject(recurrence)) throw new CoreError('INVALID_RECURRENCE', 'recurrence must be an object', path);
  const rrule = stringList(recurrence.rrule, `${path}.rrule`).map((rule, i) => normaliseRrule(rule, `${path}.rrule[${i}]`));
  const rdate = stringList(recurrence.rdate, `${path}.rdate`).map((d, i) => normaliseLocal(d, allDay, `${path}.rdate[${i}]`));
  const exdate = stringList(recurrence.exdate, `${path}.exdate`).map((d, i) => normaliseLocal(d, allDay, `${path}.exdate[${i}]`));
  // A recurrence with no rule and no extra dates is a single event: Graph returns
  // `recurrence: {}`-shaped patterns for events that lost their series.
  if (rrule.length === 0 && rdate.length === 0) return null;
  return { rrule: uniqueSorted(rrule), rdate: uniqueSorted(rdate), exdate: uniqueSorted(exdate) };
}

// RRULE parts are order-free and some are defaults: Graph's patterns always carry an
// interval (INTERVAL=1 comes back), iCloud reorders parts, Google drops WKST=MO.
function normaliseRrule(rule: string, path: string): string {
  const body = rule.trim().replace(/^RRULE:/i, '');
  const parts = body.split(';').filter((part) => part !== '').map((part) => {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new CoreError('INVALID_RECURRENCE', `bad RRULE part ${JSON.stringify(part)}`, path);
    const key = part.slice(0, eq).toUpperCase();
    let value = part.slice(eq + 1).toUpperCase();
    // Lists are sets: Outlook writes BYDAY=FR,MO for MO,FR.
    if (key.startsWith('BY')) value = value.split(',').sort().join(',');
    return [key, value] as const;
  }).filter(([key, value]) => !(key === 'INTERVAL' && value === '1') && !(key === 'WKST' && value === 'MO'));
  if (!parts.some(([key]) => key === 'FREQ')) throw new CoreError('INVALID_RECURRENCE', 'RRULE without FREQ', path);
  return parts
    .sort(([a], [b]) => (a === 'FREQ' ? -1 : b === 'FREQ' ? 1 : compare(a, b)))
    .map(([key, value]) => `${key}=${value}`)
    .join(';');
}

function normalisePerson(person: Person | null, path: string): Person | null {
  if (person == null) return null;
  if (!isObject(person)) throw new CoreError('INVALID_EVENT', 'person must be an object', path);
  const email = normaliseEmail(requireString(person.email ?? '', `${path}.email`));
  // An organizer without an address is no organizer: Google emits `{}` for some imports.
  if (email === '') return null;
  return { email, name: emptyToNull(optionalString(person.name, `${path}.name`)?.trim() ?? null) };
}

// Attendee order is not content (Google sorts by response, Exchange by role, CalDAV keeps
// input order), and neither is the address's case (Outlook keeps it, Google lowers it).
// `respondedAt` is calsync's merge bookkeeping, not a provider field, so it is dropped.
function normaliseAttendees(list: Attendee[] | null | undefined, path: string): Attendee[] {
  if (list == null) return [];
  if (!Array.isArray(list)) throw new CoreError('INVALID_EVENT', 'attendees must be an array', path);
  const byEmail = new Map<string, Attendee>();
  list.forEach((raw, i) => {
    const at = `${path}[${i}]`;
    const person = normalisePerson(raw, at);
    if (!person) throw new CoreError('INVALID_EVENT', 'attendee without an email', `${at}.email`);
    const attendee: Attendee = {
      ...person,
      role: requireOneOf(raw.role, ['chair', 'required', 'optional', 'non-participant'], `${at}.role`),
      response: requireOneOf(raw.response, ['needs-action', 'accepted', 'declined', 'tentative', 'delegated'], `${at}.response`),
      respondedAt: null,
    };
    // The same address twice: Exchange lists a delegate once per mailbox alias.
    if (!byEmail.has(person.email)) byEmail.set(person.email, attendee);
  });
  return [...byEmail.values()].sort((a, b) => compare(a.email, b.email));
}

function normaliseConference(conference: Conference | null, path: string): Conference | null {
  if (conference == null) return null;
  if (!isObject(conference)) throw new CoreError('INVALID_EVENT', 'conference must be an object', path);
  const url = requireString(conference.url ?? '', `${path}.url`).trim();
  // Graph returns `onlineMeeting: {joinUrl: ''}` for events without a meeting.
  if (url === '') return null;
  return { url, provider: emptyToNull(optionalString(conference.provider, `${path}.provider`)?.trim().toLowerCase() ?? null) };
}

// null (the calendar's defaults, Google `useDefault: true`) differs from [] (explicitly
// none), so the two stay apart; order does not matter (Google sorts by minutes).
function normaliseReminders(reminders: Reminder[] | null | undefined, path: string): Reminder[] | null {
  if (reminders == null) return null;
  if (!Array.isArray(reminders)) throw new CoreError('INVALID_EVENT', 'reminders must be an array', path);
  const list = reminders.map((r, i) => {
    const method = requireOneOf(r?.method, ['display', 'email', 'audio'], `${path}[${i}].method`);
    const minutes = r.minutesBefore;
    if (typeof minutes !== 'number' || !Number.isInteger(minutes)) {
      throw new CoreError('INVALID_EVENT', 'minutesBefore must be an integer', `${path}[${i}].minutesBefore`);
    }
    return { method, minutesBefore: minutes };
  });
  const unique = new Map(list.map((r) => [`${r.method}:${r.minutesBefore}`, r]));
  return [...unique.values()].sort((a, b) => a.minutesBefore - b.minutesBefore || compare(a.method, b.method));
}

// Categories are a set: Outlook sorts them, CalDAV servers keep input order.
function normaliseCategories(categories: string[] | null | undefined, path: string): string[] {
  return uniqueSorted(stringList(categories, path).map((c) => c.trim()).filter((c) => c !== ''));
}

// A bare cancellation: nothing beyond what the instance inherits from the master
// (Google's cancelled instances carry only id, status and originalStartTime).
function isBareCancellation(override: CanonicalEvent, master: CanonicalEvent): boolean {
  const inherits = <K extends keyof CanonicalEvent>(key: K, empty: CanonicalEvent[K]) =>
    same(override[key], empty) || same(override[key], master[key]);
  return inherits('summary', '') && inherits('description', '') && inherits('location', '')
    && inherits('attendees', []) && inherits('conference', null);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function stringList(value: unknown, path: string): string[] {
  if (value == null) return [];
  if (!Array.isArray(value)) throw new CoreError('INVALID_EVENT', 'must be a list of strings', path);
  return value.map((item, i) => requireString(item, `${path}[${i}]`));
}

function uniqueSorted(values: string[]): string[] {
  return [...new Set(values)].sort(compare);
}

function emptyToNull(value: string | null): string | null {
  return value === null || value === '' ? null : value;
}

/** Code-point order, independent of locale. */
export function compare(a: string, b: string): number {
  if (typeof a !== 'string' || typeof b !== 'string') throw new CoreError('INVALID_INPUT', 'compare takes two strings', 'compare');
  return a < b ? -1 : a > b ? 1 : 0;
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireString(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new CoreError('INVALID_EVENT', 'must be a string', path);
  return value;
}

function optionalString(value: unknown, path: string): string | null {
  return value == null ? null : requireString(value, path);
}

/** Checked, since the merge carries the highest forward, but always 0 in the normal form. */
function requireSequence(value: unknown, path: string): 0 {
  if (value != null && !(Number.isSafeInteger(value) && (value as number) >= 0)) {
    throw new CoreError('INVALID_EVENT', 'sequence must be a whole number ≥ 0', path);
  }
  return 0;
}

function requireBoolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw new CoreError('INVALID_EVENT', 'must be true or false', path);
  return value;
}

function requireOneOf<T extends string>(value: unknown, allowed: readonly T[], path: string): T {
  if (!allowed.includes(value as T)) {
    throw new CoreError('INVALID_EVENT', `must be one of ${allowed.join(', ')}`, path);
  }
  return value as T;
}
