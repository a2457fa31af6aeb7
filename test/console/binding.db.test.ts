// A binding's page in headless Chromium, beyond pause and resume (console.db.test.ts):
// passes the brakes stopped, confirmed and dismissed; the merge policy changed, and a bad
// one refused with the admin API's reason and nothing changed; a running pass of the real
// engine followed live without reloading, until it ends or the page is left; unbinding
// after typing the remote calendar's name.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { MemoryConnector } from '../../src/connectors/memory/index.ts';
import { createApiKey } from '../../src/store/tenants.ts';
import { openConsole, requireChromium, screenshots, signIn } from '../helpers/console-browser.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { converge } from '../helpers/engine.ts';
import { single } from '../helpers/events.ts';
import { operatorWorld, type OperatorWorld } from '../helpers/operator.ts';
import { snapshot } from '../helpers/snapshot.ts';

let t: TestDatabase;
let world: OperatorWorld;
let browser: Browser;
let page: Page;
let base: string;
let pageErrors: string[];
/** Requests the page made for a binding's passes. */
const passRequests: string[] = [];

before(async () => {
  requireChromium();
  t = await freshDatabase();
  world = await operatorWorld(t);
  const adminKey = (await createApiKey(t.db, world.tenantId, 'console', ['admin'])).key;
  ({ browser, page, base, pageErrors } = await openConsole(world.app));
  page.on('request', (request) => { if (/\/passes(\?|$)/.test(request.url())) passRequests.push(request.url()); });
  await signIn(page, base, adminKey);
});

after(async () => {
  await browser?.close();
  await world?.app.close();
  await t?.drop();
});

const stops = async () => (await world.call('GET', '/admin/v1/stopped-passes')).body.items as Array<{ bindingId: string; kind: string }>;

async function openBinding(id: string, name: string): Promise<void> {
  const url = `${base}/#/bindings/${id}`;
  // The same address again changes no hash, so the router would not draw the page again.
  if (page.url() === url) await page.reload();
  else await page.goto(url);
  await page.getByRole('heading', { name: `Binding ${name}` }).waitFor();
}

test('a pass stopped on the deletion budget is shown with what it would delete; confirming it lets the next pass delete', async () => {
  const budget = await world.bind('Budget');
  const ids = Array.from({ length: 40 }, (_, i) => budget.connector.userCreate('Budget', single({ uid: `b-${i}`, summary: `Visit ${i}` })));
  await converge(world, [budget]);
  for (const id of ids.slice(0, 20)) budget.connector.userDelete('Budget', id);
  const stopped = await world.pass(budget);
  assert.equal(stopped.outcome, 'stopped');

  await openBinding(budget.id, 'Budget');
  const section = page.locator('section.stopped');
  assert.match(await section.locator('h2').innerText(), /A pass is stopped: deletion-budget/);
  assert.match(await section.innerText(), /would delete 20 items/);
  assert.match(await section.innerText(), /20 deletions wait for a decision/);
  assert.deepEqual((await section.locator('tbody tr td:first-child').allInnerTexts()).sort(), Array.from({ length: 20 }, (_, i) => `Visit ${i}`).sort());
  await page.screenshot({ path: path.join(screenshots, 'stopped-pass.png'), fullPage: true });
  // Each deletion leads to its event's history.
  const first = section.locator('tbody tr a').first();
  const summary = await first.innerText();
  await first.click();
  await page.getByRole('heading', { name: `History of ${summary}` }).waitFor();
  await openBinding(budget.id, 'Budget');

  await world.clearJobs();
  await page.getByRole('button', { name: 'Confirm the deletions' }).click();
  await page.getByRole('status').filter({ hasText: 'Confirmed: a pass is queued' }).waitFor();
  const [job] = await world.passJobs(budget.id);
  assert.equal(job?.payload.confirmDeletions, true, JSON.stringify(job));
  // The stop stands until the confirmed pass has run.
  assert.deepEqual((await stops()).map((s) => s.kind), ['deletion-budget']);
  assert.equal((await world.pass(budget, { confirmDeletions: true })).outcome, 'ok');
  assert.deepEqual(await stops(), []);
  assert.deepEqual((await world.calendarSeries()).map((s) => s.series.uid).sort(), ids.slice(20).map((_, i) => `b-${i + 20}`).sort());
  await openBinding(budget.id, 'Budget');
  assert.equal(await page.locator('section.stopped').count(), 0, 'the stop is gone from the page');
});

