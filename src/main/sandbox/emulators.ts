// The Google and Microsoft Graph emulators (emulators/), started in this process on
// 127.0.0.1 with free ports. They are TypeScript outside src/, so they are loaded from
// the checkout at run time (through tsx when this process runs compiled JavaScript) and
// described here by the part of their public controls the sandbox uses.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface Grant { access_token: string }

export interface GoogleControls {
  readonly account: string;
  addCalendar(input: { summary: string; timeZone: string }): Record<string, unknown>;
  insertEvent(calendarId: string, event: unknown): { id: string };
  editEvent(calendarId: string, eventId: string, patch: unknown): unknown;
  deleteEvent(calendarId: string, eventId: string): void;
  setFaults(config: unknown): unknown;
  expireSyncTokens(): void;
  issueGrant(): Grant;
}

export interface GraphControls {
  readonly account: string;
  addCalendar(input: { name: string }): { id: string };
  insertEvent(calendarId: string | null, event: unknown): Record<string, unknown>;
  editEvent(eventId: string, patch: unknown): unknown;
  deleteEvent(eventId: string): void;
  setFaults(config: unknown): unknown;
  expireDeltaTokens(): void;
  issueGrant(): Grant;
}

interface EmulatorApp<C> {
  emulator: C;
  listen(options: { host: string; port: number }): Promise<string>;
  server: { address(): unknown };
  close(): Promise<unknown>;
}

export interface RunningEmulator<C> {
  url: string;
  controls: C;
  close(): Promise<void>;
}

export interface Emulators {
  google: RunningEmulator<GoogleControls>;
  microsoft: RunningEmulator<GraphControls>;
  close(): Promise<void>;
}

/** The checkout's root: the folder above this file that holds emulators/ (src/main/sandbox, dist/main/sandbox or dist/bundle). */
function checkoutRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'emulators', 'google', 'app.ts'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('the emulators/ folder of the calsync checkout was not found');
    dir = up;
  }
}

async function load<C>(root: string, name: string): Promise<{ build(options: Record<string, unknown>): EmulatorApp<C> }> {
  // A computed specifier: neither tsc nor the bundler follows it into emulators/.
  return import(pathToFileURL(path.join(root, 'emulators', name, 'app.ts')).href) as Promise<{ build(options: Record<string, unknown>): EmulatorApp<C> }>;
}

async function listen<C>(app: EmulatorApp<C>): Promise<RunningEmulator<C>> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, controls: app.emulator, close: async () => { await app.close(); } };
}

export async function startEmulators(accounts: { google: string; microsoft: string }): Promise<Emulators> {
  // Running compiled JavaScript, .ts files need tsx's loader; running through tsx, they have it.
  if (!import.meta.url.endsWith('.ts')) (await import('tsx/esm/api')).register();
  const root = checkoutRoot();
  const google = await listen((await load<GoogleControls>(root, 'google')).build({ account: accounts.google, timeZone: 'Europe/Berlin' }));
  let microsoft: RunningEmulator<GraphControls>;
  try {
    microsoft = await listen((await load<GraphControls>(root, 'microsoft')).build({ account: accounts.microsoft }));
  } catch (error) {
    await google.close();
    throw error;
  }
  return {
    google, microsoft,
    close: async () => { await Promise.all([google.close(), microsoft.close()]); },
  };
}
