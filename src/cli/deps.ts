import type { Config } from '../config.ts';
import type { ConnectedAccount, ProviderSet, RemoteCalendar } from '../connectors/provider.ts';
import type { EngineDeps } from '../engine/sync-pass.ts';
import type { Db } from '../store/db.ts';
import type { Secrets } from '../store/secrets.ts';

export interface CommandRuntime {
  db: Db;
  embedded: boolean;
  databaseUrl: string;
  migrationsApplied: string[];
  close(): Promise<void>;
}

export interface CliDeps {
  version: string;
  loadConfig(): Config;
  openRuntime(config: Config): Promise<CommandRuntime>;
  loadSecrets(runtime: CommandRuntime, config: Config): Promise<Secrets>;
  /**
   * Runs a server role until SIGINT/SIGTERM, including one that arrives during start-up;
   * with `sandbox`, the sandbox beside it: asked for (refused next to real providers) or
   * offered (started only on a fresh install with no provider configured).
   */
  serve(config: Config, role: 'all' | 'api' | 'worker', sandbox?: { mode: 'offer' | 'require'; editSeconds: number }): Promise<void>;
  engineFor(runtime: CommandRuntime, config: Config): Promise<EngineDeps>;
  /** The registered providers with the real fetch, the URL guard and the operator's settings. */
  providers(config: Config): ProviderSet;
  /** An OAuth provider's consent with PKCE, answered on a loopback port; `onUrl` shows the URL to open. */
  authorizeOnLoopback(config: Config, provider: string, options: { port: number; timeoutSeconds: number; loginHint?: string; onUrl(url: string): void }): Promise<ConnectedAccount & { calendars: RemoteCalendar[] }>;
  /** Logs an unexpected error with its stack and causes at debug level (LOG_LEVEL=debug shows it). */
  logUnexpected(error: unknown): void;
}

/** Runs a command's work on an open runtime and always closes it. */
export function runtimeRunner(deps: CliDeps): <T>(work: (runtime: CommandRuntime) => Promise<T>) => Promise<T> {
  return async (work) => {
    const runtime = await deps.openRuntime(deps.loadConfig());
    try {
      return await work(runtime);
    } finally {
      await runtime.close();
    }
  };
}
