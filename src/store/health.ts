// A tenant's sync health as the operator console shows it: the numbers on top, the
// propagation of the last hour, and each binding with its provider, state, last pass, lag,
// next poll, push subscription and last error. Every query names the tenant and walks an
// index: bindings_tenant, conflicts_open(_fields), quarantined_items_open,
// sync_status_quarantined, change_log's primary key (calendar, version) for the lag,
// sync_passes_binding, and sync_operations_remote_writes with events_series and
// change_log_event for propagation (migration 000022; bench/console-health.ts).
import type { BindingRef } from './bindings.ts';
import type { Queryable } from './db.ts';

export interface HealthCounts {
  bindings: number;
  /** Active, and the last pass finished `ok`. */
  inSync: number;
  /** Not paused, and the last pass failed, was stopped by the brakes or left items quarantined (`partial`), or the binding is in error. */
  failing: number;
  paused: number;
  /** Bound but not yet through a pass. */
  waiting: number;
  conflictsOpen: number;
  /** Remote items not taken in plus items held for a person. */
  quarantined: number;
  /** Queue jobs of this tenant that used up their attempts. */
  deadJobs: number;
}

// What makes a binding failing; the same words in the counts and the attention filter.
const failing = `(b.state <> 'paused' and (b.state = 'error' or b.last_pass_outcome in ('failed', 'partial', 'stopped')))`;

export async function healthCounts(db: Queryable, tenantId: string): Promise<HealthCounts> {
  const { rows: [row] } = await db.query<Record<keyof HealthCounts, number>>(
    `select count(*)::int as bindings,
            count(*) filter (where b.state = 'active' and b.last_pass_outcome = 'ok' and not ${failing})::int as "inSync",
            count(*) filter (where ${failing})::int as failing,
            count(*) filter (where b.state = 'paused')::int as paused,
            count(*) filter (where b.state <> 'paused' and b.last_pass_outcome is null)::int as waiting,
            (select count(*) from conflicts where tenant_id = $1 and state = 'open')::int as "conflictsOpen",
            ((select count(*) from quarantined_items where tenant_id = $1 and dismissed_at is null)
              + (select count(*) from sync_status s where s.tenant_id = $1 and s.quarantined_at is not null))::int as quarantined,
            -- Payloads name their tenant (src/store/outbox.ts). graphile-worker's jobs view
            -- leaves the payload out, so its table is read; the dead set is small.
            (select count(*) from graphile_worker._private_jobs
              where attempts >= max_attempts and locked_at is null and payload->>'tenantId' = $1::text)::int as "deadJobs"
       from bindings b where b.tenant_id = $1`, [tenantId]);
  return row!;
}

/**
 * How far the remote is behind the calendar: the calendar changes the binding's passes have
 * not carried out yet (the calendar's version less the version its last complete pass
 * reached; a few may turn out to be the remote's own changes, skipped as echoes), and
 * when the oldest of them was made. Null for an import binding, which sends nothing.
 */
export interface BindingLag {
  changes: number;
  oldestChangeAt: Date | null;
}

/**
 * The binding's push subscription (bindings.push_subscription), without its secret:
 * `none` (polled only: the provider has none, calsync has no public webhook URL, or the
 * binding only exports), `pending` (being made), `unconfirmed` (made, no message yet),
 * `live`, `failing` (the last attempt to make or renew it failed; retried at `retryAt`),
 * `expired` (its expiry passed and no new one was made).
 */
export interface PushHealth {
  state: 'none' | 'pending' | 'unconfirmed' | 'live' | 'failing' | 'expired';
  expiresAt: Date | null;
  confirmedAt: Date | null;
  error: string | null;
  retryAt: Date | null;
}

export interface BindingHealth {
  id: string;
  calendarId: string;
  calendar: string;
  accountId: string;
  provider: string;
  account: string;
  remoteCalendarId: string;
  remoteName: string;
  direction: string;
  state: 'active' | 'paused' | 'error';
  pausedReason: string | null;
  /** A pass holds the binding's lease now. */
  running: boolean;
  lastPassAt: Date | null;
  lastOutcome: string | null;
  lastSuccessAt: Date | null;
  nextPollAt: Date | null;
  lag: BindingLag | null;
  push: PushHealth;
  /** `{code, message}` of the last pass that failed or was stopped; null after one that went well. */
  lastError: { code: string; message: string } | null;
  conflictsOpen: number;
  quarantined: number;
  needsAttention: boolean;
}

