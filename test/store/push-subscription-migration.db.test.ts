// Migration 000012: bindings' Google-shaped push channels become provider-neutral
// subscriptions, rows and retired channels included. Run on a database migrated to
// 000011 with rows in the old shape, then migrated to the end.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { createPool, type Db } from '../../src/store/db.ts';
import { listMigrations, migrate } from '../../src/store/migrate.ts';

const adminUrl = process.env.CALSYNC_TEST_ADMIN_URL!;
const name = `calsync_test_migration_${randomBytes(6).toString('hex')}`;
let db: Db;

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

before(async () => {
  await admin(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  db = createPool(url.toString());
});
after(async () => {
  await db.end();
  await admin(`drop database if exists ${name} with (force)`);
});

test('live, pending and failed channels and retired ones keep what they were under the new names', async () => {
  await migrate(db, listMigrations().filter((m) => m.id <= 11));
  const tenant = '00000000-0000-4000-8000-000000000001';
  const calendar = '00000000-0000-4000-8000-000000000002';
  const account = '00000000-0000-4000-8000-000000000003';
  const [live, pending, failed, none] = ['11', '12', '13', '14'].map((n) => `00000000-0000-4000-8000-0000000000${n}`);
  await db.query(`insert into calsync.tenants (id, name) values ($1, 't')`, [tenant]);
  await db.query(`insert into calsync.calendars (id, tenant_id) values ($1, $2)`, [calendar, tenant]);
  await db.query(`insert into calsync.accounts (id, tenant_id, provider) values ($1, $2, 'google')`, [account, tenant]);
  const channels: Record<string, object | null> = {
    [live!]: { id: 'ch-live', resourceId: 'res-1', tokenHash: 'aa', expiresAt: '2026-12-14T00:00:00.000Z', createdAt: '2026-12-07T00:00:00.000Z', confirmedAt: '2026-12-07T00:00:01.000Z' },
    [pending!]: { id: 'ch-old', resourceId: 'res-2', tokenHash: 'bb', expiresAt: '2026-12-08T00:00:00.000Z', createdAt: '2026-12-01T00:00:00.000Z', confirmedAt: null, pending: { id: 'ch-new', tokenHash: 'cc', startedAt: '2026-12-07T00:00:00.000Z' } },
    [failed!]: { error: 'refused', retryAt: '2026-12-07T01:00:00.000Z' },
    [none!]: null,
  };
  for (const [id, channel] of Object.entries(channels)) {
    await db.query(`insert into calsync.bindings (id, tenant_id, calendar_id, account_id, remote_calendar_id, push_channel, push_channel_expires_at)
                    values ($1::uuid, $2, $3, $4, $1::text, $5, $6)`, [id, tenant, calendar, account, channel, (channel as { expiresAt?: string } | null)?.expiresAt ?? null]);
  }
  await db.query(`insert into calsync.retired_push_channels (channel_id, tenant_id, binding_id, resource_id, token_hash, expires_at)
                  values ('ch-retired', $1, $2, 'res-1', 'dd', '2026-12-10T00:00:00Z')`, [tenant, live]);

  const result = await migrate(db);
  assert.ok(result.applied.includes('000012_provider_neutral_push.sql'), 'the migration ran');
  const { rows } = await db.query<{ id: string; push_subscription: unknown; push_expires_at: Date | null }>(
    'select id, push_subscription, push_expires_at from calsync.bindings order by id');
  const byId = new Map(rows.map((r) => [r.id, r]));
  assert.deepEqual(byId.get(live!)!.push_subscription, {
    id: 'ch-live', resourceId: 'res-1', secretHash: 'aa', expiresAt: '2026-12-14T00:00:00.000Z', createdAt: '2026-12-07T00:00:00.000Z', confirmedAt: '2026-12-07T00:00:01.000Z', extras: {},
  });
  assert.equal(byId.get(live!)!.push_expires_at?.toISOString(), '2026-12-14T00:00:00.000Z');
  assert.deepEqual(byId.get(pending!)!.push_subscription, {
    id: 'ch-old', resourceId: 'res-2', secretHash: 'bb', expiresAt: '2026-12-08T00:00:00.000Z', createdAt: '2026-12-01T00:00:00.000Z', confirmedAt: null, extras: {},
    pending: { id: 'ch-new', secretHash: 'cc', startedAt: '2026-12-07T00:00:00.000Z' },
  });
  assert.deepEqual(byId.get(failed!)!.push_subscription, { error: 'refused', retryAt: '2026-12-07T01:00:00.000Z' }, 'no secret to carry: nothing made up');
  assert.equal(byId.get(none!)!.push_subscription, null);
  const { rows: retired } = await db.query('select channel_id, resource_id, secret_hash from calsync.retired_push_subscriptions');
  assert.deepEqual(retired, [{ channel_id: 'ch-retired', resource_id: 'res-1', secret_hash: 'dd' }]);
  // The lookups by subscription id still have their indexes.
  const { rows: indexes } = await db.query<{ indexname: string }>(`select indexname from pg_indexes where schemaname = 'calsync' and tablename = 'bindings' and indexname like 'bindings_push%' order by 1`);
  assert.deepEqual(indexes.map((i) => i.indexname), ['bindings_push_subscription_id', 'bindings_push_subscription_pending_id']);
});

test('an account of a provider the schema never listed can be stored: the registry decides which exist', async () => {
  const tenant = '00000000-0000-4000-8000-000000000001';
  await db.query(`insert into calsync.accounts (tenant_id, provider) values ($1, 'a-provider-added-later')`, [tenant]);
});
