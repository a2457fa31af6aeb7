import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoreError } from '../../src/core/errors.ts';
import { normaliseEvent, normaliseLocal, normaliseSeries, normaliseZone } from '../../src/core/normalise.ts';
import { event, instance, single, weekly } from '../helpers/events.ts';

const alice = { email: 'alice@example.com', name: 'Alice', role: 'required' as const, response: 'accepted' as const, respondedAt: null };
const bob = { email: 'bob@example.com', name: 'Bob', role: 'optional' as const, response: 'needs-action' as const, respondedAt: null };

test('attendee order and address case are not content', () => {
  const a = normaliseEvent(event({ attendees: [alice, bob] }));
  const b = normaliseEvent(event({ attendees: [{ ...bob, email: 'MAILTO:Bob@Example.COM' }, { ...alice, respondedAt: '2026-01-01T00:00:00Z' }] }));
  assert.deepEqual(a, b);
  assert.deepEqual(a.attendees.map((x) => x.email), ['alice@example.com', 'bob@example.com']);
});

test('a response change is content', () => {
  const a = normaliseEvent(event({ attendees: [alice] }));
  const b = normaliseEvent(event({ attendees: [{ ...alice, response: 'declined' }] }));
  assert.notDeepEqual(a, b);
});

test('an HTML body compares by its text', () => {
  const text = normaliseEvent(event({ description: 'Agenda\nBring notes & coffee' }));
  const html = normaliseEvent(event({
    description: 'stale text',
    descriptionHtml: '<html><head><style>p{}</style></head><body><p>Agenda</p><p>Bring notes &amp; coffee&nbsp;</p></body></html>',
  }));
  assert.equal(html.description, 'Agenda\nBring notes & coffee');
  assert.deepEqual(text, html);
});

test('a bare cancelled override is the same as an EXDATE', () => {
  const exdate = weekly({ recurrence: { rrule: ['FREQ=WEEKLY;BYDAY=MO;COUNT=10'], rdate: [], exdate: ['2026-03-09T10:00:00'] } });
  const cancelled = weekly({}, [instance('2026-03-09', { status: 'cancelled', summary: '' })]);
  assert.deepEqual(normaliseSeries(exdate), normaliseSeries(cancelled));
  assert.equal(normaliseSeries(cancelled).overrides.length, 0);
});

test('a cancelled override with its own content stays an override', () => {
  const series = weekly({}, [instance('2026-03-09', { status: 'cancelled', summary: 'Moved to Tuesday, see mail' })]);
  const normal = normaliseSeries(series);
  assert.equal(normal.overrides.length, 1);
  assert.deepEqual(normal.master?.recurrence?.exdate, []);
});

test('UTC spellings and trailing zone whitespace are one zone', () => {
  for (const tz of ['Etc/UTC', 'GMT', 'UTC', 'utc', 'Etc/GMT+0', 'Z']) assert.equal(normaliseZone(tz), 'UTC');
  assert.equal(normaliseZone('Europe/Berlin '), 'Europe/Berlin');
  assert.equal(normaliseZone(' '), null);
});

test('equivalent local time forms are one form', () => {
  assert.equal(normaliseLocal('20260302T100000', false, 'x'), '2026-03-02T10:00:00');
  assert.equal(normaliseLocal('2026-03-02T10:00', false, 'x'), '2026-03-02T10:00:00');
  assert.equal(normaliseLocal('2026-03-02T10:00:00.000', false, 'x'), '2026-03-02T10:00:00');
  assert.equal(normaliseLocal('2026-03-02T00:00:00', true, 'x'), '2026-03-02');
  assert.equal(normaliseLocal('20260302', true, 'x'), '2026-03-02');
});

