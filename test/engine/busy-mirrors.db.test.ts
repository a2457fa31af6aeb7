// Busy mirrors against a real database: blocks carry only what their rule allows, leave
// free time out, keep recurrence with its exceptions, follow their sources, never feed
// another mirror (rules both ways settle, and a second refresh writes nothing), reach the
// target's bindings and leave them with their rule; a block that comes back from a
// remote is never imported.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { isMirrorBlockUid, mirrorBlockId } from '../../src/core/busy-mirror.ts';
import type { EventSeries } from '../../src/core/model.ts';
import { appTransaction, deleteAppSeries, writeAppSeries } from '../../src/engine/app-writes.ts';
import { createMirror, refreshMirror, removeMirror } from '../../src/engine/busy-mirrors.ts';
import { isCalsyncError } from '../../src/errors.ts';
import { refreshBusyMirrorJob } from '../../src/jobs/refresh-busy-mirror.ts';
import type { MirrorInput } from '../../src/store/busy-mirrors.ts';
import { createCalendar, deleteCalendar } from '../../src/store/calendars.ts';
import { listSeriesPage, type StoredSeries } from '../../src/store/events.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { engineWorld } from '../helpers/engine.ts';
import { instance, single, weekly } from '../helpers/events.ts';

let t: TestDatabase;
before(async () => { t = await freshDatabase(); });
after(async () => { await t.drop(); });

// The fixtures' events are in March 2026; the refreshes run the day before.
const deps = () => ({ db: t.db, debounceMs: 0, now: () => new Date('2026-03-01T00:00:00Z') });
const me = 'me@example.org';

/** A work calendar (the engine world's, with bindings to memory remotes) and a personal one beside it. */
async function setup() {
  const world = await engineWorld(t);
  const personal = (await createCalendar(t.db, world.tenantId, { summary: 'personal', timeZone: 'Europe/Berlin' })).id;
  const work = world.calendarId;
  /** Writes through the app's path: calendarChanged queues what the change causes. */
  const write = (calendarId: string, eventId: string | null, series: EventSeries) => {
    const scope = { tenantId: world.tenantId, calendarId };
    return appTransaction(deps(), async (tx) => ({ result: (await writeAppSeries(tx, scope, { eventId, series })).eventId, changed: [scope] }));
  };
  const remove = (calendarId: string, eventId: string) => {
    const scope = { tenantId: world.tenantId, calendarId };
    return appTransaction(deps(), async (tx) => ({ result: await deleteAppSeries(tx, scope, eventId), changed: [scope] }));
  };
  const rule = (input: Partial<MirrorInput> = {}) => createMirror(deps(), world.tenantId, { sourceCalendarId: personal, targetCalendarId: work, ownerEmail: me, ...input });
  return { world, personal, work, write, remove, rule };
}

async function seriesOf(tenantId: string, calendarId: string): Promise<StoredSeries[]> {
  return listSeriesPage(t.db, tenantId, calendarId, null, 500);
}

const blocksIn = async (tenantId: string, calendarId: string) => (await seriesOf(tenantId, calendarId)).filter((s) => isMirrorBlockUid(s.series.uid));

async function calendarVersion(calendarId: string): Promise<number> {
  const { rows: [row] } = await t.db.query<{ version: string }>('select version from calendars where id = $1', [calendarId]);
  return Number(row!.version);
}

async function queuedKeys(prefix: string): Promise<string[]> {
  const { rows } = await t.db.query<{ key: string }>(`select key from graphile_worker.jobs where key like $1 || '%' order by key`, [prefix]);
  return rows.map((r) => r.key);
}

async function clearJobs(): Promise<void> {
  await t.db.query('delete from graphile_worker._private_jobs');
}

const at = (day: string, from: string, to: string) => ({ start: { local: `${day}T${from}:00`, tz: 'Europe/Berlin' }, end: { local: `${day}T${to}:00`, tz: 'Europe/Berlin' } });

