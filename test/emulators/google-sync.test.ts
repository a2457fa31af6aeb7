// events.list against the sync guide (guides/sync) and the events.list reference: the
// guide's full-sync then incremental-sync flow, paging with the same query, deletions
// in incremental results, the 410 of an expired token with the errors guide's body,
// and the parameters Google refuses with a syncToken.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listAll, testEmulator, timed } from '../helpers/google-emulator.ts';

// errors guide, "410: Gone" (its trailing commas removed).
const FULL_SYNC_REQUIRED = {
  error: {
    errors: [{ domain: 'calendar', reason: 'fullSyncRequired', message: 'Sync token is no longer valid, a full sync is required.', locationType: 'parameter', location: 'syncToken' }],
    code: 410,
    message: 'Sync token is no longer valid, a full sync is required.',
  },
};

// errors guide, "400: Bad Request".
const TIME_RANGE_EMPTY = {
  error: {
    errors: [{ domain: 'calendar', reason: 'timeRangeEmpty', message: 'The specified time range is empty.', locationType: 'parameter', location: 'timeMax' }],
    code: 400,
    message: 'The specified time range is empty.',
  },
};

async function seed(t: ReturnType<typeof testEmulator>, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = new Date(Date.parse('2026-03-02T08:00:00Z') + i * 3_600_000).toISOString().replace('.000', '');
    const r = await t.call('POST', '/calendar/v3/calendars/primary/events', timed(at, 30, { summary: `Appointment ${i}` }));
    assert.equal(r.statusCode, 200, r.body);
    ids.push(r.json().id);
  }
  return ids;
}

test('the sync guide flow: a paged full sync, then paged incremental syncs with the same query and the last page\'s token', async () => {
  const t = testEmulator();
  const ids = await seed(t, 25);
  // "GET /calendars/primary/events?maxResults=10&singleEvents=true" — three pages, the token on the last.
  const full = await listAll(t, 'maxResults=10&singleEvents=true');
  assert.equal(full.pages, 3);
  assert.deepEqual(full.items.map((e) => e.id).sort(), [...ids].sort());

  const moved = await t.call('PATCH', `/calendar/v3/calendars/primary/events/${ids[3]}`, { summary: 'Moved' });
  assert.equal(moved.statusCode, 200);
  assert.equal((await t.call('DELETE', `/calendar/v3/calendars/primary/events/${ids[4]}`)).statusCode, 204);
  const added = await seed(t, 12);

  // "perform a list request with your most recent sync token … the result will always contain deleted entries"
  const delta = await listAll(t, `maxResults=10&singleEvents=true&syncToken=${encodeURIComponent(full.nextSyncToken)}`);
  assert.equal(delta.pages, 2, 'more changes than maxResults page the same way');
  const byId = new Map(delta.items.map((e) => [e.id, e]));
  assert.equal(delta.items.length, 14);
  assert.equal(byId.get(ids[3])?.summary, 'Moved');
  assert.deepEqual(Object.keys(byId.get(ids[4])!).sort(), ['etag', 'id', 'kind', 'status'], 'a deleted event carries only its id (and kind, etag, status)');
  assert.equal(byId.get(ids[4])?.status, 'cancelled');
  for (const id of added) assert.ok(byId.has(id));

  const quiet = await listAll(t, `maxResults=10&singleEvents=true&syncToken=${encodeURIComponent(delta.nextSyncToken)}`);
  assert.deepEqual(quiet.items, [], 'nothing changed since the last token');
});

test('a changed event is listed once even when it changes again while a listing pages, and the next sync sees the change', async () => {
  const t = testEmulator();
  const ids = await seed(t, 6);
  const first = (await t.call('GET', '/calendar/v3/calendars/primary/events?maxResults=3')).json();
  await t.call('PATCH', `/calendar/v3/calendars/primary/events/${first.items[0].id}`, { summary: 'Changed during the listing' });
  const second = (await t.call('GET', `/calendar/v3/calendars/primary/events?maxResults=3&pageToken=${first.nextPageToken}`)).json();
  assert.equal(new Set([...first.items, ...second.items].map((e) => e.id)).size, ids.length);
  const delta = await listAll(t, `syncToken=${encodeURIComponent(second.nextSyncToken)}`);
  assert.deepEqual(delta.items.map((e) => [e.id, e.summary]), [[first.items[0].id, 'Changed during the listing']]);
});

