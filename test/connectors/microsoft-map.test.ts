// The Graph mapping against Microsoft's documentation examples (test/fixtures/microsoft,
// README.md there names each page) and the quirks those pages state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CanonicalEvent, EventSeries, RemoteLiveItem } from '../../src/core/model.ts';
import { deltaPageOf } from '../../src/connectors/microsoft/delta.ts';
import {
  deletedItem, exdatesFromInstances, isUnreadable, readSeries, seriesEvents, seriesToGraph,
} from '../../src/connectors/microsoft/map.ts';
import { eventFromGraph } from '../../src/connectors/microsoft/read.ts';
import { eventToGraph, GraphWriteRefused } from '../../src/connectors/microsoft/render.ts';
import { CALSYNC_ID_PROPERTY, stampOf } from '../../src/connectors/microsoft/stamp.ts';
import type { GraphEvent } from '../../src/connectors/microsoft/types.ts';
import { graphFixture } from '../fixtures/microsoft/fixtures.ts';
import { throughGraph } from './microsoft-answers.ts';

const meta = { calendarTimeZone: 'Europe/Berlin', calsyncId: 'E1' };

function live(entry: ReturnType<typeof readSeries>): RemoteLiveItem {
  assert.ok(!isUnreadable(entry) && !entry.deleted, isUnreadable(entry) ? entry.reason : 'deleted');
  return entry as RemoteLiveItem;
}

test('delta pages: the link to follow, the link to store, and @removed entries', () => {
  const first = deltaPageOf(graphFixture('delta_first_page_next_link.json'));
  assert.equal(first.nextLink, 'https://graph.microsoft.com/v1.0/me/calendarView/delta?$skiptoken=R0usmcCM996atia_s');
  assert.equal(first.deltaLink, null);
  assert.deepEqual(first.events.map((e) => e.subject), ['Plan shopping list', 'Pick up car']);
  const last = deltaPageOf(graphFixture('delta_final_page_delta_link.json'));
  assert.equal(last.nextLink, null);
  assert.equal(last.deltaLink, 'https://graph.microsoft.com/v1.0/me/calendarView/delta?$deltatoken=R0usmcMDNGg0J1E');
  const next = deltaPageOf(graphFixture('delta_next_round_removed_entry.json'));
  assert.deepEqual(next.removed, [{ id: 'AAMkADk0MGFkODE3LWE4MmYtNDRhOS04OGQLkRkXbBznTvAADb6ytyAAA=', reason: 'deleted' }]);
  assert.deepEqual(next.events.map((e) => e.id), ['AAMkADj1HvAAA=']);
  assert.deepEqual(deletedItem(next.removed[0]!.id), { remoteId: next.removed[0]!.id, etag: null, deleted: true, series: null, calsyncId: null, updatedAt: null });
  const both = { ...graphFixture('delta_first_page_next_link.json'), '@odata.deltaLink': 'https://graph.microsoft.com/x' };
  assert.throws(() => deltaPageOf(both), /exactly one of @odata.nextLink and @odata.deltaLink/);
  assert.throws(() => deltaPageOf({ value: [] }), /exactly one/);
});

test('delta events in UTC read as UTC times; without attendees the calendar owner is no organizer', () => {
  const page = deltaPageOf(graphFixture('delta_next_round_removed_entry.json'));
  const event = page.events[0]!;
  const item = live(readSeries(event.id!, seriesEvents(event.id!, page.events), { uid: 'uid-from-elsewhere' }));
  const master = item.series.master!;
  assert.equal(master.summary, 'Attend service');
  assert.deepEqual([master.start, master.end], [{ local: '2016-12-25T06:00:00', tz: 'UTC' }, { local: '2016-12-25T07:30:00', tz: 'UTC' }]);
  assert.equal(master.location, 'Chapel of Saint Ignatius');
  assert.equal(master.organizer, null);
  assert.deepEqual((master.extras.graph as any).organizer, { emailAddress: { name: 'Samantha Booth', address: 'samanthab@contoso.onmicrosoft.com' } });
  assert.equal(item.etag, 'W/"EZ9r3czxY0m2jz8c45czkwAALZu97w=="');
  // The address and coordinates ride along and are written back with the place.
  assert.deepEqual(eventToGraph(master, meta).location, event.location);
});

