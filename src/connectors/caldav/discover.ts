// Discovery from a server URL and a login (RFC 6764, RFC 5397, RFC 4791 §6.2.1):
// the user's principal, its calendar homes, and the event calendars in them.
import { ConnectorError } from '../connector.ts';
import { DavClient, propKey, type DavClientOptions, type DavResponse } from './client.ts';
import { APPLE_ICAL, CALDAV, CALSERVER, DAV, children, descendant } from './xml.ts';

export interface DiscoveredCalendar {
  /** The collection's URL: pass it as remoteCalendarId. */
  remoteCalendarId: string;
  displayName: string | null;
  /** As the server stores it, e.g. `#FF0000FF` (Apple's calendar-color). */
  color: string | null;
  ctag: string | null;
  syncToken: string | null;
  /** RFC 6578 sync-collection is offered, so a pass with no changes costs one request. */
  supportsSyncCollection: boolean;
  /** Components the collection accepts; empty when the server does not say (all). */
  components: string[];
  /** False when the privileges the server reports exclude writing content. */
  writable: boolean;
}

export interface Discovery {
  principalUrl: string;
  homeUrls: string[];
  calendars: DiscoveredCalendar[];
}

const CALENDAR_PROPS = '<d:resourcetype/><d:displayname/><a:calendar-color/><cs:getctag/><d:sync-token/><d:supported-report-set/><c:supported-calendar-component-set/><d:current-user-privilege-set/>';

const prop = (r: DavResponse | undefined, ns: string, local: string) => r?.props.get(propKey(ns, local));
const hrefIn = (r: DavResponse | undefined, ns: string, local: string, base: URL): URL[] =>
  children(prop(r, ns, local), DAV, 'href').map((h) => new URL(h.text.trim(), base));

async function principalOf(client: DavClient, start: URL): Promise<URL | null> {
  try {
    const [self] = await client.propfind(start, 0, '<d:current-user-principal/>');
    return hrefIn(self, DAV, 'current-user-principal', start)[0] ?? null;
  } catch (error) {
    if (error instanceof ConnectorError && (error.kind === 'not-found' || error.kind === 'permanent')) return null;
    throw error;
  }
}

export async function discoverCalendars(options: DavClientOptions & { serverUrl: string }): Promise<Discovery> {
  const client = new DavClient(options);
  const start = new URL(options.serverUrl);
  // The URL given first, then the well-known URL (Radicale and Xandikos redirect it to /).
  const principal = (await principalOf(client, start)) ?? (await principalOf(client, new URL('/.well-known/caldav', start)));
  if (principal === null) throw new ConnectorError('permanent', `${start.href} names no current-user-principal: not a CalDAV server, or not this URL`);
  const [self] = await client.propfind(principal, 0, '<c:calendar-home-set/>');
  const homes = hrefIn(self, CALDAV, 'calendar-home-set', principal);
  if (homes.length === 0) throw new ConnectorError('permanent', `principal ${principal.href} has no calendar-home-set`);
  const calendars: DiscoveredCalendar[] = [];
  for (const home of homes) {
    for (const r of await client.propfind(home, 1, CALENDAR_PROPS)) {
      if (r.status !== 200 || descendant(prop(r, DAV, 'resourcetype'), CALDAV, 'calendar') === null) continue;
      const components = children(prop(r, CALDAV, 'supported-calendar-component-set'), CALDAV, 'comp').map((c) => c.attributes.name ?? '').filter(Boolean);
      if (components.length > 0 && !components.includes('VEVENT')) continue;
      const privileges = prop(r, DAV, 'current-user-privilege-set');
      calendars.push({
        remoteCalendarId: new URL(r.path, home).href,
        displayName: prop(r, DAV, 'displayname')?.text.trim() || null,
        color: prop(r, APPLE_ICAL, 'calendar-color')?.text.trim() || null,
        ctag: prop(r, CALSERVER, 'getctag')?.text.trim() || null,
        syncToken: prop(r, DAV, 'sync-token')?.text.trim() || null,
        // Xandikos 0.2.8 lists reports without the DAV:report wrapper; look at any depth.
        supportsSyncCollection: descendant(prop(r, DAV, 'supported-report-set'), DAV, 'sync-collection') !== null,
        components,
        writable: privileges === undefined || ['all', 'write', 'write-content'].some((p) => descendant(privileges, DAV, p) !== null),
      });
    }
  }
  return { principalUrl: principal.href, homeUrls: homes.map((h) => h.href), calendars };
}
