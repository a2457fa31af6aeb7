// One fresh database per test file, cloned from the template test/run.ts migrated.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPool, type Db } from '../../src/store/db.ts';

export interface TestDatabase {
  url: string;
  db: Db;
  drop(): Promise<void>;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run database tests through \`npm test\` (test/run.ts), which prepares the template database`);
  return value;
}

export async function freshDatabase(): Promise<TestDatabase> {
  const adminUrl = required('CALSYNC_TEST_ADMIN_URL');
  const template = required('CALSYNC_TEST_TEMPLATE');
  const name = `calsync_test_${process.env.CALSYNC_TEST_RUN ?? '0'}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name} template ${template}`);
    // Tests need no durability across a crash of the test server: commits do not wait
    // for the WAL to reach the disk, which makes write-heavy tests several times faster.
    await admin.query(`alter database ${name} set synchronous_commit = off`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = createPool(url.toString());
  return {
    url: url.toString(),
    db,
    async drop() {
      await db.end();
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
