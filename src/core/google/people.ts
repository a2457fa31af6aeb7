// organizer and attendees ⇄ Person and Attendee. Google's attendee has `optional`
// ("Whether this is an optional attendee… The default is False") and a responseStatus
// of "needsAction", "declined", "tentative" or "accepted"; it has no chair or
// non-participant role and no "delegated" answer. Those are written as the nearest
// Google shows (chair: required; non-participant: optional; delegated: needsAction) and
// kept in calsync's private property while Google still shows that. The read-only
// flags (organizer, self, resource) and comment, additionalGuests and id ride in
// extras.google.attendees, keyed by address. Order is kept as given.
import type { Attendee, Person } from '../model.ts';
import {
  email, fail, object, optionalArray, optionalBoolean, optionalInteger, optionalOneOf, optionalString, type Obj,
} from './checks.ts';
import { fitting, PRIVATE_KEYS, privateJson } from './private-properties.ts';
import type { GoogleAttendee, GooglePerson, GoogleResponseStatus } from './types.ts';

const RESPONSES = ['needsAction', 'declined', 'tentative', 'accepted'] as const;
const toModel: Record<GoogleResponseStatus, Attendee['response']> = {
  needsAction: 'needs-action', declined: 'declined', tentative: 'tentative', accepted: 'accepted',
};
const toGoogle: Record<Attendee['response'], GoogleResponseStatus> = {
  'needs-action': 'needsAction', declined: 'declined', tentative: 'tentative', accepted: 'accepted', delegated: 'needsAction',
};
const isOptional = (role: Attendee['role']): boolean => role === 'optional' || role === 'non-participant';

function rest(o: Obj, modelled: string[]): Obj | null {
  const entries = Object.entries(o).filter(([k]) => !modelled.includes(k));
  return entries.length > 0 ? Object.fromEntries(entries) : null;
}

export function readOrganizer(x: unknown): { organizer: Person | null; extra: Obj | null } {
  if (x === undefined) return { organizer: null, extra: null };
  const o = object(x, 'organizer');
  optionalString(o.id, 'organizer.id');
  optionalBoolean(o.self, 'organizer.self');
  const name = optionalString(o.displayName, 'organizer.displayName');
  // An organizer without an address is no organizer for the model; kept whole.
  if (o.email === undefined) return { organizer: null, extra: Object.keys(o).length > 0 ? o : null };
  return { organizer: { email: email(o.email, 'organizer.email'), name: name ?? null }, extra: rest(o, ['email', 'displayName']) };
}

export function renderOrganizer(organizer: Person | null, extra: Obj | undefined): GooglePerson | undefined {
  if (organizer === null) return extra as GooglePerson | undefined;
  const others = Object.fromEntries(Object.entries(extra ?? {}).filter(([k]) => k !== 'email' && k !== 'displayName'));
  return { email: organizer.email, ...(organizer.name === null ? {} : { displayName: organizer.name }), ...others };
}

interface KeptAttendee {
  email: string;
  role?: Attendee['role'];
  response?: Attendee['response'];
  respondedAt?: string;
}

function keptAttendees(values: [key: string, value: string][]): Map<string, KeptAttendee> {
  const byEmail = new Map<string, KeptAttendee>();
  for (const [key, value] of values) {
    const at = `extendedProperties.private.${key}`;
    const o = object(privateJson(value, key), at);
    const kept: KeptAttendee = {
      email: email(o.email, `${at}.email`),
      role: optionalOneOf(o.role, ['chair', 'required', 'optional', 'non-participant'] as const, `${at}.role`),
      response: optionalOneOf(o.response, ['needs-action', 'accepted', 'declined', 'tentative', 'delegated'] as const, `${at}.response`),
      respondedAt: optionalString(o.respondedAt, `${at}.respondedAt`),
    };
    if (kept.respondedAt !== undefined && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(kept.respondedAt)) {
      fail(`${at}.respondedAt`, 'expected an ISO instant');
    }
    byEmail.set(kept.email, kept);
  }
  return byEmail;
}

