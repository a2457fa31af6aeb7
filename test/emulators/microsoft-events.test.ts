// Events as Graph documents them: dateTimeTimeZone with Windows and IANA zones, UTC reads
// unless Prefer: outlook.timezone, changeKey/@odata.etag on every change, If-Match → 412,
// transactionId, extended properties, patterned recurrence with occurrences, exceptions and
// cancellations, and bad input answered with Graph's error body and nothing changed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testGraph, timedEvent, type TestGraph } from '../helpers/microsoft-emulator.ts';

const EVENTS = '/v1.0/me/events';
const PROP = 'String {66f5a359-4659-4830-9070-00047ec6ac6e} Name calsyncId';

async function create(t: TestGraph, body: Record<string, unknown>): Promise<Record<string, any>> {
  const r = await t.call('POST', EVENTS, body);
  assert.equal(r.statusCode, 201, r.body);
  return r.json();
}

async function count(t: TestGraph): Promise<number> {
  return (await t.call('GET', `${EVENTS}?$top=1000`)).json().value.length;
}

function assertGraphError(body: any, code: string): void {
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, 'string');
  assert.deepEqual(Object.keys(body.error.innerError).sort(), ['client-request-id', 'date', 'request-id']);
}

test('a create with a Windows zone answers 201 in that zone; reads are UTC; Prefer: outlook.timezone converts and is echoed', async () => {
  const t = testGraph();
  const made = await create(t, timedEvent('2026-03-02T09:00:00', 30, 'Pacific Standard Time', { subject: 'Planning' }));
  assert.deepEqual(made.start, { dateTime: '2026-03-02T09:00:00.0000000', timeZone: 'Pacific Standard Time' });
  assert.equal(made.originalStartTimeZone, 'Pacific Standard Time');
  assert.equal(made.type, 'singleInstance');
  assert.match(made['@odata.etag'], /^W\/".+"$/);
  assert.equal(made['@odata.etag'], `W/"${made.changeKey}"`);
  const utc = await t.call('GET', `${EVENTS}/${made.id}`);
  assert.deepEqual(utc.json().start, { dateTime: '2026-03-02T17:00:00.0000000', timeZone: 'UTC' }, 'PST is UTC−8 in early March');
  assert.equal(utc.headers['preference-applied'], undefined);
  const berlin = await t.call('GET', `${EVENTS}/${made.id}`, undefined, { prefer: 'outlook.timezone="Europe/Berlin"' });
  assert.deepEqual(berlin.json().end, { dateTime: '2026-03-02T18:30:00.0000000', timeZone: 'Europe/Berlin' });
  assert.equal(berlin.headers['preference-applied'], 'outlook.timezone="Europe/Berlin"');
  const iana = await create(t, timedEvent('2026-07-01T10:00:00', 60, 'America/New_York'));
  assert.deepEqual((await t.call('GET', `${EVENTS}/${iana.id}`)).json().start.dateTime, '2026-07-01T14:00:00.0000000');
});

test('every change gives a new changeKey and etag; a stale If-Match is 412 ErrorIrresolvableConflict and changes nothing', async () => {
  const t = testGraph();
  const made = await create(t, timedEvent('2026-03-02T09:00:00'));
  t.clock.advance(60_000);
  const patched = await t.call('PATCH', `${EVENTS}/${made.id}`, { subject: 'Moved' }, { 'if-match': made['@odata.etag'] });
  assert.equal(patched.statusCode, 200);
  assert.notEqual(patched.json().changeKey, made.changeKey);
  assert.notEqual(patched.json()['@odata.etag'], made['@odata.etag']);
  assert.notEqual(patched.json().lastModifiedDateTime, made.lastModifiedDateTime);
  const stale = await t.call('PATCH', `${EVENTS}/${made.id}`, { subject: 'Lost update' }, { 'if-match': made['@odata.etag'] });
  assert.equal(stale.statusCode, 412);
  assertGraphError(stale.json(), 'ErrorIrresolvableConflict');
  const staleDelete = await t.call('DELETE', `${EVENTS}/${made.id}`, undefined, { 'if-match': made['@odata.etag'] });
  assert.equal(staleDelete.statusCode, 412);
  const now = (await t.call('GET', `${EVENTS}/${made.id}`)).json();
  assert.equal(now.subject, 'Moved');
  assert.equal(now.changeKey, patched.json().changeKey);
  assert.equal((await t.call('DELETE', `${EVENTS}/${made.id}`, undefined, { 'if-match': now['@odata.etag'] })).statusCode, 204);
  const gone = await t.call('GET', `${EVENTS}/${made.id}`);
  assert.equal(gone.statusCode, 404);
  assertGraphError(gone.json(), 'ErrorItemNotFound');
  assert.equal((await t.call('DELETE', `${EVENTS}/${made.id}`)).statusCode, 404);
});

