// Finishes disconnecting an account (src/store/account-disconnect.ts): stops the push
// channels of its bindings with its credentials, then drops them. A stop the provider
// refuses for good, or that still fails on the job's last attempt, is given up: the
// channel expires by itself (at most a week) and its notifications find no binding.
// Credentials are dropped whatever became of the channels.
import { isConnectorError } from '../connectors/connector.ts';
import { stopSubscription } from '../engine/push-channels.ts';
import type { EngineDeps } from '../engine/sync-pass.ts';
import { accountChannels, disconnectTask, dropCredentials, forgetPushChannel, type DisconnectPayload } from '../store/account-disconnect.ts';
import { getBinding } from '../store/bindings.ts';
import { defineTask, invalidPayload, uuid } from './registry.ts';

export interface ChannelStops {
  stopped: number;
  givenUp: number;
  /** Channels left for a later attempt (a transient failure before the last one); credentials stay until then. */
  left: number;
}

/**
 * Stops the account's channels and, unless some are left for a later attempt, drops its
 * credentials. `lastAttempt`: give up on channels that fail for any reason.
 */
export async function finishDisconnect(deps: Pick<EngineDeps, 'db' | 'connectorFor' | 'logger'>, payload: DisconnectPayload, lastAttempt: boolean): Promise<ChannelStops> {
  const result: ChannelStops = { stopped: 0, givenUp: 0, left: 0 };
  for (const channel of await accountChannels(deps.db, payload)) {
    try {
      await stopSubscription(deps, await getBinding(deps.db, payload.tenantId, channel.bindingId), channel);
      result.stopped++;
    } catch (error) {
      const retryable = !isConnectorError(error) || error.kind === 'transient' || error.kind === 'rate-limited';
      if (retryable && !lastAttempt) {
        result.left++;
        continue;
      }
      deps.logger.warn({ err: error, accountId: payload.accountId, bindingId: channel.bindingId, channelId: channel.id }, 'push channel of a disconnected account not stopped; it expires by itself');
      result.givenUp++;
    }
    await forgetPushChannel(deps.db, payload.tenantId, channel.bindingId, channel.id);
  }
  if (result.left === 0) await dropCredentials(deps.db, payload);
  return result;
}

export const disconnectAccountJob = defineTask<DisconnectPayload>({
  name: disconnectTask,
  parse(payload) {
    const p = payload as Partial<DisconnectPayload> | null;
    if (typeof p?.tenantId !== 'string' || !uuid.test(p.tenantId) || typeof p.accountId !== 'string' || !uuid.test(p.accountId)) {
      throw invalidPayload(disconnectTask, 'needs tenantId and accountId (uuids)');
    }
    return { tenantId: p.tenantId, accountId: p.accountId };
  },
  async run(payload, deps, helpers) {
    const result = await finishDisconnect(deps.engine, payload, helpers.job.attempts >= helpers.job.max_attempts);
    deps.engine.logger.info({ ...payload, ...result }, 'account disconnected');
    // Failing makes graphile-worker try the channels left again later, with backoff.
    if (result.left > 0) throw new Error(`${result.left} push channel(s) of account ${payload.accountId} not stopped yet; retrying`);
  },
});
