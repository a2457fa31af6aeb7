// Webhook ingress of provider push notifications (no API key: the channel's token is the
// credential). Google (guides/push) POSTs an empty body with X-Goog-Channel-ID,
// X-Goog-Channel-Token, X-Goog-Resource-ID, X-Goog-Resource-State (`sync` once, then
// `exists`) and X-Goog-Message-Number; header values are trimmed. The route verifies,
// queues a debounced pass of the binding, and answers once it is queued.
//
// Answers, after the push guide's "200, 201, 202, 204 or 102 … success; 500, 502, 503,
// 504 … retried with exponential backoff; every other status … a message failure":
// - 200 once the pass is queued (or the `sync` message recorded), and for a binding that
//   is paused (there is nothing to do, and retrying would not change that);
// - 503 when the channel could not be looked up or that stored (the database is down):
//   Google retries later;
// - 503 with Retry-After while channel lookups are over their limit, or the sender has
//   failed authentication too often (push-ingress.ts): a flood of forged notifications
//   costs no database work, and Google retries what was genuine; a channel in the cache
//   needs no lookup, so it passes even from a sender held off;
// - 200 for a channel the binding retired (renewed, its watch answer lost) that Google
//   still delivers, proven by its token: its stop is queued with the binding's account,
//   at most once per resource an hour (push-ingress.ts);
// - 404 for a wrong token or a channel calsync does not know: no work at all, no provider
//   call. Anyone may name a calendar's resource id and make up a channel id; nothing
//   proves such a channel is calsync's, and it expires by itself.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PushIngress } from './push-ingress.ts';
import { unreadParameters } from './route-schemas.ts';

export interface WebhookDeps {
  ingress: PushIngress;
}

function header(request: FastifyRequest, name: string): string {
  const value = request.headers[name];
  return (Array.isArray(value) ? value[0] ?? '' : value ?? '').trim();
}

export function webhookRoutes(app: FastifyInstance, deps: WebhookDeps): void {
  app.register(async (scope) => {
    // The body is empty (and unread): whatever its content type, it is not parsed.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => {
      payload.resume();
      done(null, undefined);
    });

    // No API key: the channel's token names its binding (security: [] in the OpenAPI document).
    scope.post('/webhooks/google', {
      bodyLimit: 4096, schema: { security: [], querystring: unreadParameters }, config: { bodyReadBy: 'nothing: a notification is its headers' },
    }, async (request, reply) => {
      const channelId = header(request, 'x-goog-channel-id');
      if (channelId === '') return reply.code(400).send({ error: 'not a Google notification: no X-Goog-Channel-ID' });
      try {
        const checked = await deps.ingress.authenticate(request.ip, channelId, header(request, 'x-goog-channel-token'));
        if ('busy' in checked) return reply.code(503).header('retry-after', String(checked.busy)).send();
        if ('refused' in checked) return reply.code(404).send();
        if ('retired' in checked) {
          await deps.ingress.stopRetired(channelId, checked.retired, header(request, 'x-goog-resource-id'));
          return reply.code(200).send();
        }
        // `sync` says the channel works; nothing changed.
        if (header(request, 'x-goog-resource-state') === 'sync') await deps.ingress.confirm(channelId);
        else if (checked.owner.active) await deps.ingress.schedule(checked.owner);
      } catch (error) {
        request.log.warn({ err: error, channelId }, 'push notification not handled (database); Google retries it');
        return reply.code(503).send();
      }
      return reply.code(200).send();
    });
  });
}
