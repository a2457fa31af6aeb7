// Graph ⇄ Google ⇄ CalDAV: one calendar bound two-way to a calendar on the Graph
// emulator, one on the Google emulator and a Radicale calendar converges after edits on
// every side and through calsync's own API (series exceptions, cancellations, Windows
// zones, all-day events, one event edited in different fields on three sides), with no
// duplicates, and a further pass writes nothing anywhere (test/helpers/microsoft-interop.ts).
// Graph's and Google's edits arrive as notifications at calsync's webhook route (Graph's
// subscription made after calsync's route echoed its validation request); Radicale is
// polled. Then the same with faults on both emulators: Graph answers 429 with fractional
// Retry-After, 503 and 504, its delta tokens expire, another client races a PATCH and
// notifications are dropped and duplicated; Google fails as in its own interop run. It still converges, nothing is
// lost, and each emulator sees at most twice the requests of the fault-free run.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { appOn } from '../helpers/app.ts';
import { missingServer, startCalDavServer, type CalDavServer } from '../helpers/caldav-servers.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { listeningEmulator, type ListeningEmulator } from '../helpers/google-connector.ts';
import { listeningGraph, type ListeningGraph } from '../helpers/microsoft-connector.ts';
import { runMicrosoftInterop } from '../helpers/microsoft-interop.ts';

const missing = missingServer('radicale');
let t: TestDatabase;
let radicale: CalDavServer;
let app: FastifyInstance;
let appBase: string;
const closing: Array<{ close(): Promise<void> }> = [];
const clean = { graph: 0, google: 0 };

