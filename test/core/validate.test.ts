import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoreError } from '../../src/core/errors.ts';
import type { CanonicalEvent, EventSeries } from '../../src/core/model.ts';
import { validateEvent, validateSeries } from '../../src/core/validate.ts';

function event(patch: Partial<CanonicalEvent> = {}): CanonicalEvent {
  return {
    uid: 'uid-1@example.com',
    recurrenceId: null,
    sequence: 0,
    status: 'confirmed',
    summary: 'Standup',
    description: '',
    descriptionHtml: null,
    location: '',
    allDay: false,
    start: { local: '2025-03-03T10:00:00', tz: 'Europe/Berlin' },
    end: { local: '2025-03-03T10:15:00', tz: 'Europe/Berlin' },
    recurrence: null,
    transparency: 'opaque',
    visibility: 'default',
    organizer: { email: 'boss@example.com', name: 'Boss' },
    attendees: [
      { email: 'ann@example.com', name: null, role: 'required', response: 'accepted', respondedAt: '2025-03-01T08:00:00Z' },
    ],
    conference: { url: 'https://meet.google.com/abc-defg-hij', provider: 'meet' },
    reminders: [{ method: 'display', minutesBefore: 10 }],
    categories: ['Work'],
    color: null,
    extras: { ical: { properties: ['X-FOO:bar'] } },
    ...patch,
  };
}

function rejects(input: unknown, path: string, validate: (x: unknown) => unknown = validateEvent): void {
  assert.throws(
    () => validate(input),
    (e: unknown) => {
      assert.ok(e instanceof CoreError, `expected CoreError, got ${String(e)}`);
      assert.equal(e.code, 'INVALID_EVENT');
      assert.equal(e.path, path);
      return true;
    },
  );
}

const at = (patch: Record<string, unknown>): unknown => ({ ...event(), ...patch });

test('a complete valid event is returned as is', () => {
  const e = event();
  assert.equal(validateEvent(e), e);
  const allDay = event({ allDay: true, start: { local: '2025-03-03', tz: null }, end: { local: '2025-03-05', tz: null } });
  assert.equal(validateEvent(allDay), allDay);
  const floating = event({ start: { local: '2025-03-03T10:00:00', tz: null }, end: { local: '2025-03-03T11:00:00', tz: null } });
  assert.equal(validateEvent(floating), floating);
  assert.ok(validateEvent(event({ start: { local: '2025-03-03T10:00:00', tz: 'Asia/Kolkata' }, end: { local: '2025-03-03T10:00:00', tz: 'UTC' } })));
});

test('garbage never crashes: each shape fails with INVALID_EVENT', () => {
  rejects(null, '(root)');
  rejects(42, '(root)');
  rejects('event', '(root)');
  rejects([], '(root)');
  rejects({}, 'uid');
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  rejects(at({ extras: cyclic }), 'extras.self');
  rejects(at({ extras: { google: { n: Number.NaN } } }), 'extras.google.n');
  rejects(at({ extras: { ical: () => 1 } }), 'extras.ical');
  rejects(at({ extras: { when: new Date(0) } }), 'extras.when');
});

test('scalar fields are type- and enum-checked', () => {
  rejects(at({ uid: '' }), 'uid');
  rejects(at({ sequence: -1 }), 'sequence');
  rejects(at({ sequence: 1.5 }), 'sequence');
  rejects(at({ status: 'CONFIRMED' }), 'status');
  rejects(at({ summary: null }), 'summary');
  rejects(at({ description: 3 }), 'description');
  rejects(at({ descriptionHtml: undefined }), 'descriptionHtml');
  rejects(at({ location: undefined }), 'location');
  rejects(at({ allDay: 'yes' }), 'allDay');
  rejects(at({ transparency: 'busy' }), 'transparency');
  rejects(at({ visibility: 'secret' }), 'visibility');
  rejects(at({ color: 1 }), 'color');
  rejects(at({ categories: ['ok', ''] }), 'categories[1]');
  rejects(at({ categories: 'Work' }), 'categories');
});

test('times: formats follow allDay, zones are IANA, end is not before start', () => {
  rejects(at({ start: { local: '2025-03-03', tz: 'Europe/Berlin' } }), 'start.local');
  rejects(at({ start: { local: '2025-03-03T10:00', tz: 'Europe/Berlin' } }), 'start.local');
  rejects(at({ start: { local: '2025-02-30T10:00:00', tz: 'Europe/Berlin' } }), 'start.local');
  rejects(at({ start: { local: '2025-03-03T24:00:00', tz: 'Europe/Berlin' } }), 'start.local');
  rejects(at({ start: { local: '2025-03-03T10:00:00Z', tz: 'UTC' } }), 'start.local');
  rejects(at({ start: { local: '2025-03-03T10:00:00', tz: 'Pacific Standard Time' } }), 'start.tz');
  rejects(at({ start: { local: '2025-03-03T10:00:00', tz: 'utc' } }), 'start.tz');
  rejects(at({ end: { local: '2025-03-03T09:59:59', tz: 'Europe/Berlin' } }), 'end');
  // 10:00 Berlin is 09:00 UTC: an end of 09:30 UTC is after it even though it reads earlier.
  assert.ok(validateEvent(at({ end: { local: '2025-03-03T09:30:00', tz: 'UTC' } })));
  rejects(at({ end: { local: '2025-03-03T08:30:00', tz: 'UTC' } }), 'end');
  rejects(at({ end: { local: '2025-03-03T11:00:00', tz: null } }), 'end.tz');
  rejects(at({ start: { local: '2025-03-03T10:00:00' } }), 'start.tz');
  const allDay = { allDay: true, start: { local: '2025-03-03', tz: null }, end: { local: '2025-03-03', tz: null } };
  rejects(at(allDay), 'end');
  rejects(at({ ...allDay, end: { local: '2025-03-04T00:00:00', tz: null } }), 'end.local');
  rejects(at({ ...allDay, start: { local: '2025-03-03', tz: 'Europe/Berlin' } }), 'start.tz');
  assert.ok(validateEvent(at({ start: { local: '2024-02-29T10:00:00', tz: null }, end: { local: '2024-02-29T10:00:00', tz: null } })));
  rejects(at({ start: { local: '2025-02-29T10:00:00', tz: null }, end: { local: '2025-03-01T10:00:00', tz: null } }), 'start.local');
});