export function readAttendees(
  x: unknown,
  privateValues: [key: string, value: string][],
): { attendees: Attendee[]; extras: Record<string, Obj> } {
  const list = optionalArray(x, 'attendees') ?? [];
  const kept = keptAttendees(privateValues);
  const extras: Record<string, Obj> = {};
  const attendees = list.map((raw, i): Attendee => {
    const p = `attendees[${i}]`;
    const o = object(raw, p);
    if (o.email === undefined) fail(`${p}.email`, 'an attendee needs an email address');
    const address = email(o.email, `${p}.email`);
    if (Object.hasOwn(extras, address)) fail(`${p}.email`, `attendee ${address} is listed twice`);
    const name = optionalString(o.displayName, `${p}.displayName`);
    const optional = optionalBoolean(o.optional, `${p}.optional`) ?? false;
    const status = optionalOneOf(o.responseStatus, RESPONSES, `${p}.responseStatus`) ?? 'needsAction';
    for (const flag of ['organizer', 'self', 'resource'] as const) optionalBoolean(o[flag], `${p}.${flag}`);
    optionalString(o.comment, `${p}.comment`);
    optionalString(o.id, `${p}.id`);
    optionalInteger(o.additionalGuests, `${p}.additionalGuests`, 0, Number.MAX_SAFE_INTEGER);
    const extra = rest(o, ['email', 'displayName', 'responseStatus', ...(o.optional === true ? ['optional'] : [])]);
    extras[address] = extra ?? {};

    const k = kept.get(address);
    const role = k?.role !== undefined && isOptional(k.role) === optional ? k.role : optional ? 'optional' : 'required';
    const response = k?.response !== undefined && toGoogle[k.response] === status ? k.response : toModel[status];
    const respondedAt = k?.respondedAt !== undefined && k.response === response ? k.respondedAt : null;
    return { email: address, name: name ?? null, role, response, respondedAt };
  });
  for (const address of Object.keys(extras)) if (Object.keys(extras[address]!).length === 0) delete extras[address];
  return { attendees, extras };
}

/** Attendee member order of the events reference; members calsync does not know after them. */
const ATTENDEE_ORDER = ['id', 'email', 'displayName', 'organizer', 'self', 'resource', 'optional', 'responseStatus', 'comment', 'additionalGuests'];

function inOrder(members: Obj): Obj {
  const known = ATTENDEE_ORDER.filter((k) => members[k] !== undefined).map((k) => [k, members[k]] as const);
  const others = Object.entries(members).filter(([k, v]) => v !== undefined && !ATTENDEE_ORDER.includes(k));
  return Object.fromEntries([...known, ...others]);
}

export function renderAttendees(
  attendees: Attendee[],
  extras: Record<string, Obj>,
): { attendees: GoogleAttendee[]; privateValues: [key: string, value: string][] } {
  const privateValues: [string, string][] = [];
  const rendered = attendees.map((a, i): GoogleAttendee => {
    const extra = extras[a.email] ?? {};
    const optional = isOptional(a.role) ? { optional: true } : extra.optional === false ? { optional: false } : {};
    const keep: KeptAttendee = { email: a.email };
    if (a.role === 'chair' || a.role === 'non-participant') keep.role = a.role;
    if (a.response === 'delegated' || a.respondedAt !== null) keep.response = a.response;
    if (a.respondedAt !== null) keep.respondedAt = a.respondedAt;
    const value = Object.keys(keep).length > 1 ? fitting(keep) : null;
    if (value !== null) privateValues.push([`${PRIVATE_KEYS.attendee}${i}`, value]);
    const members: Obj = { ...extra, email: a.email, displayName: a.name ?? undefined, ...optional, responseStatus: toGoogle[a.response] };
    if (!('optional' in optional)) delete members.optional;
    return inOrder(members) as GoogleAttendee;
  });
  return { attendees: rendered, privateValues };
}
