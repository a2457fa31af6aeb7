import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ConnectorError } from '../../src/connectors/connector.ts';
import { MemoryConnector } from '../../src/connectors/memory/index.ts';
import { mirrorBlockUid } from '../../src/core/busy-mirror.ts';
import { contentHash } from '../../src/core/hash.ts';
import { normaliseSeries } from '../../src/core/normalise.ts';
import { getBinding } from '../../src/store/bindings.ts';
import { listQuarantined } from '../../src/store/quarantine.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { converge, engineWorld } from '../helpers/engine.ts';
import { instance, single, weekly } from '../helpers/events.ts';

let t: TestDatabase;
before(async () => { t = await freshDatabase(); });
after(async () => { await t.drop(); });

const hashOf = (s: Parameters<typeof normaliseSeries>[0]) => contentHash(normaliseSeries(s));


test('a calendar and two remotes converge: creates, edits and deletes on every side; a further pass writes nothing', async () => {
  const world = await engineWorld(t, { sliceSize: 3 });
  const a = await world.bind('remote-a');
  const b = await world.bind('remote-b');
  const fromApp = await world.appWrite(null, single({ uid: 'app-1', summary: 'from the app' }));
  const fromA = a.connector.userCreate('remote-a', weekly({ uid: 'a-series' }, [instance('2026-03-09', { uid: 'a-series', summary: 'moved' })]));
  for (let i = 0; i < 7; i++) b.connector.userCreate('remote-b', single({ uid: `b-${i}`, summary: `b ${i}` }));
  await converge(world, [a, b]);

  const calendar = await world.calendarSeries();
  assert.equal(calendar.length, 9);
  for (const side of [a, b]) {
    const items = side.connector.liveItems(side.remoteCalendarId);
    assert.equal(items.length, 9, 'every remote holds every event once');
    assert.deepEqual(new Set(items.map((i) => i.series.uid)), new Set(calendar.map((s) => s.series.uid)));
    for (const item of items) {
      const event = calendar.find((s) => s.series.uid === item.series.uid)!;
      assert.equal(hashOf(item.series), hashOf(event.series), item.series.uid);
    }
  }

  // Edits on each side and a delete.
  await world.appWrite(fromApp, single({ uid: 'app-1', summary: 'edited in the app' }));
  const aItem = a.connector.liveItems('remote-a').find((i) => i.remoteId === fromA)!;
  a.connector.userUpdate('remote-a', fromA, { ...aItem.series, master: { ...aItem.series.master!, location: 'Room 4' } });
  const bVictim = b.connector.liveItems('remote-b').find((i) => i.series.uid === 'b-3')!;
  b.connector.userDelete('remote-b', bVictim.remoteId);
  await converge(world, [a, b]);

  const after = await world.calendarSeries();
  assert.equal(after.length, 8);
  assert.equal(after.find((s) => s.series.uid === 'app-1')!.series.master!.summary, 'edited in the app');
  assert.equal(after.find((s) => s.series.uid === 'a-series')!.series.master!.location, 'Room 4');
  for (const side of [a, b]) {
    const items = side.connector.liveItems(side.remoteCalendarId);
    assert.equal(items.length, 8);
    assert.equal(items.find((i) => i.series.uid === 'app-1')!.series.master!.summary, 'edited in the app');
    assert.equal(items.find((i) => i.series.uid === 'a-series')!.series.master!.location, 'Room 4');
    assert.equal(items.some((i) => i.series.uid === 'b-3'), false);
  }

  const quiet = await world.pass(a);
  assert.equal(quiet.stats.calendarWrites + quiet.stats.remoteWrites, 0);
  const { rows } = await t.db.query(`select count(*)::int as n from sync_operations where operation = 'create' and side = 'calendar'`);
  assert.equal(rows[0].n, 8, 'each remote-born event was created in the calendar once');
});

test('an expired cursor leads to a comparing resync that writes nothing when nothing changed', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('expiring');
  for (let i = 0; i < 5; i++) a.connector.userCreate('expiring', single({ uid: `e-${i}` }));
  await converge(world, [a]);
  a.connector.expireCursors('expiring');
  const resync = await world.pass(a);
  assert.equal(resync.outcome, 'ok');
  assert.equal(resync.stats.pulled, 5);
  assert.equal(resync.stats.calendarWrites + resync.stats.remoteWrites, 0);
  assert.equal((await world.calendarSeries()).length, 5);
});

test('a remote that suddenly lists nothing does not wipe the calendar; the pass stops and asks', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('wiped');
  const ids = Array.from({ length: 8 }, (_, i) => a.connector.userCreate('wiped', single({ uid: `w-${i}` })));
  await converge(world, [a]);
  for (const id of ids) a.connector.userDelete('wiped', id);
  a.connector.expireCursors('wiped');
  const stopped = await world.pass(a);
  assert.equal(stopped.outcome, 'stopped');
  assert.equal(stopped.stop?.kind, 'wipe');
  assert.equal((await world.calendarSeries()).length, 8, 'nothing was deleted');
  const confirmed = await world.pass(a, { confirmWipe: true, confirmDeletions: true });
  assert.equal(confirmed.outcome, 'ok');
  assert.equal((await world.calendarSeries()).length, 0);
});

test('changes that delete every item a remote had are a wipe too (a feed that suddenly serves an empty calendar); the stop is kept on the binding', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('emptied');
  const ids = Array.from({ length: 8 }, (_, i) => a.connector.userCreate('emptied', single({ uid: `f-${i}` })));
  await converge(world, [a]);
  for (const id of ids) a.connector.userDelete('emptied', id);
  const stopped = await world.pass(a);
  assert.equal(stopped.outcome, 'stopped');
  assert.deepEqual([stopped.stop?.kind, stopped.stop?.kind === 'wipe' && stopped.stop.side], ['wipe', 'remote']);
  assert.equal((await world.calendarSeries()).length, 8);
  const { rows: [binding] } = await t.db.query('select stopped from bindings where id = $1', [a.id]);
  assert.equal(binding.stopped.kind, 'wipe');
  assert.equal(binding.stopped.passId, stopped.passId);
  const confirmed = await world.pass(a, { confirmWipe: true });
  assert.equal(confirmed.outcome, 'ok');
  assert.equal((await world.calendarSeries()).length, 0);
  const { rows: [after] } = await t.db.query('select stopped from bindings where id = $1', [a.id]);
  assert.equal(after.stopped, null, 'a pass that was not stopped clears it');
});

