// Request counts by method and route and by status, for tests and benchmarks.

export interface StatsSnapshot {
  total: number;
  /** `GET /v1.0/me/calendarView/delta` → count. */
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  byRouteAndStatus: Record<string, number>;
  /** The most requests in flight at once for the mailbox. */
  maxConcurrent: number;
}

const empty = (): StatsSnapshot => ({ total: 0, byRoute: {}, byStatus: {}, byRouteAndStatus: {}, maxConcurrent: 0 });

export class Stats {
  private counts = empty();

  record(method: string, route: string, status: number): void {
    const key = `${method} ${route}`;
    const c = this.counts;
    c.total += 1;
    c.byRoute[key] = (c.byRoute[key] ?? 0) + 1;
    c.byStatus[String(status)] = (c.byStatus[String(status)] ?? 0) + 1;
    c.byRouteAndStatus[`${key} ${status}`] = (c.byRouteAndStatus[`${key} ${status}`] ?? 0) + 1;
  }

  concurrent(n: number): void {
    this.counts.maxConcurrent = Math.max(this.counts.maxConcurrent, n);
  }

  snapshot(): StatsSnapshot {
    return structuredClone(this.counts);
  }

  reset(): void {
    this.counts = empty();
  }
}
