// Interrupts a sync pass at one of its awaits, as the world interrupts a worker: every
// database statement and provider call of the pass is a point, counted from 0. At the
// chosen point the pass's process dies (every open transaction is rolled back, as
// Postgres does when a connection drops, and every later call of the pass fails), or
// something happens beside the pass while it goes on: another worker takes its lease
// over after a stall, or the app writes the calendar.
import type pg from 'pg';
import type { Connector } from '../../src/connectors/connector.ts';
import type { Db } from '../../src/store/db.ts';

/** Thrown into a pass whose process died: nothing of it runs any more. */
export class ProcessDied extends Error {
  override readonly name = 'ProcessDied';
  constructor() {
    super('the process running this pass was killed');
  }
}

export type InterruptionKind = 'crash' | 'takeover' | 'app-write';

export interface Interruption {
  kind: InterruptionKind;
  /** The point at which it happens; a pass with fewer points is not interrupted. */
  at: number;
}

export interface InterposerHooks {
  /** Runs beside the pass (not awaited by it): a takeover or an app write. */
  beside(kind: Exclude<InterruptionKind, 'crash'>): Promise<void>;
}

export class Interposer {
  points = 0;
  dead = false;
  /** Set once the interruption happened. */
  fired: InterruptionKind | null = null;
  /** What happened beside the pass; the caller awaits it after the pass. */
  besides: Promise<void> = Promise.resolve();
  /** Provider writes the pass started after another worker took its lease over. */
  writesAfterTakeover = 0;
  /** Transactions the pass began after the takeover and committed. */
  commitsAfterTakeover = 0;
  private readonly clients = new Set<pg.PoolClient>();
  /** The pass holds its binding's lease: only then can another worker take it over. */
  private leased = false;

  constructor(private readonly interruption: Interruption | null, private readonly hooks: InterposerHooks) {}

  private async point(): Promise<void> {
    if (this.dead) throw new ProcessDied();
    const n = this.points++;
    if (this.interruption === null || n < this.interruption.at || this.fired !== null) return;
    // A takeover of a lease the pass does not hold yet is no takeover: it waits for one.
    if (this.interruption.kind === 'takeover' && !this.leased) return;
    this.fired = this.interruption.kind;
    if (this.interruption.kind === 'crash') {
      this.dead = true;
      // A dropped connection: Postgres rolls back whatever it had open.
      for (const client of this.clients) client.release(new ProcessDied());
      this.clients.clear();
      throw new ProcessDied();
    }
    this.besides = this.hooks.beside(this.interruption.kind);
  }

  db(pool: Db): Db {
    const ip = this;
    const wrapped = {
      async query(...args: unknown[]) {
        await ip.point();
        const result = await (pool.query as (...a: unknown[]) => Promise<{ rowCount?: number }>)(...args);
        if (typeof args[0] === 'string' && args[0].startsWith('update bindings set lease_owner = $3') && result.rowCount === 1) ip.leased = true;
        return result;
      },
      async connect() {
        await ip.point();
        const client = await pool.connect();
        if (ip.dead) {
          client.release(new ProcessDied());
          throw new ProcessDied();
        }
        ip.clients.add(client);
        return ip.client(client);
      },
    };
    return wrapped as unknown as Db;
  }

  private client(client: pg.PoolClient): pg.PoolClient {
    const ip = this;
    let released = false;
    let begunAfterTakeover = false;
    return {
      async query(...args: unknown[]) {
        const text = typeof args[0] === 'string' ? args[0] : '';
        if (text === 'begin') begunAfterTakeover = ip.fired === 'takeover';
        await ip.point();
        const result = await (client.query as (...a: unknown[]) => Promise<unknown>)(...args);
        if (text === 'commit' && begunAfterTakeover) ip.commitsAfterTakeover++;
        return result;
      },
      release(error?: Error | boolean) {
        if (released || !ip.clients.has(client)) return;
        released = true;
        ip.clients.delete(client);
        client.release(error);
      },
    } as unknown as pg.PoolClient;
  }

  connector(inner: Connector): Connector {
    const ip = this;
    // A write issued at the takeover's own point was started before the stall: in flight.
    const write = async <T>(call: () => Promise<T>): Promise<T> => {
      const after = ip.fired === 'takeover';
      await ip.point();
      if (after) ip.writesAfterTakeover++;
      return call();
    };
    return {
      capabilities: inner.capabilities,
      async listChanges(cal, cursor, pageToken) {
        await ip.point();
        return inner.listChanges(cal, cursor, pageToken);
      },
      create: (cal, series, options) => write(() => inner.create(cal, series, options)),
      update: (cal, id, series, options) => write(() => inner.update(cal, id, series, options)),
      delete: (cal, id, options) => write(() => inner.delete(cal, id, options)),
      ...(inner.read ? {
        async read(cal: string, id: string) {
          await ip.point();
          return inner.read!(cal, id);
        },
      } : {}),
    };
  }
}
