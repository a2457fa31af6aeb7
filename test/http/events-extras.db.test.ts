// Members of an event the model keeps outside its content (extendedProperties, colorId:
// extras, which hashing leaves out) are still the app's to change, as on Google.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { calendar as googleCalendar, type calendar_v3 } from '@googleapis/calendar';
import { tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let client: calendar_v3.Calendar;
let calendarId: string;

before(async () => {
  t = await testApp();
  const tenant = await tenantWithKey(t, 'extras');
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = t.app.server.address() as { port: number };
  client = googleCalendar({ version: 'v3', rootUrl: `http://127.0.0.1:${port}/`, headers: { Authorization: `Bearer ${tenant.key}` } });
  calendarId = (await client.calendars.insert({ requestBody: { summary: 'Extras', timeZone: 'UTC' } })).data.id!;
});
after(async () => { await t.close(); });

test('a patch or update that changes only extendedProperties or colorId is written, with a new etag', async () => {
  const { data: created } = await client.events.insert({ calendarId, requestBody: {
    summary: 'Tagged', start: { date: '2026-05-04' }, end: { date: '2026-05-05' }, extendedProperties: { private: { app: 'a' } },
  } });
  const same = await client.events.patch({ calendarId, eventId: created.id!, requestBody: { extendedProperties: { private: { app: 'a' } } } });
  assert.equal(same.data.etag, created.etag, 'nothing changed, nothing written');

  const { data: patched } = await client.events.patch({ calendarId, eventId: created.id!, requestBody: { extendedProperties: { private: { app: 'b' }, shared: { room: '2' } }, colorId: '3' } });
  assert.deepEqual([patched.extendedProperties, patched.colorId], [{ private: { app: 'b' }, shared: { room: '2' } }, '3']);
  assert.notEqual(patched.etag, created.etag);
  const { data: read } = await client.events.get({ calendarId, eventId: created.id! });
  assert.deepEqual([read.extendedProperties, read.colorId, read.etag], [patched.extendedProperties, '3', patched.etag]);

  const { data: updated } = await client.events.update({ calendarId, eventId: created.id!, requestBody: { ...read, extendedProperties: { private: { app: 'c' } } } });
  assert.deepEqual(updated.extendedProperties, { private: { app: 'c' } });
  assert.deepEqual((await client.events.get({ calendarId, eventId: created.id! })).data.extendedProperties, { private: { app: 'c' } });
});
