// A signal while calsync is still starting stops it before it serves. To catch it
// mid-start every time, the test holds a lock on the settings table, so calsync waits
// at its secret-key check (after connecting and migrating, before listening) until the
// test lets go.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { generateSecretKeyText } from '../../src/store/secrets.ts';
import { startCalsync } from '../helpers/cli.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

let t: TestDatabase;
before(async () => { t = await freshDatabase(); });
after(async () => { await t.drop(); });

async function waitingForSettings(): Promise<boolean> {
  const { rows } = await t.db.query(
    `select 1 from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.relation = 'calsync.settings'::regclass and not l.granted and a.application_name = 'calsync all'`);
  return rows.length > 0;
}

test('SIGTERM during start-up stops calsync before it listens', async () => {
  const locker = new pg.Client({ connectionString: t.url });
  await locker.connect();
  try {
    await locker.query('begin');
    await locker.query('lock table calsync.settings in access exclusive mode');
    const serve = startCalsync(['serve'], { DATABASE_URL: t.url, CALSYNC_SECRET_KEY: generateSecretKeyText(), PORT: '0' });
    try {
      const deadline = Date.now() + 60_000;
      while (!(await waitingForSettings())) {
        assert.ok(Date.now() < deadline && serve.child.exitCode === null, `calsync never reached the settings table: ${serve.output()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      serve.child.kill('SIGTERM');
      await serve.waitFor(/SIGTERM: stopping/);
      await locker.query('commit');
      assert.equal(await serve.exited, 0, serve.output());
      assert.doesNotMatch(serve.output(), /listening on/, 'it never served');
    } finally {
      await serve.stop('SIGKILL');
    }
  } finally {
    await locker.end();
  }
});
