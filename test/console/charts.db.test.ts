// The charts page in Chromium and the charts API behind it: passes the real engine ran,
// counted by provider, outcome and error, hour by hour; a pass older than the period is
// left out until the period covers it; another tenant sees none of it; bad periods are refused.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { MemoryConnector } from '../../src/connectors/memory/index.ts';
import { createApiKey } from '../../src/store/tenants.ts';
import { openConsole, requireChromium, screenshots, signIn } from '../helpers/console-browser.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { operatorWorld, type OperatorWorld } from '../helpers/operator.ts';

let t: TestDatabase;
let world: OperatorWorld;
let browser: Browser;
let page: Page;
let base: string;
let adminKey: string;
let pageErrors: string[];
let errorCode: string;

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

before(async () => {
  requireChromium();
  t = await freshDatabase();
  world = await operatorWorld(t);
  const healthy = await world.bind('Team calendar');
  const failing = await world.bind('Front desk', {}, new MemoryConnector({ faults: { rateLimit: 1_000 } }));
  for (let i = 0; i < 3; i++) assert.equal((await world.pass(healthy)).outcome, 'ok');
  assert.equal((await world.pass(failing)).outcome, 'failed');
  // One ok pass of two days ago: outside the last 24 hours, inside the last 3 days.
  await t.db.query(`update sync_passes set started_at = started_at - interval '48 hours', finished_at = finished_at - interval '48 hours'
                     where id = (select id from sync_passes where binding_id = $1 order by started_at limit 1)`, [healthy.id]);
  errorCode = (await t.db.query<{ code: string }>(`select error->>'code' as code from sync_passes where binding_id = $1`, [failing.id])).rows[0]!.code;
  adminKey = (await createApiKey(t.db, world.tenantId, 'console', ['admin'])).key;
  ({ browser, page, base, pageErrors } = await openConsole(world.app));
});

after(async () => {
  await browser?.close();
  await world?.app.close();
  await t?.drop();
});

test('the charts API counts the tenant\'s passes by provider, outcome and error within the period', async () => {
  const day = (await world.call('GET', '/admin/v1/charts')).body;
  assert.equal(day.hours.length, 24);
  assert.equal(new Date(day.hours[23]).getTime(), Math.floor(Date.now() / 3_600_000) * 3_600_000, 'the last bucket is the current hour');
  const outcomes = Object.fromEntries(day.passes.map((p: { provider: string; outcome: string; counts: number[] }) => [`${p.provider} ${p.outcome}`, sum(p.counts)]));
  assert.deepEqual(outcomes, { 'caldav failed': 1, 'caldav ok': 2 });
  assert.deepEqual(day.errors.map((e: { provider: string; kind: string; counts: number[] }) => [e.provider, e.kind, sum(e.counts)]), [['caldav', errorCode, 1]]);
  assert.equal(day.durations.length, 1);
  assert.ok(day.durations[0].p50.some((v: number | null) => v !== null && v >= 0), 'a duration for the hours with passes');
  assert.deepEqual(day.deliveries, []);

  const days = (await world.call('GET', '/admin/v1/charts?hours=72')).body;
  assert.equal(days.hours.length, 72);
  assert.equal(sum(days.passes.find((p: { outcome: string }) => p.outcome === 'ok').counts), 3, 'the pass of two days ago is in the last 3 days');

  const stranger = (await world.call('GET', '/admin/v1/charts', undefined, world.stranger)).body;
  assert.deepEqual([stranger.passes, stranger.durations, stranger.errors, stranger.deliveries], [[], [], [], []]);
  for (const hours of ['0', '169', 'abc', '24.5']) await world.refusedUnchanged('GET', `/admin/v1/charts?hours=${hours}`, undefined, 400, 'INVALID_REQUEST');
});

test('the charts page draws each chart with its numbers, and the period can be changed', async () => {
  await signIn(page, base, adminKey);
  await page.getByRole('link', { name: 'Charts' }).click();
  await page.getByRole('heading', { name: 'Charts' }).waitFor();
  assert.match(await page.locator('main p.help').first().innerText(), /3 passes, 1 failed/);
  for (const name of ['Passes by provider', 'Passes by outcome', 'Failed passes by provider and error', 'How long passes took (p50 and p99)']) {
    assert.equal(await page.getByRole('img', { name, exact: true }).count(), 1, name);
  }
  assert.match(await page.locator('figure', { hasText: 'Inbound deliveries by state' }).innerText(), /No inbound deliveries in this period/);
  // The numbers behind "Passes by outcome": a column per outcome, the hours' counts adding up.
  const outcomes = page.locator('figure', { hasText: 'Passes by outcome' });
  await outcomes.getByText('The numbers').click();
  const headers = await outcomes.locator('thead th').allInnerTexts();
  assert.deepEqual(headers, ['Hour', 'failed', 'ok']);
  const cells = await outcomes.locator('tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => Number(td.textContent))));
  assert.equal(cells.length, 24);
  assert.deepEqual([sum(cells.map((c) => c[0]!)), sum(cells.map((c) => c[1]!))], [1, 2]);
  assert.match(await outcomes.locator('ul.legend').innerText(), /failed\s+ok/);
  await page.screenshot({ path: path.join(screenshots, 'charts.png'), fullPage: true });

  await page.getByLabel('Period').selectOption('72');
  await page.waitForURL(/#\/charts\?hours=72$/);
  await page.locator('main p.help', { hasText: '4 passes, 1 failed' }).waitFor();
  assert.deepEqual(pageErrors, []);
});