test('all-day events drop the zone Graph sends with them', () => {
  const a = normaliseEvent(event({ allDay: true, start: { local: '2026-03-02T00:00:00', tz: 'Pacific Standard Time' }, end: { local: '2026-03-03T00:00:00', tz: 'Pacific Standard Time' } }));
  assert.deepEqual(a.start, { local: '2026-03-02', tz: null });
  assert.deepEqual(a.end, { local: '2026-03-03', tz: null });
});

test('whitespace, empty collections and defaults are not content', () => {
  const a = normaliseEvent(event({ summary: 'Planning  \r\n', location: 'Room 1\n', categories: ['b', 'a', 'a', ' '], color: '#A4BDFC' }));
  const b = normaliseEvent(event({ summary: 'Planning', location: 'Room 1', categories: ['a', 'b'], color: '#a4bdfc', sequence: 7, extras: { google: { htmlLink: 'x' } } }));
  assert.deepEqual(a, b);
  const nulls = normaliseEvent({ ...event(), attendees: null, categories: null } as never);
  assert.deepEqual(nulls.attendees, []);
  assert.deepEqual(nulls.categories, []);
});

test('default reminders differ from no reminders', () => {
  assert.notDeepEqual(normaliseEvent(event({ reminders: null })), normaliseEvent(event({ reminders: [] })));
  const a = normaliseEvent(event({ reminders: [{ method: 'email', minutesBefore: 30 }, { method: 'display', minutesBefore: 10 }] }));
  const b = normaliseEvent(event({ reminders: [{ method: 'display', minutesBefore: 10 }, { method: 'email', minutesBefore: 30 }] }));
  assert.deepEqual(a, b);
});

test('RRULE part order, default INTERVAL and BYDAY order are not content', () => {
  const a = normaliseSeries(weekly({ recurrence: { rrule: ['RRULE:BYDAY=FR,MO;FREQ=WEEKLY;INTERVAL=1;WKST=MO'], rdate: [], exdate: [] } }));
  const b = normaliseSeries(weekly({ recurrence: { rrule: ['FREQ=WEEKLY;BYDAY=MO,FR'], rdate: [], exdate: [] } }));
  assert.deepEqual(a, b);
  assert.deepEqual(b.master?.recurrence?.rrule, ['FREQ=WEEKLY;BYDAY=FR,MO']);
});

test('overrides are ordered by recurrence id', () => {
  const normal = normaliseSeries(weekly({}, [instance('2026-03-16', { summary: 'b' }), instance('2026-03-09', { summary: 'a' })]));
  assert.deepEqual(normal.overrides.map((o) => o.recurrenceId), ['2026-03-09T10:00:00', '2026-03-16T10:00:00']);
});

test('bad input is a typed error naming the path', () => {
  const cases: [unknown, string, string][] = [
    [null, 'INVALID_EVENT', 'series'],
    [{ ...single(), uid: '' }, 'INVALID_EVENT', 'series.uid'],
    [single({ start: { local: 'tomorrow', tz: null } }), 'INVALID_EVENT', 'series.master.start.local'],
    [single({ status: 'maybe' as never }), 'INVALID_EVENT', 'series.master.status'],
    [weekly({ recurrence: { rrule: ['BYDAY=MO'], rdate: [], exdate: [] } }), 'INVALID_RECURRENCE', 'series.master.recurrence.rrule[0]'],
    [weekly({}, [instance('2026-03-09'), instance('2026-03-09')]), 'INVALID_EVENT', 'series.overrides[1]'],
    [single({ attendees: [{ ...alice, email: '' }] }), 'INVALID_EVENT', 'series.master.attendees[0].email'],
    [single({ end: { local: '2026-03-02T09:00:00', tz: 'Europe/Berlin' } }), 'INVALID_EVENT', 'series.master.end'],
  ];
  for (const [input, code, path] of cases) {
    assert.throws(() => normaliseSeries(input as never), (error: unknown) => {
      assert.ok(error instanceof CoreError, `not a CoreError: ${String(error)}`);
      assert.equal(error.code, code);
      assert.equal(error.path, path);
      return true;
    });
  }
});
