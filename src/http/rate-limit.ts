// Per-API-key rate limits: a token bucket per key, refilled at `perSecond` up to `burst`.
// A request takes one token; a batch takes one per part, as Google counts "a set of n
// requests batched together ... as n requests" (developers.google.com/calendar/api/guides/batch),
// and its parts then run without taking more. A request over the limit is refused in
// onRequest, before its body is read or its handler runs, so it changes nothing: 429
// rateLimitExceeded with Retry-After in whole seconds.
//
// The buckets live in this process's memory, so with N API processes a key gets up to N
// times the limit. A bucket shared in Postgres would cost a row write on every request.
//
// Not @fastify/rate-limit (11.x): its stores count requests in fixed windows (a key may
// send twice the limit across a window's edge) and add exactly one per request, so a
// batch cannot count as its parts.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CalsyncError } from '../errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `parts`: the handler charges the key itself, once it knows the cost (a batch). */
    rateLimitCost?: 'parts';
  }
}

export interface RateLimit {
  /** Tokens added per second: the sustained request rate. */
  perSecond: number;
  /** The bucket's size: requests a key may make at once. */
  burst: number;
}

export class KeyRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  /** Marks a batch's parts as paid for; random per process, so no client can send it. */
  private readonly prepaidToken = randomUUID();
  static readonly prepaidHeader = 'x-calsync-prepaid';

  constructor(private readonly limit: RateLimit, private readonly now: () => number = Date.now) {}

  /**
   * Takes `cost` tokens from the key's bucket: 0 when taken, else the whole seconds until
   * they will be there (and nothing is taken). A cost above the burst waits for a full
   * bucket rather than never passing.
   */
  take(key: string, cost: number): number {
    const now = this.now();
    const bucket = this.buckets.get(key);
    const tokens = bucket ? Math.min(this.limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.limit.perSecond) : this.limit.burst;
    const needed = Math.min(cost, this.limit.burst);
    if (tokens >= needed) {
      this.buckets.set(key, { tokens: tokens - needed, at: now });
      return 0;
    }
    this.buckets.set(key, { tokens, at: now });
    return Math.max(1, Math.ceil((needed - tokens) / this.limit.perSecond));
  }

  /** Charges the request's key `cost` requests, or throws RATE_LIMITED. */
  charge(request: FastifyRequest, cost: number): void {
    const apiKeyId = request.principal?.apiKeyId;
    if (!apiKeyId) throw new CalsyncError('UNAUTHENTICATED', 'missing API key');
    const retryAfterSeconds = this.take(apiKeyId, cost);
    if (retryAfterSeconds > 0) throw new CalsyncError('RATE_LIMITED', 'Rate Limit Exceeded', { apiKeyId, retryAfterSeconds });
  }

  /** Headers that let a batch's part through without charging it again. */
  prepaidHeaders(): Record<string, string> {
    return { [KeyRateLimiter.prepaidHeader]: this.prepaidToken };
  }

  /** Adds the limit to every route of `app` (a scope that authenticates first). */
  register(app: FastifyInstance): void {
    app.addHook('onRequest', async (request) => {
      if (request.headers[KeyRateLimiter.prepaidHeader] === this.prepaidToken) return;
      if (request.routeOptions.config.rateLimitCost === 'parts') return;
      this.charge(request, 1);
    });
  }
}
