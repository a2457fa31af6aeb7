import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createCalendar } from '../../src/store/calendars.ts';
import { deleteSeries, deleteSeriesBatch, writeSeries, writeSeriesBatch, type WriteContext } from '../../src/store/event-writes.ts';
import { changedSince, getSeries, getSeriesByUid, getTombstones, listSeriesPage } from '../../src/store/events.ts';
import { createTenant } from '../../src/store/tenants.ts';
import { withTransaction } from '../../src/store/db.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { instance, single, weekly } from '../helpers/events.ts';

let t: TestDatabase;
let ctx: WriteContext;
let other: WriteContext;
before(async () => {
  t = await freshDatabase();
  const tenant = await createTenant(t.db, 'a');
  const calendar = await createCalendar(t.db, tenant.id, { summary: 'work', timeZone: 'Europe/Berlin' });
  ctx = { tenantId: tenant.id, calendarId: calendar.id, actor: 'app' };
  const tenantB = await createTenant(t.db, 'b');
  const calendarB = await createCalendar(t.db, tenantB.id, { summary: 'b' });
  other = { tenantId: tenantB.id, calendarId: calendarB.id, actor: 'app' };
});
after(async () => { await t.drop(); });

async function version(): Promise<number> {
  const { rows: [row] } = await t.db.query<{ version: string }>('select version from calendars where id = $1', [ctx.calendarId]);
  return Number(row!.version);
}

test('a single event round-trips exactly, with one version, one change-log row and one history row', async () => {
  const series = single({ uid: 'round-trip', attendees: [{ email: 'a@x.org', name: 'A', role: 'required', response: 'accepted', respondedAt: null }], reminders: [{ method: 'display', minutesBefore: 10 }], extras: { ical: { x: ['X-FOO:bar'] } } });
  const before = await version();
  const { eventId, changed } = await withTransaction(t.db, (c) => writeSeries(c, ctx, null, series));
  assert.equal(changed, 1);
  const [stored] = await getSeries(t.db, ctx.tenantId, ctx.calendarId, [eventId]);
  assert.deepEqual(stored!.series, series);
  assert.equal(await version(), before + 1);
  const { rows: log } = await t.db.query('select operation from change_log where event_id = $1', [eventId]);
  assert.deepEqual(log.map((r) => r.operation), ['create']);
  const { rows: history } = await t.db.query<{ content: { summary: string } }>('select content from event_history where event_id = $1', [eventId]);
  assert.equal(history[0]!.content.summary, 'Planning');

  const again = await withTransaction(t.db, (c) => writeSeries(c, ctx, eventId, series));
  assert.equal(again.changed, 0, 'writing the same content changes nothing');
  assert.equal(await version(), before + 1);
});

test('all-day and floating times keep their form; instants use the calendar zone', async () => {
  const allDay = single({ uid: 'all-day', allDay: true, start: { local: '2026-12-24', tz: null }, end: { local: '2026-12-26', tz: null } });
  const floating = single({ uid: 'floating', start: { local: '2026-07-01T09:00:00', tz: null }, end: { local: '2026-07-01T09:30:00', tz: null } });
  for (const series of [allDay, floating]) {
    const { eventId } = await withTransaction(t.db, (c) => writeSeries(c, ctx, null, series));
    assert.deepEqual((await getSeries(t.db, ctx.tenantId, ctx.calendarId, [eventId]))[0]!.series, series);
  }
  const { rows } = await t.db.query<{ ical_uid: string; start_at: Date; end_at: Date }>(
    `select ical_uid, start_at, end_at from events where ical_uid in ('all-day', 'floating') order by ical_uid`);
  assert.equal(rows[0]!.start_at.toISOString(), '2026-12-23T23:00:00.000Z', 'Berlin midnight');
  assert.equal(rows[0]!.end_at.toISOString(), '2026-12-25T23:00:00.000Z');
  assert.equal(rows[1]!.start_at.toISOString(), '2026-07-01T07:00:00.000Z', 'summer time in Berlin');
});

