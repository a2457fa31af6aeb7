// Notification delivery both emulators share: changes of one moment coalesce into one
// turn, each notification meets its fate (dropped, sent once or twice, delayed), and each
// copy is POSTed and retried after the given waits. What counts as delivered, which
// failures are retried and how long an attempt may take are the provider's documented
// rules, passed in as a DeliveryPolicy.

/** One attempt at a notification, as the provider records it. */
export interface Attempt {
  /** 0 for a notification that was dropped. */
  attempt: number;
  /** The receiver's status, or null when it did not answer. */
  status: number | null;
  outcome: 'delivered' | 'failed' | 'retrying' | 'dropped';
  duplicate: boolean;
}

export interface DeliveryPolicy {
  /** Waits before the retries; one retry per entry. */
  retryDelaysMs: number[];
  /** Whether the receiver's status counts as delivered. */
  delivered(status: number): boolean;
  /** Whether an attempt that was not delivered is tried again (null: no answer). */
  retried(status: number | null): boolean;
  /** An attempt not answered within this long has no answer; undefined: no limit. */
  timeoutMs?: number;
}

export interface Fate {
  drop: boolean;
  duplicate: boolean;
  delayMs: number;
}

const sleep = (ms: number | undefined) => new Promise((resolve) => setTimeout(resolve, ms));

export class Outbox {
  private readonly inFlight = new Set<Promise<void>>();
  private scheduled = false;

  constructor(private readonly fetchImpl: typeof fetch) {}

  /** Runs `run` on the next turn, once however often asked before then. */
  coalesce(run: () => void): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      run();
    });
  }

  /** POSTs `body` to `url` as `fate` says, recording every attempt. */
  send(fate: Fate, url: string, headers: Record<string, string>, body: string, policy: DeliveryPolicy, record: (a: Attempt) => void): void {
    if (fate.drop) {
      record({ attempt: 0, status: null, outcome: 'dropped', duplicate: false });
      return;
    }
    for (const duplicate of fate.duplicate ? [false, true] : [false]) {
      const work = this.deliver(url, headers, body, fate.delayMs, duplicate, policy, record);
      this.inFlight.add(work);
      void work.finally(() => this.inFlight.delete(work));
    }
  }

  /** Resolves when every notification scheduled so far has been delivered, retried out or dropped. */
  async flush(): Promise<void> {
    while (this.scheduled || this.inFlight.size > 0) {
      if (this.scheduled) await new Promise((resolve) => setImmediate(resolve));
      await Promise.all([...this.inFlight]);
    }
  }

  private async deliver(
    url: string, headers: Record<string, string>, body: string, delayMs: number, duplicate: boolean, policy: DeliveryPolicy, record: (a: Attempt) => void,
  ): Promise<void> {
    if (delayMs > 0) await sleep(delayMs);
    for (let attempt = 1; ; attempt++) {
      let status: number | null = null;
      const controller = policy.timeoutMs === undefined ? null : new AbortController();
      const timer = controller ? setTimeout(() => controller.abort(), policy.timeoutMs) : undefined;
      try {
        const response = await this.fetchImpl(url, { method: 'POST', headers, body, ...(controller ? { signal: controller.signal } : {}) });
        status = response.status;
        await response.arrayBuffer().catch(() => undefined);
      } catch {
        status = null;
      } finally {
        clearTimeout(timer);
      }
      const delivered = status !== null && policy.delivered(status);
      const retry = !delivered && policy.retried(status) && attempt <= policy.retryDelaysMs.length;
      record({ attempt, status, outcome: delivered ? 'delivered' : retry ? 'retrying' : 'failed', duplicate });
      if (!retry) return;
      await sleep(policy.retryDelaysMs[attempt - 1]);
    }
  }
}
