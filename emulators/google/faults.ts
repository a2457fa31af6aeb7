// Fault injection: errors by kind, lost responses, latency, a request rate limit, and
// the fate of notifications, all drawn from one seeded generator so that a failing run
// replays with the same seed. Every API request draws the same number of values whatever
// is configured, so changing one rate does not shift the faults of the other kinds.
import { googleErrors, type GoogleApiError } from './errors.ts';

/** Errors answered before a request is handled (it changes nothing). */
export const ERROR_KINDS = ['backendError', 'rateLimitExceeded', 'userRateLimitExceeded', 'tooManyRequests', 'quotaExceeded'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export interface ScriptedFault {
  /** An error kind, or `lostWrite`: the request is carried out but answered 500 backendError. */
  kind: ErrorKind | 'lostWrite';
  /** Only requests with this method (GET, POST, PUT, PATCH, DELETE). */
  method?: string;
  /** Only requests to this route, as registered: `/calendar/v3/calendars/:calendarId/events`. */
  route?: string;
  /** How many matching requests get it (default 1). */
  times?: number;
}

export interface FaultConfig {
  /** Seed of the generator (default 1). Setting faults restarts it. */
  seed?: number;
  /** Probability (0..1) per API request of each error; at most one error per request. */
  errorRates?: Partial<Record<ErrorKind, number>>;
  /** Probability that a write is carried out but answered 500 backendError (a lost response). */
  lostWriteRate?: number;
  /** Retry-After of 429 answers, in seconds (default 1). */
  retryAfterSeconds?: number;
  /** Added latency per API request: fixed, or uniform in [min, max]. */
  latencyMs?: number | { min: number; max: number };
  /** A token bucket over all API requests; past it requests get `kind` (default tooManyRequests). */
  rateLimit?: { requestsPerSecond: number; burst?: number; kind?: ErrorKind };
  /** Errors for the next matching requests, in order, before any random ones. */
  script?: ScriptedFault[];
  notifications?: {
    /** Probability that a notification is never sent. */
    dropRate?: number;
    /** Probability that a notification is sent twice (same message number). */
    duplicateRate?: number;
    /** Delay before each delivery, in milliseconds. */
    delayMs?: number;
  };
}

export interface RequestFault {
  /** Answer this instead of handling the request. */
  error: GoogleApiError | null;
  /** Handle the request, then answer 500 backendError. */
  lostWrite: boolean;
  latencyMs: number;
}

/** mulberry32: small, fast, and the same sequence for a seed on every platform. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function probability(x: unknown, path: string): number | undefined {
  if (x === undefined) return undefined;
  if (typeof x !== 'number' || !(x >= 0 && x <= 1)) throw googleErrors.invalid(`${path} must be a number from 0 to 1`);
  return x;
}

function nonNegative(x: unknown, path: string): number | undefined {
  if (x === undefined) return undefined;
  if (typeof x !== 'number' || !(x >= 0) || !Number.isFinite(x)) throw googleErrors.invalid(`${path} must be a number ≥ 0`);
  return x;
}

function kindOf(x: unknown, path: string, allowLostWrite: boolean): ErrorKind | 'lostWrite' {
  if ((ERROR_KINDS as readonly unknown[]).includes(x) || (allowLostWrite && x === 'lostWrite')) return x as ErrorKind;
  throw googleErrors.invalid(`${path} must be one of ${[...ERROR_KINDS, ...(allowLostWrite ? ['lostWrite'] : [])].join(', ')}`);
}

/** A fault configuration checked member by member; anything else is a 400 naming the member. */
export function checkFaultConfig(x: unknown): FaultConfig {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw googleErrors.invalid('the fault configuration must be a JSON object');
  const c = x as Record<string, unknown>;
  const known = new Set(['seed', 'errorRates', 'lostWriteRate', 'retryAfterSeconds', 'latencyMs', 'rateLimit', 'script', 'notifications']);
  for (const key of Object.keys(c)) if (!known.has(key)) throw googleErrors.invalid(`unknown member "${key}"`);
  if (c.seed !== undefined && (typeof c.seed !== 'number' || !Number.isSafeInteger(c.seed))) throw googleErrors.invalid('seed must be a whole number');
  const rates = (c.errorRates ?? {}) as Record<string, unknown>;
  if (typeof rates !== 'object' || rates === null) throw googleErrors.invalid('errorRates must be an object');
  for (const [kind, rate] of Object.entries(rates)) {
    kindOf(kind, `errorRates.${kind}`, false);
    probability(rate, `errorRates.${kind}`);
  }
  probability(c.lostWriteRate, 'lostWriteRate');
  nonNegative(c.retryAfterSeconds, 'retryAfterSeconds');
  if (typeof c.latencyMs === 'object' && c.latencyMs !== null) {
    const l = c.latencyMs as Record<string, unknown>;
    const min = nonNegative(l.min, 'latencyMs.min') ?? 0;
    const max = nonNegative(l.max, 'latencyMs.max') ?? 0;
    if (max < min) throw googleErrors.invalid('latencyMs.max must not be below latencyMs.min');
  } else {
    nonNegative(c.latencyMs, 'latencyMs');
  }
  if (c.rateLimit !== undefined) {
    const r = c.rateLimit as Record<string, unknown>;
    if (typeof r !== 'object' || r === null) throw googleErrors.invalid('rateLimit must be an object');
    if (!(typeof r.requestsPerSecond === 'number' && r.requestsPerSecond > 0)) throw googleErrors.invalid('rateLimit.requestsPerSecond must be a number > 0');
    if (r.burst !== undefined && !(typeof r.burst === 'number' && r.burst >= 1)) throw googleErrors.invalid('rateLimit.burst must be a number ≥ 1');
    if (r.kind !== undefined) kindOf(r.kind, 'rateLimit.kind', false);
  }
  if (c.script !== undefined) {
    if (!Array.isArray(c.script)) throw googleErrors.invalid('script must be an array');
    c.script.forEach((s: unknown, i) => {
      const f = s as Record<string, unknown>;
      if (typeof f !== 'object' || f === null) throw googleErrors.invalid(`script[${i}] must be an object`);
      kindOf(f.kind, `script[${i}].kind`, true);
      if (f.method !== undefined && typeof f.method !== 'string') throw googleErrors.invalid(`script[${i}].method must be a string`);
      if (f.route !== undefined && typeof f.route !== 'string') throw googleErrors.invalid(`script[${i}].route must be a string`);
      if (f.times !== undefined && !(Number.isSafeInteger(f.times) && (f.times as number) >= 1)) throw googleErrors.invalid(`script[${i}].times must be a whole number ≥ 1`);
    });
  }
  if (c.notifications !== undefined) {
    const n = c.notifications as Record<string, unknown>;
    if (typeof n !== 'object' || n === null) throw googleErrors.invalid('notifications must be an object');
    probability(n.dropRate, 'notifications.dropRate');
    probability(n.duplicateRate, 'notifications.duplicateRate');
    nonNegative(n.delayMs, 'notifications.delayMs');
  }
  return structuredClone(c) as FaultConfig;
}

function errorOf(kind: ErrorKind, retryAfterSeconds: number): GoogleApiError {
  switch (kind) {
    case 'backendError': return googleErrors.backendError();
    case 'rateLimitExceeded': return googleErrors.rateLimitExceeded();
    case 'userRateLimitExceeded': return googleErrors.userRateLimitExceeded();
    case 'quotaExceeded': return googleErrors.quotaExceeded();
    case 'tooManyRequests': return googleErrors.tooManyRequests(retryAfterSeconds);
  }
}

export class Faults {
  private config: FaultConfig = {};
  private random = seededRandom(1);
  private script: ScriptedFault[] = [];
  private bucket = { tokens: 0, at: 0 };

  constructor(private readonly now: () => number) {}

  set(config: unknown): FaultConfig {
    this.config = checkFaultConfig(config);
    this.random = seededRandom(this.config.seed ?? 1);
    this.script = (this.config.script ?? []).map((s) => ({ ...s, times: s.times ?? 1 }));
    const limit = this.config.rateLimit;
    this.bucket = { tokens: limit ? (limit.burst ?? limit.requestsPerSecond) : 0, at: this.now() };
    return this.get();
  }

  get(): FaultConfig {
    return structuredClone(this.config);
  }

  clear(): void {
    this.set({});
  }

  /** What happens to one API request. Draws exactly three values from the generator. */
  decide(method: string, route: string, isWrite: boolean): RequestFault {
    const [errorDraw, lostDraw, latencyDraw] = [this.random(), this.random(), this.random()];
    const retryAfter = this.config.retryAfterSeconds ?? 1;
    const latency = this.config.latencyMs;
    const latencyMs = typeof latency === 'number' ? latency : latency ? latency.min + (latency.max - latency.min) * latencyDraw : 0;

    const scripted = this.script.find((s) => (s.method === undefined || s.method.toUpperCase() === method) && (s.route === undefined || s.route === route)
      && (s.kind !== 'lostWrite' || isWrite));
    if (scripted) {
      scripted.times! -= 1;
      if (scripted.times === 0) this.script.splice(this.script.indexOf(scripted), 1);
      return scripted.kind === 'lostWrite'
        ? { error: null, lostWrite: true, latencyMs }
        : { error: errorOf(scripted.kind, retryAfter), lostWrite: false, latencyMs };
    }
    const limited = this.rateLimited();
    if (limited) return { error: errorOf(limited, retryAfter), lostWrite: false, latencyMs };
    let threshold = 0;
    for (const kind of ERROR_KINDS) {
      threshold += this.config.errorRates?.[kind] ?? 0;
      if (errorDraw < threshold) return { error: errorOf(kind, retryAfter), lostWrite: false, latencyMs };
    }
    return { error: null, lostWrite: isWrite && lostDraw < (this.config.lostWriteRate ?? 0), latencyMs };
  }

  private rateLimited(): ErrorKind | null {
    const limit = this.config.rateLimit;
    if (!limit) return null;
    const now = this.now();
    const burst = limit.burst ?? limit.requestsPerSecond;
    this.bucket.tokens = Math.min(burst, this.bucket.tokens + ((now - this.bucket.at) / 1000) * limit.requestsPerSecond);
    this.bucket.at = now;
    if (this.bucket.tokens >= 1) {
      this.bucket.tokens -= 1;
      return null;
    }
    return limit.kind ?? 'tooManyRequests';
  }

  /** What happens to one notification. Draws exactly two values from the generator. */
  notificationFate(): { drop: boolean; duplicate: boolean; delayMs: number } {
    const [dropDraw, duplicateDraw] = [this.random(), this.random()];
    const n = this.config.notifications ?? {};
    return { drop: dropDraw < (n.dropRate ?? 0), duplicate: duplicateDraw < (n.duplicateRate ?? 0), delayMs: n.delayMs ?? 0 };
  }

  /** A step for message numbers: 1 to 3, so numbers increase but are not consecutive. */
  messageNumberStep(): number {
    return 1 + Math.floor(this.random() * 3);
  }
}
