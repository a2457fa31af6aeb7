// Resources, availability and bookings from the command line: a resource made with its
// rules, its free slots, a booking made once under an idempotency key, a clash refused
// with its code, confirm and cancel; --help and --json everywhere.
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
  env = { DATABASE_URL: t.url, CALSYNC_SECRET_KEY: generateSecretKeyText() };
});
after(async () => { await t.drop(); });

// A Monday one to two weeks ahead, inside the default horizon.
const day = (() => {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + 7 + ((8 - d.getUTCDay()) % 7));
  return d.toISOString().slice(0, 10);
})();

test('resource, availability and booking commands: --help names --json', async () => {
  for (const command of [['resource', 'create'], ['resource', 'list'], ['availability'], ['booking', 'create'], ['booking', 'list'], ['booking', 'confirm'], ['booking', 'cancel']]) {
    const r = await runCalsync([...command, '--help'], {});
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /--json/, command.join(' '));
  }
});

test('a resource is made, its slots listed, a slot booked once, a clash refused, a booking confirmed and cancelled', async () => {
  const tenant = ['--tenant', (await createTenant(t.db, 'clinic')).id];
  const bad = await runCalsync(['resource', 'create', 'Room', '--time-zone', 'Mars/Olympus', ...tenant], env);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /\[INVALID_REQUEST\]/);
  const made = await runCalsync(['resource', 'create', 'Room 1', '--time-zone', 'Europe/Berlin', '--slot', '60', '--hours', '{"monday": [["09:00", "12:00"]]}', ...tenant, '--json'], env);
  assert.equal(made.code, 0, made.stderr);
  const room = JSON.parse(made.stdout);
  assert.deepEqual(JSON.parse((await runCalsync(['resource', 'list', ...tenant, '--json'], env)).stdout).map((r: { name: string }) => r.name), ['Room 1']);

  const slots = await runCalsync(['availability', room.id, '--from', `${day}T00:00:00Z`, '--to', `${day}T23:00:00Z`, ...tenant, '--json'], env);
  assert.equal(slots.code, 0, slots.stderr);
  assert.equal(JSON.parse(slots.stdout).length, 3, 'three hours on Monday morning');

  const book = (extra: string[]) => runCalsync(['booking', 'create', room.id, `${day}T10:00:00+01:00`, '--summary', 'Check-up', ...extra, ...tenant, '--json'], env);
  const first = await book(['--key', 'k-1', '--hold', '600']);
  assert.equal(first.code, 0, first.stderr);
  const again = await book(['--key', 'k-1', '--hold', '600']);
  assert.equal(JSON.parse(again.stdout).id, JSON.parse(first.stdout).id, 'the same key books once');
  const clash = await book([]);
  assert.equal(clash.code, 1);
  assert.match(clash.stderr, /\[SLOT_TAKEN\]/);
  const id = JSON.parse(first.stdout).id;
  assert.match((await runCalsync(['booking', 'confirm', id, ...tenant], env)).stdout, /is confirmed/);
  assert.match((await runCalsync(['booking', 'cancel', id, ...tenant], env)).stdout, /is cancelled/);
  const listed = JSON.parse((await runCalsync(['booking', 'list', ...tenant, '--json'], env)).stdout);
  assert.deepEqual(listed.map((b: { status: string }) => b.status), ['cancelled']);
  const usage = await runCalsync(['booking', 'list', '--status', 'lost', ...tenant], env);
  assert.equal(usage.code, 2);
});
