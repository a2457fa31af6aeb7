// Every route of /openapi.json, with real ids and a body it would take, gets inputs it
// must refuse: text Postgres cannot store in each path parameter, query parameter, header
// and body string; a body number JSON cannot hold; each declared parameter given twice;
// forged page and sync tokens; times outside years 1-9999. Each must be answered 4xx in
// calsync's shape, none 5xx, and no route's refusals may change a row.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { providers } from '../../src/connectors/registry.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { operatorWorld, type OperatorWorld } from '../helpers/operator.ts';
import { snapshot } from '../helpers/snapshot.ts';

type Operation = { parameters?: Array<{ name: string; in: string; schema: { anyOf?: unknown } }> };

let t: TestDatabase;
let world: OperatorWorld;
before(async () => { t = await freshDatabase(); world = await operatorWorld(t); });
after(async () => { await world.app.close(); await t.drop(); });

const unstorable = ['\u0000', 'a\u0000b', '\ud800', 'a\udc00'];
const unstorableInUrl = ['%00', 'a%00b'];
const unsigned = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const forgedTokens = [
  unsigned({ k: 'p', c: 'x', q: 'y', u: 1e300, s: -1, a: [] }), unsigned({ k: 's', c: 'x', v: 1e300, t: 0 }),
  unsigned({ sinceMicros: '99999999999999999999', kind: 'remote', bindingId: 'x', remoteId: 'y' }), unsigned({ createdAt: '+275760-09-13T00:00:00.000Z', id: crypto.randomUUID() }),
  unsigned('9'.repeat(30)), 'not.a-token',
];
const impossibleTimes = ['0000-01-01T00:00:00Z', '10000-01-01T00:00:00Z', '-000001-01-01T00:00:00Z', '2026-02-30T00:00:00Z', '0001-01-01T00:00:00+01:00'];

/** Every string and number of a body, by its path. */
function leaves(value: unknown, at: Array<string | number> = []): Array<{ path: Array<string | number>; value: unknown }> {
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => leaves(v, [...at, Array.isArray(value) ? Number(k) : k]));
  return [{ path: at, value }];
}

function replaced(body: unknown, path: Array<string | number>, leaf: unknown): unknown {
  const copy = structuredClone(body) as Record<string | number, any>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key];
  node[path.at(-1)!] = leaf;
  return copy;
}

