// Composition root of the calsync command: real config, database, servers and signals.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config.ts';
import type { CliDeps } from '../cli/deps.ts';
import { runCli } from '../cli/program.ts';
import { errorLine } from '../cli/output.ts';
import os from 'node:os';
import { connectorFactory, urlGuard } from './connectors.ts';
import { providerProbes } from './providers.ts';
import { createLogger } from './logger.ts';
import { ensureLocalTenant, loadSecrets, openRuntime, type Runtime } from './runtime.ts';
import { runUntilSignalled, startServer } from './serve.ts';

const packageJson = JSON.parse(fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../package.json'), 'utf8')) as { version: string };
const print = (line: string): void => { process.stdout.write(`${line}\n`); };
const output = { out: print, err: (line: string) => { process.stderr.write(`${line}\n`); } };

const runtimes = new WeakMap<object, Runtime>();

const deps: CliDeps = {
  version: packageJson.version,
  loadConfig: () => loadConfig(),
  async openRuntime(config) {
    // One-shot commands log only warnings, to stderr, so their stdout stays clean for --json.
    const runtime = await openRuntime(config, { logger: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, 2), poolSize: 4, applicationName: 'calsync cli', attach: true });
    // The first start of an embedded install may be a command rather than `serve`.
    const firstKey = await ensureLocalTenant(runtime).catch(async (error: unknown) => {
      await runtime.close();
      throw error;
    });
    if (firstKey) output.err(`Created tenant "local". Its API key (shown once, also saved in ${config.dataDir}/api-key):\n  ${firstKey}`);
    const handle = {
      db: runtime.db, embedded: runtime.embedded !== undefined, databaseUrl: runtime.databaseUrl,
      migrationsApplied: runtime.migration?.applied ?? [], close: runtime.close,
    };
    runtimes.set(handle, runtime);
    return handle;
  },
  async loadSecrets(handle) {
    return loadSecrets(runtimes.get(handle)!);
  },
  startServer: (config, role) => startServer(config, role, print),
  waitForSignal: (server) => runUntilSignalled(server, print),
  async engineFor(handle, config) {
    const runtime = runtimes.get(handle)!;
    const secrets = await loadSecrets(runtime);
    return {
      db: runtime.db, logger: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, 2), now: () => new Date(),
      workerName: `${os.hostname()}:${process.pid}:cli`, debounceMs: config.debounceMs,
      connectorFor: connectorFactory({ db: runtime.db, secrets, fetch: globalThis.fetch, guard: urlGuard(config) }),
    };
  },
  discoverCalDav: (config, login) => providerProbes(config).discoverCalDav(login),
  probeIcs: (config, url) => providerProbes(config).probeIcs(url),
};

try {
  process.exitCode = await runCli(process.argv.slice(2), deps, output);
} catch (error) {
  output.err(errorLine(error));
  process.exitCode = 1;
}