before(async () => {
  if (missing) return;
  t = await freshDatabase();
  radicale = await startCalDavServer('radicale');
  // A calsync HTTP app on the same database: its API edits, Google delivers to its webhook route.
  app = await appOn(t);
  await app.listen({ host: '127.0.0.1', port: 0 });
  appBase = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
after(async () => {
  await app?.close();
  for (const e of closing) await e.close();
  await radicale?.stop();
  await t?.drop();
});

/**
 * Both emulators, delivering notifications (and Graph its validation requests) to
 * calsync's webhook route, and a fetch for calsync that counts its requests to each
 * (the emulators' own counts also hold the test's reads).
 */
async function emulators(): Promise<{ graph: ListeningGraph; google: ListeningEmulator; calsync: { graph: number; google: number }; counting(inner: typeof fetch): typeof fetch }> {
  const graph = await listeningGraph({ fetch: (input, init) => fetch(input, init) });
  const google = await listeningEmulator({ timeZone: 'Europe/Berlin', fetch: (input, init) => fetch(input, init) });
  closing.push(graph, google);
  const calsync = { graph: 0, google: 0 };
  const counting = (inner: typeof fetch): typeof fetch => (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url.startsWith(graph.root)) calsync.graph++;
    if (url.startsWith(google.root)) calsync.google++;
    return inner(input, init);
  };
  return { graph, google, calsync, counting };
}

test('a Graph, a Google and a Radicale calendar converge after concurrent edits on every side and through the API', { skip: missing ?? false, timeout: 300_000 }, async () => {
  const { graph, google, calsync, counting } = await emulators();
  const started = Date.now();
  const result = await runMicrosoftInterop({ db: t.db, graph, google, radicale, appBase, fetch: counting(fetch) });
  Object.assign(clean, calsync);
  assert.equal(result.settleRounds, 0, 'the queue converged by itself');
  const deliveries = graph.app.emulator.deliveries();
  const route = `${appBase}/webhooks/microsoft`;
  assert.ok(deliveries.some((d) => d.kind === 'validation' && d.outcome === 'delivered' && d.url.startsWith(route)), 'calsync\'s route answered Graph\'s validation request');
  assert.ok(deliveries.some((d) => d.kind === 'change' && d.outcome === 'delivered' && d.url.startsWith(route)), 'Graph delivered change notifications to calsync\'s route');
  assert.ok(deliveries.every((d) => d.outcome === 'delivered'), 'calsync\'s route took every delivery');
  assert.ok(result.graphPushed, 'an edit in Graph alone arrived through its notification at calsync\'s route');
  console.log(`fault-free run: calsync sent ${clean.graph} Graph requests, ${clean.google} Google requests, ${Date.now() - started} ms`, graph.app.emulator.stats().byRoute);
});

test('with faults on both emulators (Graph 429 with fractional Retry-After, 503, 504, expired delta tokens, a 412 race; Google as in its interop run) it still converges within twice the requests', { skip: missing ?? false, timeout: 300_000 }, async () => {
  const { graph, google, calsync, counting } = await emulators();
  const seed = Number(process.env.CALSYNC_FAULT_SEED ?? 1);
  graph.app.emulator.setFaults({
    seed, retryAfterSeconds: 1.128, errorRates: { tooManyRequests: 0.08, serviceUnavailable: 0.05, gatewayTimeout: 0.04 },
    notifications: { dropRate: 0.3, duplicateRate: 0.3 },
  });
  google.app.emulator.setFaults({
    seed, retryAfterSeconds: 1,
    errorRates: { backendError: 0.08, tooManyRequests: 0.06, rateLimitExceeded: 0.03, userRateLimitExceeded: 0.03 },
    notifications: { dropRate: 0.3, duplicateRate: 0.3 },
  });
  // Another client edits an event just before calsync's first write to it lands: Seattle
  // sync in Graph (a PATCH), Dentist in Google (a PUT).
  const race = { seattle: '', dentist: '', googleCalendar: '', graph: false, google: false };
  const racingFetch: typeof fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (!race.graph && race.seattle && init?.method === 'PATCH' && url.startsWith(graph.root) && url.includes(`/events/${encodeURIComponent(race.seattle)}`)) {
      race.graph = true;
      graph.app.emulator.editEvent(race.seattle, { categories: ['Travel'] });
    }
    if (!race.google && race.dentist && init?.method === 'PUT' && url.startsWith(google.root) && url.includes(`/events/${race.dentist}`)) {
      race.google = true;
      google.app.emulator.editEvent(race.googleCalendar, race.dentist, { description: 'Bring the X-rays' });
    }
    return fetch(input, init);
  };
  const started = Date.now();
  const result = await runMicrosoftInterop({
    db: t.db, graph, google, radicale, appBase, fetch: counting(racingFetch),
    betweenPhases: async (ids) => {
      graph.app.emulator.expireDeltaTokens();
      google.app.emulator.expireSyncTokens();
      Object.assign(race, ids);
    },
  });
  const graphStats = graph.app.emulator.stats();
  const googleStats = google.app.emulator.stats();
  const failed = (byStatus: Record<string, number>, statuses: string[]) => statuses.reduce((n, status) => n + (byStatus[status] ?? 0), 0);
  console.log(`faulted run: calsync sent ${calsync.graph} Graph requests (fault-free ${clean.graph}), ${failed(graphStats.byStatus, ['429', '503', '504'])} failed by injection;`
    + ` ${calsync.google} Google requests (fault-free ${clean.google}), ${failed(googleStats.byStatus, ['403', '429', '500'])} failed by injection;`
    + ` extra settling rounds ${result.settleRounds}, the lone Graph edit ${result.graphPushed ? 'pushed' : 'polled'}, ${Date.now() - started} ms`, graphStats.byStatus, googleStats.byStatus);
  for (const status of ['429', '503', '504', '410', '412']) assert.ok((graphStats.byStatus[status] ?? 0) >= 1, `calsync met Graph's ${status}`);
  for (const status of ['429', '500', '410', '412']) assert.ok((googleStats.byStatus[status] ?? 0) >= 1, `calsync met Google's ${status}`);
  assert.ok(race.graph && race.google, 'both races happened');
  for (const [name, deliveries] of [['Graph', graph.app.emulator.deliveries()], ['Google', google.app.emulator.deliveries()]] as const) {
    assert.ok(deliveries.some((d) => d.outcome === 'dropped'), `${name} dropped notifications (${deliveries.length} deliveries)`);
    assert.ok(deliveries.some((d) => d.duplicate), `${name} duplicated notifications (${deliveries.length} deliveries)`);
  }
  const byUid = [...result.calendar.values()];
  const seattle = byUid.find((s) => s.master?.summary === 'Seattle sync')!.master!;
  assert.deepEqual(seattle.categories, ['Travel'], 'the racing edit in Graph is kept, merged with Google\'s and the API\'s');
  const dentist = byUid.find((s) => s.master?.summary.startsWith('Dentist'))!.master!;
  assert.equal(dentist.description, 'Bring the X-rays', 'the racing edit in Google is kept, merged with the Radicale edit');
  assert.ok(clean.graph > 0 && clean.google > 0);
  assert.ok(calsync.graph <= 2 * clean.graph, `${calsync.graph} Graph requests with faults, ${clean.graph} without`);
  assert.ok(calsync.google <= 2 * clean.google, `${calsync.google} Google requests with faults, ${clean.google} without`);
});
