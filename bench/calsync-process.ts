// A calsync command (`serve`, `api`) started by a benchmark in its own process, so the
// load it is measured under comes from elsewhere, as an app's would.
import { spawn, type ChildProcess } from 'node:child_process';
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

/** The p-th percentile of ascending latencies (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
