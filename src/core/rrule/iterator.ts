// The occurrences of one rule from its start, in wall-clock seconds, each call into the
// iterator bounded by a shared Budget.
//
// Written here rather than taken from ical.js or a package because none bounds its
// work: ical.js loops inside one next() call for SECONDLY to WEEKLY rules whose filters
// never match (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30 never returns; its guard covers
// MONTHLY and YEARLY only); the npm package rrule (2.8) walks to the year 9999 (8-10 s
// for that rule) and skips valid SECONDLY instances (BYMONTH=2;BYMONTHDAY=29 from 2025
// gives 2040 first, not 2028); rrule-temporal (2.2) stops every rule at 10,000 iterations
// with an error, valid rare ones too (every Monday 29 February, once in 28 to 40 years).
//
// Rules finer than DAILY jump over days their day filters refuse and over hours,
// minutes and seconds their time filters refuse, so a second-by-second walk never
// happens. Coarser rules walk period by period; since the calendar repeats every 400
// years, a run of empty periods as long as that cycle proves the rule never occurs
// again (`ended === 'never'`).
//
// The start is always the first instance and counts towards COUNT (RFC 5545 §3.8.5.3
// and §3.3.10), also where the rule would not generate it: Google shows such a start
// too (googleapis/google-api-nodejs-client#2214), though it then adds COUNT instances.
import { Budget } from './budget.ts';
import {
  CYCLE_DAYS, CYCLE_MONTHS, CYCLE_WEEKS, CYCLE_YEARS, DAY_SECONDS, LAST_DAY, LAST_YEAR, civil, weekStart,
} from './calendar.ts';
import { DayCursor, allowedDays, dayInfo, dayMatches, monthOfIndex, yearOf } from './days.ts';
import { DAILY, MONTHLY, WEEKLY, YEARLY, type Rule } from './parse.ts';
import { patternOf, type Pattern, type Start } from './pattern.ts';

/** Why an iterator stopped: its COUNT or UNTIL, a pattern that has no further date, or the year 9999. */
export type Ending = 'count' | 'until' | 'never' | 'calendar';

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);
const UNIT_SECONDS = [1, 60, 3600];

interface Grid {
  /** Occurrence days (DAILY and coarser) or the period's start in seconds (finer). */
  days: number[];
  base: number;
  picks: number[] | null;
  size: number;
}

/** BYSETPOS: the positions it picks from a set of `size`, sorted; null for all. */
function picksOf(setPos: number[] | null, size: number): number[] | null {
  if (setPos === null) return null;
  const picks = setPos.map((p) => (p > 0 ? p - 1 : size + p)).filter((i) => i >= 0 && i < size);
  return [...new Set(picks)].sort((a, b) => a - b);
}

export class RuleIterator {
  readonly pattern: Pattern;
  private readonly rule: Rule;
  private readonly start: number;
  private readonly from: number;
  /** Period geometry: index 0 holds the start; origin and step in the period's unit. */
  private readonly origin: number;
  private readonly step: number;
  /** Empty periods in a row that prove the rule never occurs again (DAILY and coarser). */
  private readonly cycle: number;
  private counted = 0;
  private startPending = true;
  private period = -1;
  private emptyRun = 0;
  private grid: Grid | null = null;
  private position = 0;
  ended: Ending | null = null;

  /**
   * `from` (wall-clock seconds) lets the iterator start near it where that costs no
   * correctness: a rule without COUNT, or one whose every period holds the same number
   * of occurrences; occurrences before it may still come.
   */
  constructor(rule: Rule, start: Start, private readonly budget: Budget, from?: number) {
    this.rule = rule;
    this.pattern = patternOf(rule, start);
    this.start = start.seconds;
    this.from = from ?? -Infinity;
    const day = Math.floor(start.seconds / DAY_SECONDS);
    const date = civil(day);
    const { freq, interval } = rule;
    if (freq < DAILY) {
      const unit = UNIT_SECONDS[freq]!;
      [this.origin, this.step, this.cycle] = [Math.floor(start.seconds / unit) * unit, interval * unit, Infinity];
    } else if (freq === DAILY) [this.origin, this.step, this.cycle] = [day, interval, CYCLE_DAYS / gcd(interval, CYCLE_DAYS)];
    else if (freq === WEEKLY) [this.origin, this.step, this.cycle] = [weekStart(day, rule.wkst), 7 * interval, CYCLE_WEEKS / gcd(interval, CYCLE_WEEKS)];
    else if (freq === MONTHLY) [this.origin, this.step, this.cycle] = [date.year * 12 + date.month - 1, interval, CYCLE_MONTHS / gcd(interval, CYCLE_MONTHS)];
    else [this.origin, this.step, this.cycle] = [date.year, interval, CYCLE_YEARS / gcd(interval, CYCLE_YEARS)];
    if (freq <= DAILY && this.constantPicks()?.length === 0) this.ended = 'never';
    else if (from !== undefined && from > start.seconds) this.skipTo(from);
  }

