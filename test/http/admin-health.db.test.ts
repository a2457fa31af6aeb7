// The health summary and a binding's passes (src/http/admin-health.ts): what the operator
// console shows, from passes the real engine ran against memory connectors.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MemoryConnector } from '../../src/connectors/memory/index.ts';
import { errorCatalogue } from '../../src/errors.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { operatorWorld, type Json, type OperatorWorld } from '../helpers/operator.ts';

let t: TestDatabase;
let world: OperatorWorld;
let healthy: { id: string };
let failing: { id: string };
let paused: { id: string };
let fresh: { id: string };

before(async () => {
  t = await freshDatabase();
  world = await operatorWorld(t);
  healthy = await world.bind('healthy');
  // Every call is refused as too many requests, as a provider that rate-limits us does.
  failing = await world.bind('limited', {}, new MemoryConnector({ faults: { rateLimit: 1_000 } }));
  paused = await world.bind('paused');
  fresh = await world.bind('fresh');
  assert.equal((await world.pass(healthy)).outcome, 'ok');
  assert.equal((await world.pass(healthy)).outcome, 'ok');
  assert.equal((await world.pass(failing)).outcome, 'failed');
  assert.equal((await world.pass(paused)).outcome, 'ok');
  assert.equal((await world.call('POST', `/admin/v1/bindings/${paused.id}/pause`, { reason: 'moving offices' })).status, 200);
});
after(async () => { await t.drop(); });

const byId = (bindings: Json[]) => new Map(bindings.map((b) => [b.id, b]));

test('the numbers on top count bindings in sync, failing, paused and waiting', async () => {
  const { status, body } = await world.call('GET', '/admin/v1/health');
  assert.equal(status, 200, JSON.stringify(body));
  assert.deepEqual(body.counts, { bindings: 4, inSync: 1, failing: 1, paused: 1, waiting: 1, conflictsOpen: 0, quarantined: 0, deadJobs: 0 });
  assert.equal(body.bindings.length, 4);
  assert.equal(body.nextPageToken, null);
});

test('each binding shows its provider, state, last pass and outcome, next poll, and a failing one its error with what to do', async () => {
  const bindings = byId((await world.call('GET', '/admin/v1/health')).body.bindings);
  const ok = bindings.get(healthy.id)!;
  assert.equal(ok.provider, 'caldav');
  assert.equal(ok.calendar, 'shared');
  assert.deepEqual([ok.state, ok.lastOutcome, ok.lastError, ok.needsAttention, ok.running], ['active', 'ok', null, false, false]);
  assert.ok(Date.parse(ok.lastPassAt) <= Date.now());
  // The pass job schedules the next poll (src/jobs/sync-binding.ts); these passes ran without it.
  const { rows: [stored] } = await t.db.query<{ next_poll_at: Date }>('select next_poll_at from bindings where id = $1', [healthy.id]);
  assert.equal(ok.nextPollAt, stored!.next_poll_at.toISOString());

  const bad = bindings.get(failing.id)!;
  assert.deepEqual([bad.state, bad.lastOutcome, bad.needsAttention], ['active', 'failed', true]);
  assert.deepEqual(bad.lastError, { kind: 'rate-limited', code: 'PROVIDER_UNAVAILABLE', message: 'injected rate limit', hint: errorCatalogue.PROVIDER_UNAVAILABLE.hint });

  const stopped = bindings.get(paused.id)!;
  assert.deepEqual([stopped.state, stopped.pausedReason, stopped.nextPollAt, stopped.needsAttention], ['paused', 'paused by an operator: moving offices', null, true]);
  const waiting = bindings.get(fresh.id)!;
  assert.deepEqual([waiting.lastOutcome, waiting.lastPassAt, waiting.needsAttention], [null, null, false]);
});

