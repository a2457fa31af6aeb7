// A calendar in a fresh database with memory connectors behind its bindings, driven by
// the real engine (src/engine).
import assert from 'node:assert/strict';
import pino from 'pino';
import { MemoryConnector } from '../../src/connectors/memory/index.ts';
import type { EventSeries } from '../../src/core/model.ts';
import { syncBinding, type EngineDeps, type PassRequest, type PassResult } from '../../src/engine/sync-pass.ts';
import { createAccount } from '../../src/store/accounts.ts';
import { createBinding, type Binding, type BindingInput } from '../../src/store/bindings.ts';
import { createCalendar } from '../../src/store/calendars.ts';
import { withTransaction } from '../../src/store/db.ts';
import { deleteSeries, writeSeries } from '../../src/store/event-writes.ts';
import { listSeriesPage, type StoredSeries } from '../../src/store/events.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { createTenant } from '../../src/store/tenants.ts';
import type { TestDatabase } from './database.ts';

export interface EngineWorld {
  tenantId: string;
  calendarId: string;
  deps: EngineDeps;
  connectors: Map<string, MemoryConnector>;
  bind(name: string, input?: Partial<BindingInput>, connector?: MemoryConnector): Promise<Binding & { connector: MemoryConnector }>;
  pass(binding: { id: string }, request?: Partial<PassRequest>): Promise<PassResult>;
  appWrite(eventId: string | null, series: EventSeries): Promise<string>;
  appDelete(eventId: string): Promise<void>;
  calendarSeries(): Promise<StoredSeries[]>;
}

export async function engineWorld(t: TestDatabase, options: { sliceSize?: number } = {}): Promise<EngineWorld> {
  const tenantId = (await createTenant(t.db, 'engine')).id;
  const calendarId = (await createCalendar(t.db, tenantId, { summary: 'shared', timeZone: 'Europe/Berlin' })).id;
  const secrets = new Secrets(parseSecretKey(generateSecretKeyText()));
  const account = await createAccount(t.db, secrets, tenantId, { provider: 'caldav' });
  const connectors = new Map<string, MemoryConnector>();
  const deps: EngineDeps = {
    db: t.db,
    async connectorFor(binding) {
      const connector = connectors.get(binding.id);
      if (!connector) throw new Error(`no memory connector for binding ${binding.id}`);
      return connector;
    },
    logger: pino({ level: 'silent' }),
    now: () => new Date(),
    workerName: 'test-worker',
    debounceMs: 0,
    sliceSize: options.sliceSize,
  };
  const ctx = { tenantId, calendarId, actor: 'app' };
  return {
    tenantId, calendarId, deps, connectors,
    async bind(name, input = {}, connector = new MemoryConnector()) {
      connector.addCalendar(name);
      const binding = await createBinding(t.db, tenantId, { calendarId, accountId: account.id, remoteCalendarId: name, ...input });
      connectors.set(binding.id, connector);
      return { ...binding, connector };
    },
    pass: (binding, request = {}) => syncBinding(deps, { tenantId, bindingId: binding.id, trigger: 'manual', ...request }),
    appWrite: async (eventId, series) => (await withTransaction(t.db, (c) => writeSeries(c, ctx, eventId, series))).eventId,
    appDelete: async (eventId) => { await withTransaction(t.db, (c) => deleteSeries(c, ctx, eventId)); },
    async calendarSeries() {
      const all: StoredSeries[] = [];
      for (let after: string | null = null; ;) {
        const page = await listSeriesPage(t.db, tenantId, calendarId, after, 500);
        if (page.length === 0) return all;
        all.push(...page);
        after = page.at(-1)!.eventId;
      }
    },
  };
}

/**
 * Passes of every binding, round after round, until a round writes nothing; the number
 * of rounds. Each pass must end ok (or partial, where `partialOk`): anything else fails.
 */
export async function converge(world: Pick<EngineWorld, 'pass'>, bindings: Array<{ id: string }>, options: { rounds?: number; partialOk?: boolean } = {}): Promise<number> {
  const allowed = options.partialOk === false ? ['ok'] : ['ok', 'partial'];
  for (let round = 1; round <= (options.rounds ?? 6); round++) {
    let writes = 0;
    for (const b of bindings) {
      const r = await world.pass(b);
      assert.ok(allowed.includes(r.outcome), `pass outcome ${r.outcome}: ${JSON.stringify(r.error ?? r.stop)}`);
      writes += r.stats.calendarWrites + r.stats.remoteWrites;
    }
    if (writes === 0) return round;
  }
  throw new Error('did not converge');
}

/** A binding's memory remote, as the engine and operator worlds bind them. */
export type MemorySide = { connector: MemoryConnector; remoteCalendarId: string };

/** The remote item of `uid` on a binding's memory remote. */
export function remoteItemOf(side: MemorySide, uid: string): ReturnType<MemoryConnector['liveItems']>[number] {
  return side.connector.liveItems(side.remoteCalendarId).find((i) => i.series.uid === uid)!;
}

/** A person changes fields of the master of `uid` on a binding's memory remote. */
export function editRemoteMaster(side: MemorySide, uid: string, change: Record<string, unknown>): void {
  const item = remoteItemOf(side, uid);
  side.connector.userUpdate(side.remoteCalendarId, item.remoteId, { ...item.series, master: { ...item.series.master!, ...change } });
}
