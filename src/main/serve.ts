// `calsync serve` (API and worker in one process), `calsync api` and `calsync worker`.
// Stops cleanly on SIGINT/SIGTERM: HTTP first, then the worker finishes its jobs, then
// the database pool and the embedded Postgres. A signal during start-up stops what has
// started so far.
import os from 'node:os';
import type { Runner } from 'graphile-worker';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { CalsyncError } from '../errors.ts';
import { allTasks } from '../jobs/tasks.ts';
import { startWorker } from '../jobs/worker.ts';
import { createMetrics } from '../metrics.ts';
import type { EngineDeps } from '../engine/sync-pass.ts';
import { connectorFactory, providerSet, pushSettings, urlGuard } from './connectors.ts';
import { graphileLogger } from './graphile-logger.ts';
import { createLogger } from './logger.ts';
import { ensureLocalTenant, loadSecrets, openRuntime } from './runtime.ts';
import { sandboxAllowed, type SandboxMode } from './sandbox/decide.ts';
import type { Sandbox } from './sandbox/run.ts';

export type Role = 'all' | 'api' | 'worker';

export interface Running {
  url: string | undefined;
  stop(): Promise<void>;
}

export interface ServeOptions {
  /** The sandbox (src/main/sandbox/): asked for (`calsync sandbox`) or offered (`serve` on a fresh install). */
  sandbox?: { mode: SandboxMode; editSeconds: number };
}

/**
 * Starts the role's servers. When `abort` fires before they run, start-up stops at its
 * next step, closes what it opened and throws.
 */