test('the wipe brake counts only items both sides agreed on: creates whose answers never came are sent again, not braked', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('pending');
  for (let i = 0; i < 8; i++) await world.appWrite(null, single({ uid: `p-${i}` }));
  Object.assign(a.connector.faults, { failWrites: 8, failAfterApply: false });
  const failed = await world.pass(a);
  assert.equal(failed.stats.failed, 8);
  a.connector.expireCursors('pending');
  const again = await world.pass(a);
  assert.equal(again.outcome, 'ok', JSON.stringify(again.stop));
  assert.equal(a.connector.liveItems('pending').length, 8);
});

test('deleting more than the budget in one pass is held for confirmation; the cursor stays so nothing is lost', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('budget');
  const ids = Array.from({ length: 40 }, (_, i) => a.connector.userCreate('budget', single({ uid: `d-${i}` })));
  await converge(world, [a]);
  for (const id of ids.slice(0, 20)) a.connector.userDelete('budget', id);
  const held = await world.pass(a);
  assert.equal(held.outcome, 'stopped');
  assert.equal(held.stop?.kind, 'deletion-budget');
  assert.equal((await world.calendarSeries()).length, 40);
  const again = await world.pass(a);
  assert.equal(again.outcome, 'stopped', 'the same deletions are seen again: the cursor was not advanced');
  const confirmed = await world.pass(a, { confirmDeletions: true });
  assert.equal(confirmed.outcome, 'ok');
  assert.equal((await world.calendarSeries()).length, 20);
});

test('a second pass of the same binding while one runs is refused (lease)', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('leased');
  for (let i = 0; i < 30; i++) a.connector.userCreate('leased', single({ uid: `l-${i}` }));
  // The first pass waits inside its listing, holding the lease, until released.
  let release: () => void = () => undefined;
  let entered: () => void = () => undefined;
  const inside = new Promise<void>((resolve) => { entered = resolve; });
  const list = a.connector.listChanges.bind(a.connector);
  a.connector.listChanges = async (...args) => {
    entered();
    await new Promise<void>((resolve) => { release = resolve; });
    return list(...args);
  };
  const first = world.pass(a);
  await inside;
  assert.equal((await world.pass(a)).outcome, 'busy');
  a.connector.listChanges = list;
  release();
  assert.equal((await first).outcome, 'ok');
  assert.equal((await world.calendarSeries()).length, 30);
});

test('a failed remote write is retried by the next pass and nothing is lost', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('flaky');
  const id = await world.appWrite(null, single({ uid: 'retry-me' }));
  a.connector.faults.failWrites = 1;
  const first = await world.pass(a);
  assert.equal(first.outcome, 'partial');
  assert.equal(a.connector.liveItems('flaky').length, 0);
  const second = await world.pass(a);
  assert.equal(second.outcome, 'ok');
  assert.deepEqual(a.connector.liveItems('flaky').map((i) => i.calsyncId), [id]);
});

test('passes of two bindings running at once never overwrite each other\'s calendar changes', async () => {
  // Small slices interleave the two passes' reads and writes many times.
  const world = await engineWorld(t, { sliceSize: 2 });
  const a = await world.bind('race-a');
  const b = await world.bind('race-b');
  for (let i = 0; i < 30; i++) await world.appWrite(null, single({ uid: `race-${i}`, summary: `event ${i}` }));
  await converge(world, [a, b]);
  // Every event edited on both remotes, in different fields, then both passes at once.
  for (const item of a.connector.liveItems('race-a')) {
    a.connector.userUpdate('race-a', item.remoteId, { ...item.series, master: { ...item.series.master!, location: 'Room A' } });
  }
  for (const item of b.connector.liveItems('race-b')) {
    b.connector.userUpdate('race-b', item.remoteId, { ...item.series, master: { ...item.series.master!, summary: `${item.series.master!.summary} (B)` } });
  }
  const results = await Promise.all([world.pass(a), world.pass(b)]);
  for (const r of results) assert.ok(['ok', 'partial'].includes(r.outcome), JSON.stringify(r.error));
  await converge(world, [a, b]);
  for (const stored of await world.calendarSeries()) {
    assert.equal(stored.series.master!.location, 'Room A', stored.series.uid);
    assert.match(stored.series.master!.summary, /\(B\)$/, stored.series.uid);
  }
  for (const side of [a, b]) {
    for (const item of side.connector.liveItems(side.remoteCalendarId)) {
      assert.equal(item.series.master!.location, 'Room A');
      assert.match(item.series.master!.summary, /\(B\)$/);
    }
  }
});

test('remote writes run a few at a time; an error that ends the pass keeps what was answered', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('parallel');
  for (let i = 0; i < 12; i++) await world.appWrite(null, single({ uid: `par-${i}` }));
  // The memory connector answers at once; a delay shows how many creates are in flight.
  let inFlight = 0;
  let most = 0;
  let calls = 0;
  const create = a.connector.create.bind(a.connector);
  a.connector.create = async (...args) => {
    const call = ++calls;
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    try {
      if (call === 6) throw new ConnectorError('auth-revoked', 'password changed');
      return await create(...args);
    } finally {
      inFlight--;
    }
  };
  const first = await world.pass(a);
  assert.equal(first.outcome, 'failed');
  assert.equal(most, 4, 'four creates in flight (the default)');
  const created = a.connector.liveItems('parallel');
  // After the 6th call failed no further call started; every other call created its item.
  assert.ok(calls < 12, `${calls} calls`);
  assert.equal(created.length, calls - 1);
  const { rows } = await t.db.query<{ remote_id: string; pending: boolean }>('select remote_id, pending from sync_status where binding_id = $1', [a.id]);
  const stored = new Set(rows.filter((r) => !r.pending).map((r) => r.remote_id));
  assert.deepEqual([...stored].sort(), created.map((i) => i.remoteId).sort(), 'every answered create has its status');
  assert.equal(rows.filter((r) => r.pending).length, 12 - created.length, 'the others stay pending');

  a.connector.create = create;
  await t.db.query(`update accounts set state = 'active' where tenant_id = $1`, [world.tenantId]);
  await t.db.query(`update bindings set state = 'active', paused_reason = null where id = $1`, [a.id]);
  await converge(world, [a]);
  assert.equal(a.connector.liveItems('parallel').length, 12, 'no duplicates after the retry');
});

