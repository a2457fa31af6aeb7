// Push channels of bindings (Google watch channels): made for every active binding whose
// provider pushes, renewed before they expire (Google does not renew them: a new channel
// is made, then the old one stopped), and stopped when calsync no longer uses them. A
// binding whose channel is missing, failing or unconfirmed is polled as often as any
// other (src/engine/polling.ts), so push only ever makes changes arrive sooner. A channel
// the binding stops using is retired before it is stopped: if Google keeps delivering it
// (the stop failed, or the watch answer was lost), its notifications are known by their
// token and the channel stopped then (src/http/push-ingress.ts).
import { randomBytes, randomUUID } from 'node:crypto';
import { canSubscribe, isConnectorError, type Connector } from '../connectors/connector.ts';
import { providers } from '../connectors/registry.ts';
import { setAccountState } from '../store/accounts.ts';
import { getAccount } from '../store/accounts.ts';
import { getBinding, type Binding, type BindingRef } from '../store/bindings.ts';
import { queueChannelStop } from '../store/outbox.ts';
import type { PushSupport } from '../connectors/provider.ts';
import { activatePushChannel, extendPushSubscription, recordChannelFailure, recordRenewalFailure, type PushChannelState, retirePushChannel, savePendingChannel, secretDigest, type ChannelDue } from '../store/push-channels.ts';
import type { EngineDeps } from './sync-pass.ts';

export interface PushSettings {
  /** The public URL calsync answers at (CALSYNC_WEBHOOK_URL): a provider's notifications go to …/webhooks/<provider>. */
  webhookUrl: string;
}

