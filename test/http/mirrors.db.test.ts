// Busy mirrors through the admin API on a real database: a rule made with its defaults
// (privacy first), read and listed, refused with the error that says why (nothing
// changed), and removed with its blocks.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { refreshMirror } from '../../src/engine/busy-mirrors.ts';
import { appOn, tenantWithKey, type TestApp } from '../helpers/app.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

let t: TestDatabase;
let app: FastifyInstance;
before(async () => {
  t = await freshDatabase();
  app = await appOn(t, { now: () => new Date('2026-03-01T08:00:00Z') });
});
after(async () => {
  await app.close();
  await t.drop();
});

type Json = any;
async function tenant(name: string) {
  const { auth, tenantId } = await tenantWithKey({ app, database: t, close: async () => {} } as TestApp, name);
  const call = async (method: string, url: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const response = await app.inject({ method: method as 'GET', url, headers: auth, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : null };
  };
  const calendar = async (summary: string) => (await call('POST', '/calendar/v3/calendars', { summary, timeZone: 'Europe/Berlin' })).body.id as string;
  return { call, calendar, tenantId };
}

const rulesOf = async (tenantId: string) => (await t.db.query('select count(*)::int as n from busy_mirrors where tenant_id = $1', [tenantId])).rows[0].n;

test('a mirror is made with privacy by default, read, listed, and removed with its blocks', async () => {
  const { call, calendar, tenantId } = await tenant('mirrors');
  const personal = await calendar('Personal');
  const work = await calendar('Work');
  const made = await call('POST', '/admin/v1/mirrors', { sourceCalendarId: personal, targetCalendarId: work });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  assert.deepEqual({ ...made.body, id: undefined, createdAt: undefined }, {
    id: undefined, createdAt: undefined, sourceCalendarId: personal, targetCalendarId: work, title: 'Busy',
    includeLocation: false, includeDescription: false, includeAttendees: false, markTentative: true, ownerEmail: null,
  });
  assert.deepEqual((await call('GET', `/admin/v1/mirrors/${made.body.id}`)).body, made.body);
  assert.deepEqual((await call('GET', '/admin/v1/mirrors')).body.items, [made.body]);

  const dentist = await call('POST', `/calendar/v3/calendars/${personal}/events`, {
    summary: 'Dentist', location: 'Harley Street', start: { dateTime: '2026-03-02T10:00:00+01:00' }, end: { dateTime: '2026-03-02T11:00:00+01:00' },
  });
  assert.equal(dentist.status, 200);
  await refreshMirror({ db: t.db, debounceMs: 0, now: () => new Date('2026-03-01T08:00:00Z') }, tenantId, made.body.id);
  const blocks = (await call('GET', `/calendar/v3/calendars/${work}/events`)).body.items;
  assert.deepEqual(blocks.map((e: Json) => [e.summary, e.location ?? '', e.start.dateTime]), [['Busy', '', '2026-03-02T10:00:00+01:00']]);

  const removed = await call('DELETE', `/admin/v1/mirrors/${made.body.id}`);
  assert.equal(removed.status, 204);
  assert.deepEqual((await call('GET', `/calendar/v3/calendars/${work}/events`)).body.items, [], 'its blocks went with it');
  assert.equal((await call('GET', `/admin/v1/mirrors/${made.body.id}`)).status, 404);
  assert.equal((await call('DELETE', `/admin/v1/mirrors/${made.body.id}`)).status, 404);
  assert.equal(await rulesOf(tenantId), 0);
});

test('bad rules are refused with the error that says why, and nothing is made', async () => {
  const { call, calendar, tenantId } = await tenant('refusals');
  const other = await tenant('someone else');
  const personal = await calendar('Personal');
  const work = await calendar('Work');
  const theirs = await other.calendar('Theirs');
  assert.equal((await call('POST', '/admin/v1/mirrors', { sourceCalendarId: personal, targetCalendarId: work, title: '{summary}' })).status, 201);
  for (const [body, status, reason] of [
    [{ sourceCalendarId: personal, targetCalendarId: personal }, 400, /cannot mirror its busy time into itself/],
    [{ sourceCalendarId: personal, targetCalendarId: theirs }, 404, new RegExp(`calendar ${theirs} not found`)],
    [{ sourceCalendarId: personal, targetCalendarId: '5b0c1e7a-0000-4000-8000-000000000000' }, 404, /not found/],
    [{ sourceCalendarId: personal }, 400, /targetCalendarId/],
    [{ sourceCalendarId: personal, targetCalendarId: work, showEverything: true }, 400, /showEverything/],
    [{ sourceCalendarId: work, targetCalendarId: personal, ownerEmail: 'nobody' }, 400, /ownerEmail "nobody" is not an address/],
    [{ sourceCalendarId: personal, targetCalendarId: work }, 409, /already mirrors its busy time/],
  ] as const) {
    const answer = await call('POST', '/admin/v1/mirrors', body);
    assert.equal(answer.status, status, `${JSON.stringify(body)}: ${JSON.stringify(answer.body)}`);
    assert.match(answer.body.error.message, reason, JSON.stringify(body));
  }
  assert.equal(await rulesOf(tenantId), 1);
  assert.equal(await rulesOf(other.tenantId), 0);
});