  get exhausted(): boolean {
    return this.budget.exhausted;
  }

  /** The next occurrence in wall-clock seconds, or null: ended, or the budget is used up. */
  next(): number | null {
    const { count, until } = this.rule;
    // The start comes first also from a pattern that has no date at all.
    if (this.startPending) {
      this.startPending = false;
      if (until !== null && this.start > until.seconds) return this.end('until');
      this.counted = 1;
      if (this.start >= this.from) return this.start;
    }
    if (this.ended !== null || this.budget.exhausted) return null;
    for (;;) {
      if (count !== null && this.counted >= count) return this.end('count');
      const t = this.nextValue();
      if (t === null) return null;
      if (t <= this.start) continue;
      if (until !== null && t > until.seconds) return this.end('until');
      this.counted++;
      return t;
    }
  }

  private end(why: Ending): null {
    this.ended = why;
    return null;
  }

  private constantPicks(): number[] | null {
    return picksOf(this.rule.bySetPos, this.pattern.times.length);
  }

  private nextValue(): number | null {
    for (;;) {
      const grid = this.grid;
      if (grid !== null && this.position < grid.size) {
        if (!this.budget.spend()) return null;
        const index = grid.picks === null ? this.position : grid.picks[this.position]!;
        this.position++;
        const { times } = this.pattern;
        if (this.rule.freq < DAILY) return grid.base + times[index]!;
        return grid.days[Math.floor(index / times.length)]! * DAY_SECONDS + times[index % times.length]!;
      }
      this.grid = this.rule.freq < DAILY ? this.fineGrid(this.period + 1) : this.dayGrid(this.period + 1);
      this.position = 0;
      if (this.grid === null) return null;
    }
  }

  /** SECONDLY, MINUTELY, HOURLY: the first period from `k` its day and time filters allow. */
  private fineGrid(from: number): Grid | null {
    const p = this.pattern;
    let k = from;
    const jump = (target: number): number => ceilDiv(target - this.origin, this.step);
    for (;;) {
      if (!this.budget.spend()) return null;
      const t = this.origin + k * this.step;
      const day = Math.floor(t / DAY_SECONDS);
      if (day > LAST_DAY) return this.end('calendar');
      if (p.filtersDays && !dayMatches(p, dayInfo(day))) {
        const next = this.nextDay(day + 1);
        if (next === null) return null;
        k = jump(next * DAY_SECONDS);
        continue;
      }
      const ofDay = t - day * DAY_SECONDS;
      const [hour, minute, second] = [Math.floor(ofDay / 3600), Math.floor(ofDay / 60) % 60, ofDay % 60];
      const dayStart = day * DAY_SECONDS;
      if (p.hours !== null && !p.hours[hour]) k = jump(nextAllowed(p.hours, hour, dayStart, 3600));
      else if (p.minutes !== null && !p.minutes[minute]) k = jump(nextAllowed(p.minutes, minute, dayStart + hour * 3600, 60));
      else if (p.seconds !== null && !p.seconds[second]) k = jump(nextAllowed(p.seconds, second, dayStart + hour * 3600 + minute * 60, 1));
      else {
        this.period = k;
        const picks = this.constantPicks();
        return { days: [], base: t, picks, size: picks?.length ?? p.times.length };
      }
    }
  }

