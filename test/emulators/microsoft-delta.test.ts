// calendarView delta rounds as event-delta and concepts/delta-query-events describe them,
// with the traps peers hit: the window fixed by the first request, @removed for items
// that leave the window, skeletal occurrences, Prefer headers per page, replayable links,
// refused OData options and 410 for dead tokens.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deltaRound, pathOf, testGraph, timedEvent, type TestGraph } from '../helpers/microsoft-emulator.ts';

const WINDOW = 'startDateTime=2026-03-01T00:00:00&endDateTime=2026-04-01T00:00:00';
const DELTA = `/v1.0/me/calendarView/delta?${WINDOW}`;

async function create(t: TestGraph, body: Record<string, unknown>, calendar?: string): Promise<Record<string, any>> {
  const r = await t.call('POST', calendar ? `/v1.0/me/calendars/${calendar}/events` : '/v1.0/me/events', body);
  assert.equal(r.statusCode, 201, r.body);
  return r.json();
}

test('a full round pages by Prefer: odata.maxpagesize (echoed in Preference-Applied) and ends with a deltaLink only', async () => {
  const t = testGraph();
  for (let d = 2; d <= 8; d++) await create(t, timedEvent(`2026-03-0${d}T09:00:00`));
  await create(t, timedEvent('2026-05-02T09:00:00'));
  const first = await t.call('GET', DELTA, undefined, { prefer: 'odata.maxpagesize=3' });
  assert.equal(first.statusCode, 200);
  assert.equal(first.headers['preference-applied'], 'odata.maxpagesize=3');
  const body = first.json();
  assert.equal(body.value.length, 3);
  assert.match(body['@odata.nextLink'], /\/v1\.0\/me\/calendarView\/delta\?\$skiptoken=[\w-]+$/);
  assert.equal(body['@odata.deltaLink'], undefined);
  assert.ok(body.value.every((e: any) => e['@odata.type'] === '#microsoft.graph.event' && e.type === 'singleInstance'));
  const round = await deltaRound(t, pathOf(body['@odata.nextLink']), { prefer: 'odata.maxpagesize=3' });
  assert.equal(round.items.length, 4, 'seven in the window in all; May is outside');
  assert.equal(round.pages, 2);
  assert.match(round.deltaLink, /\$deltatoken=/);
  const quiet = await t.call('GET', round.deltaLink);
  assert.deepEqual(quiet.json().value, []);
  assert.ok(quiet.json()['@odata.deltaLink']);
});

test('odata.maxpagesize is a hint: above the maximum a smaller page, below the minimum a bigger one, no Preference-Applied', async () => {
  const t = testGraph({ delta: { maxPageSize: 2 } });
  for (let d = 2; d <= 6; d++) await create(t, timedEvent(`2026-03-0${d}T09:00:00`));
  const r = await t.call('GET', DELTA, undefined, { prefer: 'odata.maxpagesize=100' });
  assert.equal(r.json().value.length, 2);
  assert.equal(r.headers['preference-applied'], undefined);
  assert.ok(r.json()['@odata.nextLink']);
  t.app.emulator.setSettings({ maxPageSize: 10, minPageSize: 4 });
  const bigger = await t.call('GET', DELTA, undefined, { prefer: 'odata.maxpagesize=2' });
  assert.equal(bigger.json().value.length, 4, 'more than asked: the preference is not a cap');
  assert.equal(bigger.headers['preference-applied'], undefined);
});

test('the next round answers changes; deletions, moves out of the window and changes outside it come as @removed deleted', async () => {
  const t = testGraph();
  const stays = await create(t, timedEvent('2026-03-02T09:00:00'));
  const edited = await create(t, timedEvent('2026-03-03T09:00:00'));
  const deleted = await create(t, timedEvent('2026-03-04T09:00:00'));
  const moved = await create(t, timedEvent('2026-03-05T09:00:00'));
  const { deltaLink } = await deltaRound(t, DELTA);
  await t.call('PATCH', `/v1.0/me/events/${edited.id}`, { subject: 'Edited' });
  await t.call('DELETE', `/v1.0/me/events/${deleted.id}`);
  await t.call('PATCH', `/v1.0/me/events/${moved.id}`, { start: { dateTime: '2026-06-05T09:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-06-05T09:30:00', timeZone: 'UTC' } });
  const outside = await create(t, timedEvent('2026-07-01T09:00:00'));
  const added = await create(t, timedEvent('2026-03-20T09:00:00'));
  const next = await deltaRound(t, deltaLink);
  const byId = new Map(next.items.map((i) => [i.id, i]));
  assert.equal(byId.get(edited.id)?.subject, 'Edited');
  assert.ok(byId.has(added.id));
  for (const gone of [deleted.id, moved.id, outside.id]) assert.deepEqual(byId.get(gone), { '@odata.type': '#microsoft.graph.event', id: gone, '@removed': { reason: 'deleted' } });
  assert.ok(!byId.has(stays.id), 'unchanged items are not repeated');
  assert.equal(next.items.length, 5);
});

