// The connector contract against the Google Calendar emulator (emulators/google),
// listening on a loopback port, reached through @googleapis/calendar and an OAuth2
// client holding a grant's tokens. One calendar per test.
import { after, before } from 'node:test';
import { build, type GoogleEmulator } from '../../emulators/google/app.ts';
import { createGoogleConnector, googleEndpoints } from '../../src/connectors/google/index.ts';
import { registerConnectorContract } from './contract.ts';

let app: GoogleEmulator;
let root: string;

before(async () => {
  app = build({ timeZone: 'Europe/Berlin', fetch: async () => new Response(null, { status: 204 }) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  root = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
after(async () => {
  await app?.close();
});

registerConnectorContract('google', async () => {
  const calendar = app.emulator.addCalendar({ summary: 'contract', timeZone: 'Europe/Berlin' });
  const grant = app.emulator.issueGrant();
  // A small page size so the 120-item test walks many pages.
  const connector = createGoogleConnector({
    clientId: 'emulator-client', clientSecret: 'emulator-secret', endpoints: googleEndpoints({ apiUrl: root, oauthUrl: root }),
    credentials: { refreshToken: grant.refresh_token, accessToken: grant.access_token, expiry: Date.now() + grant.expires_in * 1000 },
    pageSize: 7,
  });
  return {
    connector,
    remoteCalendarId: calendar.id as string,
    expireCursors: async () => app.emulator.expireSyncTokens(),
    plantUnreadable: async (readable) => {
      for (const series of readable) await connector.create(calendar.id as string, series, { calsyncId: `cs-${series.uid}` });
      // Google cuts private property values at 1,024 characters: a calsync value cut so is no JSON.
      const cut = app.emulator.insertEvent(calendar.id as string, {
        summary: 'Cut', start: { dateTime: '2026-03-04T12:00:00+01:00' }, end: { dateTime: '2026-03-04T13:00:00+01:00' },
        extendedProperties: { private: { calsyncCategories: '["Planning","Bud' } },
      });
      return cut.id!;
    },
    close: () => connector.close(),
  };
});