test('cancelled exceptions of a recurring event come with id, recurringEventId, originalStartTime and status', async () => {
  const t = testEmulator({ timeZone: 'Europe/Berlin' });
  const series = await t.call('POST', '/calendar/v3/calendars/primary/events', {
    id: 'series0001', summary: 'Stand-up', recurrence: ['RRULE:FREQ=WEEKLY;COUNT=4'],
    start: { dateTime: '2026-03-02T10:00:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2026-03-02T10:15:00', timeZone: 'Europe/Berlin' },
  });
  assert.equal(series.statusCode, 200, series.body);
  const full = await listAll(t, '');
  assert.equal((await t.call('DELETE', '/calendar/v3/calendars/primary/events/series0001_20260309T090000Z')).statusCode, 204);
  const delta = await listAll(t, `syncToken=${encodeURIComponent(full.nextSyncToken)}`);
  assert.deepEqual(delta.items.map(({ etag: _, ...e }) => e), [{
    kind: 'calendar#event', id: 'series0001_20260309T090000Z', status: 'cancelled', recurringEventId: 'series0001',
    originalStartTime: { dateTime: '2026-03-09T10:00:00+01:00', timeZone: 'Europe/Berlin' },
  }]);
  // singleEvents=false without showDeleted: the master and its cancelled exception.
  const plain = await listAll(t, '');
  assert.deepEqual(plain.items.map((e) => [e.id, e.status]), [['series0001', 'confirmed'], ['series0001_20260309T090000Z', 'cancelled']]);
  const single = await listAll(t, 'singleEvents=true');
  assert.deepEqual(single.items.map((e) => e.id), ['series0001_20260302T090000Z', 'series0001_20260316T090000Z', 'series0001_20260323T090000Z']);
});

test('an expired sync token answers 410 with the errors guide\'s body; a full sync without it recovers', async () => {
  const t = testEmulator();
  await seed(t, 3);
  const full = await listAll(t, '');
  t.app.emulator.expireSyncTokens();
  const expired = await t.call('GET', `/calendar/v3/calendars/primary/events?syncToken=${encodeURIComponent(full.nextSyncToken)}`);
  assert.equal(expired.statusCode, 410);
  assert.deepEqual(expired.json(), FULL_SYNC_REQUIRED);
  const again = await listAll(t, '');
  assert.equal(again.items.length, 3);
  assert.equal((await t.call('GET', `/calendar/v3/calendars/primary/events?syncToken=${encodeURIComponent(again.nextSyncToken)}`)).statusCode, 200);

  for (const bad of ['garbage', Buffer.from('{"c":"other@example.com","s":1,"g":1,"t":1}').toString('base64url')]) {
    assert.equal((await t.call('GET', `/calendar/v3/calendars/primary/events?syncToken=${bad}`)).statusCode, 410, bad);
  }
  // The control route does the same over HTTP.
  const control = await t.app.inject({ method: 'POST', url: '/emulator/sync-tokens/expire' });
  assert.equal(control.statusCode, 204);
  assert.equal((await t.call('GET', `/calendar/v3/calendars/primary/events?syncToken=${encodeURIComponent(again.nextSyncToken)}`)).statusCode, 410);
});

test('sync tokens older than the history answer 410; so does an updatedMin that far back (updatedMinTooLongAgo)', async () => {
  const t = testEmulator({ historyMs: 7 * 86_400_000 });
  const full = await listAll(t, '');
  t.clock.advance(7 * 86_400_000 + 1);
  t.renew();
  assert.equal((await t.call('GET', `/calendar/v3/calendars/primary/events?syncToken=${encodeURIComponent(full.nextSyncToken)}`)).statusCode, 410);
  const old = await t.call('GET', '/calendar/v3/calendars/primary/events?updatedMin=2026-03-01T00:00:00Z');
  assert.equal(old.statusCode, 410);
  assert.deepEqual(old.json().error.errors[0], {
    domain: 'calendar', reason: 'updatedMinTooLongAgo', message: 'The requested minimum modification time lies too far in the past.', locationType: 'parameter', location: 'updatedMin',
  });
});

test('parameters Google refuses with a syncToken, and showDeleted=false, are 400; showDeleted=true and other parameters are taken', async () => {
  const t = testEmulator();
  const { nextSyncToken } = await listAll(t, '');
  const token = encodeURIComponent(nextSyncToken);
  const refused = ['iCalUID=a@b', 'orderBy=updated', 'privateExtendedProperty=a%3Db', 'q=x', 'sharedExtendedProperty=a%3Db',
    'timeMin=2026-01-01T00:00:00Z', 'timeMax=2027-01-01T00:00:00Z', 'updatedMin=2026-03-01T00:00:00Z', 'showDeleted=false'];
  for (const parameter of refused) {
    const r = await t.call('GET', `/calendar/v3/calendars/primary/events?syncToken=${token}&${parameter}`);
    assert.equal(r.statusCode, 400, parameter);
    assert.equal(r.json().error.errors[0].reason, 'syncTokenWithRequestRestrictions', parameter);
  }
  for (const parameter of ['showDeleted=true', 'singleEvents=true', 'maxResults=5', 'timeZone=Europe%2FBerlin']) {
    assert.equal((await t.call('GET', `/calendar/v3/calendars/primary/events?syncToken=${token}&${parameter}`)).statusCode, 200, parameter);
  }
});

