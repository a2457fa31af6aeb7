// What one request may spend expanding recurring series. ical.js-era listings of a
// FREQ=SECONDLY;COUNT=1000000000 series took 2.3 s of one thread; now each series gets
// at most 50 ms (src/core/ical/expand.ts stops and flags the series truncated), and a
// request that expands many series lets other requests run between them, so /healthz
// and everyone else wait at most one series' worth.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ExpandOptions } from '../core/ical/index.ts';

const seriesMs = 50;
/** Expansion work after which a request lets the event loop run others. */
const sliceMs = 10;

export const expansionBounds: Pick<ExpandOptions, 'maxMs' | 'clock'> = { maxMs: seriesMs, clock: () => performance.now() };

/** Call between series: yields to the event loop once `sliceMs` of work has run since the last yield. */
export function expansionPacer(): () => Promise<void> {
  let since = performance.now();
  return async () => {
    if (performance.now() - since < sliceMs) return;
    await nextTurn();
    since = performance.now();
  };
}