test('an event without iCalUId (the delta page samples are trimmed) is unreadable, not given an invented uid', () => {
  const page = deltaPageOf(graphFixture('delta_first_page_next_link.json'));
  const entry = readSeries('AAMkADNVxRAAA=', seriesEvents('AAMkADNVxRAAA=', page.events));
  assert.ok(isUnreadable(entry));
  assert.match(entry.reason, /AAMkADNVxRAAA=.*iCalUId/);
  assert.equal(entry.etag, 'W/"EZ9r3czxY0m2jz8c45czkwAAFXcvIQ=="');
});

test('a daily seriesMaster in Pacific Standard Time reads as documented and writes back as it came', () => {
  const resource = graphFixture('series_master_daily_numbered_windows_zone.json');
  const item = live(readSeries(resource.id, seriesEvents(resource.id, [resource])));
  const master = item.series.master!;
  assert.equal(item.series.uid, resource.uid);
  assert.equal(item.updatedAt, '2020-02-18T22:13:47.739Z');
  assert.deepEqual(master.recurrence, { rrule: ['FREQ=DAILY;COUNT=2'], rdate: [], exdate: [] });
  assert.deepEqual(master.start, { local: '2020-02-25T12:00:00', tz: 'America/Los_Angeles' });
  assert.equal(master.description, 'Does noon work for you?');
  assert.equal(master.descriptionHtml, resource.body.content);
  assert.deepEqual(master.organizer, { email: 'adelev@contoso.onmicrosoft.com', name: 'Adele Vance' });
  assert.deepEqual(master.attendees, [{ email: 'alexw@contoso.onmicrosoft.com', name: 'Alex Wilber', role: 'required', response: 'needs-action', respondedAt: null }]);
  assert.deepEqual(master.reminders, [{ method: 'display', minutesBefore: 15 }]);
  assert.equal(master.transparency, 'opaque');
  assert.equal(master.visibility, 'default');

  const body = seriesToGraph(item.series, meta).master!;
  assert.deepEqual(body.start, { dateTime: '2020-02-25T12:00:00', timeZone: 'Pacific Standard Time' });
  assert.deepEqual(body.recurrence, {
    pattern: { type: 'daily', interval: 1 },
    range: { type: 'numbered', startDate: '2020-02-25', recurrenceTimeZone: 'Pacific Standard Time', numberOfOccurrences: 2 },
  });
  assert.deepEqual(body.location, resource.location);
  assert.deepEqual(body.locations, resource.locations);
  assert.equal(body.attendees![0]!.emailAddress!.address, 'AlexW@contoso.OnMicrosoft.com');
  assert.deepEqual([body.importance, body.responseRequested], ['normal', true]);
  // Update event does not take these: Graph sets them, or only create takes them.
  for (const member of ['id', 'iCalUId', 'uid', 'changeKey', 'webLink', 'responseStatus', 'isCancelled', 'onlineMeeting', 'bodyPreview', 'organizer', 'allowNewTimeProposals']) {
    assert.ok(!(member in body), member);
  }
  assert.deepEqual(body.singleValueExtendedProperties, [{ id: CALSYNC_ID_PROPERTY, value: 'E1' }]);
  // Written to Adele's own calendar, Graph names her the organizer again; the members
  // that are kept but not written (allowNewTimeProposals) are not in the answer here.
  const expected = structuredClone(item.series);
  delete (expected.master!.extras.graph as { unknown?: unknown }).unknown;
  assert.deepEqual(throughGraph(item.series, meta, resource.organizer.emailAddress), expected);
});