test('bad input is answered with Graph\'s error and creates or changes nothing', async () => {
  const t = testGraph();
  const cases: Array<[Record<string, unknown>, number, string]> = [
    [timedEvent('2026-03-02T09:00:00', 30, 'UTC', { summary: 'a Google member' }), 400, 'RequestBodyRead'],
    [timedEvent('2026-03-02T09:00:00', 30, 'Mars Standard Time'), 400, 'TimeZoneNotSupportedException'],
    [{ subject: 'no start', end: { dateTime: '2026-03-02T09:00:00', timeZone: 'UTC' } }, 400, 'ErrorInvalidRequest'],
    [timedEvent('2026-03-02T09:00:00', -30), 400, 'ErrorInvalidRequest'],
    [timedEvent('2026-03-02T09:00:00', 30, 'UTC', { showAs: 'sleeping' }), 400, 'RequestBodyRead'],
    [{ ...timedEvent('2026-03-02T09:00:00', 24 * 60), isAllDay: true }, 400, 'ErrorInvalidRequest'],
    [timedEvent('2026-03-02T09:00:00', 30, 'UTC', { singleValueExtendedProperties: [{ id: 'not an id', value: 'x' }] }), 400, 'ErrorInvalidRequest'],
    [timedEvent('2026-03-02T09:00:00', 30, 'UTC', { recurrence: { pattern: { type: 'weekly', interval: 1 }, range: { type: 'noEnd', startDate: '2026-03-02' } } }), 400, 'ErrorInvalidRequest'],
    [timedEvent('2026-03-02T09:00:00', 30, 'UTC', { recurrence: { pattern: { type: 'hourly' }, range: { type: 'noEnd', startDate: '2026-03-02' } } }), 400, 'ErrorInvalidRequest'],
  ];
  for (const [body, status, code] of cases) {
    const r = await t.call('POST', EVENTS, body);
    assert.equal(r.statusCode, status, JSON.stringify(body));
    assertGraphError(r.json(), code);
  }
  const bad = await t.app.inject({ method: 'POST', url: EVENTS, headers: { ...t.auth, 'content-type': 'application/json' }, payload: '{"subject":' });
  assert.equal(bad.statusCode, 400);
  assertGraphError(bad.json(), 'RequestBodyRead');
  assert.equal(await count(t), 0);
  const made = await create(t, timedEvent('2026-03-02T09:00:00'));
  const r = await t.call('PATCH', `${EVENTS}/${made.id}`, { subject: 'x', end: { dateTime: '2026-03-01T00:00:00', timeZone: 'UTC' } });
  assert.equal(r.statusCode, 400);
  const after = (await t.call('GET', `${EVENTS}/${made.id}`)).json();
  assert.equal(after.subject, 'Appointment');
  assert.equal(after.changeKey, made.changeKey);
});

test('all-day events need midnight starts and ends; they answer as dates at midnight', async () => {
  const t = testGraph();
  const made = await create(t, { subject: 'Holiday', isAllDay: true, start: { dateTime: '2026-03-02T00:00:00', timeZone: 'W. Europe Standard Time' }, end: { dateTime: '2026-03-04T00:00:00', timeZone: 'W. Europe Standard Time' } });
  assert.equal(made.isAllDay, true);
  const read = (await t.call('GET', `${EVENTS}/${made.id}`, undefined, { prefer: 'outlook.timezone="Pacific Standard Time"' })).json();
  assert.deepEqual(read.start, { dateTime: '2026-03-02T00:00:00.0000000', timeZone: 'Pacific Standard Time' });
  assert.deepEqual(read.end, { dateTime: '2026-03-04T00:00:00.0000000', timeZone: 'Pacific Standard Time' });
});

test('transactionId makes a create idempotent: a second POST answers the first event; conflict mode answers 409', async () => {
  const t = testGraph();
  const body = timedEvent('2026-03-02T09:00:00', 30, 'UTC', { transactionId: 'calsync-7f3a' });
  const first = await create(t, body);
  assert.equal(first.transactionId, 'calsync-7f3a');
  const again = await create(t, { ...body, subject: 'retried' });
  assert.equal(again.id, first.id);
  assert.equal(again.subject, 'Appointment');
  assert.equal(await count(t), 1);
  assert.deepEqual(t.app.emulator.writes().map((w) => w.replayed), [false, true]);
  const change = await t.call('PATCH', `${EVENTS}/${first.id}`, { transactionId: 'other' });
  assert.equal(change.statusCode, 400);
  t.app.emulator.setSettings({ transactionIdReplay: 'conflict' });
  const conflict = await t.call('POST', EVENTS, body);
  assert.equal(conflict.statusCode, 409);
  assert.equal(await count(t), 1);
});

