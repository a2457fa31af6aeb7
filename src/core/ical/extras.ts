// What an event keeps in `extras.ical`: the iCalendar it came with that the model does
// not cover, so rendering it back loses nothing. Lines are unfolded content lines,
// verbatim; components are unfolded lines joined by CRLF. Keys are present only when
// they hold something, so an event with nothing extra has no `ical` key at all.
import type { CanonicalEvent } from '../model.ts';
import type { Params } from './lines.ts';

export interface IcalExtras {
  /** Properties the model does not cover (X- properties, URL, GEO, ATTACH, …). */
  properties?: string[];
  /** Subcomponents the model does not cover (a VALARM with an absolute trigger, …). */
  components?: string[];
  /**
   * Per reminder, keyed `method:minutesBefore`, the lines of its VALARM besides ACTION
   * and TRIGGER (SUMMARY, ATTENDEE, X-WR-ALARMUID…), one list per VALARM in order.
   */
  alarms?: Record<string, string[][]>;
  /** Parameters the model does not cover, keyed `ATTENDEE:<email>`, `ORGANIZER`, `CONFERENCE`… */
  params?: Record<string, Params>;
  /** A custom VTIMEZONE no IANA zone matches: times stay local (tz null) under this TZID. */
  timezone?: { tzid: string; vtimezone: string };
}

export function icalExtras(event: Pick<CanonicalEvent, 'extras'>): IcalExtras {
  const value = event.extras.ical;
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as IcalExtras) : {};
}

export const reminderKey = (r: { method: string; minutesBefore: number }): string => `${r.method}:${r.minutesBefore}`;

/** Google writes this DESCRIPTION into every VALARM; render writes it back by default. */
export const DEFAULT_ALARM_DESCRIPTION = 'This is an event reminder';

/** Conference provider guessed from the link, as Google, Teams and Zoom links look. */
export function conferenceProvider(url: string): string | null {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return null;
  }
  const known: [RegExp, string][] = [
    [/(^|\.)meet\.google\.com$/, 'meet'],
    [/(^|\.)teams\.(microsoft|live)\.com$/, 'teams'],
    [/(^|\.)zoom\.(us|com)$/, 'zoom'],
    [/(^|\.)webex\.com$/, 'webex'],
    [/(^|\.)whereby\.com$/, 'whereby'],
    [/(^|\.)meet\.jit\.si$/, 'jitsi'],
  ];
  return known.find(([re]) => re.test(host))?.[1] ?? null;
}
