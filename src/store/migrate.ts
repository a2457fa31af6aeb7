// Numbered SQL migrations (sql/NNNNNN_name.sql), each applied once in its own
// transaction, under an advisory lock so processes starting together take turns.
// graphile-worker's own schema is migrated by graphile-worker itself.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CalsyncError } from '../errors.ts';
import { schemaName, type Db } from './db.ts';

export const migrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../sql');

// Any constant works; it only has to be the same in every calsync process.
const migrationLockKey = 7_201_551_117;
const minimumServerVersion = 150000;

export interface Migration {
  id: number;
  name: string;
  sql: string;
  checksum: string;
}

export function listMigrations(dir: string = migrationsDir): Migration[] {
  return fs.readdirSync(dir)
    .filter((file) => /^\d{6}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => {
      const sql = fs.readFileSync(path.join(dir, file), 'utf8');
      return { id: Number(file.slice(0, 6)), name: file, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

export interface MigrateResult {
  applied: string[];
  current: number;
}

export async function migrate(db: Db, migrations: Migration[] = listMigrations()): Promise<MigrateResult> {
  const known = migrations.at(-1)?.id ?? 0;
  if (await upToDate(db, known, migrations.length)) return { applied: [], current: known };
  const client = await db.connect();
  const applied: string[] = [];
  try {
    const { rows: [server] } = await client.query<{ server_version_num: string }>('show server_version_num');
    if (Number(server!.server_version_num) < minimumServerVersion) {
      throw new CalsyncError('DATABASE_TOO_OLD', `Postgres ${server!.server_version_num} is older than 15`);
    }
    await client.query('select pg_advisory_lock($1)', [migrationLockKey]);
    try {
      await client.query(`create schema if not exists ${schemaName}`);
      await client.query(`create table if not exists ${schemaName}.migrations (
        id integer primary key, name text not null, checksum text not null,
        applied_at timestamptz not null default now())`);
      const { rows } = await client.query<{ id: number; name: string }>(`select id, name from ${schemaName}.migrations order by id`);
      const done = new Set(rows.map((row) => row.id));
      const newest = rows.at(-1);
      const known = migrations.at(-1)?.id ?? 0;
      if (newest && newest.id > known) {
        throw new CalsyncError('SCHEMA_TOO_NEW', `the database has migration ${newest.name}, newer than this calsync knows (${known})`);
      }
      for (const migration of migrations) {
        if (done.has(migration.id)) continue;
        try {
          await client.query('begin');
          await client.query(`set local search_path to ${schemaName}, public`);
          await client.query(migration.sql);
          await client.query(`insert into ${schemaName}.migrations (id, name, checksum) values ($1, $2, $3)`, [migration.id, migration.name, migration.checksum]);
          await client.query('commit');
          applied.push(migration.name);
        } catch (cause) {
          await client.query('rollback').catch(() => undefined);
          const sqlstate = (cause as { code?: string }).code;
          if (sqlstate === '0A000' || sqlstate === '58P01') {
            throw new CalsyncError('DATABASE_EXTENSION_MISSING', `${migration.name}: ${(cause as Error).message}`, { migration: migration.name }, { cause });
          }
          throw new CalsyncError('MIGRATION_FAILED', `${migration.name}: ${(cause as Error).message}`, { migration: migration.name }, { cause });
        }
      }
    } finally {
      await client.query('select pg_advisory_unlock($1)', [migrationLockKey]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
  if (!(await queueSchemaCurrent(db))) {
    await (await import('./queue-library.ts')).migrateQueue(db);
  }
  return { applied, current: migrations.at(-1)?.id ?? 0 };
}

/**
 * The common start, in one round trip instead of about ten: both schemas are at the
 * newest migration this calsync and its graphile-worker know, and hold as many as it
 * knows. Numbers may have gaps, and a branch's migration can be merged after a higher
 * one was applied: the count catches it, the newest id alone would not. Anything else (a
 * new database, a migration due, a schema newer than this calsync) takes the full path,
 * with its lock and its errors.
 */
async function upToDate(db: Db, known: number, count: number): Promise<boolean> {
  const latestQueue = latestQueueMigration();
  if (latestQueue === null) return false;
  try {
    // The count too: a migration numbered below the newest applied (two made side by
    // side, landed in the other order) is still due.
    const { rows: [row] } = await db.query<{ version: number; ours: number | null; applied: number; queue: number | null }>(
      `select current_setting('server_version_num')::int as version,
              (select max(id) from ${schemaName}.migrations) as ours, (select count(*)::int from ${schemaName}.migrations) as applied,
              (select max(id) from graphile_worker.migrations) as queue`);
    return row!.version >= minimumServerVersion && row!.ours === known && row!.applied === count && row!.queue !== null && row!.queue >= latestQueue;
  } catch (error) {
    // undefined_table, invalid_schema_name: a database not migrated yet.
    if (['42P01', '3F000'].includes((error as { code?: string }).code ?? '')) return false;
    throw error;
  }
}

/** The newest migration the installed graphile-worker ships (its `sql/NNNNNN.sql` files), or null. */
function latestQueueMigration(): number | null {
  try {
    const dir = path.join(path.dirname(createRequire(import.meta.url).resolve('graphile-worker/package.json')), 'sql');
    const ids = fs.readdirSync(dir).map((file) => /^(\d{6})\.sql$/.exec(file)?.[1]).filter((id) => id !== undefined).map(Number);
    return ids.length > 0 ? Math.max(...ids) : null;
  } catch {
    return null;
  }
}

/**
 * True when the queue's schema already has every migration of the installed
 * graphile-worker. Loading the library to let it check costs a one-shot command about
 * 100 ms of its start-up, so it is only loaded when a migration may be due.
 */
async function queueSchemaCurrent(db: Db): Promise<boolean> {
  const latest = latestQueueMigration();
  if (latest === null) return false;
  const { rows: [table] } = await db.query<{ name: string | null }>(`select to_regclass('graphile_worker.migrations')::text as name`);
  if (!table?.name) return false;
  const { rows: [row] } = await db.query<{ id: number | null }>('select max(id) as id from graphile_worker.migrations');
  return row?.id !== null && row?.id !== undefined && row.id >= latest;
}