export interface BindingHealthPage {
  items: BindingHealth[];
  /** The id of the last binding on the page when there may be more. */
  next: string | null;
}

// An active binding that should have push and has lost it: the same words in SQL and below.
const pushTrouble = `(b.state = 'active' and (b.push_subscription ? 'error' or (b.push_subscription ->> 'id' is not null and b.push_expires_at <= now())))`;

interface StoredSubscription { id?: string; confirmedAt?: string | null; error?: string; retryAt?: string; pending?: unknown }

function pushHealth(stored: StoredSubscription | null, expiresAt: Date | null, now: Date): PushHealth {
  const date = (iso: string | null | undefined) => (iso ? new Date(iso) : null);
  const base = { expiresAt: stored?.id ? expiresAt : null, confirmedAt: stored?.id ? date(stored.confirmedAt) : null, error: stored?.error ?? null, retryAt: date(stored?.retryAt) };
  if (!stored) return { state: 'none', ...base };
  if (stored.id && expiresAt && expiresAt <= now) return { state: 'expired', ...base };
  if (stored.error) return { state: 'failing', ...base };
  if (!stored.id) return { state: stored.pending ? 'pending' : 'none', ...base };
  return { state: stored.confirmedAt ? 'live' : 'unconfirmed', ...base };
}

export async function bindingHealth(db: Queryable, tenantId: string, options: { attention: boolean; after: string | null; limit: number }): Promise<BindingHealthPage> {
  const { rows } = await db.query<{
    id: string; calendar_id: string; calendar: string; account_id: string; provider: string; account: string; remote_calendar_id: string;
    remote_name: string; direction: string; state: BindingHealth['state']; paused_reason: string | null; running: boolean;
    last_pass_finished_at: Date | null; last_pass_outcome: string | null; last_success_at: Date | null; next_poll_at: Date | null;
    lag_changes: string | null; lag_since: Date | null; push_subscription: StoredSubscription | null; push_expires_at: Date | null; now: Date;
    last_error: { code?: string; message?: string } | null; conflicts_open: number; quarantined: number; failing: boolean; push_trouble: boolean;
  }>(
    `select b.id, b.calendar_id, c.summary as calendar, b.account_id, a.provider,
            coalesce(nullif(a.display_name, ''), nullif(a.login, ''), a.provider) as account,
            b.remote_calendar_id, b.remote_name, b.direction, b.state, b.paused_reason,
            coalesce(b.lease_expires_at > now(), false) as running,
            b.last_pass_finished_at, b.last_pass_outcome, b.last_success_at, b.next_poll_at, b.last_error,
            case when b.direction <> 'import' then greatest(c.version - b.calendar_version, 0) end as lag_changes,
            case when b.direction <> 'import' and c.version > b.calendar_version then
              (select l.changed_at from change_log l where l.calendar_id = b.calendar_id and l.version > b.calendar_version order by l.version limit 1) end as lag_since,
            b.push_subscription, b.push_expires_at, now() as now,
            counts.conflicts_open, counts.quarantined, ${failing} as failing, ${pushTrouble} as push_trouble
       from bindings b
       join calendars c on c.tenant_id = b.tenant_id and c.id = b.calendar_id
       join accounts a on a.tenant_id = b.tenant_id and a.id = b.account_id
       cross join lateral (select
            (select count(*) from conflicts f where f.tenant_id = b.tenant_id and f.binding_id = b.id and f.state = 'open')::int as conflicts_open,
            ((select count(*) from quarantined_items q where q.tenant_id = b.tenant_id and q.binding_id = b.id and q.dismissed_at is null)
              + (select count(*) from sync_status s where s.tenant_id = b.tenant_id and s.binding_id = b.id and s.quarantined_at is not null))::int as quarantined) counts
      where b.tenant_id = $1 and ($2::uuid is null or b.id > $2::uuid)
        and (not $3 or b.state = 'paused' or ${failing} or ${pushTrouble} or counts.conflicts_open > 0 or counts.quarantined > 0)
      order by b.id limit $4`,
    [tenantId, options.after, options.attention, options.limit + 1]);
  const items = rows.slice(0, options.limit).map((r) => ({
    id: r.id, calendarId: r.calendar_id, calendar: r.calendar, accountId: r.account_id, provider: r.provider, account: r.account,
    remoteCalendarId: r.remote_calendar_id, remoteName: r.remote_name, direction: r.direction, state: r.state, pausedReason: r.paused_reason,
    running: r.running, lastPassAt: r.last_pass_finished_at, lastOutcome: r.last_pass_outcome, lastSuccessAt: r.last_success_at,
    nextPollAt: r.state === 'active' ? r.next_poll_at : null,
    lag: r.lag_changes === null ? null : { changes: Number(r.lag_changes), oldestChangeAt: r.lag_since },
    push: pushHealth(r.push_subscription, r.push_expires_at, r.now),
    lastError: r.last_error ? { code: r.last_error.code ?? 'internal', message: r.last_error.message ?? '' } : null,
    conflictsOpen: r.conflicts_open, quarantined: r.quarantined,
    needsAttention: r.state === 'paused' || r.failing || r.push_trouble || r.conflicts_open > 0 || r.quarantined > 0,
  }));
  return { items, next: rows.length > options.limit ? items.at(-1)!.id : null };
}

