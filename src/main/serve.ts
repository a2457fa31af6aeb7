// `calsync serve` (API and worker in one process), `calsync api` and `calsync worker`.
// Stops cleanly on SIGINT/SIGTERM: HTTP first, then the worker finishes its jobs, then
// the database pool and the embedded Postgres.
import os from 'node:os';
import { makeWorkerUtils, type Runner, type WorkerUtils } from 'graphile-worker';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { CalsyncError } from '../errors.ts';
import { build } from '../http/app.ts';
import { allTasks } from '../jobs/tasks.ts';
import { startWorker } from '../jobs/worker.ts';
import { createMetrics } from '../metrics.ts';
import type { EngineDeps } from '../engine/sync-pass.ts';
import { connectorFactory, urlGuard } from './connectors.ts';
import { providerProbes } from './providers.ts';
import { graphileLogger } from './graphile-logger.ts';
import { createLogger } from './logger.ts';
import { ensureLocalTenant, loadSecrets, openRuntime } from './runtime.ts';

export type Role = 'all' | 'api' | 'worker';

export interface Running {
  url: string | undefined;
  stop(): Promise<void>;
}

export async function startServer(config: Config, role: Role, print: (line: string) => void): Promise<Running> {
  const logger = createLogger(config.logLevel);
  const workerName = `${os.hostname()}:${process.pid}`;
  const runtime = await openRuntime(config, {
    logger,
    poolSize: role === 'api' ? 10 : config.workerConcurrency + 10,
    applicationName: `calsync ${role}`,
  });
  let app: FastifyInstance | undefined;
  let runner: Runner | undefined;
  let utils: WorkerUtils | undefined;
  const stop = async (): Promise<void> => {
    await app?.close();
    await runner?.stop();
    await utils?.release();
    await runtime.close();
  };
  try {
    const secrets = await loadSecrets(runtime);
    const engine: EngineDeps = {
      db: runtime.db, logger, now: () => new Date(), workerName, debounceMs: config.debounceMs,
      connectorFor: connectorFactory({ db: runtime.db, secrets, fetch: globalThis.fetch, guard: urlGuard(config) }),
    };
    const metrics = createMetrics({ db: runtime.db });
    let url: string | undefined;
    if (role !== 'worker') {
      const firstKey = await ensureLocalTenant(runtime);
      if (firstKey) {
        print(`Created tenant "local". Its API key (shown once, also saved in ${config.dataDir}/api-key):`);
        print(`  ${firstKey}`);
      }
      utils = await makeWorkerUtils({ pgPool: runtime.db, logger: graphileLogger(logger) });
      app = await build({ db: runtime.db, secrets, providers: providerProbes(config), logger, metrics, queue: utils, bodyLimitBytes: config.bodyLimitBytes });
      try {
        await app.listen({ host: config.host, port: config.port });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
          throw new CalsyncError('PORT_IN_USE', `port ${config.port} on ${config.host} is in use`, { port: config.port });
        }
        throw error;
      }
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    }
    if (role !== 'api') {
      runner = await startWorker({
        db: runtime.db, concurrency: config.workerConcurrency, workerName, engine, tasks: allTasks, logger: graphileLogger(logger),
        onDone: (task, outcome) => metrics.jobsRun.inc({ task, outcome }),
      });
    }
    const database = runtime.embedded ? `embedded Postgres (data in ${config.dataDir})` : 'DATABASE_URL';
    print(role === 'worker'
      ? `calsync worker ${workerName} running on ${database}`
      : `calsync ${role === 'all' ? 'serve' : 'api'} listening on ${url} (${database})`);
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Runs until SIGINT/SIGTERM; a second signal exits at once. */
export async function runUntilSignalled(running: Running, print: (line: string) => void): Promise<void> {
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) process.exit(1);
      stopping = true;
      print(`${signal}: stopping`);
      running.stop().then(resolve, (error: unknown) => {
        print(`error while stopping: ${(error as Error).message}`);
        resolve();
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
