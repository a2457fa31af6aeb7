// Regenerates sql/schema.dump.sql from a freshly migrated throw-away database.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../src/main/embedded-postgres.ts';
import { createPool } from '../src/store/db.ts';
import { migrate, migrationsDir } from '../src/store/migrate.ts';
import { dumpSchema } from '../src/store/schema-dump.ts';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'calsync-schema-'));
fs.chmodSync(scratch, 0o755);
const server = await startEmbeddedPostgres({ dataDir: scratch, port: 0 });
try {
  const db = createPool(server.url);
  await migrate(db);
  fs.writeFileSync(path.join(migrationsDir, 'schema.dump.sql'), await dumpSchema(db));
  await db.end();
  console.log('wrote sql/schema.dump.sql');
} finally {
  await server.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
}
