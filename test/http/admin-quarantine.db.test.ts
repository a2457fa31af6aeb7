// Quarantined items through the admin API, with the real engine behind memory connectors:
// both kinds listed, a retry read in by the next pass, a dismissal, a hold lifted and
// the held write carried out, and refusals that change nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ConnectorError } from '../../src/connectors/connector.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { single } from '../helpers/events.ts';
import { operatorWorld, type Json } from '../helpers/operator.ts';

let t: TestDatabase;
before(async () => { t = await freshDatabase(); });
after(async () => { await t.drop(); });




test('remote items a binding could not read are listed with their reason, retried into the calendar by the next pass, or dismissed', async () => {
  const world = await operatorWorld(t);
  const a = await world.bind('feed');
  const ids = ['q-0', 'q-1', 'q-2'].map((uid) => a.connector.userCreate('feed', single({ uid, summary: uid })));
  a.connector.corrupt('feed', ids[0]!, 'DTSTART:garbage is not a date');
  a.connector.corrupt('feed', ids[1]!, 'two UIDs in one resource');
  await world.pass(a);

  const listed = await world.call('GET', '/admin/v1/quarantine');
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.body.items.map((i: Json) => [i.kind, i.bindingId, i.remoteId, i.reason]).sort(),
    [['remote', a.id, ids[0], 'DTSTART:garbage is not a date'], ['remote', a.id, ids[1], 'two UIDs in one resource']].sort());
  assert.equal(listed.body.items[0].raw, undefined, 'payloads only when asked for');
  const withRaw = await world.call('GET', `/admin/v1/quarantine?raw=true&bindingId=${a.id}&kind=remote`);
  assert.match(withRaw.body.items[0].raw, /BEGIN:VCALENDAR/);
  const one = await world.call('GET', `/admin/v1/quarantine?raw=true&bindingId=${a.id}&remoteId=${encodeURIComponent(ids[1]!)}`);
  assert.deepEqual(one.body.items.map((i: Json) => i.remoteId), [ids[1]], 'one item by its remote id');
  assert.match(one.body.items[0].raw, /BEGIN:VCALENDAR/);
  assert.deepEqual((await world.call('GET', '/admin/v1/quarantine?kind=held')).body.items, []);
  assert.deepEqual((await world.call('GET', '/admin/v1/quarantine', undefined, world.stranger)).body.items, [], 'another tenant sees none of them');

  // One page at a time, in a stable order.
  const first = await world.call('GET', '/admin/v1/quarantine?maxResults=1');
  const second = await world.call('GET', `/admin/v1/quarantine?maxResults=1&pageToken=${first.body.nextPageToken}`);
  assert.equal(second.body.nextPageToken, null);
  assert.deepEqual([first.body.items[0].remoteId, second.body.items[0].remoteId].sort(), [ids[0], ids[1]].sort());

  // Retry: readable again without a new version (a reader was fixed); the next pass reads it in.
  a.connector.readableAgain('feed', ids[0]!);
  await world.clearJobs();
  const retried = await world.call('POST', `/admin/v1/bindings/${a.id}/quarantine/retry`, { remoteIds: [ids[0]], note: 'parser fixed' });
  assert.equal(retried.status, 200, JSON.stringify(retried.body));
  assert.deepEqual(retried.body, { bindingId: a.id, kind: 'remote', action: 'retry', remoteIds: [ids[0]], passQueued: true });
  assert.equal((await world.passJobs(a.id)).length, 1, 'a pass is queued');
  await world.pass(a);
  assert.ok((await world.calendarSeries()).some((s) => s.series.uid === 'q-0'), 'the retried item reached the calendar');

  // Dismiss: no longer listed.
  const dismissed = await world.call('POST', `/admin/v1/bindings/${a.id}/quarantine/lift`, { kind: 'remote', remoteIds: [ids[1]] });
  assert.equal(dismissed.status, 200, JSON.stringify(dismissed.body));
  assert.deepEqual((await world.call('GET', '/admin/v1/quarantine')).body.items, []);
  const { rows: [row] } = await t.db.query('select dismissed_at from quarantined_items where binding_id = $1 and remote_id = $2', [a.id, ids[1]]);
  assert.notEqual(row.dismissed_at, null);

  const actions = (await world.call('GET', `/admin/v1/operator-actions?bindingId=${a.id}`)).body.items;
  assert.deepEqual(actions.map((x: Json) => [x.action, x.targets.remoteIds, x.actor.startsWith('api-key:')]),
    [['quarantine.dismiss', [ids[1]], true], ['quarantine.retry', [ids[0]], true]]);
  assert.equal(actions[1].detail.note, 'parser fixed');
});

