// Google's faults: its error kinds and their answers, lost responses (`lostWrite`), a
// rate limit answering a chosen kind, and message-number steps for channels. The engine
// (seeded draws, script, token bucket, latency, notification fates) is
// emulators/shared/faults.ts.
import { Faults as SharedFaults, type BaseFaultConfig, type ScriptedFault as SharedScriptedFault } from '../shared/faults.ts';
import { faultChecks } from '../shared/fault-checks.ts';
import { googleErrors, type GoogleApiError } from './errors.ts';

/** Errors answered before a request is handled (it changes nothing). */
export const ERROR_KINDS = ['backendError', 'rateLimitExceeded', 'userRateLimitExceeded', 'tooManyRequests', 'quotaExceeded'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** An error kind, or `lostWrite`: the request is carried out but answered 500 backendError. */
export type ScriptedFault = SharedScriptedFault<ErrorKind | 'lostWrite'>;

export interface FaultConfig extends BaseFaultConfig<ErrorKind, 'lostWrite'> {
  /** Probability that a write is carried out but answered 500 backendError (a lost response). */
  lostWriteRate?: number;
  /** Past the bucket requests get `kind` (default tooManyRequests). */
  rateLimit?: { requestsPerSecond: number; burst?: number; kind?: ErrorKind };
}

export interface RequestFault {
  /** Answer this instead of handling the request. */
  error: GoogleApiError | null;
  /** Handle the request, then answer 500 backendError. */
  lostWrite: boolean;
  latencyMs: number;
}

const bad = (message: string) => googleErrors.invalid(message);
const { probability, nonNegative, onlyMembers, scriptFilters, notifications } = faultChecks(bad);

function kindOf(x: unknown, path: string, allowLostWrite: boolean): ErrorKind | 'lostWrite' {
  if ((ERROR_KINDS as readonly unknown[]).includes(x) || (allowLostWrite && x === 'lostWrite')) return x as ErrorKind;
  throw bad(`${path} must be one of ${[...ERROR_KINDS, ...(allowLostWrite ? ['lostWrite'] : [])].join(', ')}`);
}

/** A fault configuration checked member by member; anything else is a 400 naming the member. */
export function checkFaultConfig(x: unknown): FaultConfig {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw bad('the fault configuration must be a JSON object');
  const c = x as Record<string, unknown>;
  onlyMembers(c, ['seed', 'errorRates', 'lostWriteRate', 'retryAfterSeconds', 'latencyMs', 'rateLimit', 'script', 'notifications']);
  if (c.seed !== undefined && (typeof c.seed !== 'number' || !Number.isSafeInteger(c.seed))) throw bad('seed must be a whole number');
  const rates = (c.errorRates ?? {}) as Record<string, unknown>;
  if (typeof rates !== 'object' || rates === null) throw bad('errorRates must be an object');
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
    if (max < min) throw bad('latencyMs.max must not be below latencyMs.min');
  } else {
    nonNegative(c.latencyMs, 'latencyMs');
  }
  if (c.rateLimit !== undefined) {
    const r = c.rateLimit as Record<string, unknown>;
    if (typeof r !== 'object' || r === null) throw bad('rateLimit must be an object');
    if (!(typeof r.requestsPerSecond === 'number' && r.requestsPerSecond > 0)) throw bad('rateLimit.requestsPerSecond must be a number > 0');
    if (r.burst !== undefined && !(typeof r.burst === 'number' && r.burst >= 1)) throw bad('rateLimit.burst must be a number ≥ 1');
    if (r.kind !== undefined) kindOf(r.kind, 'rateLimit.kind', false);
  }
  if (c.script !== undefined) {
    if (!Array.isArray(c.script)) throw bad('script must be an array');
    c.script.forEach((s: unknown, i) => {
      const f = s as Record<string, unknown>;
      if (typeof f !== 'object' || f === null) throw bad(`script[${i}] must be an object`);
      kindOf(f.kind, `script[${i}].kind`, true);
      scriptFilters(f, i);
    });
  }
  notifications(c.notifications);
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

export class Faults extends SharedFaults<ErrorKind, 'lostWrite', FaultConfig, GoogleApiError> {
  constructor(now: () => number) {
    super(now, { kinds: ERROR_KINDS, check: checkFaultConfig, error: errorOf, rateLimitKind: (c) => c.rateLimit?.kind ?? 'tooManyRequests' });
  }

  /** What happens to one API request. Draws exactly three values from the generator. */
  decide(method: string, route: string, isWrite: boolean): RequestFault {
    const d = this.draw(method, route, (kind) => kind !== 'lostWrite' || isWrite, isWrite ? (this.config.lostWriteRate ?? 0) : 0);
    return { error: d.error, lostWrite: d.scripted === 'lostWrite' || d.lost, latencyMs: d.latencyMs };
  }

  /** A step for message numbers: 1 to 3, so numbers increase but are not consecutive. */
  messageNumberStep(): number {
    return 1 + Math.floor(this.next() * 3);
  }
}