/** Where `provider`'s notifications are delivered. */
export function webhookAddress(push: PushSettings, provider: string): string {
  return new URL(`webhooks/${provider}`, push.webhookUrl.replace(/\/*$/, '/')).toString();
}

/** After a failed attempt, the next waits this long (or the provider's Retry-After). */
const retryAfterFailureMs = 15 * 60_000;

export type RenewOutcome = 'created' | 'renewed' | 'skipped' | 'failed';

export async function renewPushChannel(engine: EngineDeps, push: PushSettings, due: ChannelDue): Promise<RenewOutcome> {
  const ref: BindingRef = { tenantId: due.tenantId, bindingId: due.bindingId };
  const binding = await getBinding(engine.db, ref.tenantId, ref.bindingId);
  const pushing = (await (engine.providers ?? providers).get(due.provider)).push;
  if (!pushing) return 'skipped';
  const connector = await engine.connectorFor(binding);
  if (!connector.capabilities.push) return 'skipped';
  if (pushing.renew && due.channel) {
    const renewed = await renewInPlace(engine, ref, pushing, connector, due.channel);
    if (renewed !== 'gone') return renewed;
    // The provider no longer knows it (Graph answers 404 once a subscription expired or
    // was removed): a new one is made, and the old one retired.
  }
  const id = randomUUID();
  const token = randomBytes(32).toString('base64url');
  // Known before it exists: Google may send its first message before watch answers.
  const claimed = await savePendingChannel(engine.db, ref, { id, secretHash: secretDigest(token) }, due.channel?.id ?? null, engine.now());
  if (!claimed) return 'skipped';
  let made;
  try {
    made = await pushing.subscribe(connector, binding.remoteCalendarId, { id, secret: token, address: webhookAddress(push, due.provider), ttlSeconds: pushing.ttlSeconds });
  } catch (error) {
    const revoked = isConnectorError(error, 'auth-revoked');
    if (revoked) await setAccountState(engine.db, binding.tenantId, binding.accountId, 'revoked', error.message);
    const waitMs = isConnectorError(error) && error.retryAfterSeconds !== null ? error.retryAfterSeconds * 1000 : retryAfterFailureMs;
    // A failed answer may follow a watch Google carried out (a lost answer, then a retry
    // refused as channelIdNotUnique): retire that channel (before it stops being pending,
    // so its notifications are known throughout), and stop it while the calendar's resource
    // id is known, so it does not notify for a week. Not after a refused grant (a stop would
    // be refused too) or a rate limit (the watch was not handled). A first channel has no
    // resource id yet: it is retired without one, and its first notification names it.
    const maybeMade = !revoked && !isConnectorError(error, 'rate-limited');
    if (maybeMade) {
      // Google's answer would have said when it expires; it is at most what was asked.
      const expiresAt = new Date(engine.now().getTime() + pushing.ttlSeconds * 1000);
      await retirePushChannel(engine.db, ref, { id, secretHash: secretDigest(token), resourceId: due.channel?.resourceId ?? null, expiresAt });
    }
    await recordChannelFailure(engine.db, ref, id, (error as Error).message, new Date(engine.now().getTime() + waitMs));
    if (maybeMade && due.channel?.resourceId) await queueChannelStop(engine.db, ref, { id, resourceId: due.channel.resourceId });
    if (!revoked) engine.logger.warn({ err: error, bindingId: ref.bindingId }, 'push channel could not be made; the binding is polled');
    return 'failed';
  }
  const activated = await activatePushChannel(engine.db, ref, {
    id, resourceId: made.resourceId, secretHash: secretDigest(token),
    expiresAt: new Date(made.expiresAt).toISOString(), createdAt: engine.now().toISOString(), extras: made.extras ?? {},
  }, made.confirmed ? engine.now().toISOString() : null);
  if (!activated) {
    // Another renewal took the binding over after ours stalled past its hold: ours is the spare one.
    await retirePushChannel(engine.db, ref, { id, secretHash: secretDigest(token), resourceId: made.resourceId, expiresAt: new Date(made.expiresAt) });
    await stopOldChannel(engine, ref, { id, resourceId: made.resourceId });
    return 'skipped';
  }
  if (!due.channel) return 'created';
  const old = due.channel;
  await retirePushChannel(engine.db, ref, { id: old.id, secretHash: old.secretHash, resourceId: old.resourceId, expiresAt: new Date(old.expiresAt) });
  await stopOldChannel(engine, ref, { id: old.id, resourceId: old.resourceId });
  return 'renewed';
}

/**
 * Extends a live subscription at the provider (Graph's PATCH of expirationDateTime), for
 * providers that can; the subscription keeps its id and secret. `gone` when the provider
 * no longer knows it. A failure keeps the subscription until it expires and retries after
 * the provider's Retry-After or 15 minutes. Two renewals meeting (the minutely job and a
 * bind-time job) both extend it, which is harmless, so no pending claim is taken.
 */
async function renewInPlace(engine: EngineDeps, ref: BindingRef, pushing: PushSupport, connector: Connector, live: PushChannelState): Promise<RenewOutcome | 'gone'> {
  const current = { id: live.id, resourceId: live.resourceId, expiresAt: Date.parse(live.expiresAt), extras: live.extras ?? {} };
  try {
    const renewed = await pushing.renew!(connector, current, pushing.ttlSeconds);
    const extended = await extendPushSubscription(engine.db, ref, { id: live.id, expiresAt: new Date(renewed.expiresAt).toISOString(), extras: renewed.extras ?? current.extras });
    return extended ? 'renewed' : 'skipped';
  } catch (error) {
    if (isConnectorError(error, 'not-found')) return 'gone';
    const revoked = isConnectorError(error, 'auth-revoked');
    const binding = await getBinding(engine.db, ref.tenantId, ref.bindingId);
    if (revoked) await setAccountState(engine.db, binding.tenantId, binding.accountId, 'revoked', error.message);
    const waitMs = isConnectorError(error) && error.retryAfterSeconds !== null ? error.retryAfterSeconds * 1000 : retryAfterFailureMs;
    await recordRenewalFailure(engine.db, ref, live.id, (error as Error).message, new Date(engine.now().getTime() + waitMs));
    if (!revoked) engine.logger.warn({ err: error, bindingId: ref.bindingId }, 'push subscription could not be renewed; it lasts until it expires');
    return 'failed';
  }
}

/** Stops a channel the binding no longer uses; a failure leaves it to a queued retry (and its expiry). */
export async function stopOldChannel(engine: EngineDeps, ref: BindingRef, channel: { id: string; resourceId: string }): Promise<void> {
  try {
    await stopSubscription(engine, await getBinding(engine.db, ref.tenantId, ref.bindingId), channel);
  } catch (error) {
    engine.logger.info({ err: error, bindingId: ref.bindingId, channelId: channel.id }, 'old push channel not stopped yet; retrying from the queue');
    await queueChannelStop(engine.db, ref, channel);
  }
}

/**
 * Stops a subscription of the binding through its provider, with `connector` (default:
 * the binding's, made now). A recorded subscription was made by the binding's connector,
 * so one whose provider declares no push support is still stopped where the connector
 * can (the in-memory fake with channels).
 */
export async function stopSubscription(
  engine: Pick<EngineDeps, 'db' | 'connectorFor' | 'providers'>, binding: Binding, subscription: { id: string; resourceId: string }, connector?: Connector,
): Promise<void> {
  const account = await getAccount(engine.db, binding.tenantId, binding.accountId);
  const pushing = (await (engine.providers ?? providers).get(account.provider)).push;
  const made = connector ?? await engine.connectorFor(binding);
  if (pushing && made.capabilities.push) await pushing.unsubscribe(made, subscription);
  else if (!pushing && canSubscribe(made)) await made.stopChannel(subscription);
}
