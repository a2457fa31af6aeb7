// The machinery of the interop scenarios: one calendar bound two-way to several remote
// calendars (sides: Google and Graph emulators, a real Radicale), synced by workers
// through the queue. A scenario seeds every side, edits on every side at once and
// checks the outcome; this module runs the passes, waits for the queue to go quiet,
// checks that every side holds the calendar's events once each with the same content,
// and that a further round of passes writes nothing anywhere.
import assert from 'node:assert/strict';
import { makeWorkerUtils, type Runner, type WorkerUtils } from 'graphile-worker';
import pino from 'pino';
import type { GoogleConfig, MicrosoftConfig } from '../../src/config.ts';
import type { Connector } from '../../src/connectors/connector.ts';
import type { FetchLike } from '../../src/connectors/http-guard.ts';
import { providers } from '../../src/connectors/registry.ts';
import { contentHash } from '../../src/core/hash.ts';
import type { EventSeries } from '../../src/core/model.ts';
import { normaliseSeries } from '../../src/core/normalise.ts';
import { renewPushChannel } from '../../src/engine/push-channels.ts';
import { syncBinding, type EngineDeps } from '../../src/engine/sync-pass.ts';
import type { WatchDeliveryDeps } from '../../src/jobs/deliver-watch.ts';
import { allTasks } from '../../src/jobs/tasks.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { connectorFactory, urlGuard } from '../../src/main/connectors.ts';
import { graphileLogger } from '../../src/main/graphile-logger.ts';
import { createBinding, type Binding } from '../../src/store/bindings.ts';
import { createCalendar } from '../../src/store/calendars.ts';
import type { Db } from '../../src/store/db.ts';
import { listSeriesPage } from '../../src/store/events.ts';
import { queuePass } from '../../src/store/outbox.ts';
import { channelsDue } from '../../src/store/push-channels.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { createTenant } from '../../src/store/tenants.ts';
import { listAll } from '../connectors/contract.ts';

export interface Held {
  remoteId: string;
  series: EventSeries;
}

/** One remote calendar bound to the scenario's calendar. */
export interface InteropSide {
  name: string;
  /** The account (made on the tenant) and the remote calendar of its binding. */
  bind(db: Db, secrets: Secrets, tenantId: string): Promise<{ accountId: string; remoteCalendarId: string }>;
  /** Its live series as a reader with its own grant sees them, faults off meanwhile. */
  held(): Promise<Held[]>;
  /** Writes calsync has made there so far. */
  writes(): number;
  /** Runs `body` with the side's faults off, then puts them back. */
  calm<T>(body: () => Promise<T>): Promise<T>;
  /** Its changes arrive as notifications at the webhook route (else its passes are queued by hand). */
  push?: { provider: string; flush(): Promise<void> };
}

export interface InteropOptions {
  db: Db;
  sides: InteropSide[];
  name: string;
  /** The fetch calsync's connectors use for Google's and Microsoft's hosts (fault runs race writes through it). */
  fetch?: typeof fetch;
  /** The fetch for user-given URLs (CalDAV), before the URL guard wraps it. */
  userUrlFetch?: FetchLike;
  google?: GoogleConfig;
  microsoft?: MicrosoftConfig;
  /**
   * The URL of a calsync HTTP app on the same database, which the emulators can reach:
   * sides with `push` get subscriptions there. Without it every pass is queued by hand.
   */
  webhookBase?: string;
  /** How the workers notify the calendar's watch channels; without it those jobs fail and wait. */
  delivery?: WatchDeliveryDeps;
}

export interface InteropWorld {
  db: Db;
  tenantId: string;
  calendarId: string;
  bindings: Binding[];
  engine: EngineDeps;
  /** Waits for the queue to go quiet: no pass runs, is due within 2 s or waits for a retry. */
  quiet(): Promise<void>;
  /** Queues a pass of each binding (all by default) and waits for the queue to go quiet. */
  passes(which?: Binding[]): Promise<void>;
  /** After edits on the sides: the polled sides' passes queued (every side's without push), then quiet. */
  afterEdits(): Promise<void>;
  /**
   * What the queue left (a pass that ended partial waits for its next poll, 30 s or more
   * away): rounds of passes through the queue, as the polls would bring them, until one
   * writes nothing and fails nowhere. Returns the rounds beyond that one.
   */
  settle(): Promise<number>;
  /** Every side holds each of the calendar's `expected` series once, with its content. */
  check(expected: number): Promise<EventSeries[]>;
  /** Stops the workers; then one pass of each binding, faults off, writes nothing anywhere. */
  lastRound(): Promise<void>;
  /** The calendar's series by uid. */
  calendar(): Promise<Map<string, EventSeries>>;
}

