// What an operator sees and does of quarantined items, both kinds together:
//   remote: items a binding could not take in (quarantined_items, quarantine.ts), with
//           their reason, etag and raw payload; retried (the next pass reads them again)
//           or dismissed (left out until a new version of them comes);
//   held:   bound items whose sync status holds them for a person (sync_status.quarantined_at:
//           a write the provider refused for good, an edit against a delete under `ask`,
//           a calendar event that does not normalise); lifted (the next pass takes them again).
import { CalsyncError } from '../errors.ts';
import { isUuid, lockBinding, replanEvents, type LockedBinding } from './binding-locks.ts';
import type { BindingRef } from './bindings.ts';
import { withTransaction, type Db, type Queryable } from './db.ts';
import { recordOperatorAction, type Operator } from './operator-actions.ts';
import { queuePass } from './outbox.ts';

export type QuarantineKind = 'remote' | 'held';

export interface QuarantineEntry {
  kind: QuarantineKind;
  bindingId: string;
  calendarId: string;
  remoteId: string;
  /** held: the bound event (a series id); remote: the calsync id the item carries, if any. */
  eventId: string | null;
  /** held: the event's title, to recognise it by. */
  summary: string | null;
  reason: string;
  etag: string | null;
  /** remote: first seen; held: held since. */
  since: Date;
  lastSeenAt: Date | null;
  retryRequestedAt: Date | null;
  /** held: the error or question stored with the hold. */
  error: unknown;
  /** held: the open conflict the item waits for. */
  conflictId: string | null;
  /** remote, when asked for: the payload as the provider sent it. */
  raw?: string | null;
}

/** Where the previous page ended (keyset on held-since, kind, binding and remote id). */
export interface QuarantineCursor {
  sinceMicros: string;
  kind: QuarantineKind;
  bindingId: string;
  remoteId: string;
}

interface EntryRow {
  kind: QuarantineKind; binding_id: string; calendar_id: string; remote_id: string; event_id: string | null; summary: string | null; reason: string;
  etag: string | null; since: Date; since_micros: string; last_seen_at: Date | null; retry_requested_at: Date | null; error: unknown;
  conflict_id: string | null; raw: string | null;
}

/**
 * A tenant's quarantined items of both kinds, oldest first, `limit` at a time; `next`
 * continues after the last one. Dismissed items are left out.
 */
export async function listQuarantine(db: Queryable, tenantId: string, options: {
  bindingId?: string; kind?: QuarantineKind; remoteId?: string; raw?: boolean; limit: number; after?: QuarantineCursor | null;
}): Promise<{ items: QuarantineEntry[]; next: QuarantineCursor | null }> {
  if (options.bindingId !== undefined && !isUuid(options.bindingId)) return { items: [], next: null };
  const after = options.after ?? null;
  const { rows } = await db.query<EntryRow>(
    `with entries as (
       select 'remote' as kind, q.binding_id, q.remote_id, q.calsync_id as event_id, q.reason, q.etag, q.first_seen_at as since,
              q.last_seen_at, q.retry_requested_at, null::jsonb as error, case when $4 then q.raw end as raw
         from quarantined_items q
        where q.tenant_id = $1 and q.dismissed_at is null and ($2::uuid is null or q.binding_id = $2) and $3 in ('remote', 'any')
          and ($10::text is null or q.remote_id = $10)
       union all
       select 'held', s.binding_id, s.remote_id, s.event_id::text, coalesce(s.quarantine_error ->> 'reason', s.quarantine_error ->> 'message', 'held for a person'),
              s.etag, s.quarantined_at, null, null, s.quarantine_error, null
         from sync_status s
        where s.tenant_id = $1 and s.quarantined_at is not null and ($2::uuid is null or s.binding_id = $2) and $3 in ('held', 'any')
          and ($10::text is null or s.remote_id = $10))
     select e.*, (extract(epoch from e.since) * 1000000)::bigint::text as since_micros, b.calendar_id,
            case when e.kind = 'held' then (select ev.summary from events ev
                                             where ev.tenant_id = $1 and ev.calendar_id = b.calendar_id and ev.series_id = e.event_id::uuid
                                             order by ev.kind = 'override', ev.deleted_at desc nulls first limit 1) end as summary,
            case when e.kind = 'held' then (select c.id from conflicts c
                                             where c.tenant_id = $1 and c.binding_id = e.binding_id and c.event_id = e.event_id::uuid and c.state = 'open'
                                             order by c.created_at limit 1) end as conflict_id
       from entries e join bindings b on b.tenant_id = $1 and b.id = e.binding_id
      where $5::bigint is null
         or ((extract(epoch from e.since) * 1000000)::bigint, e.kind, e.binding_id::text, e.remote_id) > ($5::bigint, $6::text, $7::text, $8::text)
      order by (extract(epoch from e.since) * 1000000)::bigint, e.kind, e.binding_id::text, e.remote_id
      limit $9`,
    [tenantId, options.bindingId ?? null, options.kind ?? 'any', options.raw === true,
      after?.sinceMicros ?? null, after?.kind ?? null, after?.bindingId ?? null, after?.remoteId ?? null, options.limit + 1, options.remoteId ?? null]);
  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => ({
      kind: r.kind, bindingId: r.binding_id, calendarId: r.calendar_id, remoteId: r.remote_id, eventId: r.event_id, summary: r.summary,
      reason: r.reason, etag: r.etag, since: r.since, lastSeenAt: r.last_seen_at, retryRequestedAt: r.retry_requested_at, error: r.error,
      conflictId: r.conflict_id, ...(options.raw ? { raw: r.raw } : {}),
    })),
    next: rows.length > options.limit && last ? { sinceMicros: last.since_micros, kind: last.kind, bindingId: last.binding_id, remoteId: last.remote_id } : null,
  };
}

