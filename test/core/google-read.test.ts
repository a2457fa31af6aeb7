// Google's answers read into the model and written back: the same resource, and what
// the model makes of each quirk. Fixtures are named after the quirk they capture.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventFromGoogle, eventToGoogle, seriesFromGoogle, seriesToGoogle, type GoogleEvent } from '../../src/core/google/index.ts';
import { FIXTURE_ZONE, googleAnswers, googleFixture } from '../fixtures/google/fixtures.ts';

const context = { calendarTimeZone: FIXTURE_ZONE };
const serverOf = (r: GoogleEvent) => ({ etag: r.etag, created: r.created, updated: r.updated, htmlLink: r.htmlLink });

function roundTrip(fixture: GoogleEvent | GoogleEvent[]): GoogleEvent | GoogleEvent[] {
  if (Array.isArray(fixture)) {
    const series = seriesFromGoogle(fixture, context);
    const masterId = fixture.find((r) => r.recurringEventId === undefined)?.id ?? fixture[0]!.recurringEventId!;
    const servers = Object.fromEntries(fixture.map((r) => [r.id!, serverOf(r)]));
    return seriesToGoogle(series, { id: masterId, calendarTimeZone: FIXTURE_ZONE, servers });
  }
  const event = eventFromGoogle(fixture, context);
  return eventToGoogle(event, { ...serverOf(fixture), id: fixture.id, recurringEventId: fixture.recurringEventId, calendarTimeZone: FIXTURE_ZONE });
}

/** Master first, then instances by original start, as seriesToGoogle writes them. */
function seriesOrder(list: GoogleEvent[]): GoogleEvent[] {
  const master = list.filter((r) => r.recurringEventId === undefined);
  const instances = list.filter((r) => r.recurringEventId !== undefined).sort((a, b) => (a.id! < b.id! ? -1 : 1));
  return [...master, ...instances];
}

for (const name of googleAnswers) {
  test(`${name}: Google → canonical → Google gives the same resource`, () => {
    const fixture = googleFixture(name);
    const again = roundTrip(fixture);
    const expected = Array.isArray(fixture) ? seriesOrder(fixture) : fixture;
    assert.deepEqual(again, expected);
    // Member order too, as the events reference lists it (the fixtures follow it).
    assert.equal(JSON.stringify(again), JSON.stringify(expected));
  });
}

test('all-day events are dates with an exclusive end', () => {
  const e = eventFromGoogle(googleFixture('all_day_multi_day.json'), context);
  assert.equal(e.allDay, true);
  assert.deepEqual([e.start, e.end], [{ local: '2026-03-02', tz: null }, { local: '2026-03-05', tz: null }]);
  assert.equal(e.transparency, 'transparent');
  assert.deepEqual(e.reminders, [], 'useDefault false without overrides: no reminders');
  assert.equal(e.uid, '0ak2d4m6o8qs0u1b3d5f7h9j1l@google.com');
});

test('a master in another zone than the calendar: wall clock in its zone, EXDATEs in its terms', () => {
  const e = eventFromGoogle(googleFixture('recurring_with_exdate_tzid.json'), context);
  assert.deepEqual(e.start, { local: '2026-03-02T09:00:00', tz: 'America/New_York' });
  assert.deepEqual(e.recurrence, {
    rrule: ['FREQ=WEEKLY;UNTIL=20260430T130000Z;BYDAY=MO'],
    rdate: [],
    exdate: ['2026-03-09T09:00:00', '2026-03-16T09:00:00', '2026-03-23T09:00:00'],
  });
  assert.deepEqual(e.organizer, { email: 'ann@example.com', name: 'Ann Example' });
  assert.deepEqual(e.attendees.map((a) => [a.email, a.role, a.response]), [['ann@example.com', 'required', 'accepted'], ['bob@example.org', 'required', 'needs-action']]);
  assert.equal(e.reminders, null, 'useDefault: the calendar\'s reminders');
});

test('a cancelled exception with only its ids is a cancelled instance of the master', () => {
  const master = eventFromGoogle(googleFixture('recurring_with_exdate_tzid.json'), context);
  const e = eventFromGoogle(googleFixture('cancelled_exception_minimal.json'), { ...context, master });
  assert.equal(e.uid, master.uid);
  assert.equal(e.status, 'cancelled');
  assert.equal(e.recurrenceId, '2026-04-06T09:00:00');
  assert.deepEqual([e.start, e.end], [{ local: '2026-04-06T09:00:00', tz: 'America/New_York' }, { local: '2026-04-06T09:15:00', tz: 'America/New_York' }]);
  // Without the master: read in its own zone, the uid from the series id.
  const orphan = eventFromGoogle(googleFixture('cancelled_exception_minimal.json'), context);
  assert.equal(orphan.recurrenceId, '2026-04-06T09:00:00');
  assert.equal(orphan.uid, '7gq1c3e5g7i9k1m3o5q7s9u1b3@google.com');
});

