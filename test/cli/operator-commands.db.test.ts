// The operator's commands against a real CalDAV server (Radicale), with the bundled
// command: a wipe stopped and dismissed, quarantined items, pausing and changing a
// binding, an event's history, unbinding with the remote copies deleted, disconnecting
// the account, and the audit trail of it all.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { recordQuarantined } from '../../src/store/quarantine.ts';
import { generateSecretKeyText } from '../../src/store/secrets.ts';
import { makeCalendar, missingServer, otherClientEvent, rawRequest, startCalDavServer, type CalDavServer } from '../helpers/caldav-servers.ts';
import { runCalsync } from '../helpers/cli.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

const missing = missingServer('radicale');
let t: TestDatabase;
let server: CalDavServer | undefined;
let env: Record<string, string>;

before(async () => {
  t = await freshDatabase();
  env = { DATABASE_URL: t.url, CALSYNC_SECRET_KEY: generateSecretKeyText(), CALSYNC_ALLOW_PRIVATE_URLS: '1', DAV_PASSWORD: 'secret' };
  if (!missing) server = await startCalDavServer('radicale');
});
after(async () => {
  await server?.stop();
  await t.drop();
});

type Json = Record<string, any>;

async function ok(args: string[]): Promise<string> {
  const r = await runCalsync(args, env);
  assert.equal(r.code, 0, `calsync ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
const okJson = async (args: string[]): Promise<any> => JSON.parse(await ok([...args, '--json']));

test('every operator command has --help and --json', async () => {
  const commands = [['quarantine', 'list'], ['quarantine', 'retry'], ['quarantine', 'lift'], ['stopped', 'list'], ['stopped', 'show'], ['stopped', 'confirm'],
    ['stopped', 'dismiss'], ['history'], ['binding', 'pause'], ['binding', 'resume'], ['binding', 'set'], ['unbind'], ['account', 'list'], ['account', 'disconnect'], ['audit']];
  for (const command of commands) {
    const r = await runCalsync([...command, '--help'], {});
    assert.equal(r.code, 0, `${command.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /^Usage: calsync/m);
    assert.match(r.stdout, /--json/, `${command.join(' ')} has --json`);
  }
});

