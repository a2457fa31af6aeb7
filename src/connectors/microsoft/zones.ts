// Graph time-zone names ⇄ IANA. Graph's `dateTimeTimeZone.timeZone`,
// `originalStartTimeZone` and `recurrenceTimeZone` hold a Windows name ("Pacific
// Standard Time"), an IANA name Graph accepts ("America/Los_Angeles"), "UTC", or
// `tzone://Microsoft/Custom` for a legacy custom zone desktop Outlook set (event
// resource). Windows names are translated by the windows-iana package (CLDR
// windowsZones.xml) through src/core/timezones.ts, not by a table of our own.
import { CoreError } from '../../core/errors.ts';
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
 * The name to write for an IANA zone. A spelling the event came with (`kept`) is
 * written back while it still means that zone, so a round trip keeps "Pacific Standard
 * Time" as it was; else the Windows name when it translates back to this very zone
 * (Windows' own names suit every Outlook client); else the IANA name itself, which
 * Graph accepts and which keeps zones that share a Windows name apart
 * (Europe/Amsterdam and Europe/Berlin are both "W. Europe Standard Time").
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
  try {
    const windows = ianaToWindows(iana);
    if (windowsToIana(windows) === iana) return windows;
  } catch {
    // No Windows name: the IANA name is written.
  }
  return iana;
}
