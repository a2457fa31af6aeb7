// Event writes against the events reference, the errors guide and the version-resources
// guide: client-chosen ids, server-owned fields, etags with If-Match, delete and 410,
// instances and exceptions, import, sequence and sendUpdates.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testEmulator, timed } from '../helpers/google-emulator.ts';

const EVENTS = '/calendar/v3/calendars/primary/events';

// errors guide, "409: The requested identifier already exists".
const DUPLICATE = {
  error: { errors: [{ domain: 'global', reason: 'duplicate', message: 'The requested identifier already exists.' }], code: 409, message: 'The requested identifier already exists.' },
};
// errors guide, "412: Precondition Failed".
const PRECONDITION_FAILED = {
  error: {
    errors: [{ domain: 'global', reason: 'conditionNotMet', message: 'Precondition Failed', locationType: 'header', location: 'If-Match' }],
    code: 412, message: 'Precondition Failed',
  },
};
// errors guide, "410: Gone", the deleted variant.
const DELETED = { error: { errors: [{ domain: 'global', reason: 'deleted', message: 'Resource has been deleted' }], code: 410, message: 'Resource has been deleted' } };
// errors guide, "404: Not Found".
const NOT_FOUND = { error: { errors: [{ domain: 'global', reason: 'notFound', message: 'Not Found' }], code: 404, message: 'Not Found' } };

test('client-chosen ids: base32hex, 5 to 1024 characters; taken ids, deleted ones too, are 409 duplicate', async () => {
  const t = testEmulator();
  for (const id of ['abc', 'ABCDEF', 'hello-world', 'wxyz12345', 'a'.repeat(1025)]) {
    const r = await t.call('POST', EVENTS, timed('2026-03-02T09:00:00Z', 30, { id }));
    assert.equal(r.statusCode, 400, id);
    assert.equal(r.json().error.errors[0].reason, 'invalid', id);
  }
  for (const id of ['abcde', 'v'.repeat(1024), '0123456789abcdefghijklmnopqrstuv']) {
    assert.equal((await t.call('POST', EVENTS, timed('2026-03-02T09:00:00Z', 30, { id }))).statusCode, 200, id);
  }
  const again = await t.call('POST', EVENTS, timed('2026-03-02T09:00:00Z', 30, { id: 'abcde' }));
  assert.equal(again.statusCode, 409);
  assert.deepEqual(again.json(), DUPLICATE);
  await t.call('DELETE', `${EVENTS}/abcde`);
  assert.equal((await t.call('POST', EVENTS, timed('2026-03-02T09:00:00Z', 30, { id: 'abcde' }))).statusCode, 409, 'also when deleted');
  const generated = (await t.call('POST', EVENTS, timed('2026-03-02T09:00:00Z'))).json();
  assert.match(generated.id, /^[a-v0-9]{26}$/);
});

test('the server owns etag, created, updated, htmlLink, iCalUID, sequence, creator and organizer; extended properties are kept as given', async () => {
  const t = testEmulator({ timeZone: 'Europe/Berlin' });
  const r = await t.call('POST', EVENTS, timed('2026-03-02T09:00:00Z', 30, {
    id: 'server001', etag: '"forged"', created: '2000-01-01T00:00:00Z', htmlLink: 'https://evil.example', organizer: { email: 'someone@else.example' },
    extendedProperties: { private: { calsyncId: 'x1' }, shared: { team: 'front desk' } }, unknownMember: 1,
  }));
  const e = r.json();
  assert.equal(e.kind, 'calendar#event');
  assert.match(e.etag, /^"\d+"$/);
  assert.notEqual(e.etag, '"forged"');
  assert.equal(e.created, '2026-03-01T08:00:00.000Z');
  assert.equal(e.updated, '2026-03-01T08:00:00.000Z');
  assert.equal(e.iCalUID, 'server001@google.com');
  assert.equal(e.sequence, 0);
  assert.equal(e.status, 'confirmed');
  assert.deepEqual(e.organizer, { email: 'user@example.com', self: true });
  assert.match(e.htmlLink, /^https:\/\/www\.google\.com\/calendar\/event\?eid=/);
  assert.equal(e.unknownMember, undefined);
  assert.deepEqual(e.extendedProperties, { private: { calsyncId: 'x1' }, shared: { team: 'front desk' } });
  assert.deepEqual(e.start, { dateTime: '2026-03-02T10:00:00+01:00' }, 'answered in the calendar\'s offset');
  assert.deepEqual((await t.call('GET', `${EVENTS}/server001?timeZone=UTC`)).json().start, { dateTime: '2026-03-02T09:00:00Z' });
});

