// Time-zone names: which IANA names calsync accepts, Windows ⇄ IANA translation for
// Microsoft Graph and Outlook-written iCalendar, and the other names clients write as a
// TZID (abbreviations, offsets, Windows display names). The Windows mapping comes from
// the windows-iana package (CLDR windowsZones.xml), not a hand-typed table.
import { findIana, findIanaAliases, findWindows, WINDOWS_TO_IANA_MAP } from 'windows-iana';
import { stringArgument } from './arguments.ts';
import { CoreError } from './errors.ts';
import { ABBREVIATIONS } from './ical/tz-abbreviations.ts';
import { fieldsAsUtc, offsetSeconds, parseLocal } from './ical/zoned.ts';
import type { LocalDateTime } from './model.ts';

const intlZones = new Set<string>(Intl.supportedValuesOf('timeZone'));
// Etc/UTC, Etc/GMT, Zulu…: calsync spells all of them `UTC`.
const utcAliases = new Set<string>(findIanaAliases('UTC'));

function intlAccepts(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** An IANA name's shape: capitalised segments (`Europe/Kyiv`, `Etc/GMT-1`, `CET`). */
const IANA_SHAPE = /^[A-Z][A-Za-z0-9_+-]*(\/[A-Z][A-Za-z0-9_+-]*)*$/;

/**
 * True for an IANA zone name Intl knows: one of `Intl.supportedValuesOf('timeZone')`,
 * `UTC`, or another name Intl accepts spelled as IANA spells names (Node 20's ICU lists
 * `Asia/Calcutta` and `Europe/Kiev` but providers send `Asia/Kolkata` and `Europe/Kyiv`,
 * and both must pass; `Etc/GMT-1` is how a fixed offset is named). Offsets such as
 * `+01:00` and wrongly cased names such as `utc`, which Intl also accepts, are refused.
 */
export function isIanaZone(name: string): boolean {
  if (typeof name !== 'string') return false;
  if (name === 'UTC' || intlZones.has(name)) return true;
  return IANA_SHAPE.test(name) && intlAccepts(name);
}

/** The IANA zone for a Windows zone name, e.g. `Pacific Standard Time` → `America/Los_Angeles`. */
export function windowsToIana(windowsName: string): string {
  const name = stringArgument(windowsName, 'windowsName').trim();
  // findIana lists the territory-001 ("golden") zone first.
  const zone = findIana(name).find(isIanaZone);
  if (zone !== undefined && utcAliases.has(zone)) return 'UTC';
  if (zone === undefined) throw new CoreError('UNKNOWN_TIME_ZONE', `unknown Windows time zone "${windowsName}"`);
  return zone;
}

/** The Windows zone name for an IANA zone, e.g. `Europe/Berlin` → `W. Europe Standard Time`. */
export function ianaToWindows(ianaName: string): string {
  stringArgument(ianaName, 'ianaName');
  const candidates = [ianaName, ...findIanaAliases(ianaName)];
  for (const candidate of candidates) {
    const windows = findWindows(candidate)[0];
    if (windows !== undefined) return windows;
  }
  throw new CoreError('UNKNOWN_TIME_ZONE', `no Windows time zone for "${ianaName}"`);
}

/** The instant of a wall-clock time at a fixed offset (minutes east of UTC). */
const instantAt = (local: LocalDateTime, minutes: number): number => fieldsAsUtc(parseLocal(local)) - minutes * 60_000;

/** Zones without DST whose offset is not whole hours: there is no Etc name for these. */
const FRACTIONAL_ZONES = [
  'Asia/Kolkata', 'Asia/Colombo', 'Asia/Kathmandu', 'Asia/Yangon', 'Asia/Kabul', 'Asia/Tehran',
  'Australia/Darwin', 'Australia/Eucla', 'Pacific/Marquesas', 'Asia/Pyongyang',
];

/**
 * An IANA zone whose offset is `minutes` east of UTC, and was through the two years
 * from `year`: `Etc/GMT-9` for whole hours (the Etc names count west as positive, as
 * POSIX does), else a zone without DST on that offset (`Asia/Kolkata` for +05:30). Null
 * when none has it (+03:17).
 */
export function fixedOffsetZone(minutes: number, year = 2025): string | null {
  if (minutes === 0) return 'UTC';
  if (minutes % 60 === 0 && minutes >= -12 * 60 && minutes <= 14 * 60) {
    const hours = -minutes / 60;
    return `Etc/GMT${hours > 0 ? '+' : ''}${hours}`;
  }
  const samples = Array.from({ length: 9 }, (_, i) => Date.UTC(year, i * 3, 1));
  return FRACTIONAL_ZONES.find((z) => samples.every((ms) => offsetSeconds(ms, z) === minutes * 60)) ?? null;
}

/**
 * The zone an abbreviation means at a wall-clock time (src/core/ical/tz-abbreviations.ts
 * says why each reads as it does): the calendar's own zone when it is a candidate, else
 * the first candidate that uses the abbreviation's offset then, else that offset fixed.
 */
function fromAbbreviation(candidates: readonly (readonly [string, number])[], at: LocalDateTime | null, hint: string | null): string | null {
  const ordered = [...candidates.filter(([z]) => z === hint), ...candidates.filter(([z]) => z !== hint)];
  if (at === null) return ordered[0]![0];
  const fits = ordered.find(([zone, minutes]) => offsetSeconds(instantAt(at, minutes), zone) === minutes * 60);
  if (fits !== undefined) return fits[0];
  return fixedOffsetZone(ordered[0]![1], parseLocal(at).year);
}

/** `UTC+09:00`, `GMT-5`, `+08`, `-0330`: an offset, read east-positive as ISO 8601 does. */
const OFFSET_NAME = /^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?:[:.]?(\d{2}))?$/i;

