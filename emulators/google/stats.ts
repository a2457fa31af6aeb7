// Request counts by method and route and by status, for tests and benchmarks.

export interface StatsSnapshot {
  total: number;
  /** `GET /calendar/v3/calendars/:calendarId/events` → count. */
  byRoute: Record<string, number>;
  /** `200` → count. */
  byStatus: Record<string, number>;
  /** `GET /calendar/v3/calendars/:calendarId/events 410` → count. */
  byRouteAndStatus: Record<string, number>;
}

export class Stats {
  private counts: StatsSnapshot = { total: 0, byRoute: {}, byStatus: {}, byRouteAndStatus: {} };

  record(method: string, route: string, status: number): void {
    const key = `${method} ${route}`;
    this.counts.total += 1;
    this.counts.byRoute[key] = (this.counts.byRoute[key] ?? 0) + 1;
    this.counts.byStatus[String(status)] = (this.counts.byStatus[String(status)] ?? 0) + 1;
    this.counts.byRouteAndStatus[`${key} ${status}`] = (this.counts.byRouteAndStatus[`${key} ${status}`] ?? 0) + 1;
  }

  snapshot(): StatsSnapshot {
    return structuredClone(this.counts);
  }

  reset(): void {
    this.counts = { total: 0, byRoute: {}, byStatus: {}, byRouteAndStatus: {} };
  }
}