test('an older version of an item delivered in a later pass does not take the calendar back', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('replayed');
  const created = a.connector.userCreate('replayed', single({ uid: 'replay-me', summary: 'v1' }));
  await converge(world, [a]);
  const current = a.connector.liveItems('replayed')[0]!;
  a.connector.userUpdate('replayed', created, { ...current.series, master: { ...current.series.master!, summary: 'v2' } });
  await converge(world, [a]);
  assert.equal((await world.calendarSeries())[0]!.series.master!.summary, 'v2');
  // Every later listing also carries an older version of a changed item (a lagging replica).
  a.connector.faults.staleReplay = 1;
  a.connector.userUpdate('replayed', created, { ...current.series, master: { ...current.series.master!, summary: 'v3', location: 'Room 2' } });
  await world.pass(a);
  await world.pass(a);
  const stored = (await world.calendarSeries())[0]!.series.master!;
  assert.equal(stored.summary, 'v3');
  assert.equal(stored.location, 'Room 2');
  const { rows: [status] } = await t.db.query<{ remote_updated_at: Date | null }>('select remote_updated_at from sync_status where binding_id = $1', [a.id]);
  assert.ok(status!.remote_updated_at, 'the newest modification time seen is kept');
});

test('a write that failed keeps the version it was sent against, so an older replay after it is stale and the retry lands', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('lagging');
  const created = a.connector.userCreate('lagging', single({ uid: 'lag-me', summary: 'first' }));
  await converge(world, [a]);
  const { eventId, series } = (await world.calendarSeries())[0]!;
  // Another client rewrites the item unchanged (a newer version, same content) while the
  // app edits the event; calsync's update against that newer version fails.
  a.connector.userUpdate('lagging', created, a.connector.liveItems('lagging')[0]!.series);
  await world.appWrite(eventId, { ...series, master: { ...series.master!, summary: 'edited in the app' } });
  a.connector.faults.failWrites = 1;
  assert.equal((await world.pass(a)).outcome, 'partial');
  // From now on every listing ends with the first version again (a lagging replica).
  a.connector.faults.staleReplay = 1;
  const retry = await world.pass(a);
  assert.equal(retry.outcome, 'ok', JSON.stringify(retry.error));
  assert.equal(retry.stats.failed, 0, 'the retry is not refused by If-Match');
  assert.equal(a.connector.liveItems('lagging')[0]!.series.master!.summary, 'edited in the app');
  const quiet = await world.pass(a);
  assert.equal(quiet.stats.calendarWrites + quiet.stats.remoteWrites + quiet.stats.failed, 0);
  assert.equal((await world.calendarSeries())[0]!.series.master!.summary, 'edited in the app');
});

test('a write refused by If-Match is read again and merged in the same pass; without read the merge waits for the next pass', async () => {
  for (const canRead of [true, false]) {
    const world = await engineWorld(t);
    const name = canRead ? 'reread' : 'no-read';
    const connector = new MemoryConnector();
    // A connector that cannot read one item: the optional method is left out.
    if (!canRead) Object.assign(connector, { read: undefined });
    const a = await world.bind(name, {}, connector);
    const remoteId = a.connector.userCreate(name, single({ uid: `race-${name}`, summary: 'Review' }));
    await world.pass(a);
    const { eventId, series } = (await world.calendarSeries())[0]!;
    await world.appWrite(eventId, { ...series, master: { ...series.master!, summary: 'Review (moved)' } });
    // Another client edits another field just before calsync's write lands.
    a.connector.beforeConditionalWrite = (calendar, id) => {
      const current = a.connector.liveItems(calendar).find((i) => i.remoteId === id)!;
      a.connector.userUpdate(calendar, id, { ...current.series, master: { ...current.series.master!, location: 'Room 9' } });
    };
    const first = await world.pass(a);
    const both = (s: { master: { summary: string; location: string } | null } | undefined) => [s?.master?.summary, s?.master?.location];
    if (canRead) {
      assert.equal(first.outcome, 'ok', 'the refusal was merged and written in the same pass');
      assert.equal(first.stats.failed, 0);
    } else {
      assert.equal(first.outcome, 'partial');
      assert.equal((await world.pass(a)).outcome, 'ok', 'the next pass lists the edit and merges it');
    }
    assert.deepEqual(both(a.connector.liveItems(name).find((i) => i.remoteId === remoteId)?.series), ['Review (moved)', 'Room 9']);
    assert.deepEqual(both((await world.calendarSeries())[0]!.series), ['Review (moved)', 'Room 9']);
    const quiet = await world.pass(a);
    assert.equal(quiet.stats.calendarWrites + quiet.stats.remoteWrites + quiet.stats.failed, 0);
  }
});

