// Signed inbound sources of the key's tenant (src/store/inbound-sources.ts): create one
// for a resource (Calendly with its subscription's signing key, or the generic HMAC scheme
// with a secret given or generated), list, delete, and read what each delivered and how
// it was mapped. The secret is shown once, in the answer that generated it.
import type { FastifyInstance } from 'fastify';
import { withTransaction, type Db } from '../store/db.ts';
import {
  createInboundSource, deleteInboundSource, getInboundSource, listDeliveries, listInboundSources,
  type DeliveryState, type InboundDelivery, type InboundSource, type InboundSourceInput,
} from '../store/inbound-sources.ts';
import type { Secrets } from '../store/secrets.ts';
import { adminTags, errorAnswer, maxResults, nullableString, nullableDate, uuidString } from './admin-schemas.ts';
import { tenantOf } from './auth.ts';
import { noParameters, pathParams } from './route-schemas.ts';

export interface AdminInboundDeps {
  db: Db;
  secrets: Secrets;
  /** The public URL providers reach calsync at (CALSYNC_WEBHOOK_URL); absent: answers carry the path only. */
  webhookUrl?: string;
}

const states: DeliveryState[] = ['queued', 'done', 'ignored', 'failed'];
const headerName = { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' } as const;

const source = {
  type: 'object',
  properties: {
    id: { type: 'string' }, name: { type: 'string' }, scheme: { type: 'string', enum: ['calendly', 'hmac'] }, resourceId: { type: 'string' },
    toleranceSeconds: { type: 'integer', nullable: true }, signatureHeader: nullableString, timestampHeader: nullableString,
    digestEncoding: { type: 'string', enum: ['hex', 'base64'], nullable: true },
    path: { type: 'string', description: 'Where the source posts, under calsync\'s public URL.' },
    url: { ...nullableString, description: 'The full URL, when CALSYNC_WEBHOOK_URL is set.' },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

const delivery = {
  type: 'object',
  properties: {
    id: { type: 'string' }, sourceEventId: { type: 'string' }, kind: { type: 'string' }, state: { type: 'string', enum: states },
    errorCode: { ...nullableString, description: 'Why it failed, e.g. SLOT_TAKEN: the time was not free, so nothing was booked.' }, error: nullableString,
    bookingId: nullableString, receivedAt: { type: 'string', format: 'date-time' }, processedAt: nullableDate,
  },
} as const;

const notFound = errorAnswer('No such inbound source for this tenant.');

function sourceView(s: InboundSource, webhookUrl: string | undefined): object {
  const path = `/webhooks/in/${s.id}`;
  return {
    id: s.id, name: s.name, scheme: s.scheme, resourceId: s.resourceId, toleranceSeconds: s.toleranceSeconds, signatureHeader: s.signatureHeader,
    timestampHeader: s.timestampHeader, digestEncoding: s.digestEncoding, path, url: webhookUrl === undefined ? null : new URL(path, webhookUrl).toString(),
    createdAt: s.createdAt.toISOString(),
  };
}

const deliveryView = (d: InboundDelivery): object => ({
  id: d.id, sourceEventId: d.sourceEventId, kind: d.kind, state: d.state, errorCode: d.errorCode, error: d.error, bookingId: d.bookingId,
  receivedAt: d.receivedAt.toISOString(), processedAt: d.processedAt?.toISOString() ?? null,
});

export function adminInboundRoutes(app: FastifyInstance, deps: AdminInboundDeps): void {
  app.post<{ Body: InboundSourceInput }>('/admin/v1/inbound-sources', {
    schema: {
      summary: 'Create a signed inbound source that books into a resource: Calendly (its subscription\'s signing key) or the generic HMAC scheme', tags: adminTags,
      description: 'The answer carries the URL to give the booking tool, and for the generic scheme without a `secret` the generated one, shown only here.',
      querystring: noParameters,
      body: {
        type: 'object', additionalProperties: false, required: ['scheme', 'resourceId'],
        properties: {
          name: { type: 'string', maxLength: 200 }, scheme: { type: 'string', enum: ['calendly', 'hmac'] }, resourceId: uuidString,
          secret: { type: 'string', minLength: 16, maxLength: 512, description: 'Calendly: the signing key of the webhook subscription (required). Generic: optional; one is generated.' },
          toleranceSeconds: { type: 'integer', minimum: 1, maximum: 86_400, description: 'How far a signed timestamp may be from now. Default 180, the three minutes of the guides to Calendly\'s scheme.' },
          signatureHeader: { ...headerName, description: 'Generic scheme: the header with the digest (default X-Signature); a `sha256=` prefix is accepted.' },
          timestampHeader: { ...headerName, description: 'Generic scheme: a header with unix seconds; then the signed text is `<t>.<raw body>` and the window applies.' },
          digestEncoding: { type: 'string', enum: ['hex', 'base64'], description: 'Generic scheme: how the digest is written (default hex).' },
        },
      },
      response: {
        201: { ...source, properties: { ...source.properties, secret: { ...nullableString, description: 'The generated secret, shown once; null when one was given.' } } },
        400: errorAnswer('A malformed or inconsistent configuration; nothing was stored.'), 404: errorAnswer('No such resource.'),
      },
    },
  }, async (request, reply) => {
    const { source: made, generatedSecret } = await withTransaction(deps.db, (tx) => createInboundSource(tx, deps.secrets, tenantOf(request), request.body));
    return reply.code(201).send({ ...sourceView(made, deps.webhookUrl), secret: generatedSecret });
  });

  app.get('/admin/v1/inbound-sources', {
    schema: {
      summary: 'The tenant\'s signed inbound sources', tags: adminTags, querystring: noParameters,
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: source } } } },
    },
  }, async (request) => ({ items: (await listInboundSources(deps.db, tenantOf(request))).map((s) => sourceView(s, deps.webhookUrl)) }));

  app.get<{ Params: { sourceId: string } }>('/admin/v1/inbound-sources/:sourceId', {
    schema: { summary: 'One inbound source', tags: adminTags, params: pathParams('sourceId'), querystring: noParameters, response: { 200: source, 404: notFound } },
  }, async (request) => sourceView(await getInboundSource(deps.db, tenantOf(request), request.params.sourceId), deps.webhookUrl));

  app.delete<{ Params: { sourceId: string } }>('/admin/v1/inbound-sources/:sourceId', {
    schema: {
      summary: 'Delete an inbound source and its deliveries\' records: its URL refuses posts from then on (the bookings it made stay)', tags: adminTags,
      params: pathParams('sourceId'), querystring: noParameters, response: { 204: { type: 'null' }, 404: notFound },
    },
  }, async (request, reply) => {
    await deleteInboundSource(deps.db, tenantOf(request), request.params.sourceId);
    return reply.code(204).send();
  });

  app.get<{ Params: { sourceId: string }; Querystring: { state?: DeliveryState; maxResults?: string } }>('/admin/v1/inbound-sources/:sourceId/deliveries', {
    schema: {
      summary: 'What an inbound source delivered, newest first, and how each was mapped (a failed one says why, e.g. SLOT_TAKEN)', tags: adminTags,
      params: pathParams('sourceId'),
      querystring: { type: 'object', additionalProperties: false, properties: { state: { type: 'string', enum: states }, maxResults } },
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: delivery } } }, 404: notFound },
    },
  }, async (request) => {
    const tenantId = tenantOf(request);
    const found = await getInboundSource(deps.db, tenantId, request.params.sourceId);
    const items = await listDeliveries(deps.db, tenantId, found.id, { state: request.query.state, limit: Number(request.query.maxResults ?? 100) });
    return { items: items.map(deliveryView) };
  });
}
