// Runs the Google Calendar emulator on a port and prints its URL:
//   npm run emulator:google -- --port 8095 [--host 127.0.0.1] [--account me@example.com] [--time-zone Europe/Berlin]
// Point a Google client's rootUrl (and token endpoint) at the printed URL. Ctrl-C stops it.
import { parseArgs } from 'node:util';
import { build } from './app.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    account: { type: 'string' },
    'time-zone': { type: 'string' },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`emulator:google: --port must be a port number, got "${values.port}"`);
  process.exit(2);
}

const app = build({ ...(values.account ? { account: values.account } : {}), ...(values['time-zone'] ? { timeZone: values['time-zone'] } : {}) });
await app.listen({ host: values.host, port });
const address = app.server.address() as { port: number };
const url = `http://${values.host.includes(':') ? `[${values.host}]` : values.host}:${address.port}`;
const grant = app.emulator.issueGrant();
console.log(`Google Calendar emulator on ${url}/ (account ${app.emulator.account})`);
console.log(`  API:   ${url}/calendar/v3/   token: ${url}/token   auth: ${url}/o/oauth2/v2/auth`);
console.log(`  OAuth client: emulator-client / emulator-secret; a first access token: ${grant.access_token}`);
console.log(`  control: ${url}/emulator/stats, /emulator/faults (see emulators/google/README.md)`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void app.close().then(() => process.exit(0));
  });
}