export async function startServer(config: Config, role: Role, print: (line: string) => void, abort?: AbortSignal, options: ServeOptions = {}): Promise<Running> {
  // The sandbox prints what happens in it; pass logs would bury that.
  const logger = createLogger(options.sandbox?.mode === 'require' && config.logLevel === 'info' ? 'warn' : config.logLevel);
  const workerName = `${os.hostname()}:${process.pid}`;
  const runtime = await openRuntime(config, {
    logger,
    poolSize: role === 'api' ? 10 : config.workerConcurrency + 10,
    applicationName: `calsync ${role}`,
    signal: abort,
  });
  let app: FastifyInstance | undefined;
  let runner: Runner | undefined;
  let sandbox: Sandbox | undefined;
  const stop = async (): Promise<void> => {
    try {
      await sandbox?.stopStream();
      await app?.close();
      await runner?.stop();
      await sandbox?.remove();
    } finally {
      await runtime.close();
    }
  };
  try {
    const secrets = await loadSecrets(runtime);
    abort?.throwIfAborted();
    if (role === 'all' && options.sandbox && await sandboxAllowed(runtime.db, options.sandbox.mode)) {
      if (options.sandbox.mode === 'offer') {
        print('calsync: a fresh data folder and no Google or Microsoft client configured: starting the sandbox, with emulated providers.');
        print('  To sync real calendars instead, stop it (Ctrl-C) and see "From the sandbox to real calendars" in README.md; CALSYNC_SANDBOX=off (or `calsync serve --no-sandbox`) starts without it.');
        if (config.logLevel === 'info') logger.level = 'warn';
      }
      sandbox = await (await import('./sandbox/run.ts')).prepareSandbox(runtime.db, { editSeconds: options.sandbox.editSeconds, print });
      config = sandbox.config(config);
      abort?.throwIfAborted();
    }
    const engine: EngineDeps = {
      db: runtime.db, logger, now: () => new Date(), workerName, debounceMs: config.debounceMs, writeConcurrency: config.writeConcurrency, leaseSeconds: config.leaseSeconds,
      connectorFor: connectorFactory({ db: runtime.db, secrets, fetch: globalThis.fetch, guard: urlGuard(config), google: config.google, microsoft: config.microsoft, caldavTimeoutSeconds: config.caldavTimeoutSeconds }),
    };
    const metrics = createMetrics({ db: runtime.db });
    let url: string | undefined;
    if (role !== 'worker') {
      // Loaded only by the roles that serve HTTP: Fastify and the routes add a second to
      // every `calsync worker` start on a busy 2-core machine. Providers load their client
      // libraries (Google's OAuth library, undici) when an account first needs them.
      const { build } = await import('../http/app.ts');
      const firstKey = sandbox ? undefined : await ensureLocalTenant(runtime);
      if (firstKey) {
        print(`Created tenant "local". Its API key (shown once, also saved in ${config.dataDir}/api-key):`);
        print(`  ${firstKey}`);
      }
      app = await build({
        db: runtime.db, secrets, providers: providerSet({ fetch: globalThis.fetch, guard: urlGuard(config), google: config.google, microsoft: config.microsoft, caldavTimeoutSeconds: config.caldavTimeoutSeconds }), logger, metrics, bodyLimitBytes: config.bodyLimitBytes,
        webhooks: { guard: urlGuard(config), allowHttp: config.allowHttpWebhooks },
        ...(config.webhookUrl === undefined ? {} : { webhookUrl: config.webhookUrl }),
        debounceMs: config.debounceMs, tombstoneMs: config.tombstoneDays * 86_400_000,
        rateLimit: { perSecond: config.rateLimitPerSecond, burst: config.rateLimitBurst },
      });
      abort?.throwIfAborted();
      try {
        await app.listen({ host: config.host, port: config.port });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') {
          throw new CalsyncError('PORT_IN_USE', `port ${config.port} on ${config.host} is in use`, { port: config.port });
        }
        // Not an address of this machine, or a name that does not resolve (getaddrinfo's codes).
        if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'EAFNOSUPPORT') {
          throw new CalsyncError('HOST_UNUSABLE', `cannot listen on HOST=${config.host} (${code})`, { host: config.host }, { cause: error });
        }
        throw error;
      }
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    }
    if (role !== 'api') {
      abort?.throwIfAborted();
      runner = await startWorker({
        db: runtime.db, concurrency: config.workerConcurrency, workerName, engine, tasks: allTasks, logger: graphileLogger(logger),
        tombstoneMs: config.tombstoneDays * 86_400_000, sweepSeconds: config.sweepSeconds,
        delivery: {
          fetch: globalThis.fetch, secrets, now: () => new Date(),
          webhooks: { guard: urlGuard(config), allowHttp: config.allowHttpWebhooks },
          onDelivery: (state, outcome) => metrics.watchDeliveries.inc({ state, outcome }),
        },
        onDone: (task, outcome) => metrics.jobsRun.inc({ task, outcome }),
        // The emulators deliver their notifications to this calsync itself.
        ...(sandbox && url ? { push: pushSettings(url) } : config.webhookUrl ? { push: pushSettings(config.webhookUrl) } : {}),
      });
    }
    const database = runtime.embedded ? `embedded Postgres (data in ${config.dataDir})` : 'DATABASE_URL';
    print(role === 'worker'
      ? `calsync worker ${workerName} running on ${database}`
      : `calsync ${role === 'all' ? 'serve' : 'api'} listening on ${url} (${database})`);
    if (sandbox && url) {
      await sandbox.started(url, abort);
      abort?.throwIfAborted();
    }
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Starts the role and runs it until SIGINT/SIGTERM. The handlers go in before anything
 * starts: without them a signal during start-up would kill the process at once and leave
 * the embedded Postgres (its own process group) running. A second signal exits at once.
 */
export async function serveUntilSignalled(config: Config, role: Role, print: (line: string) => void, options: ServeOptions = {}): Promise<void> {
  const startup = new AbortController();
  let signalled!: () => void;
  const stopRequested = new Promise<void>((resolve) => { signalled = resolve; });
  const onSignal = (signal: NodeJS.Signals): void => {
    if (startup.signal.aborted) process.exit(1);
    print(`${signal}: stopping`);
    startup.abort();
    signalled();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    let running: Running;
    try {
      running = await startServer(config, role, print, startup.signal, options);
    } catch (error) {
      // Stopped during start-up: startServer closed what it had opened.
      if (startup.signal.aborted) return;
      throw error;
    }
    await stopRequested;
    await running.stop().catch((error: unknown) => print(`error while stopping: ${(error as Error).message}`));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
