// Sync status per binding and item: remote id, etag, content hash and the base (the
// normalised content both sides last agreed on). Read in slices (by remote ids or event
// ids) so a pass never loads a whole calendar's statuses at once.
import type { EventSeries } from '../core/model.ts';
import type { SyncStatus } from '../core/plan.ts';
import type { BindingRef } from './bindings.ts';
import type { Queryable } from './db.ts';

interface StatusRow {
  event_id: string; remote_id: string; etag: string | null; content_hash: string; base: EventSeries;
  pending: boolean; quarantined_at: Date | null; remote_updated_at: Date | null; sent: SyncStatus['sent'] | null; asked: SyncStatus['asked'] | null;
}

const columns = 'event_id, remote_id, etag, content_hash, base, pending, quarantined_at, remote_updated_at, sent, asked';

function toStatus(row: StatusRow): SyncStatus {
  return {
    eventId: row.event_id, remoteId: row.remote_id, etag: row.etag, contentHash: row.content_hash, base: row.base,
    ...(row.remote_updated_at ? { remoteUpdatedAt: row.remote_updated_at.toISOString() } : {}),
    ...(row.pending ? { pending: true } : {}), ...(row.quarantined_at ? { quarantined: true } : {}),
    ...(row.sent ? { sent: row.sent } : {}), ...(row.asked ? { asked: row.asked } : {}),
  };
}

export async function statusesByRemoteIds(db: Queryable, binding: BindingRef, remoteIds: string[]): Promise<SyncStatus[]> {
  if (remoteIds.length === 0) return [];
  const { rows } = await db.query<StatusRow>(`select ${columns} from sync_status where tenant_id = $1 and binding_id = $2 and remote_id = any($3::text[])`,
    [binding.tenantId, binding.bindingId, remoteIds]);
  return rows.map(toStatus);
}

/** The etag stored for each remote id that has an answered (not pending) status; no bases. */
export async function agreedEtags(db: Queryable, binding: BindingRef, remoteIds: string[]): Promise<Map<string, string>> {
  if (remoteIds.length === 0) return new Map();
  const { rows } = await db.query<{ remote_id: string; etag: string }>(
    `select remote_id, etag from sync_status
      where tenant_id = $1 and binding_id = $2 and remote_id = any($3::text[]) and etag is not null and not pending`,
    [binding.tenantId, binding.bindingId, remoteIds]);
  return new Map(rows.map((r) => [r.remote_id, r.etag]));
}

export async function statusesByEventIds(db: Queryable, binding: BindingRef, eventIds: string[]): Promise<SyncStatus[]> {
  if (eventIds.length === 0) return [];
  const { rows } = await db.query<StatusRow>(`select ${columns} from sync_status where tenant_id = $1 and binding_id = $2 and event_id = any($3::uuid[])`,
    [binding.tenantId, binding.bindingId, eventIds]);
  return rows.map(toStatus);
}

/** Remote ids of every status, in pages (keyset on remote id). */
export async function remoteIdsPage(db: Queryable, binding: BindingRef, after: string | null, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ remote_id: string }>(
    `select remote_id from sync_status where tenant_id = $1 and binding_id = $2 and ($3::text is null or remote_id > $3) order by remote_id limit $4`,
    [binding.tenantId, binding.bindingId, after, limit]);
  return rows.map((r) => r.remote_id);
}

/** Statuses both sides agreed on: creates still pending are not counted. */
export async function countStatuses(db: Queryable, binding: BindingRef): Promise<number> {
  const { rows: [row] } = await db.query<{ n: string }>('select count(*) as n from sync_status where tenant_id = $1 and binding_id = $2 and not pending', [binding.tenantId, binding.bindingId]);
  return Number(row!.n);
}

/** `keepEtag`: the row keeps the etag it has (a new row has none), whatever `etag` says. */
export type StatusWrite = SyncStatus & { remoteHref?: string | null; keepEtag?: boolean };

/**
 * Stores statuses, one per event: a status that moves to a new remote id (an adopted
 * pending create) replaces the event's old row. Where a list names an event or a remote
 * id twice, the last one counts.
 */