test('the version-resources example: a conditional update succeeds on the current etag, 412 after another client\'s edit, then re-fetch and re-apply', async () => {
  const t = testEmulator();
  let event = (await t.call('POST', EVENTS, timed('2026-03-02T09:00:00Z', 30, { id: 'test0event', summary: 'Test Event' }))).json();
  // "Pause while the user modifies the event in the Calendar UI."
  t.clock.advance(1000);
  const edited = t.app.emulator.editEvent('primary', event.id, { description: 'changed in the UI' });
  assert.notEqual(edited.etag, event.etag, 'every change gives a new etag');
  event.summary = 'Updated Test Event';
  const stale = await t.call('PUT', `${EVENTS}/${event.id}`, event, { 'if-match': event.etag });
  assert.equal(stale.statusCode, 412);
  assert.deepEqual(stale.json(), PRECONDITION_FAILED);
  // "Use Calendar.Events.Get to retrieve the latest version … latestEvent.setSummary(event.getSummary())"
  const latest = (await t.call('GET', `${EVENTS}/${event.id}`)).json();
  latest.summary = event.summary;
  const updated = await t.call('PUT', `${EVENTS}/${event.id}`, latest, { 'if-match': latest.etag });
  assert.equal(updated.statusCode, 200);
  assert.equal(updated.json().summary, 'Updated Test Event');
  assert.equal(updated.json().description, 'changed in the UI');
  assert.notEqual(updated.json().etag, latest.etag);
  // Conditional retrieval: "Otherwise you will get a 304 (Not Modified)".
  assert.equal((await t.call('GET', `${EVENTS}/${event.id}`, undefined, { 'if-none-match': updated.json().etag })).statusCode, 304);
  assert.equal((await t.call('GET', `${EVENTS}/${event.id}`, undefined, { 'if-none-match': latest.etag })).statusCode, 200);
  // Patch and delete honour If-Match too.
  assert.equal((await t.call('PATCH', `${EVENTS}/${event.id}`, { summary: 'x' }, { 'if-match': latest.etag })).statusCode, 412);
  assert.equal((await t.call('DELETE', `${EVENTS}/${event.id}`, undefined, { 'if-match': latest.etag })).statusCode, 412);
  assert.equal((await t.call('DELETE', `${EVENTS}/${event.id}`, undefined, { 'if-match': updated.json().etag })).statusCode, 204);
});

test('patch semantics: given members replace, arrays are overwritten, nested objects merge, null clears', async () => {
  const t = testEmulator();
  await t.call('POST', EVENTS, timed('2026-03-02T09:00:00Z', 30, {
    id: 'patch0001', location: 'Room 1', attendees: [{ email: 'a@example.com' }, { email: 'b@example.com' }],
    extendedProperties: { private: { calsyncId: 'p1', keep: 'yes' } },
  }));
  const patched = (await t.call('PATCH', `${EVENTS}/patch0001`, {
    attendees: [{ email: 'c@example.com' }], extendedProperties: { private: { calsyncId: 'p2', keep: null } }, location: null,
  })).json();
  assert.deepEqual(patched.attendees, [{ email: 'c@example.com' }]);
  assert.deepEqual(patched.extendedProperties, { private: { calsyncId: 'p2' } });
  assert.equal(patched.location, undefined);
  assert.equal(patched.summary, 'Appointment');
  // update replaces the whole resource: what is left out is gone.
  const replaced = (await t.call('PUT', `${EVENTS}/patch0001`, timed('2026-03-02T09:00:00Z', 60))).json();
  assert.equal(replaced.attendees, undefined);
  assert.equal(replaced.extendedProperties, undefined);
});

test('delete answers 204, then 410 deleted; get still returns the cancelled event; unknown ids are 404', async () => {
  const t = testEmulator();
  await t.call('POST', EVENTS, timed('2026-03-02T09:00:00Z', 30, { id: 'gone00001' }));
  assert.equal((await t.call('DELETE', `${EVENTS}/gone00001`)).statusCode, 204);
  const again = await t.call('DELETE', `${EVENTS}/gone00001`);
  assert.equal(again.statusCode, 410);
  assert.deepEqual(again.json(), DELETED);
  assert.equal((await t.call('GET', `${EVENTS}/gone00001`)).json().status, 'cancelled');
  const missing = await t.call('GET', `${EVENTS}/nothere00`);
  assert.equal(missing.statusCode, 404);
  assert.deepEqual(missing.json(), NOT_FOUND);
  assert.equal((await t.call('GET', '/calendar/v3/calendars/nobody@example.com/events')).statusCode, 404);
});