test('maxResults defaults to 250 and is capped at 2500; a page token only works with the query it came from', async () => {
  const t = testEmulator();
  const ids = await seed(t, 260);
  const page = (await t.call('GET', '/calendar/v3/calendars/primary/events')).json();
  assert.equal(page.items.length, 250);
  assert.ok(page.nextPageToken);
  const big = (await t.call('GET', '/calendar/v3/calendars/primary/events?maxResults=9999')).json();
  assert.equal(big.items.length, ids.length);
  assert.ok(big.nextSyncToken);
  const other = await t.call('GET', `/calendar/v3/calendars/primary/events?showDeleted=true&pageToken=${page.nextPageToken}`);
  assert.equal(other.statusCode, 400);
  assert.equal((await t.call('GET', '/calendar/v3/calendars/primary/events?maxResults=0')).statusCode, 400);
});

test('deleted events: hidden from a plain listing, shown with details by showDeleted=true, always listed by updatedMin', async () => {
  const t = testEmulator();
  const [kept, gone] = await seed(t, 2);
  t.clock.advance(60_000);
  await t.call('DELETE', `/calendar/v3/calendars/primary/events/${gone}`);
  assert.deepEqual((await listAll(t, '')).items.map((e) => e.id), [kept]);
  const shown = (await listAll(t, 'showDeleted=true')).items.find((e) => e.id === gone)!;
  assert.equal(shown.status, 'cancelled');
  assert.equal(shown.summary, 'Appointment 1', 'showDeleted keeps the details of the organizer\'s cancelled events');
  const since = await listAll(t, 'updatedMin=2026-03-01T08:00:30Z');
  assert.deepEqual(since.items.map((e) => [e.id, e.status]), [[gone, 'cancelled']]);
});

test('timeMin and timeMax filter by end and start (both exclusive); an empty range is the errors guide\'s 400', async () => {
  const t = testEmulator();
  await seed(t, 4); // 08:00, 09:00, 10:00, 11:00 UTC, 30 minutes each
  const window = await listAll(t, 'timeMin=2026-03-02T08:30:00Z&timeMax=2026-03-02T10:00:00Z');
  assert.deepEqual(window.items.map((e) => e.summary), ['Appointment 1']);
  const empty = await t.call('GET', '/calendar/v3/calendars/primary/events?timeMin=2026-03-02T10:00:00Z&timeMax=2026-03-02T09:00:00Z');
  assert.equal(empty.statusCode, 400);
  assert.deepEqual(empty.json(), TIME_RANGE_EMPTY);
  assert.equal((await t.call('GET', '/calendar/v3/calendars/primary/events?timeMin=2026-03-02T10:00:00')).statusCode, 400, 'an offset is mandatory');
  // A recurring master shows when one of its instances falls in the window.
  await t.call('POST', '/calendar/v3/calendars/primary/events', {
    id: 'recur00001', summary: 'Daily', recurrence: ['RRULE:FREQ=DAILY'], start: { dateTime: '2026-01-01T07:00:00Z', timeZone: 'UTC' }, end: { dateTime: '2026-01-01T07:10:00Z', timeZone: 'UTC' },
  });
  const later = await listAll(t, 'timeMin=2026-06-01T00:00:00Z&timeMax=2026-06-02T00:00:00Z');
  assert.deepEqual(later.items.map((e) => e.id), ['recur00001']);
  const instances = await listAll(t, 'singleEvents=true&orderBy=startTime&timeMin=2026-06-01T00:00:00Z&timeMax=2026-06-03T00:00:00Z');
  assert.deepEqual(instances.items.map((e) => e.id), ['recur00001_20260601T070000Z', 'recur00001_20260602T070000Z']);
});

test('privateExtendedProperty matches key=value on private properties only; every constraint must hold', async () => {
  const t = testEmulator();
  const stamp = (id: string, extendedProperties: Record<string, Record<string, string>>) =>
    t.call('POST', '/calendar/v3/calendars/primary/events', timed('2026-03-02T09:00:00Z', 30, { id, extendedProperties }));
  await stamp('stamped01', { private: { calsyncId: 'e1', binding: 'b1' } });
  await stamp('stamped02', { private: { calsyncId: 'e2', binding: 'b1' } });
  await stamp('shared001', { shared: { calsyncId: 'e1' } });
  const one = await listAll(t, 'privateExtendedProperty=calsyncId%3De1');
  assert.deepEqual(one.items.map((e) => e.id), ['stamped01']);
  assert.deepEqual(one.items[0]!.extendedProperties, { private: { calsyncId: 'e1', binding: 'b1' } }, 'kept as given');
  const both = await listAll(t, 'privateExtendedProperty=binding%3Db1&privateExtendedProperty=calsyncId%3De2');
  assert.deepEqual(both.items.map((e) => e.id), ['stamped02']);
  assert.deepEqual((await listAll(t, 'sharedExtendedProperty=calsyncId%3De1')).items.map((e) => e.id), ['shared001']);
});
