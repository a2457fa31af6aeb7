import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { resolveConflict } from '../../src/engine/conflicts.ts';
import { listConflicts } from '../../src/store/conflicts.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { converge, editRemoteMaster, engineWorld, remoteItemOf } from '../helpers/engine.ts';
import { single } from '../helpers/events.ts';

let t: TestDatabase;
before(async () => { t = await freshDatabase(); });
after(async () => { await t.drop(); });

test('under manual, a field both sides changed keeps each side\'s value until a person decides; the other fields still merge; the decision reaches every side', async () => {
  const world = await engineWorld(t);
  const asked = await world.bind('manual-a', { conflictPolicy: { mode: 'manual' } });
  const other = await world.bind('manual-b');
  const eventId = await world.appWrite(null, single({ uid: 'm-1', summary: 'Planning', location: '' }));
  await converge(world, [asked, other]);

  await world.appWrite(eventId, single({ uid: 'm-1', summary: 'Planning (app)', location: '' }));
  editRemoteMaster(asked, 'm-1', { summary: 'Planning (remote)', location: 'Room 3' });
  await converge(world, [asked, other]);

  const calendar = async () => (await world.calendarSeries()).find((s) => s.series.uid === 'm-1')!.series.master!;
  assert.equal((await calendar()).summary, 'Planning (app)', 'the calendar kept its value');
  assert.equal(remoteItemOf(asked, 'm-1').series.master!.summary, 'Planning (remote)', 'the remote kept its value');
  assert.equal((await calendar()).location, 'Room 3', 'the field only the remote changed merged');
  assert.equal(remoteItemOf(other, 'm-1').series.master!.location, 'Room 3');
  assert.equal(remoteItemOf(other, 'm-1').series.master!.summary, 'Planning (app)');

  // Further passes ask once, and write nothing.
  await converge(world, [asked, other]);
  const open = await listConflicts(t.db, world.tenantId, { state: 'open' });
  assert.deepEqual(open.map((c) => [c.field, c.calendar, c.remote, c.base]), [['summary', 'Planning (app)', 'Planning (remote)', 'Planning']]);

  const resolved = await resolveConflict({ db: t.db, debounceMs: 0 }, world.tenantId, open[0]!.id, { take: 'remote' });
  assert.equal(resolved.state, 'resolved');
  await converge(world, [asked, other]);
  assert.equal((await calendar()).summary, 'Planning (remote)');
  assert.equal(remoteItemOf(asked, 'm-1').series.master!.summary, 'Planning (remote)');
  assert.equal(remoteItemOf(other, 'm-1').series.master!.summary, 'Planning (remote)');
  assert.deepEqual(await listConflicts(t.db, world.tenantId, { state: 'open' }), []);
  const { rows } = await t.db.query(`select actor from event_history where event_id = $1 order by version desc limit 1`, [eventId]);
  assert.equal(rows[0].actor, 'operator', 'the decision is in the event\'s history');
  await assert.rejects(resolveConflict({ db: t.db, debounceMs: 0 }, world.tenantId, open[0]!.id, { take: 'calendar' }), { code: 'CONFLICT_NOT_OPEN' });
});

test('a person can give a value of their own, and keeping the calendar\'s value still reaches the remote', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('manual-c', { conflictPolicy: { mode: 'manual' } });
  const first = await world.appWrite(null, single({ uid: 'm-2', summary: 'One' }));
  const second = await world.appWrite(null, single({ uid: 'm-3', summary: 'Two' }));
  await converge(world, [a]);
  await world.appWrite(first, single({ uid: 'm-2', summary: 'One (app)' }));
  await world.appWrite(second, single({ uid: 'm-3', summary: 'Two (app)' }));
  editRemoteMaster(a, 'm-2', { summary: 'One (remote)' });
  editRemoteMaster(a, 'm-3', { summary: 'Two (remote)' });
  await converge(world, [a]);
  const open = await listConflicts(t.db, world.tenantId, { state: 'open' });
  assert.equal(open.length, 2);
  const conflictOf = (eventId: string) => open.find((c) => c.eventId === eventId)!;

  await assert.rejects(resolveConflict({ db: t.db, debounceMs: 0 }, world.tenantId, conflictOf(first).id, { value: 42 }), { code: 'INVALID_REQUEST' });
  assert.equal((await listConflicts(t.db, world.tenantId, { state: 'open' })).length, 2, 'a refused value changes nothing');
  await resolveConflict({ db: t.db, debounceMs: 0 }, world.tenantId, conflictOf(first).id, { value: 'One (agreed)' });
  await resolveConflict({ db: t.db, debounceMs: 0 }, world.tenantId, conflictOf(second).id, { take: 'calendar' });
  await converge(world, [a]);
  assert.equal(remoteItemOf(a, 'm-2').series.master!.summary, 'One (agreed)');
  assert.equal(remoteItemOf(a, 'm-3').series.master!.summary, 'Two (app)');
  const summaries = new Map((await world.calendarSeries()).map((s) => [s.series.uid, s.series.master!.summary]));
  assert.deepEqual([summaries.get('m-2'), summaries.get('m-3')], ['One (agreed)', 'Two (app)']);
});

