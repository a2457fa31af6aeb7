// The requests a batch runs for its parts carry a mark only the batch can set (a header
// whose value is random per process; a part's own copy of the header is dropped), so a
// route that cannot answer inside a batch refuses one before it does anything. A batch
// answers a part once app.inject has its whole response: an event stream, which never
// ends, held the batch open for ever and kept its calendar listener.
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { CalsyncError } from '../errors.ts';

export const batchPartHeader = 'x-calsync-batch-part';
const mark = randomUUID();

/** The headers that mark a request as a batch's part. */
export function batchPartHeaders(): Record<string, string> {
  return { [batchPartHeader]: mark };
}

export function isBatchPart(request: FastifyRequest): boolean {
  return request.headers[batchPartHeader] === mark;
}

/** An onRequest hook of a route that cannot be a batch part: such a part is answered 400 BATCH_PART_REFUSED, saying `why`. */
export function refusedInBatch(why: string): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    if (isBatchPart(request)) throw new CalsyncError('BATCH_PART_REFUSED', why);
  };
}
