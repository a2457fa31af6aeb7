// Stopped passes through the admin API, driven by the real engine over memory connectors:
// what a stopped pass would delete, a confirmation carried by the queued pass, and
// dismissals after which the side that lost the items gets them back.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { syncBindingJob } from '../../src/jobs/sync-binding.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { converge } from '../helpers/engine.ts';
import { single } from '../helpers/events.ts';
import { operatorWorld, type Json } from '../helpers/operator.ts';

let t: TestDatabase;
before(async () => { t = await freshDatabase(); });
after(async () => { await t.drop(); });





test('deletions the remote made beyond the budget: listed with their events, and on dismissal created on the remote again', async () => {
  const world = await operatorWorld(t);
  const a = await world.bind('budget');
  const ids = Array.from({ length: 40 }, (_, i) => a.connector.userCreate('budget', single({ uid: `d-${i}`, summary: `Visit ${i}` })));
  await converge(world, [a], { partialOk: false });
  for (const id of ids.slice(0, 20)) a.connector.userDelete('budget', id);
  const stopped = await world.pass(a);
  assert.equal(stopped.outcome, 'stopped');

  const list = await world.call('GET', '/admin/v1/stopped-passes');
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.items.map((s: Json) => [s.bindingId, s.kind, s.passId, s.deletes, s.deletions]), [[a.id, 'deletion-budget', stopped.passId, 20, 20]]);
  const first = await world.call('GET', `/admin/v1/bindings/${a.id}/stopped-pass?maxResults=15`);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  const rest = await world.call('GET', `/admin/v1/bindings/${a.id}/stopped-pass?maxResults=15&pageToken=${first.body.nextPageToken}`);
  assert.equal(rest.body.nextPageToken, null);
  const deletions = [...first.body.items, ...rest.body.items];
  assert.equal(deletions.length, 20);
  assert.ok(deletions.every((d: Json) => d.side === 'calendar' && d.eventId && ids.slice(0, 20).includes(d.remoteId)));
  assert.deepEqual(deletions.map((d: Json) => d.summary).sort(), Array.from({ length: 20 }, (_, i) => `Visit ${i}`).sort());

  await world.clearJobs();
  const dismissed = await world.call('POST', `/admin/v1/bindings/${a.id}/stopped-pass/dismiss`, { passId: stopped.passId, note: 'the user emptied it by mistake' });
  assert.equal(dismissed.status, 200, JSON.stringify(dismissed.body));
  assert.equal(dismissed.body.recreated.length, 20);
  assert.deepEqual(dismissed.body.restored, []);
  assert.deepEqual((await world.call('GET', '/admin/v1/stopped-passes')).body.items, [], 'the stop is cleared');
  assert.deepEqual((await world.passJobs(a.id)).map((j) => j.key), [`pass:${a.id}`], 'a pass is queued');

  const next = await world.pass(a);
  assert.equal(next.outcome, 'ok', JSON.stringify(next.stop));
  assert.equal((await world.calendarSeries()).length, 40, 'nothing was deleted in the calendar');
  const remote = a.connector.liveItems('budget');
  assert.equal(remote.length, 40, 'the remote got its 20 items back');
  assert.deepEqual(new Set(remote.map((i) => i.series.uid)), new Set(ids.map((_, i) => `d-${i}`)));
  await converge(world, [a], { partialOk: false });

  const [action] = (await world.call('GET', `/admin/v1/operator-actions?bindingId=${a.id}`)).body.items;
  assert.deepEqual([action.action, action.targets.passId, action.detail.note], ['stopped-pass.dismiss', stopped.passId, 'the user emptied it by mistake']);
});

