// Webhook ingress of provider push notifications (no API key: the subscription's secret
// is the credential), one route per provider that pushes, /webhooks/<provider>, all
// answered here: the provider's verifier (src/connectors/<provider>/provider.ts) reads
// the request and says which subscriptions it names and with what secret, or answers it
// itself (a validation handshake, a request that is no notification); the route checks
// each against the stored subscription, queues a debounced pass of its binding, and
// answers once it is queued. Google's channels were all made with /webhooks/google,
// which is that provider's route.
//
// Answers, after Google's push guide ("200, 201, 202, 204 or 102 … success; 500, 502,
// 503, 504 … retried with exponential backoff; every other status … a message failure"):
// - 200 once the passes are queued (or a first `sync` message recorded), and for a
//   binding that is paused (there is nothing to do, and retrying would not change that);
// - 503 when a subscription could not be looked up or that stored (the database is
//   down): the provider retries later;
// - 503 with Retry-After while subscription lookups are over their limit, or the sender
//   has failed authentication too often (push-ingress.ts): a flood of forged
//   notifications costs no database work, and the provider retries what was genuine; a
//   subscription in the cache needs no lookup, so it passes even from a sender held off;
// - 200 for a subscription the binding retired (renewed, its answer lost) that the
//   provider still delivers, proven by its secret: its stop is queued with the binding's
//   account, at most once per resource an hour (push-ingress.ts);
// - 404 for a wrong secret or a subscription calsync does not know: no work at all, no
//   provider call. Anyone may name a calendar's resource id and make up an id; nothing
//   proves such a subscription is calsync's, and it expires by itself.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { InboundRequest, Notification, Provider, PushSupport } from '../connectors/provider.ts';
import type { PushIngress } from './push-ingress.ts';
import { unreadParameters } from './route-schemas.ts';

export interface WebhookDeps {
  ingress: PushIngress;
  /** The registered providers; those that push get a route. */
  providers: readonly Provider[];
}

function header(request: FastifyRequest, name: string): string {
  const value = request.headers[name];
  return (Array.isArray(value) ? value[0] ?? '' : value ?? '').trim();
}

function firstValues(query: unknown): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') values[key] = first;
  }
  return values;
}

export function webhookRoutes(app: FastifyInstance, deps: WebhookDeps): void {
  app.register(async (scope) => {
    // Bodies are read as raw bytes whatever their type: a verifier reads them, if at all,
    // before anything parses them.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    for (const provider of deps.providers) {
      if (provider.push) providerRoute(scope, deps.ingress, provider.name, provider.push);
    }
  });
}

function providerRoute(scope: FastifyInstance, ingress: PushIngress, name: string, push: PushSupport): void {
  const verifier = push.webhook;
  // No API key: the subscription's secret names its binding (security: [] in the OpenAPI document).
  scope.post(`/webhooks/${name}`, {
    bodyLimit: verifier.bodyLimit,
    schema: { summary: verifier.summary, tags: ['operations'], security: [], querystring: unreadParameters },
    config: { bodyReadBy: `the ${name} provider's webhook verifier, as raw bytes` },
  }, async (request, reply) => {
    const inbound: InboundRequest = {
      header: (headerName) => header(request, headerName),
      query: firstValues(request.query),
      body: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
    };
    const reading = verifier.read(inbound);
    if ('answer' in reading) {
      const { status, contentType, body } = reading.answer;
      if (contentType) reply.type(contentType);
      return reply.code(status).send(body);
    }
    let status = 200;
    // The passes a batch asks for are queued together once every notification is checked
    // (Graph sends hundreds in one POST, to be answered within 3 seconds): queued one by
    // one, each cost a statement and the ingress's gathering delay.
    const passes = new Map<string, { notification: Notification; owner: { tenantId: string; bindingId: string } }>();
    for (const notification of reading.notifications) {
      try {
        const checked = await ingress.authenticate(request.ip, notification, verifier);
        if ('busy' in checked) return reply.code(503).header('retry-after', String(checked.busy)).send();
        if ('refused' in checked) {
          status = 404;
          continue;
        }
        if ('retired' in checked) await ingress.stopRetired(notification.subscriptionId, checked.retired, notification.resourceId);
        else if (notification.kind === 'confirmed') await ingress.confirm(notification.subscriptionId);
        else if (!checked.owner.active) continue;
        else if (notification.kind === 'resubscribe') await ingress.resubscribe(checked.owner);
        else if (!passes.has(checked.owner.bindingId)) passes.set(checked.owner.bindingId, { notification, owner: checked.owner });
      } catch (error) {
        return unhandled(request, reply, name, notification, error);
      }
    }
    const asked = [...passes.values()];
    const queued = await Promise.allSettled(asked.map((p) => ingress.schedule(p.owner)));
    const failure = queued.findIndex((q) => q.status === 'rejected');
    if (failure >= 0) return unhandled(request, reply, name, asked[failure]!.notification, (queued[failure] as PromiseRejectedResult).reason);
    return reply.code(status).send();
  });
}

/** The database failed the notification: 503, which the provider retries. */
function unhandled(request: FastifyRequest, reply: FastifyReply, provider: string, notification: Notification, error: unknown): FastifyReply {
  request.log.warn({ err: error, provider, subscriptionId: notification.subscriptionId }, 'push notification not handled (database); the provider retries it');
  return reply.code(503).send();
}
