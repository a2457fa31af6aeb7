// The test command. Pure tests are *.test.ts; database tests are *.db.test.ts and get
// a Postgres: the one in DATABASE_URL when set, else an embedded one in a temporary
// folder. A template database is migrated once; every database test file clones its
// own fresh database from it (test/helpers/database.ts).
//   npm test                      the whole suite
//   npm test -- core merge        only files whose path contains "core" or "merge"
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/main/embedded-postgres.ts';
import { createPool } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';

const root = path.resolve(import.meta.dirname, '..');
const filters = process.argv.slice(2);

function findTests(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : findTests(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

const files = findTests(path.join(root, 'test'))
  .map((file) => path.relative(root, file))
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

const needsDatabase = files.some((file) => file.endsWith('.db.test.ts'));
const env: Record<string, string | undefined> = { ...process.env };
let embedded: EmbeddedPostgres | undefined;
let scratch: string | undefined;
let adminUrl: string | undefined;
const template = `calsync_test_template_${process.pid}`;

async function dropDatabases(prefix: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>('select datname from pg_database where datname like $1', [`${prefix}%`]);
    for (const { datname } of rows) await admin.query(`drop database if exists ${admin.escapeIdentifier(datname)} with (force)`);
  } finally {
    await admin.end();
  }
}

async function setUpDatabase(): Promise<void> {
  if (process.env.DATABASE_URL) {
    adminUrl = process.env.DATABASE_URL;
    console.log('test databases: on DATABASE_URL');
  } else {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'calsync-test-pg-'));
    fs.chmodSync(scratch, 0o755);
    embedded = await startEmbeddedPostgres({ dataDir: scratch, port: 0, database: 'postgres' });
    adminUrl = embedded.adminUrl;
    console.log(`test databases: on an embedded Postgres (port ${embedded.port})`);
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${template}`);
  await admin.end();
  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${template}`;
  const pool = createPool(templateUrl.toString());
  await migrate(pool);
  await pool.end();
  env.CALSYNC_TEST_ADMIN_URL = adminUrl;
  env.CALSYNC_TEST_TEMPLATE = template;
}

async function tearDown(): Promise<void> {
  if (adminUrl) await dropDatabases(`calsync_test_${process.pid}`).catch(() => undefined);
  if (adminUrl) await dropDatabases(template).catch(() => undefined);
  await embedded?.stop();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
}

let code = 1;
try {
  if (needsDatabase) await setUpDatabase();
  env.CALSYNC_TEST_RUN = String(process.pid);
  code = await new Promise<number>((resolve) => {
    // TAP into a log or a pipe on every Node.js line (Node 20 chose it there by itself; 22 and
    // 24 print the spec reporter everywhere), so CI logs read the same on each.
    const reporter = process.stdout.isTTY ? [] : ['--test-reporter=tap'];
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...reporter, ...files], { cwd: root, env, stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
  });
} catch (error) {
  console.error('test setup failed:', error);
} finally {
  await tearDown();
}
process.exit(code);