export async function upsertStatuses(db: Queryable, binding: BindingRef, statuses: StatusWrite[]): Promise<void> {
  const byEvent = new Map<string, StatusWrite>();
  for (const status of statuses) {
    byEvent.delete(status.eventId);
    byEvent.set(status.eventId, status);
  }
  const byRemote = new Map<string, StatusWrite>();
  for (const status of byEvent.values()) byRemote.set(status.remoteId, status);
  const rows = [...byRemote.values()];
  if (rows.length === 0) return;
  await db.query(
    // `event_id = any(...)` lets the plan start from the (binding_id, event_id) index; joined
    // to unnest alone, Postgres scanned the binding's statuses for every slice.
    `delete from sync_status s using unnest($3::uuid[], $4::text[]) as u(event_id, remote_id)
      where s.tenant_id = $1 and s.binding_id = $2 and s.event_id = any($3::uuid[]) and s.event_id = u.event_id and s.remote_id <> u.remote_id`,
    [binding.tenantId, binding.bindingId, rows.map((s) => s.eventId), rows.map((s) => s.remoteId)]);
  // One JSON document rather than an array per column: pg escapes every element of a
  // text[] parameter, which cost more than the insert itself at 200 bases of ~1 KB.
  // A stored status is an answered state: what was sent before it is settled (sent = null).
  await db.query(
    `insert into sync_status (tenant_id, binding_id, event_id, remote_id, remote_href, etag, content_hash, base, pending, quarantined_at, synced_at, remote_updated_at, sent, asked)
     select $1, $2, u.event_id, u.remote_id, u.remote_href, u.etag, u.content_hash, u.base, u.pending, case when u.quarantined then now() end, now(), u.remote_updated_at, u.sent, u.asked
       from jsonb_to_recordset($3::jsonb)
            as u(event_id uuid, remote_id text, remote_href text, etag text, content_hash text, base jsonb, pending boolean, quarantined boolean, remote_updated_at timestamptz, sent jsonb, asked jsonb)
     on conflict (binding_id, remote_id) do update set event_id = excluded.event_id,
       etag = case when excluded.event_id = any($4::uuid[]) then sync_status.etag else excluded.etag end,
       content_hash = excluded.content_hash, base = excluded.base, pending = excluded.pending, sent = excluded.sent, asked = excluded.asked,
       remote_updated_at = greatest(sync_status.remote_updated_at, excluded.remote_updated_at),
       quarantined_at = case when excluded.quarantined_at is not null then coalesce(sync_status.quarantined_at, now()) end, synced_at = now()`,
    [binding.tenantId, binding.bindingId, JSON.stringify(rows.map((s) => ({
      event_id: s.eventId, remote_id: s.remoteId, remote_href: s.remoteHref ?? null, etag: s.keepEtag ? null : s.etag, content_hash: s.contentHash,
      base: s.base, pending: s.pending ?? false, quarantined: s.quarantined ?? false, remote_updated_at: s.remoteUpdatedAt ?? null,
      sent: s.sent ?? null, asked: s.asked ?? null,
    }))), rows.filter((s) => s.keepEtag).map((s) => s.eventId)]);
}

/**
 * Turns pending creates into their answered statuses: the remote id and etag the
 * create returned, the base the pending row already holds. Sends no bases, which are
 * most of a status's bytes. Returns the event ids it could not confirm (no pending row,
 * or the remote id already taken), for upsertStatuses to store in full.
 */
