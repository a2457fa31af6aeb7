// Push subscriptions of bindings, whatever their provider (Google watch channels), in
// bindings.push_subscription (migration 000012), and the subscriptions bindings no longer
// use but a provider may still deliver, in retired_push_subscriptions until they expire.
// What a provider echoes in every notification (Google's channel token) is a shared
// secret: only its SHA-256 is stored (`secretHash`), and the provider's verifier compares
// a notification's in constant time. A subscription's own data beyond id, resource and
// expiry is the provider's, in `extras`. Finding a subscription by its id is across
// tenants: a webhook names no tenant, as finding an API key by its hash names none.
import { secretDigest } from '../core/secret-digest.ts';
import type { BindingRef } from './bindings.ts';
import { withTransaction, type Db, type Queryable } from './db.ts';
import { queueChannelStop } from './outbox.ts';

export interface PushChannelState {
  id: string;
  resourceId: string;
  secretHash: string;
  /** ISO instants. */
  expiresAt: string;
  createdAt: string;
  /** When the channel's first (`sync`) message arrived: until then nothing proves it works. */
  confirmedAt: string | null;
  /** The provider's own data about the subscription. */
  extras?: Record<string, unknown>;
}

/** What the webhook route needs of a channel's binding. */
export interface ChannelOwner {
  tenantId: string;
  bindingId: string;
  secretHash: string;
  resourceId: string;
  active: boolean;
  /** `pending`: being made (watch has not answered); `retired`: no longer used, a notification of it asks for its stop, not a pass. */
  kind: 'live' | 'pending' | 'retired';
}

export { secretDigest };

/**
 * The binding of a live channel, of one being made (its resourceId is then ''), or of a
 * retired one that has not expired (its resourceId is '' when the watch never answered).
 */
export async function findChannel(db: Queryable, channelId: string): Promise<ChannelOwner | null> {
  const { rows: [row] } = await db.query<{ tenant_id: string; id: string; secret_hash: string; resource_id: string | null; state: string; kind: ChannelOwner['kind'] }>(
    `select tenant_id, id, state, push_subscription ->> 'secretHash' as secret_hash, push_subscription ->> 'resourceId' as resource_id, 'live' as kind, 1 as rank
       from bindings where push_subscription ->> 'id' = $1
     union all
     select tenant_id, id, state, push_subscription -> 'pending' ->> 'secretHash', null, 'pending', 2
       from bindings where push_subscription -> 'pending' ->> 'id' = $1
     union all
     select r.tenant_id, r.binding_id, b.state, r.secret_hash, r.resource_id, 'retired', 3
       from retired_push_subscriptions r join bindings b on b.tenant_id = r.tenant_id and b.id = r.binding_id
      where r.channel_id = $1 and r.expires_at > now()
     order by rank limit 1`, [channelId]);
  if (!row) return null;
  return { tenantId: row.tenant_id, bindingId: row.id, secretHash: row.secret_hash, resourceId: row.resource_id ?? '', active: row.state === 'active', kind: row.kind };
}

export interface RetiredChannel {
  id: string;
  secretHash: string;
  /** Null when the watch never answered. */
  resourceId: string | null;
  expiresAt: Date;
}

/** A channel the binding stops using; kept until it expires, whatever becomes of its stop. */
export async function retirePushChannel(db: Queryable, ref: BindingRef, channel: RetiredChannel): Promise<void> {
  await db.query(
    `insert into retired_push_subscriptions (channel_id, tenant_id, binding_id, resource_id, secret_hash, expires_at)
     values ($3, $1, $2, $4, $5, $6)
     on conflict (channel_id) do update set resource_id = coalesce(excluded.resource_id, retired_push_subscriptions.resource_id), expires_at = excluded.expires_at`,
    [ref.tenantId, ref.bindingId, channel.id, channel.resourceId, channel.secretHash, channel.expiresAt]);
}

/**
 * Queues the stop of a retired channel that Google still delivers (with its binding's
 * account), unless a stop of a retired channel on the same resource was queued within
 * `windowMs`: one per resource and window, however many notifications arrive and however
 * many processes receive them (an advisory lock per resource orders them). `resourceId`
 * is the stored one, or the notification's when the watch never answered. True when queued.
 */
