// graphile-worker for one-shot commands, in a module of their own so that the library
// (about 100 ms to load) is loaded only by those that use it: `migrate` when a queue
// migration is due, `queue probe`. Imported statically here: a dynamic import of the
// CommonJS package would see only its default export once bundled (scripts/build.ts).
import { Logger, makeWorkerUtils, runMigrations, type WorkerUtils } from 'graphile-worker';
import type { Db } from './db.ts';

export async function migrateQueue(db: Db): Promise<void> {
  await runMigrations({ pgPool: db, logger: new Logger(() => () => undefined) });
}

export function openWorkerUtils(db: Db): Promise<WorkerUtils> {
  return makeWorkerUtils({ pgPool: db });
}
