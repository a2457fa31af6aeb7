// Runs the real calsync command in a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const bin = path.resolve(import.meta.dirname, '../../bin/calsync.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without the test runner's database, so each test says what it uses. */
export function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('CALSYNC_') && k !== 'DATABASE_URL' && k !== 'PORT' && !k.startsWith('NODE_TEST')) env[k] = v;
  }
  return { ...env, ...extra };
}

export function runCalsync(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`calsync ${args.join(' ')} timed out: ${stdout} ${stderr}`)); }, timeoutMs);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

export interface RunningCalsync {
  child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** The exit code, once the process exits by itself. */
  exited: Promise<number | null>;
}

export function startCalsync(args: string[], env: Record<string, string>): RunningCalsync {
  return startProcess(process.execPath, [bin, ...args], env);
}

/** Any command with calsync's clean environment, e.g. `npm start` in the checkout. */
export function startProcess(command: string, args: string[], env: Record<string, string>, cwd?: string): RunningCalsync {
  const child = spawn(command, args, { env: cleanEnv(env), cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  // waitFor wakes on every chunk, so a test can act at the moment a line appears.
  const waiting = new Set<() => void>();
  const append = (d: Buffer): void => {
    output += d;
    for (const wake of waiting) wake();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => output,
    async waitFor(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = output.match(pattern);
        if (match) return match;
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${args.join(' ')} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}: ${output}`);
        if (Date.now() > deadline) throw new Error(`${args.join(' ')} did not print ${pattern} within ${timeoutMs} ms: ${output}`);
        await new Promise<void>((resolve) => {
          const wake = (): void => {
            clearTimeout(timer);
            waiting.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, 50);
          waiting.add(wake);
        });
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
