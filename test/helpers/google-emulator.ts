// The Google Calendar emulator for tests: built (not listening), with a grant's access
// token ready and a clock the test moves.
import type { LightMyRequestResponse } from 'fastify';
import { build, type GoogleEmulator, type GoogleEmulatorOptions } from '../../emulators/google/app.ts';

export interface Clock {
  now: () => number;
  advance: (ms: number) => void;
}

export function clock(start = Date.parse('2026-03-01T08:00:00Z')): Clock {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

export interface TestEmulator {
  app: GoogleEmulator;
  clock: Clock;
  auth: { authorization: string };
  call: (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers?: Record<string, string>) => Promise<LightMyRequestResponse>;
  /** A fresh access token for `call` (after the clock moved past the last one's expiry). */
  renew: () => void;
}

export function testEmulator(options: GoogleEmulatorOptions = {}): TestEmulator {
  const time = clock();
  const app = build({ now: time.now, fetch: async () => new Response(null, { status: 200 }), ...options });
  const auth = { authorization: `Bearer ${app.emulator.issueGrant().access_token}` };
  const call: TestEmulator['call'] = (method, url, payload, headers = {}) =>
    app.inject({ method, url, headers: { ...auth, ...headers }, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
  const renew = (): void => {
    auth.authorization = `Bearer ${app.emulator.issueGrant().access_token}`;
  };
  return { app, clock: time, auth, call, renew };
}

/** A timed single event body, `minutes` long, starting `at` (UTC). */
export function timed(at: string, minutes = 30, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const end = new Date(Date.parse(at) + minutes * 60_000).toISOString().replace('.000', '');
  return { summary: 'Appointment', start: { dateTime: at }, end: { dateTime: end }, ...extra };
}

/** Every page of a listing; asserts nextSyncToken only on the last page. */
export async function listAll(t: TestEmulator, query: string, calendar = 'primary'): Promise<{ items: Array<Record<string, any>>; nextSyncToken: string; pages: number }> {
  const items: Array<Record<string, any>> = [];
  let pageToken: string | undefined;
  for (let pages = 1; ; pages++) {
    const url = `/calendar/v3/calendars/${calendar}/events?${query}${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ''}`;
    const response = await t.call('GET', url);
    if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
    const body = response.json();
    items.push(...body.items);
    if (body.nextPageToken) {
      if (body.nextSyncToken !== undefined) throw new Error('nextSyncToken before the last page');
      pageToken = body.nextPageToken;
      continue;
    }
    if (!body.nextSyncToken) throw new Error('the last page has no nextSyncToken');
    return { items, nextSyncToken: body.nextSyncToken, pages };
  }
}
