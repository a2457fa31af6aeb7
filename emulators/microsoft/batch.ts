// JSON batching (concepts/json-batching): POST /v1.0/$batch {"requests": [{id, method,
// url, headers?, body?, dependsOn?}]} answers 200 {"responses": [{id, status, headers,
// body}]}, each request with its own status.
// - "JSON batch requests are currently limited to 20 individual requests"; more is 400.
// - A request with a body must give its Content-Type in headers.
// - dependsOn orders requests; when a dependency fails, the dependent one answers 424
//   Failed Dependency. Requests without dependencies run together, at most four at a time
//   ("Microsoft Graph dispatches up to four individual requests from a batch to the
//   Outlook service simultaneously"); each counts against the mailbox's concurrency and
//   faults like a request of its own.
// - "Responses might appear in a different order than the requests": here, in the order
//   they finished.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { graphErrors } from './errors.ts';

interface BatchRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  dependsOn: string[];
}

const METHODS = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'];
const PARALLEL = 4;
export const MAX_BATCH = 20;
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function checkBatch(raw: unknown): BatchRequest[] {
  if (!isObject(raw) || !Array.isArray(raw.requests)) throw graphErrors.badRequest('Invalid batch payload format: a "requests" array is required.');
  if (raw.requests.length === 0) throw graphErrors.badRequest('Invalid batch payload format: the batch holds no requests.');
  if (raw.requests.length > MAX_BATCH) throw graphErrors.badRequest(`Number of batch request steps exceeds the maximum of ${MAX_BATCH}.`);
  const ids = new Set<string>();
  return raw.requests.map((r: unknown, i: number) => {
    if (!isObject(r)) throw graphErrors.badRequest(`Invalid batch payload format: requests[${i}] must be an object.`);
    const id = typeof r.id === 'number' ? String(r.id) : r.id;
    if (typeof id !== 'string' || id === '') throw graphErrors.badRequest(`Invalid batch payload format: requests[${i}].id is required.`);
    if (ids.has(id)) throw graphErrors.badRequest(`Batch request contains duplicate id '${id}'.`);
    ids.add(id);
    const method = typeof r.method === 'string' ? r.method.toUpperCase() : '';
    if (!METHODS.includes(method)) throw graphErrors.badRequest(`Invalid batch payload format: requests[${i}].method '${String(r.method)}' is not supported.`);
    if (typeof r.url !== 'string' || r.url === '' || /^[a-z]+:/i.test(r.url)) throw graphErrors.badRequest(`Invalid batch payload format: requests[${i}].url must be a URL relative to the version, like /me/events.`);
    const headers: Record<string, string> = {};
    if (r.headers !== undefined) {
      if (!isObject(r.headers)) throw graphErrors.badRequest(`Invalid batch payload format: requests[${i}].headers must be an object.`);
      for (const [k, v] of Object.entries(r.headers)) headers[k.toLowerCase()] = String(v);
    }
    if (r.body !== undefined && headers['content-type'] === undefined) throw graphErrors.badRequest(`Write request id : ${id} does not contain Content-Type header or body.`);
    const dependsOn = r.dependsOn === undefined ? [] : r.dependsOn;
    if (!Array.isArray(dependsOn) || dependsOn.some((d) => typeof d !== 'string' || !ids.has(d) || d === id)) {
      throw graphErrors.badRequest(`Invalid batch payload format: requests[${i}].dependsOn must name ids of earlier requests.`);
    }
    return { id, method, url: r.url.replace(/^\//, ''), headers, body: r.body, dependsOn };
  });
}

export function batchRoute(app: FastifyInstance, root: () => FastifyInstance): void {
  app.post('/v1.0/$batch', async (request: FastifyRequest) => {
    const requests = checkBatch(request.body);
    const status = new Map<string, number>();
    const responses: Array<Record<string, unknown>> = [];
    const run = async (r: BatchRequest): Promise<void> => {
      const failed = r.dependsOn.find((d) => (status.get(d) ?? 0) >= 400);
      if (failed !== undefined) {
        status.set(r.id, 424);
        responses.push({ id: r.id, status: 424, headers: { 'content-type': 'application/json' }, body: { error: { code: 'FailedDependency', message: `The request depends on request ${failed}, which failed.` } } });
        return;
      }
      if (r.url.split('?')[0]!.toLowerCase() === '$batch') {
        status.set(r.id, 400);
        responses.push({ id: r.id, status: 400, headers: {}, body: { error: { code: 'BadRequest', message: 'A batch cannot hold a batch.' } } });
        return;
      }
      const answer = await root().inject({
        method: r.method as 'GET', url: `/v1.0/${r.url}`,
        headers: { ...r.headers, authorization: request.headers.authorization ?? '', host: request.headers.host ?? 'localhost' },
        ...(r.body === undefined ? {} : { payload: typeof r.body === 'string' ? r.body : JSON.stringify(r.body) }),
      });
      status.set(r.id, answer.statusCode);
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'retry-after', 'location', 'preference-applied']) {
        const v = answer.headers[name];
        if (v !== undefined) headers[name] = String(v);
      }
      let body: unknown;
      if (answer.body !== '') {
        try {
          body = JSON.parse(answer.body);
        } catch {
          body = answer.body;
        }
      }
      responses.push({ id: r.id, status: answer.statusCode, headers, ...(body !== undefined ? { body } : {}) });
    };
    const done = new Set<string>();
    while (done.size < requests.length) {
      const ready = requests.filter((r) => !done.has(r.id) && r.dependsOn.every((d) => done.has(d))).slice(0, PARALLEL);
      await Promise.all(ready.map(async (r) => {
        await run(r);
        done.add(r.id);
      }));
    }
    return { responses };
  });
}
