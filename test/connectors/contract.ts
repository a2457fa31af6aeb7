// The connector contract: what every connector promises (src/connectors/connector.ts),
// as tests. Each connector's test file calls registerConnectorContract with a factory
// for a fresh, empty remote calendar; only documented interface behaviour is asserted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isConnectorError, type Connector, type RemoteItem, type UnreadableItem } from '../../src/connectors/connector.ts';
import { contentHash } from '../../src/core/hash.ts';
import type { EventSeries } from '../../src/core/model.ts';
import { single, weekly, instance } from '../helpers/events.ts';

export interface ContractSubject {
  connector: Connector;
  remoteCalendarId: string;
  /** Invalidates every cursor handed out so far, where the test can cause that. */
  expireCursors?: () => Promise<void>;
  /**
   * Puts `readable` into the remote calendar and, as another client would, one item
   * the connector cannot read (content the provider holds but calsync's model refuses);
   * returns that item's remote id.
   */
  plantUnreadable?: (readable: EventSeries[]) => Promise<string>;
  close?: () => Promise<void>;
}

/** Follows every page of one listing. */
export async function listAll(connector: Connector, calendarId: string, cursor: string | null): Promise<{ items: RemoteItem[]; cursor: string; complete: boolean }> {
  const items: RemoteItem[] = [];
  let pageToken: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await connector.listChanges(calendarId, cursor, pageToken);
    items.push(...page.items);
    if (page.nextPageToken === null) {
      assert.ok(page.nextCursor, 'the last page carries the next cursor');
      return { items, cursor: page.nextCursor, complete: page.complete };
    }
    assert.equal(page.nextCursor, null, 'only the last page carries a cursor');
    pageToken = page.nextPageToken;
  }
  throw new Error('listing did not end after 1000 pages');
}

/** listAll, with every page's unreadable items. */
export async function listWithUnreadable(connector: Connector, calendarId: string, cursor: string | null): Promise<{ items: RemoteItem[]; unreadable: UnreadableItem[]; cursor: string; complete: boolean }> {
  const items: RemoteItem[] = [];
  const unreadable: UnreadableItem[] = [];
  let pageToken: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await connector.listChanges(calendarId, cursor, pageToken);
    items.push(...page.items);
    unreadable.push(...(page.unreadable ?? []));
    if (page.nextPageToken === null) return { items, unreadable, cursor: page.nextCursor!, complete: page.complete };
    pageToken = page.nextPageToken;
  }
  throw new Error('listing did not end after 1000 pages');
}

/** The last state of each remote id, as the contract tells callers to read listings. */
function latest(items: RemoteItem[]): Map<string, RemoteItem> {
  return new Map(items.map((item) => [item.remoteId, item]));
}

export interface ContractOptions {
  /** The connector cannot write (ICS feeds): tests that need writes are skipped, refusals are tested. */
  readOnly?: boolean;
  /** Cases this run cannot pass yet, with the reason. */
  skip?: Partial<Record<'unreadable', string>>;
}

