// The interop scenario of the Graph connector: one calendar bound two-way to a calendar
// on the Graph emulator, one on the Google emulator and a Radicale collection, synced by
// workers through the queue (test/helpers/interop.ts). Each side starts with its own
// events: Graph's in Windows-named zones ("W. Europe Standard Time", "Pacific Standard
// Time") with a series that has a moved, a cancelled and an edited instance and an
// all-day event; Google's and Radicale's in IANA zones, series included. Then every side
// and calsync's own API (the Google-shaped /calendar/v3 routes) edit at once: exceptions
// and cancellations on other sides' series, one event edited in different fields on
// three sides, a deletion, a new event. Graph's and Google's changes arrive as
// notifications at calsync's webhook route; Radicale is polled. Used by the fault-free
// and the faulted runs.
import assert from 'node:assert/strict';
import { calendar as googleCalendar } from '@googleapis/calendar';
import type { EventSeries } from '../../src/core/model.ts';
import { normaliseSeries } from '../../src/core/normalise.ts';
import type { Db } from '../../src/store/db.ts';
import { createApiKey } from '../../src/store/tenants.ts';
import { berlinTimezone, otherClientCalendar, rawRequest, type CalDavServer } from './caldav-servers.ts';
import { EMULATOR_CLIENT, type ListeningEmulator } from './google-connector.ts';
import { withInterop } from './interop.ts';
import { googleSide, graphSide, radicaleSide } from './interop-sides.ts';
import { GRAPH_CLIENT, type ListeningGraph } from './microsoft-connector.ts';

export interface MicrosoftScenario {
  db: Db;
  graph: ListeningGraph;
  google: ListeningEmulator;
  radicale: CalDavServer;
  /** A calsync HTTP app on the same database: its /calendar/v3 API edits, and Google's notifications arrive at its webhook route. */
  appBase: string;
  /** Wraps the fetch calsync's connectors use for Google and Graph (fault runs race writes through it). */
  fetch?: typeof fetch;
  /** Called between the first sync and the concurrent edits (fault runs expire delta and sync tokens there). */
  betweenPhases?: (ids: { seattle: string; dentist: string; googleCalendar: string }) => Promise<void>;
}

export interface MicrosoftScenarioResult {
  settleRounds: number;
  /**
   * An edit made in Graph alone reached the calendar with no pass queued by hand: Graph
   * notified calsync's webhook route, which queued a pass of the Graph binding (false
   * when that did not happen within 20 s; the pass was then queued by hand).
   */
  graphPushed: boolean;
  calendar: Map<string, EventSeries>;
}

const WEST_EUROPE = 'W. Europe Standard Time';
const review = otherClientCalendar([...berlinTimezone,
  'BEGIN:VEVENT', 'UID:review@radicale', 'DTSTAMP:20260101T000000Z', 'DTSTART;TZID=Europe/Berlin:20260303T140000',
  'DTEND;TZID=Europe/Berlin:20260303T150000', 'RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=10', 'EXDATE;TZID=Europe/Berlin:20260317T140000',
  'SUMMARY:Review', 'END:VEVENT',
  'BEGIN:VEVENT', 'UID:review@radicale', 'DTSTAMP:20260101T000000Z', 'RECURRENCE-ID;TZID=Europe/Berlin:20260324T140000',
  'DTSTART;TZID=Europe/Berlin:20260324T160000', 'DTEND;TZID=Europe/Berlin:20260324T170000', 'SUMMARY:Review (moved)', 'END:VEVENT']);
const newYork = otherClientCalendar(['BEGIN:VEVENT', 'UID:ny@radicale', 'DTSTAMP:20260101T000000Z',
  'DTSTART;TZID=America/New_York:20260306T140000', 'DTEND;TZID=America/New_York:20260306T150000', 'SUMMARY:NY review', 'END:VEVENT']);