test('instances: addressed by <master id>_<original start>; writing one makes an exception, deleting one a cancelled exception', async () => {
  const t = testEmulator({ timeZone: 'Europe/Berlin' });
  await t.call('POST', EVENTS, {
    id: 'series0001', summary: 'Therapy', recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=5', 'EXDATE;TZID=Europe/Berlin:20260316T100000'],
    start: { dateTime: '2026-03-02T10:00:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2026-03-02T11:00:00', timeZone: 'Europe/Berlin' },
  });
  const instances = (await t.call('GET', `${EVENTS}/series0001/instances`)).json();
  // Across the DST change of 29 March the wall clock stays 10:00, the UTC id moves.
  assert.deepEqual(instances.items.map((e: { id: string }) => e.id), [
    'series0001_20260302T090000Z', 'series0001_20260309T090000Z', 'series0001_20260323T090000Z', 'series0001_20260330T080000Z',
  ]);
  const moved = await t.call('PATCH', `${EVENTS}/series0001_20260309T090000Z`, { start: { dateTime: '2026-03-09T12:00:00+01:00' }, end: { dateTime: '2026-03-09T13:00:00+01:00' } });
  assert.equal(moved.statusCode, 200, moved.body);
  assert.equal(moved.json().recurringEventId, 'series0001');
  assert.deepEqual(moved.json().originalStartTime, { dateTime: '2026-03-09T10:00:00+01:00', timeZone: 'Europe/Berlin' });
  assert.equal(moved.json().iCalUID, 'series0001@google.com');
  assert.equal(moved.json().recurrence, undefined);
  assert.equal((await t.call('DELETE', `${EVENTS}/series0001_20260323T090000Z`)).statusCode, 204);
  assert.equal((await t.call('DELETE', `${EVENTS}/series0001_20260323T090000Z`)).statusCode, 410);
  const after = (await t.call('GET', `${EVENTS}/series0001/instances`)).json();
  assert.deepEqual(after.items.map((e: { id: string; start: { dateTime: string } }) => [e.id, e.start.dateTime]), [
    ['series0001_20260302T090000Z', '2026-03-02T10:00:00+01:00'], ['series0001_20260309T090000Z', '2026-03-09T12:00:00+01:00'],
    ['series0001_20260330T080000Z', '2026-03-30T10:00:00+02:00'],
  ]);
  const withDeleted = (await t.call('GET', `${EVENTS}/series0001/instances?showDeleted=true`)).json();
  assert.equal(withDeleted.items.find((e: { id: string }) => e.id === 'series0001_20260323T090000Z').status, 'cancelled');
  assert.equal((await t.call('GET', `${EVENTS}/series0001_20260316T090000Z`)).statusCode, 404, 'an EXDATE is no instance');
  assert.equal((await t.call('GET', `${EVENTS}/series0001_20260302T090000Z`)).json().recurringEventId, 'series0001');
  // A recurring event needs a time zone.
  const zoneless = await t.call('POST', EVENTS, { recurrence: ['RRULE:FREQ=DAILY'], start: { dateTime: '2026-03-02T10:00:00Z' }, end: { dateTime: '2026-03-02T11:00:00Z' } });
  assert.equal(zoneless.statusCode, 400);
  // Deleting the master cancels its exceptions with it.
  await t.call('DELETE', `${EVENTS}/series0001`);
  assert.equal((await t.call('GET', `${EVENTS}/series0001_20260309T090000Z`)).json().status, 'cancelled');
});

test('all-day series: instance ids end in the basic date', async () => {
  const t = testEmulator();
  await t.call('POST', EVENTS, { id: 'feast0001', summary: 'Holiday', recurrence: ['RRULE:FREQ=YEARLY;COUNT=2'], start: { date: '2026-12-25' }, end: { date: '2026-12-26' } });
  const items = (await t.call('GET', `${EVENTS}/feast0001/instances`)).json().items;
  assert.deepEqual(items.map((e: { id: string; originalStartTime: unknown }) => [e.id, e.originalStartTime]), [
    ['feast0001_20261225', { date: '2026-12-25' }], ['feast0001_20271225', { date: '2027-12-25' }],
  ]);
});

