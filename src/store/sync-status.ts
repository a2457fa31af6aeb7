// Sync status per binding and item: remote id, etag, content hash and the base (the
// normalised content both sides last agreed on). Read in slices (by remote ids or event
// ids) so a pass never loads a whole calendar's statuses at once.
import type { EventSeries } from '../core/model.ts';
import type { SyncStatus } from '../core/plan.ts';
import type { Queryable } from './db.ts';

interface StatusRow {
  event_id: string; remote_id: string; etag: string | null; content_hash: string; base: EventSeries;
  pending: boolean; quarantined_at: Date | null;
}

const columns = 'event_id, remote_id, etag, content_hash, base, pending, quarantined_at';

function toStatus(row: StatusRow): SyncStatus {
  return {
    eventId: row.event_id, remoteId: row.remote_id, etag: row.etag, contentHash: row.content_hash, base: row.base,
    ...(row.pending ? { pending: true } : {}), ...(row.quarantined_at ? { quarantined: true } : {}),
  };
}

export async function statusesByRemoteIds(db: Queryable, bindingId: string, remoteIds: string[]): Promise<SyncStatus[]> {
  if (remoteIds.length === 0) return [];
  const { rows } = await db.query<StatusRow>(`select ${columns} from sync_status where binding_id = $1 and remote_id = any($2::text[])`, [bindingId, remoteIds]);
  return rows.map(toStatus);
}

export async function statusesByEventIds(db: Queryable, bindingId: string, eventIds: string[]): Promise<SyncStatus[]> {
  if (eventIds.length === 0) return [];
  const { rows } = await db.query<StatusRow>(`select ${columns} from sync_status where binding_id = $1 and event_id = any($2::uuid[])`, [bindingId, eventIds]);
  return rows.map(toStatus);
}

/** Remote ids of every status, in pages (keyset on remote id). */
export async function remoteIdsPage(db: Queryable, bindingId: string, after: string | null, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ remote_id: string }>(
    `select remote_id from sync_status where binding_id = $1 and ($2::text is null or remote_id > $2) order by remote_id limit $3`,
    [bindingId, after, limit]);
  return rows.map((r) => r.remote_id);
}

export async function countStatuses(db: Queryable, bindingId: string): Promise<number> {
  const { rows: [row] } = await db.query<{ n: string }>('select count(*) as n from sync_status where binding_id = $1', [bindingId]);
  return Number(row!.n);
}

export async function upsertStatus(db: Queryable, tenantId: string, bindingId: string, status: SyncStatus & { remoteHref?: string | null }): Promise<void> {
  // One status per event: a status that moves to a new remote id (an adopted pending
  // create) replaces the old row.
  await db.query('delete from sync_status where binding_id = $1 and event_id = $2 and remote_id <> $3', [bindingId, status.eventId, status.remoteId]);
  await db.query(
    `insert into sync_status (tenant_id, binding_id, event_id, remote_id, remote_href, etag, content_hash, base, pending, quarantined_at, synced_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, case when $10 then now() end, now())
     on conflict (binding_id, remote_id) do update set event_id = excluded.event_id, etag = excluded.etag,
       content_hash = excluded.content_hash, base = excluded.base, pending = excluded.pending,
       quarantined_at = case when $10 then coalesce(sync_status.quarantined_at, now()) end, synced_at = now()`,
    [tenantId, bindingId, status.eventId, status.remoteId, status.remoteHref ?? null, status.etag, status.contentHash,
      JSON.stringify(status.base), status.pending ?? false, status.quarantined ?? false]);
}

export async function setStatusEtag(db: Queryable, bindingId: string, eventId: string, etag: string): Promise<void> {
  await db.query('update sync_status set etag = $3 where binding_id = $1 and event_id = $2', [bindingId, eventId, etag]);
}

export async function deleteStatus(db: Queryable, bindingId: string, eventId: string): Promise<void> {
  await db.query('delete from sync_status where binding_id = $1 and event_id = $2', [bindingId, eventId]);
}

export async function quarantineStatus(db: Queryable, bindingId: string, eventId: string, error: unknown): Promise<void> {
  await db.query('update sync_status set quarantined_at = coalesce(quarantined_at, now()), quarantine_error = $3 where binding_id = $1 and event_id = $2',
    [bindingId, eventId, JSON.stringify(error)]);
}