test('a conflict the sides settle themselves closes; another tenant cannot read or resolve it', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('manual-d', { conflictPolicy: { mode: 'manual' } });
  const eventId = await world.appWrite(null, single({ uid: 'm-4', summary: 'Four' }));
  await converge(world, [a]);
  await world.appWrite(eventId, single({ uid: 'm-4', summary: 'Four (app)' }));
  editRemoteMaster(a, 'm-4', { summary: 'Four (remote)' });
  await converge(world, [a]);
  const [open] = await listConflicts(t.db, world.tenantId, { state: 'open' });
  const stranger = await engineWorld(t);
  await assert.rejects(resolveConflict({ db: t.db, debounceMs: 0 }, stranger.tenantId, open!.id, { take: 'remote' }), { code: 'NOT_FOUND' });
  assert.deepEqual(await listConflicts(t.db, stranger.tenantId, { state: 'open' }), []);
  // Someone edits the remote to the calendar's value: nothing is left to ask.
  editRemoteMaster(a, 'm-4', { summary: 'Four (app)' });
  await converge(world, [a]);
  assert.deepEqual(await listConflicts(t.db, world.tenantId, { state: 'open' }), []);
  const [closed] = await listConflicts(t.db, world.tenantId, { state: 'resolved' });
  assert.equal(closed?.resolvedBy, 'calsync: the sides came to agree');
});

test('an edit against a delete under ask waits for a person; keeping the edit restores the event everywhere', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('ask-a', { conflictPolicy: { mode: 'default', editVsDelete: 'ask' } });
  const b = await world.bind('ask-b');
  const eventId = await world.appWrite(null, single({ uid: 'd-1', summary: 'Kept?' }));
  await converge(world, [a, b]);
  await world.appDelete(eventId);
  editRemoteMaster(a, 'd-1', { summary: 'Kept (edited)' });
  await converge(world, [a, b]);
  assert.equal(remoteItemOf(a, 'd-1').series.master!.summary, 'Kept (edited)', 'the edited item waits for a person');
  assert.equal(remoteItemOf(b, 'd-1'), undefined, 'the other binding carried the delete out');
  const [open] = await listConflicts(t.db, world.tenantId, { state: 'open' });
  assert.equal(open?.field, '(deleted)');
  await assert.rejects(resolveConflict({ db: t.db, debounceMs: 0 }, world.tenantId, open!.id, { value: 'x' }), { code: 'INVALID_REQUEST' });
  await resolveConflict({ db: t.db, debounceMs: 0 }, world.tenantId, open!.id, { take: 'remote' });
  await converge(world, [a, b]);
  assert.equal((await world.calendarSeries()).find((s) => s.series.uid === 'd-1')?.series.master?.summary, 'Kept (edited)');
  assert.equal(remoteItemOf(b, 'd-1')?.series.master?.summary, 'Kept (edited)');
});

test('an item edited again while a person decides an edit against a delete: keeping the edit restores what the remote holds now', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('ask-again', { conflictPolicy: { mode: 'default', editVsDelete: 'ask' } });
  const eventId = await world.appWrite(null, single({ uid: 'd-2', summary: 'Kept?' }));
  await converge(world, [a]);
  await world.appDelete(eventId);
  editRemoteMaster(a, 'd-2', { summary: 'Kept (edited)' });
  await converge(world, [a]);
  // Edited again before anyone decided; the pass that lists this version is the only one that will.
  editRemoteMaster(a, 'd-2', { location: 'Room 7' });
  await converge(world, [a]);
  const [open] = await listConflicts(t.db, world.tenantId, { state: 'open' });
  assert.equal((open?.remote as { master: { location: string } }).master.location, 'Room 7', 'the conflict shows the remote as it is now');
  await resolveConflict({ db: t.db, debounceMs: 0 }, world.tenantId, open!.id, { take: 'remote' });
  await converge(world, [a]);
  const restored = (await world.calendarSeries()).find((s) => s.series.uid === 'd-2')?.series.master;
  assert.deepEqual([restored?.summary, restored?.location], ['Kept (edited)', 'Room 7']);
  assert.deepEqual(await listConflicts(t.db, world.tenantId, { state: 'open' }), []);
});