test('a rule makes blocks titled "Busy" with nothing else of the source; free, cancelled and declined events make none; tentative stays tentative', async () => {
  const { world, personal, work, write, rule } = await setup();
  const secret = { description: 'root canal, Dr. Who', location: 'Harley Street 1', attendees: [
    { email: me, name: 'Me', role: 'required' as const, response: 'accepted' as const, respondedAt: null },
    { email: 'dr@example.org', name: 'Dr. Who', role: 'required' as const, response: 'accepted' as const, respondedAt: null },
  ], organizer: { email: 'dr@example.org', name: 'Dr. Who' }, conference: { url: 'https://meet.example.org/x', provider: null }, reminders: [{ method: 'display' as const, minutesBefore: 10 }] };
  const dentist = await write(personal, null, single({ uid: 'dentist', summary: 'Dentist', ...secret, ...at('2026-03-02', '10:00', '11:00') }));
  await write(personal, null, single({ uid: 'free', summary: 'Free', transparency: 'transparent', ...at('2026-03-03', '10:00', '11:00') }));
  await write(personal, null, single({ uid: 'cancelled', summary: 'Cancelled', status: 'cancelled', ...at('2026-03-04', '10:00', '11:00') }));
  await write(personal, null, single({ uid: 'declined', summary: 'Declined', ...at('2026-03-05', '10:00', '11:00'), attendees: [
    { email: me, name: null, role: 'required', response: 'declined', respondedAt: null },
  ] }));
  const maybe = await write(personal, null, single({ uid: 'maybe', summary: 'Maybe', status: 'tentative', ...at('2026-03-06', '10:00', '11:00') }));
  await clearJobs();

  const made = await rule();
  assert.deepEqual(await queuedKeys('mirror:'), [`mirror:${made.id}`], 'a new rule queues its first refresh');
  const first = await refreshMirror(deps(), world.tenantId, made.id);
  assert.deepEqual(first, { written: 2, deleted: 0, sources: 5 });

  const blocks = await blocksIn(world.tenantId, work);
  assert.deepEqual(blocks.map((b) => b.eventId).sort(), [mirrorBlockId(made.id, dentist), mirrorBlockId(made.id, maybe)].sort(), 'derived ids, one block per busy source');
  const block = blocks.find((b) => b.eventId === mirrorBlockId(made.id, dentist))!.series.master!;
  assert.deepEqual(
    { summary: block.summary, description: block.description, location: block.location, attendees: block.attendees, organizer: block.organizer, conference: block.conference, reminders: block.reminders, visibility: block.visibility, status: block.status },
    { summary: 'Busy', description: '', location: '', attendees: [], organizer: null, conference: null, reminders: [], visibility: 'private', status: 'confirmed' });
  assert.deepEqual([block.start, block.end], [{ local: '2026-03-02T10:00:00', tz: 'Europe/Berlin' }, { local: '2026-03-02T11:00:00', tz: 'Europe/Berlin' }]);
  assert.ok(!JSON.stringify(blocks).includes('Dentist') && !JSON.stringify(blocks).includes('dentist'), 'neither the title nor the UID of the source shows');
  assert.equal(blocks.find((b) => b.eventId === mirrorBlockId(made.id, maybe))!.series.master!.status, 'tentative');
  assert.deepEqual((await seriesOf(world.tenantId, personal)).length, 5, 'the source calendar is not touched');
  assert.deepEqual(await queuedKeys('pass:'), [], 'the target has no bindings yet');

  // Asked for: title template, location, description, attendees (listed, never invited); tentative as confirmed.
  const third = (await createCalendar(t.db, world.tenantId, { summary: 'shared with family', timeZone: 'Europe/Berlin' })).id;
  const open = await rule({ targetCalendarId: third, title: '{summary} (personal)', includeLocation: true, includeDescription: true, includeAttendees: true, markTentative: false });
  await refreshMirror(deps(), world.tenantId, open.id);
  const shown = await seriesOf(world.tenantId, third);
  const shownDentist = shown.find((s) => s.eventId === mirrorBlockId(open.id, dentist))!.series.master!;
  assert.equal(shownDentist.summary, 'Dentist (personal)');
  assert.equal(shownDentist.location, 'Harley Street 1');
  assert.equal(shownDentist.description, 'root canal, Dr. Who\n\nAttendees: Me <me@example.org>, Dr. Who <dr@example.org>');
  assert.deepEqual([shownDentist.attendees, shownDentist.organizer], [[], null], 'attendees are never set on a block');
  assert.equal(shown.find((s) => s.eventId === mirrorBlockId(open.id, maybe))!.series.master!.status, 'confirmed');

  // A stable mirror writes nothing.
  const version = await calendarVersion(work);
  await clearJobs();
  assert.deepEqual(await refreshMirror(deps(), world.tenantId, made.id), { written: 0, deleted: 0, sources: 5 });
  assert.equal(await calendarVersion(work), version);
  assert.deepEqual(await queuedKeys(''), [], 'and queues nothing');
});