/** Quarantine counts per binding, across tenants, for `calsync status`. */
export async function quarantineCounts(db: Queryable): Promise<Array<{ tenantId: string; bindingId: string; remote: number; held: number }>> {
  const { rows } = await db.query<{ tenant_id: string; binding_id: string; remote: string; held: string }>(
    `select tenant_id, binding_id, count(*) filter (where kind = 'remote') as remote, count(*) filter (where kind = 'held') as held
       from (select tenant_id, binding_id, 'remote' as kind from quarantined_items where dismissed_at is null
             union all
             select tenant_id, binding_id, 'held' from sync_status where quarantined_at is not null) q
      group by tenant_id, binding_id order by tenant_id, binding_id`);
  return rows.map((r) => ({ tenantId: r.tenant_id, bindingId: r.binding_id, remote: Number(r.remote), held: Number(r.held) }));
}

function missing(binding: LockedBinding, kind: QuarantineKind, remoteIds: string[]): CalsyncError {
  return new CalsyncError('NOT_FOUND', `binding ${binding.id} has no ${kind === 'held' ? 'held' : 'quarantined'} item ${remoteIds.map((id) => JSON.stringify(id)).join(', ')}`,
    { bindingId: binding.id, remoteIds });
}

/** The remote ids among `remoteIds` that are quarantined items of the binding (dismissed ones too). */
async function quarantinedOf(tx: Queryable, binding: LockedBinding, remoteIds: string[]): Promise<Set<string>> {
  const { rows } = await tx.query<{ remote_id: string }>(
    'select remote_id from quarantined_items where tenant_id = $1 and binding_id = $2 and remote_id = any($3::text[]) for update',
    [binding.tenantId, binding.id, remoteIds]);
  return new Set(rows.map((r) => r.remote_id));
}

export interface QuarantineAction {
  bindingId: string;
  kind: QuarantineKind;
  action: 'retry' | 'dismiss' | 'lift';
  remoteIds: string[];
  passQueued: boolean;
}

/** Retries quarantined items of a binding and queues its pass, audited; see requestRetries. */
export async function retryQuarantined(db: Db, ref: BindingRef, remoteIds: string[], who: Operator): Promise<QuarantineAction> {
  return withTransaction(db, async (tx) => {
    const binding = await lockBinding(tx, ref);
    await requestRetries(tx, binding, remoteIds);
    await queuePass(tx, binding.tenantId, binding.id, 'manual');
    await recordOperatorAction(tx, {
      tenantId: binding.tenantId, bindingId: binding.id, action: 'quarantine.retry', actor: who.actor, targets: { remoteIds }, detail: { note: who.note ?? null },
    });
    return { bindingId: binding.id, kind: 'remote', action: 'retry', remoteIds, passQueued: true };
  });
}

/**
 * Lifts quarantined items, audited: remote items are dismissed (dismissQuarantined), held
 * ones released and a pass queued (liftHolds, with the binding idle).
 */
export async function liftQuarantined(db: Db, ref: BindingRef, kind: QuarantineKind, remoteIds: string[], who: Operator): Promise<QuarantineAction> {
  return withTransaction(db, async (tx) => {
    const binding = await lockBinding(tx, ref, { idle: kind === 'held' });
    let eventIds: string[] = [];
    if (kind === 'held') {
      eventIds = await liftHolds(tx, binding, remoteIds);
      await queuePass(tx, binding.tenantId, binding.id, 'manual');
    } else {
      await dismissQuarantined(tx, binding, remoteIds);
    }
    await recordOperatorAction(tx, {
      tenantId: binding.tenantId, bindingId: binding.id, action: kind === 'held' ? 'quarantine.lift' : 'quarantine.dismiss', actor: who.actor,
      targets: { remoteIds, eventIds }, detail: { kind, note: who.note ?? null },
    });
    return { bindingId: binding.id, kind, action: kind === 'held' ? 'lift' : 'dismiss', remoteIds, passQueued: kind === 'held' };
  });
}

