// A VTIMEZONE read by its own rules (RFC 5545 §3.6.5): the offsets the producing client
// meant, from its STANDARD and DAYLIGHT observances, whatever zone its TZID names.
// Every loop is bounded: observance rules must be yearly, are followed for at most
// MAX_ONSETS onsets and RULE_STEPS steps of src/core/rrule, so a hostile VTIMEZONE costs
// milliseconds, never a stall.
import type { LocalDateTime } from '../model.ts';
import { Budget } from '../rrule/budget.ts';
import { RuleIterator } from '../rrule/iterator.ts';
import { YEARLY, parseRule, type Rule } from '../rrule/parse.ts';
import { components, unescapeText, type ContentLine, type RawComponent } from './lines.ts';
import { fieldsAsUtc, formatLocal, parseLocal, utcFields } from './zoned.ts';

/** Onsets followed in all: two yearly rules from 1601 (Outlook) to LAST_YEAR take 1,200. */
const MAX_ONSETS = 5_000;
/** Steps of the rule walk per observance: a yearly rule from 1601 looks at 600 years' days at most. */
const RULE_STEPS = 1_000_000;
const DAY = 86_400_000;

interface Transition {
  /** The instant of the onset. */
  at: number;
  /** Offsets in seconds east of UTC before and after it. */
  from: number;
  to: number;
}

interface Observance {
  from: number;
  to: number;
  /** Onsets as wall-clock fields read as UTC (the wall clock before the onset). */
  dates: number[];
  rule: Rule | null;
  start: LocalDateTime;
}

/**
 * Onsets of the rule every real zone uses (`FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU`, with or
 * without INTERVAL=1 and UNTIL), worked out per year rather than walked day by day.
 * Null for any other rule.
 */
function simpleOnsets(o: Observance, lastYear: number): number[] | null {
  const rule = o.rule!;
  const start = parseLocal(o.start);
  // Lotus Notes spells the onset's time out again (BYHOUR=2;BYMINUTE=0).
  const sameTime = (values: number[] | null, value: number): boolean => values === null || (values.length === 1 && values[0] === value);
  const day = rule.byDay?.length === 1 ? rule.byDay[0]! : null;
  const others = [rule.byMonthDay, rule.byYearDay, rule.byWeekNo, rule.bySetPos].some((v) => v !== null);
  if (rule.byMonth?.length !== 1 || day === null || day.ord === 0 || Math.abs(day.ord) > 5 || others || rule.count !== null || rule.interval !== 1) return null;
  if (!sameTime(rule.byHour, start.hour) || !sameTime(rule.byMinute, start.minute) || !sameTime(rule.bySecond, start.second)) return null;
  const month = rule.byMonth[0]!;
  const until = rule.until === null ? Infinity : rule.until.seconds * 1000;
  const nth = day.ord;
  const weekday = day.day;
  const onsets: number[] = [];
  for (let year = Math.max(start.year, 1800); year <= lastYear; year++) {
    const first = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
    const firstDay = 1 + ((weekday - first + 7) % 7);
    const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
    const day = nth > 0 ? firstDay + (nth - 1) * 7 : firstDay + Math.floor((days - firstDay) / 7) * 7 + (nth + 1) * 7;
    if (day < 1 || day > days) continue;
    const local = fieldsAsUtc({ ...start, year, month, day });
    if (local < fieldsAsUtc(start)) continue;
    if (local - o.from * 1000 > until) break;
    onsets.push(local);
  }
  return onsets;
}

/** The offsets a VTIMEZONE gives, as a client that follows only its observances reads them. */
export class VtimezoneRules {
  private readonly transitions: Transition[];
  /** The one offset of a zone that never changes, else null. */
  readonly fixed: number | null;
  /**
   * Instants the VTIMEZONE describes: from its first onset, to its last when it lists a
   * few dated transitions only (producers such as Roundcube write the ones near the
   * event), else on without end.
   */
  private readonly coverage: [number, number];

  constructor(observances: Observance[], lastYear: number) {
    const found: Transition[] = [];
    let open = false;
    for (const o of observances) {
      const onsets = [...o.dates];
      const simple = o.rule === null ? null : simpleOnsets(o, lastYear);
      if (o.rule !== null && o.rule.count === null && o.rule.until === null) open = true;
      if (simple !== null) onsets.push(...simple);
      else if (o.rule !== null) {
        const first = fieldsAsUtc(parseLocal(o.start)) / 1000;
        const iterator = new RuleIterator(o.rule, { seconds: first, allDay: false }, new Budget({ steps: RULE_STEPS }));
        for (;;) {
          const next = iterator.next();
          if (iterator.exhausted) throw new Error('observance rule too costly to follow');
          if (next === null || utcFields(next * 1000).year > lastYear) break;
          onsets.push(next * 1000);
          if (found.length + onsets.length > MAX_ONSETS) throw new Error('too many onsets');
        }
      }
      for (const local of onsets) found.push({ at: local - o.from * 1000, from: o.from, to: o.to });
      if (found.length > MAX_ONSETS) throw new Error('too many onsets');
    }
    found.sort((a, b) => a.at - b.at);
    this.transitions = found.filter((t, i) => i === 0 || t.at !== found[i - 1]!.at);
    const offsets = new Set(observances.flatMap((o) => [o.from, o.to]));
    this.fixed = offsets.size === 1 ? [...offsets][0]! : null;
    const first = this.transitions[0]!.at;
    const last = this.transitions[this.transitions.length - 1]!.at;
    this.coverage = this.fixed !== null ? [-Infinity, Infinity] : [first, open || this.transitions.length < 2 ? Infinity : last];
  }

