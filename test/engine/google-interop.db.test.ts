// Google ⇄ Google ⇄ CalDAV: one calendar bound two-way to two Google calendars on the
// emulator and a Radicale calendar converges after edits on every side (series
// exceptions and deletions included), with no duplicates, and a further pass writes
// nothing (test/helpers/google-interop.ts). Google's edits arrive as push notifications
// at calsync's webhook route. Then the same with 20 % of Google requests failing (5xx,
// 429 with Retry-After, 403 rate limits), notifications dropped and duplicated, an
// expired sync token and a 412 race: it still converges, nothing is lost, and Google
// sees at most twice the requests of the fault-free run.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { appOn } from '../helpers/app.ts';
import { missingServer, startCalDavServer, type CalDavServer } from '../helpers/caldav-servers.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { listeningEmulator, type ListeningEmulator } from '../helpers/google-connector.ts';
import { runInteropScenario } from '../helpers/google-interop.ts';

const missing = missingServer('radicale');
let t: TestDatabase;
let radicale: CalDavServer;
let app: FastifyInstance;
let webhookBase: string;
const emulators: ListeningEmulator[] = [];
let cleanRequests = 0;

before(async () => {
  if (missing) return;
  t = await freshDatabase();
  radicale = await startCalDavServer('radicale');
  // The webhook route of a calsync HTTP app on the same database, where the emulator delivers.
  app = await appOn(t);
  await app.listen({ host: '127.0.0.1', port: 0 });
  webhookBase = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
after(async () => {
  await app?.close();
  for (const e of emulators) await e.close();
  await radicale?.stop();
  await t?.drop();
});

async function emulator(): Promise<ListeningEmulator> {
  const e = await listeningEmulator({ timeZone: 'Europe/Berlin', fetch: (input, init) => fetch(input, init) });
  emulators.push(e);
  return e;
}

test('two Google calendars and a Radicale calendar converge after concurrent edits on every side', { skip: missing ?? false, timeout: 300_000 }, async () => {
  const google = await emulator();
  const result = await runInteropScenario({ db: t.db, emulator: google, radicale, webhookBase });
  cleanRequests = google.app.emulator.stats().total;
  assert.equal(result.settleRounds, 0, 'the queue converged by itself');
  console.log(`fault-free run: ${cleanRequests} Google requests`, google.app.emulator.stats().byRoute);
});

test('with 20 % of Google requests failing, notifications dropped and duplicated, an expired sync token and a 412 race, it still converges within twice the requests', { skip: missing ?? false, timeout: 300_000 }, async () => {
  const google = await emulator();
  google.app.emulator.setFaults({
    // CALSYNC_FAULT_SEED replays another run's faults.
    seed: Number(process.env.CALSYNC_FAULT_SEED ?? 1), retryAfterSeconds: 1,
    errorRates: { backendError: 0.08, tooManyRequests: 0.06, rateLimitExceeded: 0.03, userRateLimitExceeded: 0.03 },
    notifications: { dropRate: 0.2, duplicateRate: 0.2 },
  });
  // Another client edits Dentist in Google just before calsync's first write to it lands.
  let raced = false;
  const racingFetch: typeof fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (!raced && init?.method === 'PUT' && url.startsWith(google.root) && dentist.id && url.includes(`/events/${dentist.id}`)) {
      raced = true;
      google.app.emulator.editEvent(dentist.calendarId, dentist.id, { description: 'Bring the X-rays' });
    }
    return fetch(input, init);
  };
  const dentist = { id: '', calendarId: '' };
  const result = await runInteropScenario({
    db: t.db, emulator: google, radicale, fetch: racingFetch, webhookBase,
    betweenPhases: async () => {
      google.app.emulator.expireSyncTokens();
      const calendars = [...google.app.emulator.writes()].filter((w) => w.method === 'anotherClient');
      dentist.calendarId = calendars[0]!.calendarId;
      dentist.id = calendars[0]!.eventId;
    },
  });
  const stats = google.app.emulator.stats();
  const injected = Object.entries(stats.byStatus).filter(([status]) => ['403', '429', '500'].includes(status)).reduce((n, [, count]) => n + count, 0);
  console.log(`faulted run: ${stats.total} Google requests (fault-free ${cleanRequests}), ${injected} failed by injection (${Math.round((100 * injected) / stats.total)} %), extra settling rounds ${result.settleRounds}`, stats.byStatus);
  assert.ok(raced, 'the 412 race happened');
  assert.ok((stats.byStatus['412'] ?? 0) >= 1, 'calsync met the 412');
  assert.ok((stats.byStatus['410'] ?? 0) >= 1, 'calsync met the expired sync token');
  assert.ok(injected > 0);
  const deliveries = google.app.emulator.deliveries();
  assert.ok(deliveries.some((d) => d.outcome === 'dropped'), 'notifications were dropped');
  assert.ok(deliveries.some((d) => d.duplicate), 'notifications were duplicated');
  const dentistNow = result.calendar.find((s) => s.master?.summary.startsWith('Dentist'))!.master!;
  assert.equal(dentistNow.description, 'Bring the X-rays', 'the racing edit is kept, merged with the Radicale edit');
  assert.ok(cleanRequests > 0);
  assert.ok(stats.total <= 2 * cleanRequests, `${stats.total} requests with faults, ${cleanRequests} without`);
});
