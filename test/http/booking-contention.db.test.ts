// 500 attempts to book one slot from 50 concurrent connections to a listening calsync:
// exactly one wins, every other attempt is 409 SLOT_TAKEN, none is a 5xx, and the
// database holds one booking. The same again with holds racing confirmed bookings, and
// with moves of other bookings onto the slot.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { appOn, tenantWithKey, type TestApp } from '../helpers/app.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

let t: TestDatabase;
let app: FastifyInstance;
let base: string;
const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
before(async () => {
  t = await freshDatabase();
  app = await appOn(t, { now: () => new Date('2026-03-01T08:00:00Z') });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
after(async () => {
  agent.destroy();
  await app.close();
  await t.drop();
});

function post(path: string, body: unknown, authorization: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const request = http.request(`${base}${path}`, { method: 'POST', agent, headers: { authorization, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (response) => {
      let text = '';
      response.on('data', (chunk) => { text += chunk; });
      response.on('end', () => resolve({ status: response.statusCode!, body: text ? JSON.parse(text) : null }));
    });
    request.on('error', reject);
    request.end(payload);
  });
}

/** Runs `attempts` calls, `connections` at a time; their answers in order. */
async function contend<T>(attempts: number, connections: number, call: (i: number) => Promise<T>): Promise<T[]> {
  const answers: T[] = new Array(attempts);
  let next = 0;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (next < attempts) {
      const i = next++;
      answers[i] = await call(i);
    }
  }));
  return answers;
}

async function setup(name: string) {
  const { auth, tenantId } = await tenantWithKey({ app, database: t, close: async () => {} } as TestApp, name);
  const calendar = (await app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: auth, payload: { summary: 'Room', timeZone: 'Europe/Berlin' } })).json().id;
  const resource = (await app.inject({ method: 'POST', url: '/admin/v1/resources', headers: auth, payload: { name: 'Room', timeZone: 'Europe/Berlin', bookingCalendarId: calendar, bufferAfterMinutes: 10 } })).json();
  return { authorization: auth.authorization, tenantId, resourceId: resource.id as string, calendar };
}

const tally = (answers: Array<{ status: number; body: any }>) => {
  const counts: Record<string, number> = {};
  for (const a of answers) {
    const key = `${a.status}${a.body?.error ? ` ${a.body.error.calsync?.code}` : ''}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
};

test('500 attempts to book one slot from 50 connections: one wins, 499 get 409 SLOT_TAKEN, no 5xx', { timeout: 120_000 }, async () => {
  const { authorization, tenantId, resourceId, calendar } = await setup('one-slot');
  // Half ask for the whole hour, half for overlapping half hours: every one overlaps the winner.
  const answers = await contend(500, 50, (i) => post('/admin/v1/bookings', {
    resourceId, start: i % 2 === 0 ? '2026-03-02T10:00:00+01:00' : '2026-03-02T10:30:00+01:00', end: '2026-03-02T11:00:00+01:00', summary: `attempt ${i}`,
  }, authorization));
  const counts = tally(answers);
  assert.deepEqual(counts, { 201: 1, '409 SLOT_TAKEN': 499 }, JSON.stringify(counts));
  const { rows } = await t.db.query(`select status, event_id from bookings where tenant_id = $1`, [tenantId]);
  assert.equal(rows.length, 1);
  const { rows: events } = await t.db.query(`select summary from events where tenant_id = $1 and calendar_id = $2 and deleted_at is null`, [tenantId, calendar]);
  assert.deepEqual(events.map((e) => e.summary), [answers.find((a) => a.status === 201)!.body.summary], 'one event, the winner\'s');
});

test('holds, confirmed bookings and moves racing for one slot: still one live booking there, no 5xx', { timeout: 120_000 }, async () => {
  const { authorization, tenantId, resourceId } = await setup('mixed');
  // Five bookings elsewhere on the day, each moved onto 14:00 once while others book it.
  const others: string[] = [];
  for (let h = 0; h < 5; h++) {
    const made = await post('/admin/v1/bookings', { resourceId, start: `2026-03-03T${String(9 + h).padStart(2, '0')}:00:00+01:00`, end: `2026-03-03T${String(9 + h).padStart(2, '0')}:30:00+01:00` }, authorization);
    assert.equal(made.status, 201, JSON.stringify(made.body));
    others.push(made.body.id);
  }
  const answers = await contend(300, 50, (i) => {
    if (i % 60 === 0) return post(`/admin/v1/bookings/${others[i / 60]}/reschedule`, { start: '2026-03-03T14:00:00+01:00' }, authorization);
    return post('/admin/v1/bookings', { resourceId, start: '2026-03-03T14:00:00+01:00', ...(i % 2 === 0 ? { holdSeconds: 300 } : {}) }, authorization);
  });
  const counts = tally(answers);
  assert.ok(!Object.keys(counts).some((k) => k.startsWith('5')), JSON.stringify(counts));
  assert.equal(answers.filter((a) => a.status === 200 || a.status === 201).filter((a) => a.body.start === '2026-03-03T13:00:00.000Z').length, 1, JSON.stringify(counts));
  const { rows } = await t.db.query(
    `select count(*)::int as n from bookings where tenant_id = $1 and status in ('held', 'confirmed') and during && tstzrange('2026-03-03T13:00:00Z', '2026-03-03T13:30:00Z')`, [tenantId]);
  assert.equal(rows[0].n, 1);
});
