// Tenant A's resources through tenant B's key, route by route: every route that takes a
// calendar, event, account or binding id answers 404 (freeBusy: notFound for that
// calendar) and changes nothing. The route list comes from the app itself, so a route
// added without a case here fails the first test.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { offlineProviders, tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';
import { snapshot } from '../helpers/snapshot.ts';

let t: TestApp;
let a: Awaited<ReturnType<typeof tenantWithKey>>;
let b: Awaited<ReturnType<typeof tenantWithKey>>;
const ids = { calendarOfA: '', eventOfA: '', instanceOfA: '', accountOfA: '', bindingOfA: '', channelOfA: '', resourceOfA: '', calendarOfB: '', eventOfB: '', accountOfB: '', conflictOfA: '', bookableOfA: '', bookableOfB: '', bookingOfA: '', inboundOfA: '', otherCalendarOfA: '', mirrorOfA: '', bookingChannelOfA: '', deadJobOfA: '' };

// Feeds "answer" without a network: these tests are about who may touch what.
const providers = offlineProviders(1);
// Routes made per provider (src/http/admin-oauth.ts, src/http/webhooks.ts), from the registry.
const registered = await Promise.all(providers.names.map((name) => providers.get(name)));
const oauthProviders = registered.filter((p) => p.connect.kind === 'oauth').map((p) => p.name);
const providerWebhooks = registered.filter((p) => p.push).map((p) => `POST /webhooks/${p.name}`);
assert.ok(oauthProviders.length > 0 && providerWebhooks.length > 0, 'the registry has OAuth providers and providers that push');

// A public address given as an IP literal: no name to resolve on a machine without a network.
const hook = 'https://93.184.216.34/calendar-hook';

// A Monday a week or two ahead, within a resource's default horizon (60 days) and hours.
const bookingDay = (() => {
  const day = new Date();
  day.setUTCDate(day.getUTCDate() + 7 + ((8 - day.getUTCDay()) % 7));
  return day.toISOString().slice(0, 10);
})();

const eventBody = { summary: 'Taken', start: { dateTime: '2026-03-02T09:00:00Z' }, end: { dateTime: '2026-03-02T10:00:00Z' } };

async function created(tenant: typeof a, url: string, payload: object): Promise<Record<string, unknown>> {
  const res = await t.app.inject({ method: 'POST', url, headers: tenant.auth, payload });
  assert.ok(res.statusCode === 200 || res.statusCode === 201, `${url}: ${res.body}`);
  return res.json();
}

