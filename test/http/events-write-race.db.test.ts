// An app's update racing a pass: the pass commits a field into the event while the
// app's PATCH (or If-Match PUT) is on its way. The app's write must apply to what the
// pass committed, not to the event as it was before, or the pass's field is lost.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { writeAppSeries } from '../../src/engine/app-writes.ts';
import { appEventByApiId } from '../../src/store/app-events.ts';
import { withTransaction } from '../../src/store/db.ts';
import { getSeries } from '../../src/store/events.ts';
import { tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let auth: { authorization: string };
let tenantId: string;
let calendarId: string;
let events: string;

before(async () => {
  t = await testApp();
  ({ auth, tenantId } = await tenantWithKey(t, 'races'));
  const calendar = await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: auth, payload: { summary: 'Races', timeZone: 'UTC' } });
  calendarId = calendar.json().id;
  events = `/calendar/v3/calendars/${calendarId}/events`;
});
after(async () => { await t.close(); });

async function insert(summary: string): Promise<{ id: string; etag: string }> {
  const res = await t.app.inject({ method: 'POST', url: events, headers: auth, payload: { summary, start: { dateTime: '2026-05-04T09:00:00Z' }, end: { dateTime: '2026-05-04T10:00:00Z' } } });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

/** Until some statement of the database waits for a row lock (the app's request, held by the pass). */
async function someoneWaitsForALock(): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const { rows } = await t.database.db.query(`select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the app request never waited for the pass');
}

/**
 * A pass holds the event's rows while the app's request `send` arrives, then commits an
 * attendee; the request's answer.
 */
async function racingAPass(apiId: string, send: () => Promise<{ statusCode: number; body: string }>): Promise<{ statusCode: number; body: string }> {
  const row = (await appEventByApiId(t.database.db, tenantId, calendarId, apiId))!;
  let answer!: Promise<{ statusCode: number; body: string }>;
  await withTransaction(t.database.db, async (tx) => {
    await tx.query('select 1 from events where tenant_id = $1 and calendar_id = $2 and series_id = $3 for update', [tenantId, calendarId, row.seriesId]);
    answer = send();
    await someoneWaitsForALock();
    const [stored] = await getSeries(tx, tenantId, calendarId, [row.seriesId]);
    const series = structuredClone(stored!.series);
    series.master!.attendees.push({ email: 'merged-by-a-pass@example.org', name: null, role: 'required', response: 'needs-action', respondedAt: null });
    await writeAppSeries(tx, { tenantId, calendarId }, { eventId: row.seriesId, series });
  });
  return answer;
}

test('a PATCH that arrives while a pass writes the event keeps what the pass merged', async () => {
  const { id } = await insert('Planning');
  const res = await racingAPass(id, () => t.app.inject({ method: 'PATCH', url: `${events}/${id}`, headers: auth, payload: { summary: 'Planning (moved room)' } }));
  assert.equal(res.statusCode, 200, res.body);
  const now = (await t.app.inject({ method: 'GET', url: `${events}/${id}`, headers: auth })).json();
  assert.equal(now.summary, 'Planning (moved room)');
  assert.deepEqual(now.attendees?.map((a: { email: string }) => a.email), ['merged-by-a-pass@example.org']);
});

test('an If-Match write that arrives while a pass writes the event is refused with 412, not applied over it', async () => {
  const { id, etag } = await insert('Review');
  const res = await racingAPass(id, () => t.app.inject({ method: 'PUT', url: `${events}/${id}`, headers: { ...auth, 'if-match': etag }, payload: {
    summary: 'Review (final)', start: { dateTime: '2026-05-04T09:00:00Z' }, end: { dateTime: '2026-05-04T10:00:00Z' },
  } }));
  assert.equal(res.statusCode, 412, res.body);
  const now = (await t.app.inject({ method: 'GET', url: `${events}/${id}`, headers: auth })).json();
  assert.equal(now.summary, 'Review');
  assert.deepEqual(now.attendees?.map((a: { email: string }) => a.email), ['merged-by-a-pass@example.org']);
});
