// What an event keeps in `extras.ical`: the iCalendar it came with that the model does
// not cover, so rendering it back loses nothing. Lines are unfolded content lines,
// verbatim; components are unfolded lines joined by CRLF. Keys are present only when
// they hold something, so an event with nothing extra has no `ical` key at all.
import { objectArgument } from '../arguments.ts';
import { CoreError } from '../errors.ts';
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
  /**
   * The TZID DTSTART was written under when no IANA zone stands for it, with its
   * VTIMEZONE; a master's RECURRENCE-IDs, RDATEs and EXDATEs are written in it too.
   * - A custom VTIMEZONE no IANA zone matches: start.tz is `UTC` and the times are its
   *   exact instants; render writes them back in the VTIMEZONE's wall clock, expand
   *   follows its rules.
   * - A TZID nobody can read (no usable VTIMEZONE, no known name; `vtimezone` may be
   *   empty), and custom zones as earlier versions of calsync kept them: start.tz is
   *   null and the local times are as written.
   */
  timezone?: { tzid: string; vtimezone: string };
  /** The same for DTEND, which may be written in another zone than DTSTART. */
  endTimezone?: { tzid: string; vtimezone: string };
  /**
   * The DTSTAMP, CREATED and LAST-MODIFIED lines as they came. They travel with the
   * content they describe: render writes them back instead of stamping the render time,
   * so copying an item from A to B copies A's stamps (an unchanged event keeps its
   * LAST-MODIFIED, RFC 5545 §3.8.7.3). The engine writes a series with the extras of
   * the side its content came from, so stamps are not refreshed here.
   */
  stamps?: string[];
  /**
   * Modelled properties render writes by default (SEQUENCE, STATUS, TRANSP, DTEND) that
   * the source left out: left out again while the value is still the one the model
   * filled in.
   */
  omitted?: string[];
  /**
   * Modelled properties render leaves out at their default (an empty SUMMARY,
   * DESCRIPTION or LOCATION) that the source wrote: written again, as they came, while
   * the value is still the default.
   */
  explicit?: string[];
  /**
   * Series-level, on the master (else the first override): calendar properties besides
   * PRODID and VERSION (CALSCALE, METHOD, X-WR-CALNAME…), so the resource keeps them.
   */
  calendar?: string[];
  /**
   * Series-level, like `calendar`: the source's VTIMEZONE by TZID, for each zone the
   * series' times are in. Render writes it verbatim while a time still uses that TZID
   * (servers and clients write TZNAME and history a generated one lacks).
   */
  vtimezones?: Record<string, string>;
}

export function icalExtras(event: Pick<CanonicalEvent, 'extras'>): IcalExtras {
  const { extras } = objectArgument(event, 'event');
  if (typeof extras !== 'object' || extras === null) throw new CoreError('INVALID_EVENT', 'extras must be an object', 'event.extras');
  const value = (extras as Record<string, unknown>).ical;
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