export async function queueRetiredChannelStop(db: Db, channelId: string, resourceId: string, at: Date, windowMs: number): Promise<boolean> {
  return withTransaction(db, async (client) => {
    await client.query(`select pg_advisory_xact_lock(hashtextextended('calsync.retired-channel-stop:' || $1, 0))`, [resourceId]);
    const { rows: [claimed] } = await client.query<{ tenant_id: string; binding_id: string }>(
      `update retired_push_subscriptions r set stop_queued_at = $3, resource_id = coalesce(r.resource_id, $2)
        where r.channel_id = $1
          and not exists (select 1 from retired_push_subscriptions o
                           where o.resource_id = $2 and o.stop_queued_at > $3::timestamptz - make_interval(secs => $4::double precision / 1000))
        returning r.tenant_id, r.binding_id`,
      [channelId, resourceId, at.toISOString(), windowMs]);
    if (!claimed) return false;
    await queueChannelStop(client, { tenantId: claimed.tenant_id, bindingId: claimed.binding_id }, { id: channelId, resourceId });
    return true;
  });
}

/** Forgets retired channels that have expired: Google delivers them no more. */
export async function purgeRetiredChannels(db: Queryable, at: Date): Promise<number> {
  const { rowCount } = await db.query('delete from retired_push_subscriptions where expires_at <= $1', [at]);
  return rowCount ?? 0;
}

/** A renewal that started this long ago and never finished (its process died) no longer holds the binding. */
const pendingHoldMs = 5 * 60_000;

/**
 * Records the channel about to be made, so its first message is recognised even before
 * events.watch answers. It claims the binding: false when the live channel is no longer
 * `expectedLiveId` or another renewal is under way (the minutely job and a manual renewal
 * may meet), and the caller then makes nothing.
 */
export async function savePendingChannel(db: Queryable, ref: BindingRef, channel: { id: string; secretHash: string }, expectedLiveId: string | null, at: Date): Promise<boolean> {
  const { rowCount } = await db.query(
    `update bindings set push_subscription = coalesce(push_subscription, '{}'::jsonb) || jsonb_build_object('pending', $3::jsonb || jsonb_build_object('startedAt', $5::text))
      where tenant_id = $1 and id = $2
        and (push_subscription ->> 'id') is not distinct from $4
        and coalesce((push_subscription -> 'pending' ->> 'startedAt')::timestamptz, '-infinity') < $5::timestamptz - make_interval(secs => $6)`,
    [ref.tenantId, ref.bindingId, JSON.stringify(channel), expectedLiveId, at.toISOString(), pendingHoldMs / 1000]);
  return rowCount === 1;
}

/**
 * The channel made: it replaces the live one, keeping a confirmation its first message
 * already brought, else `confirmedAt` (a provider whose subscribing proves delivery).
 * False when the binding's pending channel is no longer this one.
 */
export async function activatePushChannel(db: Queryable, ref: BindingRef, channel: Omit<PushChannelState, 'confirmedAt'>, confirmedAt: string | null = null): Promise<boolean> {
  const { rowCount } = await db.query(
    `update bindings set push_subscription = $3::jsonb || jsonb_build_object('confirmedAt', coalesce(push_subscription -> 'pending' -> 'confirmedAt', to_jsonb($6::text))),
            push_expires_at = $4, updated_at = now()
      where tenant_id = $1 and id = $2 and push_subscription -> 'pending' ->> 'id' = $5`,
    [ref.tenantId, ref.bindingId, JSON.stringify(channel), channel.expiresAt, channel.id, confirmedAt]);
  return rowCount === 1;
}

/**
 * The channel's `sync` message arrived: it works. Once per channel, live or being made.
 * One statement for both places: if the channel is activated while this waits for the
 * row, Postgres re-reads the row and the confirmation lands on the live channel, where
 * two statements could miss it in both.
 */
export async function confirmPushChannel(db: Queryable, channelId: string, at: Date): Promise<void> {
  await db.query(
    `update bindings set push_subscription = case when push_subscription ->> 'id' = $1
              then push_subscription || jsonb_build_object('confirmedAt', $2::text)
              else jsonb_set(push_subscription, '{pending,confirmedAt}', to_jsonb($2::text)) end
      where (push_subscription ->> 'id' = $1 and push_subscription ->> 'confirmedAt' is null)
         or (push_subscription -> 'pending' ->> 'id' = $1 and push_subscription -> 'pending' ->> 'confirmedAt' is null)`,
    [channelId, at.toISOString()]);
}

export interface ChannelDue {
  /** The binding's provider. */
  provider: string;
  tenantId: string;
  bindingId: string;
  channel: PushChannelState | null;
}

