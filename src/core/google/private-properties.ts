// calsync's own keys in `extendedProperties.private`. The model holds some things Google
// has no member for (categories, a colour, floating times, attendee roles beyond
// optional, audio reminders, a conference provider that is not the link's); without
// them an event written to Google would come back different, and two-way sync with a
// CalDAV copy would see a change that nobody made. Private properties "are set on one
// attendee's local copy of the event" (guides/extended-properties): the binding's own.
// Each key holds one field, written only when Google's own members cannot say it, and
// read back only while Google's members still agree with it (a person editing the
// event in Google wins). Limits from the same guide: keys over 44 characters are
// dropped and values over 1024 characters truncated, silently, so a value that would
// not fit is not written and that detail is lost. Birthday events refuse private
// properties ("'birthday' event type must not have private extended properties", 400,
// phw198/OutlookGoogleCalendarSync#2103): none are written there.
import { CoreError } from '../errors.ts';

export const PRIVATE_KEYS = {
  /** The calsync id stamped on items calsync writes (ARCHITECTURE.md, matching). */
  id: 'calsyncId',
  /** '1': start and end are floating wall-clock times, written in the calendar's zone. */
  floating: 'calsyncFloating',
  /** JSON array of the categories. */
  categories: 'calsyncCategories',
  /** The colour (RFC 7986 COLOR); Google's colorId is an index into a palette. */
  color: 'calsyncColor',
  /** JSON `{url, provider}` when the provider is not what the link says. */
  conference: 'calsyncConference',
  /** JSON list of reminders when Google's overrides cannot say them. */
  reminders: 'calsyncReminders',
  /** Prefix of one key per attendee (`calsyncAttendee0`…) holding JSON `{email, role?, response?, respondedAt?}`. */
  attendee: 'calsyncAttendee',
} as const;

export const MAX_VALUE_LENGTH = 1024;

const SINGLE_KEYS = new Set<string>(Object.values(PRIVATE_KEYS).filter((k) => k !== PRIVATE_KEYS.attendee));

/** calsync's own key (other keys that merely start with "calsync" are the user's). */
export const isCalsyncKey = (key: string): boolean => SINGLE_KEYS.has(key) || /^calsyncAttendee\d+$/.test(key);

/** A private value as JSON, or CoreError naming the property. */
export function privateJson(value: string, key: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new CoreError('INVALID_EVENT', 'calsync private property is not JSON', `extendedProperties.private.${key}`);
  }
}

/** JSON for a private value, or null when it would not fit. */
export function fitting(value: unknown): string | null {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length <= MAX_VALUE_LENGTH ? text : null;
}
