// The connector contract against a real Xandikos (Debian package), one calendar per test.
import { after, before, test } from 'node:test';
import { createCalDavConnector } from '../../src/connectors/caldav/index.ts';
import { makeCalendar, missingServer, startCalDavServer, type CalDavServer } from '../helpers/caldav-servers.ts';
import { registerConnectorContract } from './contract.ts';

const missing = missingServer('xandikos');
if (missing !== null) {
  test('xandikos contract', (t) => t.skip(missing));
} else {
  let server: CalDavServer;
  before(async () => {
    server = await startCalDavServer('xandikos');
  });
  after(async () => {
    await server?.stop();
  });
  registerConnectorContract('caldav xandikos', async () => {
    const remoteCalendarId = await makeCalendar(server);
    // A small page size so the 120-item test walks many pages of one open listing.
    const connector = createCalDavConnector({ serverUrl: server.url, username: server.username, password: server.password, pageSize: 7 });
    return {
      connector,
      remoteCalendarId,
      // Xandikos tokens are git trees it keeps forever; caldav.test.ts covers its unknown tokens.
      close: () => connector.close(),
    };
  });
}