before(async () => {
  t = await testApp({ providers });
  a = await tenantWithKey(t, 'tenant a');
  b = await tenantWithKey(t, 'tenant b');
  ids.calendarOfA = (await created(a, '/calendar/v3/calendars', { summary: 'A private' })).id as string;
  ids.eventOfA = (await created(a, `/calendar/v3/calendars/${ids.calendarOfA}/events`, {
    summary: 'A weekly', start: { dateTime: '2026-03-02T10:00:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2026-03-02T11:00:00', timeZone: 'Europe/Berlin' },
    recurrence: ['RRULE:FREQ=WEEKLY;COUNT=3'],
  })).id as string;
  const instances = await t.app.inject({ method: 'GET', url: `/calendar/v3/calendars/${ids.calendarOfA}/events/${ids.eventOfA}/instances`, headers: a.auth });
  ids.instanceOfA = instances.json().items[1].id;
  ids.accountOfA = ((await created(a, '/admin/v1/accounts', { provider: 'ics', url: 'https://example.org/a.ics' })).account as { id: string }).id;
  ids.bindingOfA = (await created(a, '/admin/v1/bindings', { accountId: ids.accountOfA, remoteCalendarId: 'https://example.org/a.ics', calendarId: ids.calendarOfA })).id as string;
  const channel = await created(a, `/calendar/v3/calendars/${ids.calendarOfA}/events/watch`, { id: 'a-channel', type: 'web_hook', address: hook });
  ids.channelOfA = channel.id as string;
  ids.resourceOfA = channel.resourceId as string;
  // A conflict a pass of A's binding sent to a person (the ICS feed here is never fetched).
  const { rows: [conflict] } = await t.database.db.query<{ id: string }>(
    `insert into conflicts (tenant_id, binding_id, event_id, fields, base, ours, theirs)
     select tenant_id, $1, series_id, '{summary}', '"Planning"', '"A"', '"B"' from events where api_id = $2 and original_start is null returning id`,
    [ids.bindingOfA, ids.eventOfA]);
  ids.conflictOfA = conflict!.id;
  ids.calendarOfB = (await created(b, '/calendar/v3/calendars', { summary: 'B own' })).id as string;
  ids.eventOfB = (await created(b, `/calendar/v3/calendars/${ids.calendarOfB}/events`, {
    summary: 'B own', start: { dateTime: '2026-03-02T14:00:00Z' }, end: { dateTime: '2026-03-02T15:00:00Z' },
  })).id as string;
  ids.accountOfB = ((await created(b, '/admin/v1/accounts', { provider: 'ics', url: 'https://example.org/b.ics' })).account as { id: string }).id;
  ids.bookableOfA = (await created(a, '/admin/v1/resources', { name: 'A room', bookingCalendarId: ids.calendarOfA })).id as string;
  ids.bookableOfB = (await created(b, '/admin/v1/resources', { name: 'B room' })).id as string;
  ids.bookingOfA = (await created(a, '/admin/v1/bookings', { resourceId: ids.bookableOfA, start: `${bookingDay}T10:00:00Z`, holdSeconds: 86_400 })).id as string;
  ids.bookingChannelOfA = (await created(a, '/admin/v1/bookings/watch', { id: 'a-booking-channel', address: hook })).id as string;
  ids.inboundOfA = (await created(a, '/admin/v1/inbound-sources', { scheme: 'hmac', resourceId: ids.bookableOfA })).id as string;
  ids.otherCalendarOfA = (await created(a, '/calendar/v3/calendars', { summary: 'A work' })).id as string;
  ids.mirrorOfA = (await created(a, '/admin/v1/mirrors', { sourceCalendarId: ids.calendarOfA, targetCalendarId: ids.otherCalendarOfA })).id as string;
  // A dead pass job of A's binding, as the queue leaves one that used up its attempts.
  const { rows: [job] } = await t.database.db.query<{ id: string }>(
    `select id::text from graphile_worker.add_job('sync_binding', json_build_object('tenantId', $1::uuid, 'bindingId', $2::uuid, 'trigger', 'manual'), max_attempts := 1, job_key := 'dead-of-a')`,
    [a.tenantId, ids.bindingOfA]);
  await t.database.db.query(`update graphile_worker._private_jobs set attempts = 1, last_error = 'provider down', run_at = now() + interval '1 day' where id = $1`, [job!.id]);
  ids.deadJobOfA = job!.id;
});
after(async () => { await t.close(); });

/** The app's routes as `METHOD /path`, read from Fastify's route tree (HEAD twins left out). */
function registeredRoutes(app: FastifyInstance): string[] {
  const routes: string[] = [];
  const path: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    path.length = depth;
    path.push(m[2]!);
    for (const method of m[3]?.split(', ') ?? []) if (method !== 'HEAD') routes.push(`${method} ${path.join('')}`);
  }
  return routes.sort();
}

interface Call {
  url: string;
  payload?: object;
}

