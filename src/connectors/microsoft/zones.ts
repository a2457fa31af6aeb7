// Graph time-zone names ⇄ IANA. Graph's `dateTimeTimeZone.timeZone`,
// `originalStartTimeZone` and `recurrenceTimeZone` hold a Windows name ("Pacific
// Standard Time"), an IANA name Graph accepts ("America/Los_Angeles"), "UTC", or
// `tzone://Microsoft/Custom` for a legacy custom zone desktop Outlook set (event
// resource). Windows names are translated by the windows-iana package (CLDR
// windowsZones.xml) through src/core/timezones.ts, not by a table of our own.
import { CoreError } from '../../core/errors.ts';
import { offsetSeconds } from '../../core/ical/zoned.ts';
import { ianaToWindows, isIanaZone, windowsToIana } from '../../core/timezones.ts';

/** "A legacy custom time zone was set in desktop Outlook": it names no zone. */
export const CUSTOM_ZONE = 'tzone://Microsoft/Custom';

const UTC_NAMES = new Set(['utc', 'etc/utc', 'etc/gmt', 'gmt', 'tzone://microsoft/utc', 'coordinated universal time']);

/** True when a Graph zone name says nothing about a zone (absent, empty or custom). */
export function isOpaqueZone(name: string | null | undefined): boolean {
  return name == null || name.trim() === '' || name.trim().toLowerCase() === CUSTOM_ZONE.toLowerCase();
}

/**
 * The IANA zone a Graph zone name means: IANA names pass through, Windows names are
 * translated, the UTC spellings are `UTC`. Anything else is CoreError
 * UNKNOWN_TIME_ZONE naming `path`, which the mapper turns into an unreadable item.
 */
export function ianaFromGraphZone(name: unknown, path = 'timeZone'): string {
  if (typeof name !== 'string' || name.trim() === '') throw new CoreError('UNKNOWN_TIME_ZONE', 'expected a time zone name', path);
  const trimmed = name.trim();
  if (UTC_NAMES.has(trimmed.toLowerCase())) return 'UTC';
  if (isIanaZone(trimmed)) return trimmed;
  try {
    return windowsToIana(trimmed);
  } catch {
    throw new CoreError('UNKNOWN_TIME_ZONE', `"${trimmed}" is neither a Windows nor an IANA time zone`, path);
  }
}

/**
 * The IANA names `timeZone` takes besides "any of the time zones supported by Windows"
 * (dateTimeTimeZone resource). The page also lists "Europe/Kyiv (Kiev)", "Asia/Toshkent
 * (Tashkent)", "Asia/Astana (Almaty)" and "Asia/Yangon (Rangoon)", whose spelling it
 * leaves unclear: those zones are written by their Windows names.
 */
