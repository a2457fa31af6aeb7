// A test that could hang its process in a synchronous loop, which neither node:test's
// timeout nor a timer in the same process can interrupt, is watched from another
// process: past `seconds` that process says so and kills this one, so a regression
// fails the test file instead of stalling the suite.
import { spawn } from 'node:child_process';

export function guardAgainstHang(seconds: number, what: string): () => void {
  const message = `${what}: still running after ${seconds} s, killed by test/helpers/hang-guard.ts\n`;
  const watcher = spawn(process.execPath, ['-e', `setTimeout(() => { process.stderr.write(${JSON.stringify(message)}); try { process.kill(${process.pid}, 'SIGKILL'); } catch {} }, ${seconds * 1000});`], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  watcher.unref();
  return () => {
    watcher.kill();
  };
}

/** Runs `body` under a guard of `seconds`. */
export async function withoutHanging<T>(seconds: number, what: string, body: () => T | Promise<T>): Promise<T> {
  const release = guardAgainstHang(seconds, what);
  try {
    return await body();
  } finally {
    release();
  }
}
