// Bindings as the operator sees them in `calsync status`.
import type { Queryable } from './db.ts';

export interface BindingSummary {
  id: string;
  tenantId: string;
  calendar: string;
  provider: string;
  remoteCalendarId: string;
  direction: string;
  state: string;
  lastPassAt: Date | null;
  lastOutcome: string | null;
  lagSeconds: number | null;
  lastError: string | null;
  quarantined: number;
}

export async function listBindingSummaries(db: Queryable): Promise<BindingSummary[]> {
  const { rows } = await db.query<{
    id: string; tenant_id: string; calendar: string; provider: string; remote_calendar_id: string; direction: string;
    state: string; last_pass_finished_at: Date | null; last_pass_outcome: string | null; lag_seconds: string | null;
    last_error: { message?: string } | null; quarantined: string;
  }>(
    `select b.id, b.tenant_id, c.summary as calendar, a.provider, b.remote_calendar_id, b.direction, b.state,
            b.last_pass_finished_at, b.last_pass_outcome,
            extract(epoch from now() - b.last_success_at)::bigint as lag_seconds, b.last_error,
            (select count(*) from sync_status s where s.binding_id = b.id and s.quarantined_at is not null) as quarantined
       from bindings b
       join calendars c on c.tenant_id = b.tenant_id and c.id = b.calendar_id
       join accounts a on a.tenant_id = b.tenant_id and a.id = b.account_id
      order by b.tenant_id, c.summary, b.id`);
  return rows.map((r) => ({
    id: r.id, tenantId: r.tenant_id, calendar: r.calendar, provider: r.provider, remoteCalendarId: r.remote_calendar_id,
    direction: r.direction, state: r.state, lastPassAt: r.last_pass_finished_at, lastOutcome: r.last_pass_outcome,
    lagSeconds: r.lag_seconds === null ? null : Number(r.lag_seconds), lastError: r.last_error?.message ?? null,
    quarantined: Number(r.quarantined),
  }));
}
