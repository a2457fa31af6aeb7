// The connector contract against a real Radicale (Debian package), one calendar per test.
import { after, before, test } from 'node:test';
import { createCalDavConnector } from '../../src/connectors/caldav/index.ts';
import { expireRadicaleTokens, makeCalendar, missingServer, otherClientCalendar, otherClientEvent, rawRequest, startCalDavServer, type CalDavServer } from '../helpers/caldav-servers.ts';
import { registerConnectorContract } from './contract.ts';

const missing = missingServer('radicale');
if (missing !== null) {
  test('radicale contract', (t) => t.skip(missing));
} else {
  let server: CalDavServer;
  before(async () => {
    server = await startCalDavServer('radicale');
  });
  after(async () => {
    await server?.stop();
  });
  registerConnectorContract('caldav radicale', async () => {
    const remoteCalendarId = await makeCalendar(server);
    // A small page size so the 120-item test walks many pages of one open listing.
    const connector = createCalDavConnector({ serverUrl: server.url, username: server.username, password: server.password, pageSize: 7 });
    return {
      connector,
      remoteCalendarId,
      // Radicale forgets a token's state after max_sync_token_age (30 days); a token
      // it forgot fails once the collection has changed since.
      expireCursors: async () => {
        await expireRadicaleTokens(server, remoteCalendarId);
        await rawRequest(server, 'PUT', `${remoteCalendarId}other-client.ics`, otherClientEvent('other-client'));
      },
      plantUnreadable: async (readable) => {
        for (const series of readable) await connector.create(remoteCalendarId, series, { calsyncId: `cs-${series.uid}` });
        // The server stores an event that ends before it starts; calsync's model refuses it.
        const href = `${remoteCalendarId}ends-before-it-starts.ics`;
        await rawRequest(server, 'PUT', href, otherClientCalendar(['BEGIN:VEVENT', 'UID:backwards', 'DTSTAMP:20260101T000000Z', 'DTSTART:20260302T090000Z', 'DTEND:20260302T080000Z', 'END:VEVENT']));
        return href;
      },
      close: () => connector.close(),
    };
  });
}
