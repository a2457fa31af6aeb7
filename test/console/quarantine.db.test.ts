// The console's quarantine and dead jobs page in headless Chromium, against items a real
// pass quarantined (memory connector items no reader can read, a write the provider
// refused) and a pass job the queue gave up on: the reasons, the raw item on demand, retry
// read in by the next pass, lift (a remote item dismissed, a held one released), and a
// replay that puts the job back in the queue. Another tenant's dead job is neither shown
// nor replayable. Screenshots as in console.db.test.ts; docs/screenshots/quarantine.png
// only on update.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ConnectorError } from '../../src/connectors/connector.ts';
import { createTenant } from '../../src/store/tenants.ts';
import { requireChromium, screenshots, signedInConsole } from '../helpers/console-browser.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { remoteItemOf } from '../helpers/engine.ts';
import { single } from '../helpers/events.ts';
import { operatorWorld, type Json, type OperatorWorld } from '../helpers/operator.ts';

let t: TestDatabase;
let world: OperatorWorld;
let side: Awaited<ReturnType<OperatorWorld['bind']>>;
let browser: Browser;
let page: Page;
let base: string;
let pageErrors: string[];
let unreadable: string[];
let deadJob: string;
let neighboursJob: string;

const row = (remoteId: string) => page.locator(`tr[data-remote-id="${remoteId}"]`);
const jobRow = async (id: string) => (await t.db.query<{ attempts: number; is_available: boolean; run_at: Date }>(
  'select attempts, is_available, run_at from graphile_worker._private_jobs where id = $1', [id])).rows[0]!;

/** The page drawn afresh (going to the hash it shows already would not draw it again). */
async function openPage(): Promise<void> {
  await page.goto(`${base}/#/quarantine`);
  await page.reload();
  await page.getByRole('heading', { name: 'Quarantine and dead jobs' }).waitFor();
}

/** A pass job as the queue leaves it once every attempt failed. */
async function deadPassJob(tenantId: string, bindingId: string, error: string): Promise<string> {
  const { rows: [job] } = await t.db.query<{ id: string }>(
    `select id::text from graphile_worker.add_job('sync_binding', json_build_object('tenantId', $1::uuid, 'bindingId', $2::uuid, 'trigger', 'webhook'), max_attempts := 3)`,
    [tenantId, bindingId]);
  await t.db.query(`update graphile_worker._private_jobs set attempts = 3, last_error = $2, run_at = now() + interval '1 day' where id = $1`, [job!.id, error]);
  return job!.id;
}

before(async () => {
  requireChromium();
  t = await freshDatabase();
  world = await operatorWorld(t);
  side = await world.bind('Team calendar');
  unreadable = ['q-1', 'q-2'].map((uid) => side.connector.userCreate('Team calendar', single({ uid, summary: uid })));
  side.connector.corrupt('Team calendar', unreadable[0]!, 'DTSTART:garbage is not a date');
  side.connector.corrupt('Team calendar', unreadable[1]!, 'two UIDs in one resource');
  await world.pass(side);
  await world.clearJobs();
  deadJob = await deadPassJob(world.tenantId, side.id, 'Google answered 503 backendError');
  neighboursJob = await deadPassJob((await createTenant(t.db, 'neighbour')).id, side.id, 'the neighbour\'s error');

  ({ browser, page, base, pageErrors } = await signedInConsole(t.db, world.tenantId, world.app));
});

after(async () => {
  await browser?.close();
  await world?.app.close();
  await t?.drop();
});