test('deletions the calendar made beyond the budget: on dismissal the events are restored, in every binding of the calendar', async () => {
  const world = await operatorWorld(t);
  const a = await world.bind('kept');
  const b = await world.bind('mirrored');
  const eventIds: string[] = [];
  for (let i = 0; i < 40; i++) eventIds.push(await world.appWrite(null, single({ uid: `k-${i}`, summary: `Shift ${i}` })));
  await converge(world, [a, b], { partialOk: false });
  for (const id of eventIds.slice(0, 20)) await world.appDelete(id);
  // b's operator confirmed the deletions; a's pass stopped and waits.
  assert.equal((await world.pass(b)).outcome, 'stopped');
  assert.equal((await world.pass(b, { confirmDeletions: true })).outcome, 'ok');
  assert.equal(b.connector.liveItems('mirrored').length, 20);
  const stopped = await world.pass(a);
  assert.equal(stopped.outcome, 'stopped');

  const shown = await world.call('GET', `/admin/v1/bindings/${a.id}/stopped-pass`);
  assert.ok(shown.body.items.length === 20 && shown.body.items.every((d: Json) => d.side === 'remote' && eventIds.slice(0, 20).includes(d.eventId)));

  await world.clearJobs();
  const dismissed = await world.call('POST', `/admin/v1/bindings/${a.id}/stopped-pass/dismiss`, {});
  assert.equal(dismissed.status, 200, JSON.stringify(dismissed.body));
  assert.deepEqual(dismissed.body.restored.sort(), eventIds.slice(0, 20).sort());
  assert.equal((await world.passJobs(b.id)).length, 1, 'the restore queued a pass of the other binding');
  assert.equal((await world.calendarSeries()).length, 40, 'the events are back in the calendar');

  const restoredId = eventIds[3]!;
  const history = await world.call('GET', `/admin/v1/calendars/${world.calendarId}/events/${restoredId}/history`);
  const last = history.body.versions.at(-1);
  assert.deepEqual([last.actor, last.operation, last.rule, last.content.summary], ['operator', 'create', 'stopped-pass.dismiss', 'Shift 3']);
  assert.match(last.reason, /dismissed a stopped pass/);

  await converge(world, [a, b], { partialOk: false });
  assert.equal(a.connector.liveItems('kept').length, 40, 'a kept its items');
  assert.equal(b.connector.liveItems('mirrored').length, 40, 'b, which had deleted them, has them again');
});

test('a remote that suddenly lists nothing: every agreed item is what the stop would delete; dismissing sends them all back', async () => {
  const world = await operatorWorld(t);
  const a = await world.bind('wiped');
  const ids = Array.from({ length: 8 }, (_, i) => a.connector.userCreate('wiped', single({ uid: `w-${i}` })));
  await converge(world, [a], { partialOk: false });
  for (const id of ids) a.connector.userDelete('wiped', id);
  a.connector.expireCursors('wiped');
  const stopped = await world.pass(a);
  assert.deepEqual([stopped.outcome, stopped.stop?.kind], ['stopped', 'wipe']);
  const shown = await world.call('GET', `/admin/v1/bindings/${a.id}/stopped-pass`);
  assert.deepEqual([shown.body.kind, shown.body.side, shown.body.deletions], ['wipe', 'remote', 8]);
  assert.deepEqual(shown.body.items.map((d: Json) => d.remoteId).sort(), [...ids].sort());
  assert.ok(shown.body.items.every((d: Json) => d.side === 'calendar' && d.rule === 'wipe:remote'));

  assert.equal((await world.call('POST', `/admin/v1/bindings/${a.id}/stopped-pass/dismiss`, {})).status, 200);
  const next = await world.pass(a);
  assert.equal(next.outcome, 'ok', JSON.stringify(next.stop));
  assert.equal(a.connector.liveItems('wiped').length, 8, 'the remote has every event again');
  assert.equal((await world.calendarSeries()).length, 8);
});

test('a calendar that suddenly has no events: dismissing restores them all from their tombstones', async () => {
  const world = await operatorWorld(t);
  const a = await world.bind('emptied');
  const eventIds: string[] = [];
  for (let i = 0; i < 8; i++) eventIds.push(await world.appWrite(null, single({ uid: `e-${i}` })));
  await converge(world, [a], { partialOk: false });
  for (const id of eventIds) await world.appDelete(id);
  const stopped = await world.pass(a);
  assert.deepEqual([stopped.outcome, stopped.stop?.kind, stopped.stop?.kind === 'wipe' && stopped.stop.side], ['stopped', 'wipe', 'calendar']);
  const shown = await world.call('GET', `/admin/v1/bindings/${a.id}/stopped-pass`);
  assert.deepEqual(shown.body.items.map((d: Json) => d.eventId).sort(), [...eventIds].sort());
  assert.ok(shown.body.items.every((d: Json) => d.side === 'remote'));

  const dismissed = await world.call('POST', `/admin/v1/bindings/${a.id}/stopped-pass/dismiss`, {});
  assert.deepEqual(dismissed.body.restored.sort(), [...eventIds].sort());
  assert.equal((await world.pass(a)).outcome, 'ok');
  assert.equal((await world.calendarSeries()).length, 8);
  assert.equal(a.connector.liveItems('emptied').length, 8);
});

