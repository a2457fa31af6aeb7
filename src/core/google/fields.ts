// The members of a Google event the model does not hold: checked for their documented
// types (a wrong one is an error naming it), then carried verbatim in
// extras.google.fields, so an event read and written back keeps them. Members calsync
// does not know are carried the same way, unchecked: Google adds members over time.
import { describe } from '../arguments.ts';
import {
  fail, object, optionalArray, optionalBoolean, optionalObject, optionalOneOf, optionalString, optionalStringMap, type Obj,
} from './checks.ts';
import { isCalsyncKey } from './private-properties.ts';
import { EVENT_TYPES } from './types.ts';

/** Set by the server for every resource, never content: given to render by the caller. */
export const SERVER_OWNED = ['kind', 'etag', 'id', 'htmlLink', 'created', 'updated'] as const;

/** Members the model holds (read.ts) or the caller gives (server-owned, ids). */
const MODELLED = new Set<string>([
  ...SERVER_OWNED, 'iCalUID', 'recurringEventId', 'originalStartTime', 'status', 'summary', 'description', 'location',
  'start', 'end', 'recurrence', 'transparency', 'visibility', 'sequence', 'organizer', 'attendees', 'reminders',
]);

/** Read by conference.ts and splitExtendedProperties, and kept from there; eventType only when not 'default'. */
const HANDLED = new Set<string>([...MODELLED, 'conferenceData', 'hangoutLink', 'extendedProperties', 'eventType']);

/** Whether the model or the caller decides a member, so a kept copy of it is never written. */
export const isModelled = (key: string): boolean => MODELLED.has(key);

export function checkServerFields(o: Obj): void {
  if (o.kind !== undefined && o.kind !== 'calendar#event') fail('kind', `expected "calendar#event", got ${describe(o.kind)}`);
  for (const name of ['etag', 'id', 'htmlLink', 'created', 'updated'] as const) optionalString(o[name], name);
}

// endTimeUnspecified: "An end time is still provided for compatibility reasons, even if
// this attribute is set to True" (events reference): that end is the content; the flag
// rides along.
const BOOLEANS = [
  'endTimeUnspecified', 'attendeesOmitted', 'anyoneCanAddSelf', 'guestsCanInviteOthers', 'guestsCanModify',
  'guestsCanSeeOtherGuests', 'privateCopy', 'locked',
] as const;
const OBJECTS = ['creator', 'birthdayProperties', 'focusTimeProperties', 'outOfOfficeProperties', 'workingLocationProperties', 'gadget'] as const;

/** The members the model does not hold, checked, as they came. */
export function unmodelledFields(o: Obj): Obj {
  optionalString(o.colorId, 'colorId');
  for (const name of BOOLEANS) optionalBoolean(o[name], name);
  for (const name of OBJECTS) optionalObject(o[name], name);
  const creator = optionalObject(o.creator, 'creator');
  if (creator !== undefined) {
    for (const name of ['id', 'email', 'displayName'] as const) optionalString(creator[name], `creator.${name}`);
    optionalBoolean(creator.self, 'creator.self');
  }
  const source = optionalObject(o.source, 'source');
  if (source !== undefined) {
    if (typeof source.url !== 'string') fail('source.url', `expected a URL, got ${describe(source.url)}`);
    optionalString(source.title, 'source.title');
  }
  (optionalArray(o.attachments, 'attachments') ?? []).forEach((a, i) => {
    const attachment = object(a, `attachments[${i}]`);
    if (typeof attachment.fileUrl !== 'string') fail(`attachments[${i}].fileUrl`, `expected a URL, got ${describe(attachment.fileUrl)}`);
  });
  const eventType = optionalOneOf(o.eventType, EVENT_TYPES, 'eventType');
  const fields = Object.fromEntries(Object.entries(o).filter(([k]) => !HANDLED.has(k)));
  // 'default' is what Google assumes when it is unset (guides/event-types) and what render writes.
  if (eventType !== undefined && eventType !== 'default') fields.eventType = eventType;
  return fields;
}

/** extendedProperties split into calsync's own private keys and everything else, kept. */
export function splitExtendedProperties(x: unknown): { calsync: Record<string, string>; kept: Obj | undefined } {
  const o = optionalObject(x, 'extendedProperties');
  if (o === undefined) return { calsync: {}, kept: undefined };
  const own = optionalStringMap(o.private, 'extendedProperties.private') ?? {};
  optionalStringMap(o.shared, 'extendedProperties.shared');
  const calsync = Object.fromEntries(Object.entries(own).filter(([k]) => isCalsyncKey(k)));
  const others = Object.fromEntries(Object.entries(own).filter(([k]) => !isCalsyncKey(k)));
  // Members in their order; a private or shared map left empty is dropped.
  const kept: Obj = Object.fromEntries(
    Object.entries({ ...o, private: others })
      .filter(([k, v]) => !((k === 'private' || k === 'shared') && Object.keys(v as Obj).length === 0)),
  );
  return { calsync, kept: Object.keys(kept).length > 0 ? kept : undefined };
}
