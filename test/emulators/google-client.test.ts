// The official Google Calendar client (@googleapis/calendar) pointed at a listening
// emulator (rootUrl), as a connector will use it: full and incremental sync, writes
// with client ids and If-Match, 410 handling, instances, watch and stop.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { calendar as googleCalendar, type calendar_v3 } from '@googleapis/calendar';
import { build, type GoogleEmulator } from '../../emulators/google/app.ts';
import { googleFailure } from '../helpers/google-client-errors.ts';

let app: GoogleEmulator;
let client: calendar_v3.Calendar;
const notified: string[] = [];

before(async () => {
  app = build({
    timeZone: 'Europe/Berlin',
    fetch: (async (_url: string | URL, init?: RequestInit) => {
      notified.push(new Headers(init?.headers).get('x-goog-resource-state')!);
      return new Response(null, { status: 204 });
    }) as typeof fetch,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  client = googleCalendar({ version: 'v3', rootUrl: `http://127.0.0.1:${port}/`, headers: { Authorization: `Bearer ${app.emulator.issueGrant().access_token}` } });
});
after(async () => { await app.close(); });

async function listAll(params: calendar_v3.Params$Resource$Events$List): Promise<{ items: calendar_v3.Schema$Event[]; nextSyncToken: string }> {
  const items: calendar_v3.Schema$Event[] = [];
  let pageToken: string | undefined;
  for (;;) {
    const { data } = await client.events.list({ calendarId: 'primary', ...params, ...(pageToken ? { pageToken } : {}) });
    items.push(...(data.items ?? []));
    if (!data.nextPageToken) return { items, nextSyncToken: data.nextSyncToken! };
    assert.equal(data.nextSyncToken, undefined);
    pageToken = data.nextPageToken;
  }
}

test('full sync in pages, writes with a client id, incremental sync with deletions, 410 after expiry', async () => {
  for (let i = 0; i < 30; i++) {
    await client.events.insert({ calendarId: 'primary', sendUpdates: 'none', requestBody: {
      summary: `Visit ${i}`, start: { dateTime: `2026-03-${String(2 + (i % 20)).padStart(2, '0')}T09:00:00+01:00` }, end: { dateTime: `2026-03-${String(2 + (i % 20)).padStart(2, '0')}T09:30:00+01:00` },
    } });
  }
  const full = await listAll({ maxResults: 7 });
  assert.equal(full.items.length, 30);

  const created = await client.events.insert({ calendarId: 'primary', sendUpdates: 'none', requestBody: {
    id: 'connector00000000000000001', summary: 'Written by the connector', extendedProperties: { private: { calsyncId: 'e-1' } },
    start: { dateTime: '2026-04-01T10:00:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2026-04-01T11:00:00', timeZone: 'Europe/Berlin' },
  } });
  assert.equal(created.data.id, 'connector00000000000000001');
  assert.deepEqual(await googleFailure(client.events.insert({ calendarId: 'primary', requestBody: { ...created.data, etag: undefined } })), { code: 409, reason: 'duplicate' });
  const patched = await client.events.patch({ calendarId: 'primary', eventId: created.data.id!, requestBody: { summary: 'Renamed' } }, { headers: { 'If-Match': created.data.etag! } });
  assert.deepEqual(await googleFailure(client.events.patch({ calendarId: 'primary', eventId: created.data.id!, requestBody: { summary: 'Stale' } }, { headers: { 'If-Match': created.data.etag! } })), { code: 412, reason: 'conditionNotMet' });
  await client.events.delete({ calendarId: 'primary', eventId: full.items[0]!.id! });
  assert.deepEqual(await googleFailure(client.events.delete({ calendarId: 'primary', eventId: full.items[0]!.id! })), { code: 410, reason: 'deleted' });

  const delta = await listAll({ syncToken: full.nextSyncToken });
  const byId = new Map(delta.items.map((e) => [e.id, e]));
  assert.equal(byId.get(created.data.id!)?.summary, 'Renamed');
  assert.equal(byId.get(created.data.id!)?.etag, patched.data.etag);
  assert.equal(byId.get(full.items[0]!.id!)?.status, 'cancelled');
  const found = await listAll({ privateExtendedProperty: ['calsyncId=e-1'] });
  assert.deepEqual(found.items.map((e) => e.id), [created.data.id]);
  assert.ok(app.emulator.writes().every((w) => w.method !== 'insert' || w.sendUpdates === 'none'), 'the client sent sendUpdates=none');

  app.emulator.expireSyncTokens();
  assert.deepEqual(await googleFailure(client.events.list({ calendarId: 'primary', syncToken: delta.nextSyncToken })), { code: 410, reason: 'fullSyncRequired' });
  assert.deepEqual(await googleFailure(client.events.list({ calendarId: 'primary', syncToken: delta.nextSyncToken, timeMin: '2026-01-01T00:00:00Z' })), { code: 400, reason: 'syncTokenWithRequestRestrictions' });
});

test('instances of a recurring event are addressed by id; an updated instance is an exception', async () => {
  const series = await client.events.insert({ calendarId: 'primary', requestBody: {
    summary: 'Weekly check-in', recurrence: ['RRULE:FREQ=WEEKLY;COUNT=3'],
    start: { dateTime: '2026-05-04T08:00:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2026-05-04T08:30:00', timeZone: 'Europe/Berlin' },
  } });
  const { data } = await client.events.instances({ calendarId: 'primary', eventId: series.data.id! });
  assert.equal(data.items?.length, 3);
  const second = data.items![1]!;
  assert.equal(second.id, `${series.data.id}_20260511T060000Z`);
  const updated = await client.events.update({ calendarId: 'primary', eventId: second.id!, requestBody: { ...second, summary: 'Moved check-in' } });
  assert.equal(updated.data.recurringEventId, series.data.id);
  assert.equal((await client.events.get({ calendarId: 'primary', eventId: second.id! })).data.summary, 'Moved check-in');
});

test('watch and stop through the client; the expiration comes back as the discovery schema\'s string', async () => {
  const { data } = await client.events.watch({ calendarId: 'primary', requestBody: { id: 'client-channel', type: 'web_hook', address: 'https://example.org/notify', token: 't' } });
  assert.equal(data.kind, 'api#channel');
  assert.equal(typeof data.expiration, 'string');
  await app.emulator.flushNotifications();
  assert.equal(notified.at(-1), 'sync');
  await client.channels.stop({ requestBody: { id: data.id!, resourceId: data.resourceId! } });
  assert.deepEqual(await googleFailure(client.channels.stop({ requestBody: { id: data.id!, resourceId: data.resourceId! } })), { code: 404, reason: 'notFound' });
});