test('a series with overrides: overrides are rows of the series; one dropped becomes a tombstone', async () => {
  const series = weekly({ uid: 'weekly' }, [instance('2026-03-09', { uid: 'weekly', summary: 'moved', start: { local: '2026-03-09T12:00:00', tz: 'Europe/Berlin' }, end: { local: '2026-03-09T13:00:00', tz: 'Europe/Berlin' } }), instance('2026-03-16', { uid: 'weekly', status: 'cancelled' })]);
  const { eventId, changed } = await withTransaction(t.db, (c) => writeSeries(c, ctx, null, series));
  assert.equal(changed, 3);
  assert.deepEqual((await getSeriesByUid(t.db, ctx.tenantId, ctx.calendarId, ['weekly']))[0]!.series, series);
  const { rows: [until] } = await t.db.query<{ series_until_at: Date }>('select series_until_at from events where id = $1', [eventId]);
  const lastInstanceEnd = Date.parse('2026-05-04T09:00:00Z'); // the tenth Monday, 11:00 Berlin
  assert.ok(until!.series_until_at.getTime() >= lastInstanceEnd, 'the bound covers the last instance');
  assert.ok(until!.series_until_at.getTime() <= lastInstanceEnd + 11 * 86_400_000, 'and stays close to it');

  const fewer = { ...series, overrides: [series.overrides[0]!] };
  const before = await version();
  assert.equal((await withTransaction(t.db, (c) => writeSeries(c, ctx, eventId, fewer))).changed, 1);
  assert.equal(await version(), before + 1);
  assert.deepEqual((await getSeries(t.db, ctx.tenantId, ctx.calendarId, [eventId]))[0]!.series, fewer);
  const { rows } = await t.db.query('select operation from change_log c join events e on e.id = c.event_id where e.series_id = $1 order by c.version', [eventId]);
  assert.deepEqual(rows.map((r) => r.operation), ['create', 'create', 'create', 'delete']);
});

test('an open-ended series has no end; an override without its master is kept', async () => {
  const open = weekly({ uid: 'open', recurrence: { rrule: ['FREQ=DAILY'], rdate: [], exdate: [] } });
  const { eventId } = await withTransaction(t.db, (c) => writeSeries(c, ctx, null, open));
  const { rows: [row] } = await t.db.query<{ series_until_at: Date | null }>('select series_until_at from events where id = $1', [eventId]);
  assert.equal(row!.series_until_at, null);
  const until = weekly({ uid: 'until', recurrence: { rrule: ['FREQ=WEEKLY;BYDAY=MO;UNTIL=20260401T000000Z'], rdate: ['2026-06-01T10:00:00'], exdate: [] } });
  const bounded = await withTransaction(t.db, (c) => writeSeries(c, ctx, null, until));
  const { rows: [b] } = await t.db.query<{ series_until_at: Date }>('select series_until_at from events where id = $1', [bounded.eventId]);
  assert.equal(b!.series_until_at.toISOString(), '2026-06-01T09:00:00.000Z', 'the RDATE after UNTIL is the last instance');
  const orphan = { uid: 'orphan', master: null, overrides: [instance('2026-03-09', { uid: 'orphan' })] };
  const written = await withTransaction(t.db, (c) => writeSeries(c, ctx, null, orphan));
  assert.deepEqual((await getSeries(t.db, ctx.tenantId, ctx.calendarId, [written.eventId]))[0]!.series, orphan);
});

test('deleting a series leaves tombstones with its UID and a delete per row', async () => {
  const { eventId } = await withTransaction(t.db, (c) => writeSeries(c, ctx, null, weekly({ uid: 'to-delete' }, [instance('2026-03-09', { uid: 'to-delete' })])));
  assert.equal(await withTransaction(t.db, (c) => deleteSeries(c, ctx, eventId)), 2);
  assert.deepEqual(await getSeries(t.db, ctx.tenantId, ctx.calendarId, [eventId]), []);
  const [tombstone] = await getTombstones(t.db, ctx.tenantId, ctx.calendarId, [eventId]);
  assert.equal(tombstone!.uid, 'to-delete');
  assert.deepEqual(tombstone!.lastSeries, weekly({ uid: 'to-delete' }, [instance('2026-03-09', { uid: 'to-delete' })]), 'the content it had when deleted');
  assert.equal(await withTransaction(t.db, (c) => deleteSeries(c, ctx, eventId)), 0, 'deleting again is a no-op');
  const revived = await withTransaction(t.db, (c) => writeSeries(c, ctx, eventId, single({ uid: 'to-delete' })));
  assert.equal(revived.changed, 1, 'restoring writes the master; the override left out stays deleted');
  assert.deepEqual(await getTombstones(t.db, ctx.tenantId, ctx.calendarId, [eventId]), []);
});

