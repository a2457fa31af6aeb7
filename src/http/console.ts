// The operator console (web/): static HTML, ES modules and CSS, served as they are, with
// no build step. The files need no key; everything they show comes from the admin API,
// called with the admin key the operator signs in with (web/console/api.js).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { unreadParameters } from './route-schemas.ts';

// ../../web from src/http/ and from dist/bundle/ alike (scripts/build.ts).
export const consoleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web');

// The console runs only its own scripts and talks only to this server: an injected
// script could read the key from sessionStorage.
const headers = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

const withoutKey = { security: [], querystring: unreadParameters };

export async function consoleRoutes(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, { root: consoleDir, serve: false, cacheControl: false });
  const send = (request: FastifyRequest, reply: FastifyReply, file: string) => {
    // @fastify/send answers a failed If-Match or If-Unmodified-Since, and a Range it cannot
    // serve, with errors of its own that reach the error handler as 500s. Browsers send
    // neither precondition for these files (they revalidate with If-None-Match, which still
    // gets its 304), so both are dropped and ranges are not offered: the whole file is sent.
    delete request.raw.headers['if-match'];
    delete request.raw.headers['if-unmodified-since'];
    return reply.headers(headers).sendFile(file, { acceptRanges: false });
  };

  app.get('/', { schema: { ...withoutKey, summary: 'The operator console (sign in with an admin key)' } }, (request, reply) => send(request, reply, 'index.html'));

  app.get<{ Params: { file: string } }>('/console/:file', {
    schema: {
      ...withoutKey, summary: 'The operator console\'s scripts and styles',
      // Flat names only: nothing outside web/console/ can be named.
      params: { type: 'object', required: ['file'], properties: { file: { type: 'string', minLength: 1, maxLength: 2048, pattern: '^[a-z0-9-]+\\.(js|css|svg)$' } } },
    },
  }, (request, reply) => send(request, reply, `console/${request.params.file}`));
}
