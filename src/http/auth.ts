// Bearer API keys. Registered inside a plugin scope, so every route of that scope needs
// a key and sees request.principal; a missing, malformed, unknown or revoked key is 401
// before any handler runs.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CalsyncError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { authenticateApiKey, type Principal } from '../store/tenants.ts';

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
    request.principal = principal;
  });
}

export function tenantOf(request: FastifyRequest): string {
  if (!request.principal) throw new CalsyncError('UNAUTHENTICATED', 'missing API key');
  return request.principal.tenantId;
}
