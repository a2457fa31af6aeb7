// Another CalDAV client, independent of calsync's connector: listings through tsdav's
// calendar-query, edits read, changed with ical.js and written back with If-Match, as
// calendar apps do. What it reads out of an event for comparisons is ical.js's view.
import ICAL from 'ical.js';
import { calendarQuery } from 'tsdav';
import { rawRequest, type CalDavServer } from './caldav-servers.ts';

export interface Resource {
  href: string;
  etag: string;
  data: string;
}

function authorization(server: CalDavServer): string {
  return `Basic ${Buffer.from(`${server.username}:${server.password}`).toString('base64')}`;
}

/** Every event resource of the collection, with its text: one calendar-query REPORT. */
export async function listResources(server: CalDavServer, collection: string): Promise<Resource[]> {
  const responses = await calendarQuery({
    url: new URL(collection, server.url).href,
    props: { 'd:getetag': {}, 'c:calendar-data': {} },
    filters: { 'c:comp-filter': { _attributes: { name: 'VCALENDAR' }, 'c:comp-filter': { _attributes: { name: 'VEVENT' } } } },
    depth: '1',
    headers: { authorization: authorization(server) },
  });
  return responses.filter((r) => r.href && r.props?.calendarData).map((r) => {
    const data = r.props!.calendarData;
    return { href: new URL(r.href!, server.url).pathname, etag: String(r.props!.getetag), data: String(typeof data === 'object' && data !== null ? data._cdata : data) };
  });
}

export type MasterChange = Partial<Record<'summary' | 'description' | 'location', string>>;

/** The event without RECURRENCE-ID. */
function masterOf(calendar: ICAL.Component): ICAL.Component {
  const master = calendar.getAllSubcomponents('vevent').find((e) => !e.hasProperty('recurrence-id'));
  if (!master) throw new Error('no master VEVENT');
  return master;
}

/**
 * Changes fields of the resource's master the way a calendar app does (LAST-MODIFIED
 * and DTSTAMP moved, SEQUENCE kept): GET, change, PUT with If-Match, again on a 412.
 */
export async function editMaster(server: CalDavServer, href: string, change: MasterChange): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await rawRequest(server, 'GET', href);
    if (current.status !== 200 || !current.etag) throw new Error(`GET ${href} on ${server.kind}: ${current.status} ${current.text.slice(0, 200)}`);
    const calendar = new ICAL.Component(ICAL.parse(current.text));
    const master = masterOf(calendar);
    for (const [field, value] of Object.entries(change)) master.updatePropertyWithValue(field, value);
    const now = ICAL.Time.fromJSDate(new Date(), true);
    master.updatePropertyWithValue('last-modified', now);
    master.updatePropertyWithValue('dtstamp', now);
    const put = await rawRequest(server, 'PUT', href, calendar.toString(), { 'if-match': current.etag });
    if (put.status === 200 || put.status === 201 || put.status === 204) return;
    if (put.status !== 412) throw new Error(`PUT ${href} on ${server.kind}: ${put.status} ${put.text.slice(0, 200)}`);
  }
  throw new Error(`PUT ${href} on ${server.kind}: refused three times (412)`);
}

/** The UID, read without parsing the whole resource (listings of every round need only that). */
export function uidOf(data: string): string {
  const uid = /^UID(?:;[^:\r\n]*)?:(.*)$/m.exec(data.replace(/\r?\n[ \t]/g, ''));
  if (!uid) throw new Error(`no UID in ${data.slice(0, 200)}`);
  return uid[1]!.trim();
}

export interface EventView {
  uid: string;
  summary: string;
  description: string;
  location: string;
  /** Times, rules and overrides, for comparing with what was written first. */
  shape: string;
}

function timeOf(component: ICAL.Component, name: string): string | null {
  const property = component.getFirstProperty(name);
  if (!property) return null;
  const tz = property.getParameter('tzid');
  return `${String(property.getFirstValue())}${tz ? `@${String(tz)}` : ''}`;
}

/** ical.js's reading of one resource: the master's texts and the series' times. */
export function viewOf(data: string): EventView {
  const calendar = new ICAL.Component(ICAL.parse(data));
  const master = masterOf(calendar);
  const textOf = (name: string) => String(master.getFirstPropertyValue(name) ?? '');
  const rule = master.getFirstPropertyValue('rrule');
  const exdates = master.getAllProperties('exdate').flatMap((p) => p.getValues().map((v) => `${String(v)}${p.getParameter('tzid') ? `@${String(p.getParameter('tzid'))}` : ''}`));
  const end = timeOf(master, 'dtend') ?? `+${String(master.getFirstPropertyValue('duration'))}`;
  const overrides = calendar.getAllSubcomponents('vevent').filter((e) => e !== master)
    .map((e) => `${timeOf(e, 'recurrence-id')} ${timeOf(e, 'dtstart')} ${timeOf(e, 'dtend')} ${String(e.getFirstPropertyValue('summary') ?? '')}`).sort();
  const shape = {
    start: timeOf(master, 'dtstart'), end,
    rrule: rule ? String(rule).split(';').sort().join(';') : null,
    exdates: exdates.sort(), overrides,
  };
  return { uid: textOf('uid'), summary: textOf('summary'), description: textOf('description'), location: textOf('location'), shape: JSON.stringify(shape) };
}