test('a recurring series is mirrored as a series: free or cancelled instances are excluded, moved ones stay moved', async () => {
  const { world, personal, work, write, rule } = await setup();
  const series = weekly({ uid: 'yoga', summary: 'Yoga', location: 'Gym' }, [
    instance('2026-03-09', { uid: 'yoga', transparency: 'transparent' }),
    instance('2026-03-16', { uid: 'yoga', status: 'cancelled' }),
    instance('2026-03-23', { uid: 'yoga', summary: 'Yoga, later', location: 'Park', start: { local: '2026-03-23T12:00:00', tz: 'Europe/Berlin' }, end: { local: '2026-03-23T13:00:00', tz: 'Europe/Berlin' } }),
    instance('2026-03-30', { uid: 'yoga', attendees: [{ email: me, name: null, role: 'required', response: 'declined', respondedAt: null }] }),
  ]);
  series.master!.recurrence!.exdate = ['2026-04-06T10:00:00'];
  const yoga = await write(personal, null, series);
  const made = await rule();
  await refreshMirror(deps(), world.tenantId, made.id);
  const [block] = await blocksIn(world.tenantId, work);
  assert.equal(block!.eventId, mirrorBlockId(made.id, yoga));
  assert.deepEqual(block!.series.master!.recurrence, {
    rrule: ['FREQ=WEEKLY;BYDAY=MO;COUNT=10'], rdate: [],
    exdate: ['2026-03-09T10:00:00', '2026-03-16T10:00:00', '2026-03-30T10:00:00', '2026-04-06T10:00:00'],
  });
  assert.deepEqual(block!.series.overrides.map((o) => [o.recurrenceId, o.start.local, o.summary, o.location]), [['2026-03-23T10:00:00', '2026-03-23T12:00:00', 'Busy', '']]);
  assert.deepEqual(await refreshMirror(deps(), world.tenantId, made.id), { written: 0, deleted: 0, sources: 1 });
});

test('rules both ways between two calendars settle: no block of a block, and a second round writes nothing', async () => {
  const { world, personal, work, write, rule } = await setup();
  await write(personal, null, single({ uid: 'dentist', summary: 'Dentist', ...at('2026-03-02', '10:00', '11:00') }));
  await write(work, null, single({ uid: 'standup', summary: 'Standup', ...at('2026-03-02', '09:00', '09:15') }));
  const intoWork = await rule();
  const intoPersonal = await rule({ sourceCalendarId: work, targetCalendarId: personal });
  for (let round = 0; round < 2; round++) {
    await refreshMirror(deps(), world.tenantId, intoWork.id);
    await refreshMirror(deps(), world.tenantId, intoPersonal.id);
  }
  const summaries = async (calendarId: string) => (await seriesOf(world.tenantId, calendarId)).map((s) => s.series.master!.summary).sort();
  assert.deepEqual(await summaries(work), ['Busy', 'Standup']);
  assert.deepEqual(await summaries(personal), ['Busy', 'Dentist']);
  const versions = [await calendarVersion(work), await calendarVersion(personal)];
  for (const made of [intoWork, intoPersonal]) {
    assert.deepEqual(await refreshMirror(deps(), world.tenantId, made.id), { written: 0, deleted: 0, sources: 1 }, 'each side mirrors only its own event');
  }
  assert.deepEqual([await calendarVersion(work), await calendarVersion(personal)], versions);
});