test('single-value extended properties: stored, read back with $expand, found with $filter Any()', async () => {
  const t = testGraph();
  const tagged = await create(t, timedEvent('2026-03-02T09:00:00', 30, 'UTC', { singleValueExtendedProperties: [{ id: PROP, value: 'evt-1' }] }));
  await create(t, timedEvent('2026-03-03T09:00:00', 30, 'UTC', { singleValueExtendedProperties: [{ id: PROP, value: 'evt-2' }] }));
  await create(t, timedEvent('2026-03-04T09:00:00'));
  assert.equal(tagged.singleValueExtendedProperties, undefined, 'not answered unless expanded');
  const plain = (await t.call('GET', `${EVENTS}/${tagged.id}`)).json();
  assert.equal(plain.singleValueExtendedProperties, undefined);
  const expanded = (await t.call('GET', `${EVENTS}/${tagged.id}?$expand=${encodeURIComponent(`singleValueExtendedProperties($filter=id eq '${PROP}')`)}`)).json();
  assert.deepEqual(expanded.singleValueExtendedProperties, [{ id: PROP, value: 'evt-1' }]);
  const filter = `singleValueExtendedProperties/Any(ep: ep/id eq '${PROP}' and ep/value eq 'evt-2')`;
  const found = (await t.call('GET', `${EVENTS}?$filter=${encodeURIComponent(filter)}`)).json();
  assert.equal(found.value.length, 1);
  assert.equal(found.value[0].start.dateTime, '2026-03-03T09:00:00.0000000');
  const none = (await t.call('GET', `${EVENTS}?$filter=${encodeURIComponent(filter.replace('evt-2', 'evt-9'))}`)).json();
  assert.deepEqual(none.value, []);
  await t.call('PATCH', `${EVENTS}/${tagged.id}`, { singleValueExtendedProperties: [{ id: PROP, value: 'evt-1b' }] });
  const byNew = (await t.call('GET', `${EVENTS}?$filter=${encodeURIComponent(filter.replace('evt-2', 'evt-1b'))}`)).json();
  assert.equal(byNew.value.length, 1);
  assert.equal((await t.call('GET', `${EVENTS}?$filter=${encodeURIComponent("subject eq 'x'")}`)).statusCode, 400);
});