test('attention=true lists only the bindings that need attention; paging walks them all', async () => {
  const attention = (await world.call('GET', '/admin/v1/health?attention=true')).body;
  assert.deepEqual(attention.bindings.map((b: Json) => b.id).sort(), [failing.id, paused.id].sort());
  assert.equal(attention.counts.bindings, 4, 'the numbers are the whole tenant\'s');

  const seen: string[] = [];
  let url = '/admin/v1/health?maxResults=3';
  for (;;) {
    const page = (await world.call('GET', url)).body;
    assert.ok(page.bindings.length <= 3);
    seen.push(...page.bindings.map((b: Json) => b.id));
    if (!page.nextPageToken) break;
    url = `/admin/v1/health?maxResults=3&pageToken=${encodeURIComponent(page.nextPageToken)}`;
  }
  assert.deepEqual(seen.sort(), [healthy.id, failing.id, paused.id, fresh.id].sort());
});

test('a conflict, a quarantined item and a dead job show in the numbers and mark their binding', async () => {
  await t.db.query(
    `insert into conflicts (tenant_id, binding_id, event_id, fields, base, ours, theirs)
     select tenant_id, $1, id, '{summary}', '"a"', '"b"', '"c"' from events where tenant_id = $2 limit 1`, [healthy.id, world.tenantId]);
  await t.db.query(`insert into quarantined_items (tenant_id, binding_id, remote_id, reason) values ($1, $2, 'bad.ics', 'unreadable')`, [world.tenantId, fresh.id]);
  await t.db.query(`select graphile_worker.add_job('sync_binding', json_build_object('tenantId', $1::uuid, 'bindingId', $2::uuid, 'trigger', 'manual'), max_attempts := 1, job_key := 'dead')`, [world.tenantId, healthy.id]);
  await t.db.query(`update graphile_worker._private_jobs set attempts = 1 where key = 'dead'`);
  try {
    const body = (await world.call('GET', '/admin/v1/health')).body;
    const { rows: [{ events }] } = await t.db.query('select count(*)::int as events from events where tenant_id = $1', [world.tenantId]);
    assert.deepEqual([body.counts.conflictsOpen, body.counts.quarantined, body.counts.deadJobs], [events > 0 ? 1 : 0, 1, 1]);
    const bindings = byId(body.bindings);
    assert.equal(bindings.get(fresh.id)!.quarantined, 1);
    assert.equal(bindings.get(fresh.id)!.needsAttention, true);
  } finally {
    await t.db.query(`delete from conflicts where binding_id = $1`, [healthy.id]);
    await t.db.query(`delete from quarantined_items where binding_id = $1`, [fresh.id]);
    await t.db.query(`delete from graphile_worker._private_jobs where key = 'dead'`);
  }
});

test('a binding\'s passes come newest first with outcome, counts and error, a page at a time', async () => {
  assert.equal((await world.pass(failing)).outcome, 'failed');
  const first = (await world.call('GET', `/admin/v1/bindings/${failing.id}/passes?maxResults=1`)).body;
  assert.equal(first.items.length, 1);
  assert.equal(first.items[0].outcome, 'failed');
  assert.equal(first.items[0].trigger, 'manual');
  assert.equal(first.items[0].error.code, 'PROVIDER_UNAVAILABLE');
  assert.ok(first.nextPageToken);
  const second = (await world.call('GET', `/admin/v1/bindings/${failing.id}/passes?maxResults=1&pageToken=${encodeURIComponent(first.nextPageToken)}`)).body;
  assert.equal(second.items.length, 1);
  assert.ok(Date.parse(second.items[0].startedAt) <= Date.parse(first.items[0].startedAt));
  assert.notEqual(second.items[0].id, first.items[0].id);
  assert.equal(second.nextPageToken, null);

  const ok = (await world.call('GET', `/admin/v1/bindings/${healthy.id}/passes`)).body.items;
  assert.deepEqual(ok.map((p: Json) => [p.outcome, p.error]), [['ok', null], ['ok', null]]);
  assert.equal(typeof ok[0].stats, 'object');
});

test('bad parameters are 400 naming them; another tenant\'s binding is 404', async () => {
  await world.refusedUnchanged('GET', '/admin/v1/health?attention=yes', undefined, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('GET', '/admin/v1/health?pageToken=forged', undefined, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('GET', `/admin/v1/bindings/${healthy.id}/passes?maxResults=0`, undefined, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('GET', `/admin/v1/bindings/${healthy.id}/passes`, undefined, 404, 'NOT_FOUND', world.stranger);
});
