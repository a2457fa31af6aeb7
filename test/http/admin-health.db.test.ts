// The health summary and a binding's passes (src/http/admin-health.ts): what the operator
// console shows, from passes the real engine ran against memory connectors, and push
// subscriptions in the states the renewal job leaves them in.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MemoryConnector } from '../../src/connectors/memory/index.ts';
import { errorCatalogue } from '../../src/errors.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { single } from '../helpers/events.ts';
import { operatorWorld, type Json, type OperatorWorld } from '../helpers/operator.ts';

let t: TestDatabase;
let world: OperatorWorld;
let healthy: { id: string; connector: MemoryConnector };
let failing: { id: string };
let paused: { id: string };
let fresh: { id: string; connector: MemoryConnector };

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

test('lag counts the calendar changes a binding has not carried to its remote yet; an import binding has none', async () => {
  const inbound = await world.bind('inbound', { direction: 'import' });
  try {
    let bindings = byId((await world.call('GET', '/admin/v1/health')).body.bindings);
    assert.deepEqual(bindings.get(healthy.id)!.lag, { changes: 0, oldestChangeAt: null });
    assert.equal(bindings.get(inbound.id)!.lag, null);

    healthy.connector.userCreate('healthy', single({ uid: 'lag-1' }));
    healthy.connector.userCreate('healthy', single({ uid: 'lag-2' }));
    assert.equal((await world.pass(healthy)).outcome, 'ok');
    const { rows: changes } = await t.db.query<{ changed_at: Date }>('select changed_at from change_log where calendar_id = $1 order by version', [world.calendarId]);
    assert.equal(changes.length, 2);

    bindings = byId((await world.call('GET', '/admin/v1/health')).body.bindings);
    assert.deepEqual(bindings.get(healthy.id)!.lag, { changes: 0, oldestChangeAt: null }, 'its own pass carried its changes');
    assert.deepEqual(bindings.get(fresh.id)!.lag, { changes: 2, oldestChangeAt: changes[0]!.changed_at.toISOString() });
    assert.equal(bindings.get(inbound.id)!.lag, null);

    assert.equal((await world.pass(fresh)).outcome, 'ok');
    assert.equal(fresh.connector.liveItems('fresh').length, 2);
    bindings = byId((await world.call('GET', '/admin/v1/health')).body.bindings);
    assert.deepEqual(bindings.get(fresh.id)!.lag, { changes: 0, oldestChangeAt: null });
  } finally {
    await t.db.query('delete from bindings where id = $1', [inbound.id]);
  }
});

test('propagation of the last hour: one sample per write to a remote, from the change it carried; a new binding\'s first copy is left out', async () => {
  // The previous test: two changes pulled from healthy's remote, then written to fresh's.
  const { rows: samples } = await t.db.query<{ ms: number }>(
    `select extract(epoch from o.finished_at - l.changed_at) * 1000 as ms
       from sync_operations o join change_log l on l.event_id = o.event_id
      where o.binding_id = $1 and o.side = 'remote' and o.operation = 'create' and o.status = 'applied' order by ms`, [fresh.id]);
  assert.equal(samples.length, 2);
  const late = await world.bind('late');
  try {
    assert.equal((await world.pass(late)).outcome, 'ok');
    assert.equal(late.connector.liveItems('late').length, 2, 'the late binding wrote both events');
    const { propagation } = (await world.call('GET', '/admin/v1/health')).body;
    // percentile_cont interpolates: the median of two samples is their mean.
    const [a, b] = samples.map((s) => Number(s.ms));
    assert.deepEqual(propagation, { windowMinutes: 60, writes: 2, p50Ms: Math.round((a! + b!) / 2), p99Ms: Math.round(a! + 0.99 * (b! - a!)) });
    assert.ok(propagation.p99Ms >= 0);

    await t.db.query(`update sync_operations set finished_at = finished_at - interval '61 minutes' where binding_id = $1`, [fresh.id]);
    assert.deepEqual((await world.call('GET', '/admin/v1/health')).body.propagation, { windowMinutes: 60, writes: 0, p50Ms: null, p99Ms: null });
    const ofStranger = (await world.call('GET', '/admin/v1/health', undefined, world.stranger)).body.propagation;
    assert.equal(ofStranger.writes, 0);
  } finally {
    await t.db.query('delete from bindings where id = $1', [late.id]);
  }
});

