// The sides an interop scenario binds (test/helpers/interop.ts): a calendar on the
// Google emulator, one on the Graph emulator, a Radicale collection. Each makes its
// account, reads what it holds with a grant of its own, and counts calsync's writes.
import { createCalDavConnector } from '../../src/connectors/caldav/index.ts';
import { createAccount } from '../../src/store/accounts.ts';
import type { CalDavServer } from './caldav-servers.ts';
import { makeCalendar } from './caldav-servers.ts';
import { emulatorConnector, type ListeningEmulator } from './google-connector.ts';
import { heldBy, writeCounter, type InteropSide } from './interop.ts';
import { graphConnector, type ListeningGraph } from './microsoft-connector.ts';

/** Runs `body` with an emulator's faults off, then puts them back. */
async function faultsOff<T>(controls: { faults(): any; clearFaults(): void; setFaults(config: any): unknown }, body: () => Promise<T>): Promise<T> {
  const saved = controls.faults();
  controls.clearFaults();
  try {
    return await body();
  } finally {
    controls.setFaults(saved);
  }
}

export type GoogleSide = InteropSide & { calendar: string };

/** A new calendar on the Google emulator; its changes come as push notifications. */
export function googleSide(emulator: ListeningEmulator, name: string, summary: string): GoogleSide {
  const google = emulator.app.emulator;
  const calendar = google.addCalendar({ summary, timeZone: 'Europe/Berlin' }).id as string;
  const reader = emulatorConnector(emulator).connector;
  return {
    name, calendar,
    async bind(db, secrets, tenantId) {
      const grant = google.issueGrant();
      const account = await createAccount(db, secrets, tenantId, {
        provider: 'google', login: google.account, credentials: { refreshToken: grant.refresh_token, accessToken: grant.access_token, expiry: Date.now() + 3_000_000 },
      });
      return { accountId: account.id, remoteCalendarId: calendar };
    },
    held: () => faultsOff(google, () => heldBy(reader, calendar)),
    writes: () => google.writes().filter((w) => w.method !== 'anotherClient' && w.calendarId === calendar).length,
    calm: (body) => faultsOff(google, body),
    push: { provider: 'google', flush: () => google.flushNotifications() },
  };
}

export type GraphSide = InteropSide & { calendar: string; reader: ReturnType<typeof graphConnector>['connector'] };

/** A new calendar on the Graph emulator (the only one calsync writes to there); polled unless `push`. */
export function graphSide(graph: ListeningGraph, name: string, options: { push?: boolean } = {}): GraphSide {
  const emulator = graph.app.emulator;
  const calendar = emulator.addCalendar({ name }).id;
  const reader = graphConnector(graph).connector;
  return {
    name, calendar, reader,
    async bind(db, secrets, tenantId) {
      const grant = emulator.issueGrant();
      const account = await createAccount(db, secrets, tenantId, {
        provider: 'microsoft', login: emulator.account,
        credentials: { refreshToken: grant.refresh_token, accessToken: grant.access_token, expiry: Date.now() + grant.expires_in * 1000 },
      });
      return { accountId: account.id, remoteCalendarId: calendar };
    },
    held: () => faultsOff(emulator, () => heldBy(reader, calendar)),
    writes: () => emulator.writes().filter((w) => w.method !== 'anotherClient').length,
    calm: (body) => faultsOff(emulator, body),
    ...(options.push ? { push: { provider: 'microsoft', flush: () => emulator.flushNotifications() } } : {}),
  };
}

export type RadicaleSide = InteropSide & { collection: string; server: CalDavServer; reader: ReturnType<typeof createCalDavConnector>; userUrlFetch: ReturnType<typeof writeCounter>['fetch'] };

/** A new Radicale collection, polled; calsync's requests to it go through `userUrlFetch`, which counts its writes. */
export async function radicaleSide(server: CalDavServer, name = 'radicale'): Promise<RadicaleSide> {
  const collection = await makeCalendar(server);
  const counter = writeCounter(server.url);
  const reader = createCalDavConnector({ serverUrl: server.url, username: server.username, password: server.password });
  return {
    name, collection, server, reader, userUrlFetch: counter.fetch,
    async bind(db, secrets, tenantId) {
      const account = await createAccount(db, secrets, tenantId, {
        provider: 'caldav', serverUrl: server.url, login: server.username, credentials: { username: server.username, password: server.password },
      });
      return { accountId: account.id, remoteCalendarId: collection };
    },
    held: () => heldBy(reader, collection),
    writes: counter.writes,
    calm: (body) => body(),
  };
}
