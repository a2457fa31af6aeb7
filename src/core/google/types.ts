// The Google Calendar API v3 Event resource as calsync reads and writes it, field by
// field as https://developers.google.com/calendar/api/v3/reference/events describes it
// (descriptions checked against the discovery-generated client docs, which copy it).
// Everything is optional: requests from clients leave out what the server fills in, and
// a cancelled exception carries little more than its id (see read.ts).

/**
 * `{date}` for all-day events ("yyyy-mm-dd"), else `{dateTime}` (RFC 3339; "A time zone
 * offset is required unless a time zone is explicitly specified in timeZone") with an
 * optional IANA `timeZone` ("For recurring events this field is required and specifies
 * the time zone in which the recurrence is expanded").
 */
export interface GoogleEventDateTime {
  date?: string;
  dateTime?: string;
  timeZone?: string;
}

export interface GooglePerson {
  id?: string;
  email?: string;
  displayName?: string;
  /** Whether this is the calendar the copy of the event appears on. Read-only. */
  self?: boolean;
}

/** responseStatus values: "needsAction", "declined", "tentative", "accepted". */
export type GoogleResponseStatus = 'needsAction' | 'declined' | 'tentative' | 'accepted';

export interface GoogleAttendee extends GooglePerson {
  /** Default false. */
  optional?: boolean;
  responseStatus?: GoogleResponseStatus;
  /** Read-only. */
  organizer?: boolean;
  /** Set only when the attendee is first added. */
  resource?: boolean;
  comment?: string;
  /** Default 0. */
  additionalGuests?: number;
}

/** method "email" or "popup"; minutes 0..40320 (four weeks); at most 5 overrides. */
export interface GoogleReminder {
  method: 'email' | 'popup';
  minutes: number;
}

export interface GoogleReminders {
  useDefault: boolean;
  overrides?: GoogleReminder[];
}

export interface GoogleExtendedProperties {
  private?: Record<string, string>;
  shared?: Record<string, string>;
}

/** entryPointType: "video" (zero or one), "phone" (any), "sip" (zero or one), "more" (zero or one). */
export interface GoogleEntryPoint {
  entryPointType: 'video' | 'phone' | 'sip' | 'more';
  uri?: string;
  label?: string;
  pin?: string;
  accessCode?: string;
  meetingCode?: string;
  passcode?: string;
  password?: string;
  regionCode?: string;
  entryPointFeatures?: string[];
}

export interface GoogleConferenceData {
  conferenceId?: string;
  conferenceSolution?: { key?: { type?: string }; name?: string; iconUri?: string };
  entryPoints?: GoogleEntryPoint[];
  createRequest?: Record<string, unknown>;
  notes?: string;
  parameters?: Record<string, unknown>;
  signature?: string;
}

export interface GoogleAttachment {
  fileUrl: string;
  title?: string;
  mimeType?: string;
  iconLink?: string;
  fileId?: string;
}

/** eventType values; "If unset, the API uses 'default'" (guides/event-types). */
export const EVENT_TYPES = ['default', 'birthday', 'focusTime', 'fromGmail', 'outOfOffice', 'workingLocation'] as const;
export type GoogleEventType = (typeof EVENT_TYPES)[number];

export interface GoogleEvent {
  /** "calendar#event". */
  kind?: 'calendar#event';
  etag?: string;
  id?: string;
  /** "confirmed" (default), "tentative", "cancelled". */
  status?: 'confirmed' | 'tentative' | 'cancelled';
  htmlLink?: string;
  created?: string;
  updated?: string;
  summary?: string;
  /** May contain HTML (description.ts). */
  description?: string;
  location?: string;
  colorId?: string;
  creator?: GooglePerson;
  organizer?: GooglePerson;
  start?: GoogleEventDateTime;
  end?: GoogleEventDateTime;
  endTimeUnspecified?: boolean;
  /** RRULE, EXRULE, RDATE and EXDATE lines (RFC 5545); no DTSTART or DTEND. */
  recurrence?: string[];
  recurringEventId?: string;
  /** For an instance: when it would start according to the series. Immutable. */
  originalStartTime?: GoogleEventDateTime;
  /** "opaque" (default) or "transparent". */
  transparency?: 'opaque' | 'transparent';
  /** "default" (default), "public", "private", "confidential". */
  visibility?: 'default' | 'public' | 'private' | 'confidential';
  iCalUID?: string;
  sequence?: number;
  attendees?: GoogleAttendee[];
  attendeesOmitted?: boolean;
  extendedProperties?: GoogleExtendedProperties;
  /** Read-only Google Meet link. */
  hangoutLink?: string;
  conferenceData?: GoogleConferenceData;
  anyoneCanAddSelf?: boolean;
  guestsCanInviteOthers?: boolean;
  guestsCanModify?: boolean;
  guestsCanSeeOtherGuests?: boolean;
  privateCopy?: boolean;
  locked?: boolean;
  reminders?: GoogleReminders;
  source?: { url: string; title?: string };
  attachments?: GoogleAttachment[];
  eventType?: GoogleEventType;
  birthdayProperties?: Record<string, unknown>;
  focusTimeProperties?: Record<string, unknown>;
  outOfOfficeProperties?: Record<string, unknown>;
  workingLocationProperties?: Record<string, unknown>;
  gadget?: Record<string, unknown>;
}

/** Server-owned fields of one resource: not content, supplied when rendering. */
export interface GoogleServerFields {
  etag?: string;
  created?: string;
  updated?: string;
  htmlLink?: string;
}

/** Members of the Event resource, in the order the events reference lists them (Google's answers use it). */
export const EVENT_MEMBERS = [
  'kind', 'etag', 'id', 'status', 'htmlLink', 'created', 'updated', 'summary', 'description', 'location', 'colorId',
  'creator', 'organizer', 'start', 'end', 'endTimeUnspecified', 'recurrence', 'recurringEventId', 'originalStartTime',
  'transparency', 'visibility', 'iCalUID', 'sequence', 'attendees', 'attendeesOmitted', 'extendedProperties', 'hangoutLink',
  'conferenceData', 'gadget', 'anyoneCanAddSelf', 'guestsCanInviteOthers', 'guestsCanModify', 'guestsCanSeeOtherGuests',
  'privateCopy', 'locked', 'reminders', 'source', 'workingLocationProperties', 'outOfOfficeProperties', 'focusTimeProperties',
  'attachments', 'birthdayProperties', 'eventType',
] as const;
