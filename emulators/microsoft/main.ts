// Runs the Microsoft Graph emulator on a port and prints its URL:
//   npm run emulator:microsoft -- --port 8096 [--host 127.0.0.1] [--account me@example.com]
// Point a Graph client's base URL at <url>/v1.0 and its authority at <url>/common. Ctrl-C stops it.
import { parseArgs } from 'node:util';
import { build } from './app.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    account: { type: 'string' },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`emulator:microsoft: --port must be a port number, got "${values.port}"`);
  process.exit(2);
}

const app = build({ ...(values.account ? { account: values.account } : {}) });
await app.listen({ host: values.host, port });
const address = app.server.address() as { port: number };
const url = `http://${values.host.includes(':') ? `[${values.host}]` : values.host}:${address.port}`;
const grant = app.emulator.issueGrant();
console.log(`Microsoft Graph emulator on ${url}/ (account ${app.emulator.account}, tenant ${app.emulator.tenantId})`);
console.log(`  API:   ${url}/v1.0/   token: ${url}/common/oauth2/v2.0/token   authorize: ${url}/common/oauth2/v2.0/authorize`);
console.log(`  OAuth client: emulator-client / emulator-secret; a first access token: ${grant.access_token}`);
console.log(`  control: ${url}/emulator/stats, /emulator/faults, /emulator/settings (see emulators/microsoft/README.md)`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void app.close().then(() => process.exit(0));
  });
}