test('a change of a source queues the refresh in its transaction; the block follows edits, deletions and a source that becomes free', async () => {
  const { world, personal, work, write, remove, rule } = await setup();
  const dentist = await write(personal, null, single({ uid: 'dentist', summary: 'Dentist', ...at('2026-03-02', '10:00', '11:00') }));
  const lunch = await write(personal, null, single({ uid: 'lunch', summary: 'Lunch', ...at('2026-03-02', '12:00', '13:00') }));
  const made = await rule();
  await refreshMirror(deps(), world.tenantId, made.id);
  await clearJobs();

  await write(personal, dentist, single({ uid: 'dentist', summary: 'Dentist', ...at('2026-03-02', '15:00', '16:30') }));
  assert.deepEqual(await queuedKeys('mirror:'), [`mirror:${made.id}`], 'the change queued the rule\'s refresh');
  await write(work, null, single({ uid: 'work-only', summary: 'Review', ...at('2026-03-03', '10:00', '11:00') }));
  assert.deepEqual(await queuedKeys('mirror:'), [`mirror:${made.id}`], 'a change of the target queues no refresh of a rule into it');
  // The queued job, run as a worker runs it.
  const { rows: [job] } = await t.db.query<{ task_identifier: string; payload: unknown }>(`select j.task_identifier, p.payload from graphile_worker.jobs j join graphile_worker._private_jobs p using (id) where j.key = $1`, [`mirror:${made.id}`]);
  assert.equal(job!.task_identifier, refreshBusyMirrorJob.name);
  await refreshBusyMirrorJob.run(refreshBusyMirrorJob.parse(job!.payload), { db: t.db, workerName: 'w', engine: { ...world.deps, now: deps().now }, tombstoneMs: 0 }, undefined as never);
  assert.deepEqual(await refreshMirror(deps(), world.tenantId, made.id), { written: 0, deleted: 0, sources: 2 }, 'the job did the work');
  const moved = (await blocksIn(world.tenantId, work)).find((b) => b.eventId === mirrorBlockId(made.id, dentist))!;
  assert.deepEqual([moved.series.master!.start.local, moved.series.master!.end.local], ['2026-03-02T15:00:00', '2026-03-02T16:30:00']);

  await remove(personal, dentist);
  await write(personal, lunch, single({ uid: 'lunch', summary: 'Lunch', transparency: 'transparent', ...at('2026-03-02', '12:00', '13:00') }));
  assert.deepEqual(await refreshMirror(deps(), world.tenantId, made.id), { written: 0, deleted: 2, sources: 1 });
  assert.deepEqual(await blocksIn(world.tenantId, work), []);
  const { rows: [left] } = await t.db.query<{ n: number }>('select count(*)::int as n from busy_mirror_blocks where mirror_id = $1', [made.id]);
  assert.equal(left!.n, 0);

  // Busy again: the block is back, with the same id.
  await write(personal, lunch, single({ uid: 'lunch', summary: 'Lunch', ...at('2026-03-02', '12:00', '13:00') }));
  await refreshMirror(deps(), world.tenantId, made.id);
  assert.deepEqual((await blocksIn(world.tenantId, work)).map((b) => b.eventId), [mirrorBlockId(made.id, lunch)]);
});

test('series that ended more than a day before a refresh are not mirrored', async () => {
  const { world, personal, work, write, rule } = await setup();
  await write(personal, null, single({ uid: 'old', summary: 'Old', ...at('2026-03-02', '10:00', '11:00') }));
  await write(personal, null, weekly({ uid: 'endless', summary: 'Endless', recurrence: { rrule: ['FREQ=WEEKLY'], rdate: [], exdate: [] } }));
  const made = await rule();
  const later = { ...deps(), now: () => new Date('2026-03-04T00:00:00Z') };
  assert.deepEqual(await refreshMirror(later, world.tenantId, made.id), { written: 1, deleted: 0, sources: 1 });
  assert.deepEqual((await blocksIn(world.tenantId, work)).map((b) => b.series.master!.recurrence?.rrule), [['FREQ=WEEKLY']]);
});

test('removing a rule deletes its blocks everywhere: in the target calendar and, through its bindings, at the provider', async () => {
  const { world, personal, work, write, rule } = await setup();
  const remote = await world.bind('outlook-work');
  await write(personal, null, single({ uid: 'dentist', summary: 'Dentist', ...at('2026-03-02', '10:00', '11:00') }));
  await write(personal, null, weekly({ uid: 'yoga', summary: 'Yoga' }));
  const made = await rule();
  await clearJobs();
  await refreshMirror(deps(), world.tenantId, made.id);
  assert.deepEqual(await queuedKeys('pass:'), [`pass:${remote.id}`], 'the blocks queued a pass of the target\'s binding');
  assert.equal((await world.pass(remote)).outcome, 'ok');
  const items = remote.connector.liveItems('outlook-work');
  assert.deepEqual(items.map((i) => i.series.master!.summary), ['Busy', 'Busy']);
  assert.ok(items.every((i) => isMirrorBlockUid(i.series.uid)));

  await clearJobs();
  assert.deepEqual(await removeMirror(deps(), world.tenantId, made.id), { deleted: 2 });
  assert.deepEqual(await queuedKeys('pass:'), [`pass:${remote.id}`], 'the removal queued a pass of the target\'s binding');
  assert.deepEqual(await blocksIn(world.tenantId, work), []);
  const { rows: [rules] } = await t.db.query<{ n: number }>('select count(*)::int as n from busy_mirrors where id = $1', [made.id]);
  assert.equal(rules!.n, 0);
  assert.equal((await world.pass(remote)).outcome, 'ok');
  assert.deepEqual(remote.connector.liveItems('outlook-work'), [], 'the provider deleted the blocks');
  // A refresh queued before the removal finds no rule and changes nothing.
  assert.equal(await refreshMirror(deps(), world.tenantId, made.id), null);
  await assert.rejects(removeMirror(deps(), world.tenantId, made.id), (e) => isCalsyncError(e, 'NOT_FOUND'));
});