test('a wipe is dismissed from the page: nothing is deleted and the remote gets its items back', async () => {
  const budget = (await world.call('GET', '/admin/v1/bindings')).body.items.find((b: { remoteCalendarId: string }) => b.remoteCalendarId === 'Budget');
  const connector = world.connectors.get(budget.id)!;
  for (const item of connector.liveItems('Budget')) connector.userDelete('Budget', item.remoteId);
  assert.equal((await world.pass(budget)).outcome, 'stopped');
  assert.deepEqual((await stops()).map((s) => s.kind), ['wipe']);

  await openBinding(budget.id, 'Budget');
  assert.match(await page.locator('section.stopped h2').innerText(), /wipe/);
  assert.match(await page.locator('section.stopped').innerText(), /The remote listed nothing where 20 items were agreed on/);
  await page.getByRole('button', { name: 'Dismiss: keep everything' }).click();
  await page.getByRole('status').filter({ hasText: 'Dismissed: nothing is deleted' }).waitFor();
  assert.deepEqual(await stops(), []);
  assert.equal((await world.pass(budget)).outcome, 'ok');
  assert.equal((await world.calendarSeries()).length, 20, 'the calendar kept its events');
  assert.equal(connector.liveItems('Budget').length, 20, 'the remote has them again');
});

test('the merge policy is changed from the page; a bad one shows the admin API\'s reason and changes nothing', async () => {
  const team = await world.bind('Team calendar');
  await openBinding(team.id, 'Team calendar');
  const policy = page.getByLabel('Policy as JSON');
  assert.deepEqual(JSON.parse(await policy.inputValue()), team.conflictPolicy);

  await policy.fill('{"mode": "manual", "fields": {"description": "latest"}}');
  await page.getByRole('button', { name: 'Save the policy' }).click();
  await page.getByRole('status').filter({ hasText: 'The merge policy is changed' }).waitFor();
  const stored = async () => (await t.db.query<{ conflict_policy: unknown }>('select conflict_policy from bindings where id = $1', [team.id])).rows[0]!.conflict_policy;
  assert.deepEqual(await stored(), { mode: 'manual', fields: { description: 'latest' }, editVsDelete: 'ask' });
  assert.deepEqual(JSON.parse(await page.getByLabel('Policy as JSON').inputValue()), await stored(), 'the page shows the stored policy');

  const before = await snapshot(t.db);
  await page.getByLabel('Policy as JSON').fill('{"mode": "sometimes"}');
  await page.getByRole('button', { name: 'Save the policy' }).click();
  const alert = page.locator('#policy-error [role=alert]');
  await alert.waitFor();
  assert.match(await alert.innerText(), /policy: mode must be one of default, manual, calendar-wins, remote-wins/);
  // Not JSON at all: refused in the page, nothing sent.
  await page.getByLabel('Policy as JSON').fill('{"mode": ');
  await page.getByRole('button', { name: 'Save the policy' }).click();
  await page.locator('#policy-error [role=alert]').filter({ hasText: 'That is not valid JSON, so nothing was sent' }).waitFor();
  assert.deepEqual(await snapshot(t.db), before, 'the refused policies changed nothing');
});

/** A provider whose listing waits at each next page until the test lets it go on. */
class HeldListing extends MemoryConnector {
  private waiting: Array<() => void> = [];
  private arrived: Array<() => void> = [];

  override async listChanges(remoteCalendarId: string, cursor: string | null, pageToken?: string) {
    if (pageToken) {
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve);
        this.arrived.shift()?.();
      });
    }
    return super.listChanges(remoteCalendarId, cursor, pageToken);
  }

  /** Resolves once the pass asks for a next page (or already has). */
  held(): Promise<void> {
    return this.waiting.length > 0 ? Promise.resolve() : new Promise((resolve) => this.arrived.push(resolve));
  }

  goOn(): void {
    this.waiting.shift()?.();
  }
}

