// VTIMEZONE ⇄ IANA zone. Parsing: a VTIMEZONE is matched to the IANA zone with the
// same offsets where it describes them (its TZID may name a zone, an abbreviation, a
// Windows or display name, or nothing known). Rendering: a VTIMEZONE is generated for
// an IANA zone from Intl.
import { WINDOWS_TO_IANA_MAP } from 'windows-iana';
import type { LocalDateTime } from '../model.ts';
import { fixedOffsetZone, ianaFromTzid, isIanaZone, type TzidContext } from '../timezones.ts';
import { ABBREVIATIONS } from './tz-abbreviations.ts';
import { vtimezoneRules } from './custom-zone.ts';
import { fieldsAsUtc, formatLocal, offsetSeconds, utcFields, type Fields } from './zoned.ts';

const DAY = 86_400_000;

/**
 * Candidate zones in order of preference: the zone the TZID names (an IANA, Windows,
 * display name or abbreviation), the other zones its abbreviation may mean, zones whose
 * city the TZID names ("Melbourne office" → Australia/Melbourne), the Etc zone of a
 * constant offset, each Windows zone's main IANA zone (many zones share rules, and the
 * Windows one is what Outlook meant), then every zone.
 */
function candidates(tzid: string, fixed: number | null, year: number, context: TzidContext): string[] {
  const all = Intl.supportedValuesOf('timeZone');
  const named = ianaFromTzid(tzid, context);
  const abbreviated = (ABBREVIATIONS[tzid.trim().toUpperCase()] ?? []).map(([zone]) => zone);
  const words = tzid.split(/[^A-Za-z_]+/).filter((w) => w.length > 2);
  const cities = words.flatMap((w) => all.filter((z) => z.split('/').pop()?.toLowerCase() === w.toLowerCase()));
  const constant = fixed === null ? null : fixedOffsetZone(fixed / 60, year);
  const golden = Object.values(WINDOWS_TO_IANA_MAP)
    .filter((e) => e.territory === '001')
    .map((e) => e.iana[0] as string)
    .filter(isIanaZone);
  const listed = [named, ...abbreviated, ...cities, constant, ...golden, ...all].filter((z): z is string => z !== null);
  return [...new Set(listed)];
}

const matches = new Map<string, string | null>();

/**
 * The IANA zone whose UTC offset equals the VTIMEZONE's at local noon of every day of
 * `year` and the next that the VTIMEZONE describes (up to 730 samples: transitions
 * happen at night, so a matching zone changes offset on the same dates). Only the
 * days it describes count: a VTIMEZONE with the transitions near its event only says
 * nothing of the years after. The zone the TZID names needs to agree through `year`
 * only: generated VTIMEZONEs (calsync's own, Google's) repeat one year's rules, and a
 * zone whose rules changed the year after is still the zone meant. Null when no zone
 * matches, or the VTIMEZONE is unreadable.
 */
export function matchVtimezone(vtimezone: string, tzid: string, year: number, context: TzidContext = {}): string | null {
  const key = `${tzid}\n${year}\n${context.at ?? ''}\n${context.hint ?? ''}\n${vtimezone}`;
  if (matches.has(key)) return matches.get(key)!;
  const found = match(vtimezone, tzid, year, context);
  if (matches.size >= 1_000) matches.clear();
  matches.set(key, found);
  return found;
}

function match(vtimezone: string, tzid: string, year: number, context: TzidContext): string | null {
  const rules = vtimezoneRules(vtimezone);
  if (rules === null) return null;
  const samples: { at: number; offset: number }[] = [];
  const start = new Date(0);
  start.setUTCFullYear(year, 0, 1);
  for (let day = 0; day < 730; day++) {
    const noon = start.getTime() + day * DAY + 12 * 3_600_000;
    const at = noon - rules.offsetAt(noon) * 1000;
    if (rules.describes(at)) samples.push({ at, offset: rules.offsetAt(at) });
  }
  if (samples.length === 0) return null;
  const named = ianaFromTzid(tzid, context);
  const yearEnd = Date.UTC(year + 1, 0, 1) + 14 * 3_600_000;
  const firstYear = samples.filter((s) => s.at < yearEnd);
  for (const candidate of candidates(tzid, rules.fixed, year, context)) {
    const fits = (s: { at: number; offset: number }): boolean => offsetSeconds(s.at, candidate) === s.offset;
    const needed = candidate === named ? firstYear : samples;
    // Two samples per half year first: most candidates fail these, few need all of them.
    if (needed.filter((_, i) => i % 182 === 15).every(fits) && needed.every(fits)) return ianaFromTzid(candidate) ?? candidate;
  }
  return null;
}

