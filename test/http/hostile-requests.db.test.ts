// Every route of the OpenAPI document, driven with hostile and absurd input over real
// HTTP (test/helpers/hostile-requests.ts): no answer is a 5xx (batch parts included),
// none takes over a second, no connection drops, /healthz answers throughout, memory
// stays bounded, and a write that was refused changed nothing.
//   CALSYNC_FUZZ_REQUESTS  how many (default 2,000; `npm run test:fuzz` sends 15,000)
//   CALSYNC_FUZZ_SEED      the seed to replay
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { Client, Pool } from 'undici';
import { generateSecretKeyText } from '../../src/store/secrets.ts';
import { createApiKey, createTenant } from '../../src/store/tenants.ts';
import { startCalsync, type RunningCalsync } from '../helpers/cli.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { hostileRequests, operationsOf, type HostileRequest, type KnownIds } from '../helpers/hostile-requests.ts';

const count = Number(process.env.CALSYNC_FUZZ_REQUESTS ?? 2_000);
const seed = process.env.CALSYNC_FUZZ_SEED === undefined ? Date.now() % 2 ** 31 : Number(process.env.CALSYNC_FUZZ_SEED);
const slowMs = 1_000;
const peakRssLimitMb = 400;

// The server runs as `calsync api` in a process of its own, as in production: a request
// that froze it would freeze a server in this process too, and with it the checks.
let db: TestDatabase;
let server: RunningCalsync;
let origin: string;
let ids: KnownIds;
let auth: string;

async function call(key: string, url: string, payload: object): Promise<any> {
  const res = await fetch(origin + url, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(payload) });
  const body = await res.text();
  assert.equal(res.status, 200, body);
  return JSON.parse(body);
}

before(async () => {
  db = await freshDatabase();
  // Private and link-local addresses are refused, not probed, as in production.
  server = startCalsync(['api'], { DATABASE_URL: db.url, CALSYNC_SECRET_KEY: generateSecretKeyText(), PORT: '0' });
  origin = (await server.waitFor(/listening on (http:\/\/\S+?)\/? /))[1]!;
  const mine = (await createApiKey(db.db, (await createTenant(db.db, 'fuzzed')).id, 'fuzz')).key;
  const theirs = (await createApiKey(db.db, (await createTenant(db.db, 'bystander')).id, 'other')).key;
  auth = `Bearer ${mine}`;
  const calendar = await call(mine, '/calendar/v3/calendars', { summary: 'Fuzzed', timeZone: 'Europe/Berlin' });
  const other = await call(theirs, '/calendar/v3/calendars', { summary: 'Not yours', timeZone: 'UTC' });
  const events = `/calendar/v3/calendars/${calendar.id}/events`;
  const single = await call(mine, events, { summary: 'Single', start: { dateTime: '2026-05-04T09:00:00Z' }, end: { dateTime: '2026-05-04T10:00:00Z' } });
  const weekly = await call(mine, events, {
    summary: 'Weekly', start: { dateTime: '2026-05-04T09:00:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2026-05-04T10:00:00', timeZone: 'Europe/Berlin' },
    recurrence: ['RRULE:FREQ=WEEKLY;COUNT=10'],
  });
  ids = { calendarId: calendar.id, otherTenantCalendarId: other.id, eventId: single.id, recurringEventId: weekly.id, etag: single.etag };
});
after(async () => {
  await server?.stop('SIGKILL');
  await db?.drop();
});

/** The server's peak resident memory (VmHWM), in MB. */
function serverPeakRssMb(): number {
  const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** What the store holds that a request could change; equal before and after a refused write. */
async function fingerprint(): Promise<string> {
  const tables = ['tenants', 'api_keys', 'calendars', 'events', 'accounts', 'bindings', 'sync_status', 'conflicts', 'watch_channels', 'quarantined_items', 'operator_actions'];
  // A key's last use is written at most once a minute by any request, the concurrent reads' too: not a change.
  const rowsOf = (name: string) => (name === 'api_keys' ? `(select to_jsonb(k) - 'last_used_at' as x from api_keys k) t` : `${name} x`);
  const { rows } = await db.db.query<{ f: string }>(`select ${tables.map((name) => `(select md5(coalesce(string_agg(x::text, ',' order by x::text), '')) from ${rowsOf(name)})`).join(` || ':' || `)} as f`);
  return rows[0]!.f;
}

interface Answer { status: number; ms: number; body: string; error: string | null }

async function send(pool: Pool, r: HostileRequest): Promise<Answer> {
  const started = performance.now();
  try {
    const res = await pool.request({ method: r.method as 'GET', path: r.path, headers: r.headers, body: r.body, headersTimeout: 10_000, bodyTimeout: 10_000 });
    const ms = performance.now() - started;
    let body = '';
    if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
      res.body.on('error', () => {});
      res.body.destroy();
    }
    else for await (const chunk of res.body) if (body.length < 4_000) body += String(chunk);
    return { status: res.statusCode, ms, body, error: null };
  } catch (error) {
    return { status: 0, ms: performance.now() - started, body: '', error: String(error) };
  }
}

