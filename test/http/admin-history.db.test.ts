// "Why did this event change": its history through the admin API after the app, a
// remote, a merge and a remote deletion changed it in real passes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { instance, single, weekly } from '../helpers/events.ts';
import { operatorWorld, type Json, type OperatorWorld } from '../helpers/operator.ts';

let t: TestDatabase;
before(async () => { t = await freshDatabase(); });
after(async () => { await t.drop(); });


async function history(world: OperatorWorld, id: string, headers = world.auth): Promise<{ status: number; body: Json }> {
  const res = await world.app.inject({ method: 'GET', url: `/admin/v1/calendars/${world.calendarId}/events/${encodeURIComponent(id)}/history`, headers });
  return { status: res.statusCode, body: res.json() };
}

test('every version says who changed it, in which pass and binding, by which rule and why, and what changed', async () => {
  const world = await operatorWorld(t);
  const a = await world.bind('remote');
  const eventId = await world.appWrite(null, single({ uid: 'h-1', summary: 'Kickoff', location: '' }));
  const created = await world.pass(a);
  const [item] = a.connector.liveItems('remote');
  a.connector.userUpdate('remote', item!.remoteId, { ...item!.series, master: { ...item!.series.master!, location: 'Room 1' } });
  const pulled = await world.pass(a);
  // Both sides change different fields: a merge.
  await world.appWrite(eventId, single({ uid: 'h-1', summary: 'Kickoff (v2)', location: 'Room 1' }));
  const [again] = a.connector.liveItems('remote');
  a.connector.userUpdate('remote', again!.remoteId, { ...again!.series, master: { ...again!.series.master!, description: 'Agenda attached' } });
  const merged = await world.pass(a);
  a.connector.userDelete('remote', again!.remoteId);
  const deleted = await world.pass(a);

  const { status, body } = await history(world, eventId);
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.eventId, eventId);
  const rows = body.versions.map((v: Json) => [v.operation, v.actor, v.passId, v.bindingId, v.side, v.rule]);
  assert.deepEqual(rows, [
    ['create', 'app', null, null, 'calendar', 'app'],
    ['update', `binding:${a.id}`, pulled.passId, a.id, 'calendar', 'remote-changed'],
    ['update', 'app', null, null, 'calendar', 'app'],
    ['update', `binding:${a.id}`, merged.passId, a.id, 'calendar', 'merge/three-way'],
    ['delete', `binding:${a.id}`, deleted.passId, a.id, 'calendar', 'delete/remote'],
  ]);
  const [first, fromRemote, , merge, removal] = body.versions;
  assert.deepEqual(fromRemote.changes, [{ field: 'location', before: '', after: 'Room 1' }]);
  assert.equal(fromRemote.reason, 'only the remote changed');
  assert.ok(first.changes.some((c: Json) => c.field === 'summary' && c.before === null && c.after === 'Kickoff'), 'a first version changes every field');
  assert.deepEqual(merge.changes.map((c: Json) => c.field), ['description']);
  const decided = new Map(merge.decisions.map((d: Json) => [d.field, d.took]));
  assert.equal(decided.get('description'), 'remote');
  assert.equal(decided.get('summary'), 'calendar');
  assert.equal(removal.content, null);
  assert.equal(removal.reason, 'deleted on the remote');

  // What passes did on the remote side is there too: the create that sent it out.
  const sent = body.operations.find((o: Json) => o.side === 'remote' && o.operation === 'create');
  assert.deepEqual([sent.passId, sent.rule, sent.status, sent.remoteId], [created.passId, 'new/calendar', 'applied', item!.remoteId]);
  assert.ok(body.operations.every((o: Json) => o.operation !== 'skip'));
});

test('the id apps see names the series, an instance id narrows to that instance; unknown ids and other tenants are 404', async () => {
  const world = await operatorWorld(t);
  const eventId = await world.appWrite(null, weekly({ uid: 'series-1' }));
  await world.appWrite(eventId, weekly({ uid: 'series-1' }, [instance('2026-03-09', { uid: 'series-1', summary: 'moved' })]));
  const apiId = eventId.replace(/-/g, '');
  const bySeries = await history(world, eventId);
  const byApiId = await history(world, apiId);
  assert.deepEqual(byApiId.body, bySeries.body);
  assert.equal(bySeries.body.versions.length, 2, 'the master and the override');
  const { rows: [override] } = await t.db.query(`select api_id from events where series_id = $1 and kind = 'override'`, [eventId]);
  const narrowed = await history(world, override.api_id);
  assert.deepEqual(narrowed.body.versions.map((v: Json) => [v.operation, v.originalStart, v.content.summary]), [['create', '2026-03-09T10:00:00', 'moved']]);

  for (const id of ['nothing-here', '00000000-0000-4000-8000-000000000000']) {
    const missing = await history(world, id);
    assert.deepEqual([missing.status, missing.body.error.calsync.code], [404, 'NOT_FOUND']);
  }
  assert.equal((await history(world, eventId, world.stranger)).status, 404);
});
