// The resources of the OpenAPI document, written once: the Google-shaped routes parse
// their bodies with the core's mapping rather than a Fastify schema (and a response schema
// would make Fastify's serializer drop every field it does not list), so their shapes are
// described here, after developers.google.com/calendar/api/v3/reference and
// src/core/google/types.ts. OpenAPI 3.0 dialect (nullable, no `const`).

const dateTime = {
  type: 'object',
  description: '`date` (yyyy-mm-dd) for an all-day event, else `dateTime` (RFC 3339, with an offset unless `timeZone` is given).',
  properties: { date: { type: 'string', format: 'date' }, dateTime: { type: 'string', format: 'date-time' }, timeZone: { type: 'string', description: 'IANA time zone; required for recurring events.' } },
};

const person = {
  type: 'object',
  properties: { id: { type: 'string' }, email: { type: 'string' }, displayName: { type: 'string' }, self: { type: 'boolean', readOnly: true } },
};

const stringMap = { type: 'object', additionalProperties: { type: 'string' } };

const event = {
  type: 'object',
  description: 'A Google Calendar v3 Event resource. Fields calsync has no model for are kept and written back.',
  properties: {
    kind: { type: 'string', enum: ['calendar#event'], readOnly: true },
    etag: { type: 'string', readOnly: true, description: 'Send it in If-Match to write only that version (412 conditionNotMet otherwise).' },
    id: { type: 'string', description: 'Client-chosen on insert: base32hex characters (a-v, 0-9), 5 to 1024 long.' },
    status: { type: 'string', enum: ['confirmed', 'tentative', 'cancelled'] },
    htmlLink: { type: 'string', readOnly: true },
    created: { type: 'string', format: 'date-time', readOnly: true },
    updated: { type: 'string', format: 'date-time', readOnly: true },
    summary: { type: 'string' },
    description: { type: 'string', description: 'May hold HTML.' },
    location: { type: 'string' },
    colorId: { type: 'string' },
    creator: person,
    organizer: person,
    start: { $ref: '#/components/schemas/EventDateTime' },
    end: { $ref: '#/components/schemas/EventDateTime' },
    endTimeUnspecified: { type: 'boolean' },
    recurrence: { type: 'array', items: { type: 'string' }, description: 'RRULE, EXRULE, RDATE and EXDATE lines (RFC 5545).' },
    recurringEventId: { type: 'string', description: 'Set on an instance of a recurring event.' },
    originalStartTime: { $ref: '#/components/schemas/EventDateTime' },
    transparency: { type: 'string', enum: ['opaque', 'transparent'] },
    visibility: { type: 'string', enum: ['default', 'public', 'private', 'confidential'] },
    iCalUID: { type: 'string' },
    sequence: { type: 'integer' },
    attendees: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          ...person.properties, optional: { type: 'boolean' }, organizer: { type: 'boolean', readOnly: true }, resource: { type: 'boolean' },
          responseStatus: { type: 'string', enum: ['needsAction', 'declined', 'tentative', 'accepted'] }, comment: { type: 'string' }, additionalGuests: { type: 'integer' },
        },
      },
    },
    attendeesOmitted: { type: 'boolean' },
    extendedProperties: { type: 'object', properties: { private: stringMap, shared: stringMap } },
    hangoutLink: { type: 'string', readOnly: true },
    conferenceData: { type: 'object', additionalProperties: true },
    anyoneCanAddSelf: { type: 'boolean' },
    guestsCanInviteOthers: { type: 'boolean' },
    guestsCanModify: { type: 'boolean' },
    guestsCanSeeOtherGuests: { type: 'boolean' },
    privateCopy: { type: 'boolean' },
    locked: { type: 'boolean' },
    reminders: {
      type: 'object',
      properties: {
        useDefault: { type: 'boolean' },
        overrides: { type: 'array', maxItems: 5, items: { type: 'object', properties: { method: { type: 'string', enum: ['email', 'popup'] }, minutes: { type: 'integer', minimum: 0, maximum: 40320 } } } },
      },
    },
    source: { type: 'object', properties: { url: { type: 'string' }, title: { type: 'string' } } },
    attachments: { type: 'array', items: { type: 'object', additionalProperties: true } },
    eventType: { type: 'string', enum: ['default', 'birthday', 'focusTime', 'fromGmail', 'outOfOffice', 'workingLocation'] },
  },
};