// Every route that names a calendar, event, account or binding, in its path or body, and
// the calls tenant B makes with tenant A's ids (and with its own ids next to A's).
const calls: Record<string, () => Call[]> = {
  'GET /calendar/v3/calendars/:calendarId': () => [{ url: `/calendar/v3/calendars/${ids.calendarOfA}` }],
  'PUT /calendar/v3/calendars/:calendarId': () => [{ url: `/calendar/v3/calendars/${ids.calendarOfA}`, payload: { summary: 'Taken' } }],
  'PATCH /calendar/v3/calendars/:calendarId': () => [{ url: `/calendar/v3/calendars/${ids.calendarOfA}`, payload: { summary: 'Taken' } }],
  'DELETE /calendar/v3/calendars/:calendarId': () => [{ url: `/calendar/v3/calendars/${ids.calendarOfA}` }],
  'GET /calendar/v3/users/me/calendarList/:calendarId': () => [{ url: `/calendar/v3/users/me/calendarList/${ids.calendarOfA}` }],
  'GET /calendar/v3/calendars/:calendarId/events': () => [{ url: `/calendar/v3/calendars/${ids.calendarOfA}/events?showDeleted=true` }],
  'POST /calendar/v3/calendars/:calendarId/events': () => [{ url: `/calendar/v3/calendars/${ids.calendarOfA}/events`, payload: eventBody }],
  'POST /calendar/v3/calendars/:calendarId/events/import': () => [
    { url: `/calendar/v3/calendars/${ids.calendarOfA}/events/import`, payload: { ...eventBody, iCalUID: 'taken@example.org' } },
  ],
  'GET /calendar/v3/calendars/:calendarId/events/:eventId': () => eventCalls(),
  'PUT /calendar/v3/calendars/:calendarId/events/:eventId': () => eventCalls(eventBody),
  'PATCH /calendar/v3/calendars/:calendarId/events/:eventId': () => eventCalls({ summary: 'Taken' }),
  'DELETE /calendar/v3/calendars/:calendarId/events/:eventId': () => eventCalls(),
  'GET /calendar/v3/calendars/:calendarId/events/:eventId/instances': () => [
    { url: `/calendar/v3/calendars/${ids.calendarOfA}/events/${ids.eventOfA}/instances` },
    { url: `/calendar/v3/calendars/${ids.calendarOfB}/events/${ids.eventOfA}/instances` },
  ],
  'POST /calendar/v3/calendars/:calendarId/events/:eventId/move': () => [
    { url: `/calendar/v3/calendars/${ids.calendarOfA}/events/${ids.eventOfA}/move?destination=${ids.calendarOfB}` },
    { url: `/calendar/v3/calendars/${ids.calendarOfB}/events/${ids.eventOfA}/move?destination=${ids.calendarOfB}` },
    // B's own event into A's calendar: the destination is not found either.
    { url: `/calendar/v3/calendars/${ids.calendarOfB}/events/${ids.eventOfB}/move?destination=${ids.calendarOfA}` },
  ],
  'POST /calendar/v3/calendars/:calendarId/events/watch': () => [
    { url: `/calendar/v3/calendars/${ids.calendarOfA}/events/watch`, payload: { id: 'b-channel', type: 'web_hook', address: hook } },
  ],
  'GET /calendar/v3/calendars/:calendarId/events/stream': () => [{ url: `/calendar/v3/calendars/${ids.calendarOfA}/events/stream?since=0` }],
  'POST /calendar/v3/channels/stop': () => [{ url: '/calendar/v3/channels/stop', payload: { id: ids.channelOfA, resourceId: ids.resourceOfA } }],
  'GET /admin/v1/accounts/:accountId/calendars': () => [{ url: `/admin/v1/accounts/${ids.accountOfA}/calendars` }],
  'GET /admin/v1/bindings/:bindingId': () => [{ url: `/admin/v1/bindings/${ids.bindingOfA}` }],
  'POST /admin/v1/bindings/:bindingId/sync': () => [{ url: `/admin/v1/bindings/${ids.bindingOfA}/sync` }],
  'POST /admin/v1/bindings/:bindingId/quarantine/retry': () => [{ url: `/admin/v1/bindings/${ids.bindingOfA}/quarantine/retry`, payload: { remoteIds: ['https://example.org/a.ics#x'] } }],
  'POST /admin/v1/bindings/:bindingId/quarantine/lift': () => [
    { url: `/admin/v1/bindings/${ids.bindingOfA}/quarantine/lift`, payload: { kind: 'remote', remoteIds: ['x'] } },
    { url: `/admin/v1/bindings/${ids.bindingOfA}/quarantine/lift`, payload: { kind: 'held', remoteIds: ['x'] } },
  ],
  'GET /admin/v1/bindings/:bindingId/passes': () => [{ url: `/admin/v1/bindings/${ids.bindingOfA}/passes` }],
  'GET /admin/v1/bindings/:bindingId/stopped-pass': () => [{ url: `/admin/v1/bindings/${ids.bindingOfA}/stopped-pass` }],
  'POST /admin/v1/bindings/:bindingId/stopped-pass/confirm': () => [{ url: `/admin/v1/bindings/${ids.bindingOfA}/stopped-pass/confirm`, payload: {} }],
  'POST /admin/v1/bindings/:bindingId/stopped-pass/dismiss': () => [{ url: `/admin/v1/bindings/${ids.bindingOfA}/stopped-pass/dismiss`, payload: {} }],
  'GET /admin/v1/calendars/:calendarId/events/:eventId/history': () => [
    { url: `/admin/v1/calendars/${ids.calendarOfA}/events/${ids.eventOfA}/history` },
    { url: `/admin/v1/calendars/${ids.calendarOfA}/events/${ids.instanceOfA}/history` },
    { url: `/admin/v1/calendars/${ids.calendarOfB}/events/${ids.eventOfA}/history` },
  ],
  'PATCH /admin/v1/bindings/:bindingId': () => [
    { url: `/admin/v1/bindings/${ids.bindingOfA}`, payload: { pollIntervalSeconds: 60 } },
    { url: `/admin/v1/bindings/${ids.bindingOfA}`, payload: { direction: 'import', policy: 'manual' } },
  ],
  'POST /admin/v1/bindings/:bindingId/pause': () => [{ url: `/admin/v1/bindings/${ids.bindingOfA}/pause`, payload: { reason: 'taken' } }],
  'POST /admin/v1/bindings/:bindingId/resume': () => [{ url: `/admin/v1/bindings/${ids.bindingOfA}/resume` }],
  'POST /admin/v1/bindings/:bindingId/unbind': () => [
    { url: `/admin/v1/bindings/${ids.bindingOfA}/unbind`, payload: { remoteCopies: 'keep' } },
    { url: `/admin/v1/bindings/${ids.bindingOfA}/unbind`, payload: { remoteCopies: 'delete' } },
  ],
  'GET /admin/v1/conflicts/:conflictId': () => [{ url: `/admin/v1/conflicts/${ids.conflictOfA}` }],
  'POST /admin/v1/conflicts/:conflictId/resolve': () => [
    { url: `/admin/v1/conflicts/${ids.conflictOfA}/resolve`, payload: { take: 'remote' } },
    { url: `/admin/v1/conflicts/${ids.conflictOfA}/resolve`, payload: { value: 'mine now' } },
  ],
  'POST /admin/v1/accounts/:accountId/disconnect': () => [{ url: `/admin/v1/accounts/${ids.accountOfA}/disconnect`, payload: { reason: 'taken' } }],
  'GET /admin/v1/resources/:resourceId': () => [{ url: `/admin/v1/resources/${ids.bookableOfA}` }],
  'PATCH /admin/v1/resources/:resourceId': () => [
    { url: `/admin/v1/resources/${ids.bookableOfA}`, payload: { name: 'Taken' } },
    // B's own resource given A's calendar.
    { url: `/admin/v1/resources/${ids.bookableOfB}`, payload: { busyCalendarIds: [ids.calendarOfA] } },
  ],
  'DELETE /admin/v1/resources/:resourceId': () => [{ url: `/admin/v1/resources/${ids.bookableOfA}` }],
  'POST /admin/v1/resources': () => [{ url: '/admin/v1/resources', payload: { name: 'Mine', bookingCalendarId: ids.calendarOfA } }],
  'POST /admin/v1/resources/:resourceId/availability': () => [
    { url: `/admin/v1/resources/${ids.bookableOfA}/availability`, payload: { timeMin: `${bookingDay}T00:00:00Z`, timeMax: `${bookingDay}T23:00:00Z` } },
  ],
  'POST /admin/v1/availability': () => [
    { url: '/admin/v1/availability', payload: { resourceIds: [ids.bookableOfB, ids.bookableOfA], timeMin: `${bookingDay}T00:00:00Z`, timeMax: `${bookingDay}T23:00:00Z` } },
  ],
  'POST /admin/v1/bookings': () => [{ url: '/admin/v1/bookings', payload: { resourceId: ids.bookableOfA, start: `${bookingDay}T12:00:00Z` } }],
  'GET /admin/v1/bookings/:bookingId': () => [{ url: `/admin/v1/bookings/${ids.bookingOfA}` }],
  'POST /admin/v1/bookings/:bookingId/confirm': () => [{ url: `/admin/v1/bookings/${ids.bookingOfA}/confirm` }],
  'POST /admin/v1/bookings/:bookingId/cancel': () => [{ url: `/admin/v1/bookings/${ids.bookingOfA}/cancel` }],
  'POST /admin/v1/bookings/:bookingId/reschedule': () => [{ url: `/admin/v1/bookings/${ids.bookingOfA}/reschedule`, payload: { start: `${bookingDay}T13:00:00Z` } }],
  // A booking channel of B's own on A's resource; B stopping A's channel.
  'POST /admin/v1/bookings/watch': () => [{ url: '/admin/v1/bookings/watch', payload: { id: 'b-booking-channel', address: hook, resourceId: ids.bookableOfA } }],
  'POST /admin/v1/bookings/watch/stop': () => [{ url: '/admin/v1/bookings/watch/stop', payload: { id: ids.bookingChannelOfA } }],
  // A source of B's own on A's resource: the resource is not found.
  'POST /admin/v1/inbound-sources': () => [{ url: '/admin/v1/inbound-sources', payload: { scheme: 'hmac', resourceId: ids.bookableOfA } }],
  'GET /admin/v1/inbound-sources/:sourceId': () => [{ url: `/admin/v1/inbound-sources/${ids.inboundOfA}` }],
  'DELETE /admin/v1/inbound-sources/:sourceId': () => [{ url: `/admin/v1/inbound-sources/${ids.inboundOfA}` }],
  'GET /admin/v1/inbound-sources/:sourceId/deliveries': () => [{ url: `/admin/v1/inbound-sources/${ids.inboundOfA}/deliveries` }],
  'POST /admin/v1/dead-jobs/:jobId/replay': () => [{ url: `/admin/v1/dead-jobs/${ids.deadJobOfA}/replay`, payload: {} }],
  'GET /admin/v1/mirrors/:mirrorId': () => [{ url: `/admin/v1/mirrors/${ids.mirrorOfA}` }],
  'DELETE /admin/v1/mirrors/:mirrorId': () => [{ url: `/admin/v1/mirrors/${ids.mirrorOfA}` }],
  // B's own calendar mirrored into A's, and A's into B's own.
  'POST /admin/v1/mirrors': () => [
    { url: '/admin/v1/mirrors', payload: { sourceCalendarId: ids.calendarOfB, targetCalendarId: ids.calendarOfA } },
    { url: '/admin/v1/mirrors', payload: { sourceCalendarId: ids.calendarOfA, targetCalendarId: ids.calendarOfB } },
    { url: '/admin/v1/mirrors', payload: { sourceCalendarId: ids.calendarOfA, targetCalendarId: ids.otherCalendarOfA } },
  ],
  // Reconnecting names the account in the body: another tenant's is not found before the state is opened.
  ...Object.fromEntries(oauthProviders.map((name) => [`POST /admin/v1/accounts/${name}`, () => [
    { url: `/admin/v1/accounts/${name}`, payload: { code: 'a-code', state: 'a-state', accountId: ids.accountOfA } },
  ]])),
  'POST /admin/v1/bindings': () => [
    { url: '/admin/v1/bindings', payload: { accountId: ids.accountOfA, remoteCalendarId: 'https://example.org/a.ics', newCalendar: { summary: 'stolen feed' } } },
    { url: '/admin/v1/bindings', payload: { accountId: ids.accountOfB, remoteCalendarId: 'https://example.org/b.ics', calendarId: ids.calendarOfA } },
  ],
};

