// Bindings as the operator sees them in `calsync status`.
import { CalsyncError } from '../errors.ts';
import type { Queryable } from './db.ts';

/** A binding as every per-binding query names it: by its tenant and its id. */
export interface BindingRef {
  tenantId: string;
  bindingId: string;
}

export interface BindingSummary {
  id: string;
  tenantId: string;
  calendar: string;
  provider: string;
  remoteCalendarId: string;
  direction: string;
  state: string;
  /** Why a paused binding is paused (its account revoked, …). */
  pausedReason: string | null;
  lastPassAt: Date | null;
  lastOutcome: string | null;
  lagSeconds: number | null;
  lastError: string | null;
  quarantined: number;
}

export async function listBindingSummaries(db: Queryable): Promise<BindingSummary[]> {
  const { rows } = await db.query<{
    id: string; tenant_id: string; calendar: string; provider: string; remote_calendar_id: string; direction: string;
    state: string; paused_reason: string | null; last_pass_finished_at: Date | null; last_pass_outcome: string | null; lag_seconds: string | null;
    last_error: { message?: string } | null; quarantined: string;
  }>(
    `select b.id, b.tenant_id, c.summary as calendar, a.provider, b.remote_calendar_id, b.direction, b.state, b.paused_reason,
            b.last_pass_finished_at, b.last_pass_outcome,
            extract(epoch from now() - b.last_success_at)::bigint as lag_seconds, b.last_error,
            (select count(*) from sync_status s where s.tenant_id = b.tenant_id and s.binding_id = b.id and s.quarantined_at is not null) as quarantined
       from bindings b
       join calendars c on c.tenant_id = b.tenant_id and c.id = b.calendar_id
       join accounts a on a.tenant_id = b.tenant_id and a.id = b.account_id
      order by b.tenant_id, c.summary, b.id`);
  return rows.map((r) => ({
    id: r.id, tenantId: r.tenant_id, calendar: r.calendar, provider: r.provider, remoteCalendarId: r.remote_calendar_id,
    direction: r.direction, state: r.state, pausedReason: r.paused_reason, lastPassAt: r.last_pass_finished_at, lastOutcome: r.last_pass_outcome,
    lagSeconds: r.lag_seconds === null ? null : Number(r.lag_seconds), lastError: r.last_error?.message ?? null,
    quarantined: Number(r.quarantined),
  }));
}

export type Direction = 'two_way' | 'import' | 'export';

export interface Binding {
  id: string;
  tenantId: string;
  calendarId: string;
  accountId: string;
  remoteCalendarId: string;
  remoteName: string;
  direction: Direction;
  projection: unknown;
  conflictPolicy: unknown;
  syncWindow: unknown;
  cursor: string | null;
  calendarVersion: number;
  state: 'active' | 'paused' | 'error';
  pausedReason: string | null;
  pollIntervalSeconds: number;
  /** The binding's last pass never finished (its process died), failed, or was partial (a write failed): it may have left part of its work done. */
  lastPassUnfinished: boolean;
}

export interface BindingInput {
  calendarId: string;
  accountId: string;
  remoteCalendarId: string;
  remoteName?: string;
  direction?: Direction;
  projection?: unknown;
  conflictPolicy?: unknown;
  /** `{start, end}` dates or `{pastDays, futureDays}` (src/core/safety.ts resolveWindow); none by default. */
  syncWindow?: unknown;
  pollIntervalSeconds?: number;
}

interface BindingRow {
  id: string; tenant_id: string; calendar_id: string; account_id: string; remote_calendar_id: string; remote_name: string;
  direction: Direction; projection: unknown; conflict_policy: unknown; sync_window: unknown; cursor: string | null;
  calendar_version: string; state: Binding['state']; paused_reason: string | null; poll_interval_seconds: number;
  last_pass_unfinished: boolean;
}

const bindingColumns = `id, tenant_id, calendar_id, account_id, remote_calendar_id, remote_name, direction, projection,
  conflict_policy, sync_window, cursor, calendar_version, state, paused_reason, poll_interval_seconds,
  (last_pass_started_at is not null and (last_pass_finished_at is null or last_pass_finished_at < last_pass_started_at
    or last_pass_outcome in ('failed', 'partial'))) as last_pass_unfinished`;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toBinding(row: BindingRow): Binding {
  return {
    id: row.id, tenantId: row.tenant_id, calendarId: row.calendar_id, accountId: row.account_id,
    remoteCalendarId: row.remote_calendar_id, remoteName: row.remote_name, direction: row.direction,
    projection: row.projection, conflictPolicy: row.conflict_policy, syncWindow: row.sync_window, cursor: row.cursor,
    calendarVersion: Number(row.calendar_version), state: row.state, pausedReason: row.paused_reason,
    pollIntervalSeconds: row.poll_interval_seconds, lastPassUnfinished: row.last_pass_unfinished,
  };
}

