// The edge's one validation layer for paths and query strings: every route declares a
// JSON schema for its path parameters and its query string, which Fastify's Ajv checks
// before the route runs and @fastify/swagger turns into the OpenAPI document's
// parameters, so the two cannot disagree. A route registered without them fails at
// start (requireRouteSchemas). Bodies: routes with a Fastify body schema are checked by
// it; the Google-shaped routes leave theirs to the core's mapping (src/core/google), and
// say so, because a schema there would duplicate that mapping's rules. Text and numbers
// in every body are checked for all routes alike (edge-strings.ts).
//
// Query strings stay strings (the app's Ajv does not coerce), and Fastify's parser turns
// a repeated parameter into an array: a parameter typed `string` given twice is 400
// naming it, unless it is `repeatable` (Google's privateExtendedProperty, for one).
import type { FastifyInstance, RouteOptions } from 'fastify';

/** An id in a path: an event id is up to 1024 characters, an instance id 17 more. */
const pathId = { type: 'string', minLength: 1, maxLength: 2048 } as const;

export function pathParams(...names: string[]): object {
  return { type: 'object', required: names, properties: Object.fromEntries(names.map((n) => [n, pathId])) };
}

/** A route that reads no query parameter and ignores any (health checks, scrapers). */
export const unreadParameters = { type: 'object', additionalProperties: true, properties: {} } as const;

/** A route that takes no query parameters: any is refused, so a typo does not go unnoticed. */
export const noParameters = { type: 'object', additionalProperties: false, properties: {} } as const;

/**
 * The query string of a Google-shaped route: the parameters calsync reads, each given at
 * most once unless `repeatable`; other parameters are ignored, as Google ignores those it
 * does not know (and its client libraries send some, e.g. `alt`).
 */
export function googleParameters(properties: Record<string, object> = {}, required: string[] = []): object {
  return { type: 'object', additionalProperties: true, properties, ...(required.length > 0 ? { required } : {}) };
}

/** A query parameter given once. */
export function parameter(description: string): object {
  return { type: 'string', description };
}

/** A query parameter that may be given several times. */
export function repeatable(description: string): object {
  return { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: `${description} May be repeated.` };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * For a route whose body has no Fastify schema: what reads it instead (e.g. the core's
     * Google mapping), or that nothing does. Routes without a body need neither.
     */
    bodyReadBy?: string;
  }
}

const withBody = new Set(['POST', 'PUT', 'PATCH']);

/** What a route lacks of the edge's schemas; empty when it has them all. */
export function missingSchemas(route: Pick<RouteOptions, 'method' | 'url' | 'schema' | 'config'>): string[] {
  const schema = (route.schema ?? {}) as Record<string, unknown>;
  const missing: string[] = [];
  if (route.url.includes(':') && !schema.params) missing.push('params');
  if (!schema.querystring) missing.push('querystring');
  const methods = [route.method].flat();
  const bodyReadBy = route.config?.bodyReadBy;
  if (methods.some((m) => withBody.has(m)) && !schema.body && !bodyReadBy) missing.push('body (or config.bodyReadBy)');
  return missing;
}

/** Registers the check on the root instance: every route of every scope registered after it. */
export function requireRouteSchemas(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const missing = missingSchemas(route);
    if (missing.length > 0) throw new Error(`route ${[route.method].flat().join(',')} ${route.url} has no ${missing.join(', ')} schema: every route declares them (src/http/route-schemas.ts)`);
  });
}