test('a deltaLink replayed answers the same changes again; so does a nextLink', async () => {
  const t = testGraph();
  await create(t, timedEvent('2026-03-02T09:00:00'));
  const { deltaLink } = await deltaRound(t, DELTA);
  for (let d = 3; d <= 5; d++) await create(t, timedEvent(`2026-03-0${d}T09:00:00`));
  const a = await deltaRound(t, deltaLink);
  const b = await deltaRound(t, deltaLink);
  assert.deepEqual(b.items.map((i) => i.id), a.items.map((i) => i.id));
  assert.equal(a.items.length, 3);
  const first = (await t.call('GET', deltaLink, undefined, { prefer: 'odata.maxpagesize=1' })).json();
  const next = pathOf(first['@odata.nextLink']);
  const p1 = (await t.call('GET', next, undefined, { prefer: 'odata.maxpagesize=1' })).json();
  const p2 = (await t.call('GET', next, undefined, { prefer: 'odata.maxpagesize=1' })).json();
  assert.deepEqual(p2.value, p1.value);
});

test('the window is fixed by the first request: no offset is UTC, later links need no parameters', async () => {
  const t = testGraph();
  const edge = await create(t, timedEvent('2026-03-31T23:30:00', 60, 'UTC'));
  const before = await create(t, timedEvent('2026-02-28T23:00:00', 30, 'UTC'));
  const r = await deltaRound(t, DELTA);
  assert.deepEqual(r.items.map((i) => i.id), [edge.id], 'an event overlapping the end is in; one ending before the start is out');
  assert.ok(!r.deltaLink.includes('startDateTime'));
  const berlin = await deltaRound(t, '/v1.0/me/calendarView/delta?startDateTime=2026-03-01T00:00:00%2B01:00&endDateTime=2026-03-01T00:00:00Z');
  assert.deepEqual(berlin.items.map((i) => i.id), [before.id], 'an explicit offset is honoured');
});

test('Prefer: outlook.timezone applies to the page it is sent with; without it times are UTC', async () => {
  const t = testGraph();
  await create(t, timedEvent('2026-03-02T09:00:00', 30, 'Pacific Standard Time'));
  await create(t, timedEvent('2026-03-03T09:00:00', 30, 'Pacific Standard Time'));
  const first = await t.call('GET', DELTA, undefined, { prefer: 'odata.maxpagesize=1, outlook.timezone="Pacific Standard Time"' });
  assert.equal(first.headers['preference-applied'], 'odata.maxpagesize=1, outlook.timezone="Pacific Standard Time"');
  assert.deepEqual(first.json().value[0].start, { dateTime: '2026-03-02T09:00:00.0000000', timeZone: 'Pacific Standard Time' });
  const second = await t.call('GET', pathOf(first.json()['@odata.nextLink']), undefined, { prefer: 'odata.maxpagesize=1' });
  assert.deepEqual(second.json().value[0].start, { dateTime: '2026-03-03T17:00:00.0000000', timeZone: 'UTC' });
});

