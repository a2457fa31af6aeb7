// What every kind of watch channel (a calendar's, src/jobs/deliver-watch.ts; a tenant's
// bookings', src/jobs/deliver-booking-watch.ts) does alike: an empty POST with Google's
// X-Goog-* headers, signed with X-Calsync-Signature; `sync` as a channel's first message,
// then `exists` whenever what it watches moved past what the channel last acknowledged. A
// notification only says "something changed"; the app then lists with its sync token, so
// one `exists` covers any number of changes, and a receiver that was down gets one when it
// is back (at least once, never a message per change).
//
// Progress is kept per channel, so a receiver that keeps failing costs the others
// nothing: they are delivered and recorded, and only the job fails, to be retried with
// graphile-worker's backoff for the failing ones alone.
import { signatureHeader, signWebhook } from '../core/webhook-signature.ts';
import type { Db } from '../store/db.ts';
import type { Secrets } from '../store/secrets.ts';
import { checkWebhookAddress, type WebhookPolicy } from './webhook-address.ts';

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

/** A live channel as delivery sees it, whatever it watches. */
export interface NotifiedChannel {
  id: string;
  token: string | null;
  address: string;
  expiresAt: Date;
  /** X-Goog-Resource-ID and X-Goog-Resource-URI: what the channel watches. */
  resourceId: string;
  resourceUri: string;
  secret: string;
  /** The last message the receiver acknowledged (0: none yet). */
  messageNumber: number;
  /** The position (a calendar version, a booking change number) the last acknowledged message covered. */
  deliveredVersion: number;
}

/** Stores that the receiver acknowledged message `messageNumber`, covering up to `version`. */
export type RecordDelivery<C> = (channel: C, messageNumber: number, version: number) => Promise<void>;

// A slow receiver holds only its own slot: the others are notified meanwhile.
const channelsInFlight = 8;

interface Sent {
  outcome: DeliveryOutcome;
  detail: string;
}

async function notify(deps: WatchDeliveryDeps, channel: NotifiedChannel, state: ResourceState, messageNumber: number): Promise<Sent> {
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
async function catchUp<C extends NotifiedChannel>(deps: WatchDeliveryDeps, channel: C, version: number, record: RecordDelivery<C>): Promise<string | null> {
  let number = channel.messageNumber;
  const send = async (state: ResourceState, covering: number): Promise<string | null> => {
    const sent = await notify(deps, channel, state, number + 1);
    deps.onDelivery?.(state, sent.outcome);
    if (sent.outcome !== 'ok') return `${channel.id} (${state}: ${sent.detail})`;
    number += 1;
    await record(channel, number, covering);
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

/** Brings every channel up to what `versionOf` says it watches; the channels not reached. */
export async function deliverToChannels<C extends NotifiedChannel>(
  deps: WatchDeliveryDeps, channels: C[], versionOf: (channel: C) => number, record: RecordDelivery<C>,
): Promise<string[]> {
  const failed: string[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(channelsInFlight, channels.length) }, async () => {
    while (next < channels.length) {
      const channel = channels[next++]!;
      const failure = await catchUp(deps, channel, versionOf(channel), record);
      if (failure) failed.push(failure);
    }
  }));
  return failed;
}

/**
 * Rounds for one thing watched take turns (a session advisory lock, never a transaction
 * held across the requests): a round that starts while another runs, because a change
 * came meanwhile, waits and then reads the newer state, so a channel's messages go out in order.
 */
export async function withRoundLock<T>(db: Db, kind: string, key: string, work: () => Promise<T>): Promise<T> {
  const client = await db.connect();
  let broken = false;
  try {
    await client.query('select pg_advisory_lock(hashtext($1), hashtext($2))', [kind, key]);
    try {
      return await work();
    } finally {
      await client.query('select pg_advisory_unlock(hashtext($1), hashtext($2))', [kind, key])
        .catch(() => { broken = true; });
    }
  } finally {
    // A connection whose unlock failed is dropped, and the server frees its lock.
    client.release(broken);
  }
}

/** Fails the job when some channels were not reached, so graphile-worker retries it; the ones reached are recorded and skipped then. */
export function failedRound(kind: string, channels: number, failed: string[]): Error {
  return new Error(`${failed.length} of ${channels} ${kind} not reached: ${failed.join(', ')}`);
}
