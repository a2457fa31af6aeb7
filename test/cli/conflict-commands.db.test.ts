// Conflicts from the command line, with the bundled command: a field both sides of a
// `manual` binding changed is listed, shown and resolved; the choice reaches the remote.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { generateSecretKeyText } from '../../src/store/secrets.ts';
import { runCalsync } from '../helpers/cli.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { engineWorld } from '../helpers/engine.ts';
import { single } from '../helpers/events.ts';

let t: TestDatabase;
let env: Record<string, string>;
before(async () => {
  t = await freshDatabase();
  env = { DATABASE_URL: t.url, CALSYNC_SECRET_KEY: generateSecretKeyText() };
});
after(async () => { await t.drop(); });

test('conflicts: --help and --json on every command', async () => {
  for (const command of [['conflicts'], ['conflicts', 'list'], ['conflicts', 'show'], ['conflicts', 'resolve']]) {
    const r = await runCalsync([...command, '--help'], {});
    assert.equal(r.code, 0, r.stderr);
    if (command.length > 1) assert.match(r.stdout, /--json/, command.join(' '));
  }
});

test('a person lists, shows and resolves a conflict from the command line; bad usage changes nothing', async () => {
  const world = await engineWorld(t);
  const a = await world.bind('asked', { conflictPolicy: { mode: 'manual' } });
  const eventId = await world.appWrite(null, single({ uid: 'cli-1', summary: 'Review' }));
  await world.pass(a);
  await world.appWrite(eventId, single({ uid: 'cli-1', summary: 'Review (app)' }));
  const item = a.connector.liveItems('asked')[0]!;
  a.connector.userUpdate('asked', item.remoteId, { ...item.series, master: { ...item.series.master!, summary: 'Review (remote)' } });
  await world.pass(a);
  const tenant = ['--tenant', world.tenantId];

  const listed = await runCalsync(['conflicts', 'list', ...tenant, '--json'], env);
  assert.equal(listed.code, 0, listed.stderr);
  const [conflict] = JSON.parse(listed.stdout);
  assert.deepEqual([conflict.field, conflict.base, conflict.calendar, conflict.remote], ['summary', 'Review', 'Review (app)', 'Review (remote)']);
  const shown = await runCalsync(['conflicts', 'show', conflict.id, ...tenant], env);
  assert.match(shown.stdout, /calendar: Review \(app\)\n {2}remote: {3}Review \(remote\)/);

  for (const bad of [['--take', 'both'], [], ['--take', 'remote', '--value', 'x']]) {
    const r = await runCalsync(['conflicts', 'resolve', conflict.id, ...tenant, ...bad], env);
    assert.equal(r.code, 2, `${bad.join(' ')}: ${r.stderr}`);
  }
  assert.equal(JSON.parse((await runCalsync(['conflicts', 'list', ...tenant, '--json'], env)).stdout).length, 1, 'bad usage resolved nothing');

  const resolved = await runCalsync(['conflicts', 'resolve', conflict.id, ...tenant, '--value', 'Review (agreed)', '--note', 'both were half right', '--json'], env);
  assert.equal(resolved.code, 0, resolved.stderr);
  assert.equal(JSON.parse(resolved.stdout).state, 'resolved');
  const again = await runCalsync(['conflicts', 'resolve', conflict.id, ...tenant, '--take', 'remote'], env);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /\[CONFLICT_NOT_OPEN\]/);
  await world.pass(a);
  assert.equal(a.connector.liveItems('asked')[0]!.series.master!.summary, 'Review (agreed)');
  const { rows } = await t.db.query(`select actor, detail from operator_actions where action = 'conflict.resolve'`);
  assert.deepEqual(rows.map((r) => [r.actor, r.detail.note]), [['cli', 'both were half right']]);
});
