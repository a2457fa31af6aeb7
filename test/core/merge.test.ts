import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoreError } from '../../src/core/errors.ts';
import { baseAfterUnconfirmedWrite, baseUntilRemoteWritten, mergeSeries, type MergeInput } from '../../src/core/merge.ts';
import type { Attendee, EventSeries } from '../../src/core/model.ts';
import { normaliseSeries } from '../../src/core/normalise.ts';
import { defaultPolicy, parsePolicy } from '../../src/core/policy.ts';
import { instance, single, weekly } from '../helpers/events.ts';

const EARLY = '2026-03-01T08:00:00Z';
const LATE = '2026-03-01T09:00:00Z';

function merge(base: EventSeries | null, calendar: EventSeries, remote: EventSeries, more: Partial<MergeInput> = {}) {
  return mergeSeries({
    base: base && normaliseSeries(base), calendar, remote,
    calendarUpdatedAt: EARLY, remoteUpdatedAt: LATE, policy: defaultPolicy, ...more,
  });
}

const person = (email: string, response: Attendee['response'], respondedAt: string | null = null): Attendee =>
  ({ email, name: null, role: 'required', response, respondedAt });

test('fields changed on different sides both survive', () => {
  const result = merge(single(), single({ summary: 'Calendar title' }), single({ location: 'Room 7' }));
  assert.equal(result.merged.master?.summary, 'Calendar title');
  assert.equal(result.merged.master?.location, 'Room 7');
  assert.deepEqual(result.conflicts, []);
  assert.deepEqual(result.decisions.map((d) => [d.field, d.took]), [['summary', 'calendar'], ['location', 'remote']]);
});

test('both sides changed one field: the later write wins and the loser is kept', () => {
  const result = merge(single(), single({ summary: 'older' }), single({ summary: 'newer' }));
  assert.equal(result.merged.master?.summary, 'newer');
  const decision = result.decisions.find((d) => d.field === 'summary');
  assert.equal(decision?.took, 'remote');
  assert.equal(decision?.lost, 'older');
  const flipped = merge(single(), single({ summary: 'older' }), single({ summary: 'newer' }), { calendarUpdatedAt: LATE, remoteUpdatedAt: EARLY });
  assert.equal(flipped.merged.master?.summary, 'older');
});

test('the same change on both sides is no conflict', () => {
  const result = merge(single(), single({ summary: 'same' }), single({ summary: 'same ' }), { policy: parsePolicy('manual') });
  assert.deepEqual(result.conflicts, []);
  assert.equal(result.decisions[0]?.took, 'both-same');
});

test('start and end move as one unit', () => {
  const moved = { start: { local: '2026-03-02T14:00:00', tz: 'Europe/Berlin' }, end: { local: '2026-03-02T15:00:00', tz: 'Europe/Berlin' } };
  const longer = { end: { local: '2026-03-02T12:00:00', tz: 'Europe/Berlin' } };
  const result = merge(single(), single(moved), single(longer), { calendarUpdatedAt: LATE, remoteUpdatedAt: EARLY });
  assert.deepEqual(result.merged.master?.start, moved.start);
  assert.deepEqual(result.merged.master?.end, moved.end);
  assert.equal(result.decisions.find((d) => d.field === 'time')?.took, 'calendar');
});

test('manual sends a same-field change to the queue while other fields merge', () => {
  const result = merge(single(), single({ summary: 'A', color: '#ff0000' }), single({ summary: 'B', location: 'Room' }), { policy: parsePolicy('manual') });
  assert.deepEqual(result.conflicts, [{ field: 'summary', base: 'Planning', calendar: 'A', remote: 'B' }]);
  assert.equal(result.merged.master?.summary, 'A');
  assert.equal(result.merged.master?.color, '#ff0000');
  assert.equal(result.merged.master?.location, 'Room');
});

test('until the remote half of a merge lands, the base is the remote\'s content with asked fields at the base\'s value', () => {
  const remote = weekly({ summary: 'B', location: 'Room' }, [instance('2026-03-09', { summary: 'moved there' })]);
  const result = merge(weekly(), weekly({ summary: 'A', description: 'agenda' }), remote, { policy: parsePolicy('manual') });
  const base = baseUntilRemoteWritten(result, remote);
  assert.equal(base.master?.summary, 'Planning', 'asked: the base\'s value, so both sides still differ from it');
  assert.equal(base.master?.location, 'Room', 'taken from the remote by the calendar: agreed');
  assert.equal(base.master?.description, normaliseSeries(weekly()).master?.description, 'to be written to the remote: the remote still holds the old value');
  assert.deepEqual(base.overrides.map((o) => o.summary), ['moved there']);
  // Without asked fields it is the remote's content as listed.
  const plain = merge(single(), single({ summary: 'A' }), single({ location: 'Room' }));
  assert.deepEqual(baseUntilRemoteWritten(plain, single({ location: 'Room' })), normaliseSeries(single({ location: 'Room' })));
});

