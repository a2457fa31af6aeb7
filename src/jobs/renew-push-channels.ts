// Every minute: push channels for bindings of every provider that pushes (the
// registry's) that have none, and new ones for those that expire within the provider's
// renew-ahead time (a day for Google), 50 per run so one run stays short; a binding
// whose attempt failed waits for its retry time. A job for one binding (its payload
// names it) is queued when a binding of a pushing provider is made, so its channel does
// not wait for the next minute, and when a provider asks for a subscription to be
// renewed (due then whatever its expiry, and whatever retry time an earlier failure
// set). Without a webhook URL (CALSYNC_WEBHOOK_URL) there are no channels and every
// binding is polled. The minutely run also forgets retired channels that have expired.
import { providers } from '../connectors/registry.ts';
import { renewPushChannel } from '../engine/push-channels.ts';
import type { BindingRef } from '../store/bindings.ts';
import { channelsDue, purgeRetiredChannels, renewPushChannelsTask, type ChannelDue } from '../store/push-channels.ts';
import { defineTask, invalidPayload, uuid } from './registry.ts';

/** The cron's runs carry no binding (graphile-worker's `_cron` is ignored); a bind-time job names one. */
export type RenewPushChannelsPayload = { binding: BindingRef | null; resubscribe?: boolean };

const perRun = 50;

export const renewPushChannelsJob = defineTask<RenewPushChannelsPayload>({
  name: renewPushChannelsTask,
  schedule: { match: '* * * * *', maxAttempts: 1 },
  parse(payload) {
    const p = payload as { tenantId?: unknown; bindingId?: unknown; resubscribe?: unknown } | null;
    if (p?.tenantId === undefined && p?.bindingId === undefined) return { binding: null };
    if (typeof p.tenantId !== 'string' || !uuid.test(p.tenantId) || typeof p.bindingId !== 'string' || !uuid.test(p.bindingId)) {
      throw invalidPayload(renewPushChannelsTask, 'names a binding without tenantId and bindingId (uuids)');
    }
    return { binding: { tenantId: p.tenantId, bindingId: p.bindingId }, resubscribe: p.resubscribe === true };
  },
  async run(payload, deps) {
    if (!deps.push) return;
    if (!payload.binding) await purgeRetiredChannels(deps.db, deps.engine.now());
    const due: ChannelDue[] = [];
    const registered = deps.engine.providers ?? providers;
    for (const name of registered.names) {
      const pushing = (await registered.get(name)).push;
      if (!pushing || due.length >= perRun) continue;
      // Asked by the provider (a lifecycle notification): due however far its expiry is,
      // and whenever an earlier failure said to retry.
      const asked = payload.resubscribe === true && payload.binding !== null;
      const renewBefore = asked ? new Date(8.64e15) : new Date(deps.engine.now().getTime() + pushing.renewAheadMs);
      due.push(...await channelsDue(deps.db, name, renewBefore, perRun - due.length, payload.binding ?? undefined, asked));
    }
    const outcomes: Record<string, number> = {};
    for (const binding of due) {
      const outcome = await renewPushChannel(deps.engine, deps.push, binding).catch((error: unknown) => {
        deps.engine.logger.warn({ err: error, bindingId: binding.bindingId }, 'push channel renewal failed');
        return 'failed' as const;
      });
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
    if (due.length > 0) deps.engine.logger.info({ outcomes }, 'push channels renewed');
  },
});
