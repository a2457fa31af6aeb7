// The interop scenario of the Google connector: one calendar bound two-way to two Google
// calendars on the emulator and one Radicale calendar, synced by workers through the
// queue (test/helpers/interop.ts). Each side starts with its own events (single, all-day,
// other zones, a series with a moved and a cancelled instance); then every side edits at
// once (an exception here, a cancelled instance there, the same event on two sides in
// different fields, a deletion). Used by the fault-free and the faulted runs, which
// compare request counts.
import assert from 'node:assert/strict';
import type { EventSeries } from '../../src/core/model.ts';
import { normaliseSeries } from '../../src/core/normalise.ts';
import type { Binding } from '../../src/store/bindings.ts';
import type { Db } from '../../src/store/db.ts';
import { berlinTimezone, otherClientCalendar, rawRequest, type CalDavServer } from './caldav-servers.ts';
import { listAll } from '../connectors/contract.ts';
import { EMULATOR_CLIENT, type ListeningEmulator } from './google-connector.ts';
import { withInterop } from './interop.ts';
import { googleSide, radicaleSide } from './interop-sides.ts';

export interface Scenario {
  db: Db;
  emulator: ListeningEmulator;
  radicale: CalDavServer;
  /** Wraps the fetch calsync's connectors use (fault runs race writes through it). */
  fetch?: typeof fetch;
  /** Called between the first sync and the concurrent edits (fault runs expire sync tokens there). */
  betweenPhases?: () => Promise<void>;
  /**
   * The URL of a calsync HTTP app on the same database, which the emulator can reach:
   * the Google bindings get push channels there, and their edits arrive as notifications
   * (Radicale's are polled: its passes are queued by hand). Without it every pass is queued.
   */
  webhookBase?: string;
}

export interface ScenarioResult {
  tenantId: string;
  calendarId: string;
  bindings: Binding[];
  /** Rounds of passes that still wrote something after the queue went quiet (0: it converged by itself). */
  settleRounds: number;
  calendar: EventSeries[];
}

const ics = otherClientCalendar;
const review = ics([...berlinTimezone,
  'BEGIN:VEVENT', 'UID:review@radicale', 'DTSTAMP:20260101T000000Z', 'DTSTART;TZID=Europe/Berlin:20260303T140000',
  'DTEND;TZID=Europe/Berlin:20260303T150000', 'RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=10', 'EXDATE;TZID=Europe/Berlin:20260317T140000',
  'SUMMARY:Review', 'END:VEVENT',
  'BEGIN:VEVENT', 'UID:review@radicale', 'DTSTAMP:20260101T000000Z', 'RECURRENCE-ID;TZID=Europe/Berlin:20260324T140000',
  'DTSTART;TZID=Europe/Berlin:20260324T160000', 'DTEND;TZID=Europe/Berlin:20260324T170000', 'SUMMARY:Review (moved)', 'END:VEVENT']);
const newYork = ics(['BEGIN:VEVENT', 'UID:ny@radicale', 'DTSTAMP:20260101T000000Z',
  'DTSTART;TZID=America/New_York:20260306T140000', 'DTEND;TZID=America/New_York:20260306T150000', 'SUMMARY:NY review', 'END:VEVENT']);

