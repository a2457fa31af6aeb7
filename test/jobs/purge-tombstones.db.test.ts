// The tombstone purge: deletions older than the horizon go with their change-log and
// history rows, sync tokens from before them get 410 while later ones keep working, live
// events, recent deletions and deletions a binding has not carried out yet stay, and
// nothing of another tenant is touched.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeWorkerUtils } from 'graphile-worker';
import pino from 'pino';
import { purgeTombstonesJob } from '../../src/jobs/purge-tombstones.ts';
import { enqueue } from '../../src/jobs/registry.ts';
import { allTasks } from '../../src/jobs/tasks.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { graphileLogger } from '../../src/main/graphile-logger.ts';
import { purgeTombstones } from '../../src/store/tombstones.ts';
import { tenantWithKey, testApp, type TestApp } from '../helpers/app.ts';
import { idleEngine } from '../helpers/engine-deps.ts';

let t: TestApp;
let a: Awaited<ReturnType<typeof tenantWithKey>>;
let b: Awaited<ReturnType<typeof tenantWithKey>>;
const day = 86_400_000;
const horizon = () => new Date(Date.now() - 30 * day);

before(async () => {
  t = await testApp();
  a = await tenantWithKey(t, 'tenant a');
  b = await tenantWithKey(t, 'tenant b');
});
after(async () => { await t.close(); });

async function calendarOf(tenant: typeof a, summary: string): Promise<string> {
  return (await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: tenant.auth, payload: { summary } })).json().id;
}

async function insert(tenant: typeof a, calendarId: string, summary: string): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: `/calendar/v3/calendars/${calendarId}/events`, headers: tenant.auth, payload: {
    summary, start: { dateTime: '2026-03-02T09:00:00Z' }, end: { dateTime: '2026-03-02T10:00:00Z' },
  } });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().id;
}

async function remove(tenant: typeof a, calendarId: string, eventId: string): Promise<void> {
  assert.equal((await t.app.inject({ method: 'DELETE', url: `/calendar/v3/calendars/${calendarId}/events/${eventId}`, headers: tenant.auth })).statusCode, 204);
}

async function list(tenant: typeof a, calendarId: string, query: string): Promise<{ status: number; reason?: string; ids: string[]; nextSyncToken?: string }> {
  const res = await t.app.inject({ method: 'GET', url: `/calendar/v3/calendars/${calendarId}/events?${query}`, headers: tenant.auth });
  const body = res.json();
  if (res.statusCode !== 200) return { status: res.statusCode, reason: body.error.errors[0].reason, ids: [] };
  return { status: 200, ids: body.items.map((e: { id: string; status: string }) => `${e.id}:${e.status}`).sort(), nextSyncToken: body.nextSyncToken };
}

/** Moves deletions back in time, as if they were made `days` ago. */
async function deletedDaysAgo(calendarId: string, apiIds: string[], days: number): Promise<void> {
  await t.database.db.query(`update events set deleted_at = now() - make_interval(days => $3) where calendar_id = $1 and api_id = any($2)`, [calendarId, apiIds, days]);
}

/** Every row that belongs to a tenant, by table, and its calendars' versions. */
async function rowsOf(tenantId: string): Promise<Record<string, unknown>> {
  const counts: Record<string, unknown> = {};
  for (const table of ['events', 'change_log', 'event_history', 'sync_status', 'bookings']) {
    const { rows: [row] } = await t.database.db.query<{ n: string }>(`select count(*) as n from calsync.${table} where tenant_id = $1`, [tenantId]);
    counts[table] = Number(row!.n);
  }
  const { rows } = await t.database.db.query('select id, version, min_version from calendars where tenant_id = $1 order by id', [tenantId]);
  counts.calendars = rows;
  return counts;
}

