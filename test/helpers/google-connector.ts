// A listening Google emulator and connectors on it, for connector and engine tests.
import { build, type GoogleEmulator, type GoogleEmulatorOptions } from '../../emulators/google/app.ts';
import { createGoogleConnector, googleEndpoints, type GoogleConnector, type GoogleConnectorOptions } from '../../src/connectors/google/index.ts';

export const EMULATOR_CLIENT = { clientId: 'emulator-client', clientSecret: 'emulator-secret' };

export interface ListeningEmulator {
  app: GoogleEmulator;
  root: string;
  close(): Promise<void>;
}

export async function listeningEmulator(options: GoogleEmulatorOptions = {}): Promise<ListeningEmulator> {
  const app = build({ fetch: async () => new Response(null, { status: 204 }), ...options });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const root = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  return { app, root, close: () => app.close() };
}

/** A connector with a fresh grant's tokens; `sleeps` records every wait it took instead of waiting. */
export function emulatorConnector(emulator: ListeningEmulator, options: Partial<GoogleConnectorOptions> = {}): { connector: GoogleConnector; sleeps: number[]; grant: ReturnType<GoogleEmulator['emulator']['issueGrant']> } {
  const grant = emulator.app.emulator.issueGrant();
  const sleeps: number[] = [];
  const connector = createGoogleConnector({
    ...EMULATOR_CLIENT,
    endpoints: googleEndpoints({ apiUrl: emulator.root, oauthUrl: emulator.root }),
    credentials: { refreshToken: grant.refresh_token, accessToken: grant.access_token, expiry: Date.now() + grant.expires_in * 1000 },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...options,
  });
  return { connector, sleeps, grant };
}
