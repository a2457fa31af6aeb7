import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import type { EventSeries } from '../../src/core/model.ts';
import { MemoryConnector } from '../../src/connectors/memory/index.ts';
import { acquireLease, getBinding } from '../../src/store/bindings.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { engineWorld } from '../helpers/engine.ts';
import { single } from '../helpers/events.ts';

let t: TestDatabase;
before(async () => { t = await freshDatabase(); });
after(async () => { await t.drop(); });

/** A provider whose listing answers only after `delayMs`. */
class SlowListing extends MemoryConnector {
  delayMs = 0;
  override async listChanges(remoteCalendarId: string, cursor: string | null, pageToken?: string) {
    await sleep(this.delayMs);
    return super.listChanges(remoteCalendarId, cursor, pageToken);
  }
}

test('a pass keeps its lease alive while one slow page is read: no second pass can take the binding meanwhile', async () => {
  const world = await engineWorld(t);
  world.deps.leaseSeconds = 1;
  const connector = new SlowListing();
  const binding = await world.bind('slow', {}, connector);
  connector.userCreate('slow', single({ uid: 'slow-1' }));
  connector.delayMs = 1800;
  const pass = world.pass(binding);
  await sleep(1300);
  // Past the lease's second: without a heartbeat it would have lapsed.
  assert.equal(await acquireLease(t.db, { tenantId: world.tenantId, bindingId: binding.id }, 'another-worker:pass', 60), false);
  const result = await pass;
  assert.equal(result.outcome, 'ok');
  assert.equal((await world.calendarSeries()).length, 1);
});

/** A provider that, at its first write, lets another worker take the binding over. */
class TakenOverAtWrite extends MemoryConnector {
  onWrite: (() => Promise<void>) | null = null;
  writes = 0;
  override async create(remoteCalendarId: string, series: EventSeries, options: { calsyncId: string }) {
    const hook = this.onWrite;
    this.onWrite = null;
    if (hook) await hook();
    this.writes++;
    return super.create(remoteCalendarId, series, options);
  }
}

test('a pass whose lease was taken over mid-pass stops at once and writes nothing more, to the store or the provider', async () => {
  const world = await engineWorld(t);
  world.deps.writeConcurrency = 1;
  world.deps.leaseSeconds = 1;
  const connector = new TakenOverAtWrite();
  const binding = await world.bind('taken', {}, connector);
  const ref = { tenantId: world.tenantId, bindingId: binding.id };
  for (let i = 0; i < 6; i++) await world.appWrite(null, single({ uid: `app-${i}`, summary: `app ${i}` }));
  connector.onWrite = async () => {
    // The pass's process stalls (its event loop blocked, so no heartbeat runs) past its
    // lease, and another worker takes the binding over.
    const until = performance.now() + 1300;
    while (performance.now() < until) { /* blocked */ }
    assert.equal(await acquireLease(t.db, ref, 'another-worker:pass', 60), true);
  };
  const result = await world.pass(binding);
  assert.equal(result.outcome, 'lost');
  assert.ok(connector.writes <= 1, `at most the write in flight lands; ${connector.writes} did`);
  const { rows } = await t.db.query(`select count(*)::int as n from sync_status where binding_id = $1 and not pending`, [binding.id]);
  assert.equal(rows[0].n, 0, 'no answered status was stored under a lease the pass no longer held');
  const stored = await getBinding(t.db, world.tenantId, binding.id);
  assert.equal(stored.calendarVersion, 0, 'the calendar version was not moved');
  const { rows: [lease] } = await t.db.query('select lease_owner from bindings where id = $1', [binding.id]);
  assert.equal(lease.lease_owner, 'another-worker:pass', 'the lost pass did not release the new holder\'s lease');
});
