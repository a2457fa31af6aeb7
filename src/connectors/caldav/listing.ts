// Reading a calendar collection: a full listing, RFC 6578 changes since a sync-token,
// or, where sync-collection is missing, changes found by comparing ctag and etags.
// Each is a generator of items that returns the next cursor; index.ts cuts it into pages.
//
// Bodies come inside the listing where the server sends them (calendar-query: Radicale
// and Xandikos; sync-collection: Radicale, not Xandikos 0.2.8, which answers
// calendar-data there with a 404 propstat). Others are fetched afterwards: up to one
// batch by calendar-multiget, more by one calendar-query kept to the wanted hrefs,
// because Xandikos 0.2.8 resolves every multiget href by scanning the collection
// (5,000 hrefs take minutes, a calendar-query about a second). DAV:limit is never
// sent: Xandikos truncates under it without the 507 marker.
import { ConnectorError, type RemoteItem, type UnreadableItem } from '../connector.ts';
import { propKey, type DavClient, type DavResponse } from './client.ts';
import { encodeCursor, etagDigest, type Cursor } from './cursor.ts';
import { garbage } from './errors.ts';
import { deletedItem, isUnreadable, lastModified, readResource } from './map.ts';
import type { Listing } from './pages.ts';
import { afterReport, firstProbe, observe, unchanged, type Observation, type Probe } from './probe.ts';
import { CALDAV, CALSERVER, DAV, descendant, escapeXml, type MultistatusTail } from './xml.ts';

export interface ListingContext {
  client: DavClient;
  collection: URL;
  /** hrefs per calendar-multiget. */
  batchSize: number;
  /** False: read by ctag and etags even where sync-collection is offered. */
  useSyncCollection: boolean;
}

interface CollectionState {
  syncToken: string | null;
  ctag: string | null;
  supportsSync: boolean;
  /** getlastmodified with the answer's date, where the server sends it. */
  reading: Observation | null;
}

const ITEM_PROPS = '<d:getetag/><d:getlastmodified/><c:calendar-data/>';
const ETAG_PROPS = '<d:getetag/>';
const NAMESPACES = `xmlns:d="DAV:" xmlns:c="${CALDAV}"`;

const text = (r: DavResponse, ns: string, local: string): string | null => r.props.get(propKey(ns, local))?.text ?? null;
const etagOf = (r: DavResponse): string | null => text(r, DAV, 'getetag')?.trim() || null;
const sameHref = (a: string, b: string): boolean => safeDecode(a) === safeDecode(b);

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

async function collectionState(ctx: ListingContext): Promise<CollectionState> {
  const { responses: [self], date } = await ctx.client.propfindDated(ctx.collection, 0, '<d:resourcetype/><d:sync-token/><cs:getctag/><d:supported-report-set/><d:getlastmodified/>');
  // Xandikos answers a PROPFIND on a missing collection with 207 and a 404 inside.
  if (self === undefined || self.status === 404) throw new ConnectorError('not-found', `no CalDAV collection at ${ctx.collection.href}`);
  if (descendant(self.props.get(propKey(DAV, 'resourcetype')), CALDAV, 'calendar') === null) {
    throw new ConnectorError('permanent', `${ctx.collection.href} is not a calendar collection`);
  }
  return {
    syncToken: text(self, DAV, 'sync-token')?.trim() || null,
    ctag: text(self, CALSERVER, 'getctag')?.trim() || null,
    // Xandikos 0.2.8 lists reports without the DAV:report wrapper; look at any depth.
    supportsSync: descendant(self.props.get(propKey(DAV, 'supported-report-set')), DAV, 'sync-collection') !== null,
    reading: observe(text(self, DAV, 'getlastmodified'), date),
  };
}

/** The collection's getlastmodified now (probe.ts); null when the server does not say. */
async function reading(ctx: ListingContext): Promise<Observation | null> {
  const { responses: [self], date } = await ctx.client.propfindDated(ctx.collection, 0, '<d:getlastmodified/>');
  if (self === undefined || self.status === 404) throw new ConnectorError('not-found', `no CalDAV collection at ${ctx.collection.href}`);
  return observe(text(self, DAV, 'getlastmodified'), date);
}

/** Runs a REPORT and yields its responses; the return value carries the sync-token. */
async function* report(ctx: ListingContext, depth: 0 | 1, body: string): AsyncGenerator<DavResponse, MultistatusTail, undefined> {
  const response = await ctx.client.report(ctx.collection, depth, body);
  if (response.status !== 207) throw await ctx.client.failure(response, 'read', ctx.collection);
  return yield* ctx.client.responses(response, ctx.collection);
}

