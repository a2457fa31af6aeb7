// Canonical series → iCalendar text: one VCALENDAR with the master, its overrides and
// the VTIMEZONEs they use, everything kept in extras.ical written back verbatim, so
// parseCalendar(renderCalendar(x)) deep-equals x but for the stamps and VTIMEZONEs
// render adds, and an item parsed and rendered again holds what it held (the stamps,
// the calendar properties, the source's VTIMEZONEs, which defaults were written out).
import { describe } from '../arguments.ts';
import { CoreError } from '../errors.ts';
import type { CalsyncId, CanonicalEvent, EventSeries, LocalDateTime } from '../model.ts';
import { validateSeries } from '../validate.ts';
import { alarmLines } from './alarms.ts';
import { conferenceProvider, icalExtras, reminderKey, type IcalExtras } from './extras.ts';
import { contentLine, escapeText, fold, type Params } from './lines.ts';
import { CALSYNC_ID, NO_REMINDERS, PROVIDER_PARAM, RESPONDED_PARAM } from './vevent.ts';
import { vtimezoneRules } from './custom-zone.ts';
import { vtimezoneFor } from './vtimezone.ts';
import { addDays, fieldsAsUtc, parseLocal } from './zoned.ts';

export interface RenderOptions {
  /**
   * DTSTAMP, as an ISO instant, of every VEVENT that kept none in extras.ical.stamps.
   * RFC 5545 requires one; core has no clock.
   */
  dtstamp: string;
  /** Stamped as X-CALSYNC-ID on every VEVENT, so the item is recognised when it comes back. */
  calsyncId?: CalsyncId | null;
  /** Calendar-level lines to add, e.g. `METHOD:PUBLISH`; they replace kept ones of the same name. */
  calendarProperties?: string[];
  /** Names of kept calendar properties to leave out (CalDAV resources carry no METHOD, RFC 4791 §4.1). */
  withoutCalendarProperties?: string[];
}

export const PRODID = '-//calsync//calsync//EN';

const ROLES: Record<string, string> = {
  chair: 'CHAIR',
  required: 'REQ-PARTICIPANT',
  optional: 'OPT-PARTICIPANT',
  'non-participant': 'NON-PARTICIPANT',
};

const basic = (local: LocalDateTime): string => local.replace(/[-:]/g, '');

interface Zone {
  tz: string | null;
  /** The TZID the source wrote the time under, when no IANA zone stands for it (extras.ts). */
  kept: IcalExtras['timezone'] | undefined;
}

/**
 * The zone and values a property is written in: a custom zone's UTC times back in its
 * own wall clock under its TZID; a kept TZID nobody could read with its times as they
 * came; else the time's own zone.
 */
function written(values: LocalDateTime[], zone: Zone): { params: Params; values: string[] } {
  const rules = zone.tz === 'UTC' && zone.kept !== undefined ? vtimezoneRules(zone.kept.vtimezone) : null;
  if (rules !== null) {
    const instants = values.map((v) => fieldsAsUtc(parseLocal(v)));
    const locals = instants.map((ms) => rules.toLocal(ms));
    // The second occurrence of a repeated wall time reads back as the first (RFC 5545
    // §3.3.5): a property holding one is written in UTC, which every reader takes as is.
    if (locals.every((local, i) => rules.toInstant(local) === instants[i])) return { params: { tzid: zone.kept!.tzid }, values: locals.map(basic) };
    return { params: {}, values: values.map((v) => `${basic(v)}Z`) };
  }
  if (zone.tz === 'UTC') return { params: {}, values: values.map((v) => `${basic(v)}Z`) };
  const tzid = zone.tz ?? zone.kept?.tzid;
  return { params: tzid === undefined ? {} : { tzid }, values: values.map(basic) };
}

/** A DATE / DATE-TIME property with one or more values in one zone. */
function timeLine(name: string, values: LocalDateTime[], zone: Zone): string {
  const isDate = !values[0]!.includes('T');
  if (isDate) return contentLine(name, { value: 'DATE' }, values.map(basic).join(','));
  const w = written(values, zone);
  return contentLine(name, w.params, w.values.join(','));
}


function textLine(name: string, value: string, params: Params = {}): string {
  return contentLine(name, params, escapeText(value));
}

