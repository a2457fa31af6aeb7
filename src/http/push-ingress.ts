// What the webhook route needs to answer at once: channel lookups from a short-lived
// cache, and the passes notifications ask for gathered for a few milliseconds and queued
// in one statement, one per binding. One per app (build makes it), never module state.
// Measured with bench/webhook-ingress.ts: without the gathering, every notification was a
// graphile-worker add_job of its own, the database's work per request.
import type { Logger } from 'pino';
import type { Db } from '../store/db.ts';
import { queueChannelStop, queuePassesSoon } from '../store/outbox.ts';
import { confirmPushChannel, findBindingByResource, findChannel, type ChannelOwner } from '../store/push-channels.ts';

export interface PushIngressOptions {
  /** The debounce of the passes queued (CALSYNC_DEBOUNCE_MS). */
  debounceMs: number;
  /** How long notifications are gathered before their passes are queued. Default 5 ms. */
  gatherMs?: number;
  /** How long a channel lookup is reused. Default 10 s (a renewed channel has a new id). */
  cacheMs?: number;
  now?: () => number;
  logger?: Logger;
}

interface Cached {
  owner: ChannelOwner | null;
  until: number;
}

export class PushIngress {
  private readonly cache = new Map<string, Cached | Promise<ChannelOwner | null>>();
  private readonly pending = new Map<string, { tenantId: string; bindingId: string }>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly db: Db, private readonly options: PushIngressOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The binding of a channel, or null for one calsync does not know. */
  async channel(channelId: string): Promise<ChannelOwner | null> {
    const hit = this.cache.get(channelId);
    if (hit instanceof Promise) return hit;
    if (hit && hit.until > this.now()) return hit.owner;
    const lookup = findChannel(this.db, channelId);
    this.cache.set(channelId, lookup);
    try {
      const owner = await lookup;
      // An unknown id is asked again sooner: it may be a channel being made right now.
      this.cache.set(channelId, { owner, until: this.now() + (owner ? (this.options.cacheMs ?? 10_000) : 1000) });
      if (this.cache.size > 100_000) this.prune();
      return owner;
    } catch (error) {
      this.cache.delete(channelId);
      throw error;
    }
  }

  /** A pass of the binding, queued with the others gathered in the next few milliseconds. */
  schedule(owner: { tenantId: string; bindingId: string }): void {
    this.pending.set(owner.bindingId, { tenantId: owner.tenantId, bindingId: owner.bindingId });
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flushing = this.flushing.then(() => this.flush());
    }, this.options.gatherMs ?? 5);
  }

  /** A channel's first (`sync`) message: it works. */
  confirm(channelId: string): void {
    void confirmPushChannel(this.db, channelId, new Date(this.now())).catch((error) => this.fail('confirming a push channel', error));
  }

  /**
   * A channel calsync does not know: if it watches a calendar a binding watches, it is an
   * old channel of that binding (a renewal whose stop failed) and is stopped with that
   * binding's account; otherwise there is nothing to stop it with, and it expires.
   */
  async stray(channelId: string, resourceId: string): Promise<boolean> {
    if (resourceId === '') return false;
    const binding = await findBindingByResource(this.db, resourceId);
    if (!binding) return false;
    await queueChannelStop(this.db, binding, { id: channelId, resourceId });
    return true;
  }

  /** Queues what was gathered; called on close too. */
  async drain(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      this.flushing = this.flushing.then(() => this.flush());
    }
    await this.flushing;
  }

  private async flush(): Promise<void> {
    const passes = [...this.pending.values()];
    this.pending.clear();
    try {
      await queuePassesSoon(this.db, passes, this.options.debounceMs);
    } catch (error) {
      // Notifications are "not 100% reliable" anyway: the bindings' polls make up for these.
      this.fail(`queueing ${passes.length} push passes`, error);
    }
  }

  private prune(): void {
    const now = this.now();
    for (const [id, entry] of this.cache) if (!(entry instanceof Promise) && entry.until <= now) this.cache.delete(id);
  }

  private fail(what: string, error: unknown): void {
    this.options.logger?.warn({ err: error }, `push ingress: ${what} failed`);
  }
}
