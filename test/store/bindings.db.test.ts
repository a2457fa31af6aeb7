import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createAccount, getAccount, readCredentials, setAccountState, storeRenewedCredentials } from '../../src/store/accounts.ts';
import { acquireLease, createBinding, getBinding, releaseLease, renewLease, saveCalendarVersion, saveCursor } from '../../src/store/bindings.ts';
import { createCalendar } from '../../src/store/calendars.ts';
import { finishPass, recordConflict, recordOperations, startPass } from '../../src/store/passes.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { confirmPendingStatuses, countStatuses, deleteStatuses, quarantineStatus, remoteIdsPage, setStatusEtags, statusesByEventIds, statusesByRemoteIds, upsertStatus } from '../../src/store/sync-status.ts';
import { createTenant } from '../../src/store/tenants.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { single } from '../helpers/events.ts';

let t: TestDatabase;
const secrets = new Secrets(parseSecretKey(generateSecretKeyText()));
let tenantId: string;
let otherTenant: string;
let calendarId: string;
before(async () => {
  t = await freshDatabase();
  tenantId = (await createTenant(t.db, 'a')).id;
  otherTenant = (await createTenant(t.db, 'b')).id;
  calendarId = (await createCalendar(t.db, tenantId, { summary: 'c' })).id;
});
after(async () => { await t.drop(); });

test('account credentials are stored sealed and read back only for their tenant', async () => {
  const account = await createAccount(t.db, secrets, tenantId, { provider: 'caldav', login: 'ann', serverUrl: 'https://dav.example', credentials: { password: 'correct horse' } });
  const { rows: [raw] } = await t.db.query<{ credentials: Buffer }>('select credentials from accounts where id = $1', [account.id]);
  assert.equal(raw!.credentials.includes(Buffer.from('correct horse')), false);
  assert.deepEqual(await readCredentials(t.db, secrets, tenantId, account.id), { password: 'correct horse' });
  await assert.rejects(readCredentials(t.db, secrets, otherTenant, account.id), { code: 'NOT_FOUND' });
  await assert.rejects(getAccount(t.db, otherTenant, account.id), { code: 'NOT_FOUND' });
});

test('credentials a connector renewed are not written back into an account disconnected meanwhile', async () => {
  const account = await createAccount(t.db, secrets, tenantId, { provider: 'google', credentials: { refreshToken: 'old' } });
  assert.equal(await storeRenewedCredentials(t.db, secrets, tenantId, account.id, { refreshToken: 'renewed' }), true);
  assert.deepEqual(await readCredentials(t.db, secrets, tenantId, account.id), { refreshToken: 'renewed' });
  await t.db.query(`update accounts set state = 'disconnected', credentials = null where id = $1`, [account.id]);
  assert.equal(await storeRenewedCredentials(t.db, secrets, tenantId, account.id, { refreshToken: 'late' }), false);
  const { rows: [row] } = await t.db.query('select credentials from accounts where id = $1', [account.id]);
  assert.equal(row.credentials, null);
});

test('a revoked account pauses its bindings, and only its own', async () => {
  const revoked = await createAccount(t.db, secrets, tenantId, { provider: 'google' });
  const fine = await createAccount(t.db, secrets, tenantId, { provider: 'google' });
  const b1 = await createBinding(t.db, tenantId, { calendarId, accountId: revoked.id, remoteCalendarId: 'x' });
  const b2 = await createBinding(t.db, tenantId, { calendarId, accountId: fine.id, remoteCalendarId: 'y' });
  await setAccountState(t.db, tenantId, revoked.id, 'revoked', 'invalid_grant');
  assert.equal((await getBinding(t.db, tenantId, b1.id)).state, 'paused');
  assert.match((await getBinding(t.db, tenantId, b1.id)).pausedReason!, /invalid_grant/);
  assert.equal((await getBinding(t.db, tenantId, b2.id)).state, 'active');
});

test('a binding cannot reference another tenant\'s calendar or account', async () => {
  const account = await createAccount(t.db, secrets, tenantId, { provider: 'ics' });
  await assert.rejects(createBinding(t.db, otherTenant, { calendarId, accountId: account.id, remoteCalendarId: 'z' }), { code: '23503' });
});

