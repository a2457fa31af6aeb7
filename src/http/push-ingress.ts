// What the webhook routes need: notifications authenticated against their subscription
// by the provider's verifier (lookups from a short-lived cache), database work bounded
// however many forged ones arrive, and the passes notifications ask for gathered for a
// few milliseconds and queued in one statement, one per binding, before each of them is
// answered. A notification of a subscription the binding retired, with its secret, came
// from the provider (nobody else has the secret): its stop is queued, once per resource
// an hour. One per app (build makes it), never module state.
//
// Measured with bench/webhook-ingress.ts: without the gathering, every notification was a
// graphile-worker add_job of its own, the database's work per request.
import type { Notification, WebhookVerifier } from '../connectors/provider.ts';
import type { Db } from '../store/db.ts';
import { queuePassesSoon } from '../store/outbox.ts';
import { confirmPushChannel, findChannel, queuePushChannel, queueRetiredChannelStop, type ChannelOwner } from '../store/push-channels.ts';
import type { RateLimit } from './rate-limit.ts';

export interface PushIngressOptions {
  /** The debounce of the passes queued (CALSYNC_DEBOUNCE_MS). */
  debounceMs: number;
  /** How long notifications are gathered before their passes are queued. Default 5 ms. */
  gatherMs?: number;
  /**
   * How long a channel lookup is reused. Default 10 s (a renewed channel has a new id; the
   * old one's notifications in those seconds queue passes, then ask for its stop).
   */
  cacheMs?: number;
  /**
   * Channel lookups in the database (cache misses), all sources together. Past it a
   * notification is answered 503, which Google retries with backoff. Default 200 a second,
   * bursts of 1,000: a forged flood costs at most that many indexed queries.
   */
  lookups?: RateLimit;
  /**
   * Notifications that fail authentication (an unknown channel, a wrong token), per
   * source address. Past it the source's notifications are answered 503 before any
   * lookup. Default 10 a second, bursts of 50: Google sends only the channels it was given.
   */
  failuresPerSource?: RateLimit;
  /**
   * Stops of retired channels still delivered: at most one per resource in this window
   * (default an hour). A stop that failed is tried again by a later notification.
   */
  retiredStopWindowMs?: number;
  now?: () => number;
}

/** A notification's channel: its binding, a retired channel of one, or why it gets no work. */
export type Authentication = { owner: ChannelOwner } | { retired: ChannelOwner } | { refused: 'unknown' } | { busy: number };

interface Cached {
  owner: ChannelOwner | null;
  until: number;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Token buckets by key, refilled at `perSecond` up to `burst`. Not KeyRateLimiter
 * (rate-limit.ts), which keeps a bucket per API key for good: here the keys are source
 * addresses, so buckets idle long enough to be full again are forgotten. The inbound
 * sources' route (inbound-webhooks.ts) counts its failed signatures with them too.
 */
export class Buckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly limit: RateLimit, private readonly now: () => number) {}

  /** Whole seconds until a token is there; 0 when one is. */
  wait(key: string): number {
    return this.secondsUntilOne(this.tokens(key, this.now()));
  }

  /** Takes a token if there is one; the seconds to wait when there was none. */
  take(key: string): number {
    const now = this.now();
    const tokens = this.tokens(key, now);
    const wait = this.secondsUntilOne(tokens);
    this.buckets.set(key, { tokens: wait === 0 ? tokens - 1 : tokens, at: now });
    if (this.buckets.size > 10_000) this.forgetFull(now);
    return wait;
  }

  private secondsUntilOne(tokens: number): number {
    return tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.limit.perSecond));
  }

  private tokens(key: string, now: number): number {
    const bucket = this.buckets.get(key);
    return bucket ? Math.min(this.limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.limit.perSecond) : this.limit.burst;
  }

  private forgetFull(now: number): void {
    for (const [key] of this.buckets) if (this.tokens(key, now) >= this.limit.burst) this.buckets.delete(key);
  }
}