test('an edit no listing shows does not leave a write refused forever: the refused item is read and merged', async () => {
  const world = await engineWorld(t);
  const inner = new MemoryConnector();
  const a = await world.bind('unlisted', {}, inner);
  // A provider whose change listings leave out one item's changes (a lagging index).
  const hidden = new Set<string>();
  const lagging = {
    capabilities: inner.capabilities,
    listChanges: async (calendar: string, cursor: string | null, pageToken?: string) => {
      const page = await inner.listChanges(calendar, cursor, pageToken);
      return cursor === null ? page : { ...page, items: page.items.filter((i) => !hidden.has(i.remoteId)) };
    },
    create: inner.create.bind(inner), update: inner.update.bind(inner), delete: inner.delete.bind(inner), read: inner.read.bind(inner),
  };
  world.connectors.set(a.id, lagging as unknown as MemoryConnector);
  const remoteId = inner.userCreate('unlisted', single({ uid: 'unlisted', summary: 'Retro' }));
  await world.pass(a);
  hidden.add(remoteId);
  const current = inner.liveItems('unlisted')[0]!;
  inner.userUpdate('unlisted', remoteId, { ...current.series, master: { ...current.series.master!, location: 'Room 4' } });
  const { eventId, series } = (await world.calendarSeries())[0]!;
  await world.appWrite(eventId, { ...series, master: { ...series.master!, summary: 'Retro (Friday)' } });
  const pass = await world.pass(a);
  assert.equal(pass.outcome, 'ok', JSON.stringify(pass.stats));
  const master = inner.liveItems('unlisted')[0]!.series.master!;
  assert.deepEqual([master.summary, master.location], ['Retro (Friday)', 'Room 4']);
  assert.equal((await world.calendarSeries())[0]!.series.master!.location, 'Room 4');
  // Without read, every pass would send the same stale etag and be refused again.
  Object.assign(lagging, { read: undefined });
  const latest = inner.liveItems('unlisted')[0]!;
  inner.userUpdate('unlisted', remoteId, { ...latest.series, master: { ...latest.series.master!, description: 'Bring sticky notes' } });
  const stored = (await world.calendarSeries())[0]!;
  await world.appWrite(stored.eventId, { ...stored.series, master: { ...stored.series.master!, summary: 'Retro (Monday)' } });
  for (let i = 0; i < 3; i++) assert.equal((await world.pass(a)).outcome, 'partial', 'refused again: nothing shows the newer version');
});

test('a write whose answer was lost is recognised when it comes back: a later edit is pushed, not asked as a conflict', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('lost-answer', { conflictPolicy: { mode: 'manual' } });
  const eventId = await world.appWrite(null, single({ uid: 'lost-1', summary: 'A' }));
  await converge(world, [a]);
  await world.appWrite(eventId, single({ uid: 'lost-1', summary: 'B' }));
  // The update to B reaches the provider, but its answer is lost.
  Object.assign(a.connector.faults, { failWrites: 1, failAfterApply: true });
  const lost = await world.pass(a);
  assert.equal(lost.stats.failed, 1);
  assert.equal(a.connector.liveItems('lost-answer')[0]!.series.master!.summary, 'B');
  await world.appWrite(eventId, single({ uid: 'lost-1', summary: 'C' }));
  await converge(world, [a]);
  const { rows } = await t.db.query('select count(*)::int as n from conflicts where binding_id = $1', [a.id]);
  assert.equal(rows[0].n, 0, 'B was our own write: only the calendar changed since, so nothing is asked');
  assert.equal(a.connector.liveItems('lost-answer')[0]!.series.master!.summary, 'C');
  assert.equal((await world.calendarSeries())[0]!.series.master!.summary, 'C');
});

test('an unreadable item is quarantined with its reason while its neighbours sync; it keeps its calendar copy and syncs once fixed', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('unreadable');
  const ids = ['u-0', 'u-1', 'u-2'].map((uid) => a.connector.userCreate('unreadable', single({ uid, summary: uid })));
  a.connector.corrupt('unreadable', ids[0]!, 'DTSTART:garbage is not a date');
  const first = await world.pass(a);
  assert.equal(first.outcome, 'ok');
  assert.equal(first.stats.quarantined, 1);
  assert.deepEqual((await world.calendarSeries()).map((s) => s.series.uid).sort(), ['u-1', 'u-2'], 'the neighbours synced');
  const quarantined = await listQuarantined(t.db, world.tenantId, { bindingId: a.id });
  assert.deepEqual(quarantined.map((q) => [q.remoteId, q.reason]), [[ids[0], 'DTSTART:garbage is not a date']]);
  assert.match(quarantined[0]!.raw ?? '', /BEGIN:VCALENDAR/);
  assert.notEqual((await getBinding(t.db, world.tenantId, a.id)).cursor, null, 'the cursor moved past it');

  // A bound item that turns unreadable keeps its calendar copy, also through a full listing.
  a.connector.corrupt('unreadable', ids[1]!);
  a.connector.expireCursors('unreadable');
  const full = await world.pass(a);
  assert.equal(full.outcome, 'ok');
  assert.deepEqual((await world.calendarSeries()).map((s) => s.series.uid).sort(), ['u-1', 'u-2'], 'an unreadable item is not a deleted one');
  assert.equal((await listQuarantined(t.db, world.tenantId, { bindingId: a.id })).length, 2);

  // Fixed by a person: it syncs and leaves the quarantine.
  a.connector.userUpdate('unreadable', ids[0]!, single({ uid: 'u-0', summary: 'fixed' }));
  a.connector.userUpdate('unreadable', ids[1]!, single({ uid: 'u-1', summary: 'fixed too' }));
  await converge(world, [a]);
  const summaries = new Map((await world.calendarSeries()).map((s) => [s.series.uid, s.series.master!.summary]));
  assert.deepEqual(Object.fromEntries(summaries), { 'u-0': 'fixed', 'u-1': 'fixed too', 'u-2': 'u-2' });
  assert.deepEqual(await listQuarantined(t.db, world.tenantId, { bindingId: a.id }), []);
});

test('an operator\'s retry of a quarantined item reads it again in the next pass', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('retry');
  const id = a.connector.userCreate('retry', single({ uid: 'r-0' }));
  a.connector.corrupt('retry', id);
  await world.pass(a);
  const retry = () => t.db.query('update quarantined_items set retry_requested_at = now() where binding_id = $1', [a.id]);
  await retry();
  await world.pass(a);
  const [still] = await listQuarantined(t.db, world.tenantId, { bindingId: a.id });
  assert.equal(still?.retryRequestedAt, null, 'read again, still unreadable: the retry is spent');
  // Readable now without a change the listing would show (a reader was fixed): the retry takes it in.
  a.connector.readableAgain('retry', id);
  await retry();
  await world.pass(a);
  assert.deepEqual((await world.calendarSeries()).map((s) => s.series.uid), ['r-0']);
  assert.deepEqual(await listQuarantined(t.db, world.tenantId, { bindingId: a.id }), []);
});