test('one lease holder at a time; an expired lease can be taken over', async () => {
  const account = await createAccount(t.db, secrets, tenantId, { provider: 'ics' });
  const binding = await createBinding(t.db, tenantId, { calendarId, accountId: account.id, remoteCalendarId: 'lease' });
  const ref = { tenantId, bindingId: binding.id };
  assert.equal(await acquireLease(t.db, ref, 'worker-1', 60), true);
  assert.equal(await acquireLease(t.db, ref, 'worker-2', 60), false);
  assert.equal(await acquireLease(t.db, ref, 'worker-1', 60), true, 'the holder renews');
  await releaseLease(t.db, ref, 'worker-2');
  assert.equal(await acquireLease(t.db, ref, 'worker-2', 60), false, 'only the holder releases');
  await releaseLease(t.db, ref, 'worker-1');
  assert.equal(await acquireLease(t.db, ref, 'worker-2', 60), true);
  await t.db.query(`update bindings set lease_expires_at = now() - interval '1 second' where id = $1`, [binding.id]);
  assert.equal(await acquireLease(t.db, ref, 'worker-3', 60), true, 'a dead holder\'s lease expires');
  assert.equal(await renewLease(t.db, ref, 'worker-1', 60), false, 'the old holder cannot renew what another took');
  assert.equal(await saveCursor(t.db, ref, 'from the old holder', 'worker-1'), false, 'nor store a cursor under it');
  assert.equal(await saveCalendarVersion(t.db, ref, 7, 'worker-1'), false);
  assert.equal(await saveCursor(t.db, ref, 'from the holder', 'worker-3'), true);
  assert.equal((await getBinding(t.db, tenantId, binding.id)).cursor, 'from the holder');
  assert.equal(await renewLease(t.db, ref, 'worker-3', 60), true);
  const results = await Promise.all(['a', 'b', 'c', 'd'].map((o) => acquireLease(t.db, ref, `racer-${o}`, 60)));
  assert.equal(results.filter(Boolean).length, 0, 'worker-3 still holds it');
});

test('sync statuses: read by slice, adopted pending creates replace their placeholder', async () => {
  const account = await createAccount(t.db, secrets, tenantId, { provider: 'caldav' });
  const binding = await createBinding(t.db, tenantId, { calendarId, accountId: account.id, remoteCalendarId: 'st' });
  const ref = { tenantId, bindingId: binding.id };
  const eventId = '11111111-1111-1111-1111-111111111111';
  const base = single();
  await upsertStatus(t.db, ref, { eventId, remoteId: `pending:${eventId}`, etag: null, contentHash: 'h1', base, pending: true });
  assert.deepEqual(await statusesByEventIds(t.db, ref, [eventId]), [{ eventId, remoteId: `pending:${eventId}`, etag: null, contentHash: 'h1', base, pending: true }]);
  await upsertStatus(t.db, ref, { eventId, remoteId: '/cal/a.ics', etag: '"1"', contentHash: 'h1', base });
  assert.deepEqual(await statusesByRemoteIds(t.db, ref, ['/cal/a.ics', `pending:${eventId}`]), [{ eventId, remoteId: '/cal/a.ics', etag: '"1"', contentHash: 'h1', base }]);
  assert.equal(await countStatuses(t.db, ref), 1);
  assert.deepEqual(await remoteIdsPage(t.db, ref, null, 10), ['/cal/a.ics']);
});

test('a pass records its decisions and conflicts, and the binding its last pass', async () => {
  const account = await createAccount(t.db, secrets, tenantId, { provider: 'caldav' });
  const binding = await createBinding(t.db, tenantId, { calendarId, accountId: account.id, remoteCalendarId: 'audit' });
  const ref = { tenantId, bindingId: binding.id };
  const passId = await startPass(t.db, ref, 'manual');
  const now = new Date();
  await recordOperations(t.db, ref, passId, [
    { eventId: null, remoteId: '/x.ics', side: 'calendar', operation: 'create', rule: 'new-remote', reason: 'a new remote item', status: 'applied', after: { summary: 'x' }, startedAt: now, finishedAt: now },
    { eventId: null, remoteId: '/y.ics', side: 'remote', operation: 'update', rule: 'calendar-changed', reason: 'r', status: 'failed', error: { kind: 'transient' }, startedAt: now, finishedAt: null },
  ]);
  await recordConflict(t.db, { tenantId, bindingId: binding.id, eventId: '22222222-2222-2222-2222-222222222222', passId, fields: ['description'], base: 'a', ours: 'b', theirs: 'c' });
  await finishPass(t.db, ref, passId, 'partial', { applied: 1, failed: 1 }, { code: 'transient', message: 'one write failed' });
  const { rows } = await t.db.query('select operation, status, rule from sync_operations where pass_id = $1 order by id', [passId]);
  assert.deepEqual(rows, [{ operation: 'create', status: 'applied', rule: 'new-remote' }, { operation: 'update', status: 'failed', rule: 'calendar-changed' }]);
  const { rows: [b] } = await t.db.query('select last_pass_outcome, last_error, last_success_at from bindings where id = $1', [binding.id]);
  assert.equal(b.last_pass_outcome, 'partial');
  assert.equal(b.last_error.message, 'one write failed');
  assert.equal(b.last_success_at, null);
});

