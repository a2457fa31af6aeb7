// The operator console's health page on a large tenant: 1,000 bindings (two per calendar)
// and 100,000 events, with what a tenant that size has accumulated (a sync status row per
// binding and event, 20 passes and 100 operations per binding, changes and writes to
// remotes in the last hour, push subscriptions live, expired and failing, conflicts,
// quarantined items and dead jobs). Times GET /admin/v1/health as the console asks for it
// (its first page, the needs-attention filter, a later page) against `calsync api` in its
// own process: one request at a time, so each figure is one answer's latency.
//   node --import tsx bench/console-health.ts [requests per case, default 50] [bindings, default 1000] [events, default 100000]
// Seeds an embedded Postgres in a temporary folder (or DATABASE_URL) with bulk SQL.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../src/main/embedded-postgres.ts';
import { createPool, withTransaction, type Db } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { generateSecretKeyText } from '../src/store/secrets.ts';
import { createApiKey, createTenant } from '../src/store/tenants.ts';
import { percentile, startCalsync } from './calsync-process.ts';

const [requests = 50, bindingCount = 1000, eventCount = 100_000] = process.argv.slice(2).map(Number);
const calendarCount = Math.ceil(bindingCount / 2);
const perCalendar = Math.ceil(eventCount / calendarCount);
// Changes of each calendar in the last hour, pulled by its first binding and written by its second.
const recentPerCalendar = 2;
const budgetMs = 300;

