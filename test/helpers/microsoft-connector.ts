// A listening Microsoft Graph emulator and connectors on it, for connector tests. The
// emulator's validation requests and notifications go to a receiver that echoes
// validation tokens, as a webhook route does.
import { build, type MicrosoftEmulator, type MicrosoftEmulatorOptions } from '../../emulators/microsoft/app.ts';
import { createMicrosoftConnector, microsoftEndpoints, type MicrosoftConnector, type MicrosoftConnectorOptions, type MicrosoftCredentials } from '../../src/connectors/microsoft/index.ts';
import type { ContractSubject } from '../connectors/contract.ts';
import { receiver, timedEvent, type Receiver } from './microsoft-emulator.ts';

export const GRAPH_CLIENT = { clientId: 'emulator-client', clientSecret: 'emulator-secret' };

export interface ListeningGraph {
  app: MicrosoftEmulator;
  root: string;
  hook: Receiver;
  close(): Promise<void>;
}

export async function listeningGraph(options: MicrosoftEmulatorOptions = {}): Promise<ListeningGraph> {
  const hook = receiver();
  const app = build({ fetch: hook.fetch, ...options });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const root = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  return { app, root, hook, close: () => app.close() };
}

export interface GraphConnectorUnderTest {
  connector: MicrosoftConnector;
  sleeps: number[];
  handed: MicrosoftCredentials[];
  grant: ReturnType<MicrosoftEmulator['emulator']['issueGrant']>;
}

/** A connector with a fresh grant; `sleeps` records the waits it took instead of waiting, `handed` the credentials it gave onCredentials. */
export function graphConnector(graph: ListeningGraph, options: Partial<MicrosoftConnectorOptions> = {}): GraphConnectorUnderTest {
  const grant = graph.app.emulator.issueGrant();
  const sleeps: number[] = [];
  const handed: MicrosoftCredentials[] = [];
  const connector = createMicrosoftConnector({
    ...GRAPH_CLIENT,
    endpoints: microsoftEndpoints({ graphUrl: `${graph.root}/v1.0`, authorityUrl: graph.root }),
    credentials: { refreshToken: grant.refresh_token, accessToken: grant.access_token, expiry: Date.now() + grant.expires_in * 1000 },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    onCredentials: async (c) => {
      handed.push(c);
    },
    calendarTimeZone: 'Europe/Berlin',
    ...options,
  });
  return { connector, sleeps, handed, grant };
}

/**
 * The contract's subject: a connector on a new calendar of `graph`. The item it cannot
 * read is an event with a blank category name, which Outlook holds (Graph takes any
 * string) and calsync's model refuses.
 */
export function contractSubject(graph: ListeningGraph, options: Partial<MicrosoftConnectorOptions> = {}): ContractSubject & { sleeps: number[] } {
  const calendar = graph.app.emulator.addCalendar({ name: 'contract' });
  const { connector, sleeps } = graphConnector(graph, options);
  return {
    connector,
    sleeps,
    remoteCalendarId: calendar.id,
    expireCursors: async () => graph.app.emulator.expireDeltaTokens(),
    plantUnreadable: async (readable) => {
      for (const series of readable) await connector.create(calendar.id, series, { calsyncId: `cs-${series.uid}` });
      const blank = graph.app.emulator.insertEvent(calendar.id, { ...timedEvent('2026-03-04T12:00:00', 60, 'W. Europe Standard Time'), categories: [' '] });
      return blank.id as string;
    },
  };
}
