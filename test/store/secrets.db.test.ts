import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createBookingChannel, liveBookingChannels } from '../../src/store/booking-channels.ts';
import { createInboundSource, sourceForIngress } from '../../src/store/inbound-sources.ts';
import { createResource } from '../../src/store/resources.ts';
import { rotateSecrets } from '../../src/store/secret-rotation.ts';
import { generateSecretKeyText, parseSecretKey, Secrets, verifySecretKey } from '../../src/store/secrets.ts';
import { createTenant } from '../../src/store/tenants.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

let t: TestDatabase;
before(async () => { t = await freshDatabase(); });
after(async () => { await t.drop(); });

const oldKey = parseSecretKey(generateSecretKeyText());
const newKey = parseSecretKey(generateSecretKeyText());

test('the first key is remembered; another key is refused at start', async () => {
  await verifySecretKey(t.db, new Secrets(oldKey));
  await verifySecretKey(t.db, new Secrets(oldKey));
  await assert.rejects(verifySecretKey(t.db, new Secrets(newKey)), { code: 'SECRET_KEY_MISMATCH' });
});

test('rotation re-encrypts every credential with the new key, after which the old key is not needed', async () => {
  const tenant = await createTenant(t.db, 'rotation');
  const old = new Secrets(oldKey);
  const ids: string[] = [];
  for (let i = 0; i < 1203; i++) {
    const { rows: [row] } = await t.db.query<{ id: string }>(
      `insert into accounts (tenant_id, provider) values ($1, 'caldav') returning id`, [tenant.id]);
    await t.db.query('update accounts set credentials = $1 where id = $2', [old.seal(`password-${i}`, `account:${row!.id}`), row!.id]);
    ids.push(row!.id);
  }
  const rotating = new Secrets(newKey, [oldKey]);
  await verifySecretKey(t.db, rotating);
  const progress: number[] = [];
  assert.equal(await rotateSecrets(t.db, rotating, (n) => progress.push(n)), 1203);
  assert.ok(progress.length >= 3, 'progress is reported per batch');

  const onlyNew = new Secrets(newKey);
  await verifySecretKey(t.db, onlyNew);
  const { rows } = await t.db.query<{ id: string; credentials: Buffer }>('select id, credentials from accounts where tenant_id = $1', [tenant.id]);
  const byId = new Map(rows.map((r) => [r.id, r.credentials]));
  ids.forEach((id, i) => assert.equal(onlyNew.open(byId.get(id)!, `account:${id}`).toString(), `password-${i}`));
  await assert.rejects(verifySecretKey(t.db, new Secrets(oldKey)), { code: 'SECRET_KEY_MISMATCH' });
  assert.equal(await rotateSecrets(t.db, onlyNew), 0, 'a second rotation finds nothing left to do');
});

let keyAfterSources: ReturnType<typeof parseSecretKey> | null = null;

test('rotation re-encrypts the signing secrets of inbound sources too', async () => {
  const tenant = await createTenant(t.db, 'inbound');
  const resource = await createResource(t.db, tenant.id, { name: 'Room' });
  const { source } = await createInboundSource(t.db, new Secrets(newKey), tenant.id, { scheme: 'calendly', resourceId: resource.id, secret: 'calendly-signing-key-0001' });
  const thirdKey = parseSecretKey(generateSecretKeyText());
  const rotating = new Secrets(thirdKey, [newKey]);
  await verifySecretKey(t.db, rotating);
  assert.equal(await rotateSecrets(t.db, rotating), 1203 + 1, 'the accounts of the test before, and the source');
  await assert.rejects(sourceForIngress(t.db, new Secrets(newKey), source.id), { code: 'DECRYPT_FAILED' });
  assert.equal((await sourceForIngress(t.db, new Secrets(thirdKey), source.id))?.secret, 'calendly-signing-key-0001');
  keyAfterSources = thirdKey;
});

test('rotation re-encrypts the signing secrets of booking channels too', async () => {
  const tenant = await createTenant(t.db, 'booking channels');
  const thirdKey = keyAfterSources!;
  await createBookingChannel(t.db, new Secrets(thirdKey), tenant.id, {
    id: 'rotated', bookableId: null, resourceId: 'r', resourceUri: 'https://calsync.example.org/admin/v1/bookings', token: null,
    address: 'https://app.example.org/hook', expiresAt: new Date(Date.now() + 3_600_000), secret: 'booking-channel-secret',
  });
  const fourthKey = parseSecretKey(generateSecretKeyText());
  const rotating = new Secrets(fourthKey, [thirdKey]);
  await verifySecretKey(t.db, rotating);
  assert.equal(await rotateSecrets(t.db, rotating), 1203 + 1 + 1, 'the accounts and the source of the tests before, and the channel');
  await assert.rejects(liveBookingChannels(t.db, new Secrets(thirdKey), tenant.id), { code: 'DECRYPT_FAILED' });
  assert.equal((await liveBookingChannels(t.db, new Secrets(fourthKey), tenant.id))[0]?.secret, 'booking-channel-secret');
});
