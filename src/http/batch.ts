// Batch: up to 50 requests in one HTTP request, at Google's batch path
// (`POST /batch/calendar/v3`, and `/batch`, Google's older global one), best effort with a
// status per item. Two forms:
//   multipart/mixed   Google's (batch-google.ts), so Google clients' batch helpers work;
//   application/json  {"requests": [{"id", "method", "path", "headers"?, "body"?}]}
//                     → {"responses": [{"id", "status", "headers", "body"}]}.
// More than 50 items is 400 BATCH_TOO_LARGE and runs none. The key is charged one request
// per item before any runs (rate-limit.ts); the body limit is the one of any request.
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
  return JSON.parse(result.body);
}

export function batchRoutes(app: FastifyInstance, deps: BatchDeps): void {
  // The body arrives whole (within the app's body limit) and is split here.
  app.addContentTypeParser('multipart/mixed', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  const runner = (request: FastifyRequest): BatchRunner => ({
    inject: deps.inject, authorization: request.headers.authorization!, prepaidHeaders: deps.limiter?.prepaidHeaders() ?? {},
  });

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
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
    config: { rateLimitCost: 'parts' as const },
    schema: {
      summary: 'Run up to 50 requests in one (multipart/mixed as Google, or JSON)',
      tags: ['batch'],
      querystring: unreadQuery,
      body: { content: { 'application/json': { schema: jsonBatchBody } } },
    },
  };
  app.post('/batch/calendar/v3', options, handle);
  app.post('/batch', options, handle);
}