export async function confirmPendingStatuses(db: Queryable, binding: BindingRef, confirmed: Array<{ eventId: string; remoteId: string; etag: string | null; remoteUpdatedAt?: string | null }>): Promise<Set<string>> {
  const left = new Set(confirmed.map((c) => c.eventId));
  if (confirmed.length === 0) return left;
  const { rows } = await db.query<{ event_id: string }>(
    `update sync_status s set remote_id = u.remote_id, etag = u.etag, pending = false, sent = null, synced_at = now(),
            remote_updated_at = greatest(s.remote_updated_at, u.remote_updated_at)
       from jsonb_to_recordset($3::jsonb) as u(event_id uuid, remote_id text, etag text, remote_updated_at timestamptz)
      where s.tenant_id = $1 and s.binding_id = $2 and s.event_id = u.event_id and s.pending and s.remote_id = 'pending:' || u.event_id::text
        and not exists (select 1 from sync_status o where o.tenant_id = $1 and o.binding_id = $2 and o.remote_id = u.remote_id)
     returning s.event_id`,
    [binding.tenantId, binding.bindingId, JSON.stringify(confirmed.map((c) => ({ event_id: c.eventId, remote_id: c.remoteId, etag: c.etag, remote_updated_at: c.remoteUpdatedAt ?? null })))]);
  for (const row of rows) left.delete(row.event_id);
  return left;
}

export async function upsertStatus(db: Queryable, binding: BindingRef, status: StatusWrite): Promise<void> {
  await upsertStatuses(db, binding, [status]);
}

/**
 * Records the etag of a remote version seen without a new base (null keeps the one
 * stored). Its last-modified instant only moves forward (greatest ignores a null).
 */
export async function setStatusEtags(db: Queryable, binding: BindingRef, seen: Array<{ eventId: string; etag: string | null; remoteUpdatedAt?: string | null }>): Promise<void> {
  if (seen.length === 0) return;
  await db.query(
    `update sync_status s set etag = coalesce(u.etag, s.etag), remote_updated_at = greatest(s.remote_updated_at, u.remote_updated_at)
       from unnest($3::uuid[], $4::text[], $5::timestamptz[]) as u(event_id, etag, remote_updated_at)
      where s.tenant_id = $1 and s.binding_id = $2 and s.event_id = u.event_id`,
    [binding.tenantId, binding.bindingId, seen.map((e) => e.eventId), seen.map((e) => e.etag), seen.map((e) => e.remoteUpdatedAt ?? null)]);
}

/**
 * Records what remote writes are about to send (base and hash per event), before they
 * are sent; `null` clears it (the write was refused, so nothing is outstanding).
 */
export async function recordSent(db: Queryable, binding: BindingRef, sent: Array<{ eventId: string; sent: SyncStatus['sent'] | null }>): Promise<void> {
  if (sent.length === 0) return;
  await db.query(
    `update sync_status s set sent = u.sent
       from jsonb_to_recordset($3::jsonb) as u(event_id uuid, sent jsonb)
      where s.tenant_id = $1 and s.binding_id = $2 and s.event_id = u.event_id`,
    [binding.tenantId, binding.bindingId, JSON.stringify(sent.map((e) => ({ event_id: e.eventId, sent: e.sent })))]);
}

/**
 * Sets the base a person's decision agreed on, and lifts the status's hold: the next
 * pass plans the item against it.
 */
export async function setStatusBase(db: Queryable, binding: BindingRef, eventId: string, base: EventSeries, contentHash: string, options: { remoteHolds?: boolean } = {}): Promise<void> {
  await db.query(
    `update sync_status set base = $4, content_hash = $5, sent = null, quarantined_at = null, quarantine_error = null,
            asked = case when $6 or asked ->> 'contentHash' = $5 then null else asked end
      where tenant_id = $1 and binding_id = $2 and event_id = $3`,
    [binding.tenantId, binding.bindingId, eventId, JSON.stringify(base), contentHash, options.remoteHolds === true]);
}

export async function deleteStatuses(db: Queryable, binding: BindingRef, eventIds: string[]): Promise<void> {
  if (eventIds.length === 0) return;
  await db.query('delete from sync_status where tenant_id = $1 and binding_id = $2 and event_id = any($3::uuid[])', [binding.tenantId, binding.bindingId, eventIds]);
}

export async function quarantineStatus(db: Queryable, binding: BindingRef, eventId: string, error: unknown): Promise<void> {
  await db.query(
    `update sync_status set quarantined_at = coalesce(quarantined_at, now()), quarantine_error = $4
      where tenant_id = $1 and binding_id = $2 and event_id = $3`, [binding.tenantId, binding.bindingId, eventId, JSON.stringify(error)]);
}