test('description can ask a person while other fields take the later write', () => {
  const policy = parsePolicy({ fields: { description: 'ask' } });
  const result = merge(single(), single({ description: 'x', summary: 's1' }), single({ description: 'y', summary: 's2' }), { policy });
  assert.deepEqual(result.conflicts.map((c) => c.field), ['description']);
  assert.equal(result.merged.master?.summary, 's2');
});

test('calendar-wins and remote-wins settle same-field changes but keep one-sided ones', () => {
  const cw = merge(single(), single({ summary: 'cal' }), single({ summary: 'rem', location: 'L' }), { policy: parsePolicy('calendar-wins') });
  assert.equal(cw.merged.master?.summary, 'cal');
  assert.equal(cw.merged.master?.location, 'L');
  const rw = merge(single(), single({ summary: 'cal' }), single({ summary: 'rem' }), { policy: parsePolicy('remote-wins'), calendarUpdatedAt: LATE, remoteUpdatedAt: EARLY });
  assert.equal(rw.merged.master?.summary, 'rem');
});

test('attendees merge by email with the newest response', () => {
  const base = single({ attendees: [person('a@x.org', 'needs-action'), person('b@x.org', 'needs-action'), person('c@x.org', 'accepted')] });
  const calendar = single({ attendees: [person('A@X.org', 'declined', '2026-03-01T10:00:00Z'), person('b@x.org', 'needs-action'), person('c@x.org', 'accepted'), person('d@x.org', 'needs-action')] });
  const remote = single({ attendees: [person('a@x.org', 'accepted', '2026-03-01T11:00:00Z'), person('b@x.org', 'tentative', '2026-03-01T09:00:00Z')] });
  const merged = merge(base, calendar, remote).merged.master!.attendees;
  assert.deepEqual(merged.map((a) => [a.email, a.response]), [['a@x.org', 'accepted'], ['b@x.org', 'tentative'], ['d@x.org', 'needs-action']]);
  assert.equal(merged[0]?.respondedAt, '2026-03-01T11:00:00Z');
});

test('a removed attendee stays removed unless the other side changed them', () => {
  const base = single({ attendees: [person('a@x.org', 'needs-action')] });
  const removed = merge(base, single({ attendees: [] }), base);
  assert.deepEqual(removed.merged.master?.attendees, []);
  const kept = merge(base, single({ attendees: [] }), single({ attendees: [person('a@x.org', 'accepted')] }));
  assert.deepEqual(kept.merged.master?.attendees.map((a) => a.response), ['accepted']);
});

test('the recurrence rule is one unit; cancelled instances merge as a set', () => {
  const rule = (rrule: string, exdate: string[] = []) => ({ recurrence: { rrule: [rrule], rdate: [], exdate } });
  const base = weekly();
  const calendar = weekly(rule('FREQ=WEEKLY;BYDAY=MO;COUNT=10', ['2026-03-09T10:00:00']));
  const remote = weekly(rule('FREQ=WEEKLY;BYDAY=MO;COUNT=5'), [instance('2026-03-16', { status: 'cancelled' })]);
  const merged = merge(base, calendar, remote).merged.master!.recurrence!;
  assert.deepEqual(merged.rrule, ['FREQ=WEEKLY;BYDAY=MO;COUNT=5']);
  assert.deepEqual(merged.exdate, ['2026-03-09T10:00:00', '2026-03-16T10:00:00']);
});

test('overrides merge by recurrence id', () => {
  const base = weekly({}, [instance('2026-03-09', { summary: 'base' })]);
  const calendar = weekly({}, [instance('2026-03-09', { summary: 'moved title' }), instance('2026-03-23', { location: 'new room' })]);
  const remote = weekly({ summary: 'Series renamed' }, [instance('2026-03-09', { summary: 'base', location: 'R2' })]);
  const merged = merge(base, calendar, remote).merged;
  assert.equal(merged.master?.summary, 'Series renamed');
  assert.deepEqual(merged.overrides.map((o) => [o.recurrenceId, o.summary, o.location]), [
    ['2026-03-09T10:00:00', 'moved title', 'R2'],
    ['2026-03-23T10:00:00', 'Planning', 'new room'],
  ]);
});

