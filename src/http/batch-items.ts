// One request of a batch, whichever form carried it, run through the same app as any
// request (app.inject), one after another: a failed item does not stop the others (best
// effort, as Google's batch). Every item runs with the batch's own Authorization, so it
// sees only that key's tenant; an item's own Authorization is ignored. Its other headers
// (If-Match, Content-Type…) are its own, as Google applies them.
import { STATUS_CODES } from 'node:http';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { CalsyncError } from '../errors.ts';
import { batchPartHeader, batchPartHeaders } from './batch-part.ts';
import { normaliseTarget } from './batch-target.ts';
import { errorBody, toCalsyncError } from './errors.ts';
import { KeyRateLimiter } from './rate-limit.ts';

/** Google's limit for Calendar batches (developers.google.com/calendar/api/guides/batch). */
export const maxBatchItems = 1000;

const methods = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

// Headers of the item that describe the transport, not the call: they are the batch's.
const transportHeaders = new Set(['host', 'content-length', 'authorization', 'connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect', KeyRateLimiter.prepaidHeader, batchPartHeader]);

export interface BatchItemRequest {
  method: string;
  /** As the item gave it: a path under the API root, an absolute path or a URL. */
  target: string;
  headers: Record<string, string>;
  /** Raw body text; undefined when the item has none. */
  body: string | undefined;
}

export interface BatchItemResult {
  status: number;
  /** Content-Type and ETag of the item's response, where it had them. */
  headers: Record<string, string>;
  body: string;
}

export interface BatchRunner {
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
  /** The batch request's Authorization header. */
  authorization: string;
  /** Marks the items as paid for by the batch (see rate-limit.ts). */
  prepaidHeaders: Record<string, string>;
  /** The batch's client address: its parts come from where the batch came from. */
  remoteAddress: string;
}

export function failedItem(error: unknown): BatchItemResult {
  const failure = toCalsyncError(error);
  return { status: failure.status, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(errorBody(failure)) };
}

async function runItem(item: BatchItemRequest, runner: BatchRunner): Promise<BatchItemResult> {
  const method = item.method.toUpperCase();
  if (!methods.has(method)) throw new CalsyncError('INVALID_REQUEST', `method ${JSON.stringify(item.method)} is not one of ${[...methods].join(', ')}`);
  const url = normaliseTarget(item.target);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(item.headers)) if (!transportHeaders.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
  const hasBody = item.body !== undefined && item.body.trim() !== '';
  if (!hasBody) delete headers['content-type'];
  else headers['content-type'] ??= 'application/json';
  const response = await runner.inject({
    method: method as InjectOptions['method'], url, remoteAddress: runner.remoteAddress,
    headers: { ...headers, authorization: runner.authorization, ...runner.prepaidHeaders, ...batchPartHeaders() },
    ...(hasBody ? { payload: item.body } : {}),
  });
  const kept: Record<string, string> = {};
  for (const name of ['content-type', 'etag']) {
    const value = response.headers[name];
    if (value !== undefined) kept[name] = String(value);
  }
  return { status: response.statusCode, headers: kept, body: response.body };
}

/** Runs the items in order; each gets its own result, failed or not. */
export async function runItems(items: Array<BatchItemRequest | CalsyncError>, runner: BatchRunner): Promise<BatchItemResult[]> {
  const results: BatchItemResult[] = [];
  for (const item of items) {
    try {
      results.push(item instanceof CalsyncError ? failedItem(item) : await runItem(item, runner));
    } catch (error) {
      results.push(failedItem(error));
    }
  }
  return results;
}

/** The status line's reason phrase: Google's Python client needs one to split the line. */
export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown';
}
