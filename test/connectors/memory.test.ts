import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isConnectorError } from '../../src/connectors/connector.ts';
import { MemoryConnector, seededRng } from '../../src/connectors/memory/index.ts';
import { single } from '../helpers/events.ts';
import { listAll, registerConnectorContract } from './contract.ts';

registerConnectorContract('memory', async () => {
  const connector = new MemoryConnector({ pageSize: 7 });
  connector.addCalendar('cal');
  return {
    connector, remoteCalendarId: 'cal', expireCursors: async () => connector.expireCursors('cal'),
    plantUnreadable: async (readable) => {
      for (const series of readable) connector.userCreate('cal', series);
      const remoteId = connector.userCreate('cal', single({ uid: 'contract-unreadable' }));
      connector.corrupt('cal', remoteId, 'DTEND is before DTSTART');
      return remoteId;
    },
  };
});

function fresh(faults: ConstructorParameters<typeof MemoryConnector>[0] = {}) {
  const connector = new MemoryConnector({ rng: seededRng(7), ...faults });
  connector.addCalendar('cal');
  return connector;
}

test('memory: failed writes fail as transient, applied or not', async () => {
  const unapplied = fresh({ faults: { failWrites: 1 } });
  await assert.rejects(unapplied.create('cal', single(), { calsyncId: 'a' }), (e: unknown) => isConnectorError(e, 'transient'));
  assert.equal(unapplied.liveItems('cal').length, 0);
  await unapplied.create('cal', single(), { calsyncId: 'a' });
  assert.equal(unapplied.liveItems('cal').length, 1);

  const lostResponse = fresh({ faults: { failWrites: 1, failAfterApply: true } });
  await assert.rejects(lostResponse.create('cal', single(), { calsyncId: 'a' }));
  const retried = await lostResponse.create('cal', single(), { calsyncId: 'a' });
  assert.deepEqual(lostResponse.liveItems('cal').map((i) => i.remoteId), [retried.remoteId]);
});

test('memory: flaky etags make the returned etag stale', async () => {
  const connector = fresh({ faults: { flakyEtags: 1 } });
  const created = await connector.create('cal', single(), { calsyncId: 'a' });
  assert.notEqual(connector.liveItems('cal')[0]?.etag, created.etag);
  await assert.rejects(connector.update('cal', created.remoteId, single({ summary: 'x' }), { ifMatch: created.etag }), (e: unknown) => isConnectorError(e, 'precondition-failed'));
});

test('memory: duplicate and reordered delivery are seeded and replayable', async () => {
  const run = async () => {
    const connector = new MemoryConnector({ rng: seededRng(42), faults: { duplicateDelivery: 0.5, reorder: true } });
    connector.addCalendar('cal');
    for (let i = 0; i < 20; i++) connector.userCreate('cal', single({ uid: `u${i}` }));
    return (await listAll(connector, 'cal', null)).items.map((i) => i.remoteId);
  };
  const first = await run();
  assert.deepEqual(await run(), first);
  assert.ok(first.length > 20, 'some items were delivered twice');
  assert.equal(new Set(first).size, 20);
  assert.notDeepEqual(first.slice(0, 20), [...new Set(first)].sort());
});

test('memory: rate limits carry retry-after; unknown calendars are not found', async () => {
  const connector = fresh({ faults: { rateLimit: 1 } });
  await assert.rejects(connector.listChanges('cal', null), (e: unknown) => isConnectorError(e, 'rate-limited') && e.retryAfterSeconds === 30);
  await assert.rejects(connector.listChanges('nope', null), (e: unknown) => isConnectorError(e, 'not-found'));
});

test('memory: user edits and touches show up after a cursor; invalid content is refused', async () => {
  const connector = fresh();
  const id = connector.userCreate('cal', single());
  const { cursor } = await listAll(connector, 'cal', null);
  connector.touch('cal', id);
  const changes = await listAll(connector, 'cal', cursor);
  assert.deepEqual(changes.items.map((i) => [i.remoteId, i.deleted, i.calsyncId]), [[id, false, null]]);
  await assert.rejects(connector.create('cal', single({ status: 'bogus' as never }), { calsyncId: 'b' }), (e: unknown) => isConnectorError(e, 'permanent'));
});

test('memory: a stale replay delivers an older version after the newer one', async () => {
  const connector = fresh({ faults: { staleReplay: 1 } });
  const id = connector.userCreate('cal', single({ summary: 'first' }));
  connector.touch('cal', id);
  assert.deepEqual((await listAll(connector, 'cal', null)).items.map((i) => i.series?.master?.summary), ['first'], 'an etag rewrite alone is not an older version');
  connector.userUpdate('cal', id, single({ summary: 'second' }));
  const { items } = await listAll(connector, 'cal', null);
  assert.deepEqual(items.map((i) => i.series?.master?.summary), ['second', 'first']);
  assert.ok(items[1]!.updatedAt! < items[0]!.updatedAt!);
});

test('memory: another client writes between a listing and the next conditional write', async () => {
  const connector = fresh();
  const id = connector.userCreate('cal', single());
  const [listed] = (await listAll(connector, 'cal', null)).items;
  const seen: string[] = [];
  connector.beforeConditionalWrite = (cal, remoteId) => {
    seen.push(remoteId);
    connector.userUpdate(cal, remoteId, single({ summary: 'theirs' }));
  };
  await connector.create('cal', single({ uid: 'other' }), { calsyncId: 'b' });
  assert.deepEqual(seen, [], 'creates are not conditional');
  await assert.rejects(connector.update('cal', id, single({ summary: 'ours' }), { ifMatch: listed!.etag }), (e: unknown) => isConnectorError(e, 'precondition-failed'));
  assert.deepEqual(seen, [id]);
  assert.equal(connector.beforeConditionalWrite, null, 'the hook runs once');
  assert.equal(connector.liveItems('cal').find((i) => i.remoteId === id)?.series.master?.summary, 'theirs');
});