test('a rule whose calendar was deleted refreshes nothing, and can still be removed', async () => {
  const { world, personal, work, write, rule } = await setup();
  await write(personal, null, single({ uid: 'dentist', summary: 'Dentist', ...at('2026-03-02', '10:00', '11:00') }));
  const made = await rule();
  await refreshMirror(deps(), world.tenantId, made.id);
  await write(personal, null, single({ uid: 'lunch', summary: 'Lunch', ...at('2026-03-02', '12:00', '13:00') }));
  await deleteCalendar(t.db, world.tenantId, work);
  const version = await calendarVersion(work);
  assert.deepEqual(await refreshMirror(deps(), world.tenantId, made.id), { written: 0, deleted: 0, sources: 0 });
  assert.deepEqual(await removeMirror(deps(), world.tenantId, made.id), { deleted: 0 });
  assert.equal(await calendarVersion(work), version, 'the deleted calendar took no writes');
  const { rows: [rules] } = await t.db.query<{ n: number }>('select count(*)::int as n from busy_mirrors where id = $1', [made.id]);
  assert.equal(rules!.n, 0);
});

test('a block coming back from a remote through any binding is never imported as a new event', async () => {
  const { world, personal, write, rule } = await setup();
  const remote = await world.bind('shared-remote');
  await write(personal, null, single({ uid: 'dentist', summary: 'Dentist', ...at('2026-03-02', '10:00', '11:00') }));
  const made = await rule();
  await refreshMirror(deps(), world.tenantId, made.id);
  assert.equal((await world.pass(remote)).outcome, 'ok');
  assert.equal(remote.connector.liveItems('shared-remote').length, 1);
  // Another calendar bound to the same remote calendar (and, on the way back, the source's own binding) meets the block.
  const other = await engineWorld(t);
  const otherBinding = await other.bind('shared-remote', {}, remote.connector);
  const pass = await other.pass(otherBinding);
  assert.equal(pass.outcome, 'ok');
  assert.deepEqual(await other.calendarSeries(), [], 'the block stays a mirror');
  assert.equal((await world.pass(remote)).outcome, 'ok');
  assert.equal((await blocksIn(world.tenantId, world.calendarId)).length, 1, 'and stays one block in its own calendar');
});

test('bad input is refused with a clear error and changes nothing', async () => {
  const { world, personal, work, rule } = await setup();
  const stranger = await engineWorld(t);
  await rule();
  const before = async () => {
    const { rows: [row] } = await t.db.query<{ n: number }>('select count(*)::int as n from busy_mirrors where tenant_id = $1', [world.tenantId]);
    return row!.n;
  };
  await clearJobs();
  for (const [input, code, pattern] of [
    [{ targetCalendarId: personal }, 'INVALID_REQUEST', /cannot mirror its busy time into itself/],
    [{ targetCalendarId: '00000000-0000-4000-8000-000000000000' }, 'NOT_FOUND', /calendar 00000000-0000-4000-8000-000000000000 not found/],
    [{ targetCalendarId: stranger.calendarId }, 'NOT_FOUND', new RegExp(`calendar ${stranger.calendarId} not found`)],
    [{ sourceCalendarId: 'personal' }, 'NOT_FOUND', /calendar "personal" not found/],
    [{ title: ' ' }, 'INVALID_REQUEST', /title must be 1 to 200 characters/],
    [{ ownerEmail: 'me' }, 'INVALID_REQUEST', /ownerEmail "me" is not an address/],
    [{}, 'MIRROR_EXISTS', new RegExp(`calendar ${personal} already mirrors its busy time into ${work}`)],
  ] as const) {
    await assert.rejects(rule(input), (e) => isCalsyncError(e, code) && pattern.test(e.message), JSON.stringify(input));
  }
  assert.equal(await before(), 1);
  assert.deepEqual(await queuedKeys(''), []);
});