test('series: the master comes whole, occurrences skeletal; an edited occurrence comes as an exception; a cancelled one is silent by default', async () => {
  const t = testGraph();
  const master = await create(t, { ...timedEvent('2026-03-02T09:00:00', 30, 'UTC', { subject: 'Weekly' }), recurrence: { pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'] }, range: { type: 'noEnd', startDate: '2026-03-02' } } });
  const round = await deltaRound(t, DELTA);
  const occurrences = round.items.filter((i) => i.type === 'occurrence');
  assert.equal(occurrences.length, 5, 'Mondays of March 2026');
  assert.deepEqual(Object.keys(occurrences[0]!).sort(), ['@odata.type', 'end', 'id', 'seriesMasterId', 'start', 'type']);
  assert.equal(occurrences[0]!.seriesMasterId, master.id);
  const whole = round.items.find((i) => i.id === master.id)!;
  assert.equal(whole.type, 'seriesMaster');
  assert.equal(whole.subject, 'Weekly');
  assert.equal(whole.recurrence.pattern.type, 'weekly');

  await t.call('PATCH', `/v1.0/me/events/${occurrences[1]!.id}`, { subject: 'Moved' });
  await t.call('DELETE', `/v1.0/me/events/${occurrences[2]!.id}`);
  const next = await deltaRound(t, round.deltaLink);
  const exception = next.items.find((i) => i.id === occurrences[1]!.id)!;
  assert.equal(exception.type, 'exception');
  assert.equal(exception.subject, 'Moved');
  assert.ok(!next.items.some((i) => i.id === occurrences[2]!.id), 'no signal of its own for the cancelled occurrence');
  assert.ok(next.items.some((i) => i.id === master.id && i.type === 'seriesMaster'), 'the master comes back changed');

  await t.call('PATCH', `/v1.0/me/events/${master.id}`, { recurrence: { pattern: { type: 'weekly', interval: 1, daysOfWeek: ['tuesday'] }, range: { type: 'noEnd', startDate: '2026-03-03' } } });
  const rebuilt = await deltaRound(t, next.deltaLink);
  const removed = new Set(rebuilt.items.filter((i) => i['@removed']).map((i) => i.id));
  for (const o of [occurrences[0]!, occurrences[3]!, occurrences[4]!, occurrences[1]!]) assert.ok(removed.has(o.id), 'occurrences a new pattern drops are removed, not silent');
  assert.equal(rebuilt.items.filter((i) => i.type === 'occurrence').length, 5, 'Tuesdays of March 2026');

  const t2 = testGraph({ delta: { cancelledOccurrences: 'removed' } });
  const m2 = await create(t2, { ...timedEvent('2026-03-02T09:00:00'), recurrence: { pattern: { type: 'daily', interval: 7 }, range: { type: 'numbered', startDate: '2026-03-02', numberOfOccurrences: 3 } } });
  const r2 = await deltaRound(t2, DELTA);
  const occ = r2.items.filter((i) => i.seriesMasterId === m2.id);
  await t2.call('DELETE', `/v1.0/me/events/${occ[0]!.id}`);
  const n2 = await deltaRound(t2, r2.deltaLink);
  assert.ok(n2.items.some((i) => i.id === occ[0]!.id && i['@removed']?.reason === 'deleted'));
});

test('OData options other than the tokens are refused on delta; a missing window is 400; nothing starts', async () => {
  const t = testGraph();
  for (const option of ['$select=subject', '$filter=subject%20eq%20%27x%27', '$orderby=start/dateTime', '$expand=attachments', '$top=5']) {
    const r = await t.call('GET', `${DELTA}&${option}`);
    assert.equal(r.statusCode, 400, option);
    assert.equal(r.json().error.code, 'ErrorInvalidUrlQuery');
    assert.match(r.json().error.message, /not supported with change tracking/);
  }
  const missing = await t.call('GET', '/v1.0/me/calendarView/delta?startDateTime=2026-03-01T00:00:00');
  assert.equal(missing.statusCode, 400);
  assert.equal(missing.json().error.code, 'ErrorInvalidParameter');
  assert.equal((await t.call('GET', '/v1.0/me/calendarView/delta?startDateTime=yesterday&endDateTime=2026-04-01')).statusCode, 400);
  assert.equal((await t.call('GET', '/v1.0/me/calendarView/delta?startDateTime=2026-04-01&endDateTime=2026-03-01')).statusCode, 400);
});

test('expired or unknown tokens answer 410 syncStateNotFound, resyncRequired or SyncStateNotFound as set', async () => {
  const t = testGraph();
  await create(t, timedEvent('2026-03-02T09:00:00'));
  await create(t, timedEvent('2026-03-03T09:00:00'));
  const first = (await t.call('GET', DELTA, undefined, { prefer: 'odata.maxpagesize=1' })).json();
  const { deltaLink } = await deltaRound(t, DELTA);
  t.app.emulator.expireDeltaTokens();
  for (const link of [deltaLink, pathOf(first['@odata.nextLink'])]) {
    const r = await t.call('GET', link);
    assert.equal(r.statusCode, 410);
    assert.equal(r.json().error.code, 'syncStateNotFound');
    assert.equal(r.json().error.message, 'The sync state generation is not found. The delta token is expired and data must be synchronized again.');
  }
  const unknown = await t.call('GET', '/v1.0/me/calendarView/delta?$deltatoken=nonsense');
  assert.equal(unknown.statusCode, 410);
  t.app.emulator.setSettings({ expiredDeltaToken: { code: 'syncStateNotFound', capitalised: true } });
  assert.equal((await t.call('GET', deltaLink)).json().error.code, 'SyncStateNotFound');
  t.app.emulator.setSettings({ expiredDeltaToken: { code: 'resyncRequired', capitalised: false } });
  assert.equal((await t.call('GET', deltaLink)).json().error.code, 'resyncRequired');
  const fresh = await deltaRound(t, DELTA);
  assert.equal(fresh.items.length, 2, 'a new round starts from nothing');

  const short = testGraph({ delta: { tokenTtlMs: 60_000 } });
  const r = await deltaRound(short, DELTA);
  short.clock.advance(61_000);
  assert.equal((await short.call('GET', r.deltaLink)).statusCode, 410);
});

test('another calendar has its own delta; a token of one calendar is no good on another', async () => {
  const t = testGraph({ calendars: [{ id: 'AAMkWork=', name: 'Work' }] });
  await create(t, timedEvent('2026-03-02T09:00:00'));
  const work = await create(t, timedEvent('2026-03-03T09:00:00'), 'AAMkWork=');
  const r = await deltaRound(t, `/v1.0/me/calendars/AAMkWork=/calendarView/delta?${WINDOW}`);
  assert.deepEqual(r.items.map((i) => i.id), [work.id]);
  assert.match(r.deltaLink, /^\/v1\.0\/me\/calendars\/AAMkWork%3D\/calendarView\/delta\?\$deltatoken=/);
  const cross = await t.call('GET', r.deltaLink.replace('/me/calendars/AAMkWork%3D', '/me'));
  assert.equal(cross.statusCode, 410);
});
