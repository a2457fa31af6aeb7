// events.watch and channels.stop in Google Calendar v3 shapes. A channel is stored with
// its first delivery round queued in the same transaction: that round sends the `sync`
// message, and every committed change of the calendar queues another (src/store/outbox.ts).
// The signing secret is returned once, in the watch response, and stored sealed.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { CalsyncError } from '../errors.ts';
import { checkWebhookAddress, type WebhookPolicy } from '../jobs/webhook-address.ts';
import { withTransaction, type Db } from '../store/db.ts';
import { queueWatchDelivery } from '../store/outbox.ts';
import type { Secrets } from '../store/secrets.ts';
import { createWatchChannel, stopWatchChannel } from '../store/watch-channels.ts';
import { tenantOf } from './auth.ts';
import { calendarOf } from './calendar-scope.ts';
import { readStopRequest, readWatchRequest } from './channel-request.ts';
import { unreadQuery } from './google-parameters.ts';
import { pathParams } from './route-schemas.ts';

export interface ChannelDeps {
  db: Db;
  secrets: Secrets;
  webhooks: WebhookPolicy;
  now(): Date;
}

/** Google's resourceId: opaque and the same for every channel on one calendar's events. */
export function eventsResourceId(calendarId: string): string {
  return createHash('sha256').update(`events:${calendarId}`).digest('base64url').slice(0, 27);
}

export function channelRoutes(app: FastifyInstance, deps: ChannelDeps): void {
  app.post<{ Params: { calendarId: string } }>('/calendar/v3/calendars/:calendarId/events/watch', {
    schema: { params: pathParams('calendarId'), querystring: unreadQuery }, config: { bodyReadBy: 'channel-request.ts (Google\'s Channel rules)' },
  }, async (request) => {
    const calendar = await calendarOf(deps.db, request, request.params.calendarId);
    const tenantId = tenantOf(request);
    const asked = readWatchRequest(request.body, deps.now());
    await checkWebhookAddress(asked.address, deps.webhooks);
    // 32 random bytes as hex: the text itself is the HMAC key, so receivers use it as given.
    const signingSecret = randomBytes(32).toString('hex');
    const resourceUri = `${request.protocol}://${request.host}/calendar/v3/calendars/${encodeURIComponent(calendar.id)}/events?alt=json`;
    const channel = await withTransaction(deps.db, async (tx) => {
      const created = await createWatchChannel(tx, deps.secrets, tenantId, {
        ...asked, calendarId: calendar.id, resourceId: eventsResourceId(calendar.id), resourceUri, secret: signingSecret,
      });
      await queueWatchDelivery(tx, tenantId, calendar.id);
      return created;
    });
    request.log.info({ tenantId, calendarId: calendar.id, channelId: channel.id, expiresAt: channel.expiresAt }, 'watch channel created');
    return {
      kind: 'api#channel', id: channel.id, resourceId: channel.resourceId, resourceUri: channel.resourceUri,
      ...(channel.token === null ? {} : { token: channel.token }),
      // int64 members are strings in Google's JSON (discovery format int64).
      expiration: String(channel.expiresAt.getTime()),
      calsync: { signingSecret },
    };
  });

  app.post('/calendar/v3/channels/stop', { schema: { querystring: unreadQuery }, config: { bodyReadBy: 'channel-request.ts (Google\'s Channel rules)' } }, async (request, reply) => {
    const { id, resourceId } = readStopRequest(request.body);
    const tenantId = tenantOf(request);
    if (!(await stopWatchChannel(deps.db, tenantId, id, resourceId))) {
      throw new CalsyncError('NOT_FOUND', `Channel '${id}' not found`, { channelId: id });
    }
    request.log.info({ tenantId, channelId: id }, 'watch channel stopped');
    return reply.status(204).send();
  });
}