function calendarQuery(ctx: ListingContext, props: string): AsyncGenerator<DavResponse, MultistatusTail, undefined> {
  return report(ctx, 1, `<c:calendar-query ${NAMESPACES}><d:prop>${props}</d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"/></c:comp-filter></c:filter></c:calendar-query>`);
}

function syncCollectionBody(token: string, props: string): string {
  return `<d:sync-collection ${NAMESPACES}><d:sync-token>${escapeXml(token)}</d:sync-token><d:sync-level>1</d:sync-level><d:prop>${props}</d:prop></d:sync-collection>`;
}

type Listed = RemoteItem | UnreadableItem;

/** What a listed member holds, or null when the answer left its body out. */
function itemOf(r: DavResponse): Listed | null {
  const etag = etagOf(r);
  const data = text(r, CALDAV, 'calendar-data');
  if (etag === null || data === null || data.trim() === '') return null;
  return readResource(r.path, etag, data, lastModified(text(r, DAV, 'getlastmodified')));
}

/** The etag a member listed as `entry` has, unreadable ones included; null when it is gone. */
function presentEtag(entry: Listed): string | null {
  if (isUnreadable(entry)) return entry.etag;
  return entry.deleted ? null : entry.etag;
}

/** calendar-multiget in batches; a member gone meanwhile comes back deleted. */
async function* multiget(ctx: ListingContext, paths: string[]): AsyncGenerator<Listed, void, undefined> {
  for (let i = 0; i < paths.length; i += ctx.batchSize) {
    const batch = paths.slice(i, i + ctx.batchSize);
    const hrefs = batch.map((p) => `<d:href>${escapeXml(p)}</d:href>`).join('');
    const unanswered = new Set(batch.map(safeDecode));
    for await (const r of report(ctx, 1, `<c:calendar-multiget ${NAMESPACES}><d:prop>${ITEM_PROPS}</d:prop>${hrefs}</c:calendar-multiget>`)) {
      unanswered.delete(safeDecode(r.path));
      if (r.status === 404) {
        yield deletedItem(r.path);
        continue;
      }
      const item = r.status === 200 ? itemOf(r) : null;
      if (item === null) throw garbage('read', ctx.collection.href, `calendar-multiget gave ${r.path} status ${r.status} without calendar-data and etag`);
      yield item;
    }
    if (unanswered.size > 0) throw garbage('read', ctx.collection.href, `calendar-multiget left out ${[...unanswered][0]}`);
  }
}

/** Bodies of members a listing named without them (see the top of this file). */
async function* fetchBodies(ctx: ListingContext, paths: string[]): AsyncGenerator<Listed, void, undefined> {
  if (paths.length <= ctx.batchSize) {
    yield* multiget(ctx, paths);
    return;
  }
  const wanted = new Map(paths.map((p) => [safeDecode(p), p]));
  const withoutData: string[] = [];
  for await (const r of calendarQuery(ctx, ITEM_PROPS)) {
    if (r.status !== 200 || !wanted.delete(safeDecode(r.path))) continue;
    const item = itemOf(r);
    if (item === null) withoutData.push(r.path);
    else yield item;
  }
  // Not among the collection's events any more: deleted, or no longer a VEVENT.
  for (const path of wanted.values()) yield deletedItem(path);
  yield* multiget(ctx, withoutData);
}

/** Every live event of the collection, and a cursor taken before reading them. */
export async function* fullListing(ctx: ListingContext): Listing {
  const state = await collectionState(ctx);
  const sync = ctx.useSyncCollection && state.supportsSync && state.syncToken !== null;
  const etags = new Map<string, string>();
  // An unreadable member is kept too: it is compared like any other and reported again when it changes.
  const remember = (item: Listed) => {
    const etag = presentEtag(item);
    if (!sync && etag !== null) etags.set(item.remoteId, etagDigest(etag));
  };
  const withoutData: string[] = [];
  for await (const r of calendarQuery(ctx, ITEM_PROPS)) {
    if (r.status !== 200 || sameHref(r.path, ctx.collection.pathname)) continue;
    const item = itemOf(r);
    if (item === null) {
      withoutData.push(r.path);
      continue;
    }
    remember(item);
    yield item;
  }
  for await (const item of multiget(ctx, withoutData)) {
    remember(item);
    yield item;
  }
  const cursor: Cursor = sync ? { kind: 'sync', token: state.syncToken!, probe: firstProbe(state.reading) } : { kind: 'etags', ctag: state.ctag, etags };
  return encodeCursor(cursor);
}

/**
 * A server that truncates a sync-collection answer marks the collection with 507 and
 * gives a token to continue from (RFC 6578 §3.6); the listing asks again at once, this
 * many times at most, and leaves the rest to the next pass through its cursor.
 */
