// One VEVENT → the fields of a canonical event. Recurrence ids, EXDATEs and RDATEs are
// returned as read; parse.ts converts them into the master's start terms once the
// master of the UID is known.
import ICAL from 'ical.js';
import { CoreError } from '../errors.ts';
import type { Attendee, CanonicalEvent, Conference, EventTime, Person, Reminder } from '../model.ts';
import { checkRrule } from '../validate.ts';
import { readAlarm } from './alarms.ts';
import { conferenceProvider, reminderKey, type IcalExtras } from './extras.ts';
import { componentText, splitTextValues, unescapeText, type ContentLine, type Params, type RawComponent } from './lines.ts';
import { rawValue, readPeriods, readTimes, type IcalTime, type Period, type Zones } from './times.ts';
import { addDays, instantToLocal, localToInstant } from './zoned.ts';

/** What the VEVENT holds beyond the model, gathered while reading it. */
type Collected = Required<Pick<IcalExtras, 'properties' | 'components' | 'alarms' | 'params' | 'stamps'>>;

export interface ReadEvent {
  line: number;
  calsyncId: string | null;
  recurrenceId: IcalTime | null;
  rdate: IcalTime[];
  /** RDATE;VALUE=PERIOD values: instances with a length of their own. */
  periods: Period[];
  exdate: IcalTime[];
  rrule: string[];
  /** The line of each RRULE. */
  rruleLines: number[];
  /** The master's start terms: DTSTART as read. */
  start: IcalTime;
  /** Everything but recurrenceId and recurrence, which need the master. */
  event: Omit<CanonicalEvent, 'recurrenceId' | 'recurrence'>;
}

function invalid(message: string, line: number): never {
  throw new CoreError('INVALID_ICALENDAR', message, `line ${line}`);
}

function decode(l: ContentLine): { params: Params; values: unknown[] } {
  try {
    const json = ICAL.Property.fromString(l.text).toJSON() as unknown[];
    return { params: json[1] as Params, values: json.slice(3) };
  } catch (e) {
    return invalid(`unreadable ${l.name}: ${e instanceof Error ? e.message : String(e)}`, l.line);
  }
}

function without(params: Params, known: string[]): Params | null {
  const rest = Object.fromEntries(Object.entries(params).filter(([k]) => !known.includes(k)));
  return Object.keys(rest).length > 0 ? rest : null;
}

