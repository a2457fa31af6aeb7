// The interop scenario of the Google connector: one calendar bound two-way to two Google
// calendars on the emulator and one Radicale calendar, synced by workers through the
// queue. Each side starts with its own events (single, all-day, other zones, a series
// with a moved and a cancelled instance); then every side edits at once (an exception
// here, a cancelled instance there, the same event on two sides in different fields, a
// deletion). Used by the fault-free and the faulted runs, which compare request counts.
import assert from 'node:assert/strict';
import { makeWorkerUtils, type Runner, type WorkerUtils } from 'graphile-worker';
import pino from 'pino';
import { createCalDavConnector } from '../../src/connectors/caldav/index.ts';
import type { Connector } from '../../src/connectors/connector.ts';
import { contentHash } from '../../src/core/hash.ts';
import type { EventSeries } from '../../src/core/model.ts';
import { normaliseSeries } from '../../src/core/normalise.ts';
import { renewPushChannel } from '../../src/engine/push-channels.ts';
import { syncBinding, type EngineDeps } from '../../src/engine/sync-pass.ts';
import { allTasks } from '../../src/jobs/tasks.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { googleProvider } from '../../src/connectors/google/provider.ts';
import { connectorFactory, urlGuard } from '../../src/main/connectors.ts';
import { graphileLogger } from '../../src/main/graphile-logger.ts';
import { createAccount } from '../../src/store/accounts.ts';
import { createBinding, type Binding } from '../../src/store/bindings.ts';
import { createCalendar } from '../../src/store/calendars.ts';
import type { Db } from '../../src/store/db.ts';
import { listSeriesPage } from '../../src/store/events.ts';
import { queuePass } from '../../src/store/outbox.ts';
import { channelsDue } from '../../src/store/push-channels.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { createTenant } from '../../src/store/tenants.ts';
import { berlinTimezone, makeCalendar, otherClientCalendar, rawRequest, type CalDavServer } from './caldav-servers.ts';
import { listAll } from '../connectors/contract.ts';
import { EMULATOR_CLIENT, emulatorConnector, type ListeningEmulator } from './google-connector.ts';

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