export const GRAPH_IANA_ZONES: ReadonlySet<string> = new Set([
  'Etc/GMT+12', 'Etc/GMT+11', 'Pacific/Honolulu', 'America/Anchorage', 'America/Santa_Isabel', 'America/Los_Angeles',
  'America/Phoenix', 'America/Chihuahua', 'America/Denver', 'America/Guatemala', 'America/Chicago', 'America/Mexico_City',
  'America/Regina', 'America/Bogota', 'America/New_York', 'America/Indiana/Indianapolis', 'America/Caracas', 'America/Asuncion',
  'America/Halifax', 'America/Cuiaba', 'America/La_Paz', 'America/Santiago', 'America/St_Johns', 'America/Sao_Paulo',
  'America/Argentina/Buenos_Aires', 'America/Cayenne', 'America/Godthab', 'America/Montevideo', 'America/Bahia', 'Etc/GMT+2',
  'Atlantic/Azores', 'Atlantic/Cape_Verde', 'Africa/Casablanca', 'Etc/GMT', 'Europe/London', 'Atlantic/Reykjavik',
  'Europe/Berlin', 'Europe/Budapest', 'Europe/Paris', 'Europe/Warsaw', 'Africa/Lagos', 'Africa/Windhoek', 'Europe/Bucharest',
  'Asia/Beirut', 'Africa/Cairo', 'Asia/Damascus', 'Africa/Johannesburg', 'Europe/Istanbul', 'Asia/Jerusalem', 'Asia/Amman',
  'Asia/Baghdad', 'Europe/Kaliningrad', 'Asia/Riyadh', 'Africa/Nairobi', 'Asia/Tehran', 'Asia/Dubai', 'Asia/Baku',
  'Europe/Moscow', 'Indian/Mauritius', 'Asia/Tbilisi', 'Asia/Yerevan', 'Asia/Kabul', 'Asia/Karachi', 'Asia/Kolkata',
  'Asia/Colombo', 'Asia/Kathmandu', 'Asia/Dhaka', 'Asia/Yekaterinburg', 'Asia/Bangkok', 'Asia/Novosibirsk', 'Asia/Shanghai',
  'Asia/Krasnoyarsk', 'Asia/Singapore', 'Australia/Perth', 'Asia/Taipei', 'Asia/Ulaanbaatar', 'Asia/Irkutsk', 'Asia/Tokyo',
  'Asia/Seoul', 'Australia/Adelaide', 'Australia/Darwin', 'Australia/Brisbane', 'Australia/Sydney', 'Pacific/Port_Moresby',
  'Australia/Hobart', 'Asia/Yakutsk', 'Pacific/Guadalcanal', 'Asia/Vladivostok', 'Pacific/Auckland', 'Etc/GMT-12',
  'Pacific/Fiji', 'Asia/Magadan', 'Pacific/Tongatapu', 'Pacific/Apia', 'Pacific/Kiritimati',
]);

/**
 * The name to write for an IANA zone. A spelling the event came with (`kept`) is
 * written back while it still means that zone, so a round trip keeps "Pacific Standard
 * Time" as it was; else the Windows name when it translates back to this very zone
 * (Windows' own names suit every Outlook client); else the IANA name when Graph lists
 * it (Asia/Kolkata, whose Windows name reads back as Asia/Calcutta); else the Windows
 * name, which reads back as that name's main zone: Europe/Amsterdam is written as
 * "W. Europe Standard Time" and comes back Europe/Berlin, the same clock today but
 * not the same zone (README.md, what Graph cannot carry).
 */
export function graphZoneFromIana(iana: string, kept?: string | null): string {
  if (!isIanaZone(iana)) throw new CoreError('UNKNOWN_TIME_ZONE', `unknown IANA time zone "${iana}"`, 'tz');
  if (kept != null && !isOpaqueZone(kept)) {
    try {
      if (ianaFromGraphZone(kept) === iana) return kept;
    } catch {
      // A kept name that no longer reads is written afresh.
    }
  }
  if (iana === 'UTC') return 'UTC';
  let windows: string | null = null;
  try {
    windows = ianaToWindows(iana);
  } catch {
    // No Windows name: the IANA name is written, and Graph may refuse it.
  }
  if (windows !== null && windowsToIana(windows) === iana) return windows;
  if (GRAPH_IANA_ZONES.has(iana) || windows === null || !sameClock(iana, windowsToIana(windows))) return iana;
  return windows;
}

// Quarterly instants over five years: enough to see a different offset or DST rule.
const SAMPLES = Array.from({ length: 20 }, (_, i) => Date.UTC(2025 + Math.floor(i / 4), (i % 4) * 3 + 1, 15));

/**
 * Whether two zones keep the same clock in the years calsync writes for. CLDR's
 * Windows mapping lags zone changes: "Mountain Standard Time (Mexico)" still maps to
 * America/Chihuahua, which left Mazatlan's clock in 2022, so a Windows name is only
 * written for a zone whose main zone keeps its clock.
 */
function sameClock(a: string, b: string): boolean {
  return SAMPLES.every((ms) => offsetSeconds(ms, a) === offsetSeconds(ms, b));
}
