// Fault injection: Graph's throttling and outage answers, lost answers, latency, a
// request rate limit, repeated delta pages, and the fate of notifications, drawn from one
// seeded generator so a failing run replays with its seed. Every API request draws the
// same number of values whatever is configured.
// - 429 TooManyRequests with Retry-After, in seconds, fractional ones included (the
//   throttling page's own example answers "Retry-After: 2.128");
// - 503 serviceNotAvailable with Retry-After; 504 for a gateway timeout;
// - 429 ApplicationThrottled "Application is over its MailboxConcurrency limit." when a
//   fifth request for the mailbox arrives while four run ("Outlook service limits":
//   "4 concurrent requests" per app and mailbox); set by the `mailboxConcurrency` option;
// - a lost answer: the request is carried out, the client hears no answer (a socket
//   closed without a response; under inject, 504);
// - repeatPage: the next delta page request answers the page before it again, nextLink
//   included — the loop reported on Graph's issue trackers; duplicateItem: the next page
//   starts with the last item of the page before it again (duplicates across pages).
import { graphErrors, type GraphError } from './errors.ts';

export const ERROR_KINDS = ['tooManyRequests', 'serviceUnavailable', 'gatewayTimeout', 'mailboxConcurrency'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];
export type ScriptedKind = ErrorKind | 'lostAnswer' | 'repeatPage' | 'duplicateItem';
const SCRIPTED: readonly string[] = [...ERROR_KINDS, 'lostAnswer', 'repeatPage', 'duplicateItem'];

export interface ScriptedFault {
  kind: ScriptedKind;
  /** Only requests with this method. */
  method?: string;
  /** Only requests to this route, as registered: `/v1.0/me/events/:id`. */
  route?: string;
  /** How many matching requests get it (default 1). */
  times?: number;
}

export interface FaultConfig {
  seed?: number;
  /** Probability (0..1) per API request of each error; at most one per request. */
  errorRates?: Partial<Record<ErrorKind, number>>;
  /** Probability that a write is carried out but its answer is lost. */
  lostAnswerRate?: number;
  /** Retry-After of 429 and 503 answers, in seconds; fractions are sent as they are (default 1). */
  retryAfterSeconds?: number;
  latencyMs?: number | { min: number; max: number };
  /** A token bucket over all API requests; past it, 429 TooManyRequests. */
  rateLimit?: { requestsPerSecond: number; burst?: number };
  script?: ScriptedFault[];
  notifications?: { dropRate?: number; duplicateRate?: number; delayMs?: number };
}

export interface RequestFault {
  error: GraphError | null;
  lostAnswer: boolean;
  repeatPage: boolean;
  duplicateItem: boolean;
  latencyMs: number;
}

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

const bad = (message: string) => graphErrors.badRequest(message);

function probability(x: unknown, path: string): void {
  if (x !== undefined && (typeof x !== 'number' || !(x >= 0 && x <= 1))) throw bad(`${path} must be a number from 0 to 1`);
}

function nonNegative(x: unknown, path: string): void {
  if (x !== undefined && (typeof x !== 'number' || !(x >= 0) || !Number.isFinite(x))) throw bad(`${path} must be a number ≥ 0`);
}