/** 5xx statuses inside a batch's answer, JSON or multipart. */
function partFailures(body: string): string[] {
  return [...body.matchAll(/"status":\s*(5\d\d)|HTTP\/1\.1 (5\d\d)/g)].map((m) => m[1] ?? m[2]!);
}

test(`hostile requests across every route: no 5xx, none over ${slowMs} ms, nothing changed by a refusal (seed ${seed})`, { timeout: 60 * 60_000 }, async () => {
  const document = await (await fetch(`${origin}/openapi.json`)).json() as Parameters<typeof operationsOf>[0];
  const operations = operationsOf(document);
  const requests = hostileRequests(operations, ids, auth, count, seed);
  const pool = new Pool(origin, { connections: 6 });
  const failures: string[] = [];
  const fail = (r: HostileRequest, what: string) => failures.push(`${r.method} ${r.path.slice(0, 160)} [${r.headers['content-type'] ?? ''}] ${JSON.stringify(r.body?.slice(0, 200) ?? null)}: ${what}`);
  const judge = (r: HostileRequest, a: Answer) => {
    if (a.error) fail(r, `no answer: ${a.error}`);
    else if (a.status >= 500) fail(r, `${a.status} ${a.body.slice(0, 300)}`);
    if (a.ms > slowMs) fail(r, `took ${a.ms.toFixed(0)} ms`);
    if (r.path.startsWith('/batch')) for (const status of partFailures(a.body)) fail(r, `a batch part answered ${status}: ${a.body.slice(0, 300)}`);
  };

  // /healthz beside the load, on a connection of its own; memory sampled meanwhile.
  let running = true;
  let healthWorst = 0;
  const health = new Client(origin);
  const watch = (async () => {
    while (running) {
      const started = performance.now();
      const res = await health.request({ method: 'GET', path: '/healthz', headersTimeout: 5_000 }).catch((e) => ({ statusCode: 0, body: null, error: e }));
      await res.body?.text();
      healthWorst = Math.max(healthWorst, performance.now() - started);
      if (res.statusCode !== 200) failures.push(`/healthz answered ${res.statusCode}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();

  // Reads run six at a time; writes one at a time, each between two looks at the store.
  const reads = requests.filter((r) => r.method === 'GET');
  const writes = requests.filter((r) => r.method !== 'GET');
  let refusedWrites = 0;
  const readLanes = Array.from({ length: 6 }, async (_, lane) => {
    for (let i = lane; i < reads.length; i += 6) judge(reads[i]!, await send(pool, reads[i]!));
  });
  const writeLane = (async () => {
    for (const r of writes) {
      const before = await fingerprint();
      const answer = await send(pool, r);
      judge(r, answer);
      if (answer.status >= 400 && answer.status < 500) {
        refusedWrites++;
        if ((await fingerprint()) !== before) fail(r, `refused with ${answer.status} but changed the store: ${answer.body.slice(0, 200)}`);
      }
    }
  })();
  const started = performance.now();
  await Promise.all([...readLanes, writeLane]);
  const seconds = (performance.now() - started) / 1000;
  running = false;
  await watch;

  // Still healthy and still answering real work (the calendar itself may have been deleted by a valid request).
  // The lanes may have spent the key's rate budget: a client waits the Retry-After it is given.
  const check = () => send(pool, { operation: 'check', method: 'GET', path: '/calendar/v3/users/me/calendarList', headers: { authorization: auth }, body: undefined });
  let after = await check();
  for (let tries = 0; after.status === 429 && tries < 3; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    after = await check();
  }
  await health.close();
  await pool.close();
  const peakRss = serverPeakRssMb();
  console.log(`hostile requests: ${requests.length} over ${operations.length} operations in ${seconds.toFixed(1)} s (seed ${seed}); ${refusedWrites} writes refused; /healthz worst ${healthWorst.toFixed(0)} ms; server peak RSS ${peakRss.toFixed(0)} MB`);
  assert.deepEqual(failures.slice(0, 40), [], `${failures.length} failures; replay with CALSYNC_FUZZ_SEED=${seed} CALSYNC_FUZZ_REQUESTS=${count}`);
  assert.equal(after.status, 200, after.body);
  assert.ok(healthWorst < slowMs, `/healthz took ${healthWorst.toFixed(0)} ms at worst`);
  assert.ok(peakRss < peakRssLimitMb, `the server's peak RSS was ${peakRss.toFixed(0)} MB`);
});