/** A's event (and an instance of it) in A's calendar, and in B's own calendar. */
function eventCalls(payload?: object): Call[] {
  return [
    [ids.calendarOfA, ids.eventOfA], [ids.calendarOfA, ids.instanceOfA], [ids.calendarOfB, ids.eventOfA], [ids.calendarOfB, ids.instanceOfA],
  ].map(([calendarId, eventId]) => ({ url: `/calendar/v3/calendars/${calendarId}/events/${eventId}`, ...(payload ? { payload } : {}) }));
}

// freeBusy names calendars in its body; an unknown one is an entry, not a 404 (Google's shape).
const freeBusy = 'POST /calendar/v3/freeBusy';
// A batch answers 200 and gives each request its own status.
const batches = ['POST /batch', 'POST /batch/calendar/v3'];

// Routes that name no id: lists and creates, which only ever see the caller's tenant
// (access.db.test.ts checks the lists), and the probes.
const withoutIds = [
  'GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /openapi.json',
  'GET /calendar/v3/users/me/calendarList', 'POST /calendar/v3/calendars',
  'GET /admin/v1/accounts', 'POST /admin/v1/accounts', 'GET /admin/v1/bindings',
  // Operator lists: a filter naming another tenant's binding or account lists nothing (tested below).
  'GET /admin/v1/quarantine', 'GET /admin/v1/dead-jobs', 'GET /admin/v1/stopped-passes', 'GET /admin/v1/operator-actions', 'GET /admin/v1/conflicts',
  'GET /admin/v1/resources', 'GET /admin/v1/bookings', 'GET /admin/v1/inbound-sources', 'GET /admin/v1/mirrors',
  // The health summary and the charts count and list only the caller's tenant (tested
  // below; charts.db.test.ts checks another tenant's charts are empty).
  'GET /admin/v1/health', 'GET /admin/v1/charts',
  // The console's files: the same for everyone, no data in them.
  'GET /', 'GET /console/:file',
  // An OAuth provider's consent URL: the state it seals is good for this tenant only (google-connect.db.test.ts tries another's).
  ...oauthProviders.map((name) => `POST /admin/v1/accounts/${name}/authorize`),
  // Provider webhooks carry no key; a subscription's secret names its binding (webhooks.db.test.ts).
  ...providerWebhooks,
  // Inbound sources carry no key; the signature proves the source, whose id is in the path
  // (a post without one is 401 like any request without a key; inbound-sources.db.test.ts).
  'POST /webhooks/in/:sourceId',
];