const text = (l: ContentLine): string => unescapeText(rawValue(l.text));
const param = (p: Params, name: string): string | null => {
  const v = p[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? (v[0] ?? null) : null;
};

const ROLES: Record<string, Attendee['role']> = {
  CHAIR: 'chair',
  'REQ-PARTICIPANT': 'required',
  'OPT-PARTICIPANT': 'optional',
  'NON-PARTICIPANT': 'non-participant',
};
// COMPLETED and IN-PROCESS are VTODO states; an event attendee with them has not answered.
const RESPONSES: Record<string, Attendee['response']> = {
  'NEEDS-ACTION': 'needs-action',
  ACCEPTED: 'accepted',
  DECLINED: 'declined',
  TENTATIVE: 'tentative',
  DELEGATED: 'delegated',
};
const STATUSES: Record<string, CanonicalEvent['status']> = {
  CONFIRMED: 'confirmed',
  TENTATIVE: 'tentative',
  CANCELLED: 'cancelled',
};
const TRANSPARENCY: Record<string, CanonicalEvent['transparency']> = { OPAQUE: 'opaque', TRANSPARENT: 'transparent' };
const CLASSES: Record<string, CanonicalEvent['visibility']> = {
  PUBLIC: 'public',
  PRIVATE: 'private',
  CONFIDENTIAL: 'confidential',
};

function mailto(value: unknown): string | null {
  if (typeof value !== 'string' || !/^mailto:/i.test(value.trim())) return null;
  const email = value.trim().slice(7).trim().toLowerCase();
  return email.includes('@') && !/\s/.test(email) ? email : null;
}

/**
 * Properties whose values servers rewrite on every export or store: DTSTAMP (Google's
 * ICS export stamps the export time; RFC 5545 lets any METHOD-less store reset it),
 * LAST-MODIFIED and CREATED (set by the storing server: Google, iCloud and
 * sabre/dav-based servers write their own). Kept verbatim in extras.ical.stamps, so a
 * copy carries them, and never content (normalise.ts).
 */
const SERVER_OWNED = new Set(['DTSTAMP', 'LAST-MODIFIED', 'CREATED']);

/** Properties render writes at the model's default value; their absence is recorded. */
const WRITTEN_BY_DEFAULT = ['SEQUENCE', 'STATUS', 'TRANSP'];
/** Text properties render leaves out when empty; an empty one the source wrote is recorded. */
const OMITTED_WHEN_EMPTY = ['SUMMARY', 'DESCRIPTION', 'LOCATION'];

/** Conference links besides RFC 7986 CONFERENCE, in order of trust. */
const CONFERENCE_FALLBACKS = ['X-GOOGLE-CONFERENCE', 'X-MICROSOFT-SKYPETEAMSMEETINGURL', 'URL'];

export const NO_REMINDERS = 'X-CALSYNC-REMINDERS';
export const CALSYNC_ID = 'X-CALSYNC-ID';
export const PROVIDER_PARAM = 'x-calsync-provider';
export const RESPONDED_PARAM = 'x-calsync-responded-at';

export function readVevent(c: RawComponent, zones: Zones): ReadEvent {
  const single = new Map<string, ContentLine>();
  const extras: Collected = { properties: [], components: [], alarms: {}, params: {}, stamps: [] };
  const keep = (l: ContentLine): void => {
    extras.properties.push(l.text);
  };
  // RFC 5545 allows these once per VEVENT; a second one has no place in the model, and
  // keeping it as an unknown line would turn it into the first one on the next parse.
  // CONFERENCE may repeat (RFC 7986): the first is the model's, the rest are kept.
  const once = (l: ContentLine): void => {
    const first = single.get(l.name);
    if (first === undefined) single.set(l.name, l);
    else if (l.name === 'CONFERENCE') keep(l);
    else invalid(`${l.name} appears twice in one VEVENT (first on line ${first.line})`, l.line);
  };
  const rrule: string[] = [];
  const rruleLines: number[] = [];
  const rdate: IcalTime[] = [];
  const periods: Period[] = [];
  const exdate: IcalTime[] = [];
  const attendees: Attendee[] = [];
  const categories: string[] = [];
  const fallbacks: ContentLine[] = [];
  let calsyncId: string | null = null;
  let noReminders = false;

  for (const l of c.properties) {
    if (SERVER_OWNED.has(l.name)) {
      extras.stamps.push(l.text);
      continue;
    }
    switch (l.name) {
      case 'UID': case 'DTSTART': case 'DTEND': case 'DURATION': case 'RECURRENCE-ID': case 'SEQUENCE':
      case 'SUMMARY': case 'DESCRIPTION': case 'LOCATION': case 'ORGANIZER': case 'CONFERENCE': case 'COLOR':
        once(l);
        break;
      case 'STATUS':
        if (STATUSES[text(l).trim().toUpperCase()] === undefined) keep(l);
        else once(l);
        break;
      case 'TRANSP':
        if (TRANSPARENCY[text(l).trim().toUpperCase()] === undefined) keep(l);
        else once(l);
        break;
      case 'CLASS':
        if (CLASSES[text(l).trim().toUpperCase()] === undefined) keep(l);
        else once(l);
        break;
      case 'X-ALT-DESC':
        if (param(decode(l).params, 'fmttype')?.toLowerCase() === 'text/html') once(l);
        else keep(l);
        break;
      case CALSYNC_ID:
        calsyncId = text(l).trim();
        break;
      case NO_REMINDERS:
        if (text(l).trim().toUpperCase() === 'NONE') noReminders = true;
        else keep(l);
        break;
      case 'RRULE': {
        // Google has written rules with a trailing semicolon (libical accepts them since
        // 2015), and calendarlabs.com exports an empty `RRULE:` on single events: no rule.
        const rule = rawValue(l.text).trim().replace(/;+$/, '');
        if (rule === '') break;
        const problem = checkRrule(rule);
        if (problem !== null) invalid(`bad RRULE: ${problem}`, l.line);
        rrule.push(rule);
        rruleLines.push(l.line);
        break;
      }
      case 'EXDATE':
        exdate.push(...readTimes(l, decode(l).params, zones));
        break;
      case 'RDATE': {
        const { params } = decode(l);
        // RDATE;VALUE=PERIOD (Lotus Notes writes a series as periods): each instance has
        // its own length (parse.ts).
        // ical.js moves VALUE out of the parameters, so it is read from the line.
        if (/^RDATE(;[^:]*)?;VALUE=PERIOD[;:]/i.test(l.text)) periods.push(...readPeriods(l, params, zones));
        else rdate.push(...readTimes(l, params, zones));
        break;
      }
      case 'ATTENDEE': {
        const { params, values } = decode(l);
        const email = mailto(values[0]);
        if (email === null || attendees.some((a) => a.email === email)) {
          keep(l);
          break;
        }
        const respondedAt = param(params, RESPONDED_PARAM);
        attendees.push({
          email,
          name: param(params, 'cn'),
          role: ROLES[param(params, 'role')?.toUpperCase() ?? 'REQ-PARTICIPANT'] ?? 'required',
          response: RESPONSES[param(params, 'partstat')?.toUpperCase() ?? 'NEEDS-ACTION'] ?? 'needs-action',
          respondedAt,
        });
        const rest = without(params, ['cn', 'role', 'partstat', RESPONDED_PARAM]);
        if (rest !== null) extras.params[`ATTENDEE:${email}`] = rest;
        break;
      }
      case 'CATEGORIES':
        categories.push(...splitTextValues(rawValue(l.text)).filter((v) => v.trim() !== ''));
        break;
      default:
        if (CONFERENCE_FALLBACKS.includes(l.name)) fallbacks.push(l);
        else keep(l);
    }
  }

  const uidLine = single.get('UID');
  if (uidLine === undefined || text(uidLine).trim() === '') invalid('VEVENT without UID', c.line);
  const startLine = single.get('DTSTART');
  if (startLine === undefined) invalid('VEVENT without DTSTART', c.line);
  const startTime = readTime(startLine, zones);
  const allDay = startTime.isDate;
  const start: EventTime = { local: startTime.local, tz: startTime.tz };
  const endTime = readEnd(single, startTime, zones, extras);
  const end: EventTime = { local: endTime.local, tz: endTime.tz };

  const sequenceLine = single.get('SEQUENCE');
  const sequence = sequenceLine === undefined ? '0' : rawValue(sequenceLine.text).trim();
  if (!/^\d{1,9}$/.test(sequence)) invalid(`SEQUENCE must be a whole number, got "${sequence}"`, sequenceLine!.line);

  const html = single.get('X-ALT-DESC');
  const organizer = readOrganizer(single.get('ORGANIZER'), extras);
  const conference = readConference(single.get('CONFERENCE'), fallbacks, extras, keep);
  const reminders = readReminders(c, extras, noReminders);
  const recurrenceIdLine = single.get('RECURRENCE-ID');
  if (recurrenceIdLine !== undefined && /;RANGE=THISANDFUTURE/i.test(recurrenceIdLine.text)) {
    invalid('RECURRENCE-ID;RANGE=THISANDFUTURE is not supported: split the series instead', recurrenceIdLine.line);
  }
  for (const name of ['SUMMARY', 'DESCRIPTION', 'LOCATION', 'X-ALT-DESC']) {
    const l = single.get(name);
    const rest = l === undefined ? null : without(decode(l).params, name === 'X-ALT-DESC' ? ['fmttype'] : []);
    if (rest !== null) extras.params[name] = rest;
  }

  const value = (name: string): string | undefined => {
    const l = single.get(name);
    return l === undefined ? undefined : text(l);
  };
  const event: ReadEvent['event'] = {
    uid: text(uidLine).trim(),
    sequence: Number(sequence),
    status: STATUSES[(value('STATUS') ?? 'CONFIRMED').trim().toUpperCase()]!,
    summary: value('SUMMARY') ?? '',
    description: value('DESCRIPTION') ?? '',
    descriptionHtml: html === undefined ? null : text(html),
    location: value('LOCATION') ?? '',
    allDay,
    start,
    end,
    transparency: TRANSPARENCY[(value('TRANSP') ?? 'OPAQUE').trim().toUpperCase()]!,
    visibility: CLASSES[(value('CLASS') ?? '').trim().toUpperCase()] ?? 'default',
    organizer,
    attendees,
    conference,
    reminders,
    categories,
    color: value('COLOR') ?? null,
    extras: {},
  };
  const ical: IcalExtras = Object.fromEntries(
    Object.entries(extras).filter(([, v]) => (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0)),
  );
  if (startTime.zone !== null) ical.timezone = startTime.zone;
  if (endTime.zone !== null) ical.endTimezone = endTime.zone;
  const omitted = WRITTEN_BY_DEFAULT.filter((name) => !single.has(name));
  if (!single.has('DTEND') && !single.has('DURATION')) omitted.push('DTEND');
  if (omitted.length > 0) ical.omitted = omitted;
  const explicit = OMITTED_WHEN_EMPTY.filter((name) => {
    const l = single.get(name);
    return l !== undefined && text(l) === '' && extras.params[name] === undefined;
  });
  if (explicit.length > 0) ical.explicit = explicit;
  if (Object.keys(ical).length > 0) event.extras = { ical };

  return {
    line: c.line,
    calsyncId,
    recurrenceId: recurrenceIdLine === undefined ? null : readTime(recurrenceIdLine, zones),
    rdate,
    periods,
    exdate,
    rrule,
    rruleLines,
    start: startTime,
    event,
  };
}

function readTime(l: ContentLine, zones: Zones): IcalTime {
  const times = readTimes(l, decode(l).params, zones);
  if (times.length !== 1) invalid(`${l.name} must hold one value`, l.line);
  return times[0]!;
}

/**
 * DTEND, else DTSTART + DURATION, else one day (dates) or DTSTART itself (RFC 5545
 * §3.6.1). A DTEND in another zone than DTSTART keeps its own zone. A DTEND floating
 * where DTSTART is zoned, or zoned where it is floating (RFC 5545 leaves the pair
 * undefined), is read as its wall clock in DTSTART's terms: the start decides whether
 * the event floats.
 */
function readEnd(
  single: Map<string, ContentLine>,
  start: IcalTime,
  zones: Zones,
  extras: Collected,
): Pick<IcalTime, 'local' | 'tz' | 'zone'> {
  const endLine = single.get('DTEND');
  const durationLine = single.get('DURATION');
  if (endLine !== undefined) {
    // DTEND wins over a DURATION that should not be there; the DURATION is kept as is.
    if (durationLine !== undefined) extras.properties.push(durationLine.text);
    const end = readTime(endLine, zones);
    if (end.isDate !== start.isDate) invalid('DTEND and DTSTART must both be dates or both date-times', endLine.line);
    if ((end.tz === null) === (start.tz === null)) return end;
    return { ...wallClockIn(start, end.written), zone: null };
  }
  if (durationLine === undefined) {
    return start.isDate ? { local: addDays(start.local, 1), tz: null, zone: null } : { local: start.local, tz: start.tz, zone: start.zone };
  }
  let duration: InstanceType<typeof ICAL.Duration>;
  try {
    duration = ICAL.Duration.fromString(rawValue(durationLine.text).trim());
  } catch {
    return invalid('unreadable DURATION', durationLine.line);
  }
  if (duration.isNegative) invalid('DURATION must not be negative', durationLine.line);
  // Days and weeks are nominal (same wall-clock time on a later day), hours and less
  // exact (RFC 5545 §3.3.6), so a 24-hour duration across a DST change ends at 23:00 or 01:00.
  const days = duration.weeks * 7 + duration.days;
  const exact = ((duration.hours * 60 + duration.minutes) * 60 + duration.seconds) * 1000;
  if (start.isDate) {
    if (exact !== 0) invalid('an all-day DURATION must be whole days', durationLine.line);
    return { local: addDays(start.local, days), tz: null, zone: null };
  }
  const day = wallClockIn(start, addDays(start.written, days));
  if (day.tz === null) return { local: addDays(day.local, exact / 86_400_000), tz: null, zone: start.zone };
  return { local: instantToLocal(localToInstant(day.local, day.tz) + exact, day.tz), tz: day.tz, zone: start.zone };
}

/** A wall-clock time in the terms of `start`: its zone, its custom zone (in UTC), or floating. */
function wallClockIn(start: IcalTime, wallClock: string): EventTime {
  if (start.rules !== null) return { local: instantToLocal(start.rules.toInstant(wallClock), 'UTC'), tz: 'UTC' };
  return { local: wallClock, tz: start.tz };
}

function readOrganizer(l: ContentLine | undefined, extras: Collected): Person | null {
  if (l === undefined) return null;
  const { params, values } = decode(l);
  const email = mailto(values[0]);
  if (email === null) {
    extras.properties.push(l.text);
    return null;
  }
  const rest = without(params, ['cn']);
  if (rest !== null) extras.params.ORGANIZER = rest;
  return { email, name: param(params, 'cn') };
}

function readConference(
  l: ContentLine | undefined,
  fallbacks: ContentLine[],
  extras: Collected,
  keep: (l: ContentLine) => void,
): Conference | null {
  const link = (f: ContentLine): string => rawValue(f.text).trim();
  if (l !== undefined && !URL.canParse(link(l))) {
    keep(l);
    return readConference(undefined, fallbacks, extras, keep);
  }
  if (l !== undefined) {
    const { params } = decode(l);
    const url = link(l);
    const explicit = params[PROVIDER_PARAM];
    const rest = without(params, [PROVIDER_PARAM, 'value']);
    if (rest !== null) extras.params.CONFERENCE = rest;
    fallbacks.forEach(keep);
    const provider = typeof explicit === 'string' ? explicit || null : conferenceProvider(url);
    return { url, provider };
  }
  // A link that is no absolute URL stays a line of its own, as does a URL property
  // that points at no known meeting service.
  const chosen = fallbacks.find(
    (f) => URL.canParse(link(f)) && (f.name !== 'URL' || conferenceProvider(link(f)) !== null),
  );
  fallbacks.filter((f) => f !== chosen).forEach(keep);
  if (chosen === undefined) return null;
  return { url: link(chosen), provider: conferenceProvider(link(chosen)) };
}

function readReminders(c: RawComponent, extras: Collected, noReminders: boolean): Reminder[] | null {
  const reminders: Reminder[] = [];
  let alarms = 0;
  for (const child of c.components) {
    if (child.name === 'VALARM') alarms++;
    const alarm = child.name === 'VALARM' ? readAlarm(child) : null;
    if (alarm === null) {
      extras.components.push(componentText(child));
      continue;
    }
    reminders.push(alarm.reminder);
    (extras.alarms[reminderKey(alarm.reminder)] ??= []).push(alarm.lines);
  }
  for (const [key, lists] of Object.entries(extras.alarms)) {
    if (lists.every((lines) => lines.length === 0)) delete extras.alarms[key];
  }
  if (alarms > 0) return reminders;
  return noReminders ? [] : null;
}