test('a field asked of a person, then the calendar deletes what the remote edits again: taking the delete deletes the remote copy and asks nothing more', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('asked-then-deleted', { conflictPolicy: { mode: 'manual' } });
  const eventId = await world.appWrite(null, single({ uid: 'd-3', summary: 'Plan' }));
  await converge(world, [a]);
  await world.appWrite(eventId, single({ uid: 'd-3', summary: 'Plan (calendar)' }));
  editRemoteMaster(a, 'd-3', { summary: 'Plan (remote)' });
  await converge(world, [a]);
  await world.appDelete(eventId);
  editRemoteMaster(a, 'd-3', { location: 'Room 9' });
  await converge(world, [a]);
  const deletion = (await listConflicts(t.db, world.tenantId, { state: 'open' })).find((c) => c.field === '(deleted)');
  assert.ok(deletion, 'the delete against the new edit is asked');
  await resolveConflict({ db: t.db, debounceMs: 0 }, world.tenantId, deletion.id, { take: 'calendar' });
  await converge(world, [a]);
  assert.equal(remoteItemOf(a, 'd-3'), undefined, 'the remote copy is deleted');
  assert.deepEqual((await listConflicts(t.db, world.tenantId, { state: 'open' })).filter((c) => c.field === '(deleted)'), [], 'and the delete is not asked again');
});

test('an edit against a delete the remote then deletes too: the question closes, the status goes, and the event stays deleted', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('deleted-both', { conflictPolicy: { mode: 'default', editVsDelete: 'ask' } });
  const b = await world.bind('deleted-both-other');
  const eventId = await world.appWrite(null, single({ uid: 'd-4', summary: 'Gone?' }));
  await converge(world, [a, b]);
  await world.appDelete(eventId);
  editRemoteMaster(a, 'd-4', { summary: 'Gone? (edited)' });
  await converge(world, [a, b]);
  assert.equal((await listConflicts(t.db, world.tenantId, { state: 'open' })).length, 1, 'the edit against the delete is asked');
  a.connector.userDelete(a.remoteCalendarId, remoteItemOf(a, 'd-4').remoteId);
  await converge(world, [a, b]);
  // Left open, taking the remote would restore an edit no side holds, and the binding
  // whose status named the deleted item would never send it back.
  assert.deepEqual(await listConflicts(t.db, world.tenantId, { state: 'open' }), [], 'both sides deleted it: nothing is left to decide');
  const { rows } = await t.db.query('select 1 from sync_status where tenant_id = $1 and event_id = $2', [world.tenantId, eventId]);
  assert.deepEqual(rows, [], 'no binding keeps a status for the deleted item');
  assert.equal((await world.calendarSeries()).find((s) => s.series.uid === 'd-4'), undefined, 'the event stays deleted');
  assert.equal(remoteItemOf(b, 'd-4'), undefined);
});

test('an edit kept against a delete is not undone by an older version a lagging replica replays after the decision', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('kept-then-replayed', { conflictPolicy: { mode: 'default', editVsDelete: 'ask' } });
  const eventId = await world.appWrite(null, single({ uid: 'd-5', summary: 'Draft' }));
  await converge(world, [a]);
  // Versions a few milliseconds apart, so their last-modified instants tell them apart.
  const later = () => new Promise((resolve) => setTimeout(resolve, 5));
  await later();
  editRemoteMaster(a, 'd-5', { summary: 'Draft (first edit)' });
  await later();
  editRemoteMaster(a, 'd-5', { summary: 'Draft (second edit)' });
  await world.appDelete(eventId);
  await converge(world, [a]);
  const [open] = await listConflicts(t.db, world.tenantId, { state: 'open' });
  assert.equal((open?.remote as { master: { summary: string } }).master.summary, 'Draft (second edit)');
  await resolveConflict({ db: t.db, debounceMs: 0 }, world.tenantId, open!.id, { take: 'remote' });
  // Every listing from now on ends with an older version of the item, one picked at random.
  a.connector.faults.staleReplay = 1;
  for (let i = 0; i < 8; i++) await world.pass(a);
  await converge(world, [a]);
  assert.equal((await world.calendarSeries()).find((s) => s.series.uid === 'd-5')?.series.master?.summary, 'Draft (second edit)', 'the kept edit stands');
  assert.equal(remoteItemOf(a, 'd-5').series.master!.summary, 'Draft (second edit)');
});