test('an edit that restores a deleted event merges onto its last content: what another binding brought in before the delete stays', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('restore-a');
  const b = await world.bind('restore-b');
  const eventId = await world.appWrite(null, single({ uid: 'restore-1', summary: 'Review', location: '' }));
  await converge(world, [a, b]);
  const itemOf = (side: typeof a) => side.connector.liveItems(side.remoteCalendarId).find((i) => i.series.uid === 'restore-1')!;
  const inB = itemOf(b);
  b.connector.userUpdate('restore-b', inB.remoteId, { ...inB.series, master: { ...inB.series.master!, location: 'Room 7' } });
  await world.pass(b);
  await world.appDelete(eventId);
  const inA = itemOf(a);
  a.connector.userUpdate('restore-a', inA.remoteId, { ...inA.series, master: { ...inA.series.master!, summary: 'Review (moved)' } });
  await world.pass(a);
  const [restored] = await world.calendarSeries();
  assert.equal(restored?.series.master?.summary, 'Review (moved)', 'the edit won against the delete');
  assert.equal(restored?.series.master?.location, 'Room 7', 'b\'s earlier change was not reverted by the restore');
  await converge(world, [a, b]);
  for (const side of [a, b]) assert.equal(itemOf(side).series.master!.location, 'Room 7');
});

test('a delete refused by If-Match is read again and carried out in the same pass', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('refused-delete');
  const eventId = await world.appWrite(null, single({ uid: 'rd-1' }));
  await world.appWrite(null, single({ uid: 'rd-2' }));
  await converge(world, [a]);
  await world.appDelete(eventId);
  // The server rewrites the item's etag (a reindex) between the pass's listing and its delete.
  a.connector.beforeConditionalWrite = (cal, remoteId) => a.connector.touch(cal, remoteId);
  const pass = await world.pass(a);
  assert.equal(pass.outcome, 'ok', JSON.stringify(pass.stats));
  assert.deepEqual(a.connector.liveItems('refused-delete').map((i) => i.series.uid), ['rd-2']);
});

test('two calendars mirroring busy time into each other\'s remotes never loop: a busy copy has a UID of its own and is never imported', async () => {
  const x = await engineWorld(t);
  const y = await engineWorld(t);
  const xRemote = new MemoryConnector();
  const yRemote = new MemoryConnector();
  const xFull = await x.bind('x-remote', {}, xRemote);
  const xBusyIntoY = await x.bind('y-remote', { direction: 'export', projection: { mode: 'busy-only' } }, yRemote);
  const yFull = await y.bind('y-remote', {}, yRemote);
  const yBusyIntoX = await y.bind('x-remote', { direction: 'export', projection: { mode: 'busy-only' } }, xRemote);
  await x.appWrite(null, single({ uid: 'dentist@x', summary: 'Dentist' }));
  for (let round = 0; round < 4; round++) {
    for (const [world, binding] of [[x, xFull], [x, xBusyIntoY], [y, yFull], [y, yBusyIntoX]] as const) {
      const pass = await world.pass(binding);
      assert.equal(pass.outcome, 'ok', JSON.stringify(pass.error ?? pass.stop));
    }
  }
  assert.deepEqual((await x.calendarSeries()).map((s) => s.series.master!.summary), ['Dentist']);
  assert.deepEqual((await y.calendarSeries()).map((s) => s.series.master!.summary), [], 'the busy block stays a mirror');
  const blocks = yRemote.liveItems('y-remote');
  assert.equal(blocks.length, 1);
  assert.equal(blocks[0]!.series.master!.summary, 'Busy');
  assert.notEqual(blocks[0]!.series.uid, 'dentist@x', 'the copy does not carry the meeting\'s UID');
  assert.deepEqual(xRemote.liveItems('x-remote').map((i) => i.series.uid), ['dentist@x']);
});

test('a busy mirror\'s block met at a remote is never imported as a new event, whichever binding meets it', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('met-block');
  const uid = mirrorBlockUid('4f1c2a1e-0000-4000-8000-000000000001', '4f1c2a1e-0000-4000-8000-000000000002');
  a.connector.userCreate('met-block', single({ uid, summary: 'Busy' }));
  a.connector.userCreate('met-block', single({ uid: 'real@x', summary: 'Real' }));
  await converge(world, [a]);
  assert.deepEqual((await world.calendarSeries()).map((s) => s.series.uid), ['real@x']);
});

test('outside a binding\'s sync window an item is absent: its removal deletes nothing, and the calendar sends nothing there', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('windowed', { syncWindow: { start: '2026-03-01', end: '2026-03-31' } });
  const at = (uid: string, day: string) => single({ uid, start: { local: `${day}T10:00:00`, tz: 'Europe/Berlin' }, end: { local: `${day}T11:00:00`, tz: 'Europe/Berlin' } });
  await world.appWrite(null, at('inside', '2026-03-10'));
  await world.appWrite(null, at('outside', '2026-05-04'));
  await converge(world, [a]);
  assert.deepEqual(a.connector.liveItems('windowed').map((i) => i.series.uid), ['inside'], 'nothing is sent outside the window');

  // Items the remote lists outside the window are not taken in, and their removal (a
  // windowed listing reports an item that left its window as removed) deletes nothing.
  const far = a.connector.userCreate('windowed', at('far-away', '2026-07-01'));
  await converge(world, [a]);
  assert.deepEqual((await world.calendarSeries()).map((s) => s.series.uid).sort(), ['inside', 'outside']);
  // The calendar's event moves out of the window; the remote then reports it removed.
  const inside = (await world.calendarSeries()).find((s) => s.series.uid === 'inside')!;
  await world.appWrite(inside.eventId, at('inside', '2026-06-15'));
  await converge(world, [a]);
  const moved = a.connector.liveItems('windowed').find((i) => i.series.uid === 'inside')!;
  a.connector.userDelete('windowed', moved.remoteId);
  a.connector.userDelete('windowed', far);
  await converge(world, [a]);
  assert.deepEqual((await world.calendarSeries()).map((s) => s.series.uid).sort(), ['inside', 'outside'], 'absent, not deleted');
});

