// Tenants and their API keys. A key is `csk_` + 43 characters of base64url (256 random
// bits); only its SHA-256 is stored, and its first 12 characters for listings.
import { createHash, randomBytes } from 'node:crypto';
import { CalsyncError } from '../errors.ts';
import type { Queryable } from './db.ts';

export interface Tenant {
  id: string;
  name: string;
  createdAt: Date;
}

export interface ApiKeyInfo {
  id: string;
  tenantId: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  scopes: ApiKeyScope[];
}

/** `admin`: the operator console and /admin/v1; `app`: the calendar API (src/http/auth.ts). */
export const apiKeyScopes = ['admin', 'app'] as const;
export type ApiKeyScope = typeof apiKeyScopes[number];

export interface Principal {
  tenantId: string;
  apiKeyId: string;
  scopes: ApiKeyScope[];
}

const keyPattern = /^csk_[A-Za-z0-9_-]{43}$/;

function hashKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

export async function createTenant(db: Queryable, name: string): Promise<Tenant> {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 200) {
    throw new CalsyncError('INVALID_REQUEST', 'a tenant name must be 1 to 200 characters');
  }
  const { rows: [row] } = await db.query<{ id: string; name: string; created_at: Date }>(
    'insert into tenants (name) values ($1) returning id, name, created_at', [trimmed]);
  return { id: row!.id, name: row!.name, createdAt: row!.created_at };
}

export async function listTenants(db: Queryable): Promise<Array<Tenant & { apiKeys: number }>> {
  const { rows } = await db.query<{ id: string; name: string; created_at: Date; api_keys: string }>(
    `select t.id, t.name, t.created_at, count(k.id) filter (where k.revoked_at is null) as api_keys
       from tenants t left join api_keys k on k.tenant_id = t.id
      group by t.id order by t.created_at, t.id`);
  return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, apiKeys: Number(r.api_keys) }));
}

export async function getTenant(db: Queryable, tenantId: string): Promise<Tenant> {
  const { rows: [row] } = await db.query<{ id: string; name: string; created_at: Date }>(
    'select id, name, created_at from tenants where id::text = $1', [tenantId]);
  if (!row) throw new CalsyncError('TENANT_NOT_FOUND', `no tenant ${tenantId}`, { tenantId });
  return { id: row.id, name: row.name, createdAt: row.created_at };
}

/** The scopes asked for, each once, in a stable order; INVALID_REQUEST naming one calsync does not know. */
export function parseScopes(asked: readonly string[]): ApiKeyScope[] {
  const unknown = asked.filter((scope) => !(apiKeyScopes as readonly string[]).includes(scope));
  if (unknown.length > 0) {
    throw new CalsyncError('INVALID_REQUEST', `unknown API key scope ${unknown.map((s) => JSON.stringify(s)).join(', ')}: a key's scopes are ${apiKeyScopes.join(' and ')}`, { field: 'scope' });
  }
  const scopes = apiKeyScopes.filter((scope) => asked.includes(scope));
  if (scopes.length === 0) throw new CalsyncError('INVALID_REQUEST', `an API key needs at least one scope: ${apiKeyScopes.join(' or ')}`, { field: 'scope' });
  return scopes;
}

export async function createApiKey(db: Queryable, tenantId: string, name: string, scopes: readonly string[] = apiKeyScopes): Promise<{ key: string; info: ApiKeyInfo }> {
  const granted = parseScopes(scopes);
  await getTenant(db, tenantId);
  const key = `csk_${randomBytes(32).toString('base64url')}`;
  const { rows: [row] } = await db.query<{ id: string; created_at: Date }>(
    `insert into api_keys (tenant_id, name, key_prefix, key_hash, scopes) values ($1, $2, $3, $4, $5::text[]) returning id, created_at`,
    [tenantId, name.trim() || 'default', key.slice(0, 12), hashKey(key), granted]);
  return { key, info: { id: row!.id, tenantId, name: name.trim() || 'default', prefix: key.slice(0, 12), createdAt: row!.created_at, lastUsedAt: null, revokedAt: null, scopes: granted } };
}

export async function listApiKeys(db: Queryable, tenantId: string): Promise<ApiKeyInfo[]> {
  await getTenant(db, tenantId);
  const { rows } = await db.query<{ id: string; tenant_id: string; name: string; key_prefix: string; created_at: Date; last_used_at: Date | null; revoked_at: Date | null; scopes: ApiKeyScope[] }>(
    `select id, tenant_id, name, key_prefix, created_at, last_used_at, revoked_at, scopes
       from api_keys where tenant_id = $1 order by created_at, id`, [tenantId]);
  return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, name: r.name, prefix: r.key_prefix, createdAt: r.created_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at, scopes: r.scopes }));
}

export async function revokeApiKey(db: Queryable, tenantId: string, keyId: string): Promise<void> {
  const { rowCount } = await db.query(
    'update api_keys set revoked_at = now() where tenant_id = $1 and id::text = $2 and revoked_at is null', [tenantId, keyId]);
  if (rowCount === 0) throw new CalsyncError('NOT_FOUND', `no live API key ${keyId} for tenant ${tenantId}`, { keyId });
}

/** The tenant a presented key belongs to, or null for an unknown, malformed or revoked key. */
export async function authenticateApiKey(db: Queryable, key: string): Promise<Principal | null> {
  if (!keyPattern.test(key)) return null;
  // last_used_at is written at most once a minute per key, not on every request.
  const { rows: [row] } = await db.query<{ id: string; tenant_id: string; scopes: ApiKeyScope[] }>(
    `with found as (select id, tenant_id, last_used_at, scopes from api_keys where key_hash = $1 and revoked_at is null),
          touched as (update api_keys set last_used_at = now() where id = (select id from found)
                        and (last_used_at is null or last_used_at < now() - interval '1 minute'))
     select id, tenant_id, scopes from found`, [hashKey(key)]);
  return row ? { tenantId: row.tenant_id, apiKeyId: row.id, scopes: row.scopes } : null;
}
