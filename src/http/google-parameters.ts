// The query parameters of the Google-shaped routes as route schemas (route-schemas.ts):
// what Fastify checks (each given once, unless repeatable) and the OpenAPI document says.
// Their values are read, and refused with Google's messages, by list-params.ts; Google's
// parameters calsync does not read (alwaysIncludeEmail, maxAttendees, sendUpdates…) are
// ignored, as on Google.
import { googleParameters, parameter, repeatable } from './route-schemas.ts';

const timeZone = parameter('Time zone of the response, an IANA name such as Europe/Berlin.');

const list = {
  maxResults: parameter('Events per page, 1 to 2500 (default 250); larger asks get 2500.'),
  pageToken: parameter('nextPageToken of the previous page of the same query.'),
  syncToken: parameter('nextSyncToken of an earlier listing: only what changed since, deletions included. Not with iCalUID, orderBy, q, timeMin, timeMax, updatedMin, extended-property filters or showDeleted=false.'),
  singleEvents: parameter('true: expand recurring events into their instances.'),
  showDeleted: parameter('true: include cancelled events.'),
  orderBy: parameter('"startTime" (with singleEvents) or "updated".'),
  timeMin: parameter('RFC 3339 lower bound (exclusive) for the end of events, years 1 to 9999.'),
  timeMax: parameter('RFC 3339 upper bound (exclusive) for the start of events, years 1 to 9999.'),
  updatedMin: parameter('Only events changed at or after this RFC 3339 time.'),
  iCalUID: parameter('Only the event with this iCalendar UID.'),
  q: parameter('Free-text search terms.'),
  privateExtendedProperty: repeatable('propertyName=value: only events with this private extended property; all must match.'),
  sharedExtendedProperty: repeatable('propertyName=value: only events with this shared extended property; all must match.'),
  timeZone,
};

/** events.list. */
export const listQuery = googleParameters(list);

/** events.instances: a listing of one series' instances, ordered by start. */
const { syncToken: _, singleEvents: __, orderBy: ___, ...instances } = list;
export const instancesQuery = googleParameters(instances);

/** events.get. */
export const getQuery = googleParameters({ timeZone });

/** events.move. */
export const moveQuery = googleParameters({ destination: parameter('The calendar to move the event to.') }, ['destination']);

/** The calendar's event stream (events-stream.ts); a reconnect's Last-Event-ID header wins over it. */
export const streamQuery = googleParameters({ since: parameter('A calendar version (the id of the last event received): an event at once if the calendar moved past it.') });

/** Every other Google-shaped route: calsync reads none of its parameters. */
export const unreadQuery = googleParameters();