test('changes since a version list each changed series once per window, in version order', async () => {
  const start = await version();
  const a = await withTransaction(t.db, (c) => writeSeries(c, ctx, null, single({ uid: 'c-a' })));
  const b = await withTransaction(t.db, (c) => writeSeries(c, ctx, null, single({ uid: 'c-b' })));
  await withTransaction(t.db, (c) => writeSeries(c, ctx, a.eventId, single({ uid: 'c-a', summary: 'edited' })));
  const changes = await changedSince(t.db, ctx.tenantId, ctx.calendarId, start, 100);
  assert.deepEqual(changes.changes, [{ eventId: b.eventId, version: start + 2 }, { eventId: a.eventId, version: start + 3 }]);
  assert.equal(changes.upTo, start + 3);
  // A window of one change-log row: a's creation; its edit comes in a later window.
  const first = await changedSince(t.db, ctx.tenantId, ctx.calendarId, start, 1);
  assert.deepEqual(first, { changes: [{ eventId: a.eventId, version: start + 1 }], upTo: start + 1 });
  assert.deepEqual((await changedSince(t.db, ctx.tenantId, ctx.calendarId, first.upTo, 2)).changes.map((c) => c.eventId), [b.eventId, a.eventId]);
});

test('pages of live series cover the calendar once, in id order', async () => {
  const seen: string[] = [];
  for (let after: string | null = null; ;) {
    const page = await listSeriesPage(t.db, ctx.tenantId, ctx.calendarId, after, 3);
    if (page.length === 0) break;
    seen.push(...page.map((s) => s.eventId));
    after = page.at(-1)!.eventId;
  }
  const { rows } = await t.db.query<{ n: string }>('select count(distinct series_id) as n from events where calendar_id = $1 and deleted_at is null', [ctx.calendarId]);
  assert.equal(seen.length, Number(rows[0]!.n));
  assert.deepEqual(seen, [...seen].sort());
});

test("another tenant's calendar cannot be read or written through these functions", async () => {
  const { eventId } = await withTransaction(t.db, (c) => writeSeries(c, ctx, null, single({ uid: 'private' })));
  assert.deepEqual(await getSeries(t.db, other.tenantId, ctx.calendarId, [eventId]), []);
  await assert.rejects(withTransaction(t.db, (c) => writeSeries(c, { ...other, calendarId: ctx.calendarId }, null, single())), { code: 'NOT_FOUND' });
  assert.equal(await withTransaction(t.db, (c) => deleteSeries(c, { ...other, calendarId: ctx.calendarId }, eventId)), 0);
  assert.equal((await getSeries(t.db, ctx.tenantId, ctx.calendarId, [eventId])).length, 1);
});

test('content that breaks a schema rule is refused and changes nothing', async () => {
  const before = await version();
  const bad = single({ uid: 'bad', status: 'maybe' as never });
  await assert.rejects(withTransaction(t.db, (c) => writeSeries(c, ctx, null, bad)), { name: 'CoreError', message: /status/ });
  const mixed = weekly({ uid: 'mixed' }, [instance('2026-03-09', { uid: 'someone-else' })]);
  await assert.rejects(withTransaction(t.db, (c) => writeSeries(c, ctx, null, mixed)), { name: 'CoreError', message: /uid/ });
  assert.equal(await version(), before);
  assert.deepEqual(await getSeriesByUid(t.db, ctx.tenantId, ctx.calendarId, ['bad']), []);
});

test('a batch writes many series with one version per changed row, in order, and skips unchanged ones', async () => {
  const kept = await withTransaction(t.db, (c) => writeSeries(c, ctx, null, single({ uid: 'batch-kept' })));
  const edited = await withTransaction(t.db, (c) => writeSeries(c, ctx, null, single({ uid: 'batch-edited' })));
  const before = await version();
  const results = await withTransaction(t.db, (c) => writeSeriesBatch(c, ctx, [
    { eventId: null, series: weekly({ uid: 'batch-new' }, [instance('2026-03-09', { uid: 'batch-new' })]) },
    { eventId: kept.eventId, series: single({ uid: 'batch-kept' }) },
    { eventId: edited.eventId, series: single({ uid: 'batch-edited', summary: 'first edit' }) },
    // The same series twice: both writes happen, in order.
    { eventId: edited.eventId, series: single({ uid: 'batch-edited', summary: 'second edit' }) },
  ]));
  assert.deepEqual(results.map((r) => r.changed), [2, 0, 1, 1]);
  assert.equal(results[1]!.eventId, kept.eventId);
  assert.equal(results[1]!.version, null);
  assert.deepEqual(results.map((r) => r.version), [before + 2, null, before + 3, before + 4]);
  assert.equal(await version(), before + 4);
  const [stored] = await getSeries(t.db, ctx.tenantId, ctx.calendarId, [edited.eventId]);
  assert.equal(stored!.series.master!.summary, 'second edit');
  const { rows: log } = await t.db.query<{ version: string; operation: string }>(
    'select version, operation from change_log where calendar_id = $1 and version > $2 order by version', [ctx.calendarId, before]);
  assert.deepEqual(log.map((r) => [Number(r.version), r.operation]), [[before + 1, 'create'], [before + 2, 'create'], [before + 3, 'update'], [before + 4, 'update']]);
  const { rows: history } = await t.db.query<{ n: string }>('select count(*) as n from event_history where calendar_id = $1 and version > $2', [ctx.calendarId, before]);
  assert.equal(Number(history[0]!.n), 4);
});

