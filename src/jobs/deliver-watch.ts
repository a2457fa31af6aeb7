// Tells every live watch channel of one calendar that it changed, as Google Calendar's
// push does (src/jobs/channel-delivery.ts): `sync` first, then `exists` whenever the
// calendar's version moved past what the channel last acknowledged. Progress is kept per
// channel (src/store/watch-channels.ts).
import { calendarVersions } from '../store/app-events.ts';
import type { Db } from '../store/db.ts';
import { deliverWatchTask } from '../store/outbox.ts';
import { liveWatchChannels, recordWatchDelivery } from '../store/watch-channels.ts';
import { deliverToChannels, failedRound, withRoundLock, type WatchDeliveryDeps } from './channel-delivery.ts';
import { defineTask, invalidPayload, uuid } from './registry.ts';

export type { DeliveryOutcome, ResourceState, WatchDeliveryDeps } from './channel-delivery.ts';

export interface DeliverWatchPayload {
  tenantId: string;
  calendarId: string;
}

export async function deliverWatch(db: Db, deps: WatchDeliveryDeps, payload: DeliverWatchPayload): Promise<{ channels: number; failed: string[] }> {
  return withRoundLock(db, 'calsync.deliver_watch', payload.calendarId, async () => {
    const versions = await calendarVersions(db, payload.tenantId, payload.calendarId);
    if (!versions) return { channels: 0, failed: [] };
    const channels = await liveWatchChannels(db, deps.secrets, payload.tenantId, payload.calendarId);
    const failed = await deliverToChannels(deps, channels, () => versions.version,
      (channel, messageNumber, version) => recordWatchDelivery(db, channel, messageNumber, version));
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
    throw failedRound('watch channels', result.channels, result.failed);
  },
});
