// What an event keeps in `extras.graph`: the Graph members the model does not cover or
// folds, so writing it back to Graph loses nothing. Keys are present only when they
// hold something. Extras are opaque to hashing (src/core/normalise.ts): none of this
// is content.
import { isPlainObject } from '../../core/arguments.ts';
import { CoreError } from '../../core/errors.ts';
import type { CanonicalEvent } from '../../core/model.ts';

/**
 * Members the model has no field for that Update event lists as writable: written back
 * as they came. The rest (allowNewTimeProposals, which only create takes, and members
 * calsync does not know) are kept but not written: Graph refuses a PATCH with a member
 * it does not take.
 */
export const WRITABLE_FIELDS: ReadonlySet<string> = new Set(['importance', 'responseRequested', 'hideAttendees']);

export interface GraphExtras {
  /** Writable members the model has no field for, verbatim, written back: importance, responseRequested, hideAttendees. */
  fields?: Record<string, unknown>;
  /**
   * Other members, verbatim (allowNewTimeProposals, multiValueExtendedProperties,
   * members calsync does not know). Kept but never written: Update event does not take
   * them, and Graph refuses a body with a member it does not take.
   */
  unknown?: Record<string, unknown>;
  /** The zone names as Graph spelled them (`originalStartTimeZone`, `originalEndTimeZone`, `recurrenceTimeZone`). */
  timeZones?: { start?: string; end?: string; recurrence?: string };
  /** `showAs` when it is not what the transparency writes (busy, free): tentative, oof, workingElsewhere, unknown. */
  showAs?: string;
  /** `personal`, read as private. */
  sensitivity?: 'personal';
  /** An empty body Graph holds as HTML. */
  bodyType?: 'html';
  /** `location` and `locations` whole, written back while the location's name is the model's. */
  location?: Record<string, unknown>;
  locations?: Record<string, unknown>[];
  /** The organizer of an event without attendees: Graph sets the calendar's owner on every event. Never written. */
  organizer?: Record<string, unknown>;
  /** Per attendee address: folded values and members the model has no place for (people.ts). */
  attendees?: Record<string, Record<string, unknown>>;
  /** Attendees without an address, whole. */
  unaddressed?: Record<string, unknown>[];
  /** `reminderMinutesBeforeStart` of an event whose reminder is off. */
  reminderMinutesBeforeStart?: number;
  /** isOnlineMeeting, onlineMeetingProvider and onlineMeeting as Graph answered them. */
  onlineMeeting?: Record<string, unknown>;
  /** `recurrence.range.startDate` when it is not the master's start date. */
  rangeStartDate?: string;
  /**
   * Single-value extended properties other than calsync's stamp. Never written: they
   * stay on the item through a PATCH, and are another application's to set.
   */
  properties?: Record<string, unknown>[];
}

/** An event's extras.graph, checked to be an object so rendering never trips on it. */
export function graphExtras(event: Pick<CanonicalEvent, 'extras'>): GraphExtras {
  const graph = event.extras?.graph;
  if (graph === undefined) return {};
  if (!isPlainObject(graph)) throw new CoreError('INVALID_EVENT', 'extras.graph must be an object', 'event.extras.graph');
  return graph as GraphExtras;
}