function formatOffset(seconds: number): string {
  const sign = seconds < 0 ? '-' : '+';
  const abs = Math.abs(seconds);
  const hh = String(Math.floor(abs / 3600)).padStart(2, '0');
  const mm = String(Math.floor((abs % 3600) / 60)).padStart(2, '0');
  const ss = abs % 60;
  return `${sign}${hh}${mm}${ss ? String(ss).padStart(2, '0') : ''}`;
}

const basic = (local: LocalDateTime): string => local.replace(/[-:]/g, '');
const EPOCH_YEAR = 1970;

/** Day of the month of the nth (or, for -1, last) given weekday (0 = Sunday). */
function nthWeekday(year: number, month: number, nth: number, weekday: number): number {
  const firstWeekday = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
  const firstDay = 1 + ((weekday - firstWeekday + 7) % 7);
  if (nth > 0) return firstDay + (nth - 1) * 7;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return firstDay + Math.floor((daysInMonth - firstDay) / 7) * 7;
}
const WEEKDAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];

interface Transition {
  at: number;
  from: number;
  to: number;
}

/** Transitions of `tz` during `year`, found per day and narrowed to the minute. */
function transitions(tz: string, year: number): Transition[] {
  const start = new Date(0);
  start.setUTCFullYear(year, 0, 1);
  const found: Transition[] = [];
  for (let t = start.getTime(); utcFields(t).year === year; t += DAY) {
    const from = offsetSeconds(t, tz);
    const to = offsetSeconds(t + DAY, tz);
    if (from === to) continue;
    let lo = t;
    let hi = t + DAY;
    while (hi - lo > 60_000) {
      const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
      if (offsetSeconds(mid, tz) === from) lo = mid;
      else hi = mid;
    }
    found.push({ at: hi, from, to });
  }
  return found;
}

/**
 * A VTIMEZONE for an IANA zone with the rules in force in `year` (the year of the
 * earliest time that uses it): one STANDARD/DAYLIGHT pair repeating yearly on the same
 * weekday of the month (the shape every DST rule in use has), or a single STANDARD for
 * zones without DST. The observances start in 1970 as most producers write them:
 * ical.js and others give times before the first DTSTART no offset at all. Rule changes
 * before `year` are not described; calsync itself resolves the TZID by name, the
 * VTIMEZONE only serves other clients.
 */
export function vtimezoneFor(tz: string, year: number): string[] {
  const key = `${tz} ${year}`;
  let lines = generated.get(key);
  if (lines === undefined) {
    lines = generate(tz, year);
    generated.set(key, lines);
  }
  return lines;
}

// Scanning a year through Intl takes ~2 ms; a sync pass renders the same zones often.
const generated = new Map<string, string[]>();

function generate(tz: string, year: number): string[] {
  const lines = ['BEGIN:VTIMEZONE', `TZID:${tz}`];
  const found = transitions(tz, year);
  if (found.length === 0) {
    const start = new Date(0);
    start.setUTCFullYear(year, 0, 1);
    const offset = formatOffset(offsetSeconds(start.getTime(), tz));
    lines.push('BEGIN:STANDARD', `DTSTART:${EPOCH_YEAR}0101T000000`, `TZOFFSETFROM:${offset}`, `TZOFFSETTO:${offset}`, 'END:STANDARD');
  }
  for (const t of found) {
    const local: Fields = utcFields(t.at + t.from * 1000);
    const kind = t.to > t.from ? 'DAYLIGHT' : 'STANDARD';
    const weekday = new Date(fieldsAsUtc({ ...local, hour: 12 })).getUTCDay();
    const lastWeek = utcFields(fieldsAsUtc(local) + 7 * DAY).month !== local.month;
    const nth = lastWeek ? -1 : Math.ceil(local.day / 7);
    const first = { ...local, year: EPOCH_YEAR, day: nthWeekday(EPOCH_YEAR, local.month, nth, weekday) };
    lines.push(
      `BEGIN:${kind}`,
      `DTSTART:${basic(formatLocal(first))}`,
      `RRULE:FREQ=YEARLY;BYMONTH=${local.month};BYDAY=${nth}${WEEKDAYS[weekday]}`,
      `TZOFFSETFROM:${formatOffset(t.from)}`,
      `TZOFFSETTO:${formatOffset(t.to)}`,
      `END:${kind}`,
    );
  }
  lines.push('END:VTIMEZONE');
  return lines;
}