const events = {
  type: 'object',
  description: 'A page of events. Only the last page has nextSyncToken; a later page is the same query plus pageToken.',
  properties: {
    kind: { type: 'string', enum: ['calendar#events'] },
    etag: { type: 'string' }, summary: { type: 'string' }, description: { type: 'string', nullable: true },
    updated: { type: 'string', format: 'date-time' }, timeZone: { type: 'string' }, accessRole: { type: 'string' },
    defaultReminders: { type: 'array', items: { type: 'object' } },
    nextPageToken: { type: 'string' },
    nextSyncToken: { type: 'string', description: 'Send it as syncToken to get only what changed since; 410 fullSyncRequired once expired.' },
    items: { type: 'array', items: { $ref: '#/components/schemas/Event' } },
    calsync: {
      type: 'object',
      description: 'calsync\'s own member (not Google\'s), only with singleEvents=true and events.instances when a recurring series could not be given in full.',
      properties: {
        truncated: {
          type: 'array',
          description: 'Series listed with fewer instances than they have in the window: more than 2,500, a rule too costly to expand within 50 ms, or a stored rule calsync cannot read.',
          items: { type: 'object', properties: { id: { type: 'string', description: 'The series\' event id.' }, reason: { type: 'string' } } },
        },
      },
    },
  },
};

const calendar = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: ['calendar#calendar'] },
    etag: { type: 'string', readOnly: true }, id: { type: 'string', readOnly: true },
    summary: { type: 'string' }, description: { type: 'string', nullable: true }, location: { type: 'string', nullable: true },
    timeZone: { type: 'string', description: 'IANA time zone, e.g. Europe/Berlin.' },
  },
};

const calendarListEntry = {
  allOf: [
    { $ref: '#/components/schemas/Calendar' },
    { type: 'object', properties: { accessRole: { type: 'string' }, primary: { type: 'boolean' }, defaultReminders: { type: 'array', items: { type: 'object' } } } },
  ],
};

const error = {
  type: 'object',
  description: "Google's error shape, with Google's reason for the same error, plus calsync's code and fix (docs/errors.md).",
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'integer' }, message: { type: 'string' }, status: { type: 'string' },
        errors: { type: 'array', items: { type: 'object', properties: { domain: { type: 'string' }, reason: { type: 'string' }, message: { type: 'string' }, location: { type: 'string' }, locationType: { type: 'string' } } } },
        calsync: {
          type: 'object',
          properties: { code: { type: 'string' }, hint: { type: 'string' }, field: { type: 'string', description: 'The member of the body the error is about, e.g. attendees[0].displayName.' } },
        },
      },
    },
  },
};

const batchResponse = {
  type: 'object',
  properties: {
    responses: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' }, status: { type: 'integer' },
          headers: { type: 'object', description: 'Content-Type and ETag where the response had them.', additionalProperties: { type: 'string' } },
          body: { description: 'The JSON body, or null when there was none.', nullable: true },
        },
      },
    },
  },
};

export const openApiSchemas = {
  Event: event,
  EventDateTime: dateTime,
  Events: events,
  Calendar: calendar,
  CalendarListEntry: calendarListEntry,
  CalendarList: { type: 'object', properties: { kind: { type: 'string', enum: ['calendar#calendarList'] }, etag: { type: 'string' }, items: { type: 'array', items: { $ref: '#/components/schemas/CalendarListEntry' } } } },
  Error: error,
  BatchResponse: batchResponse,
  List: { type: 'object', properties: { items: { type: 'array', items: { type: 'object', additionalProperties: true } } } },
};
