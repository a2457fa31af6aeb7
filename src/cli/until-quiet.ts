// Passes of every binding of a calendar until the calendar is quiet, as `calsync sync
// --calendar` runs them. A binding passes again as soon as the calendar moved since its
// last pass started, so one binding pushes the first slices another binding pulled
// while that pull goes on, as debounced worker jobs would, instead of waiting for a
// whole round. Quiet: no pass is running, and every binding's last pass started at the
// calendar's current version and wrote nothing.

export interface QuietOptions {
  /** At most this many passes of one binding. */
  maxPasses: number;
  /** How often a binding with nothing to do looks whether the calendar moved. */
  idleWaitMs: number;
}

export interface Passes<R> {
  /** One pass of a binding; whether it wrote anything (calendar or remote). */
  run(bindingId: string): Promise<R & { wrote: boolean }>;
  /** The calendar's version now. */
  version(): Promise<number>;
}

export async function passesUntilQuiet<R>(bindingIds: string[], passes: Passes<R>, options: QuietOptions): Promise<Array<R & { wrote: boolean; bindingId: string }>> {
  const results: Array<R & { wrote: boolean; bindingId: string }> = [];
  // Per binding: the version its last pass started at, when that pass wrote nothing.
  const quietAt = new Map<string, number>();
  const finished = new Set<string>();
  let running = 0;
  // A pass that threw ends the run: the others stop waiting for a quiet it cannot reach.
  let failed = false;
  const waiting = new Set<() => void>();
  const wakeAll = (): void => {
    for (const wake of waiting) wake();
    waiting.clear();
  };
  const allQuiet = (current: number): boolean =>
    running === 0 && bindingIds.every((id) => finished.has(id) || quietAt.get(id) === current);

  await Promise.all(bindingIds.map(async (bindingId) => {
    for (let pass = 0; pass < options.maxPasses && !failed; pass++) {
      const startedAt = await passes.version();
      running++;
      quietAt.delete(bindingId);
      let result: R & { wrote: boolean };
      try {
        result = await passes.run(bindingId);
      } catch (error) {
        failed = true;
        throw error;
      } finally {
        running--;
        wakeAll();
      }
      results.push({ ...result, bindingId });
      if (result.wrote) continue;
      quietAt.set(bindingId, startedAt);
      // Wait until the calendar moves (pass again) or every binding is quiet (done).
      for (;;) {
        if (failed) return;
        const current = await passes.version();
        if (current !== startedAt) break;
        if (allQuiet(current)) {
          wakeAll();
          return;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => { waiting.delete(done); resolve(); }, options.idleWaitMs);
          const done = (): void => { clearTimeout(timer); resolve(); };
          waiting.add(done);
        });
      }
    }
    finished.add(bindingId);
    wakeAll();
  }));
  return results;
}