test('birthdays keep their type and properties, and get no private properties written', () => {
  const e = eventFromGoogle(googleFixture('birthday_event.json'), context);
  assert.deepEqual(e.extras.google, { fields: {
    creator: { email: 'ann@example.com', self: true },
    birthdayProperties: { type: 'birthday', contact: 'people/c12345' },
    eventType: 'birthday',
  }, organizer: { self: true } });
  const again = eventToGoogle({ ...e, categories: ['family'], color: 'red' }, { id: 'x', calendarTimeZone: FIXTURE_ZONE, calsyncId: 'E1' });
  assert.equal(again.extendedProperties, undefined);
});

test('attendees: optional, resources, flags and comments kept in order', () => {
  const e = eventFromGoogle(googleFixture('attendees_with_resources.json'), context);
  assert.deepEqual(e.attendees.map((a) => [a.email, a.name, a.role, a.response]), [
    ['carol@example.com', 'Carol', 'required', 'accepted'],
    ['ann@example.com', 'Ann Example', 'required', 'tentative'],
    ['dave@example.net', null, 'optional', 'declined'],
    ['c_1888abcdef0123456789@resource.calendar.google.com', 'Room Ada (12)', 'required', 'accepted'],
  ]);
  assert.deepEqual((e.extras.google as any).attendees, {
    'carol@example.com': { organizer: true },
    'ann@example.com': { self: true, comment: 'May be late', additionalGuests: 1 },
    'c_1888abcdef0123456789@resource.calendar.google.com': { resource: true },
  });
});

test('reminders: popup is display, email is email', () => {
  assert.equal(eventFromGoogle(googleFixture('reminders_use_default.json'), context).reminders, null);
  assert.deepEqual(eventFromGoogle(googleFixture('reminders_overrides.json'), context).reminders, [
    { method: 'display', minutesBefore: 60 }, { method: 'email', minutesBefore: 1440 },
  ]);
});

test('a Meet conference: the video entry point is the link, the rest rides along', () => {
  const e = eventFromGoogle(googleFixture('meet_conference_data.json'), context);
  assert.deepEqual(e.conference, { url: 'https://meet.google.com/abc-defg-hij', provider: 'meet' });
  // A new link replaces Google's conference data with one the link alone describes.
  const moved = eventToGoogle({ ...e, conference: { url: 'https://zoom.us/j/123', provider: 'zoom' } }, { calendarTimeZone: FIXTURE_ZONE });
  assert.equal(moved.hangoutLink, undefined);
  assert.deepEqual(moved.conferenceData, {
    entryPoints: [{ entryPointType: 'video', uri: 'https://zoom.us/j/123', label: 'zoom.us/j/123' }],
    conferenceSolution: { key: { type: 'addOn' } },
  });
  assert.deepEqual(eventFromGoogle(moved, context).conference, { url: 'https://zoom.us/j/123', provider: 'zoom' });
});

test('an HTML description keeps its markup and gives its text', () => {
  const e = eventFromGoogle(googleFixture('html_description.json'), context);
  assert.equal(e.descriptionHtml, googleFixture('html_description.json').description);
  assert.equal(e.description, 'Agenda:\nMockups\nQ&A\nDoc');
});

test('a plain description that looks like markup is escaped, so it reads back as typed', () => {
  const base = eventFromGoogle(googleFixture('reminders_use_default.json'), context);
  const typed = { ...base, description: 'Use <b> for bold\nand &amp; for &' };
  const g = eventToGoogle(typed, { calendarTimeZone: FIXTURE_ZONE });
  assert.equal(g.description, 'Use &lt;b&gt; for bold<br>and &amp;amp; for &amp;');
  assert.equal(eventFromGoogle(g, context).description, typed.description);
});

test('events.list singles without timeZone are in the calendar zone, and written back without it', () => {
  const e = eventFromGoogle(googleFixture('list_single_without_timezone.json'), context);
  assert.deepEqual(e.start, { local: '2026-03-11T12:30:00', tz: 'Europe/Berlin' });
  assert.equal(e.uid, 'imported-4711@example.com');
  // Moved to another zone, the zone is written.
  const g = eventToGoogle({ ...e, start: { local: '2026-03-11T12:30:00', tz: 'Europe/London' }, end: { local: '2026-03-11T13:30:00', tz: 'Europe/London' } }, { calendarTimeZone: FIXTURE_ZONE });
  assert.deepEqual(g.start, { dateTime: '2026-03-11T13:30:00+01:00', timeZone: 'Europe/London' });
});

test('unknown members, extended properties and Google-only settings ride in extras.google', () => {
  const e = eventFromGoogle(googleFixture('unknown_fields_and_extended_properties.json'), context);
  const fields = (e.extras.google as any).fields;
  assert.deepEqual(Object.keys(fields).sort(), [
    'attachments', 'colorId', 'creator', 'endTimeUnspecified', 'extendedProperties', 'futureMember', 'guestsCanInviteOthers',
    'guestsCanSeeOtherGuests', 'privateCopy', 'source',
  ]);
  assert.equal(e.color, null, 'colorId indexes a palette calsync cannot read without I/O');
  assert.deepEqual(e.organizer, { email: 'team@group.calendar.google.com', name: 'Team' });
});

