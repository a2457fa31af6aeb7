// Jobs carry a tenant and a binding id; every query a job's handler makes on bindings
// names both, as every tenant-owned query does (docs/ARCHITECTURE.md, "Every
// tenant-owned query names its tenant").
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { JobHelpers } from 'graphile-worker';
import { syncBindingJob } from '../../src/jobs/sync-binding.ts';
import type { Db } from '../../src/store/db.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { engineWorld } from '../helpers/engine.ts';

let t: TestDatabase;
before(async () => { t = await freshDatabase(); });
after(async () => { await t.drop(); });

/** The database as a job handler sees it, recording every statement. */
function recording(db: Db): { db: Db; statements: string[] } {
  const statements: string[] = [];
  const recorded = new Proxy(db, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver);
      return (text: string, values?: unknown[]) => {
        statements.push(text);
        return target.query(text, values);
      };
    },
  });
  return { db: recorded, statements };
}

test('sync_binding: its queries on bindings name the tenant', async () => {
  const world = await engineWorld(t);
  const binding = await world.bind('named');
  const { db, statements } = recording(t.db);
  const added: unknown[] = [];
  const helpers = { addJob: async (...args: unknown[]) => { added.push(args); } } as unknown as JobHelpers;
  await syncBindingJob.run(syncBindingJob.parse({ tenantId: world.tenantId, bindingId: binding.id, trigger: 'manual' }), { db, workerName: 'w', engine: world.deps, tombstoneMs: 0 }, helpers);
  const onBindings = statements.filter((s) => /\bbindings\b/.test(s));
  assert.ok(onBindings.length >= 2, 'the next poll is read and stored');
  for (const statement of onBindings) assert.match(statement, /tenant_id/, statement);
  assert.equal(added.length, 1, 'the next poll is queued');
});