async function seed(db: Db, tenantId: string): Promise<void> {
  await withTransaction(db, async (tx) => {
    const q = (sql: string, params: unknown[] = []) => tx.query(sql, params);
    await q(`create temp table bench_accounts on commit drop as
               select i, gen_random_uuid() as id, (array['google', 'microsoft', 'caldav'])[1 + i % 3] as provider from generate_series(0, 49) i`);
    await q(`insert into accounts (id, tenant_id, provider, display_name, login) select id, $1, provider, 'Account ' || i, 'user' || i || '@example.com' from bench_accounts`, [tenantId]);
    await q(`create temp table bench_calendars on commit drop as select i, gen_random_uuid() as id from generate_series(0, $1::int - 1) i`, [calendarCount]);
    await q(`insert into calendars (id, tenant_id, summary, version) select id, $1, 'Calendar ' || i, $2::int + $3::int from bench_calendars`, [tenantId, perCalendar, recentPerCalendar]);

    // Event j of a calendar was made at version j over the last 30 days; the last
    // `recentPerCalendar` were changed again in the last hour.
    await q(`create temp table bench_events on commit drop as
               select c.id as calendar_id, c.i as ci, j, gen_random_uuid() as id,
                      now() - interval '30 days' + (j * interval '29 days') / $1::int as made_at,
                      timestamp '2026-01-05 08:00' + (j % 300) * interval '1 day' + (j % 9) * interval '1 hour' as starts
                 from bench_calendars c cross join generate_series(1, $1::int) j`, [perCalendar]);
    await q(`insert into events (id, tenant_id, calendar_id, kind, series_id, ical_uid, summary, start_local, end_local, start_tz, end_tz, start_at, end_at,
                                 content_hash, etag, version, api_id, created_at, updated_at)
             select id, $1, calendar_id, 'single', id, 'bench-' || ci || '-' || j || '@calsync.test', 'Meeting ' || j, starts, starts + interval '1 hour',
                    'Europe/Berlin', 'Europe/Berlin', starts at time zone 'Europe/Berlin', (starts + interval '1 hour') at time zone 'Europe/Berlin',
                    md5(id::text), '"' || j || '"', j, replace(id::text, '-', ''), made_at, made_at
               from bench_events`, [tenantId]);
    await q(`insert into change_log (tenant_id, calendar_id, version, event_id, operation, changed_at) select $1, calendar_id, j, id, 'create', made_at from bench_events`, [tenantId]);
    await q(`create temp table bench_recent on commit drop as
               select e.calendar_id, e.id, $1::int + row_number() over (partition by e.calendar_id order by e.j) as version,
                      now() - interval '55 minutes' + random() * interval '50 minutes' as changed_at
                 from bench_events e where e.j > $1::int - $2::int`, [perCalendar, recentPerCalendar]);
    await q(`insert into change_log (tenant_id, calendar_id, version, event_id, operation, changed_at) select $1, calendar_id, version, id, 'update', changed_at from bench_recent`, [tenantId]);
    await q(`update events e set version = r.version, updated_at = r.changed_at from bench_recent r where e.id = r.id`);

    // Binding b is calendar b/2's binding b%2, of account b%50. Per 100 bindings: 3 paused,
    // 4 failing, 1 waiting for its first pass (a first binding, so every second binding wrote the last hour's changes); every tenth lags by the last hour's changes.
    await q(`create temp table bench_bindings on commit drop as
               select c.i * 2 + k as b, k, gen_random_uuid() as id, c.id as calendar_id, a.id as account_id, a.provider
                 from bench_calendars c cross join generate_series(0, 1) k join bench_accounts a on a.i = (c.i * 2 + k) % 50`);
    await q(`insert into bindings (id, tenant_id, calendar_id, account_id, remote_calendar_id, remote_name, state, paused_reason, calendar_version,
                                   next_poll_at, last_pass_started_at, last_pass_finished_at, last_pass_outcome, last_success_at, last_error,
                                   push_subscription, push_expires_at, created_at)
             select id, $1, calendar_id, account_id, 'remote-' || b, 'Remote ' || b, s.state, s.paused_reason,
                    case when b % 10 = 9 then $2::int else $2::int + $3::int end,
                    case when s.state = 'active' then now() + (b % 300) * interval '1 second' end,
                    case when s.outcome is not null then now() - interval '2 minutes' end, case when s.outcome is not null then now() - interval '1 minute' end,
                    s.outcome, case when s.outcome is not null then now() - interval '1 minute' - (s.outcome = 'failed')::int * interval '3 hours' end,
                    case when s.outcome = 'failed' then jsonb_build_object('code', 'rate-limited', 'message', 'HTTP 429 Too Many Requests') end,
                    p.subscription, p.expires_at, now() - interval '31 days'
               from bench_bindings
               cross join lateral (select case when b % 100 < 3 then 'paused' else 'active' end as state,
                                          case when b % 100 < 3 then 'paused by an operator: moving offices' end as paused_reason,
                                          case when b % 100 = 8 then null when b % 100 between 3 and 6 then 'failed' else 'ok' end as outcome) s
               cross join lateral (select now() + case when b % 50 = 11 then interval '-2 hours' else interval '3 days' end as expires_at) e
               cross join lateral (select case when provider = 'caldav' then null else
                                     jsonb_build_object('id', 'channel-' || b, 'resourceId', 'resource-' || b, 'secretHash', md5(b::text), 'expiresAt', e.expires_at,
                                                        'createdAt', now() - interval '4 days', 'confirmedAt', now() - interval '4 days', 'extras', '{}'::jsonb)
                                     || case when b % 50 = 13 then jsonb_build_object('error', 'HTTP 403 push not allowed for this calendar', 'retryAt', now() + interval '10 minutes') else '{}'::jsonb end
                                   end as subscription,
                                   case when provider = 'caldav' then null else e.expires_at end as expires_at) p`,
    [tenantId, perCalendar, recentPerCalendar]);

    await q(`insert into sync_status (tenant_id, binding_id, event_id, remote_id, etag, content_hash, base, synced_at, quarantined_at, quarantine_error)
             select $1, b.id, e.id, 'item-' || e.id, '"e' || e.j || '"', md5(e.id::text), '{}'::jsonb, e.made_at,
                    case when b.b % 100 = 20 and e.j = 1 then now() end, case when b.b % 100 = 20 and e.j = 1 then '{"code": "PROVIDER_REFUSED"}'::jsonb end
               from bench_bindings b join bench_events e on e.calendar_id = b.calendar_id`, [tenantId]);

    // Pass n of a binding started n × 15 minutes ago; each recorded five decisions.
    await q(`create temp table bench_passes on commit drop as
               select b.id as binding_id, b.k, b.calendar_id, n, gen_random_uuid() as id, now() - n * interval '15 minutes' as started_at
                 from bench_bindings b cross join generate_series(0, 19) n where b.b % 100 <> 8`);
    await q(`insert into sync_passes (id, tenant_id, binding_id, trigger, started_at, finished_at, outcome, stats)
             select id, $1, binding_id, case when n % 4 = 0 then 'push' else 'poll' end, started_at, started_at + interval '2 seconds', 'ok', '{"calendarWrites": 1}' from bench_passes`, [tenantId]);
    await q(`insert into sync_operations (tenant_id, pass_id, binding_id, event_id, remote_id, side, operation, rule, reason, status, started_at, finished_at)
             select $1, p.id, p.binding_id, e.id, 'item-' || e.id, case when m % 2 = 0 then 'calendar' else 'remote' end,
                    (array['update', 'update', 'create', 'merge', 'skip'])[1 + m], 'bench', 'seeded', 'applied', p.started_at, p.started_at + interval '1 second'
               from bench_passes p cross join generate_series(0, 4) m
               join bench_events e on e.calendar_id = p.calendar_id and e.j = 1 + (p.n * 5 + m) % $2::int
              where p.n >= 5`, [tenantId, perCalendar]);
    // The last hour's changes reached the second binding's remote 0.2 to 3 seconds later.
    await q(`insert into sync_operations (tenant_id, pass_id, binding_id, event_id, remote_id, side, operation, rule, reason, status, started_at, finished_at)
             select $1, p.id, p.binding_id, r.id, 'item-' || r.id, 'remote', 'update', 'bench', 'seeded', 'applied', w.at, w.at
               from bench_recent r join bench_passes p on p.calendar_id = r.calendar_id and p.k = 1 and p.n = 0
               cross join lateral (select r.changed_at + interval '200 milliseconds' + random() * interval '2800 milliseconds' as at) w`, [tenantId]);

    await q(`insert into conflicts (tenant_id, binding_id, event_id, fields, base, ours, theirs)
             select $1, b.id, e.id, '{summary}', '"a"', '"b"', '"c"' from bench_bindings b join bench_events e on e.calendar_id = b.calendar_id and e.j = 2 where b.b % 100 = 30`, [tenantId]);
    await q(`insert into quarantined_items (tenant_id, binding_id, remote_id, reason) select $1, b.id, 'broken-' || n || '.ics', 'unreadable'
               from bench_bindings b cross join generate_series(1, 2) n where b.b % 100 = 40`, [tenantId]);
    await q(`select graphile_worker.add_job('sync_binding', json_build_object('tenantId', $1::uuid, 'bindingId', b.id, 'trigger', 'poll'), max_attempts := 1, job_key := 'dead-' || b.id)
               from bench_bindings b where b.b % 200 = 50`, [tenantId]);
    await q(`update graphile_worker._private_jobs set attempts = 1, run_at = now() + interval '1 day' where payload ->> 'tenantId' = $1::text`, [tenantId]);
  });
  await db.query('analyze');
}