test('the health page\'s numbers lead to the page, which shows each item\'s reason and its raw payload on demand', async () => {
  assert.equal(await page.locator('[data-count="quarantined"]').innerText(), '2');
  assert.equal(await page.locator('[data-count="deadJobs"]').innerText(), '1');
  await page.getByRole('link', { name: '2 items quarantined: retry or lift them' }).click();
  await page.getByRole('heading', { name: 'Quarantine and dead jobs' }).waitFor();
  assert.doesNotMatch(await page.locator('main').innerText(), /\b(null|undefined)\b/);

  assert.equal(await page.locator('tr[data-remote-id]').count(), 2);
  const first = row(unreadable[0]!);
  assert.match(await first.innerText(), /unreadable/);
  assert.match(await first.locator('.reason .message').innerText(), /^DTSTART:garbage is not a date$/);
  assert.match(await row(unreadable[1]!).locator('.reason .message').innerText(), /^two UIDs in one resource$/);
  assert.match(await first.innerText(), new RegExp(`Team calendar\\s+${side.id}`));

  // The payload is fetched only when asked for.
  const raw = first.locator('details pre');
  assert.equal(await raw.isVisible(), false);
  await first.getByText('Raw item').click();
  await raw.filter({ hasText: 'BEGIN:VCALENDAR' }).waitFor();
  // The memory connector's stand-in for a payload no reader can read.
  assert.equal(await raw.textContent(), `BEGIN:VCALENDAR\r\n(unreadable ${unreadable[0]})\r\nEND:VCALENDAR\r\n`, 'as the provider sent it');
  await page.screenshot({ path: path.join(screenshots, 'quarantine.png'), fullPage: true });
});

test('Retry says what happens and the next pass reads the item into the calendar', async () => {
  await openPage();
  side.connector.readableAgain('Team calendar', unreadable[0]!);
  await row(unreadable[0]!).getByRole('button', { name: 'Retry' }).click();
  await page.getByRole('status').filter({ hasText: `Retry queued: the next pass of Team calendar reads ${unreadable[0]} again.` }).waitFor();
  assert.match(await row(unreadable[0]!).innerText(), /retry asked/);
  const { rows: [queued] } = await t.db.query(
    `select count(*)::int as n from graphile_worker._private_jobs where payload->>'bindingId' = $1 and attempts = 0 and run_at <= now()`, [side.id]);
  assert.equal(queued.n, 1, 'a pass is queued');

  await world.pass(side);
  assert.ok((await world.calendarSeries()).some((s) => s.series.uid === 'q-1'), 'the retried item reached the calendar');
  await page.reload();
  await page.getByRole('heading', { name: 'Quarantine and dead jobs' }).waitFor();
  assert.equal(await row(unreadable[0]!).count(), 0, 'no longer quarantined');
});

test('Lift dismisses a remote item: the row goes and the status says so', async () => {
  await row(unreadable[1]!).getByRole('button', { name: 'Lift' }).click();
  await page.getByRole('status').filter({ hasText: `Lifted: ${unreadable[1]} is dismissed on Team calendar until a new version of it comes.` }).waitFor();
  await page.getByText('No item is quarantined.').waitFor();
  const { rows: [item] } = await t.db.query('select dismissed_at from quarantined_items where binding_id = $1 and remote_id = $2', [side.id, unreadable[1]]);
  assert.notEqual(item.dismissed_at, null);
  assert.deepEqual((await world.call('GET', '/admin/v1/quarantine')).body.items, []);
});

test('a held item shows its title and what was stored; Lift releases it and the next pass carries the write out', async () => {
  const eventId = await world.appWrite(null, single({ uid: 'h-1', summary: 'Budget review' }));
  await world.pass(side);
  await world.appWrite(eventId, single({ uid: 'h-1', summary: 'Budget review (room 4)' }));
  const update = side.connector.update.bind(side.connector);
  side.connector.update = async () => { throw new ConnectorError('permanent', 'the provider refuses this event'); };
  assert.equal((await world.pass(side)).stats.quarantined, 1);
  side.connector.update = update;
  const [held] = (await world.call('GET', '/admin/v1/quarantine?kind=held')).body.items as Json[];

  await openPage();
  const item = row(held!.remoteId);
  assert.equal(await item.getAttribute('data-kind'), 'held');
  assert.match(await item.locator('th').innerText(), /^Budget review \(room 4\)/);
  assert.equal(await item.getByRole('button', { name: 'Retry' }).count(), 0, 'a held item is not read again: it is released');
  await item.getByText('What was stored').click();
  assert.match(await item.locator('details pre').innerText(), /the provider refuses this event/);

  await item.getByRole('button', { name: 'Lift' }).click();
  await page.getByRole('status').filter({ hasText: 'Lifted: the hold on Budget review (room 4)' }).waitFor();
  await page.getByText('No item is quarantined.').waitFor();
  await world.pass(side);
  assert.equal(remoteItemOf(side, 'h-1').series.master!.summary, 'Budget review (room 4)', 'the held write reached the remote');
});