test('special event types keep their properties', () => {
  const e = eventFromGoogle(googleFixture('out_of_office_event.json'), context);
  assert.equal((e.extras.google as any).fields.eventType, 'outOfOffice');
  assert.deepEqual(e.reminders, []);
});

test('a series in any order: master, moved instance, cancelled instance', () => {
  const list = googleFixture('series_master_with_exceptions.json') as GoogleEvent[];
  for (const order of [list, [...list].reverse(), [list[1]!, list[2]!, list[0]!]]) {
    const s = seriesFromGoogle(order, context);
    assert.equal(s.uid, '3s5u7a9c1e3g5i7k9m1o3q5s7u@google.com');
    assert.deepEqual(s.overrides.map((o) => [o.recurrenceId, o.status, o.summary]), [
      ['2026-03-16T10:00:00', 'confirmed', 'Planning (moved)'],
      ['2026-03-23T10:00:00', 'cancelled', ''],
    ]);
  }
  const all = googleFixture('all_day_series_with_exception.json') as GoogleEvent[];
  const s = seriesFromGoogle(all, context);
  assert.deepEqual(s.overrides.map((o) => [o.recurrenceId, o.start.local]), [['2026-03-10', '2026-03-11']]);
  assert.deepEqual(s.master?.recurrence?.exdate, ['2026-03-17']);
});

test('client input: UTC and offset-less times read in the calendar zone, timeZone: UTC stays UTC', () => {
  const [utc, plain, zoned] = (googleFixture('floating_or_utc_datetime.json') as GoogleEvent[]).map((r) => eventFromGoogle(r, { ...context, uid: 'client@example.com' }));
  assert.deepEqual(utc!.start, { local: '2026-03-02T10:00:00', tz: 'Europe/Berlin' });
  assert.deepEqual(plain!.start, { local: '2026-03-02T10:00:00', tz: 'Europe/Berlin' });
  assert.deepEqual(zoned!.start, { local: '2026-03-02T09:00:00', tz: 'UTC' });
  assert.equal(utc!.uid, 'client@example.com');
  assert.deepEqual(eventToGoogle(zoned!, { calendarTimeZone: 'UTC' }).start, { dateTime: '2026-03-02T09:00:00Z', timeZone: 'UTC' });
  // What Google answers for them: offsets of the calendar zone, no timeZone (none was given).
  assert.deepEqual(eventToGoogle(utc!, { calendarTimeZone: FIXTURE_ZONE }).start, { dateTime: '2026-03-02T10:00:00+01:00' });
});

test('calsync\'s private properties hold what Google cannot, and an edit made in Google wins over them', () => {
  const e = eventFromGoogle(googleFixture('attendees_with_resources.json'), context);
  const rich = {
    ...e,
    start: { local: '2026-03-04T14:00:00', tz: null }, end: { local: '2026-03-04T15:30:00', tz: null },
    attendees: e.attendees.map((a, i) => (i === 0 ? { ...a, role: 'chair' as const } : i === 2 ? { ...a, role: 'non-participant' as const, response: 'delegated' as const } : a)),
    reminders: [{ method: 'audio' as const, minutesBefore: 5 }],
    conference: { url: 'https://zoom.us/j/1', provider: 'custom' },
    categories: ['review', 'q1'],
    color: 'teal',
  };
  const g = eventToGoogle(rich, { calendarTimeZone: FIXTURE_ZONE });
  assert.deepEqual(eventFromGoogle(g, context), rich);
  // A person changes in Google what the private properties describe.
  const edited = structuredClone(g) as any;
  edited.start = { dateTime: '2026-03-04T14:00:00+01:00', timeZone: 'Europe/London' };
  edited.end = { dateTime: '2026-03-04T15:30:00+01:00', timeZone: 'Europe/London' };
  edited.attendees[0].optional = true;
  edited.attendees[2].responseStatus = 'accepted';
  edited.reminders = { useDefault: false, overrides: [{ method: 'popup', minutes: 15 }] };
  edited.conferenceData.entryPoints[0].uri = 'https://zoom.us/j/2';
  const read = eventFromGoogle(edited, context);
  assert.deepEqual(read.start, { local: '2026-03-04T13:00:00', tz: 'Europe/London' });
  assert.deepEqual([read.attendees[0]!.role, read.attendees[2]!.role, read.attendees[2]!.response], ['optional', 'non-participant', 'accepted']);
  assert.deepEqual(read.reminders, [{ method: 'display', minutesBefore: 15 }]);
  assert.deepEqual(read.conference, { url: 'https://zoom.us/j/2', provider: 'zoom' });
  assert.deepEqual([read.categories, read.color], [['review', 'q1'], 'teal']);
});

test('keys the user owns that merely start with "calsync" stay the user\'s', () => {
  const r = googleFixture('reminders_use_default.json');
  r.extendedProperties = { private: { calsyncNote: 'mine', calsyncAttendeeX: '1' } };
  const e = eventFromGoogle(r, context);
  assert.deepEqual((e.extras.google as any).fields.extendedProperties, r.extendedProperties);
  assert.deepEqual(eventToGoogle(e, { calendarTimeZone: FIXTURE_ZONE }).extendedProperties, r.extendedProperties);
});