test('every route of the app has a tenant-isolation case or names no id', () => {
  const routes = registeredRoutes(t.app);
  const covered = [...Object.keys(calls), freeBusy, ...batches, ...withoutIds].sort();
  assert.deepEqual(routes.filter((r) => !covered.includes(r)), [], 'routes without a case: add one to `calls`');
  assert.deepEqual(covered.filter((r) => !routes.includes(r)), [], 'cases for routes the app no longer has');
});

for (const [route, callsOf] of Object.entries(calls)) {
  test(`${route} with tenant b's key on tenant a's ids is 404 and changes nothing`, async () => {
    const method = route.split(' ')[0] as 'GET';
    for (const call of callsOf()) {
      const before = await snapshot(t.database.db);
      const res = await t.app.inject({ method, url: call.url, headers: b.auth, ...(call.payload ? { payload: call.payload } : {}) });
      assert.equal(res.statusCode, 404, `${method} ${call.url}: ${res.body}`);
      assert.equal(res.json().error.errors[0].reason, 'notFound');
      assert.deepEqual(await snapshot(t.database.db), before, `${method} ${call.url} changed something`);
    }
  });
}

test(`${freeBusy} with tenant b's key answers notFound for tenant a's calendar and shows only b's own busy time`, async () => {
  const before = await snapshot(t.database.db);
  const res = await t.app.inject({ method: 'POST', url: '/calendar/v3/freeBusy', headers: b.auth, payload: {
    timeMin: '2026-03-01T00:00:00Z', timeMax: '2026-03-31T00:00:00Z', items: [{ id: ids.calendarOfA }, { id: 'primary' }],
  } });
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(res.json().calendars, {
    [ids.calendarOfA]: { errors: [{ domain: 'global', reason: 'notFound' }], busy: [] },
    primary: { busy: [{ start: '2026-03-02T14:00:00Z', end: '2026-03-02T15:00:00Z' }] },
  });
  assert.deepEqual(await snapshot(t.database.db), before);
});

