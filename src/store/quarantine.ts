// Remote items a binding could not take in (migration 000007): unreadable payloads and
// items the planner refused (content that does not normalise, a second item with a
// bound iCalUID). A pass records them and goes on; an operator lists them, asks for a
// retry (the next pass reads the item again) or dismisses them.
import type { BindingRef } from './bindings.ts';
import type { Queryable } from './db.ts';

export interface QuarantineRecord {
  remoteId: string;
  etag: string | null;
  calsyncId: string | null;
  reason: string;
  raw: string | null;
  /** The provider's last-modified instant of the unreadable version, where known. */
  updatedAt?: string | null;
}

export interface QuarantinedItem extends QuarantineRecord {
  tenantId: string;
  bindingId: string;
  firstSeenAt: Date;
  lastSeenAt: Date;
  retryRequestedAt: Date | null;
  dismissedAt: Date | null;
}

/**
 * Records items as quarantined (one row per binding and remote id). A dismissed item
 * stays dismissed while it is the same version (same etag); a new version is shown again.
 */
export async function recordQuarantined(db: Queryable, binding: BindingRef, items: QuarantineRecord[]): Promise<void> {
  if (items.length === 0) return;
  const byId = new Map(items.map((i) => [i.remoteId, i]));
  await db.query(
    `insert into quarantined_items (tenant_id, binding_id, remote_id, etag, calsync_id, reason, raw, remote_updated_at)
     select $1, $2, q.remote_id, q.etag, q.calsync_id, q.reason, q.raw, q.remote_updated_at
       from jsonb_to_recordset($3::jsonb) as q(remote_id text, etag text, calsync_id text, reason text, raw text, remote_updated_at timestamptz)
     on conflict (binding_id, remote_id) do update set etag = excluded.etag, calsync_id = excluded.calsync_id,
       reason = excluded.reason, raw = excluded.raw, last_seen_at = now(), retry_requested_at = null,
       remote_updated_at = greatest(quarantined_items.remote_updated_at, excluded.remote_updated_at),
       dismissed_at = case when quarantined_items.etag is not distinct from excluded.etag then quarantined_items.dismissed_at end`,
    [binding.tenantId, binding.bindingId, JSON.stringify([...byId.values()].map((i) => ({
      remote_id: i.remoteId, etag: i.etag, calsync_id: i.calsyncId, reason: i.reason, raw: i.raw, remote_updated_at: i.updatedAt ?? null,
    })))]);
}

/** Forgets the quarantine of items that were read and taken in (or deleted) since. */
export async function clearQuarantined(db: Queryable, binding: BindingRef, remoteIds: string[]): Promise<void> {
  if (remoteIds.length === 0) return;
  await db.query('delete from quarantined_items where tenant_id = $1 and binding_id = $2 and remote_id = any($3::text[])',
    [binding.tenantId, binding.bindingId, remoteIds]);
}

/**
 * Of the given remote ids, those quarantined with the last-modified instant of their
 * unreadable version (where known): a readable delivery older than it is stale.
 */
export async function quarantinedSince(db: Queryable, binding: BindingRef, remoteIds: string[]): Promise<Map<string, string>> {
  if (remoteIds.length === 0) return new Map();
  const { rows } = await db.query<{ remote_id: string; remote_updated_at: Date }>(
    `select remote_id, remote_updated_at from quarantined_items
      where tenant_id = $1 and binding_id = $2 and remote_id = any($3::text[]) and remote_updated_at is not null`,
    [binding.tenantId, binding.bindingId, remoteIds]);
  return new Map(rows.map((r) => [r.remote_id, r.remote_updated_at.toISOString()]));
}

/** Remote ids of every quarantined item of the binding, dismissed or not. */
export async function quarantinedIds(db: Queryable, binding: BindingRef): Promise<string[]> {
  const { rows } = await db.query<{ remote_id: string }>('select remote_id from quarantined_items where tenant_id = $1 and binding_id = $2', [binding.tenantId, binding.bindingId]);
  return rows.map((r) => r.remote_id);
}

/** Remote ids an operator asked to read again. */
export async function retriesRequested(db: Queryable, binding: BindingRef, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ remote_id: string }>(
    `select remote_id from quarantined_items where tenant_id = $1 and binding_id = $2 and retry_requested_at is not null
      order by retry_requested_at limit $3`, [binding.tenantId, binding.bindingId, limit]);
  return rows.map((r) => r.remote_id);
}

interface Row {
  tenant_id: string; binding_id: string; remote_id: string; etag: string | null; calsync_id: string | null; reason: string; raw: string | null;
  first_seen_at: Date; last_seen_at: Date; retry_requested_at: Date | null; dismissed_at: Date | null;
}

function toItem(r: Row): QuarantinedItem {
  return {
    tenantId: r.tenant_id, bindingId: r.binding_id, remoteId: r.remote_id, etag: r.etag, calsyncId: r.calsync_id, reason: r.reason, raw: r.raw,
    firstSeenAt: r.first_seen_at, lastSeenAt: r.last_seen_at, retryRequestedAt: r.retry_requested_at, dismissedAt: r.dismissed_at,
  };
}

/** A tenant's quarantined items not dismissed, optionally of one binding, oldest first. */
export async function listQuarantined(db: Queryable, tenantId: string, options: { bindingId?: string; limit?: number } = {}): Promise<QuarantinedItem[]> {
  const { rows } = await db.query<Row>(
    `select * from quarantined_items where tenant_id = $1 and ($2::uuid is null or binding_id = $2) and dismissed_at is null
      order by first_seen_at, remote_id limit $3`, [tenantId, options.bindingId ?? null, options.limit ?? 1000]);
  return rows.map(toItem);
}