/**
 * How long the tenant's changes took to reach the other remotes in the last hour. One
 * sample per write to a remote (a create, update or delete a pass applied there): from the
 * moment calsync stored the change it carried (the newest change of the event's series in
 * the binding's calendar at or before the write: another binding's pass pulling it from its
 * provider, or an app's write through the API) to the moment the write was made. The time
 * a provider takes to tell calsync of a change is not in it. Writes carrying a change made
 * before the binding existed (its first copy of the calendar) are left out.
 */
export interface Propagation {
  windowMinutes: number;
  writes: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

const propagationWindowMinutes = 60;

export async function propagation(db: Queryable, tenantId: string): Promise<Propagation> {
  const { rows: [row] } = await db.query<{ writes: number; p50: number | null; p99: number | null }>(
    `select count(*)::int as writes,
            percentile_cont(0.5) within group (order by ms) as p50, percentile_cont(0.99) within group (order by ms) as p99
       from (select extract(epoch from o.finished_at - carried.changed_at) * 1000 as ms
               from sync_operations o
               join bindings b on b.tenant_id = o.tenant_id and b.id = o.binding_id
               cross join lateral (select max(l.changed_at) as changed_at
                                     from events e join change_log l on l.calendar_id = e.calendar_id and l.event_id = e.id
                                    where e.series_id = o.event_id and e.calendar_id = b.calendar_id and l.changed_at <= o.finished_at) carried
              where o.tenant_id = $1 and o.side = 'remote' and o.status = 'applied' and o.operation in ('create', 'update', 'delete')
                and o.finished_at > now() - make_interval(mins => $2) and carried.changed_at >= b.created_at) samples`,
    [tenantId, propagationWindowMinutes]);
  const ms = (value: number | null) => (value === null ? null : Math.round(Number(value)));
  return { windowMinutes: propagationWindowMinutes, writes: row!.writes, p50Ms: ms(row!.p50), p99Ms: ms(row!.p99) };
}

export interface PassSummary {
  id: string;
  trigger: string;
  startedAt: Date;
  finishedAt: Date | null;
  /** Null while the pass runs (or when its process died before it finished). */
  outcome: string | null;
  stats: Record<string, number>;
  error: { code: string; message: string } | null;
}

/** A binding's passes, newest first, `before` the (startedAt, id) a previous page ended at. */
export async function listPasses(db: Queryable, binding: BindingRef, options: { before: [string, string] | null; limit: number }): Promise<{ items: PassSummary[]; next: [string, string] | null }> {
  const { rows } = await db.query<{ id: string; trigger: string; started_at: Date; started_key: string; finished_at: Date | null; outcome: string | null; stats: Record<string, number>; error: PassSummary['error'] }>(
    `select id, trigger, started_at, started_at::text as started_key, finished_at, outcome, stats, error from sync_passes
      where tenant_id = $1 and binding_id = $2 and ($3::timestamptz is null or (started_at, id) < ($3::timestamptz, $4::uuid))
      order by started_at desc, id desc limit $5`,
    [binding.tenantId, binding.bindingId, options.before?.[0] ?? null, options.before?.[1] ?? null, options.limit + 1]);
  const items = rows.slice(0, options.limit);
  const last = rows.length > options.limit ? items.at(-1)! : null;
  return {
    items: items.map((r) => ({ id: r.id, trigger: r.trigger, startedAt: r.started_at, finishedAt: r.finished_at, outcome: r.outcome, stats: r.stats, error: r.error })),
    // The timestamp as Postgres prints it keeps its microseconds; a Date would drop them.
    next: last ? [last.started_key, last.id] : null,
  };
}
