// The database's own refusals behind the booking engine (migration 000014): two live
// bookings of one resource never overlap in what they occupy (their time and buffers),
// whatever writes them; cancelled and expired ones do not count; empty ranges, and holds
// without an expiry, are refused.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createResource } from '../../src/store/resources.ts';
import { createTenant } from '../../src/store/tenants.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

let t: TestDatabase;
before(async () => { t = await freshDatabase(); });
after(async () => { await t.drop(); });

test('the exclusion constraint refuses overlapping live bookings, buffers included, and nothing else', async () => {
  const tenant = await createTenant(t.db, 'constraints');
  const room = await createResource(t.db, tenant.id, { name: 'Room' });
  const insert = (during: [string, string], occupied: [string, string], status = 'confirmed', heldUntil: string | null = null) => t.db.query(
    `insert into bookings (tenant_id, resource_id, during, occupied, status, held_until) values ($1, $2, tstzrange($3, $4, '[)'), tstzrange($5, $6, '[)'), $7, $8)`,
    [tenant.id, room.id, ...during, ...occupied, status, heldUntil]);
  const code = async (work: Promise<unknown>) => work.then(() => 'ok', (e: { code?: string }) => e.code);
  await insert(['2026-03-02T09:00Z', '2026-03-02T10:00Z'], ['2026-03-02T09:00Z', '2026-03-02T10:15Z']);
  assert.equal(await code(insert(['2026-03-02T10:00Z', '2026-03-02T11:00Z'], ['2026-03-02T10:00Z', '2026-03-02T11:00Z'])), '23P01', 'the first one\'s buffer');
  assert.equal(await code(insert(['2026-03-02T10:15Z', '2026-03-02T11:00Z'], ['2026-03-02T10:15Z', '2026-03-02T11:00Z'])), 'ok', 'touching is not overlapping');
  assert.equal(await code(insert(['2026-03-02T09:30Z', '2026-03-02T10:00Z'], ['2026-03-02T09:30Z', '2026-03-02T10:00Z'], 'cancelled')), 'ok');
  assert.equal(await code(insert(['2026-03-02T09:30Z', '2026-03-02T10:00Z'], ['2026-03-02T09:30Z', '2026-03-02T10:00Z'], 'expired', '2026-03-01T00:00Z')), 'ok');
  assert.equal(await code(insert(['2026-03-02T09:30Z', '2026-03-02T10:00Z'], ['2026-03-02T09:30Z', '2026-03-02T10:00Z'], 'held', '2026-03-02T00:00Z')), '23P01');
  assert.equal(await code(insert(['2026-03-03T09:00Z', '2026-03-03T09:00Z'], ['2026-03-03T09:00Z', '2026-03-03T09:00Z'])), '23514', 'an empty range');
  assert.equal(await code(insert(['2026-03-03T09:00Z', '2026-03-03T10:00Z'], ['2026-03-03T09:00Z', '2026-03-03T10:00Z'], 'held')), '23514', 'a hold without an expiry');
  assert.equal(await code(insert(['2026-03-03T09:00Z', '2026-03-03T10:00Z'], ['2026-03-03T09:30Z', '2026-03-03T10:00Z'])), '23514', 'occupied must cover the booking');
  const { rows } = await t.db.query(`select count(*)::int as n from bookings where status in ('held', 'confirmed')`);
  assert.equal(rows[0].n, 2);
});