test('sequence: a lower one than the current is refused; time changes raise it', async () => {
  const t = testEmulator();
  await t.call('POST', EVENTS, timed('2026-03-02T09:00:00Z', 30, { id: 'sequence1' }));
  const moved = (await t.call('PATCH', `${EVENTS}/sequence1`, timed('2026-03-02T10:00:00Z'))).json();
  assert.equal(moved.sequence, 1);
  assert.equal((await t.call('PATCH', `${EVENTS}/sequence1`, { summary: 'Renamed' })).json().sequence, 1);
  const lower = await t.call('PATCH', `${EVENTS}/sequence1`, { summary: 'x', sequence: 0 });
  assert.equal(lower.statusCode, 400);
  assert.match(lower.json().error.message, /^Invalid sequence value/);
  assert.equal((await t.call('PATCH', `${EVENTS}/sequence1`, { sequence: 5 })).json().sequence, 5);
});

test('import keeps iCalUID and organizer; an existing iCalUID is replaced by default, or 409 when switched to conflict', async () => {
  const t = testEmulator();
  const body = timed('2026-03-02T09:00:00Z', 30, { iCalUID: 'meeting-1@example.org', organizer: { email: 'boss@example.org' }, summary: 'Imported' });
  const first = (await t.call('POST', `${EVENTS}/import`, body)).json();
  assert.equal(first.iCalUID, 'meeting-1@example.org');
  assert.deepEqual(first.organizer, { email: 'boss@example.org' });
  const second = (await t.call('POST', `${EVENTS}/import`, { ...body, summary: 'Imported again' })).json();
  assert.equal(second.id, first.id, 'replaced in place');
  assert.equal(second.summary, 'Imported again');
  assert.equal((await t.call('GET', `${EVENTS}?iCalUID=meeting-1%40example.org`)).json().items.length, 1);
  const control = await t.app.inject({ method: 'POST', url: '/emulator/settings', payload: { importExisting: 'conflict' } });
  assert.deepEqual(control.json(), { importExisting: 'conflict' });
  const conflict = await t.call('POST', `${EVENTS}/import`, body);
  assert.equal(conflict.statusCode, 409);
  assert.deepEqual(conflict.json(), DUPLICATE);
  assert.equal((await t.call('POST', `${EVENTS}/import`, timed('2026-03-02T09:00:00Z'))).statusCode, 400, 'import needs an iCalUID');
});

test('sendUpdates is accepted and recorded with each write, with the If-Match it came with', async () => {
  const t = testEmulator();
  const created = (await t.call('POST', `${EVENTS}?sendUpdates=none`, timed('2026-03-02T09:00:00Z', 30, { id: 'notice001' }))).json();
  await t.call('PATCH', `${EVENTS}/notice001?sendUpdates=all`, { summary: 'x' }, { 'if-match': created.etag });
  await t.call('DELETE', `${EVENTS}/notice001?sendNotifications=false`);
  assert.equal((await t.call('POST', `${EVENTS}?sendUpdates=everyone`, timed('2026-03-02T09:00:00Z'))).statusCode, 400);
  const writes = (await t.app.inject({ method: 'GET', url: '/emulator/writes' })).json();
  assert.deepEqual(writes.map((w: Record<string, unknown>) => [w.method, w.eventId, w.sendUpdates, w.ifMatch]), [
    ['insert', 'notice001', 'none', null], ['patch', 'notice001', 'all', created.etag], ['delete', 'notice001', 'none', null],
  ]);
});

test('calendars: calendarList.list, calendars.get by id and as primary', async () => {
  const t = testEmulator({ account: 'clinic@example.com', timeZone: 'Europe/Berlin', calendars: [{ id: 'rooms@group.calendar.google.com', summary: 'Rooms' }] });
  const list = (await t.call('GET', '/calendar/v3/users/me/calendarList')).json();
  assert.equal(list.kind, 'calendar#calendarList');
  assert.deepEqual(list.items.map((c: { id: string; primary?: boolean }) => [c.id, c.primary ?? false]), [['clinic@example.com', true], ['rooms@group.calendar.google.com', false]]);
  const primary = (await t.call('GET', '/calendar/v3/calendars/primary')).json();
  assert.deepEqual([primary.kind, primary.id, primary.timeZone], ['calendar#calendar', 'clinic@example.com', 'Europe/Berlin']);
  assert.equal((await t.call('GET', '/calendar/v3/calendars/rooms%40group.calendar.google.com')).json().summary, 'Rooms');
  const added = (await t.app.inject({ method: 'POST', url: '/emulator/calendars', payload: { summary: 'Extra', timeZone: 'UTC' } })).json();
  assert.match(added.id, /@group\.calendar\.google\.com$/);
  assert.equal((await t.call('GET', `/calendar/v3/users/me/calendarList/${encodeURIComponent(added.id)}`)).json().accessRole, 'owner');
});