test('confirming queues a pass of its own carrying the confirmation, which mirrors the deletions', async () => {
  const world = await operatorWorld(t);
  const a = await world.bind('confirmed');
  const ids = Array.from({ length: 40 }, (_, i) => a.connector.userCreate('confirmed', single({ uid: `c-${i}` })));
  await converge(world, [a], { partialOk: false });
  for (const id of ids.slice(0, 20)) a.connector.userDelete('confirmed', id);
  const stopped = await world.pass(a);
  await world.clearJobs();
  const confirmed = await world.call('POST', `/admin/v1/bindings/${a.id}/stopped-pass/confirm`, { passId: stopped.passId });
  assert.equal(confirmed.status, 202, JSON.stringify(confirmed.body));
  assert.deepEqual(confirmed.body, { bindingId: a.id, passId: stopped.passId, confirmWipe: false, confirmDeletions: true });
  const [job] = await world.passJobs(a.id);
  assert.equal(job?.key, null, 'not under the binding\'s pass key, where the next pass asked for would replace it');
  // A calendar change asks for a pass meanwhile: the confirmed one stays.
  await world.appWrite(null, single({ uid: 'meanwhile' }));
  const jobs = await world.passJobs(a.id);
  const request = syncBindingJob.parse(jobs.find((j) => j.key === null)!.payload);
  assert.equal(request.confirmDeletions, true);
  const pass = await world.pass(a, { confirmDeletions: request.confirmDeletions, confirmWipe: request.confirmWipe });
  assert.equal(pass.outcome, 'ok');
  assert.equal((await world.calendarSeries()).length, 21);

  // A wipe is confirmed as a wipe.
  const other = await operatorWorld(t);
  const w = await other.bind('confirmed-wipe');
  const wipeIds = Array.from({ length: 8 }, (_, i) => w.connector.userCreate('confirmed-wipe', single({ uid: `cw-${i}` })));
  await converge(other, [w], { partialOk: false });
  for (const id of wipeIds) w.connector.userDelete('confirmed-wipe', id);
  w.connector.expireCursors('confirmed-wipe');
  assert.equal((await other.pass(w)).stop?.kind, 'wipe');
  const wipe = await other.call('POST', `/admin/v1/bindings/${w.id}/stopped-pass/confirm`, {});
  assert.deepEqual([wipe.body.confirmWipe, wipe.body.confirmDeletions], [true, false]);
});

test('refusals change nothing: no stop, a stale pass id, a running pass, a paused binding, bad input, another tenant', async () => {
  const world = await operatorWorld(t);
  const a = await world.bind('refusals');
  const confirm = `/admin/v1/bindings/${a.id}/stopped-pass/confirm`;
  const dismiss = `/admin/v1/bindings/${a.id}/stopped-pass/dismiss`;
  // No body at all is an empty one: the refusal is about the binding, not the request.
  await world.refusedUnchanged('POST', confirm, undefined, 409, 'PASS_NOT_STOPPED');
  await world.refusedUnchanged('POST', dismiss, undefined, 409, 'PASS_NOT_STOPPED');
  await world.refusedUnchanged('GET', `/admin/v1/bindings/${a.id}/stopped-pass`, undefined, 409, 'PASS_NOT_STOPPED');

  const ids = Array.from({ length: 8 }, (_, i) => a.connector.userCreate('refusals', single({ uid: `r-${i}` })));
  await converge(world, [a], { partialOk: false });
  for (const id of ids) a.connector.userDelete('refusals', id);
  a.connector.expireCursors('refusals');
  const stopped = await world.pass(a);
  assert.equal(stopped.outcome, 'stopped');
  await world.refusedUnchanged('POST', confirm, { passId: '00000000-0000-4000-8000-000000000000' }, 409, 'PASS_NOT_STOPPED');
  await world.refusedUnchanged('POST', dismiss, { passId: 'not-a-uuid' }, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('POST', dismiss, { passId: stopped.passId, extra: 1 }, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('GET', `/admin/v1/bindings/${a.id}/stopped-pass?pageToken=%%%`, undefined, 400, 'INVALID_REQUEST');
  // A well-formed token of the other kind of listing (held deletions by row id): refused, not a database error.
  const forged = Buffer.from(JSON.stringify('h:not-a-number')).toString('base64url');
  await world.refusedUnchanged('GET', `/admin/v1/bindings/${a.id}/stopped-pass?pageToken=${forged}`, undefined, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('POST', confirm, {}, 404, 'NOT_FOUND', world.stranger);
  await world.refusedUnchanged('POST', dismiss, {}, 404, 'NOT_FOUND', world.stranger);
  assert.deepEqual((await world.call('GET', `/admin/v1/stopped-passes?bindingId=${a.id}`, undefined, world.stranger)).body.items, []);

  await t.db.query(`update bindings set lease_owner = 'elsewhere', lease_expires_at = now() + interval '1 minute' where id = $1`, [a.id]);
  await world.refusedUnchanged('POST', dismiss, {}, 409, 'BINDING_BUSY');
  await t.db.query('update bindings set lease_owner = null, lease_expires_at = null where id = $1', [a.id]);

  assert.equal((await world.call('POST', `/admin/v1/bindings/${a.id}/pause`, { reason: 'checking with the user' })).status, 200);
  await world.refusedUnchanged('POST', confirm, {}, 409, 'BINDING_PAUSED');
  assert.equal((await world.calendarSeries()).length, 8, 'nothing was deleted');
});
