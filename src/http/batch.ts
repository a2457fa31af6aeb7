// Batch: up to 1,000 requests in one HTTP request, at Google's batch path
// (`POST /batch/calendar/v3`, and `/batch`, Google's older global one), best effort with a
// status per item. Two forms:
//   multipart/mixed   Google's (batch-google.ts), so Google clients' batch helpers work;
//   application/json  {"requests": [{"id", "method", "path", "headers"?, "body"?}]}
//                     → {"responses": [{"id", "status", "headers", "body"}]}.
// The batch itself is 400 when its envelope is malformed (no body, broken framing, no
// requests) and runs none; a request it holds that is malformed or refused is answered in
// its own part. More than 1,000 items is 400 BATCH_TOO_LARGE and runs none: Google's limit
// ("You're limited to 1000 calls in a single batch request", guides/batch), which Google's
// Python client checks too (MAX_BATCH_LIMIT). The key is charged one request per item
// before any runs (rate-limit.ts); the body limit is the one of any request.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CalsyncError } from '../errors.ts';
import { googleBatchParts, googleBatchResponse } from './batch-google.ts';
import { maxBatchItems, runItems, type BatchItemResult, type BatchRunner } from './batch-items.ts';
import { boundaryOf, parseMultipart } from './batch-multipart.ts';
import type { KeyRateLimiter } from './rate-limit.ts';
import { unreadQuery } from './google-parameters.ts';

export interface BatchDeps {
  inject: BatchRunner['inject'];
  limiter: KeyRateLimiter | null;
}

interface JsonBatchItem {
  id: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
}

const jsonBatchBody = {
  type: 'object', additionalProperties: false, required: ['requests'],
  properties: {
    requests: {
      type: 'array', description: `At most ${maxBatchItems} requests, run in order.`,
      items: {
        type: 'object', additionalProperties: false, required: ['id', 'method', 'path'],
        properties: {
          id: { type: 'string', maxLength: 256, description: 'Echoed in the response of this request.' },
          method: { enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] },
          path: { type: 'string', minLength: 1, maxLength: 4096, description: 'Path and query, e.g. /calendar/v3/calendars/primary/events, or relative to /calendar/v3/.' },
          headers: { type: 'object', additionalProperties: { type: 'string' } },
          body: { description: 'The JSON body of the request.' },
        },
      },
    },
  },
} as const;

function checkSize(count: number): void {
  if (count > maxBatchItems) throw new CalsyncError('BATCH_TOO_LARGE', `the batch has ${count} requests; at most ${maxBatchItems} are allowed`, { count });
  if (count === 0) throw new CalsyncError('INVALID_REQUEST', 'the batch has no requests');
}

function jsonBodyOf(result: BatchItemResult): unknown {
  if (result.body === '') return null;
  if (!/json/i.test(result.headers['content-type'] ?? '')) return result.body;
  // A route's JSON is valid; were one not, its part would carry the text rather than the batch fail.
  try {
    return JSON.parse(result.body);
  } catch {
    return result.body;
  }
}

export function batchRoutes(app: FastifyInstance, deps: BatchDeps): void {
  // The body arrives whole (within the app's body limit) and is split here.
  app.addContentTypeParser('multipart/mixed', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  const runner = (request: FastifyRequest): BatchRunner => ({
    inject: deps.inject, authorization: request.headers.authorization!, prepaidHeaders: deps.limiter?.prepaidHeaders() ?? {}, remoteAddress: request.ip,
  });

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.body === undefined) {
      throw new CalsyncError('INVALID_REQUEST', 'the batch has no body: send multipart/mixed with one application/http part per request, as Google, or JSON {"requests": [...]}');
    }
    const multipart = /^multipart\/mixed\s*(?:;|$)/i.test(request.headers['content-type'] ?? '');
    // Another content type with a parser of its own (text/plain) reaches here as a string too.
    if (typeof request.body === 'string' && !multipart) throw new CalsyncError('UNSUPPORTED_MEDIA_TYPE', 'a batch is multipart/mixed (as Google) or application/json');
    if (typeof request.body === 'string') {
      const boundary = boundaryOf(request.headers['content-type']);
      if (!boundary) throw new CalsyncError('INVALID_REQUEST', 'multipart/mixed needs a boundary parameter in Content-Type');
      const parts = googleBatchParts(parseMultipart(request.body, boundary));
      checkSize(parts.length);
      deps.limiter?.charge(request, parts.length);
      const results = await runItems(parts.map((p) => p.item), runner(request));
      const answer = googleBatchResponse(parts, results);
      return reply.type(answer.contentType).send(answer.body);
    }
    const { requests } = request.body as { requests: JsonBatchItem[] };
    checkSize(requests.length);
    deps.limiter?.charge(request, requests.length);
    const results = await runItems(requests.map((r) => ({
      method: r.method, target: r.path, headers: r.headers ?? {}, body: r.body === undefined ? undefined : JSON.stringify(r.body),
    })), runner(request));
    return { responses: results.map((result, i) => ({ id: requests[i]!.id, status: result.status, headers: result.headers, body: jsonBodyOf(result) })) };
  };

  const options = {
    // The envelope {"requests": [{"body": …}]} holds each body 3 levels down.
    config: { rateLimitCost: 'parts' as const, jsonEnvelopeDepth: 3 },
    schema: {
      summary: `Run up to ${maxBatchItems} requests in one (multipart/mixed as Google, or JSON)`,
      tags: ['batch'],
      querystring: unreadQuery,
      body: { content: { 'application/json': { schema: jsonBatchBody } } },
    },
  };
  app.post('/batch/calendar/v3', options, handle);
  app.post('/batch', options, handle);
}