export async function runInteropScenario(s: Scenario): Promise<ScenarioResult> {
  const { db, emulator, radicale } = s;
  const google = emulator.app.emulator;
  const side1 = googleSide(emulator, 'google 1', 'Ada work');
  const side2 = googleSide(emulator, 'google 2', 'Ada home');
  const dav = await radicaleSide(radicale);
  const [g1, g2, collection] = [side1.calendar, side2.calendar, dav.collection];
  return withInterop({
    db, name: 'google-interop', sides: [side1, side2, dav], userUrlFetch: dav.userUrlFetch,
    ...(s.fetch ? { fetch: s.fetch } : {}), ...(s.webhookBase ? { webhookBase: s.webhookBase } : {}),
    google: { ...EMULATOR_CLIENT, apiUrl: emulator.root, oauthUrl: emulator.root },
  }, async (world) => {
    // Every side starts with events of its own.
    const dentist = google.insertEvent(g1, { summary: 'Dentist', start: { dateTime: '2026-03-04T08:00:00+01:00' }, end: { dateTime: '2026-03-04T09:00:00+01:00' } });
    const standup = google.insertEvent(g1, {
      summary: 'Stand-up', start: { dateTime: '2026-03-02T09:30:00+01:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2026-03-02T09:45:00+01:00', timeZone: 'Europe/Berlin' },
      recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=8'],
    });
    google.editEvent(g1, `${standup.id}_20260309T083000Z`, { summary: 'Stand-up (moved)', start: { dateTime: '2026-03-09T11:30:00+01:00' }, end: { dateTime: '2026-03-09T11:45:00+01:00' } });
    google.deleteEvent(g1, `${standup.id}_20260316T083000Z`);
    const offsite = google.insertEvent(g2, { summary: 'Offsite', transparency: 'transparent', start: { date: '2026-04-10' }, end: { date: '2026-04-12' } });
    google.insertEvent(g2, { summary: 'Tokyo call', start: { dateTime: '2026-03-05T18:00:00+09:00', timeZone: 'Asia/Tokyo' }, end: { dateTime: '2026-03-05T19:00:00+09:00', timeZone: 'Asia/Tokyo' } });
    assert.equal((await rawRequest(radicale, 'PUT', `${collection}review.ics`, review)).status, 201);
    assert.equal((await rawRequest(radicale, 'PUT', `${collection}ny.ics`, newYork)).status, 201);
    await world.passes();
    const phaseOneRounds = await world.settle();
    await world.check(6);
    await s.betweenPhases?.();

    // Every side edits at once.
    const { reviewInG1, nyInG1, tokyoInG1, standupInG2, davItems } = await side1.calm(async () => {
      const held1 = await side1.held();
      const held2 = await side2.held();
      const seriesOf = (held: typeof held1, summary: string) => held.find((h) => h.series.master?.summary === summary)!;
      return {
        reviewInG1: seriesOf(held1, 'Review'), nyInG1: seriesOf(held1, 'NY review'), tokyoInG1: seriesOf(held1, 'Tokyo call'), standupInG2: seriesOf(held2, 'Stand-up'),
        davItems: (await listAll(dav.reader, collection, null)).items.flatMap((i) => (i.deleted ? [] : [i])),
      };
    });
    const hrefOf = (summary: string) => davItems.find((i) => i.series.master?.summary === summary)!.remoteId;
    google.editEvent(g1, `${reviewInG1.remoteId}_20260310T130000Z`, { summary: 'Review (G1 edit)' });
    google.deleteEvent(g1, nyInG1.remoteId);
    google.editEvent(g1, tokyoInG1.remoteId, { summary: 'Tokyo call with Kenji' });
    google.deleteEvent(g2, `${standupInG2.remoteId}_20260323T083000Z`);
    google.editEvent(g2, offsite.id!, { summary: 'Offsite (Lisbon)' });
    const edit = async (summary: string, change: (text: string) => string) => {
      const href = hrefOf(summary);
      const { text } = await rawRequest(radicale, 'GET', href);
      assert.ok([200, 201, 204].includes((await rawRequest(radicale, 'PUT', href, change(text))).status));
    };
    await edit('Tokyo call', (text) => text.replace('SUMMARY:Tokyo call', 'SUMMARY:Tokyo call\r\nLOCATION:Zoom'));
    await edit('Dentist', (text) => text.replace('SUMMARY:Dentist', 'SUMMARY:Dentist (moved)'));
    await edit('Stand-up', (text) => text.replace('SUMMARY:Stand-up (moved)', 'SUMMARY:Stand-up (moved in Radicale)'));
    // With push, Google's edits arrive as notifications; Radicale's wait for a poll (queued here).
    await world.afterEdits();

    const settleRounds = (await world.settle()) + phaseOneRounds;
    // Nothing left to do: a further pass of each binding writes nothing.
    await world.lastRound();
    const calendar = await world.check(5);
    const byUid = new Map(calendar.map((c) => [c.uid, c]));
    const dentistNow = byUid.get(dentist.iCalUID!)!.master!;
    assert.equal(dentistNow.summary, 'Dentist (moved)');
    const standupNow = normaliseSeries(byUid.get(standup.iCalUID!)!);
    assert.deepEqual(standupNow.master!.recurrence!.exdate, ['2026-03-16T09:30:00', '2026-03-23T09:30:00']);
    assert.deepEqual(standupNow.overrides.map((o) => o.summary), ['Stand-up (moved in Radicale)']);
    const reviewNow = normaliseSeries(byUid.get('review@radicale')!);
    assert.deepEqual(reviewNow.master!.recurrence!.exdate, ['2026-03-17T14:00:00']);
    assert.deepEqual(reviewNow.overrides.map((o) => [o.recurrenceId, o.summary]), [['2026-03-10T14:00:00', 'Review (G1 edit)'], ['2026-03-24T14:00:00', 'Review (moved)']]);
    assert.equal(byUid.get(offsite.iCalUID!)!.master!.summary, 'Offsite (Lisbon)');
    const tokyoNow = [...byUid.values()].find((c) => c.master?.summary.startsWith('Tokyo'))!.master!;
    assert.equal(tokyoNow.summary, 'Tokyo call with Kenji');
    assert.equal(tokyoNow.location, 'Zoom', 'the edit of another field on another side is kept');
    assert.equal(byUid.has('ny@radicale'), false);
    return { tenantId: world.tenantId, calendarId: world.calendarId, bindings: world.bindings, settleRounds, calendar };
  });
}
