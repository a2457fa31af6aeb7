import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { migrationsDir, migrate, listMigrations } from '../../src/store/migrate.ts';
import { dumpSchema } from '../../src/store/schema-dump.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

let t: TestDatabase;
before(async () => { t = await freshDatabase(); });
after(async () => { await t.drop(); });

test('the migrated schema matches the committed dump (run `npm run schema:dump` after changing sql/)', async () => {
  const committed = fs.readFileSync(path.join(migrationsDir, 'schema.dump.sql'), 'utf8');
  assert.equal(await dumpSchema(t.db), committed);
});

test('migrating again applies nothing and records every migration once', async () => {
  const result = await migrate(t.db);
  assert.deepEqual(result.applied, []);
  const { rows } = await t.db.query<{ name: string }>('select name from calsync.migrations order by id');
  assert.deepEqual(rows.map((r) => r.name), listMigrations().map((m) => m.name));
});

test('a migration numbered below the newest applied one (merged after it) is still applied', async () => {
  const migrations = listMigrations();
  const ids = new Set(migrations.map((m) => m.id));
  const gap = Array.from({ length: migrations.at(-1)!.id }, (_, i) => i + 1).find((id) => !ids.has(id));
  assert.ok(gap !== undefined, 'the numbers have a gap to fill (000016 and 000017 are taken by other changes)');
  const name = `${String(gap).padStart(6, '0')}_merged_late.sql`;
  const late = [...migrations, { id: gap, name, sql: 'create table merged_late (id int);', checksum: 'x' }].sort((a, b) => a.id - b.id);
  try {
    assert.deepEqual((await migrate(t.db, late)).applied, [name]);
    const { rows } = await t.db.query(`select 1 from pg_tables where schemaname = 'calsync' and tablename = 'merged_late'`);
    assert.equal(rows.length, 1);
  } finally {
    await t.db.query('drop table if exists calsync.merged_late');
    await t.db.query('delete from calsync.migrations where id = $1', [gap]);
  }
});

test('a migration that fails leaves nothing half-applied and names its file', async () => {
  const broken = [...listMigrations(), { id: 999_999, name: '999999_broken.sql', sql: 'create table half_done (id int); select * from no_such_table;', checksum: 'x' }];
  await assert.rejects(migrate(t.db, broken), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'MIGRATION_FAILED');
    assert.match(error.message, /999999_broken\.sql/);
    return true;
  });
  const { rows } = await t.db.query(`select 1 from pg_tables where tablename = 'half_done'`);
  assert.equal(rows.length, 0);
  const { rows: recorded } = await t.db.query('select 1 from calsync.migrations where id = 999999');
  assert.equal(recorded.length, 0);
});

test('a database migrated by a newer calsync is refused', async () => {
  await t.db.query(`insert into calsync.migrations (id, name, checksum) values (999998, '999998_future.sql', 'x')`);
  try {
    await assert.rejects(migrate(t.db), { code: 'SCHEMA_TOO_NEW' });
  } finally {
    await t.db.query('delete from calsync.migrations where id = 999998');
  }
});
