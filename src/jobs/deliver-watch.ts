// Tells every live watch channel of one calendar that it changed, as Google Calendar's
// push does: an empty POST with X-Goog-* headers, `sync` as a channel's first message,
// then `exists` whenever the calendar moved past what the channel last acknowledged. A
// notification only says "something changed"; the app then lists with its sync token,
// so one `exists` covers any number of changes, and a receiver that was down gets one
// when it is back (at least once, never a message per change).
//
// Progress is kept per channel (src/store/watch-channels.ts), so a receiver that keeps
// failing costs the others nothing: they are delivered and recorded, and only the job
// fails, to be retried with graphile-worker's backoff for the failing ones alone.
import { signatureHeader, signWebhook } from '../core/webhook-signature.ts';
import { calendarVersions } from '../store/app-events.ts';
import type { Db } from '../store/db.ts';
import { deliverWatchTask } from '../store/outbox.ts';
import type { Secrets } from '../store/secrets.ts';
import { liveWatchChannels, recordWatchDelivery, type WatchChannel } from '../store/watch-channels.ts';
import { defineTask, invalidPayload } from './registry.ts';
import { checkWebhookAddress, type WebhookPolicy } from './webhook-address.ts';

export interface DeliverWatchPayload {
  tenantId: string;
  calendarId: string;
}

export type ResourceState = 'sync' | 'exists';
export type DeliveryOutcome = 'ok' | 'http_error' | 'network_error' | 'refused';

export interface WatchDeliveryDeps {
  fetch: typeof fetch;
  webhooks: WebhookPolicy;
  secrets: Secrets;
  now(): Date;
  /** How long one notification may take (default 10 s). */
  timeoutMs?: number;
  onDelivery?(state: ResourceState, outcome: DeliveryOutcome): void;
}

// A slow receiver holds only its own slot: the others are notified meanwhile.
const channelsInFlight = 8;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Channel = WatchChannel & { secret: string };

interface Sent {
  outcome: DeliveryOutcome;
  detail: string;
}

async function notify(deps: WatchDeliveryDeps, channel: Channel, state: ResourceState, messageNumber: number): Promise<Sent> {
  let url: URL;
  try {
    url = await checkWebhookAddress(channel.address, deps.webhooks);
  } catch (error) {
    return { outcome: 'refused', detail: (error as Error).message };
  }
  const body = '';
  const headers: Record<string, string> = {
    'X-Goog-Channel-ID': channel.id,
    ...(channel.token === null ? {} : { 'X-Goog-Channel-Token': channel.token }),
    // RFC 1123, as Google writes it: "Tue, 19 Nov 2013 01:13:52 GMT".
    'X-Goog-Channel-Expiration': channel.expiresAt.toUTCString(),
    'X-Goog-Resource-ID': channel.resourceId,
    'X-Goog-Resource-URI': channel.resourceUri,
    'X-Goog-Resource-State': state,
    'X-Goog-Message-Number': String(messageNumber),
    [signatureHeader]: signWebhook(channel.secret, Math.floor(deps.now().getTime() / 1000), body),
    'User-Agent': 'calsync-webhooks',
  };
  try {
    // Redirects are not followed: the next hop would not have passed the address check.
    const response = await deps.fetch(url, {
      method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
    });
    await response.body?.cancel();
    return response.ok ? { outcome: 'ok', detail: String(response.status) } : { outcome: 'http_error', detail: `HTTP ${response.status}` };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { outcome: 'network_error', detail: cause?.code ?? (error as Error).name };
  }
}

/** Brings one channel up to `version`; the failure, if any. */
async function catchUp(db: Db, deps: WatchDeliveryDeps, channel: Channel, version: number): Promise<string | null> {
  let number = channel.messageNumber;
  const send = async (state: ResourceState, covering: number): Promise<string | null> => {
    const sent = await notify(deps, channel, state, number + 1);
    deps.onDelivery?.(state, sent.outcome);
    if (sent.outcome !== 'ok') return `${channel.id} (${state}: ${sent.detail})`;
    number += 1;
    await recordWatchDelivery(db, channel, number, covering);
    return null;
  };
  // Nothing acknowledged yet: the channel's `sync` message comes first.
  if (number === 0) {
    const failed = await send('sync', channel.deliveredVersion);
    if (failed) return failed;
  }
  if (version > channel.deliveredVersion) return send('exists', version);
  return null;
}

/**
 * Rounds for one calendar take turns (a session advisory lock, never a transaction held
 * across the requests): a round that starts while another runs, because a change came
 * meanwhile, waits and then reads the newer state, so a channel's messages go out in order.
 */
async function withCalendarLock<T>(db: Db, calendarId: string, work: () => Promise<T>): Promise<T> {
  const client = await db.connect();
  let broken = false;
  try {
    await client.query(`select pg_advisory_lock(hashtext('calsync.deliver_watch'), hashtext($1))`, [calendarId]);
    try {
      return await work();
    } finally {
      await client.query(`select pg_advisory_unlock(hashtext('calsync.deliver_watch'), hashtext($1))`, [calendarId])
        .catch(() => { broken = true; });
    }
  } finally {
    // A connection whose unlock failed is dropped, and the server frees its lock.
    client.release(broken);
  }
}

export async function deliverWatch(db: Db, deps: WatchDeliveryDeps, payload: DeliverWatchPayload): Promise<{ channels: number; failed: string[] }> {
  return withCalendarLock(db, payload.calendarId, async () => {
    const versions = await calendarVersions(db, payload.tenantId, payload.calendarId);
    if (!versions) return { channels: 0, failed: [] };
    const channels = await liveWatchChannels(db, deps.secrets, payload.tenantId, payload.calendarId);
    const failed: string[] = [];
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(channelsInFlight, channels.length) }, async () => {
      while (next < channels.length) {
        const failure = await catchUp(db, deps, channels[next++]!, versions.version);
        if (failure) failed.push(failure);
      }
    }));
    return { channels: channels.length, failed };
  });
}

export const deliverWatchJob = defineTask<DeliverWatchPayload>({
  name: deliverWatchTask,
  parse(payload) {
    const p = payload as Partial<DeliverWatchPayload> | null;
    if (typeof p?.tenantId !== 'string' || !uuid.test(p.tenantId) || typeof p.calendarId !== 'string' || !uuid.test(p.calendarId)) {
      throw invalidPayload(deliverWatchTask, 'needs tenantId and calendarId (uuids)');
    }
    return { tenantId: p.tenantId, calendarId: p.calendarId };
  },
  async run(payload, deps) {
    if (!deps.delivery) throw new Error(`job ${deliverWatchTask}: this worker was started without webhook delivery`);
    const result = await deliverWatch(deps.db, deps.delivery, payload);
    const log = deps.engine.logger.child({ tenantId: payload.tenantId, calendarId: payload.calendarId });
    if (result.failed.length === 0) {
      log.debug({ channels: result.channels }, 'watch channels notified');
      return;
    }
    log.warn({ channels: result.channels, failed: result.failed }, 'watch channels not reached; retrying with backoff');
    // The job fails so graphile-worker retries it; channels that were reached are recorded and skipped then.
    throw new Error(`${result.failed.length} of ${result.channels} watch channels not reached: ${result.failed.join(', ')}`);
  },
});
