// The Microsoft Graph emulator for tests: built (not listening), with a grant's access
// token ready, a clock the test moves, and a notification receiver that answers
// validation requests as Graph expects unless told otherwise.
import type { LightMyRequestResponse } from 'fastify';
import { build, type MicrosoftEmulator, type MicrosoftEmulatorOptions } from '../../emulators/microsoft/app.ts';
import { clock, type Clock } from './google-emulator.ts';

export interface Received {
  url: string;
  body: string;
}

/** A receiver of validation requests and notifications, recording what arrives. */
export interface Receiver {
  fetch: typeof fetch;
  received: Received[];
  /** How validation requests are answered: echo (as Graph wants), or a status / body / type of the test's choice. */
  validation: { status: number; body: 'echo' | string; contentType: string; delayMs: number };
  /** Status answered to notifications. */
  notificationStatus: number;
}

export function receiver(): Receiver {
  const r: Receiver = {
    received: [],
    validation: { status: 200, body: 'echo', contentType: 'text/plain; charset=utf-8', delayMs: 0 },
    notificationStatus: 202,
    fetch: async (input, init) => {
      const url = String(input);
      const body = typeof init?.body === 'string' ? init.body : '';
      r.received.push({ url, body });
      const token = new URL(url).searchParams.get('validationToken');
      if (token !== null) {
        const v = r.validation;
        if (v.delayMs > 0) {
          await new Promise((resolve, reject) => {
            const timer = setTimeout(resolve, v.delayMs);
            init?.signal?.addEventListener('abort', () => {
              clearTimeout(timer);
              reject(new Error('aborted'));
            });
          });
        }
        return new Response(v.body === 'echo' ? token : v.body, { status: v.status, headers: { 'content-type': v.contentType } });
      }
      return new Response(null, { status: r.notificationStatus });
    },
  };
  return r;
}

export interface TestGraph {
  app: MicrosoftEmulator;
  clock: Clock;
  hook: Receiver;
  auth: { authorization: string };
  call: (method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT', url: string, payload?: unknown, headers?: Record<string, string>) => Promise<LightMyRequestResponse>;
}

export function testGraph(options: MicrosoftEmulatorOptions = {}): TestGraph {
  const time = clock();
  const hook = receiver();
  const app = build({ now: time.now, fetch: hook.fetch, ...options });
  const auth = { authorization: `Bearer ${app.emulator.issueGrant().access_token}` };
  const call: TestGraph['call'] = (method, url, payload, headers = {}) =>
    app.inject({ method, url, headers: { ...auth, ...headers }, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
  return { app, clock: time, hook, auth, call };
}

/** A timed event body in a zone, `minutes` long. */
export function timedEvent(local: string, minutes = 30, timeZone = 'UTC', extra: Record<string, unknown> = {}): Record<string, unknown> {
  const end = new Date(Date.parse(`${local}Z`) + minutes * 60_000).toISOString().slice(0, 19);
  return { subject: 'Appointment', start: { dateTime: local, timeZone }, end: { dateTime: end, timeZone }, ...extra };
}

/** The path and query of an absolute link the emulator answered. */
export const pathOf = (link: string): string => {
  const u = new URL(link);
  return `${u.pathname}${u.search}`;
};

/** Every page of a delta round from `url`; returns the items and the deltaLink. */
export async function deltaRound(t: TestGraph, url: string, headers: Record<string, string> = {}): Promise<{ items: Array<Record<string, any>>; deltaLink: string; pages: number }> {
  const items: Array<Record<string, any>> = [];
  let next = url;
  for (let pages = 1; pages < 1000; pages++) {
    const r = await t.call('GET', next, undefined, headers);
    if (r.statusCode !== 200) throw new Error(`${next}: ${r.statusCode} ${r.body}`);
    const body = r.json();
    items.push(...body.value);
    if (body['@odata.nextLink']) {
      if (body['@odata.deltaLink']) throw new Error('a page with both nextLink and deltaLink');
      next = pathOf(body['@odata.nextLink']);
      continue;
    }
    return { items, deltaLink: pathOf(body['@odata.deltaLink']), pages };
  }
  throw new Error('no deltaLink after 1000 pages');
}
