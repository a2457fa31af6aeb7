// VTIMEZONE ⇄ IANA zone. Parsing: a custom VTIMEZONE whose TZID names no IANA or
// Windows zone (Outlook's "Customized Time Zone", exports that use display names) is
// matched to the IANA zone with the same offsets. Rendering: a VTIMEZONE is generated
// for an IANA zone from Intl.
import ICAL from 'ical.js';
import { WINDOWS_TO_IANA_MAP } from 'windows-iana';
import type { LocalDateTime } from '../model.ts';
import { ianaFromTzid, isIanaZone } from '../timezones.ts';
import { fieldsAsUtc, formatLocal, offsetSeconds, utcFields, type Fields } from './zoned.ts';

const DAY = 86_400_000;

/**
 * Candidate zones in order of preference: zones whose city the TZID names ("(UTC+01:00)
 * Amsterdam, Berlin…" → Europe/Amsterdam), then each Windows zone's main IANA zone
 * (many zones share rules, and the Windows one is what Outlook meant), then every zone.
 */
function candidates(tzid: string): string[] {
  const all = Intl.supportedValuesOf('timeZone');
  const words = tzid.split(/[^A-Za-z_]+/).filter((w) => w.length > 2);
  const named = words.flatMap((w) => all.filter((z) => z.split('/').pop()?.toLowerCase() === w.toLowerCase()));
  const golden = Object.values(WINDOWS_TO_IANA_MAP)
    .filter((e) => e.territory === '001')
    .map((e) => e.iana[0] as string)
    .filter(isIanaZone);
  return [...new Set([...named, ...golden, ...all])];
}

/**
 * The years the observances of a VTIMEZONE start in, or null when one lacks DTSTART,
 * TZOFFSETFROM or TZOFFSETTO (ical.js would then answer offset 0 everywhere, which
 * matches UTC). Such a VTIMEZONE matches nothing; the event keeps its local times.
 */
function observanceStarts(vtimezone: string): number[] | null {
  const observances = vtimezone.split(/\r\nBEGIN:(?:STANDARD|DAYLIGHT)\r\n/i).slice(1);
  if (observances.length === 0) return null;
  const years: number[] = [];
  for (const o of observances) {
    const dtstart = /^DTSTART(?:;[^:\r\n]*)?:(\d{4})\d{4}T\d{6}\r?$/im.exec(o);
    if (dtstart === null || !/^TZOFFSETFROM[;:]/im.test(o) || !/^TZOFFSETTO[;:]/im.test(o)) return null;
    years.push(Number(dtstart[1]));
  }
  return years;
}

/**
 * The IANA zone whose UTC offset equals the VTIMEZONE's at local noon of every day of
 * `year` and the next (730 samples: transitions happen at night, so a matching zone
 * changes offset on the same dates). Null when no zone matches.
 */
export function matchVtimezone(vtimezone: string, tzid: string, year: number): string | null {
  const onsets = observanceStarts(vtimezone);
  if (onsets === null) return null;
  // ical.js gives times before the first observance no offset at all.
  const first = Math.max(year, Math.min(...onsets));
  const samples: { at: number; offset: number }[] = [];
  const start = new Date(0);
  start.setUTCFullYear(first, 0, 1);
  try {
    const zone = new ICAL.Timezone({ component: ICAL.Component.fromString(vtimezone), tzid });
    for (let day = 0; day < 730; day++) {
      const noon = { ...utcFields(start.getTime() + day * DAY), hour: 12 };
      const offset = zone.utcOffset(ICAL.Time.fromData(noon));
      if (!Number.isFinite(offset)) return null;
      samples.push({ at: fieldsAsUtc(noon) - offset * 1000, offset });
    }
  } catch {
    return null;
  }
  // Two samples per half year first: most candidates fail these, few need all 730.
  const quick = samples.filter((_, i) => i % 182 === 15);
  for (const candidate of candidates(tzid)) {
    const fits = (s: { at: number; offset: number }): boolean => offsetSeconds(s.at, candidate) === s.offset;
    if (quick.every(fits) && samples.every(fits)) return ianaFromTzid(candidate) ?? candidate;
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