test('a batch that breaks a rule in one series writes none of them', async () => {
  const before = await version();
  const bad = single({ uid: 'batch-bad', status: 'bogus' as never });
  await assert.rejects(withTransaction(t.db, (c) => writeSeriesBatch(c, ctx, [{ eventId: null, series: single({ uid: 'batch-good' }) }, { eventId: null, series: bad }])), { name: 'CoreError' });
  // The same iCalUID twice in one calendar is refused by the unique index, and rolls back the batch.
  await assert.rejects(withTransaction(t.db, (c) => writeSeriesBatch(c, ctx, [{ eventId: null, series: single({ uid: 'batch-twice' }) }, { eventId: null, series: single({ uid: 'batch-twice' }) }])), { code: '23505' });
  assert.equal(await version(), before);
  assert.deepEqual(await getSeriesByUid(t.db, ctx.tenantId, ctx.calendarId, ['batch-good', 'batch-twice']), []);
});

test('deleting a batch tombstones every row once, also of a series listed twice', async () => {
  const a = await withTransaction(t.db, (c) => writeSeries(c, ctx, null, weekly({ uid: 'del-a' }, [instance('2026-03-09', { uid: 'del-a' })])));
  const b = await withTransaction(t.db, (c) => writeSeries(c, ctx, null, single({ uid: 'del-b' })));
  const before = await version();
  const counts = await withTransaction(t.db, (c) => deleteSeriesBatch(c, ctx, [a.eventId, b.eventId, a.eventId, '00000000-0000-4000-8000-000000000000']));
  assert.deepEqual(counts, [2, 1, 0, 0]);
  assert.equal(await version(), before + 3);
  assert.deepEqual((await getTombstones(t.db, ctx.tenantId, ctx.calendarId, [a.eventId, b.eventId])).map((x) => x.uid).sort(), ['del-a', 'del-b']);
});

test('every row gets the id apps see: the series id without hyphens, or the one an app chose; overrides add their start in UTC', async () => {
  const weeklySeries = weekly({ uid: 'api-ids' }, [instance('2026-03-09', { uid: 'api-ids' })]);
  const made = await withTransaction(t.db, (c) => writeSeries(c, ctx, null, weeklySeries));
  const ids = async (seriesId: string) => (await t.db.query<{ kind: string; api_id: string }>(
    'select kind, api_id from events where series_id = $1 order by kind', [seriesId])).rows;
  const hex = made.eventId.replace(/-/g, '');
  const rows = await ids(made.eventId);
  assert.equal(rows.find((r) => r.kind === 'master')!.api_id, hex);
  // 10:00 in Berlin, as Google forms instance ids.
  assert.equal(rows.find((r) => r.kind === 'override')!.api_id, `${hex}_20260309T090000Z`);

  const chosen = await withTransaction(t.db, (c) => writeSeriesBatch(c, ctx, [{ eventId: null, series: single({ uid: 'api-chosen' }), apiId: 'abcdefghij0123' }]));
  assert.deepEqual((await ids(chosen[0]!.eventId)).map((r) => r.api_id), ['abcdefghij0123']);
  // A later write keeps the id; the same id for another series is refused.
  await withTransaction(t.db, (c) => writeSeriesBatch(c, ctx, [{ eventId: chosen[0]!.eventId, series: single({ uid: 'api-chosen', summary: 'moved' }), apiId: 'ignored0' }]));
  assert.deepEqual((await ids(chosen[0]!.eventId)).map((r) => r.api_id), ['abcdefghij0123']);
  await assert.rejects(withTransaction(t.db, (c) => writeSeriesBatch(c, ctx, [{ eventId: null, series: single({ uid: 'api-other' }), apiId: 'abcdefghij0123' }])), { code: '23505' });
});
