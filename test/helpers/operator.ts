// The operator's view of an engine world: the HTTP app on the world's database, an API
// key of the world's tenant and one of another tenant, and the queue's pass jobs.
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { createApiKey, createTenant } from '../../src/store/tenants.ts';
import { appOn } from './app.ts';
import type { TestDatabase } from './database.ts';
import { engineWorld, type EngineWorld } from './engine.ts';
import { snapshot } from './snapshot.ts';

export interface OperatorWorld extends EngineWorld {
  app: FastifyInstance;
  /** Headers with a key of the world's tenant. */
  auth: { authorization: string };
  /** Headers with a key of another tenant. */
  stranger: { authorization: string };
  /** Queued sync_binding jobs of a binding: their payloads and keys. */
  passJobs(bindingId: string): Promise<Array<{ key: string | null; payload: Record<string, unknown> }>>;
  clearJobs(): Promise<void>;
  /** A request with the world's key (or `headers`): its status and JSON body. */
  call(method: Method, url: string, payload?: object, headers?: Record<string, string>): Promise<{ status: number; body: Json }>;
  /** A request that must be refused with `status` and `code` and change nothing in the database; its body. */
  refusedUnchanged(method: Method, url: string, payload: object | undefined, status: number, code: string, headers?: Record<string, string>): Promise<Json>;
}

export type Json = Record<string, any>;
type Method = 'GET' | 'POST' | 'PATCH';

export async function operatorWorld(t: TestDatabase, options: { sliceSize?: number } = {}): Promise<OperatorWorld> {
  const world = await engineWorld(t, options);
  const app = await appOn(t);
  const { key } = await createApiKey(t.db, world.tenantId, 'operator');
  const other = await createTenant(t.db, 'another tenant');
  const { key: otherKey } = await createApiKey(t.db, other.id, 'stranger');
  const auth = { authorization: `Bearer ${key}` };
  const call = async (method: Method, url: string, payload?: object, headers: Record<string, string> = auth) => {
    const res = await app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
    return { status: res.statusCode, body: res.json() as Json };
  };
  return {
    ...world, app, auth,
    stranger: { authorization: `Bearer ${otherKey}` },
    async passJobs(bindingId) {
      const { rows } = await t.db.query<{ key: string | null; payload: Record<string, unknown> }>(
        `select j.key, p.payload from graphile_worker.jobs j join graphile_worker._private_jobs p using (id)
          where j.task_identifier = 'sync_binding' and p.payload ->> 'bindingId' = $1 order by j.id`, [bindingId]);
      return rows;
    },
    async clearJobs() {
      await t.db.query('delete from graphile_worker._private_jobs');
    },
    call,
    async refusedUnchanged(method, url, payload, status, code, headers = auth) {
      const before = await snapshot(t.db);
      const res = await call(method, url, payload, headers);
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(res.body.error.calsync.code, code);
      assert.deepEqual(await snapshot(t.db), before, `${method} ${url} ${JSON.stringify(payload ?? null)} changed something`);
      return res.body;
    },
  };
}