test('recurrence: valid RRULEs, dates in start terms, masters only', () => {
  const recurrence = { rrule: ['FREQ=WEEKLY;BYDAY=MO'], rdate: ['2025-03-05T10:00:00'], exdate: ['2025-03-10T10:00:00'] };
  assert.ok(validateEvent(at({ recurrence })));
  rejects(at({ recurrence: { ...recurrence, rrule: ['RRULE:FREQ=WEEKLY'] } }), 'recurrence.rrule[0]');
  rejects(at({ recurrence: { ...recurrence, rrule: ['FREQ=SOMETIMES'] } }), 'recurrence.rrule[0]');
  rejects(at({ recurrence: { ...recurrence, rrule: ['BYDAY=MO'] } }), 'recurrence.rrule[0]');
  rejects(at({ recurrence: { ...recurrence, rrule: ['FREQ=DAILY;COUNT=2;UNTIL=20250101T000000Z'] } }), 'recurrence.rrule[0]');
  rejects(at({ recurrence: { ...recurrence, rrule: ['FREQ=DAILY;BOGUS=1'] } }), 'recurrence.rrule[0]');
  rejects(at({ recurrence: { ...recurrence, exdate: ['2025-03-10'] } }), 'recurrence.exdate[0]');
  rejects(at({ recurrence: { ...recurrence, rdate: [20250305] } }), 'recurrence.rdate[0]');
  rejects(at({ recurrence: { rrule: [], rdate: [], exdate: [] } }), 'recurrence');
  rejects(at({ recurrence: { rrule: ['FREQ=DAILY'] } }), 'recurrence.rdate');
  rejects(at({ recurrence, recurrenceId: '2025-03-10T10:00:00' }), 'recurrence');
  rejects(at({ recurrenceId: '2025/03/10' }), 'recurrenceId');
});

test('people: lower-case unique emails, known roles and responses', () => {
  const ann = event().attendees[0]!;
  rejects(at({ organizer: { email: 'Boss@Example.com', name: null } }), 'organizer.email');
  rejects(at({ organizer: { email: 'mailto:boss@example.com', name: null } }), 'organizer.email');
  rejects(at({ attendees: [{ ...ann, email: 'not an email' }] }), 'attendees[0].email');
  rejects(at({ attendees: [ann, { ...ann }] }), 'attendees[1].email');
  rejects(at({ attendees: [{ ...ann, role: 'REQ-PARTICIPANT' }] }), 'attendees[0].role');
  rejects(at({ attendees: [{ ...ann, response: 'maybe' }] }), 'attendees[0].response');
  rejects(at({ attendees: [{ ...ann, respondedAt: 'yesterday' }] }), 'attendees[0].respondedAt');
  rejects(at({ attendees: [{ ...ann, name: 7 }] }), 'attendees[0].name');
  rejects(at({ attendees: null }), 'attendees');
});

test('conference and reminders', () => {
  rejects(at({ conference: { url: 'meet', provider: null } }), 'conference.url');
  rejects(at({ conference: { url: 'https://zoom.us/j/1' } }), 'conference.provider');
  rejects(at({ reminders: [{ method: 'popup', minutesBefore: 10 }] }), 'reminders[0].method');
  rejects(at({ reminders: [{ method: 'email', minutesBefore: -5 }] }), 'reminders[0].minutesBefore');
  rejects(at({ reminders: {} }), 'reminders');
  assert.ok(validateEvent(at({ reminders: null, conference: null, organizer: null })));
});

test('series: overrides share the uid, sit on the master terms, once each', () => {
  const master = event({ recurrence: { rrule: ['FREQ=WEEKLY'], rdate: [], exdate: [] } });
  const override = event({ recurrenceId: '2025-03-10T10:00:00', start: { local: '2025-03-10T11:00:00', tz: 'Europe/Berlin' }, end: { local: '2025-03-10T12:00:00', tz: 'Europe/Berlin' } });
  const series: EventSeries = { uid: master.uid, master, overrides: [override] };
  assert.equal(validateSeries(series), series);
  assert.ok(validateSeries({ uid: master.uid, master: null, overrides: [override] }));
  rejects(null, '(root)', validateSeries);
  rejects({ uid: master.uid, master: null, overrides: [] }, '(root)', validateSeries);
  rejects({ ...series, uid: 'other' }, 'master.uid', validateSeries);
  rejects({ ...series, overrides: [{ ...override, uid: 'other' }] }, 'overrides[0].uid', validateSeries);
  rejects({ ...series, overrides: [{ ...override, recurrenceId: null }] }, 'overrides[0].recurrenceId', validateSeries);
  rejects({ ...series, overrides: [{ ...override, recurrenceId: '2025-03-10' }] }, 'overrides[0].recurrenceId', validateSeries);
  rejects({ ...series, overrides: [override, { ...override }] }, 'overrides[1].recurrenceId', validateSeries);
  rejects({ ...series, overrides: [{ ...override, summary: 5 }] }, 'overrides[0].summary', validateSeries);
  rejects({ ...series, master: event() }, 'master.recurrence', validateSeries);
  rejects({ ...series, overrides: 'none' }, 'overrides', validateSeries);
});
