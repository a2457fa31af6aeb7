// Composition root of the calsync command: real config, database, servers and signals.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config.ts';
import type { CliDeps } from '../cli/deps.ts';
import { runCli } from '../cli/program.ts';
import { errorLine } from '../cli/output.ts';
import os from 'node:os';
import { releaseLeasesHeldBy } from '../store/bindings.ts';
import { connectorFactory, providerSet, urlGuard } from './connectors.ts';
import type { OAuthConnect, Provider } from '../connectors/provider.ts';
import { CalsyncError } from '../errors.ts';
import { createLogger } from './logger.ts';
import { ensureLocalTenant, loadSecrets, openRuntime, type Runtime } from './runtime.ts';
import { checkSandboxConfig, mayOfferSandbox } from './sandbox/decide.ts';

const packageJson = JSON.parse(fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../package.json'), 'utf8')) as { version: string };
const print = (line: string): void => { process.stdout.write(`${line}\n`); };
const output = { out: print, err: (line: string) => { process.stderr.write(`${line}\n`); } };

const runtimes = new WeakMap<object, Runtime>();
// Leases of this process's passes are `<processName>:<pass id>` (src/engine/sync-pass.ts).
const processName = `${os.hostname()}:${process.pid}:cli`;

/**
 * A signal during a one-shot command: the leases this process holds are released and
 * the database closed (the embedded Postgres stopped if this command started it), then
 * the process exits 130 or 143, so an interrupted `calsync sync` leaves nothing running
 * and can run again at once. Its pass stops where a crash would: the cursor is stored
 * last, so the next pass repeats what was not finished. A second signal exits at once.
 */
function stopOnSignal(): { abort: AbortSignal; opened(runtime: Runtime): void; closed(): void } {
  const controller = new AbortController();
  let runtime: Runtime | undefined;
  let stopping = false;
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((signal) => {
    const code = signal === 'SIGINT' ? 130 : 143;
    const handler = (): void => {
      if (stopping) process.exit(code);
      stopping = true;
      output.err(`calsync: ${signal}: stopping`);
      controller.abort();
      void (async () => {
        if (runtime) {
          await releaseLeasesHeldBy(runtime.db, processName).catch(() => undefined);
          await runtime.close().catch(() => undefined);
        }
        process.exit(code);
      })();
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return {
    abort: controller.signal,
    opened: (r) => { runtime = r; },
    closed: () => { for (const [signal, handler] of handlers) process.off(signal, handler); },
  };
}

const deps: CliDeps = {
  version: packageJson.version,
  loadConfig: () => loadConfig(),
  async openRuntime(config) {
    const signals = stopOnSignal();
    // One-shot commands log only warnings, to stderr, so their stdout stays clean for --json.
    const runtime = await openRuntime(config, {
      logger: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, 2), poolSize: 4, applicationName: 'calsync cli', attach: true, signal: signals.abort,
    }).catch((error: unknown) => {
      signals.closed();
      throw error;
    });
    signals.opened(runtime);
    // The first start of an embedded install may be a command rather than `serve`.
    const firstKey = await ensureLocalTenant(runtime).catch(async (error: unknown) => {
      await runtime.close();
      signals.closed();
      throw error;
    });
    if (firstKey) output.err(`Created tenant "local". Its API key (shown once, also saved in ${config.dataDir}/api-key):\n  ${firstKey}`);
    const handle = {
      db: runtime.db, embedded: runtime.embedded !== undefined, databaseUrl: runtime.databaseUrl,
      migrationsApplied: runtime.migration?.applied ?? [],
      async close() {
        await runtime.close();
        signals.closed();
      },
    };
    runtimes.set(handle, runtime);
    return handle;
  },
  async loadSecrets(handle) {
    return loadSecrets(runtimes.get(handle)!);
  },
  // The server is loaded by the commands that use it, and a provider's libraries by the
  // accounts that need them, so a one-shot command such as `calsync sync` starts without
  // Fastify, the queue library or Google's client libraries.
  async serve(config, role, sandbox) {
    // Asked for, the sandbox refuses a configured provider before anything is opened;
    // offered, it is not considered with one, with DATABASE_URL or with CALSYNC_SANDBOX=off.
    if (sandbox?.mode === 'require') checkSandboxConfig(config);
    const withSandbox = sandbox && (sandbox.mode === 'require' || mayOfferSandbox(config)) ? { sandbox } : {};
    return (await import('./serve.ts')).serveUntilSignalled(config, role, print, withSandbox);
  },
  async engineFor(handle, config) {
    const runtime = runtimes.get(handle)!;
    const secrets = await loadSecrets(runtime);
    return {
      db: runtime.db, logger: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, 2), now: () => new Date(),
      workerName: processName, debounceMs: config.debounceMs, writeConcurrency: config.writeConcurrency, leaseSeconds: config.leaseSeconds,
      connectorFor: connectorFactory({ db: runtime.db, secrets, fetch: globalThis.fetch, guard: urlGuard(config), google: config.google, microsoft: config.microsoft, caldavTimeoutSeconds: config.caldavTimeoutSeconds }),
    };
  },
  providers: (config) => providerSet({ fetch: globalThis.fetch, guard: urlGuard(config), google: config.google, microsoft: config.microsoft, caldavTimeoutSeconds: config.caldavTimeoutSeconds }),
  async authorizeOnLoopback(config, name, options) {
    const providers = deps.providers(config);
    const provider = await providers.get(name);
    if (provider.connect.kind !== 'oauth') throw new CalsyncError('USAGE', `${provider.title} accounts do not connect through a browser`);
    return (await import('./oauth-loopback.ts')).authorizeOnLoopback(provider as Provider & { connect: OAuthConnect }, providers.context, options);
  },
  logUnexpected(error) {
    let level: string;
    try {
      level = loadConfig().logLevel;
    } catch {
      return; // the configuration itself failed, and that error says so
    }
    createLogger(level, 2).debug({ err: error }, 'unexpected error');
  },
};

let exitCode: number;
try {
  exitCode = await runCli(process.argv.slice(2), deps, output);
} catch (error) {
  output.err(errorLine(error));
  exitCode = 1;
}
// Everything is closed by now, but the sockets of the pool's ended connections stay
// open until Postgres's backends have exited, which held a finished `calsync sync` for
// about 0.13 s more on a 2-core machine. Exit once what was printed is written.
const flushed = (stream: NodeJS.WriteStream): Promise<void> => new Promise((resolve) => { stream.write('', () => resolve()); });
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(exitCode);