test('push subscriptions show their state and expiry; an expired or failing one needs attention, with what to do', async () => {
  const hour = 3_600_000;
  const subscription = (id: string, expiresAt: Date, more: object = {}) =>
    JSON.stringify({ id, resourceId: `r-${id}`, secretHash: 'c2VjcmV0', expiresAt: expiresAt.toISOString(), createdAt: new Date(Date.now() - 2 * hour).toISOString(), extras: {}, ...more });
  const expired = new Date(Math.floor(Date.now() / 1000) * 1000 - hour);
  const later = new Date(Math.floor(Date.now() / 1000) * 1000 + 20 * hour);
  const confirmed = new Date(Math.floor(Date.now() / 1000) * 1000 - 90 * 60_000);
  const retryAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 5 * 60_000);
  const set = (id: string, value: string | null, expiresAt: Date | null) =>
    t.db.query('update bindings set push_subscription = $2::jsonb, push_expires_at = $3 where id = $1', [id, value, expiresAt]);
  await set(healthy.id, subscription('expired-1', expired, { confirmedAt: confirmed.toISOString() }), expired);
  await set(fresh.id, subscription('live-1', later, { confirmedAt: confirmed.toISOString() }), later);
  await set(paused.id, subscription('failing-1', later, { error: 'channel refused: 401', retryAt: retryAt.toISOString() }), later);
  try {
    const body = (await world.call('GET', '/admin/v1/health')).body;
    const bindings = byId(body.bindings);
    const lost = bindings.get(healthy.id)!;
    assert.deepEqual({ ...lost.push, hint: undefined }, { state: 'expired', expiresAt: expired.toISOString(), confirmedAt: confirmed.toISOString(), error: null, retryAt: null, hint: undefined });
    assert.match(lost.push.hint, /CALSYNC_WEBHOOK_URL/);
    assert.equal(lost.needsAttention, true);
    assert.equal(JSON.stringify(lost.push).includes('c2VjcmV0'), false, 'the secret\'s digest stays inside');

    assert.deepEqual(bindings.get(fresh.id)!.push, { state: 'live', expiresAt: later.toISOString(), confirmedAt: confirmed.toISOString(), error: null, retryAt: null, hint: null });
    assert.equal(bindings.get(fresh.id)!.needsAttention, false);
    const refused = bindings.get(paused.id)!.push;
    assert.deepEqual([refused.state, refused.expiresAt, refused.error, refused.retryAt], ['failing', later.toISOString(), 'channel refused: 401', retryAt.toISOString()]);
    assert.match(refused.hint, /retried at retryAt/);
    assert.equal(bindings.get(failing.id)!.push.state, 'none');

    const attention = (await world.call('GET', '/admin/v1/health?attention=true')).body.bindings.map((b: Json) => b.id);
    assert.deepEqual(attention.sort(), [healthy.id, failing.id, paused.id].sort());

    await set(healthy.id, JSON.stringify({ pending: { id: 'pending-1', secretHash: 'c2VjcmV0', startedAt: new Date().toISOString() } }), null);
    const pending = byId((await world.call('GET', '/admin/v1/health')).body.bindings).get(healthy.id)!;
    assert.deepEqual([pending.push.state, pending.push.expiresAt, pending.needsAttention], ['pending', null, false]);
  } finally {
    for (const id of [healthy.id, fresh.id, paused.id]) await set(id, null, null);
  }
});

test('bad parameters are 400 naming them; another tenant\'s binding is 404', async () => {
  await world.refusedUnchanged('GET', '/admin/v1/health?attention=yes', undefined, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('GET', '/admin/v1/health?pageToken=forged', undefined, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('GET', `/admin/v1/bindings/${healthy.id}/passes?maxResults=0`, undefined, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('GET', `/admin/v1/bindings/${healthy.id}/passes`, undefined, 404, 'NOT_FOUND', world.stranger);
});