  /** UTC offset in seconds at an instant; before the first onset, the first TZOFFSETFROM. */
  offsetAt(ms: number): number {
    const list = this.transitions;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.at <= ms) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? list[0]!.from : list[lo - 1]!.to;
  }

  describes(ms: number): boolean {
    return ms >= this.coverage[0] && ms <= this.coverage[1];
  }

  /**
   * The instant of a wall-clock time, with the RFC 5545 §3.3.5 rules zoned.ts follows:
   * a time in a gap takes the offset before it, a repeated time its first occurrence.
   */
  toInstant(local: LocalDateTime): number {
    const asUtc = fieldsAsUtc(parseLocal(local));
    const before = this.offsetAt(asUtc - DAY / 2) * 1000;
    const after = this.offsetAt(asUtc + DAY / 2) * 1000;
    const matches = [asUtc - before, asUtc - after].filter((t) => this.offsetAt(t) * 1000 === asUtc - t);
    return matches.length > 0 ? Math.min(...matches) : asUtc - before;
  }

  toLocal(ms: number): LocalDateTime {
    return formatLocal(utcFields(ms + this.offsetAt(ms) * 1000));
  }
}

const OFFSET = /^([+-])(\d{2})(\d{2})(\d{2})?$/;
const LOCAL = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z?$/;

const valueOf = (l: ContentLine): string => {
  let quoted = false;
  for (let i = 0; i < l.text.length; i++) {
    if (l.text[i] === '"') quoted = !quoted;
    else if (l.text[i] === ':' && !quoted) return l.text.slice(i + 1).trim();
  }
  return '';
};

function offset(l: ContentLine | undefined): number | null {
  const m = l === undefined ? null : OFFSET.exec(valueOf(l));
  if (m === null) return null;
  const seconds = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0);
  return seconds >= 24 * 3600 ? null : m[1] === '-' ? -seconds : seconds;
}

function local(value: string): LocalDateTime | null {
  const m = LOCAL.exec(value.trim());
  return m === null ? null : `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}`;
}

function observance(c: RawComponent): Observance | null {
  const get = (name: string): ContentLine | undefined => c.properties.find((p) => p.name === name);
  const from = offset(get('TZOFFSETFROM'));
  const to = offset(get('TZOFFSETTO'));
  const dtstart = get('DTSTART');
  const start = dtstart === undefined ? null : local(valueOf(dtstart));
  if (from === null || to === null || start === null) return null;
  const dates = [fieldsAsUtc(parseLocal(start))];
  for (const rdate of c.properties.filter((p) => p.name === 'RDATE')) {
    for (const v of valueOf(rdate).split(',')) {
      const at = local(v.split('/')[0]!);
      if (at === null) return null;
      dates.push(fieldsAsUtc(parseLocal(at)));
    }
  }
  const rrules = c.properties.filter((p) => p.name === 'RRULE');
  if (rrules.length > 1) return null;
  let rule: Rule | null = null;
  if (rrules.length === 1) {
    try {
      rule = parseRule(valueOf(rrules[0]!));
    } catch {
      return null;
    }
    // Every rule of a real zone is yearly; anything faster could take ages to follow.
    if (rule.freq !== YEARLY) return null;
  }
  return { from, to, dates, rule, start };
}

function parse(text: string, lastYear: number): VtimezoneRules | null {
  let root: RawComponent | undefined;
  try {
    root = components(text)[0];
  } catch {
    return null;
  }
  if (root === undefined || root.name !== 'VTIMEZONE') return null;
  const parts = root.components.filter((c) => c.name === 'STANDARD' || c.name === 'DAYLIGHT');
  if (parts.length === 0) return null;
  const observances: Observance[] = [];
  for (const part of parts) {
    const o = observance(part);
    if (o === null) return null;
    observances.push(o);
  }
  try {
    return new VtimezoneRules(observances, lastYear);
  } catch {
    return null;
  }
}

/** The TZID a VTIMEZONE text declares, unescaped, or null. */
export function vtimezoneTzid(text: string): string | null {
  const line = /^TZID(?:;[^:\r\n]*)?:(.*)$/m.exec(text);
  return line === null ? null : unescapeText(line[1]!.replace(/\r$/, ''));
}

// Transitions are worked out to this year; later instants keep the last offset.
const LAST_YEAR = 2200;
const cache = new Map<string, VtimezoneRules | null>();

/**
 * The rules of a VTIMEZONE, or null when a client cannot follow them: an observance
 * without DTSTART, TZOFFSETFROM or TZOFFSETTO, an unreadable offset, a rule that is not
 * yearly. Cached by text: a sync pass reads the same few zones again and again.
 */
export function vtimezoneRules(text: string): VtimezoneRules | null {
  if (cache.has(text)) return cache.get(text)!;
  const rules = parse(text, LAST_YEAR);
  if (cache.size >= 500) cache.clear();
  cache.set(text, rules);
  return rules;
}
