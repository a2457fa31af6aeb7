// Discovery from a server URL and a login (RFC 6764, RFC 5397, RFC 4791 §6.2.1):
// the user's principal, its calendar homes, and the event calendars in them. The login
// goes first only to the server URL's origin; the origins the principal and its
// calendar-home-set name (iCloud's homes are on pNN-caldav.icloud.com) are added as they
// are learnt, and returned as the account's origins (README "Origins").
import { ConnectorError } from '../connector.ts';
import { parseUserUrl } from '../http-guard.ts';
import { RequestFailure } from '../request-failures.ts';
import { boundedText, DavClient, propKey, type DavClientOptions, type DavResponse } from './client.ts';
import { isHtml } from './errors.ts';
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
  /** Where the account's login may be sent: the server URL's origin and those discovery was told of. */
  origins: string[];
}

const CALENDAR_PROPS = '<d:resourcetype/><d:displayname/><a:calendar-color/><cs:getctag/><d:sync-token/><d:supported-report-set/><c:supported-calendar-component-set/><d:current-user-privilege-set/>';

const prop = (r: DavResponse | undefined, ns: string, local: string) => r?.props.get(propKey(ns, local));
const hrefIn = (r: DavResponse | undefined, ns: string, local: string, base: URL): URL[] =>
  children(prop(r, ns, local), DAV, 'href').map((h) => new URL(h.text.trim(), base));

/** The principal a URL names, or what it answered instead (for the message when neither URL names one). */
async function principalOf(client: DavClient, start: URL): Promise<{ principal: URL } | { answered: string }> {
  const response = await client.propfindAnswer(start, 0, '<d:current-user-principal/>');
  const { status } = response;
  // A refused login, a server failing or asking to slow down: that, not "no principal here".
  if (status === 401 || status === 403 || status === 408 || status === 429 || status >= 500) throw await client.failure(response, 'read', start);
  if (status !== 207) {
    const page = isHtml(await boundedText(response)) ? ' with a web page' : '';
    return { answered: `HTTP ${status}${page}` };
  }
  const [self] = await client.multistatus(response, start);
  const principal = hrefIn(self, DAV, 'current-user-principal', start)[0];
  return principal ? { principal } : { answered: 'a WebDAV answer without current-user-principal' };
}

export async function discoverCalendars(options: DavClientOptions & { serverUrl: string }): Promise<Discovery> {
  const start = parseUserUrl(options.serverUrl);
  const client = new DavClient(options, [start.origin]);
  // The URL given first, then the well-known URL (Radicale and Xandikos redirect it to /).
  let found = await principalOf(client, start);
  if (!('principal' in found)) {
    const there = found.answered;
    found = await principalOf(client, new URL('/.well-known/caldav', start));
    if (!('principal' in found)) {
      throw new RequestFailure('permanent', 'not-caldav', `${start.href} is not a CalDAV server: PROPFIND there answered ${there}, and /.well-known/caldav ${found.answered}`);
    }
  }
  const principal = found.principal;
  // Named by the server the user gave, in an answer to this login.
  client.allowOrigin(principal.origin);
  const [self] = await client.propfind(principal, 0, '<c:calendar-home-set/>');
  const homes = hrefIn(self, CALDAV, 'calendar-home-set', principal);
  if (homes.length === 0) throw new ConnectorError('permanent', `principal ${principal.href} has no calendar-home-set`);
  for (const home of homes) client.allowOrigin(home.origin);
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
  const origins = [...new Set([start.origin, principal.origin, ...homes.map((h) => h.origin)])];
  return { principalUrl: principal.href, homeUrls: homes.map((h) => h.href), calendars, origins };
}
