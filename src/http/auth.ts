// Bearer API keys. Registered inside a plugin scope, so every route of that scope needs
// a key and sees request.principal; a missing, malformed, unknown or revoked key is 401
// before any handler runs, and a key without the route's scope 403 (API_KEY_SCOPE_MISSING):
// /admin/v1 needs `admin`, the calendar API `app`.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CalsyncError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { authenticateApiKey, type ApiKeyScope, type Principal } from '../store/tenants.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export function bearerKey(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1] ?? null;
}

export function requireApiKey(app: FastifyInstance, db: Db): void {
  app.addHook('onRequest', async (request) => {
    const key = bearerKey(request);
    if (!key) throw new CalsyncError('UNAUTHENTICATED', 'missing API key');
    const principal = await authenticateApiKey(db, key);
    if (!principal) throw new CalsyncError('UNAUTHENTICATED', 'invalid or revoked API key');
    const needed = scopeOf(request.routeOptions.url ?? request.url);
    if (needed !== null && !principal.scopes.includes(needed)) {
      throw new CalsyncError('API_KEY_SCOPE_MISSING', `this API key has scope ${principal.scopes.join(', ')}; ${request.method} ${request.routeOptions.url} needs ${needed}`, { scope: needed });
    }
    request.principal = principal;
  });
}

/**
 * The scope a route needs, from its registered path (not the request's, which may spell
 * the same route with escapes). A batch takes any key: its parts are requests of their
 * own (batch.ts injects them with the batch's key), each checked against its route.
 */
export function scopeOf(routePath: string): ApiKeyScope | null {
  if (routePath === '/batch' || routePath.startsWith('/batch/')) return null;
  return routePath.startsWith('/admin/v1/') ? 'admin' : 'app';
}

export function tenantOf(request: FastifyRequest): string {
  if (!request.principal) throw new CalsyncError('UNAUTHENTICATED', 'missing API key');
  return request.principal.tenantId;
}
