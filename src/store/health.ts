// A tenant's sync health as the operator console shows it: the numbers on top, and each
// binding with its provider, state, last pass, next poll and last error. Every query names
// the tenant and walks an index: bindings_tenant, conflicts_open, quarantined_items_open,
// sync_passes_binding, and sync_status's primary key (binding first) for held items.
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
              + (select count(*) from bindings h join sync_status s on s.tenant_id = h.tenant_id and s.binding_id = h.id
                  where h.tenant_id = $1 and s.quarantined_at is not null))::int as quarantined,
            -- Payloads name their tenant (src/store/outbox.ts). graphile-worker's jobs view
            -- leaves the payload out, so its table is read; the dead set is small.
            (select count(*) from graphile_worker._private_jobs
              where attempts >= max_attempts and locked_at is null and payload->>'tenantId' = $1::text)::int as "deadJobs"
       from bindings b where b.tenant_id = $1`, [tenantId]);
  return row!;
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

export async function bindingHealth(db: Queryable, tenantId: string, options: { attention: boolean; after: string | null; limit: number }): Promise<BindingHealthPage> {
  const { rows } = await db.query<{
    id: string; calendar_id: string; calendar: string; account_id: string; provider: string; account: string; remote_calendar_id: string;
    remote_name: string; direction: string; state: BindingHealth['state']; paused_reason: string | null; running: boolean;
    last_pass_finished_at: Date | null; last_pass_outcome: string | null; last_success_at: Date | null; next_poll_at: Date | null;
    last_error: { code?: string; message?: string } | null; conflicts_open: number; quarantined: number; failing: boolean;
  }>(
    `select b.id, b.calendar_id, c.summary as calendar, b.account_id, a.provider,
            coalesce(nullif(a.display_name, ''), nullif(a.login, ''), a.provider) as account,
            b.remote_calendar_id, b.remote_name, b.direction, b.state, b.paused_reason,
            coalesce(b.lease_expires_at > now(), false) as running,
            b.last_pass_finished_at, b.last_pass_outcome, b.last_success_at, b.next_poll_at, b.last_error,
            counts.conflicts_open, counts.quarantined, ${failing} as failing
       from bindings b
       join calendars c on c.tenant_id = b.tenant_id and c.id = b.calendar_id
       join accounts a on a.tenant_id = b.tenant_id and a.id = b.account_id
       cross join lateral (select
            (select count(*) from conflicts f where f.tenant_id = b.tenant_id and f.binding_id = b.id and f.state = 'open')::int as conflicts_open,
            ((select count(*) from quarantined_items q where q.tenant_id = b.tenant_id and q.binding_id = b.id and q.dismissed_at is null)
              + (select count(*) from sync_status s where s.tenant_id = b.tenant_id and s.binding_id = b.id and s.quarantined_at is not null))::int as quarantined) counts
      where b.tenant_id = $1 and ($2::uuid is null or b.id > $2::uuid)
        and (not $3 or b.state = 'paused' or ${failing} or counts.conflicts_open > 0 or counts.quarantined > 0)
      order by b.id limit $4`,
    [tenantId, options.after, options.attention, options.limit + 1]);
  const items = rows.slice(0, options.limit).map((r) => ({
    id: r.id, calendarId: r.calendar_id, calendar: r.calendar, accountId: r.account_id, provider: r.provider, account: r.account,
    remoteCalendarId: r.remote_calendar_id, remoteName: r.remote_name, direction: r.direction, state: r.state, pausedReason: r.paused_reason,
    running: r.running, lastPassAt: r.last_pass_finished_at, lastOutcome: r.last_pass_outcome, lastSuccessAt: r.last_success_at,
    nextPollAt: r.state === 'active' ? r.next_poll_at : null,
    lastError: r.last_error ? { code: r.last_error.code ?? 'internal', message: r.last_error.message ?? '' } : null,
    conflictsOpen: r.conflicts_open, quarantined: r.quarantined,
    needsAttention: r.state === 'paused' || r.failing || r.conflicts_open > 0 || r.quarantined > 0,
  }));
  return { items, next: rows.length > options.limit ? items.at(-1)!.id : null };
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
