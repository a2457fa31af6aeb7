// events.delete as clients send it: some HTTP clients put a JSON Content-Type on a
// DELETE that has no body. Google deletes the event all the same; so does calsync.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let auth: { authorization: string };
let events: string;

before(async () => {
  t = await testApp();
  auth = (await tenantWithKey(t, 'deletes')).auth;
  const calendar = await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: auth, payload: { summary: 'Deletes', timeZone: 'UTC' } });
  events = `/calendar/v3/calendars/${calendar.json().id}/events`;
});
after(async () => { await t.close(); });

async function insert(summary: string): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: events, headers: auth, payload: { summary, start: { date: '2026-05-04' }, end: { date: '2026-05-05' } } });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().id;
}

test('a DELETE with a JSON Content-Type and no body deletes the event', async () => {
  for (const contentType of ['application/json', 'application/json; charset=utf-8']) {
    const id = await insert(`Delete me (${contentType})`);
    const res = await t.app.inject({ method: 'DELETE', url: `${events}/${id}`, headers: { ...auth, 'content-type': contentType } });
    assert.equal(res.statusCode, 204, res.body);
    assert.equal((await t.app.inject({ method: 'GET', url: `${events}/${id}`, headers: auth })).json().status, 'cancelled');
  }
});

test('an instance deleted the same way is cancelled', async () => {
  const series = await t.app.inject({ method: 'POST', url: events, headers: auth, payload: {
    summary: 'Weekly', start: { dateTime: '2026-05-04T09:00:00Z', timeZone: 'UTC' }, end: { dateTime: '2026-05-04T10:00:00Z', timeZone: 'UTC' },
    recurrence: ['RRULE:FREQ=WEEKLY;COUNT=3'],
  } });
  const instances = await t.app.inject({ method: 'GET', url: `${events}/${series.json().id}/instances`, headers: auth });
  const second = instances.json().items[1].id as string;
  const res = await t.app.inject({ method: 'DELETE', url: `${events}/${second}`, headers: { ...auth, 'content-type': 'application/json' } });
  assert.equal(res.statusCode, 204, res.body);
  const after = await t.app.inject({ method: 'GET', url: `${events}/${series.json().id}/instances`, headers: auth });
  assert.equal(after.json().items.length, 2);
});

test('a DELETE whose JSON body is malformed is still a 400 and deletes nothing', async () => {
  const id = await insert('Kept');
  const res = await t.app.inject({ method: 'DELETE', url: `${events}/${id}`, headers: { ...auth, 'content-type': 'application/json' }, payload: '{"oops": ' });
  assert.equal(res.statusCode, 400);
  assert.equal((await t.app.inject({ method: 'GET', url: `${events}/${id}`, headers: auth })).json().status, 'confirmed');
});
