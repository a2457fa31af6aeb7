// Microsoft Graph push against the Graph emulator over real sockets: the app listening on
// 127.0.0.1, the emulator making its validation requests and delivering its change and
// lifecycle notifications to the app's /webhooks/microsoft, the engine's connectors
// pointed at the emulator, and a worker running every job but the minutely renewal, which
// would race the renewals a test makes by hand and observes step by step.
import assert from 'node:assert/strict';
import type { Runner } from 'graphile-worker';
import pino from 'pino';
import { microsoftProvider } from '../../src/connectors/microsoft/provider.ts';
import { renewPushChannel, type PushSettings } from '../../src/engine/push-channels.ts';
import type { EngineDeps } from '../../src/engine/sync-pass.ts';
import { renewPushChannelsJob } from '../../src/jobs/renew-push-channels.ts';
import { allTasks } from '../../src/jobs/tasks.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { connectorFactory, urlGuard } from '../../src/main/connectors.ts';
import { graphileLogger } from '../../src/main/graphile-logger.ts';
import { createAccount } from '../../src/store/accounts.ts';
import { createBinding, type Binding } from '../../src/store/bindings.ts';
import { listSeriesPage } from '../../src/store/events.ts';
import { queuePass } from '../../src/store/outbox.ts';
import { channelsDue, pushHealthySql, type ChannelDue, type PushChannelState } from '../../src/store/push-channels.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { tenantWithKey, testApp, type TestApp } from './app.ts';
import { GRAPH_CLIENT, listeningGraph, type ListeningGraph } from './microsoft-connector.ts';

export const dayMs = 86_400_000;
/** Graph's longest lifetime for Outlook subscriptions, which the emulator grants at most. */
const graphMaxMs = 10_080 * 60_000;

type Emulator = ListeningGraph['app']['emulator'];

/** A calsync calendar bound to a new calendar of the emulator's mailbox, through an account of its own grant. */
export interface Bound {
  tenantId: string;
  calendarId: string;
  remote: string;
  binding: Binding;
  accountId: string;
  grant: ReturnType<Emulator['issueGrant']>;
  auth: { authorization: string };
}

export type StoredSubscription = PushChannelState & { error?: string; retryAt?: string };

export interface GraphPushWorld {
  t: TestApp;
  graph: ListeningGraph;
  engine: EngineDeps;
  push: PushSettings;
  /** The app's origin, `http://127.0.0.1:<port>`. */
  base: string;
  secrets: Secrets;
  emulator(): Emulator;
  /** Where Graph delivers: the app's /webhooks/microsoft. */
  webhook(): string;
  boundCalendar(name: string): Promise<Bound>;
  /** A first pass of the binding, done. */
  synced(b: Bound): Promise<void>;
  /**
   * The binding's subscription, made as the renewal job makes it. With `endsInMs`, Graph
   * grants less than the three days asked ("trust the expirationDateTime the server
   * returns"): the emulator's clock is set back so that its longest lifetime ends then.
   */
  subscribed(b: Bound, endsInMs?: number): Promise<PushChannelState>;
  /** The renewal job a lifecycle notification queued for the binding, run as the worker would, then gone. */
  runQueuedRenewal(b: Binding): Promise<void>;
  stored(b: Binding): Promise<StoredSubscription>;
  /** The binding's subscription is live and confirmed: polled less often. */
  healthy(b: Binding): Promise<boolean>;
  /** The binding as the renewal job would pick it, looking `aheadMs` ahead (default the provider's renew-ahead time). */
  dueOf(b: Binding, aheadMs?: number): Promise<ChannelDue | undefined>;
  /** The emulator's subscription with Graph's id `id`. */
  graphSubscription(id: string): ReturnType<Emulator['subscriptions']>[number];
  /** Requests the emulator answered, by `METHOD route status`. */
  requests(key: string): number;
  passes(b: Binding, trigger: string): Promise<number>;
  /** graphile-worker jobs with `key`, waiting or running. */
  jobs(key: string): Promise<Array<{ payload: unknown }>>;
  summaries(b: Bound): Promise<Array<string | undefined>>;
  close(): Promise<void>;
}

export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  for (const start = Date.now(); !(await check());) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Tomorrow at `time` UTC, inside the connector's listing window. */
export const tomorrow = (time: string): string => `${new Date(Date.now() + dayMs).toISOString().slice(0, 10)}T${time}`;

