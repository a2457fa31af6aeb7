// Passes asked for by push notifications: a far poll comes forward, a pass already due
// soon is not pushed back (a calendar that keeps changing would otherwise never sync).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeWorkerUtils, type WorkerUtils } from 'graphile-worker';
import { createAccount } from '../../src/store/accounts.ts';
import { createBinding } from '../../src/store/bindings.ts';
import { createCalendar } from '../../src/store/calendars.ts';
import { queuePassesSoon, syncBindingTask } from '../../src/store/outbox.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { createTenant } from '../../src/store/tenants.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

let t: TestDatabase;
let utils: WorkerUtils;
before(async () => {
  t = await freshDatabase();
  utils = await makeWorkerUtils({ pgPool: t.db });
});
after(async () => {
  await utils?.release();
  await t?.drop();
});

test('a push pass brings a far poll forward and never postpones one due sooner', async () => {
  const tenantId = (await createTenant(t.db, 'push')).id;
  const calendarId = (await createCalendar(t.db, tenantId, { summary: 'c' })).id;
  const account = await createAccount(t.db, new Secrets(parseSecretKey(generateSecretKeyText())), tenantId, { provider: 'google', credentials: { refreshToken: 'r' } });
  const binding = await createBinding(t.db, tenantId, { calendarId, accountId: account.id, remoteCalendarId: 'primary' });
  const runAt = async () => Date.parse((await t.db.query(`select run_at from graphile_worker.jobs where key = $1`, [`pass:${binding.id}`])).rows[0].run_at);
  await utils.addJob(syncBindingTask, { tenantId, bindingId: binding.id, trigger: 'poll' }, { jobKey: `pass:${binding.id}`, runAt: new Date(Date.now() + 1_800_000) });

  await queuePassesSoon(t.db, [{ tenantId, bindingId: binding.id }], 500);
  const first = await runAt();
  assert.ok(first < Date.now() + 2000, 'the poll half an hour away now runs after the debounce');
  await new Promise((r) => setTimeout(r, 200));
  await queuePassesSoon(t.db, [{ tenantId, bindingId: binding.id }, { tenantId, bindingId: binding.id }], 500);
  assert.equal(await runAt(), first, 'a pass already due within the debounce keeps its time');
  const { rows } = await t.db.query(`select 1 from graphile_worker.jobs where key = $1`, [`pass:${binding.id}`]);
  assert.equal(rows.length, 1, 'one pass per binding');
});
