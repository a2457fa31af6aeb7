// The Google connector beyond the contract, against the emulator: series read and
// written whole, deletions, sendUpdates, idempotent creates after lost answers,
// retries and their classification, access-token refresh and revoked grants.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { isConnectorError, type RemoteItem, type RemoteLiveItem } from '../../src/connectors/connector.ts';
import { contentHash } from '../../src/core/hash.ts';
import { normaliseSeries } from '../../src/core/normalise.ts';
import { instance, single, weekly } from '../helpers/events.ts';
import { eventIdOf } from '../../src/connectors/google/index.ts';
import { emulatorConnector, listeningEmulator, type ListeningEmulator } from '../helpers/google-connector.ts';
import { listAll } from './contract.ts';

let emulator: ListeningEmulator;
before(async () => {
  emulator = await listeningEmulator({ timeZone: 'Europe/Berlin' });
});
after(async () => {
  await emulator?.close();
});

const newCalendar = (): string => emulator.app.emulator.addCalendar({ summary: 'test', timeZone: 'Europe/Berlin' }).id as string;
const live = (items: RemoteItem[], id: string): RemoteLiveItem => {
  const found = new Map(items.map((i) => [i.remoteId, i])).get(id);
  assert.ok(found && !found.deleted, `${id} is listed live`);
  return found;
};
const standup = { summary: 'Stand-up', start: { dateTime: '2026-03-02T09:30:00+01:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2026-03-02T09:45:00+01:00', timeZone: 'Europe/Berlin' }, recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=8'] };

test('a change to one exception lists the whole series: master, every exception, cancelled ones as exdates', async () => {
  const cal = newCalendar();
  const { connector } = emulatorConnector(emulator);
  const master = emulator.app.emulator.insertEvent(cal, standup);
  emulator.app.emulator.editEvent(cal, `${master.id}_20260309T083000Z`, { summary: 'Stand-up (moved)', start: { dateTime: '2026-03-09T11:30:00+01:00' }, end: { dateTime: '2026-03-09T11:45:00+01:00' } });
  const full = await listAll(connector, cal, null);
  const listed = live(full.items, master.id!);
  assert.equal(listed.series.overrides.length, 1);
  assert.equal(listed.calsyncId, null, 'another client wrote it: no stamp');

  emulator.app.emulator.deleteEvent(cal, `${master.id}_20260316T083000Z`);
  emulator.app.emulator.editEvent(cal, `${master.id}_20260309T083000Z`, { location: 'Room 2' });
  const changes = await listAll(connector, cal, full.cursor);
  const item = live(changes.items, master.id!);
  assert.equal(changes.items.length, 1, 'one item: the series');
  const normal = normaliseSeries(item.series);
  assert.deepEqual(normal.master!.recurrence!.exdate, ['2026-03-16T09:30:00']);
  assert.equal(normal.overrides.length, 1);
  assert.equal(normal.overrides[0]!.location, 'Room 2');
  assert.equal(normal.overrides[0]!.summary, 'Stand-up (moved)');
  assert.notEqual(item.etag, listed.etag);
  assert.equal(live((await listAll(connector, cal, null)).items, master.id!).etag, item.etag, 'a full listing gives the series the same etag');
});

test('deleted events, single and recurring, come as deleted items; organizer self without attendees is no organizer', async () => {
  const cal = newCalendar();
  const { connector } = emulatorConnector(emulator);
  const lone = emulator.app.emulator.insertEvent(cal, { summary: 'Lunch', start: { dateTime: '2026-03-03T12:00:00+01:00' }, end: { dateTime: '2026-03-03T13:00:00+01:00' } });
  const series = emulator.app.emulator.insertEvent(cal, standup);
  const full = await listAll(connector, cal, null);
  assert.equal(live(full.items, lone.id!).series.master!.organizer, null);
  emulator.app.emulator.deleteEvent(cal, lone.id!);
  emulator.app.emulator.deleteEvent(cal, series.id!);
  const changes = new Map((await listAll(connector, cal, full.cursor)).items.map((i) => [i.remoteId, i]));
  assert.equal(changes.get(lone.id!)?.deleted, true);
  assert.equal(changes.get(series.id!)?.deleted, true);
  assert.equal(changes.size, 2, 'the series\' exceptions are no items of their own');
});

// Google cuts private property values at 1,024 characters without a word
// (guides/extended-properties): a calsync value cut so is no longer JSON.
const cutCategories = { private: { calsyncCategories: '["Planning","Bud' } };

test('an event the core cannot read is listed as unreadable with its reason and resources; its neighbours are listed, the cursor moves', async () => {
  const cal = newCalendar();
  const { connector } = emulatorConnector(emulator, { pageSize: 2 });
  const lone = emulator.app.emulator.insertEvent(cal, { summary: 'Lunch', start: { dateTime: '2026-03-03T12:00:00+01:00' }, end: { dateTime: '2026-03-03T13:00:00+01:00' } });
  const bad = emulator.app.emulator.insertEvent(cal, { summary: 'Cut', start: { dateTime: '2026-03-04T12:00:00+01:00' }, end: { dateTime: '2026-03-04T13:00:00+01:00' }, extendedProperties: cutCategories });
  const series = emulator.app.emulator.insertEvent(cal, standup);
  const badException = emulator.app.emulator.editEvent(cal, `${series.id}_20260309T083000Z`, { summary: 'Moved', extendedProperties: cutCategories });
  const pages = [];
  let page = await connector.listChanges(cal, null);
  for (pages.push(page); page.nextPageToken; pages.push(page)) page = await connector.listChanges(cal, null, page.nextPageToken);
  assert.deepEqual(pages.flatMap((p) => p.items.map((i) => i.remoteId)), [lone.id]);
  const unreadable = new Map(pages.flatMap((p) => p.unreadable ?? []).map((u) => [u.remoteId, u]));
  assert.deepEqual([...unreadable.keys()].sort(), [bad.id, series.id].sort(), 'a series with one bad exception is one unreadable item');
  const single = unreadable.get(bad.id!)!;
  assert.equal(single.etag, bad.etag);
  assert.equal(single.reason, `Google event ${bad.id} cannot be read: calsync private property is not JSON (at [0].extendedProperties.private.calsyncCategories)`);
  assert.deepEqual(JSON.parse(single.raw!).map((r: { id: string }) => r.id), [bad.id]);
  assert.deepEqual(JSON.parse(unreadable.get(series.id!)!.raw!).map((r: { id: string }) => r.id), [series.id, badException.id], 'the series\' resources, master first');
  const cursor = pages.at(-1)!.nextCursor;
  assert.ok(cursor, 'the listing ends with a cursor');

  await assert.rejects(connector.read(cal, bad.id!), (e: unknown) => isConnectorError(e, 'permanent') && e.remoteId === bad.id);
  emulator.app.emulator.editEvent(cal, bad.id!, { summary: 'Cut again' });
  emulator.app.emulator.editEvent(cal, lone.id!, { summary: 'Lunch (late)' });
  const changes = await connector.listChanges(cal, cursor);
  assert.deepEqual(changes.items.map((i) => i.remoteId), [lone.id]);
  assert.deepEqual(changes.unreadable?.map((u) => u.remoteId), [bad.id]);
});

test('deleted events carry the stamp their id was derived from', async () => {
  const cal = newCalendar();
  const { connector } = emulatorConnector(emulator);
  const uuid = 'c0ffee00-1234-4abc-8def-0123456789ab';
  const mine = await connector.create(cal, single({ uid: 'stamped' }), { calsyncId: uuid });
  const other = await connector.create(cal, weekly({ uid: 'stamped-2' }), { calsyncId: 'not-a-uuid' });
  const foreign = emulator.app.emulator.insertEvent(cal, { summary: 'Theirs', start: { dateTime: '2026-03-03T12:00:00+01:00' }, end: { dateTime: '2026-03-03T13:00:00+01:00' } });
  const { cursor } = await listAll(connector, cal, null);
  for (const id of [mine.remoteId, other.remoteId, foreign.id!]) emulator.app.emulator.deleteEvent(cal, id);
  const changes = new Map((await listAll(connector, cal, cursor)).items.map((i) => [i.remoteId, i]));
  assert.deepEqual([mine.remoteId, other.remoteId, foreign.id!].map((id) => [changes.get(id)?.deleted, changes.get(id)?.calsyncId]),
    [[true, uuid], [true, 'not-a-uuid'], [true, null]]);
  const read = await connector.read(cal, mine.remoteId);
  assert.deepEqual([read.deleted, read.calsyncId], [true, uuid]);
});

test('a series written whole: exceptions, a cancelled instance, an exception dropped again; every write with sendUpdates=none', async () => {
  const cal = newCalendar();
  const { connector } = emulatorConnector(emulator);
  const first = weekly({ uid: 'series-1' }, [instance('2026-03-09', { uid: 'series-1', summary: 'Moved' })]);
  const created = await connector.create(cal, first, { calsyncId: 'b7e1c1d2-0f3a-4e5b-9c6d-7e8f90a1b2c3' });
  assert.equal(created.remoteId, 'b7e1c1d20f3a4e5b9c6d7e8f90a1b2c3', 'a UUID calsync id is the event id, without hyphens');
  const second = weekly({ uid: 'series-1', summary: 'Planning (new name)' }, [
    instance('2026-03-16', { uid: 'series-1', summary: 'Moved again', location: 'Lab' }),
    instance('2026-03-23', { uid: 'series-1', status: 'cancelled' }),
  ]);
  const updated = await connector.update(cal, created.remoteId, second, { ifMatch: created.etag });
  const item = live((await listAll(connector, cal, null)).items, created.remoteId);
  assert.equal(item.etag, updated.etag);
  assert.equal(item.calsyncId, 'b7e1c1d2-0f3a-4e5b-9c6d-7e8f90a1b2c3');
  const normal = normaliseSeries(item.series);
  assert.deepEqual(normal.master!.recurrence!.exdate, ['2026-03-23T10:00:00']);
  assert.deepEqual(normal.overrides.map((o) => [o.recurrenceId, o.summary]), [['2026-03-09T10:00:00', 'Planning (new name)'], ['2026-03-16T10:00:00', 'Moved again']],
    'the 9 March exception went back to the master\'s content (Google keeps exceptions once made)');
  assert.ok(emulator.app.emulator.writes().filter((w) => w.calendarId === cal && w.method !== 'import').every((w) => w.sendUpdates === 'none'));
  await assert.rejects(connector.update(cal, created.remoteId, first, { ifMatch: created.etag }), (e: unknown) => isConnectorError(e, 'precondition-failed'));
  await connector.delete(cal, created.remoteId, { ifMatch: updated.etag });
  assert.equal((await listAll(connector, cal, null)).items.length, 0);
});

test('a new exception of a series whose master\'s sequence went up takes the master\'s: an instance carries its series\' sequence, and Google refuses a lower one', async () => {
  const cal = newCalendar();
  const { connector } = emulatorConnector(emulator);
  const created = await connector.create(cal, weekly({ uid: 'series-seq' }), { calsyncId: 'c7e1c1d2-0f3a-4e5b-9c6d-7e8f90a1b2c3' });
  // Another client moves the series to another room: significant, its sequence goes to 1.
  emulator.app.emulator.editEvent(cal, created.remoteId, { location: 'Room 2' });
  const listed = live((await listAll(connector, cal, null)).items, created.remoteId);
  assert.equal(listed.series.master!.sequence, 1);
  // An exception made elsewhere (another calendar, the API) starts at sequence 0.
  const next = { ...listed.series, overrides: [instance('2026-03-16', { uid: 'series-seq', summary: 'Planning (budget)', location: 'Room 2', sequence: 0 })] };
  const updated = await connector.update(cal, created.remoteId, next, { ifMatch: listed.etag });
  const item = live((await listAll(connector, cal, null)).items, created.remoteId);
  assert.equal(item.etag, updated.etag);
  assert.deepEqual(normaliseSeries(item.series).overrides.map((o) => [o.recurrenceId, o.summary]), [['2026-03-16T10:00:00', 'Planning (budget)']]);
});

test('a create whose answer was lost is adopted on retry, not duplicated; a deleted one of ours is restored', async () => {
  const cal = newCalendar();
  const { connector } = emulatorConnector(emulator, { maxAttempts: 1 });
  emulator.app.emulator.setFaults({ script: [{ kind: 'lostWrite', method: 'POST', route: '/calendar/v3/calendars/:calendarId/events' }] });
  await assert.rejects(connector.create(cal, single({ uid: 'lost-1' }), { calsyncId: 'lost-1' }), (e: unknown) => isConnectorError(e, 'transient'));
  const retried = await connector.create(cal, single({ uid: 'lost-1' }), { calsyncId: 'lost-1' });
  const listed = (await listAll(connector, cal, null)).items;
  assert.deepEqual(listed.map((i) => i.remoteId), [retried.remoteId]);
  assert.equal(live(listed, retried.remoteId).etag, retried.etag);

  await connector.delete(cal, retried.remoteId, { ifMatch: null });
  const again = await connector.create(cal, single({ uid: 'lost-1', summary: 'Back' }), { calsyncId: 'lost-1' });
  assert.equal(again.remoteId, retried.remoteId, 'Google keeps deleted ids: the same event comes back');
  assert.equal(live((await listAll(connector, cal, null)).items, again.remoteId).series.master!.summary, 'Back');
  emulator.app.emulator.clearFaults();
});

const INSTANCE_ROUTE = '/calendar/v3/calendars/:calendarId/events/:eventId';
/** A series with two moved instances and two cancelled ones: a create is the master, two PUTs and two DELETEs. */
const halfWritable = (uid: string) => weekly({ uid }, [
  instance('2026-03-09', { uid, summary: 'Moved', start: { local: '2026-03-09T14:00:00', tz: 'Europe/Berlin' }, end: { local: '2026-03-09T15:00:00', tz: 'Europe/Berlin' } }),
  instance('2026-03-16', { uid, status: 'cancelled' }),
  instance('2026-03-23', { uid, summary: 'Renamed' }),
  instance('2026-03-30', { uid, status: 'cancelled' }),
]);

/** The series as listed now holds exactly `series`, under the etag the create answered; the calendar holds nothing else. */
async function holdsWhole(connector: ReturnType<typeof emulatorConnector>['connector'], cal: string, written: { remoteId: string; etag: string }, series: ReturnType<typeof halfWritable>) {
  const listed = (await listAll(connector, cal, null)).items;
  assert.deepEqual(listed.map((i) => i.remoteId), [written.remoteId]);
  const item = live(listed, written.remoteId);
  assert.equal(contentHash(item.series), contentHash(series), 'every moved and cancelled instance is there');
  assert.equal(item.etag, written.etag, 'the create answers the series as written');
}

test('a series create whose answer to one instance write was lost is completed by the client\'s retry, not refused by its own write', async () => {
  for (const method of ['PUT', 'DELETE']) {
    const cal = newCalendar();
    const { connector } = emulatorConnector(emulator);
    const series = halfWritable(`lost-${method}`);
    emulator.app.emulator.setFaults({ script: [{ kind: 'lostWrite', method, route: INSTANCE_ROUTE }] });
    const written = await connector.create(cal, series, { calsyncId: 'a1b2c3d4-0000-4000-8000-00000000000' + (method === 'PUT' ? '1' : '2') });
    emulator.app.emulator.clearFaults();
    await holdsWhole(connector, cal, written, series);
    const writes = emulator.app.emulator.writes().filter((w) => w.calendarId === cal);
    assert.deepEqual(writes.filter((w) => w.eventId === written.remoteId).map((w) => w.method), ['insert'], `${method}: the master is inserted once and never written again`);
  }
});

test('a series create cut short by a lost answer is completed by the retried create; nothing is deleted', async () => {
  const cal = newCalendar();
  const calsyncId = 'a1b2c3d4-0000-4000-8000-000000000003';
  const series = halfWritable('cut-short');
  const { connector: once } = emulatorConnector(emulator, { maxAttempts: 1 });
  emulator.app.emulator.setFaults({ script: [{ kind: 'lostWrite', method: 'PUT', route: INSTANCE_ROUTE }] });
  await assert.rejects(once.create(cal, series, { calsyncId }), (e: unknown) => isConnectorError(e, 'transient'));
  emulator.app.emulator.clearFaults();
  const half = live((await listAll(once, cal, null)).items, eventIdOf(calsyncId));
  assert.equal(half.series.overrides.length, 1, 'one moved instance landed; the rest of the series is missing');

  // Someone edits the instance that landed: the retried create writes it with If-Match,
  // the answer to that write is lost too, and the client's retry meets a 412.
  emulator.app.emulator.editEvent(cal, `${eventIdOf(calsyncId)}_20260309T090000Z`, { location: 'Somewhere else' });
  emulator.app.emulator.setFaults({ script: [{ kind: 'lostWrite', method: 'PUT', route: INSTANCE_ROUTE }] });
  const { connector } = emulatorConnector(emulator);
  const written = await connector.create(cal, series, { calsyncId });
  emulator.app.emulator.clearFaults();
  await holdsWhole(connector, cal, written, series);
  const writes = emulator.app.emulator.writes().filter((w) => w.calendarId === cal && w.method !== 'anotherClient');
  assert.ok(!writes.some((w) => w.method === 'delete' && w.eventId === written.remoteId), 'the series was never deleted');
  assert.deepEqual(writes.filter((w) => w.method === 'delete').map((w) => w.eventId).sort(), [`${written.remoteId}_20260316T090000Z`, `${written.remoteId}_20260330T080000Z`],
    'only the cancelled instances were deleted');
});

test('5xx is retried with backoff, 429 waits its Retry-After, 403 rate limits back off from 1 s, quotaExceeded stops for an hour', async () => {
  const cal = newCalendar();
  const { connector, sleeps } = emulatorConnector(emulator, { backoffMs: 100, random: () => 0.5, maxAttempts: 5 });
  const route = '/calendar/v3/calendars/:calendarId/events';
  emulator.app.emulator.setFaults({ retryAfterSeconds: 3, script: [
    { kind: 'backendError', route, times: 2 }, { kind: 'tooManyRequests', route }, { kind: 'userRateLimitExceeded', route },
  ] });
  await listAll(connector, cal, null);
  assert.deepEqual(sleeps, [100, 200, 3000, 8000], 'backoff doubles per attempt of the call');

  emulator.app.emulator.setFaults({ script: [{ kind: 'quotaExceeded', route }] });
  await assert.rejects(listAll(connector, cal, null), (e: unknown) => isConnectorError(e, 'rate-limited') && e.retryAfterSeconds === 3600);
  emulator.app.emulator.setFaults({ retryAfterSeconds: 120, script: [{ kind: 'tooManyRequests', route }] });
  await assert.rejects(listAll(connector, cal, null), (e: unknown) => isConnectorError(e, 'rate-limited') && e.retryAfterSeconds === 120, 'a long Retry-After ends the call');
  emulator.app.emulator.setFaults({ script: [{ kind: 'backendError', route, times: 5 }] });
  await assert.rejects(listAll(connector, cal, null), (e: unknown) => isConnectorError(e, 'transient'));
  emulator.app.emulator.clearFaults();
});

test('an access token that died is refreshed once and the new one stored; a revoked grant is auth-revoked, not retried', async () => {
  const cal = newCalendar();
  const stored: unknown[] = [];
  const { connector, grant } = emulatorConnector(emulator, { onCredentials: async (c) => { stored.push(c); } });
  emulator.app.emulator.expireAccessTokens();
  await listAll(connector, cal, null);
  assert.equal(stored.length, 1);
  assert.notEqual((stored[0] as { accessToken: string }).accessToken, grant.access_token);
  assert.equal((stored[0] as { refreshToken: string }).refreshToken, grant.refresh_token);

  emulator.app.emulator.resetStats();
  emulator.app.emulator.revokeGrant(grant.refresh_token);
  await assert.rejects(listAll(connector, cal, null), (e: unknown) => isConnectorError(e, 'auth-revoked'));
  const stats = emulator.app.emulator.stats();
  assert.equal(stats.byRouteAndStatus['GET /calendar/v3/calendars/:calendarId/events 401'], 1);
  assert.equal(stats.byRouteAndStatus['POST /token 400'], 1, 'one refresh, refused with invalid_grant');
});