/** Quiet when no pass runs, is due within 2 s or is waiting to be retried, twice in a row. */
async function quiesce(db: Db, bindings: Binding[], timeoutMs = 240_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quietRounds = 0;
  while (quietRounds < 2) {
    if (Date.now() > deadline) throw new Error('passes did not settle');
    const { rows: [row] } = await db.query<{ busy: string }>(
      `select count(*) as busy from graphile_worker.jobs where task_identifier = 'sync_binding' and key = any($1::text[])
          and (locked_at is not null or run_at < now() + interval '2 seconds' or (attempts > 0 and attempts < max_attempts))`,
      [bindings.map((b) => `pass:${b.id}`)]);
    quietRounds = Number(row!.busy) === 0 ? quietRounds + 1 : 0;
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Every live series of a remote calendar, one listing from scratch. */
export async function heldBy(connector: Connector, calendar: string): Promise<Held[]> {
  return (await listAll(connector, calendar, null)).items.flatMap((i) => (i.deleted ? [] : [{ remoteId: i.remoteId, series: i.series }]));
}

/** A fetch that counts the write requests (PUT, DELETE, POST, PATCH, MOVE) it sends to `origin`. */
export function writeCounter(origin: string, inner: FetchLike = globalThis.fetch): { fetch: FetchLike; writes(): number } {
  let writes = 0;
  return {
    fetch: (input, init) => {
      const method = (init?.method ?? 'GET').toUpperCase();
      if (String(input).startsWith(origin) && ['PUT', 'DELETE', 'POST', 'PATCH', 'MOVE'].includes(method)) writes++;
      return inner(input, init);
    },
    writes: () => writes,
  };
}

export async function withInterop<T>(options: InteropOptions, scenario: (world: InteropWorld) => Promise<T>): Promise<T> {
  const { db, sides } = options;
  const secrets = new Secrets(parseSecretKey(generateSecretKeyText()));
  const tenantId = (await createTenant(db, `${options.name}-${Date.now()}`)).id;
  const calendarId = (await createCalendar(db, tenantId, { summary: 'team', timeZone: 'Europe/Berlin' })).id;
  const bindings: Binding[] = [];
  for (const side of sides) {
    const { accountId, remoteCalendarId } = await side.bind(db, secrets, tenantId);
    bindings.push(await createBinding(db, tenantId, { calendarId, accountId, remoteCalendarId }));
  }
  const engine: EngineDeps = {
    db, logger: pino({ level: 'silent' }), now: () => new Date(), workerName: options.name, debounceMs: 200,
    connectorFor: connectorFactory({
      db, secrets, fetch: options.fetch ?? globalThis.fetch, guard: urlGuard({ allowPrivateUrls: true, allowedUrlHosts: [] }),
      ...(options.userUrlFetch ? { userUrlFetch: options.userUrlFetch } : {}),
      ...(options.google ? { google: options.google } : {}), ...(options.microsoft ? { microsoft: options.microsoft } : {}),
    }),
  };
  const utils: WorkerUtils = await makeWorkerUtils({ pgPool: db });
  let runner: Runner | undefined = await startWorker({
    db, concurrency: 3, workerName: options.name, engine, tasks: allTasks, logger: graphileLogger(pino({ level: 'silent' })),
    ...(options.delivery ? { delivery: options.delivery } : {}),
  });
  const names = new Map(bindings.map((b, i) => [b.id, sides[i]!.name]));
  const calm = async <R>(body: () => Promise<R>): Promise<R> => {
    let run = body;
    for (const side of sides) {
      const inner = run;
      run = () => side.calm(inner);
    }
    return run();
  };
  const passes = async (which = bindings) => {
    for (const b of which) await queuePass(db, tenantId, b.id, 'manual');
    await quiesce(db, bindings);
  };
  const calendar = async () => new Map((await listSeriesPage(db, tenantId, calendarId, null, 1000)).map((row) => [row.series.uid, row.series]));
  const world: InteropWorld = {
    db, tenantId, calendarId, bindings, engine, passes, calendar,
    quiet: () => quiesce(db, bindings),
    afterEdits: () => passes(options.webhookBase ? bindings.filter((_, i) => !sides[i]!.push) : bindings),
    async settle() {
      for (let round = 0; ; round++) {
        const at = (await db.query<{ at: Date }>('select now() as at')).rows[0]!.at;
        await passes();
        const { rows } = await db.query<{ binding_id: string; trigger: string; outcome: string; stats: { calendarWrites: number; remoteWrites: number } }>(
          'select binding_id, trigger, outcome, stats from sync_passes where binding_id = any($1::uuid[]) and started_at >= $2 order by started_at', [bindings.map((b) => b.id), at]);
        if (rows.length >= bindings.length && rows.every((r) => r.outcome === 'ok' && r.stats.calendarWrites + r.stats.remoteWrites === 0)) return round;
        // Why the queue had not converged by itself, for the test's output.
        const { rows: states } = await db.query<{ id: string; state: string; lease_owner: string | null }>('select id, state, lease_owner from bindings where id = any($1::uuid[])', [bindings.map((b) => b.id)]);
        const { rows: failures } = await db.query<{ binding_id: string; operation: string; side: string; reason: string; error: unknown }>(
          `select o.binding_id, o.operation, o.side, o.reason, o.error from sync_operations o join sync_passes p on p.id = o.pass_id
            where p.binding_id = any($1::uuid[]) and p.started_at >= $2 and o.status = 'failed'`, [bindings.map((b) => b.id), at]);
        console.log(`settling round ${round}:`, rows.map((r) => `${names.get(r.binding_id)} ${r.trigger} ${r.outcome} ${JSON.stringify(r.stats)}`),
          states.map((b) => `${names.get(b.id)} ${b.state}${b.lease_owner ? ' leased' : ''}`),
          failures.map((f) => `${names.get(f.binding_id)} ${f.side} ${f.operation} failed (${f.reason}): ${JSON.stringify(f.error)}`));
        assert.ok(round < 6, 'settled within 6 rounds');
      }
    },
    async check(expected) {
      const series = [...(await calendar()).values()];
      assert.equal(series.length, expected, `calendar size: ${series.map((s) => s.master?.summary ?? s.uid).join(', ')}`);
      const want = new Map(series.map((s) => [s.uid, contentHash(normaliseSeries(s))]));
      for (const side of sides) {
        const held = await side.held();
        assert.equal(held.length, expected, `${side.name} holds each event once: ${held.map((h) => h.series.master?.summary ?? h.series.uid).join(', ')}`);
        assert.equal(new Set(held.map((h) => h.series.uid)).size, expected, `${side.name}: no duplicates`);
        for (const { series: s } of held) {
          assert.ok(want.has(s.uid), `${side.name}: ${s.uid} is in the calendar`);
          assert.equal(contentHash(normaliseSeries(s)), want.get(s.uid), `${side.name}: ${s.uid} (${s.master?.summary}) holds the calendar's content`);
        }
      }
      return series;
    },
    async lastRound() {
      await runner?.stop();
      runner = undefined;
      await calm(async () => {
        const before = sides.map((s) => s.writes());
        // Every side got the others' events: each counter has seen calsync's writes.
        for (const [i, side] of sides.entries()) assert.ok(before[i]! > 0, `${side.name}: calsync's writes are counted`);
        for (const [i, b] of bindings.entries()) {
          const result = await syncBinding(engine, { tenantId, bindingId: b.id, trigger: 'manual' });
          assert.equal(result.outcome, 'ok', `${sides[i]!.name}: ${JSON.stringify(result.error)}`);
          assert.equal(result.stats.calendarWrites + result.stats.remoteWrites, 0, `${sides[i]!.name}: a further pass writes nothing`);
        }
        assert.deepEqual(sides.map((s) => s.writes()), before, `no side was written to in the last round (${sides.map((s) => s.name).join(', ')})`);
      });
    },
  };
  try {
    if (options.webhookBase) {
      for (const [i, side] of sides.entries()) {
        if (!side.push) continue;
        const pushing = (await providers.get(side.push.provider)).push!;
        const due = await channelsDue(db, side.push.provider, new Date(Date.now() + pushing.renewAheadMs), 100);
        assert.equal(await renewPushChannel(engine, { webhookUrl: options.webhookBase }, due.find((d) => d.bindingId === bindings[i]!.id)!), 'created', `${side.name} subscribed`);
        await side.push.flush();
      }
    }
    return await scenario(world);
  } finally {
    await runner?.stop();
    await utils.release();
  }
}