function offsetMinutes(text: string): number | null {
  const m = OFFSET_NAME.exec(text.trim());
  if (m === null) return null;
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? 0);
  return minutes > 14 * 60 ? null : m[1] === '-' ? -minutes : minutes;
}

/** Standard (lowest) offset of a zone in a year, in minutes: what Windows display names show. */
function standardMinutes(zone: string, year: number): number {
  return Math.min(...[0, 3, 6, 9].map((month) => offsetSeconds(Date.UTC(year, month, 1), zone))) / 60;
}

let genericNames: Map<string, string[]> | undefined;

/** Zones by their English generic name ("Eastern Time"), Windows' main zones first. */
function zonesByGenericName(): Map<string, string[]> {
  if (genericNames !== undefined) return genericNames;
  const golden = Object.values(WINDOWS_TO_IANA_MAP).filter((e) => e.territory === '001').map((e) => e.iana[0] as string);
  genericNames = new Map();
  for (const zone of [...new Set([...golden, ...intlZones])]) {
    if (!intlAccepts(zone)) continue;
    const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longGeneric' })
      .formatToParts(0).find((p) => p.type === 'timeZoneName')?.value;
    if (name === undefined || /^GMT/.test(name)) continue;
    const list = genericNames.get(name.toLowerCase()) ?? [];
    list.push(zone);
    genericNames.set(name.toLowerCase(), list);
  }
  return genericNames;
}

/**
 * A Windows display name: `(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna`,
 * Outlook 2003's `(GMT+01.00) Amsterdam / Berlin / …`, `(UTC-05:00) Eastern Time (US &
 * Canada)`. The zones its cities or its generic name name, whose standard offset is the
 * one shown; the first city wins.
 */
function fromDisplayName(name: string, year: number): string | null {
  const m = /^\((?:UTC|GMT)(?:([+-]\d{2})[:.](\d{2}))?\)\s*(.+)$/i.exec(name);
  if (m === null) return null;
  const shown = m[1] === undefined ? 0 : Number(m[1]) * 60 + (m[1].startsWith('-') ? -1 : 1) * Number(m[2]);
  if (m[1] === undefined && /coordinated universal time/i.test(m[3]!)) return 'UTC';
  const text = m[3]!.toLowerCase();
  const cities = text.split(/\s*[,/]\s*|\s+-\s+/).map((c) => c.replace(/\(.*\)/, '').trim().replace(/ /g, '_')).filter((c) => c !== '');
  const byCity = cities.flatMap((city) => [...intlZones].filter((z) => z.split('/').pop()!.toLowerCase() === city));
  const fits = (z: string): boolean => standardMinutes(z, year) === shown;
  const city = byCity.find(fits);
  if (city !== undefined) return city;
  const byName = [...zonesByGenericName()].filter(([generic]) => text.includes(generic)).flatMap(([, zones]) => zones);
  return byName.find(fits) ?? null;
}

export interface TzidContext {
  /** A wall-clock time written in the TZID: picks among the zones an abbreviation may mean. */
  at?: LocalDateTime | null;
  /** The calendar's zone (X-WR-TIMEZONE), preferred among an abbreviation's candidates. */
  hint?: string | null;
}

/**
 * The IANA zone an iCalendar TZID names, or null when it names none. Accepts what
 * clients write besides plain IANA names, in this order: UTC spellings; abbreviations
 * (`JST`, `CEST`, `EST`: python icalendar with dateutil or zoneinfo zones); IANA names;
 * trailing or leading spaces (Outlook); globally unique prefixes such as
 * `/mozilla.org/20050126_1/Europe/Berlin` (Lightning) or `/citadel.org/20190914_1/Europe/Berlin`
 * (RFC 5545 §3.2.19 leading solidus); Windows names (Outlook, Exchange); offsets
 * (`UTC+09:00`, `+08`: python's fixed-offset zones); Windows display names
 * (`(UTC+01:00) Amsterdam, Berlin, …`). The TZID's own VTIMEZONE, when there is one,
 * comes before all of these (src/core/ical/times.ts).
 */
export function ianaFromTzid(tzid: string, context: TzidContext = {}): string | null {
  const name = stringArgument(tzid, 'tzid').trim();
  const at = typeof context?.at === 'string' ? context.at : null;
  const hint = typeof context?.hint === 'string' && isIanaZone(context.hint) ? context.hint : null;
  const year = at === null ? 2025 : parseLocal(at).year;
  if (utcAliases.has(name) || /^(utc|gmt|z|ut)$/i.test(name)) return 'UTC';
  const abbreviation = ABBREVIATIONS[name.toUpperCase()];
  if (abbreviation !== undefined && name === name.toUpperCase()) return fromAbbreviation(abbreviation, at, hint);
  if (isIanaZone(name)) return name;
  const segments = name.split('/').filter((s) => s !== '');
  for (let i = 1; i < segments.length; i++) {
    const rest = segments.slice(i).join('/');
    if (isIanaZone(rest)) return rest;
  }
  try {
    return windowsToIana(name);
  } catch {
    // not a Windows name either
  }
  const minutes = offsetMinutes(name);
  if (minutes !== null) return fixedOffsetZone(minutes, year);
  return fromDisplayName(name, year);
}
