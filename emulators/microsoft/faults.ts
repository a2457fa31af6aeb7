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
import { faultChecks } from '../shared/fault-checks.ts';
import { Faults as SharedFaults, type BaseFaultConfig, type ScriptedFault as SharedScriptedFault } from '../shared/faults.ts';
import { graphErrors, type GraphError } from './errors.ts';

export const ERROR_KINDS = ['tooManyRequests', 'serviceUnavailable', 'gatewayTimeout', 'mailboxConcurrency'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];
export type ScriptedKind = ErrorKind | 'lostAnswer' | 'repeatPage' | 'duplicateItem';
const SCRIPTED: readonly string[] = [...ERROR_KINDS, 'lostAnswer', 'repeatPage', 'duplicateItem'];

export type ScriptedFault = SharedScriptedFault<ScriptedKind>;

export interface FaultConfig extends BaseFaultConfig<ErrorKind, Exclude<ScriptedKind, ErrorKind>> {
  /** Probability that a write is carried out but its answer is lost. */
  lostAnswerRate?: number;
}

export interface RequestFault {
  error: GraphError | null;
  lostAnswer: boolean;
  repeatPage: boolean;
  duplicateItem: boolean;
  latencyMs: number;
}

const bad = (message: string) => graphErrors.badRequest(message);
const { probability, nonNegative, onlyMembers, scriptFilters, notifications } = faultChecks(bad);

/** A fault configuration checked member by member; anything else is a 400 naming the member. */
export function checkFaultConfig(x: unknown): FaultConfig {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw bad('the fault configuration must be a JSON object');
  const c = x as Record<string, unknown>;
  onlyMembers(c, ['seed', 'errorRates', 'lostAnswerRate', 'retryAfterSeconds', 'latencyMs', 'rateLimit', 'script', 'notifications']);
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
      scriptFilters(f, i);
    });
  }
  notifications(c.notifications);
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

export class Faults extends SharedFaults<ErrorKind, Exclude<ScriptedKind, ErrorKind>, FaultConfig, GraphError> {
  constructor(now: () => number) {
    super(now, { kinds: ERROR_KINDS, check: checkFaultConfig, error: errorOf, rateLimitKind: () => 'tooManyRequests' });
  }

  /** What happens to one API request. Draws exactly three values. */
  decide(method: string, route: string, isWrite: boolean, isDeltaPage: boolean): RequestFault {
    const d = this.draw(method, route, (kind) => (kind !== 'lostAnswer' || isWrite) && ((kind !== 'repeatPage' && kind !== 'duplicateItem') || isDeltaPage),
      isWrite ? (this.config.lostAnswerRate ?? 0) : 0);
    return {
      error: d.error, lostAnswer: d.scripted === 'lostAnswer' || d.lost, repeatPage: d.scripted === 'repeatPage', duplicateItem: d.scripted === 'duplicateItem', latencyMs: d.latencyMs,
    };
  }
}
