// The fault engine both emulators share: a checked configuration, one seeded generator,
// scripted faults, a token bucket over API requests, latency and the fate of
// notifications. What an error kind answers is the provider's: it passes the list of
// its kinds and a function that builds the error for one. Every API request draws the
// same number of values whatever is configured, so changing one rate does not shift the
// faults of the other kinds, and a run replays from its seed.
import { seededRandom } from './random.ts';

export interface ScriptedFault<Kind extends string> {
  kind: Kind;
  /** Only requests with this method (GET, POST, PUT, PATCH, DELETE). */
  method?: string;
  /** Only requests to this route, as registered. */
  route?: string;
  /** How many matching requests get it (default 1). */
  times?: number;
}

/** The members every provider's fault configuration has; E: error kinds, S: scripted-only kinds. */
export interface BaseFaultConfig<E extends string, S extends string> {
  /** Seed of the generator (default 1). Setting faults restarts it. */
  seed?: number;
  /** Probability (0..1) per API request of each error; at most one error per request. */
  errorRates?: Partial<Record<E, number>>;
  /** Retry-After of the throttling answers, in seconds (default 1). */
  retryAfterSeconds?: number;
  /** Added latency per API request: fixed, or uniform in [min, max]. */
  latencyMs?: number | { min: number; max: number };
  /** A token bucket over all API requests. */
  rateLimit?: { requestsPerSecond: number; burst?: number };
  /** Faults for the next matching requests, in order, before any random ones. */
  script?: ScriptedFault<E | S>[];
  notifications?: {
    /** Probability that a notification is never sent. */
    dropRate?: number;
    /** Probability that a notification is sent twice. */
    duplicateRate?: number;
    /** Delay before each delivery, in milliseconds. */
    delayMs?: number;
  };
}

export interface FaultProvider<E extends string, C, Err> {
  /** The error kinds, in the order random errors are drawn. */
  kinds: readonly E[];
  /** The configuration checked member by member; throws the provider's 400. */
  check(x: unknown): C;
  /** The error a kind answers. */
  error(kind: E, retryAfterSeconds: number): Err;
  /** The kind a request past the rate limit gets. */
  rateLimitKind(config: C): E;
}

export interface Decision<S extends string, Err> {
  /** Answer this instead of handling the request. */
  error: Err | null;
  /** A scripted fault that is not an error (a lost answer, a repeated page…). */
  scripted: S | null;
  /** The random lost answer drew true. */
  lost: boolean;
  latencyMs: number;
}

export class Faults<E extends string, S extends string, C extends BaseFaultConfig<E, S>, Err> {
  protected config = {} as C;
  private random = seededRandom(1);
  private script: ScriptedFault<E | S>[] = [];
  private bucket = { tokens: 0, at: 0 };

  constructor(protected readonly now: () => number, private readonly provider: FaultProvider<E, C, Err>) {}

  set(config: unknown): C {
    this.config = this.provider.check(config);
    this.random = seededRandom(this.config.seed ?? 1);
    this.script = (this.config.script ?? []).map((s) => ({ ...s, times: s.times ?? 1 }));
    const limit = this.config.rateLimit;
    this.bucket = { tokens: limit ? (limit.burst ?? limit.requestsPerSecond) : 0, at: this.now() };
    return this.get();
  }

  get(): C {
    return structuredClone(this.config);
  }

  clear(): void {
    this.set({});
  }

  get retryAfterSeconds(): number {
    return this.config.retryAfterSeconds ?? 1;
  }

  /**
   * What happens to one API request. Draws exactly three values. `applies` says whether a
   * scripted kind can hit this request; `lostRate` is the chance its answer is lost (0 for
   * requests that change nothing).
   */
  protected draw(method: string, route: string, applies: (kind: E | S) => boolean, lostRate: number): Decision<S, Err> {
    const [errorDraw, lostDraw, latencyDraw] = [this.random(), this.random(), this.random()];
    const latency = this.config.latencyMs;
    const latencyMs = typeof latency === 'number' ? latency : latency ? latency.min + (latency.max - latency.min) * latencyDraw : 0;
    const none: Decision<S, Err> = { error: null, scripted: null, lost: false, latencyMs };
    const scripted = this.script.find((s) => (s.method === undefined || s.method.toUpperCase() === method) && (s.route === undefined || s.route === route)
      && applies(s.kind));
    if (scripted) {
      scripted.times! -= 1;
      if (scripted.times === 0) this.script.splice(this.script.indexOf(scripted), 1);
      return this.isError(scripted.kind)
        ? { ...none, error: this.provider.error(scripted.kind, this.retryAfterSeconds) }
        : { ...none, scripted: scripted.kind as S };
    }
    if (this.rateLimited()) return { ...none, error: this.provider.error(this.provider.rateLimitKind(this.config), this.retryAfterSeconds) };
    let threshold = 0;
    for (const kind of this.provider.kinds) {
      threshold += this.config.errorRates?.[kind] ?? 0;
      if (errorDraw < threshold) return { ...none, error: this.provider.error(kind, this.retryAfterSeconds) };
    }
    return { ...none, lost: lostDraw < lostRate };
  }

  /** One more value from the generator, for provider-specific draws. */
  protected next(): number {
    return this.random();
  }

  private isError(kind: E | S): kind is E {
    return (this.provider.kinds as readonly string[]).includes(kind);
  }

  private rateLimited(): boolean {
    const limit = this.config.rateLimit;
    if (!limit) return false;
    const now = this.now();
    const burst = limit.burst ?? limit.requestsPerSecond;
    this.bucket.tokens = Math.min(burst, this.bucket.tokens + ((now - this.bucket.at) / 1000) * limit.requestsPerSecond);
    this.bucket.at = now;
    if (this.bucket.tokens >= 1) {
      this.bucket.tokens -= 1;
      return false;
    }
    return true;
  }

  /** What happens to one notification. Draws exactly two values. */
  notificationFate(): { drop: boolean; duplicate: boolean; delayMs: number } {
    const [dropDraw, duplicateDraw] = [this.random(), this.random()];
    const n = this.config.notifications ?? {};
    return { drop: dropDraw < (n.dropRate ?? 0), duplicate: duplicateDraw < (n.duplicateRate ?? 0), delayMs: n.delayMs ?? 0 };
  }
}
