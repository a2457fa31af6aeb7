// Tells every live booking channel of one tenant that bookings changed, as calendar watch
// channels are told (src/jobs/channel-delivery.ts): `sync` first, then `exists` whenever
// the tenant's booking change number (or, for a channel of one resource, the highest of
// that resource's bookings) moved past what the channel last acknowledged. The app then
// lists GET /admin/v1/bookings with its sync token. Every change of a booking queues this
// job in its transaction (the trigger of migration 000019), one per tenant at a time.
import type { Db } from '../store/db.ts';
import { liveBookingChannels, recordBookingDelivery } from '../store/booking-channels.ts';
import { deliverBookingWatchTask } from '../store/outbox.ts';
import { deliverToChannels, failedRound, withRoundLock, type WatchDeliveryDeps } from './channel-delivery.ts';
import { defineTask, invalidPayload, uuid } from './registry.ts';

export interface DeliverBookingWatchPayload {
  tenantId: string;
}

export async function deliverBookingWatch(db: Db, deps: WatchDeliveryDeps, payload: DeliverBookingWatchPayload): Promise<{ channels: number; failed: string[] }> {
  return withRoundLock(db, 'calsync.deliver_booking_watch', payload.tenantId, async () => {
    const channels = await liveBookingChannels(db, deps.secrets, payload.tenantId);
    const failed = await deliverToChannels(deps, channels, (channel) => channel.watchedVersion,
      (channel, messageNumber, version) => recordBookingDelivery(db, channel, messageNumber, version));
    return { channels: channels.length, failed };
  });
}

export const deliverBookingWatchJob = defineTask<DeliverBookingWatchPayload>({
  name: deliverBookingWatchTask,
  parse(payload) {
    const p = payload as Partial<DeliverBookingWatchPayload> | null;
    if (typeof p?.tenantId !== 'string' || !uuid.test(p.tenantId)) throw invalidPayload(deliverBookingWatchTask, 'needs tenantId (a uuid)');
    return { tenantId: p.tenantId };
  },
  async run(payload, deps) {
    if (!deps.delivery) throw new Error(`job ${deliverBookingWatchTask}: this worker was started without webhook delivery`);
    const result = await deliverBookingWatch(deps.db, deps.delivery, payload);
    const log = deps.engine.logger.child({ tenantId: payload.tenantId });
    if (result.failed.length === 0) {
      log.debug({ channels: result.channels }, 'booking channels notified');
      return;
    }
    log.warn({ channels: result.channels, failed: result.failed }, 'booking channels not reached; retrying with backoff');
    throw failedRound('booking channels', result.channels, result.failed);
  },
});