export class PushIngress {
  private readonly cache = new Map<string, Cached | Promise<ChannelOwner | null>>();
  private pending = new Map<string, { tenantId: string; bindingId: string }>();
  private waiting: Waiter[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly lookups: Buckets;
  private readonly failures: Buckets;
  /** Resource id → when this process last asked for a retired channel's stop on it. */
  private readonly stopsAsked = new Map<string, number>();

  constructor(private readonly db: Db, private readonly options: PushIngressOptions) {
    this.now = options.now ?? Date.now;
    this.lookups = new Buckets(options.lookups ?? { perSecond: 200, burst: 1000 }, this.now);
    this.failures = new Buckets(options.failuresPerSource ?? { perSecond: 10, burst: 50 }, this.now);
  }

  /**
   * The binding of the subscription a notification names, if the provider's verifier
   * finds the notification authentic for it (Google: its token is the channel's).
   * Where that needs a database lookup, a source that keeps failing and lookups past their
   * limit are `busy` (seconds to wait) first; a channel in the cache costs no database
   * work, so its notifications pass whoever else shares their source address.
   */
  async authenticate(source: string, notification: Notification, verifier: WebhookVerifier): Promise<Authentication> {
    const channelId = notification.subscriptionId;
    // calsync's subscription ids are UUIDs (Google takes channel ids of at most 64 characters, events.watch).
    if (channelId.length > 64) {
      this.failures.take(source);
      return { refused: 'unknown' };
    }
    const owner = await this.channel(channelId, source);
    if (typeof owner === 'number') return { busy: owner };
    // The verifier compares the secret in constant time; the subscription id is only a lookup key.
    if (owner !== null && verifier.authentic(notification, owner)) return owner.kind === 'retired' ? { retired: owner } : { owner };
    this.failures.take(source);
    return { refused: 'unknown' };
  }

  /**
   * A retired channel Google still delivers: its stop is queued with its binding's account,
   * at most once per resource and window (this process remembers, and the database decides
   * across processes). `notifiedResourceId` (X-Goog-Resource-ID) names the resource when
   * the watch never answered; the notification's token proved it Google's.
   */
  async stopRetired(channelId: string, owner: ChannelOwner, notifiedResourceId: string): Promise<void> {
    const resourceId = owner.resourceId || (notifiedResourceId.length <= 256 ? notifiedResourceId : '');
    if (resourceId === '') return;
    const now = this.now();
    const windowMs = this.options.retiredStopWindowMs ?? 3_600_000;
    const asked = this.stopsAsked.get(resourceId);
    if (asked !== undefined && asked > now - windowMs) return;
    this.stopsAsked.set(resourceId, now);
    if (this.stopsAsked.size > 10_000) for (const [id, at] of this.stopsAsked) if (at <= now - windowMs) this.stopsAsked.delete(id);
    try {
      await queueRetiredChannelStop(this.db, channelId, resourceId, new Date(now), windowMs);
    } catch (error) {
      // Not asked after all: Google's retry of this notification may ask again.
      this.stopsAsked.delete(resourceId);
      throw error;
    }
  }

  /** A pass of the binding, queued with the others gathered in the next few milliseconds; settles once it is queued. */
  schedule(owner: { tenantId: string; bindingId: string }): Promise<void> {
    this.pending.set(owner.bindingId, { tenantId: owner.tenantId, bindingId: owner.bindingId });
    const queued = new Promise<void>((resolve, reject) => this.waiting.push({ resolve, reject }));
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flushing = this.flushing.then(() => this.flush());
    }, this.options.gatherMs ?? 5);
    return queued;
  }

  /** The provider asks for the subscription to be renewed or made again (Graph's lifecycle notifications): the renewal job's, now. */
  resubscribe(owner: { tenantId: string; bindingId: string }): Promise<void> {
    return queuePushChannel(this.db, { tenantId: owner.tenantId, bindingId: owner.bindingId }, { resubscribe: true });
  }

  /** A channel's first (`sync`) message: it works. */
  confirm(channelId: string): Promise<void> {
    return confirmPushChannel(this.db, channelId, new Date(this.now()));
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

  /**
   * The channel's binding, null for an unknown channel, or the seconds to wait when the
   * source keeps failing or lookups are over their limit (checked only when a lookup is needed).
   */
  private async channel(channelId: string, source: string): Promise<ChannelOwner | null | number> {
    const hit = this.cache.get(channelId);
    if (hit instanceof Promise) return hit;
    if (hit && hit.until > this.now()) return hit.owner;
    const failing = this.failures.wait(source);
    if (failing > 0) return failing;
    const wait = this.lookups.take('all');
    if (wait > 0) return wait;
    const lookup = findChannel(this.db, channelId);
    this.cache.set(channelId, lookup);
    try {
      const owner = await lookup;
      // An unknown id is asked again sooner: it may be a channel being made right now; so is
      // one being made: its watch may fail within the second, and the channel be retired.
      const settled = owner !== null && owner.kind !== 'pending';
      this.cache.set(channelId, { owner, until: this.now() + (settled ? (this.options.cacheMs ?? 10_000) : 1000) });
      if (this.cache.size > 100_000) this.prune();
      return owner;
    } catch (error) {
      this.cache.delete(channelId);
      throw error;
    }
  }

  private async flush(): Promise<void> {
    const passes = [...this.pending.values()];
    const waiting = this.waiting;
    this.pending = new Map();
    this.waiting = [];
    try {
      await queuePassesSoon(this.db, passes, this.options.debounceMs);
      for (const waiter of waiting) waiter.resolve();
    } catch (error) {
      for (const waiter of waiting) waiter.reject(error);
    }
  }

  private prune(): void {
    const now = this.now();
    for (const [id, entry] of this.cache) if (!(entry instanceof Promise) && entry.until <= now) this.cache.delete(id);
  }
}
