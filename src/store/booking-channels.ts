// Booking channels (migration 000019): where and how to tell an app that bookings of its
// tenant, or of one resource, changed. Every query is scoped by tenant. The signing
// secret is sealed with the channel as context (`booking-channel:<tenant>:<id>`, as
// secret rotation opens it). Progress as for watch channels (src/store/watch-channels.ts):
// `messageNumber` is the last message the receiver acknowledged, `deliveredVersion` the
// booking change number the last acknowledged message covered, starting at the tenant's
// counter when the channel is made, so changes from then on are announced.
import { CalsyncError } from '../errors.ts';
import type { Queryable } from './db.ts';
import type { Secrets } from './secrets.ts';

export interface BookingChannel {
  id: string;
  tenantId: string;
  /** The resource whose bookings it watches; null: every booking of the tenant. */
  bookableId: string | null;
  /** X-Goog-Resource-ID and -URI of its notifications. */
  resourceId: string;
  resourceUri: string;
  token: string | null;
  address: string;
  expiresAt: Date;
  messageNumber: number;
  deliveredVersion: number;
  /** Tells this channel from an earlier one with the same id (ids of stopped channels are reused). */
  incarnation: string;
}

export type BookingChannelInput = Pick<BookingChannel, 'id' | 'bookableId' | 'resourceId' | 'resourceUri' | 'token' | 'address' | 'expiresAt'> & { secret: string };

interface ChannelRow {
  id: string; tenant_id: string; resource_id: string | null; watched_id: string; watched_uri: string; token: string | null; address: string;
  expires_at: Date; message_number: string; delivered_change: string; incarnation: string;
}

const columns = `id, tenant_id, resource_id, watched_id, watched_uri, token, address, expires_at, message_number, delivered_change, created_at::text as incarnation`;

function toChannel(row: ChannelRow): BookingChannel {
  return {
    id: row.id, tenantId: row.tenant_id, bookableId: row.resource_id, resourceId: row.watched_id, resourceUri: row.watched_uri, token: row.token,
    address: row.address, expiresAt: row.expires_at, messageNumber: Number(row.message_number), deliveredVersion: Number(row.delivered_change),
    incarnation: row.incarnation,
  };
}

function secretContext(tenantId: string, id: string): string {
  return `booking-channel:${tenantId}:${id}`;
}

/**
 * Stores a new channel, starting at the tenant's booking change number. An id in use by a
 * live booking channel of the tenant is refused; a stopped or expired one's row is
 * replaced. A resource the tenant does not have is NOT_FOUND.
 */
export async function createBookingChannel(db: Queryable, secrets: Secrets, tenantId: string, input: BookingChannelInput): Promise<BookingChannel> {
  if (input.bookableId !== null) {
    const { rowCount } = await db.query('select 1 from resources where tenant_id = $1 and id = $2', [tenantId, input.bookableId]);
    if (rowCount !== 1) throw new CalsyncError('NOT_FOUND', `resource ${input.bookableId} not found`, { resourceId: input.bookableId });
  }
  const sealed = secrets.seal(input.secret, secretContext(tenantId, input.id));
  const { rows: [row] } = await db.query<ChannelRow>(
    `insert into booking_channels as c (id, tenant_id, resource_id, watched_id, watched_uri, token, address, secret, expires_at, delivered_change)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, coalesce((select change_number from booking_change_counters where tenant_id = $2), 0))
     on conflict (tenant_id, id) do update set
       resource_id = excluded.resource_id, watched_id = excluded.watched_id, watched_uri = excluded.watched_uri, token = excluded.token,
       address = excluded.address, secret = excluded.secret, expires_at = excluded.expires_at, delivered_change = excluded.delivered_change,
       message_number = 0, created_at = now(), stopped_at = null
       where c.stopped_at is not null or c.expires_at <= now()
     returning ${columns}`,
    [input.id, tenantId, input.bookableId, input.resourceId, input.resourceUri, input.token, input.address, sealed, input.expiresAt]);
  if (!row) throw new CalsyncError('CHANNEL_ID_NOT_UNIQUE', `Channel id ${input.id} not unique`, { channelId: input.id });
  return toChannel(row);
}

/** Stops a live channel; false when the tenant has no live booking channel with this id. */
export async function stopBookingChannel(db: Queryable, tenantId: string, id: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'update booking_channels set stopped_at = now() where tenant_id = $1 and id = $2 and stopped_at is null and expires_at > now()', [tenantId, id]);
  return rowCount === 1;
}

/**
 * The tenant's channels that are neither stopped nor expired, with their signing secrets
 * and what each watches now: the tenant's change number, or the highest of its resource's
 * bookings, read in one snapshot with the channels.
 */
export async function liveBookingChannels(db: Queryable, secrets: Secrets, tenantId: string): Promise<Array<BookingChannel & { secret: string; watchedVersion: number }>> {
  const { rows } = await db.query<ChannelRow & { secret: Buffer; watched_version: string }>(
    `select ${columns}, secret,
            case when c.resource_id is null
                 then coalesce((select change_number from booking_change_counters where tenant_id = c.tenant_id), 0)
                 else coalesce((select max(b.change_number) from bookings b where b.tenant_id = c.tenant_id and b.resource_id = c.resource_id), 0)
            end as watched_version
       from booking_channels c
      where c.tenant_id = $1 and c.stopped_at is null and c.expires_at > now() order by c.created_at, c.id`,
    [tenantId]);
  return rows.map((row) => ({
    ...toChannel(row), secret: secrets.open(row.secret, secretContext(tenantId, row.id)).toString('utf8'), watchedVersion: Number(row.watched_version),
  }));
}

/** Records that the receiver acknowledged message `messageNumber`, covering changes up to `version`; never backwards, and not a newer channel with the same id. */
export async function recordBookingDelivery(db: Queryable, channel: Pick<BookingChannel, 'tenantId' | 'id' | 'incarnation'>, messageNumber: number, version: number): Promise<void> {
  await db.query(
    `update booking_channels set message_number = greatest(message_number, $4), delivered_change = greatest(delivered_change, $5)
      where tenant_id = $1 and id = $2 and created_at = $3::timestamptz`,
    [channel.tenantId, channel.id, channel.incarnation, messageNumber, version]);
}
