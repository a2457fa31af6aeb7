// What an event keeps in `extras.google`: the Google resource's members the model does
// not cover, so rendering it back loses nothing. Keys are present only when they hold
// something; an event with nothing extra has no `google` key at all. Extras are opaque
// to hashing (normalise.ts): none of this is content.
import { isPlainObject, objectArgument } from '../arguments.ts';
import { CoreError } from '../errors.ts';
import type { CanonicalEvent } from '../model.ts';
import { fail, object, optionalArray, optionalObject, optionalOneOf, optionalStringMap } from './checks.ts';
import { zoneName } from './times.ts';
import { EVENT_TYPES } from './types.ts';

export interface GoogleExtras {
  /**
   * Top-level members the model does not cover, verbatim: colorId, creator, source,
   * guestsCan*, anyoneCanAddSelf, privateCopy, locked, attachments, attendeesOmitted,
   * endTimeUnspecified, eventType (other than 'default'), the *Properties of special
   * event types, conferenceData and hangoutLink (see conference.ts), extendedProperties
   * other than calsync's own (private-properties.ts), and members calsync does not know.
   */
  fields?: Record<string, unknown>;
  /** Members of `organizer` besides email and displayName (self, id). */
  organizer?: Record<string, unknown>;
  /**
   * Per attendee address, members besides email, displayName, responseStatus and a true
   * `optional` (organizer, self, resource, comment, additionalGuests, id, and an
   * explicit `optional: false`).
   */
  attendees?: Record<string, Record<string, unknown>>;
  /**
   * The recurrence lines as they came: written back verbatim while they still say what
   * the model says (Google's grouping and its choice of UTC or TZID values survive), and
   * the source of the EXRULE and RDATE;VALUE=PERIOD lines the model has no place for.
   */
  recurrence?: string[];
  /** A `timeZone` written next to an all-day `date`, which it does not affect. */
  dateTimeZones?: { start?: string; end?: string };
  /**
   * The timed start and end came without `timeZone`, so in the calendar's zone (how
   * events.list answers single events): left out again while they still are.
   */
  timeZoneOmitted?: true;
  /**
   * A cancelled instance as Google lists it, with no start or end ("only guaranteed to
   * have values for the id, recurringEventId and originalStartTime fields"): written
   * back the same way while it stays cancelled.
   */
  bare?: true;
}

/** An event's extras.google, its members checked, so rendering never trips on them. */
export function googleExtras(event: Pick<CanonicalEvent, 'extras'>): GoogleExtras {
  const { extras } = objectArgument(event, 'event');
  if (!isPlainObject(extras)) throw new CoreError('INVALID_EVENT', 'extras must be an object', 'event.extras');
  if (extras.google === undefined) return {};
  const path = 'event.extras.google';
  const x = object(extras.google, path);
  const fields = optionalObject(x.fields, `${path}.fields`);
  if (fields !== undefined) {
    optionalOneOf(fields.eventType, EVENT_TYPES, `${path}.fields.eventType`);
    const extended = optionalObject(fields.extendedProperties, `${path}.fields.extendedProperties`);
    optionalStringMap(extended?.private, `${path}.fields.extendedProperties.private`);
    optionalStringMap(extended?.shared, `${path}.fields.extendedProperties.shared`);
  }
  optionalObject(x.organizer, `${path}.organizer`);
  const attendees = optionalObject(x.attendees, `${path}.attendees`) ?? {};
  for (const [address, members] of Object.entries(attendees)) object(members, `${path}.attendees.${address}`);
  (optionalArray(x.recurrence, `${path}.recurrence`) ?? []).forEach((l, i) => {
    if (typeof l !== 'string') fail(`${path}.recurrence[${i}]`, 'expected a line of text');
  });
  const zones = optionalObject(x.dateTimeZones, `${path}.dateTimeZones`) ?? {};
  for (const [which, zone] of Object.entries(zones)) zoneName(zone, `${path}.dateTimeZones.${which}`);
  if (x.timeZoneOmitted !== undefined && x.timeZoneOmitted !== true) fail(`${path}.timeZoneOmitted`, 'expected true or nothing');
  if (x.bare !== undefined && x.bare !== true) fail(`${path}.bare`, 'expected true or nothing');
  return x as GoogleExtras;
}
