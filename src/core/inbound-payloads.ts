// What an inbound source's post asks for, read from its raw body: book a time, cancel a
// booking, or nothing calsync maps. Pure: the route reads the source's event id from it
// (the delivery's idempotency key) and the job reads the action.
//
// Calendly (developer.calendly.com/docs/webhooks/overview; payload fields as on the
// Invitee resource, e.g. docs.morf.health/events/payloads/calendly/invitee):
//   { "event": "invitee.created" | "invitee.canceled" | …, "created_at": …,
//     "payload": { "uri": <invitee>, "email", "name", "status", "rescheduled",
//                  "old_invitee", "new_invitee", "cancellation",
//                  "scheduled_event": { "name", "start_time", "end_time", "location" } } }
// An invitee is created once and cancelled once, so `<event>:<invitee uri>` is the event
// id; Calendly sends no delivery id. A reschedule is the old invitee cancelled
// (`rescheduled: true`, `new_invitee`) and a new invitee created (`old_invitee`), in
// either order (developer.calendly.com/docs/api-guides/see-how-webhook-payloads-change-
// when-invitees-reschedule-events).
//
// The generic scheme's body is calsync's own small format (README, "Signed inbound sources"):
//   { "id": "<the source's booking id>", "action": "book" | "cancel",
//     "start": RFC 3339, "end": RFC 3339, "summary"?, "description"?, "attendees"?: [{ "email", "name"? }] }
import { CoreError } from './errors.ts';

export interface InboundAttendee {
  email: string;
  name: string | null;
}

export type InboundAction =
  /** `key`: the source's id of what is booked (Calendly: the invitee); `replaces`: the key of a booking this one moves (a reschedule). */
  /** `cancelEventId`: the event id a cancel of it has, so a cancel that came first keeps it from being booked. */
  | { action: 'book'; key: string; start: string; end: string; summary: string; description: string; attendees: InboundAttendee[]; replaces: string | null; cancelEventId: string }
  | { action: 'cancel'; key: string };

export interface InboundEvent {
  /** Unique per event at the source: a retry or replay of it carries the same id. */
  eventId: string;
  kind: string;
  /** null: an event calsync does not map (Calendly's no-shows, routing forms…). */
  action: InboundAction | null;
}

const maxKey = 1024;

function invalid(message: string, path: string | null = null): CoreError {
  return new CoreError('INVALID_INPUT', message, path);
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('must be an object', path);
  return value as Record<string, unknown>;
}

function text(value: unknown, path: string, options: { optional?: boolean; max?: number } = {}): string {
  if (value === undefined || value === null) {
    if (options.optional) return '';
    throw invalid('is missing', path);
  }
  if (typeof value !== 'string' || (!options.optional && value === '')) throw invalid('must be a non-empty string', path);
  if (value.length > (options.max ?? 8192)) throw invalid(`is longer than ${options.max ?? 8192} characters`, path);
  return value;
}

/** The raw body as JSON (what is stored, and mapped again by the job). */
export function parseBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw invalid('the body is not JSON');
  }
}

function attendeesOf(value: unknown, path: string): InboundAttendee[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > 100) throw invalid('must be an array of at most 100 attendees', path);
  return value.map((raw, i) => {
    const a = object(raw, `${path}[${i}]`);
    const email = text(a.email, `${path}[${i}].email`, { max: 320 });
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw invalid('is not an email address', `${path}[${i}].email`);
    const name = text(a.name, `${path}[${i}].name`, { optional: true, max: 200 });
    return { email, name: name === '' ? null : name };
  });
}

/** Calendly's `location` object as one line: the place, the phone number or the join link. */
function locationText(value: unknown): string {
  if (typeof value !== 'object' || value === null) return '';
  const l = value as Record<string, unknown>;
  const where = [l.location, l.join_url].find((v) => typeof v === 'string' && v !== '');
  return typeof where === 'string' ? where.slice(0, 1024) : '';
}

/** The event of a source's scheme. */
export function inboundEvent(scheme: 'calendly' | 'hmac', body: unknown): InboundEvent {
  return scheme === 'calendly' ? calendlyEvent(body) : genericEvent(body);
}

export function calendlyEvent(body: unknown): InboundEvent {
  const envelope = object(body, 'body');
  const kind = text(envelope.event, 'event', { max: 100 });
  const payload = object(envelope.payload, 'payload');
  const invitee = text(payload.uri, 'payload.uri', { max: maxKey });
  const eventId = `${kind}:${invitee}`;
  if (kind === 'invitee.canceled') return { eventId, kind, action: { action: 'cancel', key: invitee } };
  if (kind !== 'invitee.created') return { eventId, kind, action: null };
  const scheduled = object(payload.scheduled_event, 'payload.scheduled_event');
  const email = text(payload.email, 'payload.email', { max: 320 });
  const name = text(payload.name, 'payload.name', { optional: true, max: 200 });
  const location = locationText(scheduled.location);
  const replaces = text(payload.old_invitee, 'payload.old_invitee', { optional: true, max: maxKey });
  return {
    eventId, kind,
    action: {
      action: 'book', key: invitee,
      start: text(scheduled.start_time, 'payload.scheduled_event.start_time', { max: 64 }),
      end: text(scheduled.end_time, 'payload.scheduled_event.end_time', { max: 64 }),
      summary: text(scheduled.name, 'payload.scheduled_event.name', { optional: true, max: 1024 }),
      description: location === '' ? '' : `Location: ${location}`,
      attendees: /^[^\s@]+@[^\s@]+$/.test(email) ? [{ email, name: name === '' ? null : name }] : [],
      replaces: replaces === '' ? null : replaces, cancelEventId: `invitee.canceled:${invitee}`,
    },
  };
}

export function genericEvent(body: unknown): InboundEvent {
  const b = object(body, 'body');
  const id = text(b.id, 'id', { max: maxKey });
  const kind = text(b.action, 'action', { max: 20 });
  if (kind !== 'book' && kind !== 'cancel') throw invalid('must be "book" or "cancel"', 'action');
  const eventId = `${kind}:${id}`;
  if (kind === 'cancel') return { eventId, kind, action: { action: 'cancel', key: id } };
  return {
    eventId, kind,
    action: {
      action: 'book', key: id, start: text(b.start, 'start', { max: 64 }), end: text(b.end, 'end', { max: 64 }),
      summary: text(b.summary, 'summary', { optional: true, max: 1024 }), description: text(b.description, 'description', { optional: true }),
      attendees: attendeesOf(b.attendees, 'attendees'), replaces: null, cancelEventId: `cancel:${id}`,
    },
  };
}
