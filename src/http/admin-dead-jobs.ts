// Dead jobs of the key's tenant (src/store/dead-jobs.ts): the queue's jobs that used up
// their attempts, with payload and last error, and a replay of one from its first attempt.
// Another tenant's job is not found, as an unknown one.
import type { FastifyInstance } from 'fastify';
import type { Db } from '../store/db.ts';
import { listDeadJobs, replayDeadJob } from '../store/dead-jobs.ts';
import {
  absentBodyIsEmpty, actorOf, adminTags, anyValue, decodePageToken, encodePageToken, errorAnswer, maxResults, note, nullableString, pageToken,
} from './admin-schemas.ts';
import { tenantOf } from './auth.ts';
import { noParameters, pathParams } from './route-schemas.ts';
import type { TokenSigner } from './token-signing.ts';

export interface AdminDeadJobsDeps {
  db: Db;
  tokens: TokenSigner;
}

const deadJob = {
  type: 'object',
  properties: {
    id: { type: 'string' }, task: { type: 'string', description: 'The queue task, e.g. `sync_binding`.' },
    payload: { ...anyValue, description: 'The job\'s payload as it was queued.' },
    attempts: { type: 'integer' }, maxAttempts: { type: 'integer' }, lastError: nullableString, key: nullableString,
    createdAt: { type: 'string', format: 'date-time' }, failedAt: { type: 'string', format: 'date-time', description: 'When the last attempt failed.' },
  },
} as const;

const isId = (value: unknown): value is string => typeof value === 'string' && /^\d{1,18}$/.test(value);

export function adminDeadJobRoutes(app: FastifyInstance, deps: AdminDeadJobsDeps): void {
  app.get<{ Querystring: { maxResults?: string; pageToken?: string } }>('/admin/v1/dead-jobs', {
    schema: {
      summary: 'List dead jobs: queue jobs of this tenant that used up their attempts, newest first', tags: adminTags,
      querystring: { type: 'object', additionalProperties: false, properties: { maxResults, pageToken } },
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: deadJob }, nextPageToken: nullableString } }, 400: errorAnswer('A parameter is invalid.') },
    },
  }, async (request) => {
    const page = await listDeadJobs(deps.db, tenantOf(request), {
      limit: Number(request.query.maxResults ?? 100), before: decodePageToken(deps.tokens, 'dead jobs', request.query.pageToken, isId),
    });
    return { items: page.items, nextPageToken: page.next ? encodePageToken(deps.tokens, 'dead jobs', page.next) : null };
  });

  app.post<{ Params: { jobId: string }; Body: { note?: string } }>('/admin/v1/dead-jobs/:jobId/replay', {
    preValidation: absentBodyIsEmpty,
    schema: {
      summary: 'Replay a dead job: it runs again now, from its first attempt (recorded in the operators\' audit trail)', tags: adminTags,
      params: pathParams('jobId'), querystring: noParameters,
      body: { type: 'object', additionalProperties: false, properties: { note } },
      response: {
        200: { type: 'object', properties: { id: { type: 'string' }, task: { type: 'string' } } },
        400: errorAnswer('A malformed body; nothing was changed.'),
        404: errorAnswer('No job of this tenant with that id; nothing was changed.'),
        409: errorAnswer('The job is not dead: it has attempts left or is running (JOB_NOT_DEAD); nothing was changed.'),
      },
    },
  }, async (request) => replayDeadJob(deps.db, tenantOf(request), request.params.jobId, { actor: actorOf(request), note: request.body.note }));
}
