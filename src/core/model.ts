// The canonical event model: what calsync stores and what every connector maps to and
// from. Vocabulary (ARCHITECTURE.md):
//   event   a single event, a series master, or an override of one instance of a master
//   item    an event as a provider stores it; for iCalendar one resource holds a master
//           and its overrides (an EventSeries here)
//   base    the normalised content both sides last agreed on, per binding and item
// Pure data: no I/O, no clock.
import { CoreError } from './errors.ts';

/** Wall-clock time `YYYY-MM-DDTHH:MM:SS`, or a date `YYYY-MM-DD` for all-day events. */
export type LocalDateTime = string;

/**
 * A point in an event's own terms. `tz` is an IANA zone name; null means floating
 * (timed, no zone) or, for all-day events, a plain date.
 */
export interface EventTime {
  local: LocalDateTime;
  tz: string | null;
}

export type EventStatus = 'confirmed' | 'tentative' | 'cancelled';
export type Transparency = 'opaque' | 'transparent';
export type Visibility = 'default' | 'public' | 'private' | 'confidential';
export type AttendeeRole = 'chair' | 'required' | 'optional' | 'non-participant';
export type ResponseStatus = 'needs-action' | 'accepted' | 'declined' | 'tentative' | 'delegated';

export interface Person {
  /** Lower-cased address without `mailto:`. */
  email: string;
  name: string | null;
}

export interface Attendee extends Person {
  role: AttendeeRole;
  response: ResponseStatus;
  /** When this attendee's response was last set (ISO instant), for merging responses. */
  respondedAt: string | null;
}

export interface Recurrence {
  /** RRULE values without the `RRULE:` prefix, e.g. `FREQ=WEEKLY;BYDAY=MO;COUNT=10`. */
  rrule: string[];
  /** Extra instances, in the same terms as the master's start (local + start.tz). */
  rdate: LocalDateTime[];
  /** Removed instances, in the same terms as the master's start. */
  exdate: LocalDateTime[];
}

export interface Reminder {
  method: 'display' | 'email' | 'audio';
  minutesBefore: number;
}

export interface Conference {
  url: string;
  /** e.g. `meet`, `teams`, `zoom`, or null when unknown. */
  provider: string | null;
}

export interface CanonicalEvent {
  /** iCalendar UID (Google iCalUID). The same meeting on two calendars has one UID. */
  uid: string;
  /**
   * For an override: the original start of the instance it replaces, in the master's
   * start terms (local time in the master's zone, or a date for all-day series).
   * Null for singles and masters.
   */
  recurrenceId: LocalDateTime | null;
  sequence: number;
  status: EventStatus;
  summary: string;
  description: string;
  /** The HTML body when a provider supplied one; `description` holds its text. */
  descriptionHtml: string | null;
  location: string;
  allDay: boolean;
  start: EventTime;
  /** Exclusive end (an all-day event on one day ends the next date). */
  end: EventTime;
  /** Set on series masters only. */
  recurrence: Recurrence | null;
  transparency: Transparency;
  visibility: Visibility;
  organizer: Person | null;
  attendees: Attendee[];
  conference: Conference | null;
  /** null: the calendar's default reminders. */
  reminders: Reminder[] | null;
  categories: string[];
  color: string | null;
  /**
   * Provider data the model does not cover, kept opaque so a round trip loses nothing.
   * Keyed by origin, e.g. `ical` (unknown properties as text), `google`, `graph`.
   */
  extras: Record<string, unknown>;
}

export type EventKind = 'single' | 'master' | 'override';

export function eventKind(event: Pick<CanonicalEvent, 'recurrenceId' | 'recurrence'>): EventKind {
  if (typeof event !== 'object' || event === null) throw new CoreError('INVALID_EVENT', 'event must be an object', 'event');
  if (event.recurrenceId !== null && typeof event.recurrenceId !== 'string') {
    throw new CoreError('INVALID_EVENT', 'recurrenceId must be a local time or null', 'event.recurrenceId');
  }
  if (typeof event.recurrence !== 'object') throw new CoreError('INVALID_EVENT', 'recurrence must be an object or null', 'event.recurrence');
  if (event.recurrenceId !== null) return 'override';
  return event.recurrence !== null ? 'master' : 'single';
}

/** One iCalendar UID's worth of events: a single, or a master and its overrides. */
export interface EventSeries {
  uid: string;
  /** The single event or the series master; null when only overrides are known. */
  master: CanonicalEvent | null;
  overrides: CanonicalEvent[];
}

/** The calsync id stamped on items we write, so we can recognise them coming back. */
export type CalsyncId = string;

/**
 * One item as the provider holds it: a whole series (master plus overrides) under one
 * remote id. Providers that store instances separately (Google `recurringEventId`,
 * Graph `seriesMaster`/`exception`) are assembled by their connector.
 */
export type RemoteItem = RemoteLiveItem | RemoteDeletedItem;

export interface RemoteLiveItem {
  remoteId: string;
  etag: string;
  deleted: false;
  series: EventSeries;
  /** The calsync id we stamped when we wrote it; null for items calsync did not write. */
  calsyncId: CalsyncId | null;
  /** The provider's last-modified instant (Google `updated`, Graph `lastModifiedDateTime`). */
  updatedAt: string | null;
}

export interface RemoteDeletedItem {
  remoteId: string;
  etag: null;
  deleted: true;
  series: null;
  calsyncId: CalsyncId | null;
  updatedAt: string | null;
}
