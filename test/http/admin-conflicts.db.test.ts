// Conflicts through the admin API, with the real engine behind memory connectors: a
// field both sides changed under `manual` is listed with its three values, resolved by a
// side or a value, and the choice reaches every binding; refusals change nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { converge, remoteItemOf } from '../helpers/engine.ts';
import { single } from '../helpers/events.ts';
import { operatorWorld, type Json } from '../helpers/operator.ts';

let t: TestDatabase;
before(async () => { t = await freshDatabase(); });
after(async () => { await t.drop(); });

test('open conflicts are listed with base, calendar and remote values; resolving one reaches every binding and is audited', async () => {
  const world = await operatorWorld(t);
  const asked = await world.bind('asked', { conflictPolicy: { mode: 'manual' } });
  const other = await world.bind('other');
  const eventId = await world.appWrite(null, single({ uid: 'c-1', summary: 'Board', location: 'Room 1' }));
  await converge(world, [asked, other]);
  await world.appWrite(eventId, single({ uid: 'c-1', summary: 'Board (app)', location: 'Room 2' }));
  const item = remoteItemOf(asked, 'c-1');
  asked.connector.userUpdate('asked', item.remoteId, { ...item.series, master: { ...item.series.master!, summary: 'Board (remote)', location: 'Room 3' } });
  await converge(world, [asked, other]);

  const listed = await world.call('GET', '/admin/v1/conflicts');
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.body.items.map((c: Json) => [c.bindingId, c.eventId, c.field, c.base, c.calendar, c.remote, c.state]).sort(), [
    [asked.id, eventId, 'location', 'Room 1', 'Room 2', 'Room 3', 'open'],
    [asked.id, eventId, 'summary', 'Board', 'Board (app)', 'Board (remote)', 'open'],
  ]);
  assert.deepEqual((await world.call('GET', '/admin/v1/conflicts', undefined, world.stranger)).body.items, [], 'another tenant sees none');
  const page = await world.call('GET', '/admin/v1/conflicts?maxResults=1');
  const next = await world.call('GET', `/admin/v1/conflicts?maxResults=1&pageToken=${page.body.nextPageToken}`);
  assert.equal(next.body.nextPageToken, null);
  assert.equal(new Set([page.body.items[0].id, next.body.items[0].id]).size, 2);
  const byField = new Map(listed.body.items.map((c: Json) => [c.field, c]));
  const summary = byField.get('summary') as Json;
  const location = byField.get('location') as Json;
  assert.equal((await world.call('GET', `/admin/v1/conflicts/${summary.id}`)).body.remote, 'Board (remote)');

  // Refusals change nothing.
  const resolve = (id: string) => `/admin/v1/conflicts/${id}/resolve`;
  await world.refusedUnchanged('POST', resolve(summary.id), {}, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('POST', resolve(summary.id), { take: 'remote', value: 'x' }, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('POST', resolve(summary.id), { value: { not: 'a title' } }, 400, 'INVALID_REQUEST');
  await world.refusedUnchanged('POST', resolve(summary.id), { take: 'remote' }, 404, 'NOT_FOUND', world.stranger);
  await world.refusedUnchanged('POST', resolve('00000000-0000-4000-8000-000000000000'), { take: 'remote' }, 404, 'NOT_FOUND');

  const took = await world.call('POST', resolve(summary.id), { take: 'remote', note: 'the remote title is right' });
  assert.equal(took.status, 200, JSON.stringify(took.body));
  assert.equal(took.body.state, 'resolved');
  const gave = await world.call('POST', resolve(location.id), { value: 'Room 9' });
  assert.equal(gave.status, 200, JSON.stringify(gave.body));
  await world.refusedUnchanged('POST', resolve(summary.id), { take: 'calendar' }, 409, 'CONFLICT_NOT_OPEN');

  await converge(world, [asked, other]);
  for (const side of [asked, other]) {
    assert.equal(remoteItemOf(side, 'c-1').series.master!.summary, 'Board (remote)');
    assert.equal(remoteItemOf(side, 'c-1').series.master!.location, 'Room 9');
  }
  const [series] = await world.calendarSeries();
  assert.deepEqual([series!.series.master!.summary, series!.series.master!.location], ['Board (remote)', 'Room 9']);
  assert.deepEqual((await world.call('GET', '/admin/v1/conflicts')).body.items, []);
  assert.equal((await world.call('GET', '/admin/v1/conflicts?state=resolved')).body.items.length, 2);
  const audit = await world.call('GET', '/admin/v1/operator-actions');
  const resolutions = audit.body.items.filter((a: Json) => a.action === 'conflict.resolve');
  assert.equal(resolutions.length, 2);
  assert.match(resolutions[0].actor, /^api-key:/);
});
