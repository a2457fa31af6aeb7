// Member checks of a fault configuration whose rule and message both emulators share;
// `bad` builds the provider's own 400. The members whose checks or messages differ
// (error kinds, latency bounds, the rate limit) stay in each provider's faults.ts.
type Bad = (message: string) => unknown;

export function faultChecks(bad: Bad) {
  const probability = (x: unknown, path: string): number | undefined => {
    if (x === undefined) return undefined;
    if (typeof x !== 'number' || !(x >= 0 && x <= 1)) throw bad(`${path} must be a number from 0 to 1`);
    return x;
  };
  const nonNegative = (x: unknown, path: string): number | undefined => {
    if (x === undefined) return undefined;
    if (typeof x !== 'number' || !(x >= 0) || !Number.isFinite(x)) throw bad(`${path} must be a number ≥ 0`);
    return x;
  };
  return {
    probability,
    nonNegative,
    /** No member outside `known`. */
    onlyMembers(c: Record<string, unknown>, known: readonly string[]): void {
      for (const key of Object.keys(c)) if (!known.includes(key)) throw bad(`unknown member "${key}"`);
    },
    /** The filters of `script[i]`, once its kind is checked. */
    scriptFilters(f: Record<string, unknown>, i: number): void {
      if (f.method !== undefined && typeof f.method !== 'string') throw bad(`script[${i}].method must be a string`);
      if (f.route !== undefined && typeof f.route !== 'string') throw bad(`script[${i}].route must be a string`);
      if (f.times !== undefined && !(Number.isSafeInteger(f.times) && (f.times as number) >= 1)) throw bad(`script[${i}].times must be a whole number ≥ 1`);
    },
    notifications(x: unknown): void {
      if (x === undefined) return;
      const n = x as Record<string, unknown>;
      if (typeof n !== 'object' || n === null) throw bad('notifications must be an object');
      probability(n.dropRate, 'notifications.dropRate');
      probability(n.duplicateRate, 'notifications.duplicateRate');
      nonNegative(n.delayMs, 'notifications.delayMs');
    },
  };
}