interface Case { name: string; url: () => Promise<string> }

async function timeCase(base: string, key: string, c: Case): Promise<string> {
  const get = async (url: string) => {
    const res = await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${key}` } });
    const body = await res.json() as { bindings?: unknown[]; nextPageToken?: string | null };
    if (!res.ok) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
  const url = await c.url();
  for (let i = 0; i < 5; i++) await get(url);
  const latencies: number[] = [];
  let size = 0;
  for (let i = 0; i < requests; i++) {
    const t0 = performance.now();
    const body = await get(url);
    latencies.push(performance.now() - t0);
    size = body.bindings?.length ?? 0;
  }
  latencies.sort((a, b) => a - b);
  const [p50, p95, p99] = [50, 95, 99].map((p) => percentile(latencies, p).toFixed(1));
  const max = latencies.at(-1)!;
  return `| ${c.name} | ${size} | ${p50} | ${p95} | ${p99} | ${max.toFixed(1)} | ${max <= budgetMs ? 'met' : 'missed'} |`;
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'calsync-bench-health-'));
fs.chmodSync(scratch, 0o755);
const server = process.env.DATABASE_URL ? null : await startEmbeddedPostgres({ dataDir: path.join(scratch, 'pg'), port: 0 });
const databaseUrl = process.env.DATABASE_URL ?? server!.url;
const db = createPool(databaseUrl, { max: 2 });
let api: ReturnType<typeof startCalsync> | null = null;
try {
  await migrate(db);
  const tenantId = (await createTenant(db, `health-bench-${Date.now()}`)).id;
  const { key } = await createApiKey(db, tenantId, 'bench', ['admin']);
  const seeding = performance.now();
  await seed(db, tenantId);
  const { rows: [sizes] } = await db.query<Record<string, number>>(
    `select (select count(*) from bindings where tenant_id = $1)::int as bindings, (select count(*) from events where tenant_id = $1)::int as events,
            (select count(*) from sync_status where tenant_id = $1)::int as status, (select count(*) from sync_operations where tenant_id = $1)::int as operations`, [tenantId]);
  console.log(`seeded ${sizes!.bindings} bindings, ${sizes!.events} events, ${sizes!.status} sync status rows, ${sizes!.operations} operations in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);

  const dataDir = path.join(scratch, 'calsync');
  fs.mkdirSync(dataDir);
  api = startCalsync('api', {
    ...process.env, DATABASE_URL: databaseUrl, CALSYNC_SECRET_KEY: process.env.CALSYNC_SECRET_KEY ?? generateSecretKeyText(), CALSYNC_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', CALSYNC_RATE_LIMIT_PER_SECOND: '100000', CALSYNC_RATE_LIMIT_BURST: '100000',
  });
  const base = await api.url;
  const first = await (await fetch(`${base}/admin/v1/health`, { headers: { authorization: `Bearer ${key}` } })).json() as { counts: Record<string, number>; propagation: Record<string, number>; nextPageToken: string };
  console.log(`counts ${JSON.stringify(first.counts)}; propagation ${JSON.stringify(first.propagation)}`);
  const expectedWrites = calendarCount * recentPerCalendar;
  if (first.counts.bindings !== sizes!.bindings || first.propagation.writes !== expectedWrites) throw new Error(`the health answer does not match the seed (${expectedWrites} writes expected)`);

  const pageFive = async () => {
    let token = first.nextPageToken;
    for (let page = 2; page < 5; page++) {
      const body = await (await fetch(`${base}/admin/v1/health?pageToken=${encodeURIComponent(token)}`, { headers: { authorization: `Bearer ${key}` } })).json() as { nextPageToken: string };
      token = body.nextPageToken;
    }
    return `/admin/v1/health?pageToken=${encodeURIComponent(token)}`;
  };
  const cases: Case[] = [
    { name: 'the console\'s first load: numbers, propagation, accounts, first 100 bindings', url: async () => '/admin/v1/health' },
    { name: 'only those that need attention (`attention=true`)', url: async () => '/admin/v1/health?attention=true' },
    { name: 'the fifth page of 100 bindings (`pageToken`)', url: pageFive },
    { name: '500 bindings on one page (`maxResults=500`)', url: async () => '/admin/v1/health?maxResults=500' },
  ];
  console.log(`\nGET /admin/v1/health, ${requests} requests per case one at a time after 5 to warm up; ${server ? 'embedded' : 'DATABASE_URL'} Postgres, ${os.cpus().length} cores, Node ${process.version}\n`);
  console.log(`| request | bindings in the answer | p50 ms | p95 ms | p99 ms | max ms | max ≤ ${budgetMs} ms |\n|---|---:|---:|---:|---:|---:|---|`);
  for (const c of cases) console.log(await timeCase(base, key, c));
} finally {
  await api?.stop();
  await db.end();
  await server?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
}