test('per-binding queries named with another tenant read nothing and change nothing', async () => {
  const account = await createAccount(t.db, secrets, tenantId, { provider: 'caldav' });
  const binding = await createBinding(t.db, tenantId, { calendarId, accountId: account.id, remoteCalendarId: 'scoped' });
  const mine = { tenantId, bindingId: binding.id };
  const theirs = { tenantId: otherTenant, bindingId: binding.id };
  const eventId = '33333333-3333-4333-8333-333333333333';
  await upsertStatus(t.db, mine, { eventId, remoteId: '/cal/s.ics', etag: '"1"', contentHash: 'h', base: single() });
  const before = await t.db.query('select * from bindings where id = $1', [binding.id]);
  const statusesBefore = await t.db.query('select * from sync_status where binding_id = $1', [binding.id]);

  assert.equal(await acquireLease(t.db, theirs, 'intruder', 60), false);
  assert.equal(await saveCursor(t.db, theirs, 'stolen', 'intruder'), false);
  assert.equal(await saveCalendarVersion(t.db, theirs, 99, 'intruder'), false);
  assert.deepEqual(await statusesByEventIds(t.db, theirs, [eventId]), []);
  assert.deepEqual(await statusesByRemoteIds(t.db, theirs, ['/cal/s.ics']), []);
  assert.equal(await countStatuses(t.db, theirs), 0);
  assert.deepEqual(await remoteIdsPage(t.db, theirs, null, 10), []);
  await deleteStatuses(t.db, theirs, [eventId]);
  await setStatusEtags(t.db, theirs, [{ eventId, etag: '"stolen"' }]);
  await quarantineStatus(t.db, theirs, eventId, { reason: 'x' });
  // The status row's (tenant, binding) must name a binding of that tenant.
  await assert.rejects(upsertStatus(t.db, theirs, { eventId: '44444444-4444-4444-8444-444444444444', remoteId: '/cal/t.ics', etag: null, contentHash: 'h', base: single() }), { code: '23503' });

  assert.deepEqual((await t.db.query('select * from bindings where id = $1', [binding.id])).rows, before.rows);
  assert.deepEqual((await t.db.query('select * from sync_status where binding_id = $1', [binding.id])).rows, statusesBefore.rows);
});

test('a pending create is confirmed in place; one whose row is gone or whose remote id is taken is left to a full store', async () => {
  const account = await createAccount(t.db, secrets, tenantId, { provider: 'caldav' });
  const binding = await createBinding(t.db, tenantId, { calendarId, accountId: account.id, remoteCalendarId: 'confirm' });
  const ref = { tenantId, bindingId: binding.id };
  const [a, b, c] = ['55555555-5555-4555-8555-555555555551', '55555555-5555-4555-8555-555555555552', '55555555-5555-4555-8555-555555555553'];
  const base = single();
  for (const eventId of [a, b]) await upsertStatus(t.db, ref, { eventId, remoteId: `pending:${eventId}`, etag: null, contentHash: 'h', base, pending: true });
  await upsertStatus(t.db, ref, { eventId: c, remoteId: '/cal/taken.ics', etag: '"9"', contentHash: 'h', base });
  const left = await confirmPendingStatuses(t.db, ref, [
    { eventId: a, remoteId: '/cal/a.ics', etag: '"1"' },
    { eventId: b, remoteId: '/cal/taken.ics', etag: '"2"' },
    { eventId: '55555555-5555-4555-8555-555555555554', remoteId: '/cal/d.ics', etag: '"3"' },
  ]);
  assert.deepEqual([...left].sort(), [b, '55555555-5555-4555-8555-555555555554']);
  assert.deepEqual(await statusesByEventIds(t.db, ref, [a]), [{ eventId: a, remoteId: '/cal/a.ics', etag: '"1"', contentHash: 'h', base }]);
  assert.deepEqual((await statusesByEventIds(t.db, ref, [b]))[0]?.pending, true, 'b is still pending');
  assert.deepEqual(await confirmPendingStatuses(t.db, { tenantId: otherTenant, bindingId: binding.id }, [{ eventId: b, remoteId: '/cal/b.ics', etag: null }]), new Set([b]), 'not across tenants');
});