/**
 * The next pass reads these quarantined items again (one by one where the connector
 * can, else in a full listing) and takes in those it can now read; a dismissed one is
 * shown again. All or nothing: an id the binding has not quarantined changes nothing.
 */
async function requestRetries(tx: Queryable, binding: LockedBinding, remoteIds: string[]): Promise<void> {
  const found = await quarantinedOf(tx, binding, remoteIds);
  const unknown = remoteIds.filter((id) => !found.has(id));
  if (unknown.length > 0) throw missing(binding, 'remote', unknown);
  await tx.query(
    `update quarantined_items set retry_requested_at = now(), dismissed_at = null
      where tenant_id = $1 and binding_id = $2 and remote_id = any($3::text[])`, [binding.tenantId, binding.id, remoteIds]);
}

/**
 * Sets quarantined items aside: they are no longer listed while they stay the version
 * they are (recordQuarantined shows a new version again). All or nothing.
 */
async function dismissQuarantined(tx: Queryable, binding: LockedBinding, remoteIds: string[]): Promise<void> {
  const found = await quarantinedOf(tx, binding, remoteIds);
  const unknown = remoteIds.filter((id) => !found.has(id));
  if (unknown.length > 0) throw missing(binding, 'remote', unknown);
  await tx.query(
    `update quarantined_items set dismissed_at = now(), retry_requested_at = null
      where tenant_id = $1 and binding_id = $2 and remote_id = any($3::text[])`, [binding.tenantId, binding.id, remoteIds]);
}

/** Why the hold of an item lifted by an operator is in quarantined_items until the next pass reads it. */
const liftedReason = 'its hold was lifted by an operator; the next pass reads it again';

/**
 * Lifts the holds of bound items, so the next pass takes each again with both sides in
 * view: the remote item is read again (through the quarantine's retry, which plans it
 * with its status and calendar event, so a remote edit made while it was held is not
 * missed), and a create that never got an answer is planned again from the calendar.
 * An item waiting for an open conflict stays held (HELD_FOR_CONFLICT): lifting it would
 * carry out one side of a question nobody answered. All or nothing. Returns the event ids.
 * Call with the binding locked idle (the calendar version may move back).
 */
async function liftHolds(tx: Queryable, binding: LockedBinding, remoteIds: string[]): Promise<string[]> {
  const { rows } = await tx.query<{ remote_id: string; event_id: string; pending: boolean; etag: string | null; conflict_id: string | null }>(
    `select s.remote_id, s.event_id, s.pending, s.etag,
            (select c.id from conflicts c where c.tenant_id = s.tenant_id and c.binding_id = s.binding_id and c.event_id = s.event_id and c.state = 'open' limit 1) as conflict_id
       from sync_status s where s.tenant_id = $1 and s.binding_id = $2 and s.remote_id = any($3::text[]) and s.quarantined_at is not null for update of s`,
    [binding.tenantId, binding.id, remoteIds]);
  const found = new Set(rows.map((r) => r.remote_id));
  const unknown = remoteIds.filter((id) => !found.has(id));
  if (unknown.length > 0) throw missing(binding, 'held', unknown);
  const waiting = rows.filter((r) => r.conflict_id !== null);
  if (waiting.length > 0) {
    throw new CalsyncError('HELD_FOR_CONFLICT', `item ${waiting.map((r) => JSON.stringify(r.remote_id)).join(', ')} of binding ${binding.id} waits for conflict ${waiting.map((r) => r.conflict_id).join(', ')}`,
      { bindingId: binding.id, conflictIds: waiting.map((r) => r.conflict_id) });
  }
  await tx.query(
    `update sync_status set quarantined_at = null, quarantine_error = null
      where tenant_id = $1 and binding_id = $2 and remote_id = any($3::text[])`, [binding.tenantId, binding.id, remoteIds]);
  const bound = rows.filter((r) => !r.pending);
  await tx.query(
    `insert into quarantined_items (tenant_id, binding_id, remote_id, etag, calsync_id, reason, retry_requested_at)
     select $1, $2, u.remote_id, u.etag, u.event_id, $5, now() from unnest($3::text[], $4::text[], $6::text[]) as u(remote_id, etag, event_id)
     on conflict (binding_id, remote_id) do update set retry_requested_at = now(), dismissed_at = null`,
    [binding.tenantId, binding.id, bound.map((r) => r.remote_id), bound.map((r) => r.etag), liftedReason, bound.map((r) => r.event_id)]);
  await replanEvents(tx, binding, rows.filter((r) => r.pending).map((r) => r.event_id));
  return rows.map((r) => r.event_id);
}
