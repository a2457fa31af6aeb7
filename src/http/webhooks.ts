// Webhook ingress of provider push notifications (no API key: the channel's token is the
// credential). Google (guides/push) POSTs an empty body with X-Goog-Channel-ID,
// X-Goog-Channel-Token, X-Goog-Resource-ID, X-Goog-Resource-State (`sync` once, then
// `exists`) and X-Goog-Message-Number; header values are trimmed. The route verifies,
// answers at once and leaves the work to the queue: a debounced pass of the binding.
//
// Answers, after the push guide's "200, 201, 202, 204 or 102 … success; 500, 502, 503,
// 504 … retried with exponential backoff; every other status … a message failure":
// - 200 for a notification of a live channel with its token, and for one of a binding
//   that is paused (there is nothing to do, and retrying would not change that);
// - 200 for a channel calsync no longer uses that watches a bound calendar: it is stopped
//   with that binding's account (renew-push-channels.ts stops old channels too);
// - 404 for a wrong token or a channel on no bound calendar: nothing to do and nothing
//   to stop it with; Google does not retry 4xx, and the channel expires.
// The token is compared as SHA-256 digests with timingSafeEqual; the channel id is only
// a lookup key (random, 122 bits).
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { tokenHash } from '../store/push-channels.ts';
import type { PushIngress } from './push-ingress.ts';

export interface WebhookDeps {
  ingress: PushIngress;
}

function header(request: FastifyRequest, name: string): string {
  const value = request.headers[name];
  return (Array.isArray(value) ? value[0] ?? '' : value ?? '').trim();
}

function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y);
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
    scope.post('/webhooks/google', { bodyLimit: 4096, schema: { security: [] } }, async (request, reply) => {
      const channelId = header(request, 'x-goog-channel-id');
      if (channelId === '') return reply.code(400).send({ error: 'not a Google notification: no X-Goog-Channel-ID' });
      const owner = await deps.ingress.channel(channelId);
      if (!owner) {
        const stopping = await deps.ingress.stray(channelId, header(request, 'x-goog-resource-id'));
        return reply.code(stopping ? 200 : 404).send();
      }
      if (!sameDigest(tokenHash(header(request, 'x-goog-channel-token')), owner.tokenHash)) return reply.code(404).send();
      const state = header(request, 'x-goog-resource-state');
      // `sync` says the channel works; nothing changed.
      if (state === 'sync') deps.ingress.confirm(channelId);
      else if (owner.active) deps.ingress.schedule(owner);
      return reply.code(200).send();
    });
  });
}
