// Change notifications (change-notifications-delivery-webhooks,
// subscription-post-subscriptions): a subscription on a calendar's events POSTs to an
// address after every change. Graph first calls the address with `?validationToken=`
// and creates nothing unless it is echoed (the webhook route's job). Graph never renews
// a subscription: PATCH its expirationDateTime before it passes, and make a new one when
// PATCH answers 404. `lifecycleNotificationUrl` can only be set at creation, so it is
// always set (the same address): `missed` and `reauthorizationRequired` come there.
import { ConnectorError, isConnectorError, type PushChannel } from '../connector.ts';
import type { GraphAnswer, GraphClient } from './client.ts';

/** The expiry the server answered (it caps what was asked), epoch milliseconds. */
function expiryOf(body: any, subscriptionId: string): number {
  const at = typeof body?.expirationDateTime === 'string' ? Date.parse(body.expirationDateTime) : Number.NaN;
  if (Number.isNaN(at)) throw new ConnectorError('transient', `Graph subscription ${subscriptionId} answered without an expirationDateTime`, { remoteId: subscriptionId });
  return at;
}

export async function watchCalendar(
  client: GraphClient, calendarId: string, channel: { id: string; token: string; address: string; ttlSeconds: number }, now: number,
): Promise<PushChannel> {
  const answer = await client.request({
    operation: 'subscribe', method: 'POST', url: '/subscriptions',
    body: {
      changeType: 'created,updated,deleted',
      resource: `me/calendars/${calendarId}/events`,
      notificationUrl: channel.address,
      lifecycleNotificationUrl: channel.address,
      clientState: channel.token,
      expirationDateTime: new Date(now + channel.ttlSeconds * 1000).toISOString(),
    },
  });
  const id = answer.body?.id;
  if (typeof id !== 'string') throw new ConnectorError('transient', `Graph answered a subscription for ${calendarId} without an id`);
  if (answer.afterLostAnswer) await deleteCopies(client, channel.token, id);
  // Graph names the subscription itself; calsync's channel id is not sent, so the
  // subscription id is the resourceId that stopping and renewing need.
  return { id: channel.id, resourceId: id, expiresAt: expiryOf(answer.body, id) };
}

/** Pages of GET /subscriptions read at most; a mailbox holds a few of calsync's. */
const maxListPages = 10;

/**
 * A create retried after a lost answer may have been carried out the first time too:
 * Graph then holds two subscriptions with one clientState, and the copy would notify,
 * with a good secret, until it expires three days on. The subscriptions the app holds
 * for the user are listed (GET /subscriptions answers each one's clientState) and every
 * copy but `keep` deleted. A failure here leaves a copy, which only costs notifications:
 * the subscription made is answered all the same.
 */
async function deleteCopies(client: GraphClient, clientState: string, keep: string): Promise<void> {
  try {
    let url: string | null = '/subscriptions';
    for (let page = 0; url !== null && page < maxListPages; page++) {
      const listed: GraphAnswer = await client.request({ operation: 'subscribe', method: 'GET', url });
      const body = listed.body as { value?: unknown; '@odata.nextLink'?: unknown } | null;
      const value = Array.isArray(body?.value) ? body.value as Array<{ id?: unknown; clientState?: unknown }> : [];
      for (const s of value) {
        if (s.clientState === clientState && typeof s.id === 'string' && s.id !== keep) await stopSubscription(client, { id: s.id, resourceId: s.id });
      }
      url = typeof body?.['@odata.nextLink'] === 'string' ? body['@odata.nextLink'] : null;
    }
  } catch {
    // Left to expire (see above).
  }
}

/** 404: Graph no longer knows the subscription (expired, or deleted before): stopped either way. */
export async function stopSubscription(client: GraphClient, channel: { id: string; resourceId: string }): Promise<void> {
  await client.request({ operation: 'subscribe', method: 'DELETE', url: `/subscriptions/${encodeURIComponent(channel.resourceId)}`, remoteId: channel.resourceId, expected: [404] });
}

/**
 * Moves a subscription's expiry `ttlSeconds` ahead; answers the channel with the expiry
 * Graph granted, or null when Graph no longer knows it: make a new one with watch.
 */
export async function renewSubscription(client: GraphClient, channel: PushChannel, ttlSeconds: number, now: number): Promise<PushChannel | null> {
  try {
    const answer = await client.request({
      operation: 'subscribe', method: 'PATCH', url: `/subscriptions/${encodeURIComponent(channel.resourceId)}`, remoteId: channel.resourceId,
      body: { expirationDateTime: new Date(now + ttlSeconds * 1000).toISOString() }, expected: [404],
    });
    if (answer.status === 404) return null;
    return { ...channel, expiresAt: expiryOf(answer.body, channel.resourceId) };
  } catch (error) {
    if (isConnectorError(error, 'not-found')) return null;
    throw error;
  }
}