test('a series whose override was removed in the calendar takes a remote change: the removal is part of the series\' version, not a change made meanwhile', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('removed-override');
  const eventId = await world.appWrite(null, weekly({ uid: 'ro-1' }, [instance('2026-03-09', { uid: 'ro-1', summary: 'moved' })]));
  await world.appWrite(eventId, weekly({ uid: 'ro-1' }));
  await converge(world, [a]);
  const item = a.connector.liveItems('removed-override')[0]!;
  a.connector.userUpdate('removed-override', item.remoteId, weekly({ uid: 'ro-1' }, [instance('2026-03-16', { uid: 'ro-1', summary: 'from the remote' })]));
  const pass = await world.pass(a);
  assert.equal(pass.outcome, 'ok', JSON.stringify(pass.error));
  assert.deepEqual((await world.calendarSeries())[0]!.series.overrides.map((o) => o.summary), ['from the remote']);
});

test('a create that landed only in part before its answer was lost is completed from the calendar, not adopted as agreed', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('half-written');
  const series = weekly({ uid: 'hw-1' }, [instance('2026-03-09', { uid: 'hw-1', summary: 'moved' }), instance('2026-03-16', { uid: 'hw-1', status: 'cancelled' })]);
  await world.appWrite(null, series);
  a.connector.faults.halfCreates = 1;
  const cut = await world.pass(a);
  assert.equal(cut.stats.failed, 1);
  assert.equal(a.connector.liveItems('half-written')[0]!.series.overrides.length, 0, 'only the master landed');
  await converge(world, [a]);
  assert.equal(hashOf(a.connector.liveItems('half-written')[0]!.series), hashOf(series), 'the remote holds the whole series');
  assert.equal(hashOf((await world.calendarSeries())[0]!.series), hashOf(series), 'nothing the create left out was deleted from the calendar');
});

test('a quarantined item that is gone from a complete listing leaves the quarantine', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('gone-unreadable');
  const id = a.connector.userCreate('gone-unreadable', single({ uid: 'gu-1' }));
  a.connector.corrupt('gone-unreadable', id);
  await world.pass(a);
  assert.equal((await listQuarantined(t.db, world.tenantId, { bindingId: a.id })).length, 1);
  a.connector.userDelete('gone-unreadable', id);
  a.connector.expireCursors('gone-unreadable');
  await world.pass(a);
  assert.deepEqual(await listQuarantined(t.db, world.tenantId, { bindingId: a.id }), []);
});

test('an older readable version of an item quarantined as unreadable (a lagging replica) does not lift the quarantine', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('lagging', {}, new MemoryConnector({ faults: { staleReplay: 1 } }));
  const id = a.connector.userCreate('lagging', single({ uid: 'lag-1', summary: 'first' }));
  a.connector.corrupt('lagging', id);
  await world.pass(a);
  assert.equal((await listQuarantined(t.db, world.tenantId, { bindingId: a.id })).length, 1, 'still quarantined after the replay of the readable version');
  assert.deepEqual(await world.calendarSeries(), [], 'the older version was not taken in');
});

test('an edit made to an item whose create answer was lost is the remote\'s change, not overwritten when the create is adopted', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('edited-after-lost-create');
  await world.appWrite(null, single({ uid: 'elc-1', summary: 'Made by the app' }));
  Object.assign(a.connector.faults, { failWrites: 1, failAfterApply: true });
  await world.pass(a);
  const item = a.connector.liveItems('edited-after-lost-create')[0]!;
  a.connector.userUpdate('edited-after-lost-create', item.remoteId, { ...item.series, master: { ...item.series.master!, summary: 'Renamed there' } });
  await converge(world, [a]);
  assert.equal((await world.calendarSeries())[0]!.series.master!.summary, 'Renamed there');
  assert.equal(a.connector.liveItems('edited-after-lost-create')[0]!.series.master!.summary, 'Renamed there');
});

test('where listings are snapshot differences (Xandikos), the deletion of an item this pass created is still seen: the cursor stored is taken after the creates', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('snapshots', {}, new MemoryConnector({ snapshotDiffs: true }));
  await world.appWrite(null, single({ uid: 'sd-keep' }));
  await converge(world, [a]);
  await world.appWrite(null, single({ uid: 'sd-1' }));
  await world.pass(a);
  const made = a.connector.liveItems('snapshots').find((i) => i.series.uid === 'sd-1')!;
  a.connector.userDelete('snapshots', made.remoteId);
  await converge(world, [a]);
  assert.deepEqual((await world.calendarSeries()).map((s) => s.series.uid), ['sd-keep'], 'the deletion reached the calendar');
});

test('where listings are snapshot differences, the deletion of an item whose create answer was lost is seen too', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('lost-then-deleted', {}, new MemoryConnector({ snapshotDiffs: true }));
  await world.appWrite(null, single({ uid: 'ltd-keep' }));
  await converge(world, [a]);
  await world.appWrite(null, single({ uid: 'ltd-1' }));
  Object.assign(a.connector.faults, { failWrites: 1, failAfterApply: true });
  await world.pass(a);
  const made = a.connector.liveItems('lost-then-deleted').find((i) => i.series.uid === 'ltd-1')!;
  a.connector.userDelete('lost-then-deleted', made.remoteId);
  await converge(world, [a]);
  assert.deepEqual((await world.calendarSeries()).map((s) => s.series.uid), ['ltd-keep'], 'the deletion reached the calendar, and the create was not sent again');
  assert.deepEqual(a.connector.liveItems('lost-then-deleted').map((i) => i.series.uid), ['ltd-keep']);
});

test('where listings are snapshot differences, a pass after one that did not finish compares a complete listing', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('unfinished', {}, new MemoryConnector({ snapshotDiffs: true }));
  a.connector.userCreate('unfinished', single({ uid: 'uf-keep' }));
  await converge(world, [a]);
  const { rows: [before] } = await t.db.query<{ cursor: string }>('select cursor from bindings where id = $1', [a.id]);
  const id = a.connector.userCreate('unfinished', single({ uid: 'uf-1' }));
  await world.pass(a);
  // The pass took the item in, then its process died before it stored its cursor.
  await t.db.query(`update bindings set cursor = $2, last_pass_finished_at = null where id = $1`, [a.id, before!.cursor]);
  a.connector.userDelete('unfinished', id);
  await converge(world, [a]);
  assert.deepEqual((await world.calendarSeries()).map((s) => s.series.uid), ['uf-keep']);
});

