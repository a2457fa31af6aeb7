// Watch channels (Google's events.watch): where and how to tell an app that a calendar
// changed. Every query is scoped by tenant. The signing secret is sealed with the
// channel as context (`watch-channel:<tenant>:<id>`, as secret rotation opens it).
//
// Delivery progress per channel: `message_number` is the number of the last message the
// receiver acknowledged (0: not even the `sync` message yet), `delivered_version` the
// calendar version the last acknowledged `exists` covered. It starts at the calendar's
// version when the channel is made, so changes from then on are announced.
import { CalsyncError } from '../errors.ts';
import type { Queryable } from './db.ts';
import type { Secrets } from './secrets.ts';

export interface WatchChannel {
  id: string;
  tenantId: string;
  calendarId: string;
  resourceId: string;
  resourceUri: string;
  token: string | null;
  address: string;
  params: Record<string, string>;
  expiresAt: Date;
  messageNumber: number;
  deliveredVersion: number;
  /** Tells this channel from an earlier one with the same id (ids of stopped channels are reused). */
  incarnation: string;
}

/** What an app's watch request makes: the channel, less what calsync keeps of it, with its secret. */
export type WatchChannelInput = Omit<WatchChannel, 'tenantId' | 'messageNumber' | 'deliveredVersion' | 'incarnation'> & { secret: string };

interface ChannelRow {
  id: string; tenant_id: string; calendar_id: string; resource_id: string; resource_uri: string; token: string | null;
  address: string; params: Record<string, string>; expires_at: Date; message_number: string; delivered_version: string; incarnation: string;
}

const columns = `id, tenant_id, calendar_id, resource_id, resource_uri, token, address, params, expires_at, message_number,
  delivered_version, created_at::text as incarnation`;

function toChannel(row: ChannelRow): WatchChannel {
  return {
    id: row.id, tenantId: row.tenant_id, calendarId: row.calendar_id, resourceId: row.resource_id, resourceUri: row.resource_uri,
    token: row.token, address: row.address, params: row.params, expiresAt: row.expires_at, messageNumber: Number(row.message_number),
    deliveredVersion: Number(row.delivered_version), incarnation: row.incarnation,
  };
}

function secretContext(tenantId: string, id: string): string {
  return `watch-channel:${tenantId}:${id}`;
}

/**
 * Stores a new channel. An id in use by a live channel of the tenant is refused
 * (Google's channelIdNotUnique); a stopped or expired channel's row is replaced.
 */
export async function createWatchChannel(db: Queryable, secrets: Secrets, tenantId: string, input: WatchChannelInput): Promise<WatchChannel> {
  const sealed = secrets.seal(input.secret, secretContext(tenantId, input.id));
  const { rows: [row] } = await db.query<ChannelRow>(
    `insert into watch_channels as w (id, tenant_id, calendar_id, resource_id, resource_uri, token, address, secret, params, expires_at, delivered_version)
     select $1, $2, c.id, $4, $5, $6, $7, $8, $9::jsonb, $10, c.version from calendars c where c.tenant_id = $2 and c.id = $3
     on conflict (tenant_id, id) do update set
       calendar_id = excluded.calendar_id, resource_id = excluded.resource_id, resource_uri = excluded.resource_uri,
       token = excluded.token, address = excluded.address, secret = excluded.secret, params = excluded.params,
       expires_at = excluded.expires_at, delivered_version = excluded.delivered_version, message_number = 0,
       created_at = now(), stopped_at = null
       where w.stopped_at is not null or w.expires_at <= now()
     returning ${columns}`,
    [input.id, tenantId, input.calendarId, input.resourceId, input.resourceUri, input.token, input.address, sealed,
      JSON.stringify(input.params), input.expiresAt]);
  if (!row) throw new CalsyncError('CHANNEL_ID_NOT_UNIQUE', `Channel id ${input.id} not unique`, { channelId: input.id });
  return toChannel(row);
}

/** Stops a live channel; false when the tenant has no live channel with this id and resource id. */
export async function stopWatchChannel(db: Queryable, tenantId: string, id: string, resourceId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'update watch_channels set stopped_at = now() where tenant_id = $1 and id = $2 and resource_id = $3 and stopped_at is null',
    [tenantId, id, resourceId]);
  return rowCount === 1;
}

/** The calendar's channels that are neither stopped nor expired, with their signing secrets. */
export async function liveWatchChannels(db: Queryable, secrets: Secrets, tenantId: string, calendarId: string): Promise<Array<WatchChannel & { secret: string }>> {
  const { rows } = await db.query<ChannelRow & { secret: Buffer }>(
    `select ${columns}, secret from watch_channels
      where tenant_id = $1 and calendar_id = $2 and stopped_at is null and expires_at > now() order by created_at, id`,
    [tenantId, calendarId]);
  return rows.map((row) => ({ ...toChannel(row), secret: secrets.open(row.secret, secretContext(tenantId, row.id)).toString('utf8') }));
}

/**
 * Records that the receiver acknowledged message `messageNumber`, covering the calendar
 * up to `version`. Never moves backwards, and leaves a newer channel with the same id alone.
 */
export async function recordWatchDelivery(db: Queryable, channel: Pick<WatchChannel, 'tenantId' | 'id' | 'incarnation'>, messageNumber: number, version: number): Promise<void> {
  await db.query(
    `update watch_channels set message_number = greatest(message_number, $4), delivered_version = greatest(delivered_version, $5)
      where tenant_id = $1 and id = $2 and created_at = $3::timestamptz`,
    [channel.tenantId, channel.id, channel.incarnation, messageNumber, version]);
}
