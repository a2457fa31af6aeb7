// Booking channels: watch channels over a tenant's bookings, or one resource's, signed and
// delivered like a calendar's (src/http/channels.ts, src/jobs/channel-delivery.ts). A
// channel is stored with its first delivery round queued in the same transaction: that
// round sends the `sync` message, and every committed change of a booking queues another
// (the trigger of migration 000019). The app then lists GET /admin/v1/bookings with its
// sync token. The signing secret is returned once, in the answer, and stored sealed.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { CalsyncError } from '../errors.ts';
import { checkWebhookAddress } from '../jobs/webhook-address.ts';
import { createBookingChannel, stopBookingChannel } from '../store/booking-channels.ts';
import { withTransaction } from '../store/db.ts';
import { queueBookingWatchDelivery } from '../store/outbox.ts';
import { adminTags, errorAnswer, nullableString, uuidString } from './admin-schemas.ts';
import { tenantOf } from './auth.ts';
import { readBookingWatchRequest } from './channel-request.ts';
import type { ChannelDeps } from './channels.ts';
import { noParameters } from './route-schemas.ts';

/** X-Goog-Resource-ID of a booking channel's notifications: opaque, the same for every channel watching the same bookings. */
function bookingsResourceId(tenantId: string, resourceId: string | null): string {
  return createHash('sha256').update(`bookings:${tenantId}:${resourceId ?? '*'}`).digest('base64url').slice(0, 27);
}

const channelId = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9\\-_+/=]+$', description: 'Your id for the channel (a UUID is a good one).' } as const;
const channel = {
  type: 'object',
  properties: {
    kind: { type: 'string' }, id: { type: 'string' },
    resourceId: { ...nullableString, description: 'The resource whose bookings it watches; null: every booking of the tenant.' },
    address: { type: 'string' }, token: nullableString,
    expiration: { type: 'string', description: 'Milliseconds since the epoch, as Google writes int64.' },
    notificationResourceId: { type: 'string', description: 'The X-Goog-Resource-ID its notifications carry.' },
    resourceUri: { type: 'string', description: 'The X-Goog-Resource-URI its notifications carry: where to list.' },
    signingSecret: { type: 'string', description: 'The key of X-Calsync-Signature (HMAC-SHA256 over "<t>.<body>"); shown once.' },
  },
} as const;

export function adminBookingChannelRoutes(app: FastifyInstance, deps: ChannelDeps): void {
  app.post('/admin/v1/bookings/watch', {
    schema: {
      summary: 'Watch the tenant\'s bookings (or one resource\'s): a signed POST says `sync` once, then `exists` whenever bookings changed; then list GET /admin/v1/bookings with your sync token', tags: adminTags,
      querystring: noParameters,
      body: {
        type: 'object', additionalProperties: false, required: ['id', 'address'],
        properties: {
          id: channelId, address: { type: 'string', minLength: 1, maxLength: 2048, description: 'An https:// URL the notifications are posted to.' },
          token: { type: 'string', maxLength: 256, description: 'Echoed in X-Goog-Channel-Token.' },
          expiration: { anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^[0-9]{1,15}$' }], description: 'Milliseconds since the epoch; default a week from now, at most 30 days.' },
          resourceId: { ...uuidString, description: 'Watch this resource\'s bookings only.' },
          type: { type: 'string', enum: ['web_hook', 'webhook'] },
        },
      },
      response: {
        200: channel,
        400: errorAnswer('A malformed channel, an address refused (WEBHOOK_URL_NOT_HTTPS, WEBHOOK_URL_REFUSED) or an id a live booking channel has (CHANNEL_ID_NOT_UNIQUE); nothing was stored.'),
        404: errorAnswer('No such resource for this tenant; nothing was stored.'),
      },
    },
  }, async (request) => {
    const tenantId = tenantOf(request);
    const asked = readBookingWatchRequest(request.body, deps.now());
    await checkWebhookAddress(asked.address, deps.webhooks);
    // 32 random bytes as hex: the text itself is the HMAC key, so receivers use it as given.
    const signingSecret = randomBytes(32).toString('hex');
    const resourceUri = `${request.protocol}://${request.host}/admin/v1/bookings${asked.resourceId === null ? '' : `?resourceId=${asked.resourceId}`}`;
    const created = await withTransaction(deps.db, async (tx) => {
      const stored = await createBookingChannel(tx, deps.secrets, tenantId, {
        id: asked.id, bookableId: asked.resourceId, resourceId: bookingsResourceId(tenantId, asked.resourceId), resourceUri,
        token: asked.token, address: asked.address, expiresAt: asked.expiresAt, secret: signingSecret,
      });
      await queueBookingWatchDelivery(tx, tenantId);
      return stored;
    });
    request.log.info({ tenantId, channelId: created.id, resourceId: created.bookableId, expiresAt: created.expiresAt }, 'booking channel created');
    return {
      kind: 'calsync#bookingChannel', id: created.id, resourceId: created.bookableId, address: created.address, token: created.token,
      expiration: String(created.expiresAt.getTime()), notificationResourceId: created.resourceId, resourceUri: created.resourceUri, signingSecret,
    };
  });

  app.post<{ Body: { id: string } }>('/admin/v1/bookings/watch/stop', {
    schema: {
      summary: 'Stop a booking channel: no notification is sent to it from then on', tags: adminTags, querystring: noParameters,
      body: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: channelId } },
      response: { 204: { type: 'null' }, 404: errorAnswer('The tenant has no live booking channel with this id.') },
    },
  }, async (request, reply) => {
    const tenantId = tenantOf(request);
    if (!(await stopBookingChannel(deps.db, tenantId, request.body.id))) {
      throw new CalsyncError('NOT_FOUND', `Booking channel '${request.body.id}' not found`, { channelId: request.body.id });
    }
    request.log.info({ tenantId, channelId: request.body.id }, 'booking channel stopped');
    return reply.status(204).send();
  });
}