  /** The first allowed day from `from`, within one 400-year cycle. */
  private nextDay(from: number): number | null {
    const cursor = new DayCursor(from);
    for (let i = 0; i < CYCLE_DAYS; i++, cursor.advance()) {
      if (cursor.n > LAST_DAY) return this.end('calendar');
      if (!this.budget.spend()) return null;
      if (dayMatches(this.pattern, cursor)) return cursor.n;
    }
    return this.end('never');
  }

  /** DAILY and coarser: the first period from `k` with an occurrence. */
  private dayGrid(from: number): Grid | null {
    const { freq } = this.rule;
    const times = this.pattern.times.length;
    for (let k = from; ; k++) {
      let first: number;
      let length: number;
      if (freq === DAILY) [first, length] = [this.origin + k * this.step, 1];
      else if (freq === WEEKLY) [first, length] = [this.origin + k * this.step, 7];
      else if (freq === MONTHLY) [first, length] = monthOfIndex(this.origin + k * this.step);
      else {
        const year = this.origin + k * this.step;
        if (year > LAST_YEAR) return this.end('calendar');
        [first, length] = yearOf(year);
      }
      if (first > LAST_DAY) return this.end('calendar');
      const excluded = this.monthExcluded(freq, first);
      if (!this.budget.spend(excluded ? 1 : length)) return null;
      let days: number[];
      if (excluded) days = [];
      else if (freq === DAILY) days = !this.pattern.filtersDays || dayMatches(this.pattern, dayInfo(first)) ? [first] : [];
      else days = allowedDays(this.pattern, first, Math.min(length, LAST_DAY - first + 1));
      const picks = picksOf(this.rule.bySetPos, days.length * times);
      const size = picks?.length ?? days.length * times;
      if (size > 0) {
        this.period = k;
        this.emptyRun = 0;
        return { days, base: 0, picks, size };
      }
      if (++this.emptyRun >= this.cycle) return this.end('never');
    }
  }

  /** A MONTHLY period in a month BYMONTH leaves out has no day: skip its days unlooked at. */
  private monthExcluded(freq: number, first: number): boolean {
    return freq === MONTHLY && this.pattern.months !== null && !this.pattern.months[civil(first).month];
  }

  /** Moves to the period holding `from`, where the rule allows it (see the constructor). */
  private skipTo(from: number): void {
    const { freq, count } = this.rule;
    const fromDay = Math.floor(from / DAY_SECONDS);
    let k: number;
    if (freq < DAILY) k = Math.floor((from - this.origin) / this.step);
    else if (freq === MONTHLY) {
      const date = civil(fromDay);
      k = Math.floor((date.year * 12 + date.month - 1 - this.origin) / this.step);
    } else if (freq === YEARLY) k = Math.floor((civil(fromDay).year - this.origin) / this.step);
    else k = Math.floor((fromDay - this.origin) / this.step);
    if (k <= 0) return;
    if (count !== null) {
      const p = this.pattern;
      const uniform = freq <= DAILY && !p.filtersDays && p.hours === null && p.minutes === null && p.seconds === null;
      if (!uniform) return;
      // Every period holds the same occurrences: count those the jump passes over.
      const perPeriod = this.constantPicks()?.length ?? p.times.length;
      const first = freq < DAILY ? this.fineGrid(0) : this.dayGrid(0);
      let inFirst = 0;
      for (let i = 0; first !== null && i < first.size; i++) {
        const index = first.picks === null ? i : first.picks[i]!;
        const t = freq < DAILY ? first.base + p.times[index]! : first.days[0]! * DAY_SECONDS + p.times[index]!;
        if (t > this.start) inFirst++;
      }
      // The start counted first, then what the skipped periods hold after it.
      this.counted = 1 + inFirst + (k - 1) * perPeriod;
      this.startPending = false;
      if (this.counted >= count) this.ended = 'count';
    }
    this.period = k - 1;
    this.grid = null;
  }
}

/** The start of the next allowed value after `current` (hour, minute or second), or of the block after. */
function nextAllowed(allowed: boolean[], current: number, base: number, unit: number): number {
  for (let v = current + 1; v < allowed.length; v++) if (allowed[v]) return base + v * unit;
  return base + allowed.length * unit;
}