test('cancelledOccurrences become EXDATEs and exceptionOccurrences overrides, in the master\'s zone and time', () => {
  const resource = {
    ...graphFixture('series_master_cancelled_occurrences.json'),
    // The page's $select left these out; the series is the daily stand-up it names.
    type: 'seriesMaster',
    recurrence: { pattern: { type: 'daily', interval: 1 }, range: { type: 'noEnd', startDate: '2020-04-23', recurrenceTimeZone: 'UTC' } },
  };
  const item = live(readSeries(resource.id, seriesEvents(resource.id, [resource])));
  assert.deepEqual(item.series.master!.recurrence!.exdate, ['2020-04-30T11:30:00', '2020-05-07T11:30:00', '2020-05-14T11:30:00']);
  assert.equal(item.series.overrides.length, 1);
  const override = item.series.overrides[0]!;
  assert.equal(override.recurrenceId, '2020-05-21T11:30:00');
  assert.equal(override.uid, '040000008200E00074=');
  // "Subject" is capitalised on the page: not Graph's subject, kept but never written.
  assert.equal(override.summary, '');
  assert.deepEqual((override.extras.graph as any).unknown, { Subject: 'SM update 24' });
  assert.ok(!('Subject' in seriesToGraph(item.series, meta).exceptions[0]!.body));

  const write = seriesToGraph(item.series, meta);
  assert.deepEqual(write.cancellations.map((c) => c.originalStart), ['2020-04-30T11:30:00Z', '2020-05-07T11:30:00Z', '2020-05-14T11:30:00Z']);
  assert.deepEqual(write.exceptions.map((e) => [e.recurrenceId, e.originalStart]), [['2020-05-21T11:30:00', '2020-05-21T11:30:00Z']]);
  assert.ok(!('recurrence' in write.exceptions[0]!.body));
});

test('an instances listing: occurrences are not events, and an exception needs its original start', () => {
  const listing: GraphEvent[] = graphFixture('instances_exception_and_occurrences.json').value;
  const events = seriesEvents('AAMkAGUzYRgWAAA=', listing);
  assert.equal(events.master, null);
  assert.deepEqual(events.exceptions.map((e) => e.id), ['AAMkAGUzYAgI1sE1TatAAEYAAAAAlNFb2CNPe0ucP9you']);
  const terms = { uid: 'u1', allDay: false, start: { local: '2019-04-08T20:30:00', tz: 'UTC' }, zone: 'UTC' };
  const unreadable = readSeries('AAMkAGUzYRgWAAA=', events, { master: terms });
  assert.ok(isUnreadable(unreadable));
  assert.match(unreadable.reason, /originalStart/);
  const moved = { ...events.exceptions[0]!, originalStart: '2019-04-15T20:30:00Z' };
  const item = live(readSeries('AAMkAGUzYRgWAAA=', { master: null, exceptions: [moved] }, { master: terms }));
  assert.equal(item.series.overrides[0]!.recurrenceId, '2019-04-15T20:30:00');
  assert.deepEqual(item.series.overrides[0]!.start, { local: '2019-04-16T20:30:00', tz: 'UTC' });
});

