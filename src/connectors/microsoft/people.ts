// Graph attendees and organizer ⇄ Attendee and Person. Graph's attendee `type` is
// required, optional or resource (a room or equipment); `status.response` is none,
// organizer, tentativelyAccepted, accepted, declined or notResponded (attendee and
// responseStatus resources). The model's roles and answers map as the table in
// README.md says; what the model folds (notResponded into needs-action, an attendee
// address's case, members the model has no place for) is kept per address in
// extras.graph.attendees and written back.
import { isoInstant } from '../../core/ical/zoned.ts';
import type { Attendee, Person } from '../../core/model.ts';
import { email, fail, object, optionalArray, optionalString, type Obj } from '../../core/google/checks.ts';

const TYPES = ['required', 'optional', 'resource'] as const;
const RESPONSES = ['none', 'organizer', 'tentativelyAccepted', 'accepted', 'declined', 'notResponded'] as const;
type GraphType = (typeof TYPES)[number];
type GraphResponse = (typeof RESPONSES)[number];

const toResponse: Record<GraphResponse, Attendee['response']> = {
  none: 'needs-action', notResponded: 'needs-action', organizer: 'accepted', tentativelyAccepted: 'tentative', accepted: 'accepted', declined: 'declined',
};
const toRole: Record<GraphType, Attendee['role']> = { required: 'required', optional: 'optional', resource: 'non-participant' };

/** "No response yet": Graph writes the year 1. */
const NO_TIME = '0001-01-01T00:00:00Z';

function caseless<T extends string>(x: unknown, values: readonly T[], path: string): T | undefined {
  if (x === undefined || x === null) return undefined;
  const found = typeof x === 'string' ? values.find((v) => v.toLowerCase() === x.toLowerCase()) : undefined;
  if (found === undefined) fail(path, `expected one of ${values.join(', ')}, got ${JSON.stringify(x)}`);
  return found;
}

/** A name Graph filled in with the address itself (it does when none was given) is no name. */
function nameOf(name: string | undefined, address: string): string | null {
  return name === undefined || name === '' || name.toLowerCase() === address.toLowerCase() ? null : name;
}

export function readOrganizer(x: unknown): Person | null {
  if (x === undefined || x === null) return null;
  const o = object(object(x, 'organizer').emailAddress ?? {}, 'organizer.emailAddress');
  const address = optionalString(o.address ?? undefined, 'organizer.emailAddress.address');
  if (address === undefined || address === '') return null;
  return { email: email(address, 'organizer.emailAddress.address'), name: nameOf(optionalString(o.name ?? undefined, 'organizer.emailAddress.name'), address) };
}

export function renderPerson(person: Person, address?: string): { emailAddress: { name?: string; address: string } } {
  return { emailAddress: { ...(person.name === null ? {} : { name: person.name }), address: address ?? person.email } };
}

export interface ReadAttendees {
  attendees: Attendee[];
  /** Per address: what the model folds or has no place for. */
  kept: Record<string, Obj>;
  /** Attendees without an address (a distribution list Graph could not expand), kept whole. */
  unaddressed: Obj[];
}

export function readAttendees(x: unknown): ReadAttendees {
  const list = optionalArray(x ?? undefined, 'attendees') ?? [];
  const out: ReadAttendees = { attendees: [], kept: {}, unaddressed: [] };
  list.forEach((raw, i) => {
    const at = `attendees[${i}]`;
    const a = object(raw, at);
    const address = optionalString(object(a.emailAddress ?? {}, `${at}.emailAddress`).address ?? undefined, `${at}.emailAddress.address`);
    if (address === undefined || address === '') {
      out.unaddressed.push(a);
      return;
    }
    const mail = email(address, `${at}.emailAddress.address`);
    if (out.attendees.some((e) => e.email === mail)) return;
    const { type: rawType, status: rawStatus, emailAddress, ...others } = a;
    const type = caseless(rawType, TYPES, `${at}.type`) ?? 'required';
    const status = rawStatus === undefined || rawStatus === null ? {} : object(rawStatus, `${at}.status`);
    const response = caseless(status.response, RESPONSES, `${at}.status.response`) ?? 'none';
    const time = optionalString(status.time ?? undefined, `${at}.status.time`);
    const ms = time === undefined || time.startsWith('0001-') ? Number.NaN : Date.parse(time);
    if (time !== undefined && !time.startsWith('0001-') && Number.isNaN(ms)) fail(`${at}.status.time`, `expected an instant, got ${JSON.stringify(time)}`);
    const name = optionalString((emailAddress as Obj).name ?? undefined, `${at}.emailAddress.name`);
    out.attendees.push({
      email: mail,
      name: nameOf(name, address),
      // The organizer's own entry answers "organizer": the meeting's chair.
      role: response === 'organizer' ? 'chair' : toRole[type],
      response: toResponse[response],
      respondedAt: Number.isNaN(ms) ? null : isoInstant(ms),
    });
    const kept: Obj = { ...others };
    if (response === 'organizer' && type !== 'required') kept.type = type;
    if (response === 'notResponded') kept.response = response;
    if (address !== mail) kept.address = address;
    if (Object.keys(kept).length > 0) out.kept[mail] = kept;
  });
  return out;
}

function graphType(a: Attendee, kept: Obj): GraphType {
  if (a.role === 'chair') return (kept.type as GraphType | undefined) ?? 'required';
  return a.role === 'non-participant' ? 'resource' : a.role;
}

function graphResponse(a: Attendee, kept: Obj): GraphResponse {
  if (a.role === 'chair') return 'organizer';
  switch (a.response) {
    case 'accepted': return 'accepted';
    case 'declined': return 'declined';
    case 'tentative': return 'tentativelyAccepted';
    // Graph has no "delegated": the nearest it shows is no answer.
    default: return kept.response === 'notResponded' ? 'notResponded' : 'none';
  }
}

export function renderAttendees(attendees: Attendee[], kept: Record<string, Obj>, unaddressed: Obj[]): Obj[] {
  const rendered = attendees.map((a) => {
    const own = kept[a.email] ?? {};
    const { type: _t, response: _r, address, ...others } = own;
    return {
      ...others,
      type: graphType(a, own),
      status: { response: graphResponse(a, own), time: a.respondedAt ?? NO_TIME },
      ...renderPerson(a, typeof address === 'string' && address.toLowerCase() === a.email ? address : undefined),
    };
  });
  return [...rendered, ...unaddressed];
}