test('a merge whose remote half did not land (a failed write, or a pass that died) never pushes the calendar\'s side of an asked field over the remote\'s', async () => {
  for (const how of ['failed write', 'died'] as const) {
    const world = await engineWorld(t);
    const a = await world.bind(`asked-${how}`, { conflictPolicy: { mode: 'manual' } });
    const eventId = await world.appWrite(null, single({ uid: `asked-${how}`, summary: 'Plan', description: 'v1' }));
    await converge(world, [a]);
    // Both sides change the summary (asked of a person); only the calendar the description.
    await world.appWrite(eventId, single({ uid: `asked-${how}`, summary: 'Plan (calendar)', description: 'v2' }));
    const item = a.connector.liveItems(a.remoteCalendarId)[0]!;
    a.connector.userUpdate(a.remoteCalendarId, item.remoteId, { ...item.series, master: { ...item.series.master!, summary: 'Plan (remote)', location: 'Room 1' } });
    const update = a.connector.update.bind(a.connector);
    if (how === 'failed write') a.connector.faults.failWrites = 1;
    else a.connector.update = async () => { throw new Error('the worker was killed'); };
    await world.pass(a).catch((error: Error) => assert.match(error.message, /killed/));
    a.connector.update = update;
    // The calendar took Room 1 from the remote: the remote's next edit of it is its own, not a conflict.
    const edited = a.connector.liveItems(a.remoteCalendarId)[0]!;
    a.connector.userUpdate(a.remoteCalendarId, edited.remoteId, { ...edited.series, master: { ...edited.series.master!, location: 'Room 2' } });
    await converge(world, [a]);
    const remote = a.connector.liveItems(a.remoteCalendarId)[0]!.series.master!;
    assert.deepEqual([remote.summary, remote.description, remote.location], ['Plan (remote)', 'v2', 'Room 2'], `${how}: the remote keeps its summary and takes the description`);
    const calendar = (await world.calendarSeries()).find((s) => s.series.uid === `asked-${how}`)!.series.master!;
    assert.deepEqual([calendar.summary, calendar.description, calendar.location], ['Plan (calendar)', 'v2', 'Room 2']);
    const { rows } = await t.db.query(`select fields from conflicts where binding_id = $1 and state = 'open'`, [a.id]);
    assert.deepEqual(rows.map((r) => r.fields), [['summary']], `${how}: the summary is still asked about`);
  }
});

test('a field sent to a person stays the remote\'s when the calendar later changes another field, whether the merge wrote to the remote or not', async () => {
  for (const how of ['nothing to write', 'remote written'] as const) {
    const uid = `asked-later-${how.replace(/ /g, '-')}`;
    const world = await engineWorld(t);
    const a = await world.bind(uid, { conflictPolicy: { mode: 'manual' } });
    const eventId = await world.appWrite(null, single({ uid, summary: 'Plan', description: 'v1' }));
    await converge(world, [a]);
    // Both sides change the summary (asked of a person); with 'remote written' the calendar
    // also changes the description, which the merge writes to the remote.
    await world.appWrite(eventId, single({ uid, summary: 'Plan (calendar)', description: how === 'remote written' ? 'v2' : 'v1' }));
    const item = a.connector.liveItems(a.remoteCalendarId)[0]!;
    a.connector.userUpdate(a.remoteCalendarId, item.remoteId, { ...item.series, master: { ...item.series.master!, summary: 'Plan (remote)' } });
    await converge(world, [a]);
    // Later the calendar changes another field; the remote lists nothing new.
    await world.appWrite(eventId, single({ uid, summary: 'Plan (calendar)', description: 'v3' }));
    await converge(world, [a]);
    const remote = a.connector.liveItems(a.remoteCalendarId)[0]!.series.master!;
    assert.deepEqual([remote.summary, remote.description], ['Plan (remote)', 'v3'], `${how}: the remote keeps its summary and takes the description`);
    const calendar = (await world.calendarSeries()).find((s) => s.series.uid === uid)!.series.master!;
    assert.deepEqual([calendar.summary, calendar.description], ['Plan (calendar)', 'v3']);
    const { rows } = await t.db.query(`select fields from conflicts where binding_id = $1 and state = 'open'`, [a.id]);
    assert.deepEqual(rows.map((r) => r.fields), [['summary']], `${how}: the summary is still asked about`);
  }
});

test('the calendar deleting an event while a field of it is asked of a person deletes the remote copy: the remote\'s asked value is no new edit', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('asked-then-deleted', { conflictPolicy: { mode: 'manual' } });
  const eventId = await world.appWrite(null, single({ uid: 'asked-then-deleted', summary: 'Plan' }));
  await converge(world, [a]);
  await world.appWrite(eventId, single({ uid: 'asked-then-deleted', summary: 'Plan (calendar)' }));
  const item = a.connector.liveItems(a.remoteCalendarId)[0]!;
  a.connector.userUpdate(a.remoteCalendarId, item.remoteId, { ...item.series, master: { ...item.series.master!, summary: 'Plan (remote)' } });
  await converge(world, [a]);
  const { rows: asked } = await t.db.query(`select asked is not null as asked from sync_status where binding_id = $1`, [a.id]);
  assert.deepEqual(asked.map((r) => r.asked), [true]);
  await world.appDelete(eventId);
  await converge(world, [a]);
  assert.deepEqual(a.connector.liveItems(a.remoteCalendarId), [], 'the remote copy is deleted');
  assert.equal((await world.calendarSeries()).find((s) => s.series.uid === 'asked-then-deleted'), undefined, 'and not restored');
});

