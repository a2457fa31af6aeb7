// Time-zone names: which IANA names calsync accepts, and Windows ⇄ IANA translation for
// Microsoft Graph and Outlook-written iCalendar. The Windows mapping comes from the
// windows-iana package (CLDR windowsZones.xml), not a hand-typed table.
import { findIana, findIanaAliases, findWindows } from 'windows-iana';
import { stringArgument } from './arguments.ts';
import { CoreError } from './errors.ts';

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

/**
 * True for an IANA zone name Intl knows: one of `Intl.supportedValuesOf('timeZone')`,
 * `UTC`, or a CLDR alias of one spelled exactly (Node 20's ICU lists `Asia/Calcutta`
 * but providers send `Asia/Kolkata`, and both must pass). Offsets such as `+01:00` and
 * wrongly cased names such as `utc`, which Intl also accepts, are refused.
 */
export function isIanaZone(name: string): boolean {
  if (typeof name !== 'string') return false;
  if (name === 'UTC' || intlZones.has(name)) return true;
  return (findIanaAliases(name) as string[]).includes(name) && intlAccepts(name);
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

/**
 * The IANA zone an iCalendar TZID names, or null when it names none. Accepts what
 * servers write besides plain IANA names: trailing or leading spaces (Outlook),
 * globally unique prefixes such as `/mozilla.org/20050126_1/Europe/Berlin` (Lightning)
 * or `/citadel.org/20190914_1/Europe/Berlin` (RFC 5545 §3.2.19 leading solidus), and
 * Windows names (Outlook, Exchange).
 */
export function ianaFromTzid(tzid: string): string | null {
  const name = stringArgument(tzid, 'tzid').trim();
  if (utcAliases.has(name) || /^(utc|gmt|z)$/i.test(name)) return 'UTC';
  if (isIanaZone(name)) return name;
  const segments = name.split('/').filter((s) => s !== '');
  for (let i = 1; i < segments.length; i++) {
    const rest = segments.slice(i).join('/');
    if (isIanaZone(rest)) return rest;
  }
  try {
    return windowsToIana(name);
  } catch {
    return null;
  }
}