export const MAX_CONTINUATIONS = 50;

/**
 * RFC 6578: members changed since `token`, removed ones as 404 responses. With a probe,
 * the collection's getlastmodified is read first and the REPORT skipped when it shows
 * nothing can have changed (probe.ts).
 */
export async function* syncChanges(ctx: ListingContext, token: string, probe: Probe | null): Listing {
  const now = probe === null ? null : await reading(ctx);
  if (probe !== null && now !== null && unchanged(probe, now)) return encodeCursor({ kind: 'sync', token, probe });
  let from = token;
  let changes = 0;
  for (let continuations = 0; ; continuations++) {
    const tail = yield* reportChanges(ctx, from);
    changes += tail.changes;
    const stuck = tail.syncToken === from;
    from = tail.syncToken;
    if (!tail.truncated || stuck || continuations === MAX_CONTINUATIONS) break;
  }
  return encodeCursor({ kind: 'sync', token: from, probe: now === null ? null : afterReport(probe, now, changes > 0) });
}

interface ReportTail {
  syncToken: string;
  /** The server cut the answer short (507 on the collection). */
  truncated: boolean;
  changes: number;
}

async function* reportChanges(ctx: ListingContext, token: string): AsyncGenerator<Listed, ReportTail, undefined> {
  const response = await ctx.client.report(ctx.collection, 0, syncCollectionBody(token, ITEM_PROPS));
  if (response.status !== 207) {
    const failure = await ctx.client.failure(response, 'read', ctx.collection);
    throw response.status >= 500 ? await unknownToken(ctx, token, failure) : failure;
  }
  const withoutData: string[] = [];
  const stream = ctx.client.responses(response, ctx.collection);
  let tail: MultistatusTail;
  let truncated = false;
  let changes = 0;
  try {
    for (;;) {
      const next = await stream.next();
      if (next.done) {
        tail = next.value;
        break;
      }
      const r = next.value;
      if (sameHref(r.path, ctx.collection.pathname)) {
        truncated ||= r.status === 507;
        continue;
      }
      changes++;
      if (r.status === 404) {
        yield deletedItem(r.path);
        continue;
      }
      const item = itemOf(r);
      if (item === null) withoutData.push(r.path);
      else yield item;
    }
  } finally {
    await stream.return({ syncToken: null });
  }
  if (tail.syncToken === null) throw garbage('read', ctx.collection.href, 'sync-collection answer without a sync-token');
  yield* fetchBodies(ctx, withoutData);
  return { syncToken: tail.syncToken, truncated, changes };
}

/**
 * Xandikos 0.2.8 answers a sync-token it does not know with 500 (a KeyError in its git
 * store) instead of DAV:valid-sync-token. When the server then answers its own current
 * token, the stored one is what it cannot read: the cursor expired. Otherwise the
 * server is failing and the first error stands.
 */
async function unknownToken(ctx: ListingContext, token: string, error: ConnectorError): Promise<ConnectorError> {
  try {
    const state = await collectionState(ctx);
    if (state.syncToken === null || state.syncToken === token) return error;
    for await (const r of report(ctx, 0, syncCollectionBody(state.syncToken, ETAG_PROPS))) void r;
  } catch {
    return error;
  }
  return new ConnectorError('cursor-expired', `${ctx.collection.href} cannot read sync-token ${token} (${error.message}) but reads its current one; list in full`, { cause: error });
}

/** Without sync-collection: an unchanged ctag costs one request; else etags are compared. */
export async function* etagChanges(ctx: ListingContext, cursor: string, previous: { ctag: string | null; etags: Map<string, string> }): Listing {
  const state = await collectionState(ctx);
  if (state.ctag !== null && state.ctag === previous.ctag) return cursor;
  const current = new Map<string, string>();
  for await (const r of calendarQuery(ctx, ETAG_PROPS)) {
    if (r.status !== 200 || sameHref(r.path, ctx.collection.pathname)) continue;
    const etag = etagOf(r);
    current.set(r.path, etag === null ? '' : etagDigest(etag));
  }
  for (const path of previous.etags.keys()) if (!current.has(path)) yield deletedItem(path);
  const changed = [...current].filter(([path, etag]) => etag === '' || previous.etags.get(path) !== etag).map(([path]) => path);
  for await (const item of fetchBodies(ctx, changed)) {
    const etag = presentEtag(item);
    if (etag === null) current.delete(item.remoteId);
    else current.set(item.remoteId, etagDigest(etag));
    yield item;
  }
  return encodeCursor({ kind: 'etags', ctag: state.ctag, etags: current });
}
