// A calsync command (`serve`, `api`) started by a benchmark in its own process, so the
// load it is measured under comes from elsewhere, as an app's would.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

export interface CalsyncProcess {
  child: ChildProcess;
  /** The URL it listens on, once it says so; rejects if it exits first. */
  url: Promise<string>;
  stop(): Promise<void>;
}

export function startCalsync(role: 'serve' | 'api', env: NodeJS.ProcessEnv): CalsyncProcess {
  const child = spawn(process.execPath, [path.join(root, 'bin/calsync.js'), role], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => { output += d; });
  child.stderr!.on('data', (d) => { output += d; });
  const url = new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m) {
        clearInterval(timer);
        resolve(m[1]!);
      }
    }, 50);
    child.once('exit', () => {
      clearInterval(timer);
      reject(new Error(`calsync ${role} exited: ${output}`));
    });
  });
  return {
    child, url,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface BenchApi {
  /** The URL it listens on. */
  base: string;
  /** The API key of the tenant its first start made. */
  key: string;
  /** Stops it and removes its data folder. */
  stop(): Promise<void>;
}

/**
 * `calsync api` on an embedded Postgres in a fresh data folder (or DATABASE_URL), with the
 * per-key rate limit out of the way: a benchmark measures calsync, not its limiter.
 */
export async function startBenchApi(name: string): Promise<BenchApi> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `calsync-${name}-`));
  fs.chmodSync(dataDir, 0o755);
  const server = startCalsync('api', {
    ...process.env, CALSYNC_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', CALSYNC_RATE_LIMIT_PER_SECOND: '100000', CALSYNC_RATE_LIMIT_BURST: '100000',
  });
  const stop = async () => {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const base = await server.url;
    return { base, key: fs.readFileSync(path.join(dataDir, 'api-key'), 'utf8').trim(), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The p-th percentile of ascending latencies (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