export async function createBinding(db: Queryable, tenantId: string, input: BindingInput): Promise<Binding> {
  const { rows: [row] } = await db.query<BindingRow>(
    `insert into bindings (tenant_id, calendar_id, account_id, remote_calendar_id, remote_name, direction, projection,
       conflict_policy, poll_interval_seconds, next_poll_at, sync_window)
     values ($1, $2, $3, $4, $5, $6, coalesce($7::jsonb, '{"mode": "full"}'), coalesce($8::jsonb, '{"default": "latest"}'), $9, now(), $10::jsonb)
     returning ${bindingColumns}`,
    [tenantId, input.calendarId, input.accountId, input.remoteCalendarId, input.remoteName ?? '', input.direction ?? 'two_way',
      input.projection === undefined ? null : JSON.stringify(input.projection),
      input.conflictPolicy === undefined ? null : JSON.stringify(input.conflictPolicy), input.pollIntervalSeconds ?? 300,
      input.syncWindow == null ? null : JSON.stringify(input.syncWindow)]);
  return toBinding(row!);
}

export async function getBinding(db: Queryable, tenantId: string, id: string): Promise<Binding> {
  if (!uuidPattern.test(id)) throw new CalsyncError('NOT_FOUND', `binding ${id} not found`, { bindingId: id });
  const { rows: [row] } = await db.query<BindingRow>(`select ${bindingColumns} from bindings where tenant_id = $1 and id = $2`, [tenantId, id]);
  if (!row) throw new CalsyncError('NOT_FOUND', `binding ${id} not found`, { bindingId: id });
  return toBinding(row);
}

/** Bindings of a calendar, for pushing a calendar change to every other binding. */
export async function bindingsOfCalendar(db: Queryable, tenantId: string, calendarId: string): Promise<Binding[]> {
  const { rows } = await db.query<BindingRow>(`select ${bindingColumns} from bindings where tenant_id = $1 and calendar_id = $2 order by id`, [tenantId, calendarId]);
  return rows.map(toBinding);
}

/**
 * Takes the binding's lease for `seconds` unless another live owner holds it. At most
 * one pass per binding runs at a time, across processes; the lease expires by itself
 * when its holder dies, and is renewed by a holder still working.
 */
export async function acquireLease(db: Queryable, binding: BindingRef, owner: string, seconds: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `update bindings set lease_owner = $3, lease_expires_at = now() + make_interval(secs => $4)
      where tenant_id = $1 and id = $2 and (lease_owner is null or lease_owner = $3 or lease_expires_at < now())`,
    [binding.tenantId, binding.bindingId, owner, seconds]);
  return rowCount === 1;
}

export async function releaseLease(db: Queryable, binding: BindingRef, owner: string): Promise<void> {
  await db.query('update bindings set lease_owner = null, lease_expires_at = null where tenant_id = $1 and id = $2 and lease_owner = $3',
    [binding.tenantId, binding.bindingId, owner]);
}

/** Extends a lease its holder still has; false once another owner took it. */
export async function renewLease(db: Queryable, binding: BindingRef, owner: string, seconds: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `update bindings set lease_expires_at = now() + make_interval(secs => $4)
      where tenant_id = $1 and id = $2 and lease_owner = $3`,
    [binding.tenantId, binding.bindingId, owner, seconds]);
  return rowCount === 1;
}

/**
 * Inside a transaction: whether `owner` holds the binding's unexpired lease, keeping it
 * so until commit. The row lock (FOR SHARE) makes a takeover (an UPDATE of the lease)
 * wait for this transaction, so nothing it writes can commit after another pass began.
 */
export async function holdsLease(tx: Queryable, binding: BindingRef, owner: string): Promise<boolean> {
  const { rows } = await tx.query(
    `select 1 from bindings where tenant_id = $1 and id = $2 and lease_owner = $3 and lease_expires_at > now() for share`,
    [binding.tenantId, binding.bindingId, owner]);
  return rows.length === 1;
}

/** Stores the cursor while `owner` holds the lease; false (nothing written) otherwise. */
export async function saveCursor(db: Queryable, binding: BindingRef, cursor: string | null, owner: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `update bindings set cursor = $3, cursor_updated_at = now(), updated_at = now()
      where tenant_id = $1 and id = $2 and lease_owner = $4 and lease_expires_at > now()`,
    [binding.tenantId, binding.bindingId, cursor, owner]);
  return rowCount === 1;
}

/** Raises the calendar version the binding has carried out, while `owner` holds the lease. */
export async function saveCalendarVersion(db: Queryable, binding: BindingRef, version: number, owner: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `update bindings set calendar_version = greatest(calendar_version, $3), updated_at = now()
      where tenant_id = $1 and id = $2 and lease_owner = $4 and lease_expires_at > now()`,
    [binding.tenantId, binding.bindingId, version, owner]);
  return rowCount === 1;
}

