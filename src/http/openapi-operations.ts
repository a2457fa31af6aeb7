// What the OpenAPI document says about routes beyond what their Fastify schemas say: the
// Google method each one is, its headers and what it answers (query and path parameters
// come from the routes' schemas, route-schemas.ts). Keyed by
// "METHOD /path/{param}"; a route missing here is still in the document (openapi.ts
// generates it from the registered routes), only with less said about it.

type Operation = {
  summary: string;
  description?: string;
  tags: string[];
  parameters?: object[];
  requestBody?: object;
  responses?: Record<string, object>;
};

const json = (ref: string, description = 'OK') => ({ description, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
const body = (ref: string) => ({ required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
const error = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
const noContent = { description: 'Done; no body.' };
const ifMatch = { name: 'If-Match', in: 'header', required: false, description: 'Write only if the event still has this etag; else 412 conditionNotMet.', schema: { type: 'string' } };


const calendarsTag = ['calendars'];
const eventsTag = ['events'];
const adminTag = ['admin'];
const operationsTag = ['operations'];
const calendar = '/calendar/v3/calendars/{calendarId}';
const events = `${calendar}/events`;
const event = `${events}/{eventId}`;

export const openApiOperations: Record<string, Operation> = {
  'POST /calendar/v3/calendars': { summary: 'calendars.insert', tags: calendarsTag, responses: { 200: json('Calendar') } },
  [`GET ${calendar}`]: { summary: 'calendars.get', tags: calendarsTag, description: '`primary` names the tenant\'s first calendar.', responses: { 200: json('Calendar'), 404: error('No such calendar for this tenant.') } },
  [`PUT ${calendar}`]: { summary: 'calendars.update', tags: calendarsTag, responses: { 200: json('Calendar'), 404: error('No such calendar for this tenant.') } },
  [`PATCH ${calendar}`]: { summary: 'calendars.patch', tags: calendarsTag, responses: { 200: json('Calendar'), 404: error('No such calendar for this tenant.') } },
  [`DELETE ${calendar}`]: { summary: 'calendars.delete', tags: calendarsTag, responses: { 204: noContent, 404: error('No such calendar for this tenant.') } },
  'GET /calendar/v3/users/me/calendarList': { summary: 'calendarList.list', tags: calendarsTag, responses: { 200: json('CalendarList') } },
  'GET /calendar/v3/users/me/calendarList/{calendarId}': { summary: 'calendarList.get', tags: calendarsTag, responses: { 200: json('CalendarListEntry'), 404: error('No such calendar for this tenant.') } },

  [`GET ${events}`]: {
    summary: 'events.list', tags: eventsTag,
    responses: { 200: json('Events'), 400: error('A parameter is invalid or not allowed with syncToken.'), 410: error('The sync token expired: fullSyncRequired.') },
  },
  [`POST ${events}`]: {
    summary: 'events.insert', tags: eventsTag, requestBody: body('Event'),
    responses: { 200: json('Event'), 400: error('The event is invalid. A recurrence calsync cannot expand (a rule that never occurs, or runs past the year 9999) is INVALID_RECURRENCE.'), 409: error('An event with this id or iCalUID exists: duplicate.') },
  },
  [`GET ${event}`]: { summary: 'events.get', tags: eventsTag, description: 'Also an instance of a recurring event by its instance id.', responses: { 200: json('Event'), 404: error('No such event.') } },
  [`PUT ${event}`]: {
    summary: 'events.update', tags: eventsTag, parameters: [ifMatch], requestBody: body('Event'),
    responses: { 200: json('Event'), 400: error('The event is invalid or its sequence is below the current one. A recurrence calsync cannot expand (a rule that never occurs, or runs past the year 9999) is INVALID_RECURRENCE.'), 404: error('No such event.'), 412: error('If-Match named an older etag: conditionNotMet.') },
  },
  [`PATCH ${event}`]: {
    summary: 'events.patch', tags: eventsTag, parameters: [ifMatch], requestBody: body('Event'),
    responses: { 200: json('Event'), 400: error('The event is invalid. A recurrence calsync cannot expand (a rule that never occurs, or runs past the year 9999) is INVALID_RECURRENCE.'), 404: error('No such event.'), 412: error('If-Match named an older etag: conditionNotMet.') },
  },
  [`DELETE ${event}`]: {
    summary: 'events.delete', tags: eventsTag, parameters: [ifMatch], description: 'Deleting an instance cancels it.',
    responses: { 204: noContent, 404: error('No such event.'), 410: error('Already deleted.'), 412: error('If-Match named an older etag: conditionNotMet.') },
  },
  [`POST ${events}/import`]: {
    summary: 'events.import', tags: eventsTag, description: 'Deduplicated by iCalUID: an event with the same iCalUID is replaced.', requestBody: body('Event'),
    responses: { 200: json('Event'), 400: error('The event is invalid or has no iCalUID. A recurrence calsync cannot expand (a rule that never occurs, or runs past the year 9999) is INVALID_RECURRENCE.') },
  },
  [`GET ${event}/instances`]: {
    summary: 'events.instances', tags: eventsTag,
    responses: { 200: json('Events'), 404: error('No such recurring event.') },
  },
  [`POST ${event}/move`]: {
    summary: 'events.move', tags: eventsTag,
    responses: { 200: json('Event'), 400: error('No destination, or not a whole event.'), 404: error('No such event or calendar.'), 409: error('The destination has an event with this id.') },
  },

  'POST /admin/v1/accounts': { summary: 'Connect a CalDAV account or an ICS feed after checking it answers', tags: adminTag, responses: { 201: { description: 'The account, with the CalDAV calendars found or the number of feed events.' } } },
  'GET /admin/v1/accounts': { summary: 'List accounts', tags: adminTag, responses: { 200: json('List') } },
  'GET /admin/v1/accounts/{accountId}/calendars': { summary: 'List the calendars of a CalDAV account', tags: adminTag, responses: { 200: json('List'), 404: error('No such account.') } },
  'POST /admin/v1/bindings': { summary: 'Bind a remote calendar to a calendar and queue its first pass', tags: adminTag, responses: { 201: { description: 'The binding.' } } },
  'GET /admin/v1/bindings': { summary: 'List bindings', tags: adminTag, responses: { 200: json('List') } },
  'GET /admin/v1/bindings/{bindingId}': { summary: 'Get a binding', tags: adminTag, responses: { 200: { description: 'The binding.' }, 404: error('No such binding.') } },
  'POST /admin/v1/bindings/{bindingId}/sync': { summary: 'Queue a pass of a binding', tags: adminTag, responses: { 202: { description: 'Queued.' }, 404: error('No such binding.') } },

  'GET /healthz': { summary: 'Liveness', tags: operationsTag },
  'GET /readyz': { summary: 'Database and queue reachable', tags: operationsTag, responses: { 200: { description: 'Ready.' }, 503: { description: 'Not ready; the failing checks are named.' } } },
  'GET /metrics': { summary: 'Prometheus metrics', tags: operationsTag, responses: { 200: { description: 'Prometheus text format.', content: { 'text/plain': { schema: { type: 'string' } } } } } },
  'GET /openapi.json': { summary: 'This document', tags: operationsTag },
};

const batch: Operation = {
  summary: 'batch',
  tags: ['batch'],
  description: 'Up to 1,000 requests, run one after another with this key, best effort. Google\'s form: multipart/mixed, each part `Content-Type: application/http` '
    + 'with an optional Content-ID and one HTTP request; answered multipart/mixed, one `HTTP/1.1 <status>` response per part under `Content-ID: <response-ID>`. '
    + 'Or JSON: {"requests": [{"id", "method", "path", "headers"?, "body"?}]} → {"responses": [{"id", "status", "headers", "body"}]}. Counts as its number of requests against the rate limit. '
    + 'A request that is malformed or cannot be part of a batch (another batch, an event stream, a path outside /calendar/v3/ and /admin/v1/) is answered in its own part.',
  requestBody: {
    required: true,
    content: {
      'multipart/mixed': { schema: { type: 'string' } },
    },
  },
  responses: {
    200: { description: 'One response per request.', content: { 'multipart/mixed': { schema: { type: 'string' } }, 'application/json': { schema: { $ref: '#/components/schemas/BatchResponse' } } } },
    400: error('No body, a malformed envelope, no requests, more than 1,000 (BATCH_TOO_LARGE), or JSON nested too deep (JSON_TOO_DEEP); none ran.'),
    415: error('Neither multipart/mixed nor application/json; none ran.'),
  },
};
openApiOperations['POST /batch/calendar/v3'] = batch;
openApiOperations['POST /batch'] = { ...batch, description: `Google's older batch path; the same as /batch/calendar/v3. ${batch.description}` };
