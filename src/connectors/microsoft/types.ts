// The Graph event resource as calsync reads and writes it (v1.0 event resource type,
// with the beta-era members that v1.0 answers carry: cancelledOccurrences,
// occurrenceId). Every member is optional: delta pages carry skeletal occurrences and
// `@removed` entries, and $select trims the rest.

export type GraphEventType = 'singleInstance' | 'occurrence' | 'exception' | 'seriesMaster';

export interface GraphDateTimeTimeZone {
  /** Wall-clock time without offset, e.g. `2020-02-25T12:00:00.0000000`. */
  dateTime: string;
  timeZone: string;
}

export interface GraphEmailAddress {
  name?: string;
  address?: string;
}

export interface GraphAttendee {
  type?: 'required' | 'optional' | 'resource';
  status?: { response?: string; time?: string };
  emailAddress?: GraphEmailAddress;
  [member: string]: unknown;
}

export interface GraphRecurrencePattern {
  type: 'daily' | 'weekly' | 'absoluteMonthly' | 'relativeMonthly' | 'absoluteYearly' | 'relativeYearly';
  interval: number;
  month?: number;
  dayOfMonth?: number;
  daysOfWeek?: string[];
  firstDayOfWeek?: string;
  index?: 'first' | 'second' | 'third' | 'fourth' | 'last';
}

export interface GraphRecurrenceRange {
  type: 'endDate' | 'noEnd' | 'numbered';
  startDate: string;
  endDate?: string;
  recurrenceTimeZone?: string;
  numberOfOccurrences?: number;
}

export interface GraphPatternedRecurrence {
  pattern: GraphRecurrencePattern;
  range: GraphRecurrenceRange;
}

export interface GraphSingleValueProperty {
  id: string;
  value: string;
}

export interface GraphEvent {
  '@odata.etag'?: string;
  '@removed'?: { reason?: string };
  id?: string;
  type?: GraphEventType;
  seriesMasterId?: string | null;
  iCalUId?: string;
  uid?: string;
  changeKey?: string;
  createdDateTime?: string;
  lastModifiedDateTime?: string;
  originalStart?: string;
  originalStartTimeZone?: string;
  originalEndTimeZone?: string;
  occurrenceId?: string | null;
  cancelledOccurrences?: string[];
  subject?: string;
  body?: { contentType?: string; content?: string };
  start?: GraphDateTimeTimeZone;
  end?: GraphDateTimeTimeZone;
  isAllDay?: boolean;
  isCancelled?: boolean;
  location?: Record<string, unknown>;
  locations?: Record<string, unknown>[];
  showAs?: string;
  sensitivity?: string;
  attendees?: GraphAttendee[];
  organizer?: { emailAddress?: GraphEmailAddress };
  recurrence?: GraphPatternedRecurrence | null;
  categories?: string[];
  isReminderOn?: boolean;
  reminderMinutesBeforeStart?: number;
  isOnlineMeeting?: boolean;
  onlineMeetingProvider?: string;
  onlineMeeting?: { joinUrl?: string; [member: string]: unknown } | null;
  onlineMeetingUrl?: string | null;
  singleValueExtendedProperties?: GraphSingleValueProperty[];
  [member: string]: unknown;
}