/** A fault configuration checked member by member; anything else is a 400 naming the member. */
export function checkFaultConfig(x: unknown): FaultConfig {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw bad('the fault configuration must be a JSON object');
  const c = x as Record<string, unknown>;
  const known = ['seed', 'errorRates', 'lostAnswerRate', 'retryAfterSeconds', 'latencyMs', 'rateLimit', 'script', 'notifications'];
  for (const key of Object.keys(c)) if (!known.includes(key)) throw bad(`unknown member "${key}"`);
  if (c.seed !== undefined && !Number.isSafeInteger(c.seed)) throw bad('seed must be a whole number');
  if (c.errorRates !== undefined) {
    if (typeof c.errorRates !== 'object' || c.errorRates === null) throw bad('errorRates must be an object');
    for (const [kind, rate] of Object.entries(c.errorRates)) {
      if (!(ERROR_KINDS as readonly string[]).includes(kind)) throw bad(`errorRates.${kind}: kinds are ${ERROR_KINDS.join(', ')}`);
      probability(rate, `errorRates.${kind}`);
    }
  }
  probability(c.lostAnswerRate, 'lostAnswerRate');
  nonNegative(c.retryAfterSeconds, 'retryAfterSeconds');
  if (typeof c.latencyMs === 'object' && c.latencyMs !== null) {
    const l = c.latencyMs as Record<string, unknown>;
    nonNegative(l.min, 'latencyMs.min');
    nonNegative(l.max, 'latencyMs.max');
    if (typeof l.min !== 'number' || typeof l.max !== 'number' || l.max < l.min) throw bad('latencyMs needs min ≤ max');
  } else {
    nonNegative(c.latencyMs, 'latencyMs');
  }
  if (c.rateLimit !== undefined) {
    const r = c.rateLimit as Record<string, unknown>;
    if (typeof r !== 'object' || r === null || !(typeof r.requestsPerSecond === 'number' && r.requestsPerSecond > 0)) throw bad('rateLimit.requestsPerSecond must be a number > 0');
    if (r.burst !== undefined && !(typeof r.burst === 'number' && r.burst >= 1)) throw bad('rateLimit.burst must be a number ≥ 1');
  }
  if (c.script !== undefined) {
    if (!Array.isArray(c.script)) throw bad('script must be an array');
    c.script.forEach((s: unknown, i) => {
      const f = s as Record<string, unknown>;
      if (typeof f !== 'object' || f === null || !SCRIPTED.includes(f.kind as string)) throw bad(`script[${i}].kind must be one of ${SCRIPTED.join(', ')}`);
      if (f.method !== undefined && typeof f.method !== 'string') throw bad(`script[${i}].method must be a string`);
      if (f.route !== undefined && typeof f.route !== 'string') throw bad(`script[${i}].route must be a string`);
      if (f.times !== undefined && !(Number.isSafeInteger(f.times) && (f.times as number) >= 1)) throw bad(`script[${i}].times must be a whole number ≥ 1`);
    });
  }
  if (c.notifications !== undefined) {
    const n = c.notifications as Record<string, unknown>;
    if (typeof n !== 'object' || n === null) throw bad('notifications must be an object');
    probability(n.dropRate, 'notifications.dropRate');
    probability(n.duplicateRate, 'notifications.duplicateRate');
    nonNegative(n.delayMs, 'notifications.delayMs');
  }
  return structuredClone(c) as FaultConfig;
}

export function errorOf(kind: ErrorKind, retryAfterSeconds: number): GraphError {
  switch (kind) {
    case 'tooManyRequests': return graphErrors.tooManyRequests(retryAfterSeconds);
    case 'serviceUnavailable': return graphErrors.serviceUnavailable(retryAfterSeconds);
    case 'gatewayTimeout': return graphErrors.gatewayTimeout();
    case 'mailboxConcurrency': return graphErrors.mailboxConcurrency(retryAfterSeconds);
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

  get retryAfterSeconds(): number {
    return this.config.retryAfterSeconds ?? 1;
  }

  /** What happens to one API request. Draws exactly three values. */
  decide(method: string, route: string, isWrite: boolean, isDeltaPage: boolean): RequestFault {
    const [errorDraw, lostDraw, latencyDraw] = [this.random(), this.random(), this.random()];
    const latency = this.config.latencyMs;
    const latencyMs = typeof latency === 'number' ? latency : latency ? latency.min + (latency.max - latency.min) * latencyDraw : 0;
    const none: RequestFault = { error: null, lostAnswer: false, repeatPage: false, duplicateItem: false, latencyMs };
    const scripted = this.script.find((s) => (s.method === undefined || s.method.toUpperCase() === method) && (s.route === undefined || s.route === route)
      && (s.kind !== 'lostAnswer' || isWrite) && ((s.kind !== 'repeatPage' && s.kind !== 'duplicateItem') || isDeltaPage));
    if (scripted) {
      scripted.times! -= 1;
      if (scripted.times === 0) this.script.splice(this.script.indexOf(scripted), 1);
      if (scripted.kind === 'lostAnswer') return { ...none, lostAnswer: true };
      if (scripted.kind === 'repeatPage') return { ...none, repeatPage: true };
      if (scripted.kind === 'duplicateItem') return { ...none, duplicateItem: true };
      return { ...none, error: errorOf(scripted.kind, this.retryAfterSeconds) };
    }
    if (this.rateLimited()) return { ...none, error: errorOf('tooManyRequests', this.retryAfterSeconds) };
    let threshold = 0;
    for (const kind of ERROR_KINDS) {
      threshold += this.config.errorRates?.[kind] ?? 0;
      if (errorDraw < threshold) return { ...none, error: errorOf(kind, this.retryAfterSeconds) };
    }
    return { ...none, lostAnswer: isWrite && lostDraw < (this.config.lostAnswerRate ?? 0) };
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
