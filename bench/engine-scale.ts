// The sync engine on Postgres with in-memory providers, as calendars grow: the time of an
// initial pass (remote → calendar), a pass that pushes the calendar to a new empty remote,
// and a pass with nothing changed, with the peak RSS of this process. Memory providers
// cost nothing, so the figures are calsync's own work (engine, planner, Postgres).
//   node --import tsx bench/engine-scale.ts [N ...]        default: 1000 5000 20000
// Runs on an embedded Postgres in a temporary folder, or on DATABASE_URL when set.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { MemoryConnector } from '../src/connectors/memory/index.ts';
import type { CanonicalEvent, EventSeries } from '../src/core/model.ts';
import { syncBinding, type EngineDeps } from '../src/engine/sync-pass.ts';
import { startEmbeddedPostgres } from '../src/main/embedded-postgres.ts';
import { createAccount } from '../src/store/accounts.ts';
import { createBinding } from '../src/store/bindings.ts';
import { createCalendar } from '../src/store/calendars.ts';
import { createPool, type Db } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../src/store/secrets.ts';
import { createTenant } from '../src/store/tenants.ts';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const pad = (n: number) => String(n).padStart(2, '0');

function event(i: number): CanonicalEvent {
  const day = `2026-${pad(1 + (i % 12))}-${pad(1 + (i % 28))}`;
  const hour = 8 + (i % 10);
  return {
    uid: `scale-${i}@calsync.test`, recurrenceId: null, sequence: 0, status: 'confirmed', summary: `Meeting ${i}`,
    description: i % 4 === 0 ? `Agenda for meeting ${i}\nBring notes.` : '', descriptionHtml: null, location: i % 3 === 0 ? `Room ${i % 40}` : '',
    allDay: false, start: { local: `${day}T${pad(hour)}:00:00`, tz: 'Europe/Berlin' }, end: { local: `${day}T${pad(hour + 1)}:00:00`, tz: 'Europe/Berlin' },
    recurrence: i % 20 >= 16 ? { rrule: ['FREQ=WEEKLY;COUNT=10'], rdate: [], exdate: [] } : null,
    transparency: 'opaque', visibility: 'default', organizer: { email: `owner${i % 50}@example.com`, name: null },
    attendees: Array.from({ length: i % 4 }, (_, k) => ({ email: `person${(i + k) % 300}@example.com`, name: null, role: 'required' as const, response: 'needs-action' as const, respondedAt: null })),
    conference: null, reminders: null, categories: [], color: null, extras: {},
  };
}

const series = (i: number): EventSeries => ({ uid: `scale-${i}@calsync.test`, master: event(i), overrides: [] });

let peakRss = 0;
const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 20);

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; peakMb: number; result: T }> {
  global.gc?.();
  peakRss = process.memoryUsage().rss;
  const started = process.hrtime.bigint();
  const result = await work();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  return { seconds, peakMb: peakRss / 1024 / 1024, result };
}

async function scenario(db: Db, n: number): Promise<string> {
  const tenantId = (await createTenant(db, `scale-${n}`)).id;
  const calendarId = (await createCalendar(db, tenantId, { summary: `scale ${n}`, timeZone: 'Europe/Berlin' })).id;
  const account = await createAccount(db, new Secrets(parseSecretKey(generateSecretKeyText())), tenantId, { provider: 'caldav' });
  const source = new MemoryConnector({ pageSize: 500 });
  source.addCalendar('source');
  for (let i = 0; i < n; i++) source.userCreate('source', series(i));
  const target = new MemoryConnector({ pageSize: 500 });
  target.addCalendar('target');
  const a = await createBinding(db, tenantId, { calendarId, accountId: account.id, remoteCalendarId: 'source' });
  const b = await createBinding(db, tenantId, { calendarId, accountId: account.id, remoteCalendarId: 'target' });
  const connectors = new Map([[a.id, source], [b.id, target]]);
  const engine: EngineDeps = {
    db, logger: pino({ level: 'silent' }), now: () => new Date(), workerName: 'bench', debounceMs: 500,
    connectorFor: async (binding) => connectors.get(binding.id)!,
  };
  const pass = (bindingId: string) => syncBinding(engine, { tenantId, bindingId, trigger: 'manual' });
  const initial = await timed(() => pass(a.id));
  const push = await timed(() => pass(b.id));
  const noop = await timed(async () => {
    const t0 = Date.now();
    const ra = await pass(a.id);
    const t1 = Date.now();
    const rb = await pass(b.id);
    if (process.env.BENCH_DEBUG) console.error(`noop a ${t1 - t0} ms ${JSON.stringify(ra.stats)}; b ${Date.now() - t1} ms ${JSON.stringify(rb.stats)}`);
    return rb;
  });
  if (target.liveItems('target').length !== n) throw new Error(`target holds ${target.liveItems('target').length} of ${n}`);
  const row = (name: string, r: { seconds: number; peakMb: number }, writes: number) =>
    `| ${n} | ${name} | ${r.seconds.toFixed(2)} | ${writes ? Math.round(writes / r.seconds) : '-'} | ${r.peakMb.toFixed(0)} |`;
  return [
    row('initial: remote → calendar', initial, initial.result.stats.calendarWrites),
    row('push: calendar → empty remote', push, push.result.stats.remoteWrites),
    row('no-op: both bindings', noop, 0),
  ].join('\n');
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'calsync-bench-'));
fs.chmodSync(scratch, 0o755);
const server = process.env.DATABASE_URL ? null : await startEmbeddedPostgres({ dataDir: scratch, port: 0 });
const db = createPool(process.env.DATABASE_URL ?? server!.url, { max: 4 });
try {
  await migrate(db);
  console.log(`engine on ${server ? 'an embedded' : 'the DATABASE_URL'} Postgres, ${os.cpus().length} cores, Node ${process.version}\n`);
  console.log('| events | pass | seconds | events/s | peak RSS MiB |\n|---:|---|---:|---:|---:|');
  for (const n of sizes.length ? sizes : [1000, 5000, 20000]) console.log(await scenario(db, n));
} finally {
  clearInterval(sampler);
  await db.end();
  await server?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
}