test('a write the provider refused for good holds the item; lifting the hold carries the write out in the next pass', async () => {
  const world = await operatorWorld(t);
  const a = await world.bind('held');
  const eventId = await world.appWrite(null, single({ uid: 'h-1', summary: 'Budget review' }));
  await world.pass(a);
  await world.appWrite(eventId, single({ uid: 'h-1', summary: 'Budget review (room 4)' }));
  const update = a.connector.update.bind(a.connector);
  a.connector.update = async () => { throw new ConnectorError('permanent', 'the provider refuses this event'); };
  const refused = await world.pass(a);
  assert.equal(refused.stats.quarantined, 1);
  a.connector.update = update;
  const [item] = a.connector.liveItems('held');

  const listed = (await world.call('GET', '/admin/v1/quarantine')).body.items;
  assert.equal(listed.length, 1);
  assert.deepEqual([listed[0].kind, listed[0].eventId, listed[0].remoteId, listed[0].summary, listed[0].reason, listed[0].conflictId],
    ['held', eventId, item!.remoteId, 'Budget review (room 4)', 'the provider refuses this event', null]);
  // Still held: a pass leaves it alone.
  await world.pass(a);
  assert.equal(a.connector.liveItems('held')[0]!.series.master!.summary, 'Budget review');

  // Retrying is for remote items; a held item is lifted.
  await world.refusedUnchanged('POST', `/admin/v1/bindings/${a.id}/quarantine/retry`, { remoteIds: [item!.remoteId] }, 404, 'NOT_FOUND');
  // Not while a pass runs: lifting moves what the pass reads.
  await t.db.query(`update bindings set lease_owner = 'elsewhere', lease_expires_at = now() + interval '1 minute' where id = $1`, [a.id]);
  await world.refusedUnchanged('POST', `/admin/v1/bindings/${a.id}/quarantine/lift`, { kind: 'held', remoteIds: [item!.remoteId] }, 409, 'BINDING_BUSY');
  await t.db.query('update bindings set lease_owner = null, lease_expires_at = null where id = $1', [a.id]);

  const lifted = await world.call('POST', `/admin/v1/bindings/${a.id}/quarantine/lift`, { kind: 'held', remoteIds: [item!.remoteId] });
  assert.equal(lifted.status, 200, JSON.stringify(lifted.body));
  assert.deepEqual((await world.call('GET', '/admin/v1/quarantine?kind=held')).body.items, []);
  const pass = await world.pass(a);
  assert.equal(pass.outcome, 'ok', JSON.stringify(pass));
  assert.equal(a.connector.liveItems('held')[0]!.series.master!.summary, 'Budget review (room 4)', 'the held write was carried out');
  assert.deepEqual((await world.call('GET', '/admin/v1/quarantine')).body.items, [], 'the read-again request is spent');
});