test('a first pass that dies after its create landed leaves a cursor: the item deleted on the remote before the next pass is not created again', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('died-after-create');
  const eventId = await world.appWrite(null, single({ uid: 'died-after-create', summary: 'Once' }));
  const create = a.connector.create.bind(a.connector);
  a.connector.create = async (...args) => {
    await create(...args);
    throw new Error('the worker was killed');
  };
  await world.pass(a).catch((error: Error) => assert.match(error.message, /killed/));
  a.connector.create = create;
  const [item] = a.connector.liveItems(a.remoteCalendarId);
  assert.ok(item, 'the create landed');
  const { rows: [binding] } = await t.db.query(`select cursor from bindings where id = $1`, [a.id]);
  assert.notEqual(binding.cursor, null, 'the cursor of the pull was stored before the create');
  a.connector.userDelete(a.remoteCalendarId, item.remoteId);
  await converge(world, [a]);
  assert.deepEqual(a.connector.liveItems(a.remoteCalendarId), [], 'not created again');
  assert.equal((await world.calendarSeries()).find((s) => s.eventId === eventId), undefined, 'the remote\'s delete reached the calendar');
});

test('a write a listed item asks for that fails is planned again from the listing: the delete an edit lost to, of an event the calendar deleted passes ago', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('owed-by-listing', { conflictPolicy: { mode: 'default', editVsDelete: 'delete-wins' } });
  const eventId = await world.appWrite(null, single({ uid: 'obl-1', summary: 'Planned' }));
  await converge(world, [a]);
  const id = a.connector.liveItems('owed-by-listing')[0]!.remoteId;
  // Unreadable when the calendar deletes it: the delete is refused and the item set aside,
  // and the pass moves past the calendar's change.
  a.connector.corrupt('owed-by-listing', id);
  await world.appDelete(eventId);
  await world.pass(a);
  assert.equal((await listQuarantined(t.db, world.tenantId, { bindingId: a.id })).length, 1);
  // Saved again with an edit: the delete wins, and its first attempt fails.
  a.connector.userUpdate('owed-by-listing', id, single({ uid: 'obl-1', summary: 'Planned (edited)' }));
  Object.assign(a.connector.faults, { failWrites: 1, failAfterApply: false });
  assert.equal((await world.pass(a)).outcome, 'partial');
  await converge(world, [a]);
  assert.deepEqual(a.connector.liveItems('owed-by-listing'), [], 'the next pass deletes it');
  assert.deepEqual(await world.calendarSeries(), []);
});

test('where listings are snapshot differences, a pass whose listed item still owes a write (its cursor kept) does not lose the deletion of an item it created', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('partial-snapshots', {}, new MemoryConnector({ snapshotDiffs: true }));
  const first = await world.appWrite(null, single({ uid: 'ps-1', summary: 'One' }));
  await converge(world, [a]);
  const item = a.connector.liveItems('partial-snapshots')[0]!;
  a.connector.userUpdate('partial-snapshots', item.remoteId, { ...item.series, master: { ...item.series.master!, summary: 'One (remote)' } });
  await world.appWrite(first, single({ uid: 'ps-1', summary: 'One', location: 'Room 1' }));
  await world.appWrite(null, single({ uid: 'ps-2', summary: 'Two' }));
  // The merge of ps-1 is written back first, and fails; the create of ps-2 lands.
  Object.assign(a.connector.faults, { failWrites: 1, failAfterApply: false });
  assert.equal((await world.pass(a)).outcome, 'partial');
  const made = a.connector.liveItems('partial-snapshots').find((i) => i.series.uid === 'ps-2')!;
  a.connector.userDelete('partial-snapshots', made.remoteId);
  await converge(world, [a]);
  assert.deepEqual((await world.calendarSeries()).map((s) => s.series.uid), ['ps-1'], 'the deletion on the remote reached the calendar');
  const merged = a.connector.liveItems('partial-snapshots').map((i) => [i.series.uid, i.series.master!.summary, i.series.master!.location]);
  assert.deepEqual(merged, [['ps-1', 'One (remote)', 'Room 1']], 'and the owed write landed');
});

test('a retried create that meets the item its lost answer made, since made unreadable, keeps the calendar\'s later edit', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('retried-create');
  const event = await world.appWrite(null, single({ uid: 'rc-1', summary: 'First' }));
  Object.assign(a.connector.faults, { failWrites: 1, failAfterApply: true });
  await world.pass(a);
  await world.appWrite(event, single({ uid: 'rc-1', summary: 'Edited in the app' }));
  const made = a.connector.liveItems('retried-create')[0]!;
  assert.equal(made.series.master!.summary, 'First', 'the first attempt landed');
  a.connector.corrupt('retried-create', made.remoteId);
  await world.pass(a);
  assert.equal((await listQuarantined(t.db, world.tenantId, { bindingId: a.id })).length, 1, 'the item is set aside as unreadable');
  // A person saves the item again as it was before it became unreadable.
  a.connector.userUpdate('retried-create', made.remoteId, made.series);
  await converge(world, [a]);
  assert.equal((await world.calendarSeries())[0]!.series.master!.summary, 'Edited in the app');
  const items = a.connector.liveItems('retried-create');
  assert.deepEqual(items.map((i) => i.series.master!.summary), ['Edited in the app'], 'one item, with the calendar\'s edit');
});

test('a create retried after the calendar changed sends what it first sent, then the change: the remote ends with the edit', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('retried-edited');
  const event = await world.appWrite(null, single({ uid: 're-1', summary: 'First' }));
  a.connector.faults.failWrites = 1;
  const failed = await world.pass(a);
  assert.equal(failed.stats.failed, 1);
  assert.deepEqual(a.connector.liveItems('retried-edited'), [], 'the first attempt did not land');
  await world.appWrite(event, single({ uid: 're-1', summary: 'Edited in the app' }));
  const retried = await world.pass(a);
  assert.equal(retried.outcome, 'ok', JSON.stringify(retried.stats));
  assert.deepEqual(a.connector.liveItems('retried-edited').map((i) => i.series.master!.summary), ['Edited in the app']);
  const again = await world.pass(a);
  assert.equal(again.stats.remoteWrites + again.stats.calendarWrites, 0, 'nothing left to write');
});