test('old tombstones are purged with their log and history; tokens from before them get 410, later ones work', async () => {
  const calendarId = await calendarOf(a, 'Front desk');
  const [old, recent, live, bound] = [await insert(a, calendarId, 'old'), await insert(a, calendarId, 'recent'), await insert(a, calendarId, 'live'), await insert(a, calendarId, 'bound')];
  const beforeDeletes = (await list(a, calendarId, '')).nextSyncToken!;
  await remove(a, calendarId, old);
  await remove(a, calendarId, bound);
  const afterOldDelete = (await list(a, calendarId, '')).nextSyncToken!;
  await remove(a, calendarId, recent);
  await deletedDaysAgo(calendarId, [old, bound], 31);
  await deletedDaysAgo(calendarId, [recent], 29);

  const db = t.database.db;
  const { rows: [oldRow] } = await db.query<{ id: string; version: string }>('select id, version from events where calendar_id = $1 and api_id = $2', [calendarId, old]);
  const { rows: [boundRow] } = await db.query<{ id: string }>('select id from events where calendar_id = $1 and api_id = $2', [calendarId, bound]);
  // A binding that has not carried the deletion of `bound` to its remote yet.
  const { rows: [account] } = await db.query<{ id: string }>(`insert into accounts (tenant_id, provider) values ($1, 'ics') returning id`, [a.tenantId]);
  const { rows: [binding] } = await db.query<{ id: string }>(
    `insert into bindings (tenant_id, calendar_id, account_id, remote_calendar_id) values ($1, $2, $3, 'https://example.org/a.ics') returning id`,
    [a.tenantId, calendarId, account!.id]);
  await db.query(`insert into sync_status (tenant_id, binding_id, event_id, remote_id, content_hash, base) values ($1, $2, $3, 'remote-1', 'h', '{}')`,
    [a.tenantId, binding!.id, boundRow!.id]);
  // A booking made for the old event keeps its time and loses the link.
  const { rows: [resource] } = await db.query<{ id: string }>(`insert into resources (tenant_id, name) values ($1, 'room') returning id`, [a.tenantId]);
  await db.query(`insert into bookings (tenant_id, resource_id, event_id, during, occupied) values ($1, $2, $3, tstzrange('2026-03-02T09:00Z', '2026-03-02T10:00Z'), tstzrange('2026-03-02T09:00Z', '2026-03-02T10:00Z'))`,
    [a.tenantId, resource!.id, oldRow!.id]);

  const otherCalendar = await calendarOf(b, 'Other front desk');
  const otherOld = await insert(b, otherCalendar, 'theirs');
  await remove(b, otherCalendar, otherOld);
  await deletedDaysAgo(otherCalendar, [otherOld], 31);
  const theirs = await rowsOf(b.tenantId);

  assert.deepEqual(await purgeTombstones(db, a.tenantId, otherCalendar, horizon(), 1000), { rows: 0, version: null }, "tenant a's purge cannot reach b's calendar");
  assert.deepEqual(await purgeTombstones(db, a.tenantId, calendarId, horizon(), 1000), { rows: 1, version: Number(oldRow!.version) });
  assert.deepEqual(await rowsOf(b.tenantId), theirs, 'nothing of tenant b changed');

  const { rows: left } = await db.query<{ api_id: string; deleted: boolean }>('select api_id, deleted_at is not null as deleted from events where calendar_id = $1 order by api_id', [calendarId]);
  assert.deepEqual(left.map((r) => [r.api_id, r.deleted]).sort(), [[bound, true], [live, false], [recent, true]].sort());
  for (const table of ['change_log', 'event_history']) {
    const { rows } = await db.query(`select 1 from calsync.${table} where event_id = $1`, [oldRow!.id]);
    assert.equal(rows.length, 0, `${table} rows of the purged event`);
  }
  const { rows: [booking] } = await db.query<{ event_id: string | null }>('select event_id from bookings where resource_id = $1', [resource!.id]);
  assert.equal(booking!.event_id, null);
  const { rows: [calendar] } = await db.query<{ min_version: string }>('select min_version from calendars where id = $1', [calendarId]);
  assert.equal(Number(calendar!.min_version), Number(oldRow!.version));

  assert.deepEqual(await list(a, calendarId, `syncToken=${beforeDeletes}`), { status: 410, reason: 'fullSyncRequired', ids: [] });
  const since = await list(a, calendarId, `syncToken=${afterOldDelete}`);
  assert.deepEqual(since.ids, [`${recent}:cancelled`], 'a token issued after the old deletion still works');
  const full = await list(a, calendarId, 'showDeleted=true');
  assert.deepEqual(full.ids, [`${bound}:cancelled`, `${live}:confirmed`, `${recent}:cancelled`].sort(), 'the purged event is gone for good');
  assert.deepEqual((await list(a, calendarId, `syncToken=${full.nextSyncToken}`)).ids, [], 'a token issued after the purge works');
  assert.deepEqual(await purgeTombstones(db, a.tenantId, calendarId, horizon(), 1000), { rows: 0, version: null }, 'a second run finds nothing');
});

test('the hourly job is registered with the worker and purges the old tombstones of every tenant', async () => {
  const db = t.database.db;
  const calendarId = await calendarOf(a, 'Busy desk');
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push(await insert(a, calendarId, `gone ${i}`));
  for (const id of ids) await remove(a, calendarId, id);
  await deletedDaysAgo(calendarId, ids, 40);
  const utils = await makeWorkerUtils({ pgPool: db });
  const runner = await startWorker({
    db, concurrency: 1, workerName: 'w', engine: idleEngine(db), tasks: allTasks, logger: graphileLogger(pino({ level: 'silent' })), tombstoneMs: 30 * day,
  });
  try {
    // graphile-worker registers its crontab after `run` resolves, so the row appears shortly after.
    const known = async () => (await db.query(`select 1 from graphile_worker._private_known_crontabs where identifier = 'purge_tombstones'`)).rows.length;
    for (let i = 0; i < 200 && (await known()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await known(), 1, 'the schedule is known to graphile-worker');
    await enqueue(utils, purgeTombstonesJob, {});
    const remaining = async () => Number((await db.query<{ n: string }>('select count(*) as n from events where deleted_at < now() - interval \'30 days\'')).rows[0]!.n);
    for (let i = 0; i < 200 && (await remaining()) > 1; i++) await new Promise((r) => setTimeout(r, 50));
  } finally {
    await runner.stop();
    await utils.release();
  }
  const { rows } = await db.query<{ api_id: string }>('select api_id from events where deleted_at < now() - interval \'30 days\'');
  assert.deepEqual(rows.length, 1, 'only the tombstone a binding still names is left, of every tenant');
});