test('a remote edit made while an item was held is merged when the hold is lifted, not lost', async () => {
  const world = await operatorWorld(t);
  const a = await world.bind('held-edit');
  const eventId = await world.appWrite(null, single({ uid: 'he-1', summary: 'Standup', location: '' }));
  await world.pass(a);
  await world.appWrite(eventId, single({ uid: 'he-1', summary: 'Standup (moved)', location: '' }));
  const update = a.connector.update.bind(a.connector);
  a.connector.update = async () => { throw new ConnectorError('permanent', 'refused'); };
  await world.pass(a);
  a.connector.update = update;
  const [item] = a.connector.liveItems('held-edit');
  a.connector.userUpdate('held-edit', item!.remoteId, { ...item!.series, master: { ...item!.series.master!, location: 'Room 9' } });
  await world.pass(a);
  assert.equal((await world.calendarSeries())[0]!.series.master!.location, '', 'held: the remote edit waits');

  assert.equal((await world.call('POST', `/admin/v1/bindings/${a.id}/quarantine/lift`, { kind: 'held', remoteIds: [item!.remoteId] })).status, 200);
  await world.pass(a);
  const [merged] = await world.calendarSeries();
  assert.deepEqual([merged!.series.master!.summary, merged!.series.master!.location], ['Standup (moved)', 'Room 9']);
  const [remote] = a.connector.liveItems('held-edit');
  assert.deepEqual([remote!.series.master!.summary, remote!.series.master!.location], ['Standup (moved)', 'Room 9']);
});

test('an item held for an open conflict is not lifted: the conflict is settled instead', async () => {
  const world = await operatorWorld(t);
  const a = await world.bind('asked', { conflictPolicy: { mode: 'manual' } });
  const eventId = await world.appWrite(null, single({ uid: 'c-1', summary: 'Offsite' }));
  await world.pass(a);
  await world.appWrite(eventId, single({ uid: 'c-1', summary: 'Offsite (edited)' }));
  const [item] = a.connector.liveItems('asked');
  a.connector.userDelete('asked', item!.remoteId);
  await world.pass(a);
  const [held] = (await world.call('GET', '/admin/v1/quarantine?kind=held')).body.items;
  assert.notEqual(held?.conflictId, null, JSON.stringify(held));
  const refusal = await world.refusedUnchanged('POST', `/admin/v1/bindings/${a.id}/quarantine/lift`, { kind: 'held', remoteIds: [item!.remoteId] }, 409, 'HELD_FOR_CONFLICT');
  assert.match(refusal.error.message, new RegExp(held.conflictId));
});

test('bad input is a clear 4xx and changes nothing', async () => {
  const world = await operatorWorld(t);
  const a = await world.bind('bad');
  const id = a.connector.userCreate('bad', single({ uid: 'b-0' }));
  a.connector.corrupt('bad', id);
  await world.pass(a);
  const lift = `/admin/v1/bindings/${a.id}/quarantine/lift`;
  const retry = `/admin/v1/bindings/${a.id}/quarantine/retry`;
  await world.refusedUnchanged('POST', retry, { remoteIds: [] }, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('POST', retry, { remoteIds: [id], extra: true }, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('POST', lift, { remoteIds: [id] }, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('POST', lift, { kind: 'sideways', remoteIds: [id] }, 400, 'INVALID_REQUEST');
  // All or nothing: one unknown id among known ones changes none of them.
  const body = await world.refusedUnchanged('POST', retry, { remoteIds: [id, 'no-such-item'] }, 404, 'NOT_FOUND');
  assert.match(body.error.message, /no-such-item/);
  await world.refusedUnchanged('POST', lift, { kind: 'remote', remoteIds: [id, 'no-such-item'] }, 404, 'NOT_FOUND');
  await world.refusedUnchanged('POST', lift, { kind: 'held', remoteIds: [id] }, 404, 'NOT_FOUND');
  await world.refusedUnchanged('POST', '/admin/v1/bindings/00000000-0000-0000-0000-000000000000/quarantine/retry', { remoteIds: [id] }, 404, 'NOT_FOUND');
  await world.refusedUnchanged('GET', '/admin/v1/quarantine?pageToken=bm90LWEtdG9rZW4', undefined, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('GET', '/admin/v1/quarantine?maxResults=0', undefined, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('GET', '/admin/v1/quarantine?bindingId=nope', undefined, 400, 'INVALID_REQUEST');
  // Another tenant's key on this binding: not found, nothing changed.
  await world.refusedUnchanged('POST', retry, { remoteIds: [id] }, 404, 'NOT_FOUND', world.stranger);
  await world.refusedUnchanged('POST', lift, { kind: 'remote', remoteIds: [id] }, 404, 'NOT_FOUND', world.stranger);
});