test('a running pass is followed live, without a reload, until it ends; leaving the page stops asking', async () => {
  const connector = new HeldListing({ pageSize: 10 });
  const live = await world.bind('Live', {}, connector);
  for (let i = 0; i < 30; i++) connector.userCreate('Live', single({ uid: `l-${i}`, summary: `Shift ${i}` }));
  const startedAt = Date.now();
  const pass = world.pass(live);
  await connector.held();

  await openBinding(live.id, 'Live');
  const row = page.locator('tbody tr[data-pass]').first();
  assert.match(await row.innerText(), /running[\s\S]*s so far\s+none yet/);
  await page.evaluate('window.sameDocument = true');

  // The engine writes a running pass's counts at most every 2 s: the second page comes after that.
  await sleep(Math.max(0, 2100 - (Date.now() - startedAt)));
  connector.goOn();
  await connector.held();
  const { rows: [running] } = await t.db.query<{ stats: Record<string, number>; finished_at: Date | null }>(
    'select stats, finished_at from sync_passes where binding_id = $1', [live.id]);
  assert.deepEqual([running!.finished_at, running!.stats.pulled], [null, 20], 'the engine recorded the pass\'s progress');
  await page.locator('tbody tr[data-pass]').first().filter({ hasText: 'pulled 20' }).waitFor();
  assert.match(await page.locator('tbody tr[data-pass]').first().innerText(), /running/);
  await page.screenshot({ path: path.join(screenshots, 'binding-running.png'), fullPage: true });

  connector.goOn();
  assert.equal((await pass).outcome, 'ok');
  const done = page.locator('tbody tr[data-pass]').first().filter({ hasText: 'pulled 30' });
  await done.waitFor();
  assert.match(await done.innerText(), /manual\s+ok\s+\d+\.\d s\s/);
  assert.equal(await page.evaluate('window.sameDocument'), true, 'the page was not reloaded');
  // Nothing runs: the page stops asking (it asked every 2 s while the pass ran).
  const asked = passRequests.length;
  await sleep(4500);
  assert.equal(passRequests.length, asked);

  // A pass left running (its worker died, say) is followed only while its page is open.
  await t.db.query(`insert into sync_passes (tenant_id, binding_id, trigger, stats) values ($1, $2, 'manual', '{"pulled": 7}')`, [world.tenantId, live.id]);
  await openBinding(live.id, 'Live');
  await page.locator('tbody tr[data-pass]').first().filter({ hasText: /running[\s\S]*pulled 7/ }).waitFor();
  await page.getByRole('link', { name: '← Health' }).click();
  await page.getByRole('heading', { name: 'Sync health' }).waitFor();
  const left = passRequests.length;
  await sleep(4500);
  assert.equal(passRequests.length, left, 'no request after the page was left');
});

test('unbinding needs the remote calendar\'s name typed; then the binding is gone and the page says so', async () => {
  const leaving = await world.bind('Leaving');
  await openBinding(leaving.id, 'Leaving');
  const before = await snapshot(t.db);
  await page.getByLabel('Type Leaving to confirm').fill('Leavin');
  await page.getByRole('button', { name: 'Unbind' }).click();
  await page.locator('#unbind-error [role=alert]').filter({ hasText: 'Type Leaving exactly to unbind; nothing was changed.' }).waitFor();
  assert.deepEqual(await snapshot(t.db), before);

  await page.getByLabel('Type Leaving to confirm').fill('Leaving');
  await page.getByRole('button', { name: 'Unbind' }).click();
  await page.getByRole('heading', { name: 'Unbound Leaving' }).waitFor();
  assert.match(await page.getByRole('status').innerText(), /The binding is removed; the calendar and its events stay, and so do the remote copies/);
  assert.equal((await world.call('GET', `/admin/v1/bindings/${leaving.id}`)).status, 404);
  assert.equal((await t.db.query('select 1 from bindings where id = $1', [leaving.id])).rowCount, 0);
});

test('no page raised a script error or failed to load a file', () => {
  assert.deepEqual(pageErrors, []);
});
