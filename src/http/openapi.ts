// The OpenAPI 3 document of the whole HTTP API at GET /openapi.json, without a key.
// @fastify/swagger builds it from the routes as they are registered (paths, path
// parameters, and the bodies of routes with a Fastify schema), so a route added later is
// in it without more work; openapi-operations.ts and openapi-schemas.ts add what routes
// without a schema cannot say. Register this before any route.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { openApiOperations } from './openapi-operations.ts';
import { openApiSchemas } from './openapi-schemas.ts';
import { unreadParameters } from './route-schemas.ts';

type Operation = Record<string, unknown> & { security?: unknown[]; responses?: Record<string, unknown>; parameters?: unknown[]; requestBody?: { content?: object } };
type Document = { paths?: Record<string, Record<string, Operation>>; components?: Record<string, unknown> };

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

/** Adds the hand-written descriptions to the generated document. */
export function describeOperations(document: Document): Document {
  for (const [path, operations] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(operations)) {
      const extra = openApiOperations[`${method.toUpperCase()} ${path}`];
      if (extra) {
        const { parameters, requestBody, responses, ...rest } = extra;
        Object.assign(operation, rest);
        if (parameters) operation.parameters = [...(operation.parameters ?? []), ...parameters];
        if (requestBody) operation.requestBody = { ...requestBody, content: { ...(requestBody as { content: object }).content, ...operation.requestBody?.content } };
        if (responses) operation.responses = responses;
      }
      // Every route that needs a key can answer these two.
      if (!Array.isArray(operation.security) || operation.security.length > 0) {
        operation.responses = {
          ...operation.responses,
          401: errorResponse('No API key, or an unknown or revoked one.'),
          429: { ...errorResponse('Over the key\'s rate limit: rateLimitExceeded; nothing was changed.'), headers: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } } } },
        };
      }
    }
  }
  document.components = { ...document.components, schemas: { ...(document.components?.schemas as object), ...openApiSchemas } };
  return document;
}

// Two folders up from src/http or dist/http alike.
const { version } = JSON.parse(fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../package.json'), 'utf8')) as { version: string };

export async function openApiRoutes(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'calsync',
        version,
        description: 'Two-way calendar sync engine. The app API follows Google Calendar API v3 (resources, sync and page tokens, etags, batch), '
          + 'so Google\'s client libraries work against it; errors are Google-shaped with calsync\'s code and fix.',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'A calsync API key (`calsync apikey create`); it scopes every request to its tenant.' } } },
      security: [{ apiKey: [] }],
    },
    // In openapi mode the document comes as `openapiObject`.
    transformObject: (document) => describeOperations((document as { openapiObject: Document }).openapiObject) as object,
  });
  app.get('/openapi.json', { schema: { security: [], querystring: unreadParameters } }, async () => app.swagger());
}
