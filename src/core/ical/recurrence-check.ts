// The check every edge that takes a recurrence in runs it through (the app API's
// writes, connectors reading a provider's items, a pass planning them): a rule that
// cannot be read, has parts RFC 5545 forbids together, can be seen never to occur
// (src/core/rrule/never.ts), would end past what the store holds, or has no instance
// after its start within a bounded probe is refused with a sentence saying what to fix.
// The probe is what keeps this safe without a list of cases: whatever the reasoning
// misses, a rule whose next instance cannot be found in PROBE_STEPS steps is refused.
import { CoreError } from '../errors.ts';
import type { CanonicalEvent, EventSeries } from '../model.ts';
import { LATEST_END, ruleEndMs } from '../rrule/bound.ts';
import { Budget } from '../rrule/budget.ts';
import { RuleIterator } from '../rrule/iterator.ts';
import { neverReason, structureProblem } from '../rrule/never.ts';
import { RuleError } from '../rrule/parse.ts';
import { validateSeries } from '../validate.ts';
import { icalExtras } from './extras.ts';
import { ruleTerms, type RuleTerms } from './rule-terms.ts';

/**
 * Steps of the probe: enough to walk one whole 400-year cycle of days (146,097) or of
 * DAILY periods, which proves a rule never occurs; some 20 ms of work at most.
 */
const PROBE_STEPS = 400_000;
const DAY_MS = 86_400_000;

export interface RecurrenceProblem {
  /** The RRULE the problem is in (index into recurrence.rrule); null for the RDATEs. */
  rule: number | null;
  message: string;
}

/** Milliseconds of a local date or time read as UTC (a day off its zone's at most). */
const asUtc = (local: string): number => Date.parse(`${local.includes('T') ? local : `${local}T00:00:00`}Z`);

function ruleProblem(text: string, terms: RuleTerms, master: CanonicalEvent): string | null {
  let rule;
  try {
    rule = terms.rule(text);
  } catch (e) {
    if (!(e instanceof RuleError)) throw e;
    return `RRULE "${text}" cannot be read: ${e.message}`;
  }
  const structure = structureProblem(rule, master.allDay);
  if (structure !== null) return `RRULE "${text}": ${structure}`;
  const never = neverReason(rule, terms.start);
  if (never !== null) return `RRULE "${text}" never occurs: ${never}`;
  const startMs = asUtc(master.start.local);
  const end = ruleEndMs(text, startMs);
  // The store's bound adds the instance's length; a day of margin covers the zone.
  if (end !== null && end + Math.max(0, asUtc(master.end.local) - startMs) + DAY_MS > LATEST_END) {
    return rule.count !== null
      ? `RRULE "${text}": COUNT=${rule.count} runs the series past the year 9999, the last one calsync stores; give a smaller COUNT, or none for a series without end`
      : `RRULE "${text}": UNTIL lies too close to the end of the year 9999, the last one calsync stores (it keeps a few days' margin for time zones); give an earlier UNTIL, or none for a series without end`;
  }
  const probe = new RuleIterator(rule, terms.start, new Budget({ steps: PROBE_STEPS }));
  probe.next();
  // Found a further instance, or the rule's own COUNT or UNTIL ended it: expandable.
  if (probe.next() !== null || probe.ended === 'count' || probe.ended === 'until') return null;
  if (probe.ended === 'never') {
    return `RRULE "${text}" never occurs after its start: its steps never reach a date that matches all its parts (checked over a whole 400-year cycle of the calendar, after which dates repeat); change its INTERVAL or BY parts so that some date does`;
  }
  if (probe.ended === 'calendar') {
    return `RRULE "${text}" has no instance after its start before the year 9999: change its INTERVAL or BY parts so that it recurs`;
  }
  return `RRULE "${text}" has no instance after its start within the ${PROBE_STEPS.toLocaleString('en')} steps calsync takes to find one: its instances lie too far apart to expand, or never come; simplify the rule (fewer BY parts, a smaller INTERVAL) or move its start`;
}

// Results by rule and start: a pass plans the same series again and again, and placing
// a zoned start in its wall clock costs more than looking the answer up. Ten thousand
// entries hold a large calendar's rules.
const cache = new Map<string, string | null>();
const CACHE_SIZE = 10_000;

function cachedRuleProblem(text: string, terms: () => RuleTerms, master: CanonicalEvent): string | null {
  // A custom VTIMEZONE's wall clock depends on its text: not cached.
  if (icalExtras(master).timezone !== undefined) return ruleProblem(text, terms(), master);
  const key = `${master.allDay ? 'D' : 'T'} ${master.start.local} ${master.start.tz} ${master.end.local} ${text}`;
  if (cache.has(key)) return cache.get(key)!;
  const problem = ruleProblem(text, terms(), master);
  if (cache.size >= CACHE_SIZE) cache.clear();
  cache.set(key, problem);
  return problem;
}

/** What is wrong with a master's recurrence, or null when calsync can expand it. */
export function recurrenceProblem(master: CanonicalEvent): RecurrenceProblem | null {
  const recurrence = master.recurrence;
  if (recurrence === null) return null;
  // Floating times are read in UTC here: their wall clock is the same in every zone.
  let terms: RuleTerms | undefined;
  const termsOnce = (): RuleTerms => (terms ??= ruleTerms(master, 'UTC'));
  for (const [index, text] of recurrence.rrule.entries()) {
    const message = cachedRuleProblem(text, termsOnce, master);
    if (message !== null) return { rule: index, message };
  }
  const length = Math.max(0, asUtc(master.end.local) - asUtc(master.start.local));
  const late = recurrence.rdate.find((local) => asUtc(local) + length + DAY_MS > LATEST_END);
  if (late !== undefined) return { rule: null, message: `RDATE ${late} lies too close to the end of the year 9999, the last one calsync stores; give an earlier date` };
  return null;
}

/**
 * Throws CoreError('INVALID_RECURRENCE') for a recurrence calsync cannot expand, its
 * path given by `pathOf` (the rule's index, null for the RDATEs), as each edge names it.
 */
export function checkRecurrence(master: CanonicalEvent, pathOf: (rule: number | null) => string): void {
  const problem = recurrenceProblem(master);
  if (problem !== null) throw new CoreError('INVALID_RECURRENCE', problem.message, pathOf(problem.rule));
}

/** checkRecurrence of a series' master, with the model's paths. */
export function checkSeriesRecurrence(series: EventSeries): void {
  validateSeries(series);
  if (series.master === null) return;
  checkRecurrence(series.master, (rule) => (rule === null ? 'master.recurrence.rdate' : `master.recurrence.rrule[${rule}]`));
}