for (const route of batches) {
  test(`${route} with tenant b's key answers 404 inside for every request on tenant a's ids and changes nothing`, async () => {
    const requests = Object.entries(calls).filter(([r]) => r.includes('/calendar/v3/')).flatMap(([r, callsOf]) => callsOf().map((call, i) => ({
      id: `${r}#${i}`, method: r.split(' ')[0], path: call.url, ...(call.payload ? { body: call.payload } : {}),
    }))).filter((r) => !r.path.includes('/events/stream'));
    for (let start = 0; start < requests.length; start += 50) {
      const before = await snapshot(t.database.db);
      const res = await t.app.inject({ method: 'POST', url: route.split(' ')[1]!, headers: b.auth, payload: { requests: requests.slice(start, start + 50) } });
      assert.equal(res.statusCode, 200, res.body);
      for (const answer of res.json().responses as Array<{ id: string; status: number }>) assert.equal(answer.status, 404, answer.id);
      assert.deepEqual(await snapshot(t.database.db), before);
    }
  });
}

test('operator lists filtered by tenant a\'s binding or account show tenant b nothing of a\'s', async () => {
  await t.app.inject({ method: 'POST', url: `/admin/v1/bindings/${ids.bindingOfA}/pause`, headers: a.auth, payload: { reason: 'an action of a' } });
  const { rows: [row] } = await t.database.db.query('select count(*)::int as n from operator_actions where binding_id = $1', [ids.bindingOfA]);
  assert.equal(row.n, 1);
  for (const url of [
    `/admin/v1/quarantine?bindingId=${ids.bindingOfA}`, `/admin/v1/stopped-passes?bindingId=${ids.bindingOfA}`,
    `/admin/v1/operator-actions?bindingId=${ids.bindingOfA}`, `/admin/v1/operator-actions?accountId=${ids.accountOfA}`, '/admin/v1/operator-actions',
    '/admin/v1/conflicts', `/admin/v1/conflicts?bindingId=${ids.bindingOfA}`, '/admin/v1/bookings', `/admin/v1/bookings?resourceId=${ids.bookableOfA}`,
    '/admin/v1/mirrors', '/admin/v1/dead-jobs',
  ]) {
    const res = await t.app.inject({ method: 'GET', url, headers: b.auth });
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    assert.deepEqual(res.json().items, [], url);
  }
  const own = await t.app.inject({ method: 'GET', url: `/admin/v1/operator-actions?bindingId=${ids.bindingOfA}`, headers: a.auth });
  assert.equal(own.json().items.length, 1, 'a sees its own action');
  await t.app.inject({ method: 'POST', url: `/admin/v1/bindings/${ids.bindingOfA}/resume`, headers: a.auth });
});

