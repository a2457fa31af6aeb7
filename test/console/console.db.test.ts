// The operator console in a real headless Chromium (Debian's `chromium`, driven by
// playwright-core), against calsync listening on 127.0.0.1 with passes the real engine ran:
// a wrong key sees nothing, an admin key sees a failing binding and why, and pause, resume
// and sync now change the binding. Screenshots of each page go to test-output/screenshots/,
// or with CALSYNC_UPDATE_SCREENSHOTS=1 to docs/screenshots/, where the README shows two.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { MemoryConnector } from '../../src/connectors/memory/index.ts';
import { errorCatalogue } from '../../src/errors.ts';
import { createApiKey } from '../../src/store/tenants.ts';
import { openConsole, requireChromium, screenshots } from '../helpers/console-browser.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { operatorWorld, type OperatorWorld } from '../helpers/operator.ts';

let t: TestDatabase;
let world: OperatorWorld;
let browser: Browser;
let page: Page;
let base: string;
let adminKey: string;
let appKey: string;
let healthy: { id: string };
let failing: { id: string };
let pageErrors: string[];

before(async () => {
  requireChromium();
  t = await freshDatabase();
  world = await operatorWorld(t);
  healthy = await world.bind('Team calendar');
  // Every call is refused as too many requests, as a provider that rate-limits us does.
  failing = await world.bind('Front desk', {}, new MemoryConnector({ faults: { rateLimit: 1_000 } }));
  assert.equal((await world.pass(healthy)).outcome, 'ok');
  assert.equal((await world.pass(failing)).outcome, 'failed');
  // Its push subscription expired an hour ago and was not renewed.
  await t.db.query(
    `update bindings set push_subscription = jsonb_build_object('id', 'ch-1', 'resourceId', 'r-1', 'secretHash', 'x', 'expiresAt', now() - interval '1 hour', 'confirmedAt', now() - interval '2 hours'),
            push_expires_at = now() - interval '1 hour' where id = $1`, [failing.id]);
  adminKey = (await createApiKey(t.db, world.tenantId, 'console', ['admin'])).key;
  appKey = (await createApiKey(t.db, world.tenantId, 'backend', ['app'])).key;
  ({ browser, page, base, pageErrors } = await openConsole(world.app));
});

after(async () => {
  await browser?.close();
  await world?.app.close();
  await t?.drop();
});

async function signInWith(key: string): Promise<void> {
  await page.goto(base);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  // Keyboard only: from the page's heading, Tab reaches the key and Enter sends it.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate('document.activeElement?.id'), 'key');
  await page.keyboard.type(key);
  await page.keyboard.press('Enter');
}

// Strings, not functions: they run in the page, and the project's types have no DOM.
const storedKey = () => page.evaluate<string | null>("sessionStorage.getItem('calsync.adminKey')");

test('a wrong key sees nothing but a clear message, and is not kept', async () => {
  await signInWith(`csk_${'A'.repeat(43)}`);
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /That key was not accepted: it is unknown, revoked or mistyped/);
  await page.screenshot({ path: path.join(screenshots, 'sign-in.png') });
  assert.equal(await page.locator('table, [data-binding], dl').count(), 0, 'no data on the page');
  assert.equal(await page.locator('#nav').isHidden(), true);
  assert.equal(await storedKey(), null);

  await signInWith(appKey);
  await page.getByRole('alert').filter({ hasText: 'no admin scope' }).waitFor();
  assert.equal(await page.locator('table, [data-binding], dl').count(), 0);
  assert.equal(await storedKey(), null);
});