test('an instance the pattern gives but the instances listing lacks was deleted: an EXDATE', () => {
  const listing: GraphEvent[] = graphFixture('instances_exception_and_occurrences.json').value;
  const master: CanonicalEvent = {
    ...eventFromGraph({ type: 'seriesMaster', iCalUId: 'u1', subject: 'Review strategy for Q3', start: { dateTime: '2019-04-08T20:30:00', timeZone: 'UTC' }, end: { dateTime: '2019-04-08T21:00:00', timeZone: 'UTC' },
      recurrence: { pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'], firstDayOfWeek: 'sunday' }, range: { type: 'noEnd', startDate: '2019-04-08' } } }),
  };
  const series: EventSeries = { uid: 'u1', master, overrides: [] };
  const window = { from: '2019-04-08T09:00:00Z', to: '2019-04-30T09:00:00Z' };
  const withOriginal = listing.map((i) => (i.type === 'exception' ? { ...i, originalStart: '2019-04-15T20:30:00Z' } : i));
  assert.deepEqual(exdatesFromInstances(series, withOriginal, window, 'UTC').master!.recurrence!.exdate, []);
  const without22 = withOriginal.filter((i) => !i.start!.dateTime.startsWith('2019-04-22'));
  assert.deepEqual(exdatesFromInstances(series, without22, window, 'UTC').master!.recurrence!.exdate, ['2019-04-22T20:30:00']);
  // The page's exception has no originalStart: its start (the 16th) is where it moved to,
  // and taking it for its original would delete the 15th.
  assert.throws(() => exdatesFromInstances(series, listing, window, 'UTC'), /exception without originalStart/);
});

test('a Teams meeting: the join link is the conference, and only what Graph takes is written back', () => {
  const resource = graphFixture('single_online_meeting_teams.json');
  const item = live(readSeries(resource.id, seriesEvents(resource.id, [resource])));
  const event = item.series.master!;
  assert.deepEqual(event.conference, { url: resource.onlineMeeting.joinUrl, provider: 'teams' });
  assert.deepEqual(event.organizer, { email: 'danas@contoso.onmicrosoft.com', name: 'Dana Swope' });
  const body = eventToGraph(event, meta);
  assert.equal(body.isOnlineMeeting, true);
  assert.equal(body.onlineMeetingProvider, 'teamsForBusiness');
  assert.ok(!('onlineMeeting' in body));
  // location and locations differ on this page; both are written as they came.
  assert.deepEqual([body.location, body.locations], [resource.location, resource.locations]);
  // A conference the event lost is not claimed back.
  assert.ok(!('isOnlineMeeting' in eventToGraph({ ...event, conference: null }, meta)));
});

test('an all-day event is dates with an exclusive end, written at midnight in its own zone', () => {
  const resource = graphFixture('all_day_single_constructed.json');
  const event = live(readSeries(resource.id, seriesEvents(resource.id, [resource]))).series.master!;
  assert.equal(event.allDay, true);
  assert.deepEqual([event.start, event.end], [{ local: '2026-12-24', tz: null }, { local: '2026-12-27', tz: null }]);
  assert.equal(event.transparency, 'transparent');
  assert.deepEqual(event.reminders, []);
  assert.deepEqual(event.categories, ['Holiday']);
  const body = eventToGraph(event, meta);
  assert.deepEqual([body.start, body.end], [
    { dateTime: '2026-12-24T00:00:00', timeZone: 'W. Europe Standard Time' },
    { dateTime: '2026-12-27T00:00:00', timeZone: 'W. Europe Standard Time' },
  ]);
  assert.deepEqual([body.isAllDay, body.showAs, body.isReminderOn, body.reminderMinutesBeforeStart], [true, 'free', false, 1080]);
  // Answered in another zone (a Prefer header), the dates are still the event's own.
  const inUtc = { ...resource, start: { dateTime: '2026-12-23T23:00:00.0000000', timeZone: 'UTC' }, end: { dateTime: '2026-12-26T23:00:00.0000000', timeZone: 'UTC' } };
  assert.deepEqual(eventFromGraph(inUtc).start, { local: '2026-12-24', tz: null });
});

test('times answered in the Prefer zone read in the event\'s own zone', () => {
  const event = eventFromGraph({
    iCalUId: 'u', originalStartTimeZone: 'W. Europe Standard Time', originalEndTimeZone: 'Pacific Standard Time',
    start: { dateTime: '2026-07-01T08:00:00.0000000', timeZone: 'UTC' }, end: { dateTime: '2026-07-01T16:00:00.0000000', timeZone: 'UTC' },
  });
  assert.deepEqual(event.start, { local: '2026-07-01T10:00:00', tz: 'Europe/Berlin' });
  assert.deepEqual(event.end, { local: '2026-07-01T09:00:00', tz: 'America/Los_Angeles' });
  const custom = eventFromGraph({ iCalUId: 'u', originalStartTimeZone: 'tzone://Microsoft/Custom', start: { dateTime: '2026-07-01T08:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-07-01T09:00:00', timeZone: 'UTC' } });
  assert.equal(custom.start.tz, 'UTC');
});

test('an unknown zone makes that item unreadable, naming the member; its neighbours read', () => {
  const good = graphFixture('all_day_single_constructed.json');
  const bad = { ...good, id: 'AAMkBad=', originalStartTimeZone: 'Atlantis Standard Time', singleValueExtendedProperties: [{ id: CALSYNC_ID_PROPERTY.toUpperCase(), value: 'E9' }] };
  const events = [good, bad];
  const entry = readSeries('AAMkBad=', seriesEvents('AAMkBad=', events));
  assert.ok(isUnreadable(entry));
  assert.match(entry.reason, /Atlantis Standard Time.*originalStartTimeZone/);
  assert.equal(entry.calsyncId, 'E9');
  assert.ok(JSON.parse(entry.raw!)[0].id === 'AAMkBad=');
  live(readSeries(good.id, seriesEvents(good.id, events)));
});

test('showAs, sensitivity and responses: mapped to the model, the exact value kept for the way back', () => {
  const base = { iCalUId: 'u', start: { dateTime: '2026-07-01T08:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-07-01T09:00:00', timeZone: 'UTC' } };
  const expectShowAs: [string, string][] = [['free', 'transparent'], ['busy', 'opaque'], ['tentative', 'opaque'], ['oof', 'opaque'], ['workingElsewhere', 'opaque'], ['unknown', 'opaque']];
  for (const [showAs, transparency] of expectShowAs) {
    const event = eventFromGraph({ ...base, showAs });
    assert.equal(event.transparency, transparency, showAs);
    assert.equal(eventToGraph(event, meta).showAs, showAs);
  }
  const expectSensitivity: [string, string][] = [['normal', 'default'], ['personal', 'private'], ['private', 'private'], ['confidential', 'confidential']];
  for (const [sensitivity, visibility] of expectSensitivity) {
    const event = eventFromGraph({ ...base, sensitivity });
    assert.equal(event.visibility, visibility, sensitivity);
    assert.equal(eventToGraph(event, meta).sensitivity, sensitivity);
  }
  const person = (address: string, type: string, response: string, time = '0001-01-01T00:00:00Z') => ({ type, status: { response, time }, emailAddress: { name: address.split('@')[0], address } });
  const attendees = [
    person('org@x.test', 'required', 'organizer'), person('a@x.test', 'required', 'accepted', '2026-06-01T10:00:00Z'), person('t@x.test', 'optional', 'tentativelyAccepted'),
    person('d@x.test', 'required', 'declined'), person('n@x.test', 'optional', 'none'), person('r@x.test', 'required', 'notResponded'), person('room@x.test', 'resource', 'accepted'),
  ];
  const event = eventFromGraph({ ...base, attendees });
  assert.deepEqual(event.attendees.map((a) => [a.email, a.role, a.response, a.respondedAt]), [
    ['org@x.test', 'chair', 'accepted', null], ['a@x.test', 'required', 'accepted', '2026-06-01T10:00:00Z'], ['t@x.test', 'optional', 'tentative', null],
    ['d@x.test', 'required', 'declined', null], ['n@x.test', 'optional', 'needs-action', null], ['r@x.test', 'required', 'needs-action', null],
    ['room@x.test', 'non-participant', 'accepted', null],
  ]);
  assert.deepEqual(eventToGraph(event, meta).attendees, attendees);
});

test('bodies: text is the description, HTML gives its text and is kept', () => {
  const base = { iCalUId: 'u', start: { dateTime: '2026-07-01T08:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-07-01T09:00:00', timeZone: 'UTC' } };
  const text = eventFromGraph({ ...base, body: { contentType: 'text', content: 'Bring <b> & notes' } });
  assert.deepEqual([text.description, text.descriptionHtml], ['Bring <b> & notes', null]);
  assert.deepEqual(eventToGraph(text, meta).body, { contentType: 'text', content: 'Bring <b> & notes' });
  const html = eventFromGraph({ ...base, body: { contentType: 'HTML', content: '<html><body><p>Line one</p>Line&nbsp;two</body></html>' } });
  assert.deepEqual([html.description, html.descriptionHtml], ['Line one\nLine two', '<html><body><p>Line one</p>Line&nbsp;two</body></html>']);
  const empty = eventFromGraph({ ...base, body: { contentType: 'html', content: '' } });
  assert.deepEqual(eventToGraph(empty, meta).body, { contentType: 'html', content: '' });
});

test('the stamp: read whatever case Exchange answers its id in, written on the master and every exception', () => {
  assert.equal(stampOf({ singleValueExtendedProperties: [{ id: CALSYNC_ID_PROPERTY.replace('4adf6aae', '4ADF6AAE'), value: 'E7' }] }), 'E7');
  assert.equal(stampOf({ singleValueExtendedProperties: [{ id: 'String {00000000-0000-0000-0000-000000000000} Name calsyncId', value: 'E7' }] }), null);
  const resource = { ...graphFixture('series_master_cancelled_occurrences.json'), type: 'seriesMaster', recurrence: { pattern: { type: 'daily', interval: 1 }, range: { type: 'noEnd', startDate: '2020-04-23' } } };
  const write = seriesToGraph(live(readSeries(resource.id, seriesEvents(resource.id, [resource]))).series, meta);
  for (const body of [write.master!, ...write.exceptions.map((e) => e.body)]) assert.deepEqual(body.singleValueExtendedProperties, [{ id: CALSYNC_ID_PROPERTY, value: 'E1' }]);
});

test('what Graph cannot hold is refused with the member named', () => {
  const master = eventFromGraph({ iCalUId: 'u', start: { dateTime: '2026-07-06T08:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-07-06T09:00:00', timeZone: 'UTC' } });
  const refused = (recurrence: CanonicalEvent['recurrence']): GraphWriteRefused => {
    try {
      seriesToGraph({ uid: 'u', master: { ...master, recurrence }, overrides: [] }, meta);
    } catch (e) {
      if (e instanceof GraphWriteRefused) return e;
      throw e;
    }
    assert.fail('not refused');
  };
  assert.equal(refused({ rrule: ['FREQ=WEEKLY'], rdate: ['2026-07-08T08:00:00'], exdate: [] }).path, 'recurrence.rdate');
  assert.equal(refused({ rrule: ['FREQ=WEEKLY', 'FREQ=MONTHLY'], rdate: [], exdate: [] }).path, 'recurrence.rrule');
  assert.match(refused({ rrule: ['FREQ=HOURLY'], rdate: [], exdate: [] }).message, /daily at the finest.*recurrence\.rrule\[0\]/);
});

test('overrides written without their master are placed by the master as last known', () => {
  const master = eventFromGraph({ iCalUId: 'u', originalStartTimeZone: 'Pacific Standard Time', start: { dateTime: '2026-07-06T09:00:00', timeZone: 'Pacific Standard Time' }, end: { dateTime: '2026-07-06T10:00:00', timeZone: 'Pacific Standard Time' } });
  const override: CanonicalEvent = { ...master, recurrenceId: '2026-07-13T09:00:00', summary: 'moved', start: { ...master.start, local: '2026-07-14T09:00:00' }, end: { ...master.end, local: '2026-07-14T10:00:00' } };
  const write = seriesToGraph({ uid: 'u', master: null, overrides: [override] }, { ...meta, master });
  assert.equal(write.master, null);
  // 09:00 in Los Angeles (PDT, −07:00) is 16:00 UTC, not 09:00 in the calendar's Berlin.
  assert.deepEqual(write.exceptions.map((e) => e.originalStart), ['2026-07-13T16:00:00Z']);
});