test('an override removed on one side is gone unless the other side edited it', () => {
  const base = weekly({}, [instance('2026-03-09', { summary: 'x' })]);
  assert.equal(merge(base, weekly(), base).merged.overrides.length, 0);
  assert.equal(merge(base, weekly(), weekly({}, [instance('2026-03-09', { summary: 'y' })])).merged.overrides[0]?.summary, 'y');
});

test('an instance cancelled on one side and edited on the other follows edit-vs-delete', () => {
  const base = weekly({}, [instance('2026-03-09', { summary: 'x' })]);
  const cancelled = weekly({ recurrence: { rrule: ['FREQ=WEEKLY;BYDAY=MO;COUNT=10'], rdate: [], exdate: ['2026-03-09T10:00:00'] } });
  const edited = weekly({}, [instance('2026-03-09', { summary: 'y' })]);
  const editWins = merge(base, cancelled, edited).merged;
  assert.deepEqual(editWins.master?.recurrence?.exdate, []);
  assert.equal(editWins.overrides[0]?.summary, 'y');
  const deleteWins = merge(base, cancelled, edited, { policy: parsePolicy({ editVsDelete: 'delete-wins' }) }).merged;
  assert.deepEqual(deleteWins.master?.recurrence?.exdate, ['2026-03-09T10:00:00']);
  assert.equal(deleteWins.overrides.length, 0);
  // calendar-wins: the calendar's cancellation beats the remote's edit, and the other way round.
  const calendarWins = parsePolicy('calendar-wins');
  assert.equal(merge(base, cancelled, edited, { policy: calendarWins }).merged.overrides.length, 0);
  assert.equal(merge(base, edited, cancelled, { policy: calendarWins }).merged.overrides[0]?.summary, 'y');
});

test('the HTML body of the side whose description was taken is kept', () => {
  const result = merge(single({ description: 'old' }), single(), single({ description: 'new', descriptionHtml: '<p>new</p>', extras: { graph: { changeKey: 'k' } } }));
  assert.equal(result.merged.master?.descriptionHtml, '<p>new</p>');
  assert.deepEqual(result.merged.master?.extras, { graph: { changeKey: 'k' } });
});

test('without a base every difference goes to the later write, never to a person', () => {
  const result = merge(null, single({ summary: 'a' }), single({ summary: 'b' }), { policy: parsePolicy('manual') });
  assert.deepEqual(result.conflicts, []);
  assert.equal(result.merged.master?.summary, 'b');
  assert.match(result.decisions[0]!.reason, /first matched/);
});

test('bad input is a typed error', () => {
  assert.throws(() => merge(single(), single({ status: 'gone' as never }), single()), (e: unknown) => e instanceof CoreError && e.code === 'INVALID_EVENT');
  assert.throws(() => merge(single(), single(), single(), { policy: { mode: 'default', fields: { summary: 'dice' } } as never }), (e: unknown) => e instanceof CoreError && e.code === 'INVALID_POLICY');
  assert.throws(() => merge(single(), single(), { uid: 'u', master: 'x' } as never), (e: unknown) => e instanceof CoreError && e.path === 'series.master');
});

test('after an unanswered write, what the item still holds of it is the base', () => {
  const n = normaliseSeries;
  const base = n(weekly({ location: 'old' }, [instance('2026-03-23', { summary: 'dropped by us' })]));
  const sent = n(weekly({ location: 'ours' }, [instance('2026-03-16', { summary: 'added by us' })]));
  const remote = n(weekly({ location: 'ours', summary: 'theirs' }, [instance('2026-03-16', { summary: 'added by us' })]));
  const result = baseAfterUnconfirmedWrite(base, sent, remote);
  assert.equal(result.master?.location, 'ours', 'the landed unit');
  assert.equal(result.master?.summary, 'Planning', 'a unit someone changed since keeps the stored base');
  assert.deepEqual(result.overrides.map((o) => o.summary), ['added by us']);
  const notLanded = baseAfterUnconfirmedWrite(base, sent, base);
  assert.deepEqual(notLanded, base);
});