/** Quiet when no pass runs, is due within 2 s or is waiting to be retried, twice in a row. */
async function quiesce(db: Db, bindings: Binding[], timeoutMs = 240_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quietRounds = 0;
  while (quietRounds < 2) {
    if (Date.now() > deadline) throw new Error('passes did not settle');
    const { rows: [row] } = await db.query<{ busy: string }>(
      `select count(*) as busy from graphile_worker.jobs where task_identifier = 'sync_binding' and key = any($1::text[])
          and (locked_at is not null or run_at < now() + interval '2 seconds' or (attempts > 0 and attempts < max_attempts))`,
      [bindings.map((b) => `pass:${b.id}`)]);
    quietRounds = Number(row!.busy) === 0 ? quietRounds + 1 : 0;
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function allSeries(connector: Connector, calendar: string): Promise<Array<{ remoteId: string; series: EventSeries }>> {
  return (await listAll(connector, calendar, null)).items.flatMap((i) => (i.deleted ? [] : [{ remoteId: i.remoteId, series: i.series }]));
}

export async function runInteropScenario(s: Scenario): Promise<ScenarioResult> {
  const { db, emulator, radicale } = s;
  const google = emulator.app.emulator;
  const secrets = new Secrets(parseSecretKey(generateSecretKeyText()));
  const tenantId = (await createTenant(db, `interop-${Date.now()}`)).id;
  const calendarId = (await createCalendar(db, tenantId, { summary: 'team', timeZone: 'Europe/Berlin' })).id;
  const g1 = google.addCalendar({ summary: 'Ada work', timeZone: 'Europe/Berlin' }).id as string;
  const g2 = google.addCalendar({ summary: 'Ada home', timeZone: 'Europe/Berlin' }).id as string;
  const collection = await makeCalendar(radicale);
  const bindings: Binding[] = [];
  for (const remote of [g1, g2]) {
    const grant = google.issueGrant();
    const account = await createAccount(db, secrets, tenantId, {
      provider: 'google', login: google.account, credentials: { refreshToken: grant.refresh_token, accessToken: grant.access_token, expiry: Date.now() + 3_000_000 },
    });
    bindings.push(await createBinding(db, tenantId, { calendarId, accountId: account.id, remoteCalendarId: remote }));
  }
  const davAccount = await createAccount(db, secrets, tenantId, {
    provider: 'caldav', serverUrl: radicale.url, login: radicale.username, credentials: { username: radicale.username, password: radicale.password },
  });
  bindings.push(await createBinding(db, tenantId, { calendarId, accountId: davAccount.id, remoteCalendarId: collection }));
  const engine: EngineDeps = {
    db, logger: pino({ level: 'silent' }), now: () => new Date(), workerName: 'google-interop', debounceMs: 200,
    connectorFor: connectorFactory({
      db, secrets, fetch: s.fetch ?? globalThis.fetch, guard: urlGuard({ allowPrivateUrls: true, allowedUrlHosts: [] }),
      google: { ...EMULATOR_CLIENT, apiUrl: emulator.root, oauthUrl: emulator.root },
    }),
  };
  const utils: WorkerUtils = await makeWorkerUtils({ pgPool: db });
  let runner: Runner | undefined = await startWorker({ db, concurrency: 3, workerName: 'google-interop', engine, tasks: allTasks, logger: graphileLogger(pino({ level: 'silent' })) });
  const queueAll = async () => {
    for (const b of bindings) await queuePass(db, tenantId, b.id, 'manual');
  };
  // What the queue left (a pass that ended partial waits for its next poll, 30 s or more
  // away): rounds of passes through the queue, as the polls would bring them, until one
  // writes nothing and fails nowhere. The rounds beyond that one are returned.
  const googleBindings = bindings.slice(0, 2);
  const settle = async (): Promise<number> => {
    for (let round = 0; ; round++) {
      const at = (await db.query<{ at: Date }>('select now() as at')).rows[0]!.at;
      await queueAll();
      await quiesce(db, bindings);
      const { rows } = await db.query<{ binding_id: string; trigger: string; outcome: string; stats: { calendarWrites: number; remoteWrites: number } }>(
        'select binding_id, trigger, outcome, stats from sync_passes where binding_id = any($1::uuid[]) and started_at >= $2 order by started_at', [bindings.map((b) => b.id), at]);
      if (rows.length >= bindings.length && rows.every((r) => r.outcome === 'ok' && r.stats.calendarWrites + r.stats.remoteWrites === 0)) return round;
      // Why the queue had not converged by itself, for the test's output.
      const names = new Map(bindings.map((b, i) => [b.id, ['google 1', 'google 2', 'radicale'][i]]));
      const { rows: states } = await db.query<{ id: string; state: string; lease_owner: string | null }>('select id, state, lease_owner from bindings where id = any($1::uuid[])', [bindings.map((b) => b.id)]);
      console.log(`settling round ${round}:`, rows.map((r) => `${names.get(r.binding_id)} ${r.trigger} ${r.outcome} ${JSON.stringify(r.stats)}`),
        states.map((b) => `${names.get(b.id)} ${b.state}${b.lease_owner ? ' leased' : ''}`));
      assert.ok(round < 6, 'settled within 6 rounds');
    }
  };
  try {
    if (s.webhookBase) {
      const push = { webhookUrl: s.webhookBase };
      const due = await channelsDue(db, 'google', new Date(Date.now() + googleProvider.push!.renewAheadMs), 100);
      for (const binding of googleBindings) assert.equal(await renewPushChannel(engine, push, due.find((d) => d.bindingId === binding.id)!), 'created');
      await google.flushNotifications();
    }
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
    await queueAll();
    await quiesce(db, bindings);
    const phaseOneRounds = await settle();

    const reader = emulatorConnector(emulator).connector;
    const dav = createCalDavConnector({ serverUrl: radicale.url, username: radicale.username, password: radicale.password });
    const check = async (expected: number): Promise<EventSeries[]> => {
      const calendar = (await listSeriesPage(db, tenantId, calendarId, null, 1000)).map((row) => row.series);
      assert.equal(calendar.length, expected, 'calendar size');
      const want = new Map(calendar.map((series) => [series.uid, contentHash(normaliseSeries(series))]));
      for (const [name, connector, remote] of [['google 1', reader, g1], ['google 2', reader, g2], ['radicale', dav, collection]] as const) {
        const held = await allSeries(connector, remote);
        assert.equal(held.length, expected, `${name} holds each event once: ${held.map((h) => h.series.uid).join(', ')}`);
        assert.equal(new Set(held.map((h) => h.series.uid)).size, expected, `${name}: no duplicates`);
        for (const { series } of held) assert.equal(contentHash(normaliseSeries(series)), want.get(series.uid), `${name}: ${series.uid}`);
      }
      return calendar;
    };
    const saved = google.faults();
    google.clearFaults();
    await check(6);
    google.setFaults(saved);
    await s.betweenPhases?.();

    // Every side edits at once.
    const seriesOf = async (remote: string, summary: string) => (await allSeries(reader, remote)).find((h) => h.series.master?.summary === summary)!;
    google.clearFaults();
    const reviewInG1 = await seriesOf(g1, 'Review');
    const nyInG1 = await seriesOf(g1, 'NY review');
    const tokyoInG1 = await seriesOf(g1, 'Tokyo call');
    const standupInG2 = await seriesOf(g2, 'Stand-up');
    const davItems = (await listAll(dav, collection, null)).items.flatMap((i) => (i.deleted ? [] : [i]));
    google.setFaults(saved);
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
    if (s.webhookBase) await queuePass(db, tenantId, bindings[2]!.id, 'manual');
    else await queueAll();
    await quiesce(db, bindings);

    const settleRounds = (await settle()) + phaseOneRounds;
    await runner.stop();
    runner = undefined;
    // Nothing left to do: a further pass of each binding writes nothing.
    google.clearFaults();
    for (const b of bindings) {
      const result = await syncBinding(engine, { tenantId, bindingId: b.id, trigger: 'manual' });
      assert.equal(result.outcome, 'ok', `${b.remoteCalendarId}: ${JSON.stringify(result.error)}`);
      assert.equal(result.stats.calendarWrites + result.stats.remoteWrites, 0, `${b.remoteCalendarId}: a second pass writes nothing`);
    }
    const calendar = await check(5);
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
    return { tenantId, calendarId, bindings, settleRounds, calendar };
  } finally {
    await runner?.stop();
    await utils.release();
  }
}