function isoToBasic(iso: unknown): string {
  const ms = typeof iso === 'string' ? Date.parse(iso) : Number.NaN;
  if (typeof iso !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(iso) || Number.isNaN(ms)) {
    throw new CoreError('INVALID_INPUT', `dtstamp must be an ISO instant like 2025-01-02T10:00:00Z, got ${describe(iso)}`, 'dtstamp');
  }
  return `${new Date(ms).toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
}

/** The end an iCalendar reader gives a VEVENT without DTEND or DURATION (RFC 5545 §3.6.1). */
function isImpliedEnd(e: CanonicalEvent): boolean {
  const end = e.allDay ? addDays(e.start.local, 1) : e.start.local;
  return e.end.local === end && e.end.tz === (e.allDay ? null : e.start.tz);
}

function eventLines(e: CanonicalEvent, terms: CanonicalEvent, options: RenderOptions, dtstamp: string): string[] {
  const x = icalExtras(e);
  const params = x.params ?? {};
  const termsZone: Zone = { tz: terms.start.tz, kept: icalExtras(terms).timezone };
  // A default the source left out stays out while the value is still that default.
  const omitted = (name: string, isDefault: boolean): boolean => isDefault && (x.omitted ?? []).includes(name);
  const stamps = x.stamps ?? [];
  const lines = [textLine('UID', e.uid)];
  if (!stamps.some((l) => /^DTSTAMP[;:]/i.test(l))) lines.push(`DTSTAMP:${dtstamp}`);
  lines.push(...stamps);
  if (options.calsyncId) lines.push(textLine(CALSYNC_ID, options.calsyncId));
  if (e.recurrenceId !== null) lines.push(timeLine('RECURRENCE-ID', [e.recurrenceId], termsZone));
  lines.push(timeLine('DTSTART', [e.start.local], { tz: e.start.tz, kept: x.timezone }));
  if (!omitted('DTEND', isImpliedEnd(e))) lines.push(timeLine('DTEND', [e.end.local], { tz: e.end.tz, kept: endZone(e) }));
  if (e.recurrence !== null) {
    lines.push(...e.recurrence.rrule.map((r) => `RRULE:${r}`));
    if (e.recurrence.rdate.length > 0) lines.push(timeLine('RDATE', e.recurrence.rdate, termsZone));
    if (e.recurrence.exdate.length > 0) lines.push(timeLine('EXDATE', e.recurrence.exdate, termsZone));
  }
  if (!omitted('SEQUENCE', e.sequence === 0)) lines.push(`SEQUENCE:${e.sequence}`);
  if (!omitted('STATUS', e.status === 'confirmed')) lines.push(`STATUS:${e.status.toUpperCase()}`);
  // An empty text is left out unless parameters were kept for it (LANGUAGE=…) or the
  // source wrote it empty.
  const text = (name: 'SUMMARY' | 'DESCRIPTION' | 'LOCATION', value: string): void => {
    if (value !== '' || params[name] || (x.explicit ?? []).includes(name)) lines.push(textLine(name, value, params[name]));
  };
  text('SUMMARY', e.summary);
  text('DESCRIPTION', e.description);
  if (e.descriptionHtml !== null) {
    lines.push(textLine('X-ALT-DESC', e.descriptionHtml, { fmttype: 'text/html', ...params['X-ALT-DESC'] }));
  }
  text('LOCATION', e.location);
  if (!omitted('TRANSP', e.transparency === 'opaque')) lines.push(`TRANSP:${e.transparency.toUpperCase()}`);
  if (e.visibility !== 'default') lines.push(`CLASS:${e.visibility.toUpperCase()}`);
  if (e.organizer !== null) {
    const cn: Params = e.organizer.name === null ? {} : { cn: e.organizer.name };
    lines.push(contentLine('ORGANIZER', { ...cn, ...params.ORGANIZER }, `mailto:${e.organizer.email}`));
  }
  for (const a of e.attendees) {
    const p: Params = { ...params[`ATTENDEE:${a.email}`] };
    if (a.name !== null) p.cn = a.name;
    p.role = ROLES[a.role]!;
    p.partstat = a.response.toUpperCase();
    if (a.respondedAt !== null) p[RESPONDED_PARAM] = a.respondedAt;
    lines.push(contentLine('ATTENDEE', p, `mailto:${a.email}`));
  }
  if (e.conference !== null) {
    const { url, provider } = e.conference;
    const p: Params = { value: 'URI', ...params.CONFERENCE };
    if (conferenceProvider(url) !== provider) p[PROVIDER_PARAM] = provider ?? '';
    lines.push(contentLine('CONFERENCE', p, url));
  }
  if (e.categories.length > 0) lines.push(contentLine('CATEGORIES', {}, e.categories.map(escapeText).join(',')));
  if (e.color !== null) lines.push(textLine('COLOR', e.color));
  const components = x.components ?? [];
  if (e.reminders !== null && e.reminders.length === 0 && !components.some((c) => c.startsWith('BEGIN:VALARM'))) {
    lines.push(`${NO_REMINDERS}:NONE`);
  }
  lines.push(...(x.properties ?? []));
  const used = new Map<string, number>();
  for (const r of e.reminders ?? []) {
    const key = reminderKey(r);
    const i = used.get(key) ?? 0;
    used.set(key, i + 1);
    lines.push(...alarmLines(r, x.alarms?.[key]?.[i] ?? []));
  }
  for (const c of components) lines.push(...c.split('\r\n'));
  return ['BEGIN:VEVENT', ...lines, 'END:VEVENT'];
}

/** The TZID DTEND was written under (before endTimezone existed, DTSTART's served both). */
function endZone(e: CanonicalEvent): IcalExtras['timezone'] {
  const x = icalExtras(e);
  return x.endTimezone ?? (e.end.tz === null ? x.timezone : undefined);
}

/**
 * The VTIMEZONEs a series needs: for IANA zones the source's VTIMEZONE under the same
 * TZID when one was kept, else generated; verbatim for custom ones.
 */
function timezoneLines(events: CanonicalEvent[]): string[] {
  const years = new Map<string, number>();
  const custom = new Map<string, string>();
  const kept = new Map<string, string>();
  for (const e of events) {
    for (const [tzid, text] of Object.entries(icalExtras(e).vtimezones ?? {})) if (!kept.has(tzid)) kept.set(tzid, text);
  }
  for (const e of events) {
    for (const t of [e.start, e.end]) {
      if (t.tz === null || t.tz === 'UTC') continue;
      const year = Number(t.local.slice(0, 4));
      years.set(t.tz, Math.min(year, years.get(t.tz) ?? year));
    }
    if (e.allDay) continue;
    const used: [string | null, IcalExtras['timezone']][] = [[e.start.tz, icalExtras(e).timezone], [e.end.tz, endZone(e)]];
    for (const [tz, kept] of used) {
      if (kept !== undefined && kept.vtimezone !== '' && (tz === null || tz === 'UTC')) custom.set(kept.tzid, kept.vtimezone);
    }
  }
  return [
    ...[...years].flatMap(([tz, year]) => kept.get(tz)?.split('\r\n') ?? vtimezoneFor(tz, year)),
    ...[...custom.values()].flatMap((text) => text.split('\r\n')),
  ];
}

/**
 * Calendar properties: the caller's, then those the series kept (extras.ical.calendar,
 * on the master, or lines another event of the series adds) whose names the caller
 * neither set nor left out.
 */
function calendarLines(events: CanonicalEvent[], options: RenderOptions): string[] {
  const given = options.calendarProperties ?? [];
  const taken = new Set([...given.map(propertyName), ...(options.withoutCalendarProperties ?? []).map((n) => n.toUpperCase())]);
  const kept: string[] = [];
  for (const e of events) {
    const lines = icalExtras(e).calendar ?? [];
    kept.push(...(kept.length === 0 ? lines : lines.filter((l) => !kept.includes(l))));
  }
  return [...given, ...kept.filter((l) => !taken.has(propertyName(l)))];
}

const propertyName = (line: string): string => /^[^;:]*/.exec(line)![0].toUpperCase();

export function renderCalendar(series: EventSeries, options: RenderOptions): string {
  validateSeries(series);
  if (typeof options !== 'object' || options === null) {
    throw new CoreError('INVALID_INPUT', 'render options with a dtstamp are required', 'options');
  }
  const dtstamp = isoToBasic(options.dtstamp);
  if (options.calsyncId != null && (typeof options.calsyncId !== 'string' || /[\r\n]/.test(options.calsyncId))) {
    throw new CoreError('INVALID_INPUT', 'calsyncId must be a one-line string', 'calsyncId');
  }
  const extraLines = options.calendarProperties ?? [];
  if (!Array.isArray(extraLines) || !extraLines.every((l) => typeof l === 'string' && /^[A-Za-z0-9-]+[;:]/.test(l) && !/[\r\n]/.test(l))) {
    throw new CoreError('INVALID_INPUT', 'calendarProperties must be unfolded iCalendar content lines', 'calendarProperties');
  }
  const left = options.withoutCalendarProperties ?? [];
  if (!Array.isArray(left) || !left.every((n) => typeof n === 'string')) {
    throw new CoreError('INVALID_INPUT', 'withoutCalendarProperties must be property names', 'withoutCalendarProperties');
  }
  const events = [...(series.master === null ? [] : [series.master]), ...series.overrides];
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    `PRODID:${PRODID}`,
    ...calendarLines(events, options),
    ...timezoneLines(events),
    ...events.flatMap((e) => eventLines(e, series.master ?? e, options, dtstamp)),
    'END:VCALENDAR',
  ];
  return `${lines.map(fold).join('\r\n')}\r\n`;
}
