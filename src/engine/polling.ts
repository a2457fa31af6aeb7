// Adaptive polling: sooner after a pass that found changes, rarer while idle, jittered so
// bindings created together spread out. A binding with a healthy push channel is polled
// too, but six times less often: notifications bring its changes, and the poll is there
// because they are "not 100% reliable" (Google's push guide). Pure: the random source is
// an input.

export interface PollInput {
  /** The binding's configured interval. */
  baseSeconds: number;
  /** The delay used before this pass, if it was a poll. */
  previousSeconds: number | null;
  /** The pass wrote something on either side. */
  changed: boolean;
  /** A number in [0, 1). */
  random: number;
  /** The binding has a live push channel whose first message came. */
  pushHealthy?: boolean;
}

// After a change people often make more (a burst of edits): look again at a quarter of
// the interval, but never sooner than 30 s. Idle: double up to four times the interval.
const minimumSeconds = 30;
const idleFactor = 4;
const jitterShare = 0.1;
const pushFactor = 6;

export function nextPollSeconds(input: PollInput): number {
  const { previousSeconds, changed, random } = input;
  const baseSeconds = input.pushHealthy ? input.baseSeconds * pushFactor : input.baseSeconds;
  const raw = changed
    ? Math.max(minimumSeconds, baseSeconds / 4)
    : Math.min(baseSeconds * idleFactor, Math.max(baseSeconds, (previousSeconds ?? baseSeconds / 2) * 2));
  const jitter = 1 + jitterShare * (2 * random - 1);
  return Math.max(minimumSeconds, Math.round(raw * jitter));
}
