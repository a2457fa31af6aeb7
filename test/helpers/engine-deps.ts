// Engine dependencies for tests that run a worker but no sync pass.
import pino from 'pino';
import type { EngineDeps } from '../../src/engine/sync-pass.ts';
import type { Db } from '../../src/store/db.ts';

export function idleEngine(db: Db): EngineDeps {
  return {
    db, logger: pino({ level: 'silent' }), now: () => new Date(), workerName: 'test', debounceMs: 0,
    connectorFor: async (binding) => { throw new Error(`no connector in this test (binding ${binding.id})`); },
  };
}
