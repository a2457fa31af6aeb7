// The ingress of signed inbound sources: POST /webhooks/in/<source id>, no API key (the
// signature is the credential). It verifies, stores and queues, nothing more; the job
// (src/jobs/process-inbound.ts) maps the delivery onto bookings. Calendly waits 10 s to
// connect and 15 s to read, and retries what is not 2xx
// (developer.calendly.com/api-docs/overview/webhooks/webhook-timeouts).
//
// Answers:
// - 202 once the delivery is stored and its job queued, in one transaction;
// - 200 for a delivery stored before (the source's retry, or a replay inside the window):
//   nothing new; and for an event calsync does not map (nothing stored);
// - 401 INBOUND_SIGNATURE_INVALID for an unknown source, a missing, malformed or wrong
//   signature, or a timestamp outside the source's window: nothing stored, and the same
//   answer for each, so the answer does not tell whether the id exists;
// - 400 INBOUND_PAYLOAD_INVALID for an authentic body calsync cannot read: nothing stored;
// - 429 with Retry-After while the sender's address has failed too often: no database
//   work at all, so a flood of forged posts costs a token bucket each (push-ingress.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CoreError } from '../core/errors.ts';
import { inboundEvent, parseBody, type InboundEvent } from '../core/inbound-payloads.ts';
import { verifyHmacSignature, verifyTimestampedSignature, type SignatureRefusal } from '../core/webhook-signature.ts';
import { CalsyncError } from '../errors.ts';
import { withTransaction, type Db } from '../store/db.ts';
import { sourceForIngress, storeDelivery, type InboundSource } from '../store/inbound-sources.ts';
import type { Secrets } from '../store/secrets.ts';
import { Buckets } from './push-ingress.ts';
import type { RateLimit } from './rate-limit.ts';
import { pathParams, unreadParameters } from './route-schemas.ts';

export interface InboundWebhookDeps {
  db: Db;
  secrets: Secrets;
  now: () => Date;
  /**
   * Posts that fail authentication, per sender address. Past it the sender gets 429
   * before any lookup. Default 10 a second, bursts of 50: a booking tool signs every post.
   */
  failuresPerSource?: RateLimit;
}

/** Calendly's invitee payloads are a few kilobytes; a generic one is smaller. */
export const inboundBodyLimit = 256 * 1024;
const calendlyHeader = 'calendly-webhook-signature';

function header(request: FastifyRequest, name: string): string {
  const value = request.headers[name];
  return (Array.isArray(value) ? value[0] ?? '' : value ?? '').trim();
}

function refusal(request: FastifyRequest, source: InboundSource, secret: string, body: Buffer, nowSeconds: number): SignatureRefusal | null {
  if (source.scheme === 'calendly') return verifyTimestampedSignature(header(request, calendlyHeader), secret, body, nowSeconds, source.toleranceSeconds!);
  const timestamp = source.timestampHeader === null ? null : { value: header(request, source.timestampHeader), toleranceSeconds: source.toleranceSeconds! };
  return verifyHmacSignature({ signature: header(request, source.signatureHeader!), encoding: source.digestEncoding!, timestamp }, secret, body, nowSeconds);
}

const unauthentic = () => new CalsyncError('INBOUND_SIGNATURE_INVALID', 'the post is not signed by a known inbound source within its time window');

export function inboundWebhookRoutes(app: FastifyInstance, deps: InboundWebhookDeps): void {
  const failures = new Buckets(deps.failuresPerSource ?? { perSecond: 10, burst: 50 }, () => deps.now().getTime());
  app.register(async (scope) => {
    // The signature covers the raw bytes: they are read before anything parses them.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    scope.post<{ Params: { sourceId: string } }>('/webhooks/in/:sourceId', {
      bodyLimit: inboundBodyLimit,
      schema: {
        summary: 'A signed post of an inbound source (Calendly, or the generic HMAC scheme): verified, stored once per source event, mapped onto bookings by a job',
        tags: ['operations'], security: [], params: pathParams('sourceId'), querystring: unreadParameters,
      },
      config: { bodyReadBy: 'the inbound source\'s signature check, as raw bytes, then core/inbound-payloads.ts' },
    }, async (request, reply) => {
      const wait = failures.wait(request.ip);
      if (wait > 0) return reply.code(429).header('retry-after', String(wait)).send();
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const found = await sourceForIngress(deps.db, deps.secrets, request.params.sourceId);
      const why = found === null ? 'unknown' : refusal(request, found.source, found.secret, body, Math.floor(deps.now().getTime() / 1000));
      if (found === null || why !== null) {
        failures.take(request.ip);
        request.log.info({ sourceId: request.params.sourceId.slice(0, 64), reason: why }, 'inbound post refused');
        throw unauthentic();
      }
      const { source } = found;
      let parsed: unknown;
      let event: InboundEvent;
      try {
        parsed = parseBody(body);
        event = inboundEvent(source.scheme, parsed);
      } catch (error) {
        if (error instanceof CoreError) throw new CalsyncError('INBOUND_PAYLOAD_INVALID', `the post is signed, but calsync cannot read it: ${error.message}`, { sourceId: source.id });
        throw error;
      }
      if (event.action === null) return reply.code(200).send({ stored: false, reason: `calsync does not map ${event.kind}` });
      const stored = await withTransaction(deps.db, (tx) => storeDelivery(tx, source, event, parsed));
      return reply.code(stored ? 202 : 200).send({ stored });
    });
  });
}