export function registerConnectorContract(name: string, factory: () => Promise<ContractSubject>, options: ContractOptions = {}): void {
  const run = (title: string, body: (s: ContractSubject) => Promise<void>, skip: string | false) =>
    test(`${name} contract: ${title}`, { skip }, async () => {
      const subject = await factory();
      try {
        await body(subject);
      } finally {
        await subject.close?.();
      }
    });
  const withSubject = (title: string, body: (s: ContractSubject) => Promise<void>) => run(title, body, false);
  const withWrites = (title: string, body: (s: ContractSubject) => Promise<void>) =>
    run(title, body, options.readOnly === true && 'needs writes; the connector is read-only');

  withSubject('an empty calendar lists nothing, completely, with a cursor', async ({ connector, remoteCalendarId }) => {
    const listing = await listAll(connector, remoteCalendarId, null);
    assert.deepEqual(listing.items, []);
    assert.equal(listing.complete, true);
  });

  withWrites('a created item is listed with its etag, stamp and content', async ({ connector, remoteCalendarId }) => {
    const series = weekly({ uid: 'contract-1' }, [instance('2026-03-09', { uid: 'contract-1', summary: 'Moved' })]);
    const written = await connector.create(remoteCalendarId, series, { calsyncId: 'cs-1' });
    const listing = latest((await listAll(connector, remoteCalendarId, null)).items);
    const item = listing.get(written.remoteId);
    assert.ok(item && !item.deleted, 'the created item is listed');
    assert.equal(item.etag, written.etag);
    assert.equal(item.calsyncId, 'cs-1');
    assert.equal(contentHash(item.series), contentHash(series));
  });

  withWrites('read gives an item as a listing shows it, and a deleted item once it is gone', async ({ connector, remoteCalendarId }) => {
    // Optional in the interface (a read-only feed has nothing to refuse), but a writable
    // connector without it leaves a refused write to listings that may never show why.
    assert.ok(connector.read, 'a writable connector reads one item');
    const series = weekly({ uid: 'contract-read' }, [instance('2026-03-09', { uid: 'contract-read', summary: 'Moved' })]);
    const written = await connector.create(remoteCalendarId, series, { calsyncId: 'cs-read' });
    const listed = latest((await listAll(connector, remoteCalendarId, null)).items).get(written.remoteId);
    const read = await connector.read(remoteCalendarId, written.remoteId);
    assert.ok(listed && !listed.deleted && !read.deleted);
    assert.equal(read.remoteId, written.remoteId);
    assert.equal(read.etag, listed.etag);
    assert.equal(read.calsyncId, 'cs-read');
    assert.equal(contentHash(read.series), contentHash(series));
    await connector.delete(remoteCalendarId, written.remoteId, { ifMatch: read.etag });
    const gone = await connector.read(remoteCalendarId, written.remoteId);
    assert.equal(gone.deleted, true);
    assert.equal(gone.remoteId, written.remoteId);
  });

  withWrites('create is idempotent per calsync id', async ({ connector, remoteCalendarId }) => {
    const first = await connector.create(remoteCalendarId, single({ uid: 'contract-2' }), { calsyncId: 'cs-2' });
    const second = await connector.create(remoteCalendarId, single({ uid: 'contract-2' }), { calsyncId: 'cs-2' });
    assert.equal(second.remoteId, first.remoteId);
    const live = (await listAll(connector, remoteCalendarId, null)).items.filter((i) => !i.deleted);
    assert.equal(new Set(live.map((i) => i.remoteId)).size, 1);
  });

  withWrites('update with the current etag writes and changes the etag', async ({ connector, remoteCalendarId }) => {
    const created = await connector.create(remoteCalendarId, single({ uid: 'contract-3' }), { calsyncId: 'cs-3' });
    const edited = single({ uid: 'contract-3', summary: 'Renamed' });
    const updated = await connector.update(remoteCalendarId, created.remoteId, edited, { ifMatch: created.etag });
    assert.equal(updated.remoteId, created.remoteId);
    assert.notEqual(updated.etag, created.etag);
    const item = latest((await listAll(connector, remoteCalendarId, null)).items).get(created.remoteId);
    assert.ok(item && !item.deleted);
    assert.equal(contentHash(item.series), contentHash(edited));
    assert.equal(item.calsyncId, 'cs-3', 'an update keeps the stamp');
  });

  withWrites('update and delete with a stale etag fail with precondition-failed and change nothing', async ({ connector, remoteCalendarId }) => {
    const created = await connector.create(remoteCalendarId, single({ uid: 'contract-4' }), { calsyncId: 'cs-4' });
    const updated = await connector.update(remoteCalendarId, created.remoteId, single({ uid: 'contract-4', summary: 'v2' }), { ifMatch: created.etag });
    await assert.rejects(connector.update(remoteCalendarId, created.remoteId, single({ uid: 'contract-4', summary: 'v3' }), { ifMatch: created.etag }), (e: unknown) => isConnectorError(e, 'precondition-failed'));
    await assert.rejects(connector.delete(remoteCalendarId, created.remoteId, { ifMatch: created.etag }), (e: unknown) => isConnectorError(e, 'precondition-failed'));
    const item = latest((await listAll(connector, remoteCalendarId, null)).items).get(created.remoteId);
    assert.ok(item && !item.deleted);
    assert.equal(item.etag, updated.etag);
    assert.equal(item.series.master?.summary, 'v2');
  });

  withWrites('delete removes the item, shows as deleted after a cursor, and is safe to repeat', async ({ connector, remoteCalendarId }) => {
    const created = await connector.create(remoteCalendarId, single({ uid: 'contract-5' }), { calsyncId: 'cs-5' });
    const { cursor } = await listAll(connector, remoteCalendarId, null);
    await connector.delete(remoteCalendarId, created.remoteId, { ifMatch: created.etag });
    await connector.delete(remoteCalendarId, created.remoteId, { ifMatch: null });
    const full = await listAll(connector, remoteCalendarId, null);
    assert.ok(!full.items.some((i) => i.remoteId === created.remoteId && !i.deleted));
    const changes = latest((await listAll(connector, remoteCalendarId, cursor)).items);
    assert.equal(changes.get(created.remoteId)?.deleted, true);
    await assert.rejects(connector.update(remoteCalendarId, created.remoteId, single({ uid: 'contract-5' }), { ifMatch: null }), (e: unknown) => isConnectorError(e, 'not-found'));
  });

  withWrites('a cursor lists what changed since it, in its latest state', async ({ connector, remoteCalendarId }) => {
    const untouched = await connector.create(remoteCalendarId, single({ uid: 'contract-6a' }), { calsyncId: 'cs-6a' });
    const { cursor } = await listAll(connector, remoteCalendarId, null);
    const quiet = await listAll(connector, remoteCalendarId, cursor);
    assert.deepEqual(quiet.items, [], 'no changes, no items');
    assert.equal(quiet.complete, false);
    const created = await connector.create(remoteCalendarId, single({ uid: 'contract-6b' }), { calsyncId: 'cs-6b' });
    await connector.update(remoteCalendarId, created.remoteId, single({ uid: 'contract-6b', summary: 'latest' }), { ifMatch: created.etag });
    const changes = await listAll(connector, remoteCalendarId, cursor);
    const byId = latest(changes.items);
    assert.equal(byId.has(untouched.remoteId), false);
    const item = byId.get(created.remoteId);
    assert.ok(item && !item.deleted && item.series.master?.summary === 'latest');
    const after = await listAll(connector, remoteCalendarId, changes.cursor);
    assert.deepEqual(after.items, []);
  });

  withWrites('a long listing pages and every item arrives', async ({ connector, remoteCalendarId }) => {
    const ids = new Set<string>();
    for (let i = 0; i < 120; i++) ids.add((await connector.create(remoteCalendarId, single({ uid: `contract-7-${i}` }), { calsyncId: `cs-7-${i}` })).remoteId);
    const listed = new Set((await listAll(connector, remoteCalendarId, null)).items.filter((i) => !i.deleted).map((i) => i.remoteId));
    assert.deepEqual(listed, ids);
  });

  run('an item the connector cannot read is listed as unreadable; its neighbours are listed and the cursor moves', async ({ connector, remoteCalendarId, plantUnreadable }) => {
    assert.ok(plantUnreadable, 'the subject can put an unreadable item into its calendar');
    const readable = [single({ uid: 'contract-u1' }), weekly({ uid: 'contract-u2' }, [instance('2026-03-09', { uid: 'contract-u2', summary: 'Moved' })])];
    const remoteId = await plantUnreadable(readable);
    const listing = await listWithUnreadable(connector, remoteCalendarId, null);
    assert.equal(listing.complete, true);
    assert.ok(listing.cursor, 'the listing ends with a cursor');
    assert.deepEqual(listing.unreadable.map((u) => u.remoteId), [remoteId]);
    const [unreadable] = listing.unreadable;
    assert.ok(unreadable!.reason.length > 0 && unreadable!.raw !== null && unreadable!.raw.length > 0, 'with a reason and the payload');
    const live = [...latest(listing.items).values()].filter((i) => !i.deleted);
    assert.ok(!live.some((i) => i.remoteId === remoteId), 'not also listed as an item');
    assert.deepEqual(live.map((i) => contentHash(i.series)).sort(), readable.map((r) => contentHash(r)).sort(), 'the neighbours are listed, whole');
    const quiet = await listWithUnreadable(connector, remoteCalendarId, listing.cursor);
    assert.deepEqual([quiet.items, quiet.unreadable], [[], []], 'the cursor moved past it');
    if (connector.read) {
      await assert.rejects(connector.read(remoteCalendarId, remoteId), (e: unknown) => isConnectorError(e, 'permanent') && e.remoteId === remoteId);
    }
  }, options.skip?.unreadable ?? false);

  withWrites('a deleted item calsync created carries its stamp', async ({ connector, remoteCalendarId }) => {
    // A UUID, as the engine's ids are: providers that derive the remote id from it give it back from the id alone.
    const calsyncId = '6f1d2c3b-4a59-4687-9a1b-2c3d4e5f6a7b';
    const created = await connector.create(remoteCalendarId, single({ uid: 'contract-stamp' }), { calsyncId });
    const { cursor } = await listAll(connector, remoteCalendarId, null);
    await connector.delete(remoteCalendarId, created.remoteId, { ifMatch: null });
    const deleted = latest((await listAll(connector, remoteCalendarId, cursor)).items).get(created.remoteId);
    assert.ok(deleted?.deleted, 'the deletion is listed');
    assert.equal(deleted.calsyncId, calsyncId);
  });

  withSubject('an expired cursor fails with cursor-expired', async (subject) => {
    if (!subject.expireCursors) return;
    const { cursor } = await listAll(subject.connector, subject.remoteCalendarId, null);
    await subject.expireCursors();
    await assert.rejects(subject.connector.listChanges(subject.remoteCalendarId, cursor), (e: unknown) => isConnectorError(e, 'cursor-expired'));
    assert.equal((await listAll(subject.connector, subject.remoteCalendarId, null)).complete, true);
  });

  withSubject('capabilities are declared', async ({ connector }) => {
    for (const key of ['push', 'syncTokens', 'writable', 'conditionalWrites', 'windowed'] as const) {
      assert.equal(typeof connector.capabilities[key], 'boolean', key);
    }
    assert.equal(connector.capabilities.writable, options.readOnly !== true);
  });

  if (options.readOnly) withSubject('a read-only connector refuses every write as permanent', async ({ connector, remoteCalendarId }) => {
    const permanent = (e: unknown) => isConnectorError(e, 'permanent');
    await assert.rejects(connector.create(remoteCalendarId, single({ uid: 'contract-8' }), { calsyncId: 'cs-8' }), permanent);
    await assert.rejects(connector.update(remoteCalendarId, 'any', single({ uid: 'contract-8' }), { ifMatch: null }), permanent);
    await assert.rejects(connector.delete(remoteCalendarId, 'any', { ifMatch: null }), permanent);
  });
}
