// Every minute: push channels for bindings that have none, and new ones for those that
// expire within a day (PushSettings.renewAheadMs), 50 per run so one run stays short; a
// binding whose attempt failed waits for its retry time. Without a webhook URL
// (CALSYNC_WEBHOOK_URL) there are no channels and every binding is polled.
import { renewPushChannel } from '../engine/push-channels.ts';
import { channelsDue } from '../store/push-channels.ts';
import { defineTask } from './registry.ts';

export type RenewPushChannelsPayload = Record<string, never>;

const perRun = 50;

export const renewPushChannelsJob = defineTask<RenewPushChannelsPayload>({
  name: 'renew_push_channels',
  schedule: { match: '* * * * *', maxAttempts: 1 },
  parse: () => ({}),
  async run(_payload, deps) {
    if (!deps.push) return;
    const due = await channelsDue(deps.db, 'google', new Date(deps.engine.now().getTime() + deps.push.renewAheadMs), perRun);
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