/** Whether `done` holds within 20 s, asked every 250 ms. */
async function arrives(done: () => Promise<boolean>): Promise<boolean> {
  for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
    if (await done()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

export async function runMicrosoftInterop(s: MicrosoftScenario): Promise<MicrosoftScenarioResult> {
  const { db, radicale } = s;
  const graph = s.graph.app.emulator;
  const google = s.google.app.emulator;
  const outlook = graphSide(s.graph, 'graph', { push: true });
  const gmail = googleSide(s.google, 'google', 'Ada work');
  const dav = await radicaleSide(radicale);
  const [m, g, collection] = [outlook.calendar, gmail.calendar, dav.collection];
  return withInterop({
    db, name: 'microsoft-interop', sides: [outlook, gmail, dav], userUrlFetch: dav.userUrlFetch, webhookBase: s.appBase,
    ...(s.fetch ? { fetch: s.fetch } : {}),
    google: { ...EMULATOR_CLIENT, apiUrl: s.google.root, oauthUrl: s.google.root },
    microsoft: { ...GRAPH_CLIENT, graphUrl: `${s.graph.root}/v1.0`, authorityUrl: s.graph.root, tenant: undefined },
  }, async (world) => {
    // Graph's instances of a series, by the UTC date of their start (none here starts near midnight).
    const occurrence = (seriesId: string, date: string) => outlook.calm(async () => {
      const { body } = await outlook.reader.client.request({
        operation: 'instances', method: 'GET', url: `/me/events/${encodeURIComponent(seriesId)}/instances?startDateTime=2026-03-01T00:00:00Z&endDateTime=2026-06-01T00:00:00Z&$top=100`,
      });
      const found = (body.value as Array<{ id: string; start: { dateTime: string } }>).find((i) => i.start.dateTime.startsWith(date));
      assert.ok(found, `${seriesId} has an instance on ${date}`);
      return found.id;
    });

    // Graph: a weekly series in a Windows zone with a moved, a cancelled and an edited
    // instance, a meeting in Pacific time, an all-day conference.
    const planning = graph.insertEvent(m, {
      subject: 'Planning', start: { dateTime: '2026-03-02T10:00:00', timeZone: WEST_EUROPE }, end: { dateTime: '2026-03-02T11:00:00', timeZone: WEST_EUROPE },
      recurrence: { pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'], firstDayOfWeek: 'sunday' }, range: { type: 'numbered', startDate: '2026-03-02', numberOfOccurrences: 8, recurrenceTimeZone: WEST_EUROPE } },
    });
    const planningId = planning.id as string;
    graph.editEvent(await occurrence(planningId, '2026-03-09'), {
      subject: 'Planning (moved)', start: { dateTime: '2026-03-09T13:00:00', timeZone: WEST_EUROPE }, end: { dateTime: '2026-03-09T14:00:00', timeZone: WEST_EUROPE },
    });
    graph.deleteEvent(await occurrence(planningId, '2026-03-16'));
    graph.editEvent(await occurrence(planningId, '2026-03-23'), { subject: 'Planning (budget)' });
    const seattle = graph.insertEvent(m, {
      subject: 'Seattle sync', start: { dateTime: '2026-03-05T09:00:00', timeZone: 'Pacific Standard Time' }, end: { dateTime: '2026-03-05T10:00:00', timeZone: 'Pacific Standard Time' },
    });
    graph.insertEvent(m, {
      subject: 'Conference', isAllDay: true, start: { dateTime: '2026-04-20T00:00:00', timeZone: WEST_EUROPE }, end: { dateTime: '2026-04-22T00:00:00', timeZone: WEST_EUROPE },
    });
    // Google: a single, a series with a moved and a cancelled instance, an all-day event, Tokyo time.
    const dentist = google.insertEvent(g, { summary: 'Dentist', start: { dateTime: '2026-03-04T08:00:00+01:00' }, end: { dateTime: '2026-03-04T09:00:00+01:00' } });
    const standup = google.insertEvent(g, {
      summary: 'Stand-up', start: { dateTime: '2026-03-02T09:30:00+01:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2026-03-02T09:45:00+01:00', timeZone: 'Europe/Berlin' },
      recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=8'],
    });
    google.editEvent(g, `${standup.id}_20260309T083000Z`, { summary: 'Stand-up (moved)', start: { dateTime: '2026-03-09T11:30:00+01:00' }, end: { dateTime: '2026-03-09T11:45:00+01:00' } });
    google.deleteEvent(g, `${standup.id}_20260316T083000Z`);
    google.insertEvent(g, { summary: 'Offsite', transparency: 'transparent', start: { date: '2026-04-10' }, end: { date: '2026-04-12' } });
    google.insertEvent(g, { summary: 'Tokyo call', start: { dateTime: '2026-03-05T18:00:00+09:00', timeZone: 'Asia/Tokyo' }, end: { dateTime: '2026-03-05T19:00:00+09:00', timeZone: 'Asia/Tokyo' } });
    // Radicale: a series with a cancelled and a moved instance, New York time.
    assert.equal((await rawRequest(radicale, 'PUT', `${collection}review.ics`, review)).status, 201);
    assert.equal((await rawRequest(radicale, 'PUT', `${collection}ny.ics`, newYork)).status, 201);
    await world.passes();
    const phaseOneRounds = await world.settle();
    await world.check(9);
    await s.betweenPhases?.({ seattle: seattle.id as string, dentist: dentist.id!, googleCalendar: g });
    const firstCalendar = [...(await world.calendar()).values()];
    const uidOf = (summary: string): string => firstCalendar.find((c) => c.master?.summary === summary)!.uid;
    const [tokyoUid, reviewUid, nyUid, seattleUid, conferenceUid, planningUid] = [
      uidOf('Tokyo call'), uidOf('Review'), uidOf('NY review'), uidOf('Seattle sync'), uidOf('Conference'), uidOf('Planning')];
    // What each side calls the others' events.
    const inGraph = new Map((await outlook.held()).map((h) => [h.series.uid, h.remoteId]));
    const inGoogle = new Map((await gmail.held()).map((h) => [h.series.uid, h.remoteId]));
    const inRadicale = new Map((await dav.held()).map((h) => [h.series.master?.summary, h.remoteId]));

    // Graph alone edits; nothing is queued by hand: its notification brings the pass.
    const aloneAt = (await db.query<{ at: Date }>('select now() as at')).rows[0]!.at;
    graph.editEvent(inGraph.get(conferenceUid)!, { location: { displayName: 'Messe Berlin' } });
    const graphPushed = await arrives(async () => (await world.calendar()).get(conferenceUid)?.master?.location === 'Messe Berlin'
      && Number((await db.query<{ n: string }>(`select count(*) as n from sync_passes where binding_id = $1 and trigger = 'push' and started_at >= $2 and outcome = 'ok'`,
        [world.bindings[0]!.id, aloneAt])).rows[0]!.n) > 0);
    // The change passes it queued for the other sides run; else the pass is queued by hand.
    await (graphPushed ? world.quiet() : world.passes());
    const aloneRounds = await world.settle();

    const { key } = await createApiKey(db, world.tenantId, 'interop');
    const api = googleCalendar({ version: 'v3', rootUrl: `${s.appBase}/`, headers: { Authorization: `Bearer ${key}` } });
    const apiIdOf = async (uid: string) => (await api.events.list({ calendarId: world.calendarId, iCalUID: uid })).data.items![0]!.id!;
    const reviewInstances = (await api.events.instances({ calendarId: world.calendarId, eventId: await apiIdOf(reviewUid) })).data.items!;
    const reviewOnApril7 = reviewInstances.find((i) => i.originalStartTime?.dateTime?.startsWith('2026-04-07'));
    assert.ok(reviewOnApril7?.id, 'the API lists Review\'s instance of 7 April');
    const seattleId = await apiIdOf(seattleUid);

    // Every side edits at once. Graph (another client, as Outlook would):
    graph.editEvent(inGraph.get(tokyoUid)!, { subject: 'Tokyo call with Kenji' });
    graph.deleteEvent(inGraph.get(nyUid)!);
    graph.deleteEvent(await occurrence(inGraph.get(reviewUid)!, '2026-03-31'));
    graph.editEvent(await occurrence(inGraph.get(standup.iCalUID!)!, '2026-03-30'), { subject: 'Stand-up (Graph edit)' });
    // Google:
    google.editEvent(g, inGoogle.get(conferenceUid)!, { summary: 'Conference (Berlin)' });
    google.deleteEvent(g, `${inGoogle.get(planningUid)!}_20260413T080000Z`);
    google.editEvent(g, inGoogle.get(seattleUid)!, { location: 'Room 4' });
    // Radicale:
    const edit = async (summary: string, change: (text: string) => string) => {
      const href = inRadicale.get(summary)!;
      const { text } = await rawRequest(radicale, 'GET', href);
      const changed = change(text);
      assert.notEqual(changed, text, `${summary} changed in Radicale`);
      assert.ok([200, 201, 204].includes((await rawRequest(radicale, 'PUT', href, changed)).status));
    };
    await edit('Tokyo call', (text) => text.replace('SUMMARY:Tokyo call', 'SUMMARY:Tokyo call\r\nLOCATION:Zoom'));
    await edit('Dentist', (text) => text.replace('SUMMARY:Dentist', 'SUMMARY:Dentist (moved)'));
    await edit('Planning', (text) => text.replace('SUMMARY:Planning (moved)', 'SUMMARY:Planning (moved in Radicale)'));
    // calsync's own API:
    const board = (await api.events.insert({ calendarId: world.calendarId, requestBody: {
      summary: 'Board meeting', start: { dateTime: '2026-03-12T15:00:00-05:00', timeZone: 'America/Chicago' }, end: { dateTime: '2026-03-12T16:00:00-05:00', timeZone: 'America/Chicago' },
    } })).data;
    await api.events.patch({ calendarId: world.calendarId, eventId: seattleId, requestBody: { description: 'Agenda in the doc' } });
    await api.events.patch({ calendarId: world.calendarId, eventId: reviewOnApril7.id, requestBody: { summary: 'Review (app edit)' } });
    // Graph's and Google's edits arrive as notifications, the API's as queued passes; Radicale is polled (queued here).
    await world.afterEdits();

    const settleRounds = (await world.settle()) + phaseOneRounds + aloneRounds;
    await world.lastRound();
    // Every side holds what the calendar holds (content hashes compared): the fields
    // asserted here arrived everywhere.
    await world.check(9);
    const calendar = await world.calendar();
    const master = (uid: string) => calendar.get(uid)!.master!;
    assert.equal(master(dentist.iCalUID!).summary, 'Dentist (moved)');
    assert.equal(master(tokyoUid).summary, 'Tokyo call with Kenji');
    assert.equal(master(tokyoUid).location, 'Zoom', 'the edit of another field on another side is kept');
    assert.equal(calendar.has(nyUid), false, 'deleted in Graph, deleted everywhere');
    const reviewNow = normaliseSeries(calendar.get(reviewUid)!);
    assert.deepEqual(reviewNow.master!.recurrence!.exdate, ['2026-03-17T14:00:00', '2026-03-31T14:00:00']);
    assert.deepEqual(reviewNow.overrides.map((o) => [o.recurrenceId, o.summary]), [['2026-03-24T14:00:00', 'Review (moved)'], ['2026-04-07T14:00:00', 'Review (app edit)']]);
    const standupNow = normaliseSeries(calendar.get(standup.iCalUID!)!);
    assert.deepEqual(standupNow.master!.recurrence!.exdate, ['2026-03-16T09:30:00']);
    assert.deepEqual(standupNow.overrides.map((o) => [o.recurrenceId, o.summary]), [['2026-03-09T09:30:00', 'Stand-up (moved)'], ['2026-03-30T09:30:00', 'Stand-up (Graph edit)']]);
    const planningNow = normaliseSeries(calendar.get(planningUid)!);
    assert.deepEqual(planningNow.master!.start, { local: '2026-03-02T10:00:00', tz: 'Europe/Berlin' }, 'W. Europe Standard Time reads as Europe/Berlin');
    assert.deepEqual(planningNow.master!.recurrence!.exdate, ['2026-03-16T10:00:00', '2026-04-13T10:00:00']);
    assert.deepEqual(planningNow.overrides.map((o) => [o.recurrenceId, o.summary, o.start.local]), [
      ['2026-03-09T10:00:00', 'Planning (moved in Radicale)', '2026-03-09T13:00:00'], ['2026-03-23T10:00:00', 'Planning (budget)', '2026-03-23T10:00:00']]);
    const seattleNow = master(seattleUid);
    assert.deepEqual(seattleNow.start, { local: '2026-03-05T09:00:00', tz: 'America/Los_Angeles' }, 'Pacific Standard Time reads as America/Los_Angeles');
    assert.equal(seattleNow.location, 'Room 4');
    assert.equal(seattleNow.description, 'Agenda in the doc', 'the API\'s edit and Google\'s of another field are both kept');
    const conferenceNow = master(conferenceUid);
    assert.equal(conferenceNow.summary, 'Conference (Berlin)');
    assert.equal(conferenceNow.location, 'Messe Berlin');
    assert.deepEqual([conferenceNow.allDay, conferenceNow.start.local, conferenceNow.end.local], [true, '2026-04-20', '2026-04-22']);
    const boardNow = master(board.iCalUID!);
    assert.deepEqual(boardNow.start, { local: '2026-03-12T15:00:00', tz: 'America/Chicago' });
    // Graph holds the new event in the Windows zone of its IANA one.
    const boardId = (await outlook.held()).find((h) => h.series.uid === board.iCalUID)!.remoteId;
    const boardInGraph = (await outlook.calm(() => outlook.reader.client.request({ operation: 'get', method: 'GET', url: `/me/events/${encodeURIComponent(boardId)}` })))
      .body as { originalStartTimeZone: string; subject: string };
    assert.deepEqual([boardInGraph.subject, boardInGraph.originalStartTimeZone], ['Board meeting', 'Central Standard Time']);
    return { settleRounds, graphPushed, calendar };
  });
}
