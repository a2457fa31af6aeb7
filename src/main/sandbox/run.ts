// The sandbox: the Google and Microsoft Graph emulators in this process, calsync pointed
// at them (its OAuth clients, API roots and push address are the emulators' and its
// own), a tenant of its own with two people's calendars bound two-way, and a slow stream
// of edits on every side. `serve` calls `prepareSandbox` once the database is open and
// before it builds anything, `started` once it listens, and `stop` before it closes.
import type { Config } from '../../config.ts';
import type { Db } from '../../store/db.ts';
import { removeSandboxTenants, sandboxTenantName } from '../../store/sandbox-tenants.ts';
import { createApiKey, createTenant } from '../../store/tenants.ts';
import { calsyncApi, type Api } from './api.ts';
import { startEmulators, type Emulators } from './emulators.ts';
import { people } from './sample.ts';
import { setUp, type SandboxCalendar } from './setup.ts';
import { calsyncHeld, remoteHeld } from './sides.ts';
import { startStream, type Stream } from './stream.ts';

export interface SandboxOptions {
  /** Seconds between two edits of the stream. */
  editSeconds: number;
  print(line: string): void;
}

export interface Sandbox {
  /** calsync's configuration pointed at the emulators. */
  config(listening: Config): Config;
  /** Sets up the tenant, its accounts and bindings through calsync's API at `url`, then starts the stream. */
  started(url: string, abort?: AbortSignal): Promise<void>;
  /** Stops the stream; after the worker has stopped, `remove` removes the tenant and stops the emulators. */
  stopStream(): Promise<void>;
  remove(): Promise<void>;
}

const emulatorClient = { clientId: 'emulator-client', clientSecret: 'emulator-secret' };

export async function prepareSandbox(db: Db, options: SandboxOptions): Promise<Sandbox> {
  const { print } = options;
  // Left by a sandbox that did not stop cleanly: its emulators' data is gone with it.
  await removeSandboxTenants(db);
  const emulators = await startEmulators({ google: people.alice.login, microsoft: people.bob.login });
  print('sandbox: calsync runs against emulated providers on this machine; nothing reaches Google or Microsoft.');
  print(`sandbox: Google Calendar emulator on ${emulators.google.url}/ (${people.alice.login}), Microsoft Graph emulator on ${emulators.microsoft.url}/ (${people.bob.login})`);
  let stream: Stream | undefined;
  return {
    config: (listening) => ({
      ...listening,
      google: { ...emulatorClient, apiUrl: `${emulators.google.url}/`, oauthUrl: emulators.google.url },
      microsoft: { ...emulatorClient, graphUrl: `${emulators.microsoft.url}/v1.0`, authorityUrl: emulators.microsoft.url, tenant: undefined },
    }),
    async started(url, abort) {
      const tenant = await createTenant(db, sandboxTenantName);
      const { key } = await createApiKey(db, tenant.id, 'sandbox');
      print(`sandbox: tenant "${sandboxTenantName}"; sign in at ${url}/ with its API key to watch the sync on the console's health page (the key works with the API too):`);
      print(`  ${key}`);
      const api = calsyncApi(url, key);
      const started = Date.now();
      const world = await setUp(api, emulators, new Date());
      await Promise.all(world.calendars.map((calendar) => announce(api, emulators, calendar, started, print, abort)));
      if (abort?.aborted) return;
      print(`sandbox: an edit every ${options.editSeconds} s, in turn in Google, in Outlook and through calsync's calendar API, with a conflict and a provider fault now and then`);
      print('sandbox: Ctrl-C stops calsync and the emulators and removes the sandbox tenant; CALSYNC_SANDBOX=off (or `calsync serve --no-sandbox`) keeps `npm start` from starting it');
      stream = startStream(api, emulators, world, { intervalMs: options.editSeconds * 1000, print });
    },
    async stopStream() {
      await stream?.stop();
    },
    async remove() {
      try {
        await removeSandboxTenants(db);
      } finally {
        await emulators.close();
      }
    },
  };
}

/** Waits until a calendar and its remotes hold the same events, then says so. */
async function announce(api: Api, emulators: Emulators, calendar: SandboxCalendar, started: number, print: (line: string) => void, abort?: AbortSignal): Promise<void> {
  const chain = calendar.remotes.length === 1
    ? `${calendar.remotes[0]!.label} ⇄ calsync '${calendar.name}'`
    : `${calendar.remotes[0]!.label} ⇄ calsync '${calendar.name}' ⇄ ${calendar.remotes[1]!.label}`;
  const deadline = Date.now() + 60_000;
  while (!abort?.aborted) {
    const counts = await Promise.all([
      calsyncHeld(api, calendar.calendarId).then((h) => h.length),
      ...calendar.remotes.map((side) => remoteHeld(emulators, side).then((h) => h.length)),
    ]).catch(() => [-1]);
    if (counts.every((c) => c === calendar.expectedEvents)) {
      print(`sandbox: ${chain}: ${calendar.expectedEvents} events, in agreement after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return;
    }
    if (Date.now() > deadline) {
      print(`sandbox: ${chain}: not in agreement after 60 s (${counts.join(' / ')} events); the console shows why`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