/**
 * Pauses an active binding with a reason a person can act on (shown by `calsync status`
 * and the admin API), and wakes its calendar's event streams. False when it was not active.
 */
export async function pauseBinding(db: Queryable, binding: BindingRef, reason: string): Promise<boolean> {
  const { rows } = await db.query<{ calendar_id: string }>(
    `update bindings set state = 'paused', paused_reason = $3, updated_at = now() where tenant_id = $1 and id = $2 and state = 'active'
     returning calendar_id`, [binding.tenantId, binding.bindingId, reason]);
  if (rows[0]) await db.query(`select pg_notify('calsync_calendar', json_build_object('tenantId', $1::uuid, 'calendarId', $2::uuid)::text)`, [binding.tenantId, rows[0].calendar_id]);
  return rows.length === 1;
}

/** What a pass must know before it starts, each O(1): see passState. */
export interface PassState {
  /** The binding has sync statuses. */
  bound: boolean;
  /** The calendar has an event not deleted. */
  anyLive: boolean;
  /** The binding has quarantined items (dismissed or not). */
  quarantine: boolean;
  /** The binding has open conflicts. */
  openConflicts: boolean;
}

/** One statement at the start of every pass, where four lookups cost four round trips. */
export async function passState(db: Queryable, binding: BindingRef, calendarId: string): Promise<PassState> {
  const { rows: [row] } = await db.query<{ bound: boolean; any_live: boolean; quarantine: boolean; open_conflicts: boolean }>(
    `select exists (select 1 from sync_status where tenant_id = $1 and binding_id = $2) as bound,
            exists (select 1 from events where tenant_id = $1 and calendar_id = $3 and deleted_at is null) as any_live,
            exists (select 1 from quarantined_items where tenant_id = $1 and binding_id = $2) as quarantine,
            exists (select 1 from conflicts where tenant_id = $1 and binding_id = $2 and state = 'open') as open_conflicts`,
    [binding.tenantId, binding.bindingId, calendarId]);
  return { bound: row!.bound, anyLive: row!.any_live, quarantine: row!.quarantine, openConflicts: row!.open_conflicts };
}

/**
 * Releases every lease a process holds (lease owners are `<process name>:<pass id>`),
 * across tenants: a command that is interrupted lets its bindings be synced again at
 * once instead of after the lease expires.
 */
export async function releaseLeasesHeldBy(db: Queryable, processName: string): Promise<number> {
  const { rowCount } = await db.query(
    `update bindings set lease_owner = null, lease_expires_at = null where starts_with(lease_owner, $1)`, [`${processName}:`]);
  return rowCount ?? 0;
}

/** A binding by id across tenants, for operator commands (`calsync sync`). */
export async function findBinding(db: Queryable, id: string): Promise<Binding> {
  if (!uuidPattern.test(id)) throw new CalsyncError('NOT_FOUND', `binding ${id} not found`, { bindingId: id });
  const { rows: [row] } = await db.query<BindingRow>(`select ${bindingColumns} from bindings where id = $1`, [id]);
  if (!row) throw new CalsyncError('NOT_FOUND', `binding ${id} not found`, { bindingId: id });
  return toBinding(row);
}

/** Every binding of a calendar, across tenants, for operator commands. */
export async function bindingsOfCalendarById(db: Queryable, calendarId: string): Promise<Binding[]> {
  if (!uuidPattern.test(calendarId)) throw new CalsyncError('NOT_FOUND', `calendar ${calendarId} not found`, { calendarId });
  const { rows } = await db.query<BindingRow>(`select ${bindingColumns} from bindings where calendar_id = $1 order by created_at, id`, [calendarId]);
  return rows.map(toBinding);
}

export async function listBindings(db: Queryable, tenantId: string): Promise<Binding[]> {
  const { rows } = await db.query<BindingRow>(`select ${bindingColumns} from bindings where tenant_id = $1 order by created_at, id`, [tenantId]);
  return rows.map(toBinding);
}

export interface BindingState {
  bindingId: string;
  accountId: string;
  state: Binding['state'];
  pausedReason: string | null;
}

/** The state of every binding of a calendar, for the calendar's event streams. */
export async function bindingStatesOfCalendar(db: Queryable, tenantId: string, calendarId: string): Promise<BindingState[]> {
  const { rows } = await db.query<{ id: string; account_id: string; state: Binding['state']; paused_reason: string | null }>(
    'select id, account_id, state, paused_reason from bindings where tenant_id = $1 and calendar_id = $2 order by id', [tenantId, calendarId]);
  return rows.map((r) => ({ bindingId: r.id, accountId: r.account_id, state: r.state, pausedReason: r.paused_reason }));
}