test('attendees start with status none; an attendee\'s answer changes status and changeKey; online meetings carry a joinUrl', async () => {
  const t = testGraph();
  const made = await create(t, timedEvent('2026-03-02T09:00:00', 30, 'UTC', {
    attendees: [{ emailAddress: { address: 'ada@example.org', name: 'Ada' }, type: 'required' }],
    isOnlineMeeting: true, body: { contentType: 'html', content: '<p>Agenda</p>' }, categories: ['Blue category'], showAs: 'tentative', sensitivity: 'private',
  }));
  assert.deepEqual(made.attendees, [{ type: 'required', status: { response: 'none', time: '0001-01-01T00:00:00Z' }, emailAddress: { name: 'Ada', address: 'ada@example.org' } }]);
  assert.match(made.onlineMeeting.joinUrl, /^https:\/\/teams\.microsoft\.com\//);
  assert.equal(made.bodyPreview, 'Agenda');
  assert.deepEqual([made.showAs, made.sensitivity, made.categories], ['tentative', 'private', ['Blue category']]);
  const answered = t.app.emulator.setAttendeeResponse(made.id, 'ada@example.org', 'accepted') as any;
  assert.equal(answered.attendees[0].status.response, 'accepted');
  assert.notEqual(answered.changeKey, made.changeKey);
});

test('weekly series: instances are occurrences with the master\'s id; editing one makes an exception; deleting one cancels it', async () => {
  const t = testGraph();
  const master = await create(t, timedEvent('2026-03-02T09:00:00', 30, 'Pacific Standard Time', {
    subject: 'Standup',
    recurrence: { pattern: { type: 'weekly', interval: 1, daysOfWeek: ['Monday', 'Wednesday'], firstDayOfWeek: 'sunday' }, range: { type: 'numbered', startDate: '2026-03-02', numberOfOccurrences: 6 } },
  }));
  assert.equal(master.type, 'seriesMaster');
  assert.deepEqual(master.recurrence.pattern.daysOfWeek, ['monday', 'wednesday'], 'days come back lowercase');
  assert.equal(master.recurrence.range.recurrenceTimeZone, 'Pacific Standard Time');
  const url = `${EVENTS}/${master.id}/instances?startDateTime=2026-03-01T00:00:00&endDateTime=2026-04-01T00:00:00&$top=50`;
  const instances = (await t.call('GET', url, undefined, { prefer: 'outlook.timezone="Pacific Standard Time"' })).json().value;
  assert.deepEqual(instances.map((i: any) => i.start.dateTime.slice(0, 16)), [
    '2026-03-02T09:00', '2026-03-04T09:00', '2026-03-09T09:00', '2026-03-11T09:00', '2026-03-16T09:00', '2026-03-18T09:00',
  ], 'six, at 09:00 Pacific across the DST change of March 8');
  assert.ok(instances.every((i: any) => i.type === 'occurrence' && i.seriesMasterId === master.id && i.subject === 'Standup'));
  assert.equal(instances[2].originalStart, '2026-03-09T16:00:00Z');

  const edited = await t.call('PATCH', `${EVENTS}/${instances[1].id}`, { subject: 'Standup (moved)', start: { dateTime: '2026-03-04T11:00:00', timeZone: 'Pacific Standard Time' }, end: { dateTime: '2026-03-04T11:30:00', timeZone: 'Pacific Standard Time' } });
  assert.equal(edited.statusCode, 200);
  assert.equal(edited.json().type, 'exception');
  assert.equal(edited.json().id, instances[1].id, 'an exception keeps the occurrence\'s id');
  assert.equal(edited.json().seriesMasterId, master.id);
  assert.equal((await t.call('DELETE', `${EVENTS}/${instances[3].id}`)).statusCode, 204);
  assert.equal((await t.call('GET', `${EVENTS}/${instances[3].id}`)).statusCode, 404);
  const after = (await t.call('GET', url)).json().value;
  assert.equal(after.length, 5);
  assert.equal(after.find((i: any) => i.id === instances[1].id).subject, 'Standup (moved)');
  assert.ok(!after.some((i: any) => i.id === instances[3].id));
  assert.notEqual((await t.call('GET', `${EVENTS}/${master.id}`)).json().changeKey, master.changeKey, 'a cancellation changes the master');
  const list = (await t.call('GET', EVENTS)).json().value;
  assert.deepEqual(list.map((e: any) => e.type), ['seriesMaster'], 'event lists hold masters, not occurrences or exceptions');
});

test('monthly and yearly patterns land where Outlook puts them; a noEnd series stays bounded', async () => {
  const t = testGraph();
  const dates = async (recurrence: Record<string, unknown>, until = '2027-12-31'): Promise<string[]> => {
    const master = await create(t, { ...timedEvent('2026-01-01T10:00:00'), recurrence });
    const r = await t.call('GET', `${EVENTS}/${master.id}/instances?startDateTime=2026-01-01&endDateTime=${until}&$top=1000`);
    return r.json().value.map((i: any) => i.start.dateTime.slice(0, 10));
  };
  assert.deepEqual(await dates({ pattern: { type: 'absoluteMonthly', interval: 1, dayOfMonth: 31 }, range: { type: 'numbered', startDate: '2026-01-31', numberOfOccurrences: 4 } }),
    ['2026-01-31', '2026-02-28', '2026-03-31', '2026-04-30']);
  assert.deepEqual(await dates({ pattern: { type: 'relativeMonthly', interval: 2, daysOfWeek: ['friday'], index: 'last' }, range: { type: 'endDate', startDate: '2026-01-01', endDate: '2026-06-30' } }),
    ['2026-01-30', '2026-03-27', '2026-05-29']);
  assert.deepEqual(await dates({ pattern: { type: 'relativeYearly', interval: 1, month: 11, daysOfWeek: ['thursday'], index: 'fourth' }, range: { type: 'noEnd', startDate: '2026-01-01' } }),
    ['2026-11-26', '2027-11-25']);
  assert.deepEqual(await dates({ pattern: { type: 'absoluteYearly', interval: 1, month: 2, dayOfMonth: 29 }, range: { type: 'numbered', startDate: '2026-01-01', numberOfOccurrences: 2 } }),
    ['2026-02-28', '2027-02-28']);
  assert.deepEqual(await dates({ pattern: { type: 'daily', interval: 3 }, range: { type: 'endDate', startDate: '2026-01-01', endDate: '2026-01-10' } }),
    ['2026-01-01', '2026-01-04', '2026-01-07', '2026-01-10']);
  // Centuries of a daily series are cut at the instance cap, not walked (the test's own time limit would end a walk).
  const many = await dates({ pattern: { type: 'daily', interval: 1 }, range: { type: 'noEnd', startDate: '2026-01-01' } }, '2300-01-01');
  assert.equal(many.length, 1000, 'a page of $top=1000');
});
