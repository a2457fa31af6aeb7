// How much work one expansion may do. Every day looked at and every occurrence walked
// costs a step, so each call into an iterator does a bounded amount of work; a clock,
// when the caller injects one (the core reads none itself), adds a deadline, checked
// every 128 steps (an occurrence placed in time costs some microseconds).
export interface BudgetOptions {
  /** Steps at most. */
  steps: number;
  /** Milliseconds at most, measured with `clock`. */
  ms?: number;
  /** Milliseconds from any fixed point, e.g. performance.now. */
  clock?: () => number;
}

export class Budget {
  private left: number;
  private sinceCheck = 0;
  private readonly deadline: number | null;
  private readonly clock: (() => number) | null;
  exhausted = false;

  constructor(options: BudgetOptions) {
    this.left = options.steps;
    this.clock = options.clock ?? null;
    this.deadline = this.clock !== null && options.ms !== undefined ? this.clock() + options.ms : null;
  }

  /** Takes `n` steps; false (and exhausted) once the steps or the time are used up. */
  spend(n = 1): boolean {
    if (this.exhausted) return false;
    this.left -= n;
    this.sinceCheck += n;
    if (this.left < 0) this.exhausted = true;
    else if (this.deadline !== null && this.sinceCheck >= 128) {
      this.sinceCheck = 0;
      if (this.clock!() > this.deadline) this.exhausted = true;
    }
    return !this.exhausted;
  }
}