test('another tenant\'s key neither lists nor replays the dead job', async () => {
  assert.deepEqual((await world.call('GET', '/admin/v1/dead-jobs', undefined, world.stranger)).body.items, []);
  await world.refusedUnchanged('POST', `/admin/v1/dead-jobs/${deadJob}/replay`, {}, 404, 'NOT_FOUND', world.stranger);
  await world.refusedUnchanged('POST', `/admin/v1/dead-jobs/${neighboursJob}/replay`, {}, 404, 'NOT_FOUND');
  assert.deepEqual([(await jobRow(deadJob)).attempts, (await jobRow(neighboursJob)).attempts], [3, 3], 'both still dead');
});

test('a dead job shows its task, payload, attempts and last error; Replay puts it back in the queue', async () => {
  await openPage();
  assert.equal(await page.locator('tr[data-job]').count(), 1, 'the neighbour\'s job is not shown');
  const job = page.locator(`tr[data-job="${deadJob}"]`);
  assert.match(await job.locator('th').innerText(), new RegExp(`sync_binding\\s+job ${deadJob}`));
  assert.deepEqual(JSON.parse(await job.locator('.payload pre').innerText()), { tenantId: world.tenantId, bindingId: side.id, trigger: 'webhook' });
  assert.equal(await job.locator('td:nth-child(3)').innerText(), '3 of 3');
  assert.equal(await job.locator('.error .message').innerText(), 'Google answered 503 backendError');
  assert.doesNotMatch(await page.locator('main').innerText(), /neighbour/);

  await job.getByRole('button', { name: 'Replay' }).click();
  await page.getByRole('status').filter({ hasText: `Replayed job ${deadJob} (sync_binding): it runs again now, from its first attempt.` }).waitFor();
  await page.getByText('No job is dead.').waitFor();
  const replayed = await jobRow(deadJob);
  assert.equal(replayed.attempts, 0);
  assert.equal(replayed.is_available, true, 'a worker can take it');
  assert.ok(replayed.run_at.getTime() <= Date.now(), 'due now');
  assert.deepEqual((await world.call('GET', '/admin/v1/dead-jobs')).body.items, []);
  const [action] = (await world.call('GET', '/admin/v1/operator-actions')).body.items as Json[];
  assert.deepEqual([action!.action, action!.targets], ['job.replay', { jobId: deadJob, task: 'sync_binding' }]);
  assert.equal((await jobRow(neighboursJob)).attempts, 3, 'the neighbour\'s job is untouched');

  // A page opened before someone else replayed the job: refused, and said so; the row stays.
  const stale = await deadPassJob(world.tenantId, side.id, 'timed out');
  await page.reload();
  await page.getByRole('heading', { name: 'Quarantine and dead jobs' }).waitFor();
  assert.equal((await world.call('POST', `/admin/v1/dead-jobs/${stale}/replay`, {})).status, 200);
  await page.locator(`tr[data-job="${stale}"]`).getByRole('button', { name: 'Replay' }).click();
  await page.getByRole('alert').filter({ hasText: 'replay only jobs listed as dead' }).waitFor();
  assert.equal(await page.locator(`tr[data-job="${stale}"] button`).isEnabled(), true);
  await page.goto(`${base}/#/health`);
  await page.getByRole('heading', { name: 'Sync health' }).waitFor();
  assert.equal(await page.locator('[data-count="deadJobs"]').innerText(), '0');
});

test('no page raised a script error or failed to load a file', () => {
  assert.deepEqual(pageErrors, []);
});