test('a booking sync token of tenant a is refused for tenant b (400) and lists nothing of a\'s', async () => {
  const listed = await t.app.inject({ method: 'GET', url: '/admin/v1/bookings', headers: a.auth });
  const tokenOfA = listed.json().nextSyncToken as string;
  assert.equal(typeof tokenOfA, 'string');
  const before = await snapshot(t.database.db);
  const res = await t.app.inject({ method: 'GET', url: `/admin/v1/bookings?syncToken=${encodeURIComponent(tokenOfA)}`, headers: b.auth });
  assert.equal(res.statusCode, 400, res.body);
  assert.equal(res.json().error.calsync.code, 'BOOKING_SYNC_TOKEN_INVALID');
  assert.deepEqual(await snapshot(t.database.db), before);
  const own = await t.app.inject({ method: 'GET', url: `/admin/v1/bookings?syncToken=${encodeURIComponent(tokenOfA)}`, headers: a.auth });
  assert.equal(own.statusCode, 200, 'a\'s own token lists');
});

test("the health summary with tenant b's key counts and lists only b's accounts, bindings, conflicts and dead jobs", async () => {
  const ofA = (await t.app.inject({ method: 'GET', url: '/admin/v1/health', headers: a.auth })).json();
  assert.equal(ofA.counts.bindings, 1);
  assert.equal(ofA.counts.conflictsOpen, 1);
  assert.equal(ofA.counts.deadJobs, 1);
  assert.deepEqual(ofA.bindings.map((x: { id: string }) => x.id), [ids.bindingOfA]);
  const res = await t.app.inject({ method: 'GET', url: '/admin/v1/health', headers: b.auth });
  assert.equal(res.statusCode, 200, res.body);
  const ofB = res.json();
  assert.deepEqual(ofB.counts, { bindings: 0, inSync: 0, failing: 0, paused: 0, waiting: 0, conflictsOpen: 0, quarantined: 0, deadJobs: 0 });
  assert.deepEqual(ofB.bindings, []);
  assert.deepEqual(ofB.propagation, { windowMinutes: 60, writes: 0, p50Ms: null, p99Ms: null });
  assert.deepEqual(ofB.accounts.map((x: { id: string }) => x.id), [ids.accountOfB]);
  const own = await t.app.inject({ method: 'GET', url: '/admin/v1/dead-jobs', headers: a.auth });
  assert.deepEqual(own.json().items.map((j: { id: string }) => j.id), [ids.deadJobOfA], 'a sees its own dead job');
});

test('every route but the probes, the console\'s files and provider webhooks refuses a request without a key', async () => {
  // Webhooks authenticate with their subscription's secret instead (webhooks.db.test.ts).
  for (const route of registeredRoutes(t.app).filter((r) => !['GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /openapi.json', 'GET /', 'GET /console/:file', ...providerWebhooks].includes(r))) {
    const [method, path] = route.split(' ') as ['GET', string];
    const res = await t.app.inject({ method, url: path.replace(/:(\w+)/g, (_, name: string) => `x${name}`), payload: method === 'GET' || method === 'DELETE' ? undefined : {} });
    assert.equal(res.statusCode, 401, route);
  }
});

test("tenant a's data is still there and unchanged after every attempt", async () => {
  const calendar = await t.app.inject({ method: 'GET', url: `/calendar/v3/calendars/${ids.calendarOfA}`, headers: a.auth });
  assert.equal(calendar.json().summary, 'A private');
  const event = await t.app.inject({ method: 'GET', url: `/calendar/v3/calendars/${ids.calendarOfA}/events/${ids.eventOfA}`, headers: a.auth });
  assert.equal(event.json().summary, 'A weekly');
  assert.equal(event.json().status, 'confirmed');
});