test('an admin key sees the numbers and the failing binding with its reason and what to do', async () => {
  await signInWith(adminKey);
  await page.getByRole('heading', { name: 'Sync health' }).waitFor();
  assert.equal(await storedKey(), adminKey);
  assert.equal(await page.locator('[data-count="failing"]').innerText(), '1');
  assert.equal(await page.locator('[data-count="inSync"]').innerText(), '1');

  const row = page.locator(`tr[data-binding="${failing.id}"]`);
  const text = await row.innerText();
  assert.match(text, /Front desk/);
  assert.match(text, /caldav/);
  assert.match(text, /failed/);
  assert.match(text, /injected rate limit/);
  assert.ok(text.includes(`What to do: ${errorCatalogue.PROVIDER_UNAVAILABLE.hint}`), text);
  assert.match(await page.locator(`tr[data-binding="${healthy.id}"]`).innerText(), /\bok\b/);
  assert.equal(await row.locator('td[data-push]').getAttribute('data-push'), 'expired');
  const push = await row.locator('td[data-push]').innerText();
  assert.match(push, /expired\s+expired .*\(1 hour ago\)/);
  assert.match(push, /What to do: .*CALSYNC_WEBHOOK_URL/);
  assert.equal(await page.locator(`tr[data-binding="${healthy.id}"] td[data-lag]`).innerText(), 'up to date');
  assert.equal(await page.locator(`tr[data-binding="${healthy.id}"] td[data-push]`).innerText(), 'none: polled');
  assert.equal(await page.locator('[data-count="propagation"]').innerText(), '—');
  assert.match(await page.locator('.tile', { has: page.locator('[data-count="propagation"]') }).innerText(), /0 writes to remotes/);
  await page.screenshot({ path: path.join(screenshots, 'health.png'), fullPage: true });

  await page.getByLabel('Only those that need attention').check();
  await page.waitForURL(/attention=1/);
  await page.locator(`tr[data-binding="${healthy.id}"]`).waitFor({ state: 'detached' });
  assert.deepEqual(await page.locator('tr[data-binding]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-binding'))), [failing.id]);
  await page.getByLabel('Only those that need attention').uncheck();
  await page.locator(`tr[data-binding="${healthy.id}"]`).waitFor();
});

test('a failing binding\'s page shows its passes with the error and what to do', async () => {
  await page.goto(`${base}/#/bindings/${failing.id}`);
  await page.getByRole('heading', { name: 'Binding Front desk' }).waitFor();
  const passes = await page.getByRole('table').innerText();
  assert.match(passes, /manual\s+failed/);
  assert.match(passes, /injected rate limit/);
  assert.ok(passes.includes(`What to do: ${errorCatalogue.PROVIDER_UNAVAILABLE.hint}`), passes);
  await page.screenshot({ path: path.join(screenshots, 'binding.png'), fullPage: true });
  await page.getByRole('link', { name: '← Health' }).click();
  await page.getByRole('heading', { name: 'Sync health' }).waitFor();
});

test('from its page a binding is paused, resumed and synced, and the admin API shows each change', async () => {
  const link = page.getByRole('link', { name: 'shared ⇄ Team calendar' });
  await link.focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Binding Team calendar' }).waitFor();
  const passes = page.getByRole('table');
  assert.match(await passes.innerText(), /manual\s+ok/);

  await page.getByLabel('Reason for pausing').fill('moving offices');
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.getByRole('status').filter({ hasText: 'Paused.' }).waitFor();
  const paused = (await world.call('GET', `/admin/v1/bindings/${healthy.id}`)).body;
  assert.deepEqual([paused.state, paused.pausedReason], ['paused', 'paused by an operator: moving offices']);
  assert.match(await page.locator('dl.facts').innerText(), /paused by an operator: moving offices/);

  await world.clearJobs();
  await page.getByRole('button', { name: 'Resume' }).click();
  await page.getByRole('status').filter({ hasText: 'Resumed' }).waitFor();
  const resumed = (await world.call('GET', `/admin/v1/bindings/${healthy.id}`)).body;
  assert.deepEqual([resumed.state, resumed.pausedReason], ['active', null]);
  assert.equal((await world.passJobs(healthy.id)).length, 1, 'resuming queues a pass');

  await world.clearJobs();
  await page.getByRole('button', { name: 'Sync now' }).click();
  await page.getByRole('status').filter({ hasText: /^A pass is queued\.$/ }).waitFor();
  assert.deepEqual((await world.passJobs(healthy.id)).map((job) => job.payload.trigger), ['manual']);
});

test('a refused pause says why and changes nothing', async () => {
  const reason = page.getByLabel('Reason for pausing');
  await reason.fill('   ');
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.getByRole('alert').waitFor();
  assert.equal((await world.call('GET', `/admin/v1/bindings/${healthy.id}`)).body.state, 'active');
});

test('signing out forgets the key and shows the sign-in page', async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await storedKey(), null);
  await page.goto(`${base}/#/bindings/${healthy.id}`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await page.locator('table, [data-binding], dl').count(), 0);
});

test('no page raised a script error or failed to load a file', () => {
  assert.deepEqual(pageErrors, []);
});
