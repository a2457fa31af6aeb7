// API key scopes (src/http/auth.ts, migration 000018): `admin` for /admin/v1 and the
// console, `app` for the calendar API; keys made before scopes keep working as both.
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createApiKey, createTenant } from '../../src/store/tenants.ts';
import { offlineProviders, testApp, type TestApp } from '../helpers/app.ts';
import { snapshot as takeSnapshot } from '../helpers/snapshot.ts';

let t: TestApp;
let tenantId: string;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
let appKey: string;
let adminKey: string;
let bothKey: string;
let oldKey: string;

before(async () => {
  t = await testApp({ providers: offlineProviders(1) });
  tenantId = (await createTenant(t.database.db, 'scoped')).id;
  appKey = (await createApiKey(t.database.db, tenantId, 'backend', ['app'])).key;
  adminKey = (await createApiKey(t.database.db, tenantId, 'console', ['admin'])).key;
  bothKey = (await createApiKey(t.database.db, tenantId, 'both')).key;
  // A key as calsync stored them before scopes existed: no scopes column named.
  oldKey = `csk_${randomBytes(32).toString('base64url')}`;
  await t.database.db.query('insert into api_keys (tenant_id, name, key_prefix, key_hash) values ($1, $2, $3, $4)',
    [tenantId, 'from before scopes', oldKey.slice(0, 12), createHash('sha256').update(oldKey).digest()]);
});
after(async () => { await t.close(); });

const snapshot = () => takeSnapshot(t.database.db);

const adminRoutes = [
  { method: 'GET', url: '/admin/v1/bindings' },
  { method: 'GET', url: '/admin/v1/health' },
  { method: 'POST', url: '/admin/v1/accounts', payload: { provider: 'ics', url: 'https://example.org/a.ics' } },
] as const;
const appRoutes = [
  { method: 'GET', url: '/calendar/v3/users/me/calendarList' },
  { method: 'POST', url: '/calendar/v3/calendars', payload: { summary: 'from the app' } },
] as const;

for (const route of adminRoutes) {
  test(`an app-only key is refused on ${route.method} ${route.url} with 403 API_KEY_SCOPE_MISSING and nothing changes`, async () => {
    const before = await snapshot();
    const res = await t.app.inject({ method: route.method, url: route.url, headers: bearer(appKey), ...('payload' in route ? { payload: route.payload } : {}) });
    assert.equal(res.statusCode, 403, res.body);
    const { error } = res.json();
    assert.equal(error.calsync.code, 'API_KEY_SCOPE_MISSING');
    assert.equal(error.errors[0].reason, 'insufficientPermissions');
    assert.match(error.message, /scope app; .* needs admin/);
    assert.deepEqual(await snapshot(), before);
  });
}

for (const route of appRoutes) {
  test(`an admin-only key is refused on ${route.method} ${route.url} with 403 and nothing changes`, async () => {
    const before = await snapshot();
    const res = await t.app.inject({ method: route.method, url: route.url, headers: bearer(adminKey), ...('payload' in route ? { payload: route.payload } : {}) });
    assert.equal(res.statusCode, 403, res.body);
    assert.equal(res.json().error.calsync.code, 'API_KEY_SCOPE_MISSING');
    assert.match(res.json().error.message, /scope admin; .* needs app/);
    assert.deepEqual(await snapshot(), before);
  });
}

test('each key is let through where its scope allows', async () => {
  assert.equal((await t.app.inject({ method: 'GET', url: '/admin/v1/bindings', headers: bearer(adminKey) })).statusCode, 200);
  assert.equal((await t.app.inject({ method: 'GET', url: '/calendar/v3/users/me/calendarList', headers: bearer(appKey) })).statusCode, 200);
});

test('keys made before scopes, and keys made with the default, work as both', async () => {
  for (const key of [oldKey, bothKey]) {
    assert.equal((await t.app.inject({ method: 'GET', url: '/admin/v1/bindings', headers: bearer(key) })).statusCode, 200);
    const created = await t.app.inject({ method: 'POST', url: '/calendar/v3/calendars', headers: bearer(key), payload: { summary: 'both' } });
    assert.equal(created.statusCode, 200, created.body);
  }
  const { rows } = await t.database.db.query<{ scopes: string[] }>('select scopes from api_keys where name = $1', ['from before scopes']);
  assert.deepEqual(rows[0]!.scopes, ['admin', 'app']);
});

test('a batch checks each part against its own route: an app-only key gets calendar parts, not admin ones', async () => {
  const res = await t.app.inject({
    method: 'POST', url: '/batch', headers: bearer(appKey),
    payload: { requests: [{ id: 'cal', method: 'GET', path: '/calendar/v3/users/me/calendarList' }, { id: 'ops', method: 'GET', path: '/admin/v1/bindings' }] },
  });
  assert.equal(res.statusCode, 200, res.body);
  const byId = new Map(res.json().responses.map((r: { id: string; status: number; body: unknown }) => [r.id, r]));
  assert.equal((byId.get('cal') as { status: number }).status, 200);
  const ops = byId.get('ops') as { status: number; body: { error: { calsync: { code: string } } } };
  assert.equal(ops.status, 403);
  assert.equal(ops.body.error.calsync.code, 'API_KEY_SCOPE_MISSING');
});

test('an unknown or empty scope is refused with a clear error and stores no key', async () => {
  const count = async () => Number((await t.database.db.query<{ n: string }>('select count(*) as n from api_keys')).rows[0]!.n);
  const before = await count();
  await assert.rejects(createApiKey(t.database.db, tenantId, 'x', ['admin', 'superuser']), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'INVALID_REQUEST');
    assert.match(error.message, /unknown API key scope "superuser": a key's scopes are admin and app/);
    return true;
  });
  await assert.rejects(createApiKey(t.database.db, tenantId, 'x', []), { code: 'INVALID_REQUEST', message: /at least one scope/ });
  assert.equal(await count(), before);
  // The schema holds the same rule for anything that writes the table directly.
  await assert.rejects(t.database.db.query(`update api_keys set scopes = '{root}' where tenant_id = $1`, [tenantId]), { code: '23514' });
  await assert.rejects(t.database.db.query(`update api_keys set scopes = '{}' where tenant_id = $1`, [tenantId]), { code: '23514' });
});
