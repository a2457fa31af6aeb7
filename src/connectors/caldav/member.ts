// One member read whole, its etag and calendar-data from one answer, and the etag of a
// PUT whose answer carried none.
//
// RFC 9110 §9.3.4 forbids a validator in a PUT answer when the server stored something
// else than what was sent, so such a server's etag has to be read afterwards, and
// another client may write in between. A GET's body with a PROPFIND's etag, or a PUT
// with a later PROPFIND's etag, can pair one version's content with the next one's
// etag: the pass would then take a change it never saw as agreed and skip it. One
// calendar-multiget answer holds both of one version.
import { contentHash } from '../../core/hash.ts';
import { ConnectorError } from '../connector.ts';
import { propKey, type DavClient } from './client.ts';
import { garbage } from './errors.ts';
import { isUnreadable, readResource } from './map.ts';
import { CALDAV, DAV, escapeXml } from './xml.ts';

export interface MemberText {
  etag: string;
  text: string;
}

/**
 * The etag a write answers when what the server holds is no longer what was PUT: it
 * matches no listed etag, so the next listing shows the member as changed and the pass
 * compares its content instead of skipping it as its own write.
 */
export const UNKNOWN_ETAG = '';

/** The member at `url` of `collection` by calendar-multiget; null when it is gone. */
export async function readMember(client: DavClient, collection: URL, url: URL): Promise<MemberText | null> {
  const body = `<c:calendar-multiget xmlns:d="DAV:" xmlns:c="${CALDAV}"><d:prop><d:getetag/><c:calendar-data/></d:prop><d:href>${escapeXml(url.pathname)}</d:href></c:calendar-multiget>`;
  const response = await client.report(collection, 1, body);
  if (response.status !== 207) throw await client.failure(response, 'read', collection, url.pathname);
  let found: MemberText | null = null;
  for await (const r of client.responses(response, collection)) {
    if (r.status === 404) continue;
    const etag = r.props.get(propKey(DAV, 'getetag'))?.text.trim();
    const text = r.props.get(propKey(CALDAV, 'calendar-data'))?.text;
    if (!etag) throw new ConnectorError('transient', `CalDAV read ${url.href}: the server gives no etag`, { remoteId: url.pathname });
    if (text === undefined) throw garbage('read', collection.href, `calendar-multiget gave ${r.path} without calendar-data`);
    found = { etag, text };
  }
  return found;
}

/**
 * The etag of the member just written with `written`, for a PUT answered without one:
 * the etag read with it when what the server holds has the content that was PUT
 * (compared normalised: servers rewrite DTSTAMP, PRODID, property order), else
 * UNKNOWN_ETAG.
 */
export async function verifiedEtag(client: DavClient, collection: URL, url: URL, written: string): Promise<string> {
  const held = await readMember(client, collection, url);
  if (held === null) return UNKNOWN_ETAG;
  const now = readResource(url.pathname, held.etag, held.text, null);
  const sent = readResource(url.pathname, held.etag, written, null);
  if (isUnreadable(now) || now.deleted || isUnreadable(sent) || sent.deleted) return UNKNOWN_ETAG;
  return contentHash(now.series) === contentHash(sent.series) && now.calsyncId === sent.calsyncId ? held.etag : UNKNOWN_ETAG;
}
