// Busy mirrors from the command line: a rule added with its privacy defaults, listed,
// refused with its code when it repeats one, and removed; --help and --json everywhere.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createCalendar } from '../../src/store/calendars.ts';
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

test('mirror commands: --help says what a block shows and names --json', async () => {
  for (const command of [['mirror', 'add'], ['mirror', 'list'], ['mirror', 'remove']]) {
    const r = await runCalsync([...command, '--help'], {});
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /--json/, command.join(' '));
  }
  assert.match((await runCalsync(['mirror', 'add', '--help'], {})).stdout, /--attendees[\s\S]*never as attendees/);
});

test('a mirror is added with privacy by default, listed, refused again with its code, and removed', async () => {
  const tenantId = (await createTenant(t.db, 'person')).id;
  const tenant = ['--tenant', tenantId];
  const personal = (await createCalendar(t.db, tenantId, { summary: 'personal' })).id;
  const work = (await createCalendar(t.db, tenantId, { summary: 'work' })).id;
  const made = await runCalsync(['mirror', 'add', personal, work, ...tenant, '--json'], env);
  assert.equal(made.code, 0, made.stderr);
  const rule = JSON.parse(made.stdout);
  assert.deepEqual([rule.title, rule.includeLocation, rule.includeDescription, rule.includeAttendees, rule.markTentative], ['Busy', false, false, false, true]);
  const open = await runCalsync(['mirror', 'add', work, personal, '--title', 'Work: {summary}', '--location', '--no-tentative', ...tenant], env);
  assert.equal(open.code, 0, open.stderr);
  assert.match(open.stdout, /as "Work: \{summary\}" \(location\)/);
  const listed = JSON.parse((await runCalsync(['mirror', 'list', ...tenant, '--json'], env)).stdout);
  assert.deepEqual(listed.map((m: { sourceCalendarId: string; markTentative: boolean }) => [m.sourceCalendarId, m.markTentative]), [[personal, true], [work, false]]);

  const again = await runCalsync(['mirror', 'add', personal, work, ...tenant], env);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /\[MIRROR_EXISTS\]/);
  const itself = await runCalsync(['mirror', 'add', personal, personal, ...tenant], env);
  assert.equal(itself.code, 1);
  assert.match(itself.stderr, /into itself.*\[INVALID_REQUEST\]/);

  const removed = await runCalsync(['mirror', 'remove', rule.id, ...tenant], env);
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(removed.stdout, new RegExp(`removed busy mirror ${rule.id}`));
  assert.equal(JSON.parse((await runCalsync(['mirror', 'list', ...tenant, '--json'], env)).stdout).length, 1);
  assert.match((await runCalsync(['mirror', 'remove', rule.id, ...tenant], env)).stderr, /\[NOT_FOUND\]/);
});
