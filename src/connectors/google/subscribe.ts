// Push channels (guides/push): events.watch makes a channel that POSTs a notification to
// an address after every change of a calendar; channels.stop ends one (it needs the
// channel's id and the resourceId watch answered). Channels are not renewed by Google:
// a new one is made before the old expires (src/jobs/renew-push-channels.ts).
import { secretMatches } from '../../core/secret-digest.ts';
import { ConnectorError, type PushChannel } from '../connector.ts';
import type { WebhookVerifier } from '../provider.ts';
import type { GoogleClient } from './client.ts';

/**
 * `expiration` is "a Unix timestamp in milliseconds": a number in the push guide's
 * examples, an int64 string in the discovery document; both are read.
 */
export function expirationOf(value: unknown, fallback: number): number {
  const ms = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  return Number.isFinite(ms) && ms > 0 ? ms : fallback;
}

export async function watchCalendar(
  client: GoogleClient, calendarId: string, channel: { id: string; token: string; address: string; ttlSeconds: number }, now: number,
): Promise<PushChannel> {
  const answer = await client.call('watch', null, (o) => client.api.events.watch({
    calendarId,
    requestBody: { id: channel.id, type: 'web_hook', address: channel.address, token: channel.token, params: { ttl: String(channel.ttlSeconds) } },
  }, o));
  if (!answer.ok) throw answer.error;
  const { resourceId, expiration } = answer.data;
  if (!resourceId) throw new ConnectorError('transient', `Google events.watch for ${calendarId} answered without a resourceId`);
  return { id: channel.id, resourceId, expiresAt: expirationOf(expiration, now + channel.ttlSeconds * 1000) };
}

/** 404: Google no longer knows the channel (expired, or stopped before): stopped either way. */
export async function stopChannel(client: GoogleClient, channel: { id: string; resourceId: string }): Promise<void> {
  await client.call('stop', channel.id, (o) => client.api.channels.stop({ requestBody: { id: channel.id, resourceId: channel.resourceId } }, o), [404]);
}

/**
 * Google's notifications (guides/push): an empty body and X-Goog-Channel-ID,
 * X-Goog-Channel-Token, X-Goog-Resource-ID, X-Goog-Resource-State (`sync` once when the
 * channel is made, then `exists`, deletions included). The channel's token is the secret.
 */
export const googleWebhook: WebhookVerifier = {
  bodyLimit: 4096,
  summary: 'Google push notifications (X-Goog-Channel-ID and X-Goog-Channel-Token name the binding; no API key)',
  read(request) {
    const channelId = request.header('x-goog-channel-id');
    if (channelId === '') return { answer: { status: 400, body: { error: 'not a Google notification: no X-Goog-Channel-ID' } } };
    return {
      notifications: [{
        subscriptionId: channelId, secret: request.header('x-goog-channel-token'), resourceId: request.header('x-goog-resource-id'),
        kind: request.header('x-goog-resource-state') === 'sync' ? 'confirmed' : 'changed',
      }],
    };
  },
  authentic: (notification, stored) => secretMatches(notification.secret, stored.secretHash),
};