test('an operator settles a stopped pass, quarantined items, a binding and an account from the command line', { skip: missing ?? false, timeout: 240_000 }, async () => {
  const dav = server!;
  await ok(['tenant', 'create', 'clinic']);
  const collection = await makeCalendar(dav, 'Front desk');
  const hrefs = Array.from({ length: 8 }, (_, i) => `${collection}visit-${i}.ics`);
  for (const [i, href] of hrefs.entries()) assert.equal((await rawRequest(dav, 'PUT', href, otherClientEvent(`visit-${i}@other`, `Visit ${i}`))).status, 201);
  const { account, calendars } = await okJson(['connect', 'caldav', '--url', dav.url, '--username', dav.username, '--password-env', 'DAV_PASSWORD']);
  const remote = calendars.find((c: Json) => c.remoteCalendarId.endsWith(collection)).remoteCalendarId;
  const binding = await okJson(['bind', '--account', account.id, '--remote', remote, '--new-calendar', 'Front desk']);
  await ok(['sync', binding.id]);

  // Someone empties the remote calendar: the pass stops and asks.
  for (const href of hrefs) assert.equal((await rawRequest(dav, 'DELETE', href)).status, 200);
  const braked = await runCalsync(['sync', binding.id, '--json'], env);
  assert.equal(braked.code, 1, 'a stopped pass is no success for a script');
  assert.match(braked.stderr, /\[PASS_STOPPED\]/);
  const stopped = JSON.parse(braked.stdout).passes[0];
  assert.equal(stopped.outcome, 'stopped');
  const status = await okJson(['status']);
  assert.deepEqual(status.stoppedPasses.map((s: Json) => [s.bindingId, s.kind, s.deletions]), [[binding.id, 'wipe', 8]]);
  assert.match(await ok(['status']), /Stopped passes/);
  const shown = await okJson(['stopped', 'show', binding.id]);
  assert.deepEqual(shown.items.map((d: Json) => d.summary).sort(), Array.from({ length: 8 }, (_, i) => `Visit ${i}`));
  assert.match(await ok(['stopped', 'show', binding.id]), /it would delete 8 item\(s\)/);
  const wrongPass = await runCalsync(['stopped', 'dismiss', binding.id, '--pass', '00000000-0000-4000-8000-000000000000'], env);
  assert.equal(wrongPass.code, 1);
  assert.match(wrongPass.stderr, /\[PASS_NOT_STOPPED\]/);
  const dismissed = await okJson(['stopped', 'dismiss', binding.id, '--pass', stopped.passId, '--note', 'emptied by mistake']);
  assert.equal(dismissed.recreated.length, 8);
  await ok(['sync', binding.id]);
  const back = await Promise.all(hrefs.map((href) => rawRequest(dav, 'GET', href)));
  assert.equal(back.filter((r) => r.status === 200).length, 0, 'the old resources stay gone');
  const { rows: [statuses] } = await t.db.query('select count(*)::int as n from sync_status where binding_id = $1 and not pending', [binding.id]);
  assert.equal(statuses.n, 8, 'every event went back to the remote as a new resource');

  // Quarantined items: listed, dismissed, retried.
  await recordQuarantined(t.db, { tenantId: binding.tenantId, bindingId: binding.id }, [
    { remoteId: `${collection}broken.ics`, etag: '"1"', calsyncId: null, reason: 'DTSTART is not a date', raw: 'BEGIN:VCALENDAR' },
    { remoteId: `${collection}odd.ics`, etag: '"2"', calsyncId: null, reason: 'two UIDs in one resource', raw: null },
  ]);
  assert.deepEqual((await okJson(['status'])).quarantine.map((q: Json) => [q.bindingId, q.remote, q.held]), [[binding.id, 2, 0]]);
  assert.deepEqual((await okJson(['quarantine', 'list'])).map((q: Json) => q.reason).sort(), ['DTSTART is not a date', 'two UIDs in one resource']);
  const noKind = await runCalsync(['quarantine', 'lift', binding.id, `${collection}odd.ics`], env);
  assert.equal(noKind.code, 2, 'lift needs --kind');
  await ok(['quarantine', 'lift', binding.id, `${collection}odd.ics`, '--kind', 'remote']);
  await ok(['quarantine', 'retry', binding.id, `${collection}broken.ics`, '--note', 'fixed on the server']);
  const { rows: [retry] } = await t.db.query('select retry_requested_at from quarantined_items where remote_id = $1', [`${collection}broken.ics`]);
  assert.notEqual(retry.retry_requested_at, null);
  const unknown = await runCalsync(['quarantine', 'retry', binding.id, 'nothing.ics'], env);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /\[NOT_FOUND\]/);

  // Pause, change, resume.
  assert.match(await ok(['binding', 'pause', binding.id, '--reason', 'moving servers']), /paused \(paused by an operator: moving servers\)/);
  const changed = await okJson(['binding', 'set', binding.id, '--poll-interval', '60', '--policy', 'manual']);
  assert.deepEqual([changed.pollIntervalSeconds, changed.conflictPolicy.mode, changed.state], [60, 'manual', 'paused']);
  const badPolicy = await runCalsync(['binding', 'set', binding.id, '--policy', 'loudest-wins'], env);
  assert.equal(badPolicy.code, 2);
  assert.match(badPolicy.stderr, /--policy/);
  assert.equal((await okJson(['binding', 'resume', binding.id])).state, 'active');

  // History of an event.
  const { rows: [event] } = await t.db.query(`select calendar_id, api_id from events where summary = 'Visit 3'`);
  const history = await okJson(['history', event.calendar_id, event.api_id]);
  assert.deepEqual(history.versions.map((v: Json) => [v.operation, v.rule]), [['create', 'new/remote']]);
  assert.ok(history.operations.some((o: Json) => o.side === 'remote' && o.operation === 'create' && o.rule === 'new/calendar'), 'its return to the remote is there');

  // Unbind, deleting calsync's copies from the server.
  const unbound = await okJson(['unbind', binding.id, '--remote-copies', 'delete']);
  assert.deepEqual([unbound.removed, unbound.deleted, unbound.kept], [true, 8, []]);
  const { rows: left } = await t.db.query('select 1 from bindings where id = $1', [binding.id]);
  assert.equal(left.length, 0);
  const { rows: [events] } = await t.db.query('select count(*)::int as n from events where deleted_at is null');
  assert.equal(events.n, 8, 'the calendar keeps its events');

  // The account: listed, disconnected.
  assert.equal((await okJson(['account', 'list'])).find((a: Json) => a.id === account.id).state, 'active');
  const disconnected = await okJson(['account', 'disconnect', account.id, '--reason', 'contract ended']);
  assert.deepEqual([disconnected.credentialsDropped, disconnected.already], [true, false]);
  assert.equal((await okJson(['account', 'list'])).find((a: Json) => a.id === account.id).state, 'disconnected');

  const audit = await okJson(['audit']);
  assert.deepEqual(audit.map((a: Json) => a.action), [
    'account.disconnect', 'binding.unbound', 'binding.unbind', 'binding.resume', 'binding.update', 'binding.pause',
    'quarantine.retry', 'quarantine.dismiss', 'stopped-pass.dismiss',
  ]);
  assert.ok(audit.every((a: Json) => a.actor === 'cli'));
  assert.match(await ok(['audit', '--binding', binding.id]), /binding\.unbound/);
  const badAudit = await runCalsync(['audit', '--binding', 'nope'], env);
  assert.equal(badAudit.code, 2);
});
