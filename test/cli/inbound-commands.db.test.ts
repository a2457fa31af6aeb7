// Signed inbound sources from the command line: --help everywhere, a bad configuration
// refused with its code and nothing stored, a Calendly source with its signing key, a
// generic one with a generated secret shown once, listed, its deliveries read, removed.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { generateSecretKeyText } from '../../src/store/secrets.ts';
import { createTenant } from '../../src/store/tenants.ts';
import { runCalsync } from '../helpers/cli.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

let t: TestDatabase;
let env: Record<string, string>;
before(async () => {
  t = await freshDatabase();
  env = { DATABASE_URL: t.url, CALSYNC_SECRET_KEY: generateSecretKeyText(), CALSYNC_WEBHOOK_URL: 'https://calsync.example.com' };
});
after(async () => { await t.drop(); });

test('inbound commands: --help names --json', async () => {
  for (const command of [['inbound', 'add'], ['inbound', 'list'], ['inbound', 'remove'], ['inbound', 'deliveries']]) {
    const r = await runCalsync([...command, '--help'], {});
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /--json/, command.join(' '));
  }
});

test('a source is added (or refused, storing nothing), listed with its URL, its deliveries read, and removed', async () => {
  const tenant = ['--tenant', (await createTenant(t.db, 'desk')).id];
  const room = JSON.parse((await runCalsync(['resource', 'create', 'Room', ...tenant, '--json'], env)).stdout);
  const noKey = await runCalsync(['inbound', 'add', 'calendly', room.id, ...tenant], env);
  assert.equal(noKey.code, 1);
  assert.match(noKey.stderr, /secret is required.*\[INVALID_REQUEST\]/);
  const badScheme = await runCalsync(['inbound', 'add', 'stripe', room.id, ...tenant], env);
  assert.match(badScheme.stderr, /scheme must be.*\[INVALID_REQUEST\]/);
  assert.equal((await t.db.query('select 1 from inbound_sources')).rowCount, 0);

  const calendly = await runCalsync(['inbound', 'add', 'calendly', room.id, '--secret', 'calendly-signing-key-0001', '--name', 'Calendly', ...tenant, '--json'], env);
  assert.equal(calendly.code, 0, calendly.stderr);
  const source = JSON.parse(calendly.stdout);
  assert.deepEqual([source.url, source.secret, source.toleranceSeconds], [`https://calsync.example.com/webhooks/in/${source.id}`, null, 180]);
  const generic = await runCalsync(['inbound', 'add', 'hmac', room.id, '--timestamp-header', 'X-Time', '--encoding', 'base64', ...tenant], env);
  assert.equal(generic.code, 0, generic.stderr);
  assert.match(generic.stdout, /secret \(shown once\): [0-9a-f]{64}/);

  const listed = JSON.parse((await runCalsync(['inbound', 'list', ...tenant, '--json'], env)).stdout);
  assert.deepEqual(listed.map((s: { scheme: string }) => s.scheme).sort(), ['calendly', 'hmac']);
  const deliveries = await runCalsync(['inbound', 'deliveries', source.id, ...tenant, '--json'], env);
  assert.deepEqual([deliveries.code, JSON.parse(deliveries.stdout)], [0, []]);
  const badState = await runCalsync(['inbound', 'deliveries', source.id, '--state', 'lost', ...tenant], env);
  assert.match(badState.stderr, /--state must be one of/);

  assert.match((await runCalsync(['inbound', 'remove', source.id, ...tenant], env)).stdout, /removed inbound source/);
  const gone = await runCalsync(['inbound', 'deliveries', source.id, ...tenant], env);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /\[NOT_FOUND\]/);
});
