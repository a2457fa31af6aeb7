// What the console's charts show, hour by hour over the last hours of one tenant, from
// what the engine records anyway: its passes (by provider and outcome, with how long they
// took and the kinds of error that failed them) and the deliveries signed inbound sources
// sent. Every query is bounded by the tenant and the window (sync_passes_tenant_started,
// inbound_deliveries_listing).
import type { Queryable } from './db.ts';

export interface ChartWindow {
  /** The start of each hour, oldest first; the last one is the current hour. */
  hours: string[];
}

export interface PassSeries {
  provider: string;
  outcome: string;
  counts: number[];
}

export interface DurationSeries {
  provider: string;
  /** Milliseconds per hour; null where no pass of the provider finished in that hour. */
  p50: Array<number | null>;
  p99: Array<number | null>;
}

export interface ErrorSeries {
  provider: string;
  kind: string;
  counts: number[];
}

export interface DeliverySeries {
  state: string;
  counts: number[];
}

export interface Charts extends ChartWindow {
  passes: PassSeries[];
  durations: DurationSeries[];
  errors: ErrorSeries[];
  deliveries: DeliverySeries[];
}

const hourMs = 3_600_000;

/** The last `hours` hours of the tenant, hour by hour. */
export async function tenantCharts(db: Queryable, tenantId: string, hours: number, now = new Date()): Promise<Charts> {
  const last = Math.floor(now.getTime() / hourMs) * hourMs;
  const starts = Array.from({ length: hours }, (_, i) => new Date(last - (hours - 1 - i) * hourMs));
  const from = starts[0]!;
  const index = (at: Date) => Math.floor((at.getTime() - from.getTime()) / hourMs);
  const zeros = () => starts.map(() => 0);

  // One scan of the window's passes: counts per provider, outcome and error code, and
  // the durations per provider, each per hour (grouping sets).
  const [passRows, deliveries] = await Promise.all([
    db.query<{ provider: string; outcome: string; kind: string; hour: Date; byProvider: boolean; n: number; p50: number | null; p99: number | null }>(
      `select provider, outcome, kind, hour, grouping(outcome, kind) <> 0 as "byProvider", count(*)::int as n,
              percentile_cont(0.5) within group (order by seconds) * 1000 as p50,
              percentile_cont(0.99) within group (order by seconds) * 1000 as p99
         from (select a.provider, coalesce(p.outcome, case when p.finished_at is null then 'running' end) as outcome,
                      case when p.outcome = 'failed' then coalesce(p.error->>'code', p.error->>'kind', 'unknown') end as kind,
                      date_trunc('hour', p.started_at) as hour, extract(epoch from p.finished_at - p.started_at) as seconds
                 from sync_passes p join bindings b on b.tenant_id = p.tenant_id and b.id = p.binding_id
                 join accounts a on a.tenant_id = b.tenant_id and a.id = b.account_id
                where p.tenant_id = $1 and p.started_at >= $2) w
        group by grouping sets ((provider, outcome, kind, hour), (provider, hour))`, [tenantId, from]),
    db.query<{ state: string; hour: Date; n: number }>(
      `select state, date_trunc('hour', received_at) as hour, count(*)::int as n
         from inbound_deliveries where tenant_id = $1 and received_at >= $2
        group by 1, 2`, [tenantId, from]),
  ]);

  const series = <K extends string, S extends { counts: number[] }>(rows: Array<Record<K, string> & { hour: Date; n: number }>, keys: K[], make: (row: Record<K, string>) => S): S[] => {
    const byKey = new Map<string, S>();
    for (const row of rows) {
      const key = keys.map((k) => row[k]).join('\u0000');
      const entry = byKey.get(key) ?? byKey.set(key, make(row)).get(key)!;
      const at = index(row.hour);
      if (at >= 0 && at < hours) entry.counts[at]! += row.n;
    }
    return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s);
  };

  const counted = passRows.rows.filter((r) => !r.byProvider);
  const byProvider = new Map<string, DurationSeries>();
  for (const row of passRows.rows.filter((r) => r.byProvider && r.p50 !== null)) {
    const entry = byProvider.get(row.provider) ?? byProvider.set(row.provider, { provider: row.provider, p50: starts.map(() => null), p99: starts.map(() => null) }).get(row.provider)!;
    const at = index(row.hour);
    if (at < 0 || at >= hours) continue;
    entry.p50[at] = Math.round(row.p50!);
    entry.p99[at] = Math.round(row.p99!);
  }

  return {
    hours: starts.map((d) => d.toISOString()),
    passes: series(counted, ['provider', 'outcome'], (r) => ({ provider: r.provider, outcome: r.outcome, counts: zeros() })),
    durations: [...byProvider.values()].sort((a, b) => (a.provider < b.provider ? -1 : 1)),
    errors: series(counted.filter((r) => r.outcome === 'failed'), ['provider', 'kind'], (r) => ({ provider: r.provider, kind: r.kind, counts: zeros() })),
    deliveries: series(deliveries.rows, ['state'], (r) => ({ state: r.state, counts: zeros() })),
  };
}