test('no route answers a hostile or impossible input with 5xx, and no refusal changes a row', { timeout: 600_000 }, async () => {
  const registered = await Promise.all(providers.names.map((name) => providers.get(name)));
  const oauthProviders = registered.filter((p) => p.connect.kind === 'oauth').map((p) => p.name);
  const providerWebhooks = registered.filter((p) => p.push).map((p) => `/webhooks/${p.name}`);
  const binding = await world.bind('remote');
  const { rows: [account] } = await t.db.query<{ id: string }>('select id from accounts limit 1');
  const insert = async (payload: object) => (await world.call('POST', `/calendar/v3/calendars/${world.calendarId}/events`, payload)).body.id as string;
  const eventId = await insert({ summary: 'Once', start: { dateTime: '2026-03-02T10:00:00Z' }, end: { dateTime: '2026-03-02T11:00:00Z' } });
  const seriesId = await insert({ summary: 'Weekly', start: { dateTime: '2026-03-02T10:00:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2026-03-02T11:00:00', timeZone: 'Europe/Berlin' }, recurrence: ['RRULE:FREQ=WEEKLY'] });
  const work = (await world.call('POST', '/calendar/v3/calendars', { summary: 'Work' })).body.id as string;
  const mirrorId = (await world.call('POST', '/admin/v1/mirrors', { sourceCalendarId: world.calendarId, targetCalendarId: work })).body.id as string;
  const ids: Record<string, string> = { calendarId: world.calendarId, eventId, bindingId: binding.id, accountId: account!.id, conflictId: crypto.randomUUID(), mirrorId };

  const event = {
    summary: 'Review', description: 'Notes', location: 'Room 1', sequence: 1, colorId: '1',
    start: { dateTime: '2026-03-03T10:00:00+01:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2026-03-03T11:00:00+01:00' },
    attendees: [{ email: 'a@example.org', displayName: 'A' }], extendedProperties: { private: { app: 'clinic' }, shared: { room: '1' } },
  };
  const calendar = { summary: 'Work', description: 'd', location: 'l', timeZone: 'Europe/Berlin' };
  const bodies: Record<string, object> = {
    'POST /calendar/v3/calendars': calendar,
    'PUT /calendar/v3/calendars/{calendarId}': calendar,
    'PATCH /calendar/v3/calendars/{calendarId}': calendar,
    'POST /calendar/v3/calendars/{calendarId}/events': event,
    'PUT /calendar/v3/calendars/{calendarId}/events/{eventId}': event,
    'PATCH /calendar/v3/calendars/{calendarId}/events/{eventId}': event,
    'POST /calendar/v3/calendars/{calendarId}/events/import': { ...event, iCalUID: 'imported@example.org' },
    'POST /calendar/v3/calendars/{calendarId}/events/watch': { id: 'channel-1', type: 'web_hook', address: 'https://hooks.example.org/calsync', token: 'tag' },
    'POST /calendar/v3/channels/stop': { id: 'channel-1', resourceId: 'resource' },
    'POST /calendar/v3/freeBusy': { timeMin: '2026-03-01T00:00:00Z', timeMax: '2026-03-10T00:00:00Z', timeZone: 'Europe/Berlin', items: [{ id: world.calendarId }] },
    'POST /admin/v1/accounts': { provider: 'caldav', serverUrl: 'https://127.0.0.1:1/dav/', username: 'u', password: 'p', displayName: 'd' },
    'POST /admin/v1/bindings': { accountId: account!.id, remoteCalendarId: 'other', newCalendar: { summary: 'Synced', timeZone: 'Europe/Berlin' } },
    'PATCH /admin/v1/bindings/{bindingId}': { policy: 'default', direction: 'two_way', pollIntervalSeconds: 300 },
    'POST /admin/v1/bindings/{bindingId}/pause': { reason: 'moving' },
    'POST /admin/v1/bindings/{bindingId}/unbind': { remoteCopies: 'keep', note: 'done' },
    'POST /admin/v1/bindings/{bindingId}/quarantine/retry': { remoteIds: ['item-1'], note: 'again' },
    'POST /admin/v1/bindings/{bindingId}/quarantine/lift': { kind: 'remote', remoteIds: ['item-1'], note: 'fine' },
    'POST /admin/v1/conflicts/{conflictId}/resolve': { value: 'Board', note: 'agreed' },
    'POST /admin/v1/bindings/{bindingId}/stopped-pass/confirm': { passId: crypto.randomUUID(), note: 'meant' },
    'POST /admin/v1/bindings/{bindingId}/stopped-pass/dismiss': { passId: crypto.randomUUID(), note: 'not meant' },
    // Every OAuth provider's consent pair (src/http/admin-oauth.ts).
    ...Object.fromEntries(oauthProviders.flatMap((name) => [
      [`POST /admin/v1/accounts/${name}/authorize`, { redirectUri: 'https://app.example.org/callback', loginHint: 'a@example.org' }],
      [`POST /admin/v1/accounts/${name}`, { code: 'code', state: 'state', displayName: 'd', accountId: account!.id }],
    ])),
    // A Graph change notification (change-notifications-delivery-webhooks) naming a subscription calsync never made.
    'POST /webhooks/microsoft': { value: [{ subscriptionId: 'graph-subscription', clientState: `${crypto.randomUUID()}.secret`, changeType: 'updated', resource: 'me/events/x', tenantId: 't' }] },
    'POST /admin/v1/accounts/{accountId}/disconnect': { reason: 'leaving' },
    'POST /admin/v1/mirrors': { sourceCalendarId: work, targetCalendarId: world.calendarId, title: '{summary} (work)', includeLocation: true, ownerEmail: 'a@example.org' },
    'POST /admin/v1/bindings/{bindingId}/sync': { confirmWipe: false },
    'POST /admin/v1/bookings/watch': { id: 'booking-channel-1', address: 'https://hooks.example.org/bookings', token: 'tag', expiration: '4102444800000' },
    'POST /admin/v1/bookings/watch/stop': { id: 'booking-channel-1' },
    'POST /batch/calendar/v3': { requests: [{ id: '1', method: 'GET', path: `/calendar/v3/calendars/${world.calendarId}/events?q=Review` }] },
    'POST /batch': { requests: [{ id: '1', method: 'GET', path: `/calendar/v3/calendars/${world.calendarId}/events?q=Review` }] },
  };

  const document = (await world.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, Operation>> };
  const failures: string[] = [];
  let sent = 0;
  for (const [path, byMethod] of Object.entries(document.paths)) {
    for (const [lower, operation] of Object.entries(byMethod)) {
      const method = lower.toUpperCase() as 'GET';
      const route = `${method} ${path}`;
      const url = (over: Record<string, string> = {}) => path.replace(/\{(\w+)\}/g, (_, name: string) => over[name] ?? ids[name] ?? 'x');
      const body = bodies[route];
      const json = body ? { headers: { 'content-type': 'application/json' } } : {};
      const base: InjectOptions = { method, url: url(), ...(body ? { payload: JSON.stringify(body), ...json } : {}) };
      const query = operation.parameters?.filter((p) => p.in === 'query') ?? [];
      const variants: Array<[string, InjectOptions]> = [];

      for (const name of [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!)) {
        for (const segment of unstorableInUrl) variants.push([`${name}=${segment}`, { ...base, url: url({ [name]: segment }) }]);
      }
      for (const name of [...query.map((p) => p.name), 'unknown']) {
        for (const value of unstorableInUrl) variants.push([`?${name}=${value}`, { ...base, url: `${url()}?${name}=${value}` }]);
      }
      for (const parameter of query.filter((p) => !p.schema.anyOf)) variants.push([`?${parameter.name} twice`, { ...base, url: `${url()}?${parameter.name}=1&${parameter.name}=2` }]);
      for (const name of query.map((p) => p.name).filter((n) => n === 'pageToken' || n === 'syncToken')) {
        for (const token of forgedTokens) variants.push([`?${name}=${token.slice(0, 12)}`, { ...base, url: `${url()}?${name}=${encodeURIComponent(token)}` }]);
      }
      for (const name of query.map((p) => p.name).filter((n) => ['timeMin', 'timeMax', 'updatedMin'].includes(n))) {
        for (const time of impossibleTimes) variants.push([`?${name}=${time}`, { ...base, url: `${url()}?${name}=${encodeURIComponent(time)}` }]);
      }
      if (path.includes('{eventId}')) {
        for (const tail of ['_20261399T100000Z', '_20261399T100000', '_00000101', '_99991231T235959Z']) variants.push([`eventId=<series>${tail}`, { ...base, url: url({ eventId: `${seriesId}${tail}` }) }]);
      }
      for (const value of unstorable) {
        for (const header of ['if-match', 'last-event-id', 'x-goog-channel-id', 'x-custom']) variants.push([`${header}: ${JSON.stringify(value)}`, { ...base, headers: { ...json.headers, [header]: value } }]);
      }
      for (const leaf of body ? leaves(body) : []) {
        const at = leaf.path.join('.');
        if (typeof leaf.value === 'string') for (const value of unstorable) variants.push([`body ${at}=${JSON.stringify(value)}`, { ...base, payload: JSON.stringify(replaced(body, leaf.path, value)) }]);
        const raw = JSON.stringify(replaced(body, leaf.path, 424242)).replace('424242', '1e400');
        variants.push([`body ${at}=1e400`, { ...base, payload: raw }]);
      }
      if (path.includes('/events') && body && 'sequence' in body) {
        for (const sequence of [2 ** 31, -1]) variants.push([`body sequence=${sequence}`, { ...base, payload: JSON.stringify({ ...body, sequence }) }]);
      }

      const rowsBefore = await snapshot(t.db);
      for (const [what, options] of variants) {
        sent++;
        const res = await world.app.inject({ ...options, headers: { ...world.auth, ...(options.headers as object) } });
        // Provider webhooks answer their callers in the provider's shape; every other error is calsync's.
        const shaped = providerWebhooks.includes(path) || /"calsync":\{"code":"[A-Z_]+"/.test(res.body);
        if (res.statusCode < 400 || res.statusCode >= 500 || !shaped) failures.push(`${route} ${what}: ${res.statusCode} ${res.body.slice(0, 160)}`);
      }
      const rowsAfter = await snapshot(t.db);
      if (JSON.stringify(rowsAfter) !== JSON.stringify(rowsBefore)) failures.push(`${route}: a refused request changed a row`);
    }
  }
  assert.ok(sent > 1500, `sent ${sent} requests`);
  assert.deepEqual(failures, []);
});