/**
 * Active bindings of active accounts of `provider` whose channel is missing or expires
 * before `renewBefore`, skipping those whose last attempt failed until `retry_at` (kept
 * in push_subscription.retryAt). Oldest first, at most `limit`; only `binding` when given.
 */
export async function channelsDue(db: Queryable, provider: string, renewBefore: Date, limit: number, binding?: BindingRef): Promise<ChannelDue[]> {
  const { rows } = await db.query<{ tenant_id: string; id: string; push_subscription: (PushChannelState & { retryAt?: string }) | null }>(
    `select b.tenant_id, b.id, b.push_subscription from bindings b join accounts a on a.tenant_id = b.tenant_id and a.id = b.account_id
      where a.provider = $1 and a.state = 'active' and b.state = 'active' and b.direction <> 'export'
        and (b.push_expires_at is null or b.push_expires_at < $2)
        and coalesce((b.push_subscription ->> 'retryAt')::timestamptz, '-infinity') <= now()
        and ($4::uuid is null or (b.tenant_id = $4::uuid and b.id = $5::uuid))
      order by b.push_expires_at nulls first, b.id limit $3`, [provider, renewBefore, limit, binding?.tenantId ?? null, binding?.bindingId ?? null]);
  return rows.map((r) => ({ provider, tenantId: r.tenant_id, bindingId: r.id, channel: r.push_subscription?.id ? r.push_subscription : null }));
}

/**
 * A live subscription the provider extended in place: its new expiry and extras; a failed
 * earlier attempt's error is forgotten. False when it is no longer the binding's.
 */
export async function extendPushSubscription(db: Queryable, ref: BindingRef, subscription: { id: string; expiresAt: string; extras: Record<string, unknown> }): Promise<boolean> {
  const { rowCount } = await db.query(
    `update bindings set push_subscription = (push_subscription - 'error'::text - 'retryAt'::text) || jsonb_build_object('expiresAt', $4::text, 'extras', $5::jsonb),
            push_expires_at = $4::timestamptz, updated_at = now()
      where tenant_id = $1 and id = $2 and push_subscription ->> 'id' = $3`,
    [ref.tenantId, ref.bindingId, subscription.id, subscription.expiresAt, JSON.stringify(subscription.extras)]);
  return rowCount === 1;
}

/** A failed renewal in place: the subscription stays until it expires; the next attempt waits until `retryAt`. */
export async function recordRenewalFailure(db: Queryable, ref: BindingRef, subscriptionId: string, error: string, retryAt: Date): Promise<void> {
  await db.query(
    `update bindings set push_subscription = push_subscription || jsonb_build_object('error', $4::text, 'retryAt', $5::text)
      where tenant_id = $1 and id = $2 and push_subscription ->> 'id' = $3`,
    [ref.tenantId, ref.bindingId, subscriptionId, error.slice(0, 500), retryAt.toISOString()]);
}

/** A channel is healthy while it is live and its first message came: then polls can be rarer. */
export const pushHealthySql = `(push_expires_at > now() and push_subscription ->> 'confirmedAt' is not null)`;

/** A failed attempt: the old channel (if any) stays; the next attempt waits until `retryAt`. */
export async function recordChannelFailure(db: Queryable, ref: BindingRef, channelId: string, error: string, retryAt: Date): Promise<void> {
  await db.query(
    `update bindings set push_subscription = (push_subscription - 'pending') || jsonb_build_object('error', $4::text, 'retryAt', $5::text)
      where tenant_id = $1 and id = $2 and push_subscription -> 'pending' ->> 'id' = $3`,
    [ref.tenantId, ref.bindingId, channelId, error.slice(0, 500), retryAt.toISOString()]);
}

export const renewPushChannelsTask = 'renew_push_channels';

/**
 * Asks for the binding's channel now rather than at the next minutely run: a job of the
 * renewal task for this binding alone (src/jobs/renew-push-channels.ts), which makes
 * nothing when calsync has no webhook URL or the binding needs no channel. `resubscribe`:
 * the provider asked for it (a lifecycle notification), so it is renewed however far
 * its expiry is.
 */
export async function queuePushChannel(db: Queryable, binding: BindingRef, options: { resubscribe?: boolean } = {}): Promise<void> {
  await db.query(
    `select graphile_worker.add_job($1, json_build_object('tenantId', $2::uuid, 'bindingId', $3::uuid, 'resubscribe', $4::boolean),
              job_key := 'push-channel:' || $3, job_key_mode := 'replace', max_attempts := 3)`,
    [renewPushChannelsTask, binding.tenantId, binding.bindingId, options.resubscribe === true]);
}