export async function startGraphPushWorld(workerName: string): Promise<GraphPushWorld> {
  const secrets = new Secrets(parseSecretKey(generateSecretKeyText()));
  const t = await testApp({ secrets });
  let graph: ListeningGraph | undefined;
  let runner: Runner | undefined;
  let graphSkewMs = 0;
  const close = async () => {
    await runner?.stop();
    await graph?.close();
    await t.close();
  };
  try {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    const g = graph = await listeningGraph({ fetch: (input, init) => fetch(input, init), now: () => Date.now() + graphSkewMs });
    const db = t.database.db;
    const engine: EngineDeps = {
      db, logger: pino({ level: 'silent' }), now: () => new Date(), workerName, debounceMs: 100,
      connectorFor: connectorFactory({
        db, secrets, fetch, guard: urlGuard({ allowPrivateUrls: true, allowedUrlHosts: [] }),
        microsoft: { ...GRAPH_CLIENT, graphUrl: `${g.root}/v1.0`, authorityUrl: g.root, tenant: undefined },
      }),
    };
    const push: PushSettings = { webhookUrl: base };
    const tasks = allTasks.filter((task) => task.name !== renewPushChannelsJob.name);
    runner = await startWorker({ db, concurrency: 2, workerName, engine, push, tasks, logger: graphileLogger(pino({ level: 'silent' })) });

    const emulator = () => g.app.emulator;
    const jobs = async (key: string) => (await db.query('select payload from graphile_worker._private_jobs where key = $1', [key])).rows as Array<{ payload: unknown }>;
    const stored = async (b: Binding): Promise<StoredSubscription> => (await db.query('select push_subscription from bindings where id = $1', [b.id])).rows[0].push_subscription;
    const dueOf = async (b: Binding, aheadMs = microsoftProvider.push!.renewAheadMs) =>
      (await channelsDue(db, 'microsoft', new Date(Date.now() + aheadMs), 500)).find((d) => d.bindingId === b.id);
    return {
      t, graph: g, engine, push, base, secrets, close, emulator, jobs, stored, dueOf,
      webhook: () => `${base}/webhooks/microsoft`,
      async boundCalendar(name) {
        const tenant = await tenantWithKey(t, name);
        const calendarId = (await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: tenant.auth, payload: { summary: name, timeZone: 'Europe/Berlin' } })).json().id as string;
        const remote = emulator().addCalendar({ name }).id;
        const grant = emulator().issueGrant();
        const account = await createAccount(db, secrets, tenant.tenantId, {
          provider: 'microsoft', login: emulator().account, credentials: { refreshToken: grant.refresh_token, accessToken: grant.access_token, expiry: Date.now() + grant.expires_in * 1000 },
        });
        const binding = await createBinding(db, tenant.tenantId, { calendarId, accountId: account.id, remoteCalendarId: remote });
        return { tenantId: tenant.tenantId, calendarId, remote, binding, accountId: account.id, grant, auth: tenant.auth };
      },
      async synced(b) {
        await queuePass(db, b.tenantId, b.binding.id, 'manual');
        await until('the first pass', async () => (await db.query(`select 1 from sync_passes where binding_id = $1 and outcome = 'ok'`, [b.binding.id])).rows.length > 0);
      },
      async subscribed(b, endsInMs) {
        graphSkewMs = endsInMs === undefined ? 0 : endsInMs - graphMaxMs;
        try {
          assert.equal(await renewPushChannel(engine, push, (await dueOf(b.binding))!), 'created');
        } finally {
          graphSkewMs = 0;
        }
        return stored(b.binding);
      },
      async runQueuedRenewal(b) {
        await until('the renewal job', async () => (await jobs(`push-channel:${b.id}`)).length === 1);
        const [job] = await jobs(`push-channel:${b.id}`);
        const payload = renewPushChannelsJob.parse(job!.payload);
        assert.equal(payload.resubscribe, true, 'asked by Graph: due whatever its expiry');
        await db.query(`select graphile_worker.remove_job($1)`, [`push-channel:${b.id}`]);
        await renewPushChannelsJob.run(payload, { db, workerName, engine, push, tombstoneMs: 0 }, {} as never);
      },
      healthy: async (b) => (await db.query(`select ${pushHealthySql} as ok from bindings where id = $1`, [b.id])).rows[0].ok,
      graphSubscription: (id) => emulator().subscriptions().find((s) => s.id === id)!,
      requests: (key) => emulator().stats().byRouteAndStatus[key] ?? 0,
      passes: async (b, trigger) => Number((await db.query('select count(*) from sync_passes where binding_id = $1 and trigger = $2', [b.id, trigger])).rows[0].count),
      summaries: async (b) => (await listSeriesPage(db, b.tenantId, b.calendarId, null, 100)).map((s) => s.series.master?.summary),
    };
  } catch (error) {
    await close();
    throw error;
  }
}
