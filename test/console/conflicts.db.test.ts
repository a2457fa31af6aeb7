// The console's conflicts pages in headless Chromium, against conflicts the real engine
// raised under the `manual` policy with memory connectors: the list, one conflict's three
// values, keeping a side, writing a text value and a JSON value (a wrong one refused in the
// page, with nothing sent), and the decision reaching the calendar and every remote after a
// pass. Screenshots as in console.db.test.ts; docs/screenshots/conflict.png only on update.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { requireChromium, runScreenshots, screenshots, signedInConsole } from '../helpers/console-browser.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { converge, editRemoteMaster, remoteItemOf } from '../helpers/engine.ts';
import { single } from '../helpers/events.ts';
import { operatorWorld, type OperatorWorld } from '../helpers/operator.ts';

let t: TestDatabase;
let world: OperatorWorld;
let browser: Browser;
let page: Page;
let base: string;
let asked: Side;
let other: Side;
const events: Record<string, string> = {};
let pageErrors: string[];

type Side = Awaited<ReturnType<OperatorWorld['bind']>>;
const calendarMaster = async (uid: string) => (await world.calendarSeries()).find((s) => s.series.uid === uid)!.series.master!;
const openConflicts = async () => (await world.call('GET', '/admin/v1/conflicts?state=open')).body.items as Array<{ id: string; eventId: string; field: string }>;
const conflictOf = async (uid: string, field: string) => (await openConflicts()).find((c) => c.eventId === events[uid] && c.field === field)!;

before(async () => {
  requireChromium();
  t = await freshDatabase();
  world = await operatorWorld(t);
  asked = await world.bind('Team calendar', { conflictPolicy: { mode: 'manual' } });
  other = await world.bind('Front desk');
  const at = (hour: number) => ({ local: `2026-03-02T${String(hour).padStart(2, '0')}:00:00`, tz: 'Europe/Berlin' });
  events['c-1'] = await world.appWrite(null, single({ uid: 'c-1', summary: 'Planning' }));
  events['c-2'] = await world.appWrite(null, single({ uid: 'c-2', summary: 'Review', start: at(10), end: at(11) }));
  events['c-3'] = await world.appWrite(null, single({ uid: 'c-3', summary: 'Standup', location: 'Room 1' }));
  events['c-4'] = await world.appWrite(null, single({ uid: 'c-4', summary: 'Offsite' }));
  await converge(world, [asked, other]);
  // Each side changes the same field of each event: the manual binding asks a person.
  await world.appWrite(events['c-1'], single({ uid: 'c-1', summary: 'Planning (quarterly)' }));
  editRemoteMaster(asked, 'c-1', { summary: 'Planning (Q3 budget)' });
  await world.appWrite(events['c-2'], single({ uid: 'c-2', summary: 'Review', start: at(11), end: at(12) }));
  editRemoteMaster(asked, 'c-2', { start: at(14), end: at(15) });
  await world.appWrite(events['c-3'], single({ uid: 'c-3', summary: 'Standup', location: 'Room 2' }));
  editRemoteMaster(asked, 'c-3', { location: 'Room 3' });
  // The calendar deletes what the remote edits: under manual that is asked too.
  await world.appDelete(events['c-4']!);
  editRemoteMaster(asked, 'c-4', { summary: 'Offsite (moved)', location: 'Hall B' });
  await converge(world, [asked, other]);
  assert.equal((await openConflicts()).length, 4);

  ({ browser, page, base, pageErrors } = await signedInConsole(t.db, world.tenantId, world.app));
});

after(async () => {
  await browser?.close();
  await world?.app.close();
  await t?.drop();
});

test('the health page\'s count leads to the open conflicts, newest first, each with its event, field and binding', async () => {
  assert.equal(await page.locator('[data-count="conflictsOpen"]').innerText(), '4');
  await page.locator('[data-count="conflictsOpen"] a').click();
  await page.getByRole('heading', { name: 'Open conflicts' }).waitFor();
  const rows = page.locator('tr[data-conflict]');
  assert.doesNotMatch(await page.locator('main').innerText(), /\b(null|undefined)\b/);
  // The admin API's order (newest first), all three fields.
  const listed = (await openConflicts()).map((c) => c.id);
  assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-conflict'))), listed);
  assert.deepEqual((await rows.locator('td:nth-child(2)').allInnerTexts()).sort(), ['edit against delete', 'location', 'summary', 'time']);
  const planning = rows.filter({ hasText: 'summary' });
  assert.match(await planning.innerText(), /Planning \(quarterly\)|Planning \(Q3 budget\)/);
  assert.match(await planning.innerText(), new RegExp(`Team calendar\\s+${asked.id}`));
  // The README shows one conflict, not the list: the list's picture stays with the run's.
  await page.screenshot({ path: path.join(runScreenshots, 'conflicts.png'), fullPage: true });

  // The binding's page links to its own conflicts.
  await page.goto(`${base}/#/bindings/${asked.id}`);
  await page.getByRole('link', { name: 'Open conflicts of this binding' }).click();
  await page.getByRole('heading', { name: 'Open conflicts of this binding' }).waitFor();
  assert.equal(await page.locator('tr[data-conflict]').count(), 4);
  await page.goto(`${base}/#/bindings/${other.id}`);
  await page.getByRole('link', { name: 'Open conflicts of this binding' }).click();
  await page.getByText('No conflict is waiting for a decision.').waitFor();
});

test('a text conflict shows base, calendar and remote with the difference marked; keeping the remote\'s reaches every side', async () => {
  const conflict = await conflictOf('c-1', 'summary');
  await page.goto(`${base}/#/conflicts`);
  await page.locator(`tr[data-conflict="${conflict.id}"] a`).first().click();
  await page.getByRole('heading', { name: /^Conflict on Planning/ }).waitFor();
  const side = (name: string) => page.locator(`[data-side="${name}"]`);
  assert.equal(await side('base').locator('.text').innerText(), 'Planning');
  assert.equal(await side('calendar').locator('.text').innerText(), 'Planning (quarterly)');
  assert.equal(await side('remote').locator('.text').innerText(), 'Planning (Q3 budget)');
  assert.equal(await side('calendar').locator('mark').innerText(), 'quarterly');
  assert.equal(await side('remote').locator('mark').innerText(), 'Q3 budget');
  await page.screenshot({ path: path.join(screenshots, 'conflict.png'), fullPage: true });

  await page.getByRole('button', { name: 'Keep remote\'s' }).click();
  await page.getByRole('heading', { name: 'Open conflicts' }).waitFor();
  await page.getByRole('status').filter({ hasText: 'Resolved: kept the remote\'s value' }).waitFor();
  assert.equal(await page.locator(`tr[data-conflict="${conflict.id}"]`).count(), 0);
  const resolved = (await world.call('GET', `/admin/v1/conflicts/${conflict.id}`)).body;
  assert.deepEqual([resolved.state, resolved.resolution], ['resolved', { take: 'remote' }]);

  await converge(world, [asked, other]);
  assert.equal((await calendarMaster('c-1')).summary, 'Planning (Q3 budget)');
  assert.equal(remoteItemOf(asked, 'c-1').series.master!.summary, 'Planning (Q3 budget)');
  assert.equal(remoteItemOf(other, 'c-1').series.master!.summary, 'Planning (Q3 budget)');

  // Resolved, it is shown read-only.
  await page.goto(`${base}/#/conflicts/${conflict.id}`);
  await page.getByRole('heading', { name: 'Resolved' }).waitFor();
  assert.match(await page.locator('.resolution').innerText(), /kept the remote's value/);
  assert.equal(await page.getByRole('button', { name: /Keep/ }).count(), 0);
  assert.equal(await page.locator('form.write').count(), 0);
});

test('a written text value reaches the calendar and every remote', async () => {
  const conflict = await conflictOf('c-3', 'location');
  await page.goto(`${base}/#/conflicts/${conflict.id}`);
  await page.getByRole('heading', { name: /^Conflict on event/ }).waitFor();
  assert.deepEqual(await page.locator('[data-side] .text').allInnerTexts(), ['Room 1', 'Room 2', 'Room 3']);
  await page.getByLabel('Write a value').fill('Room 9 (both teams)');
  await page.getByRole('button', { name: 'Write this value' }).click();
  await page.getByRole('status').filter({ hasText: 'Resolved: wrote the value' }).waitFor();
  assert.equal((await world.call('GET', `/admin/v1/conflicts/${conflict.id}`)).body.state, 'resolved');
  await converge(world, [asked, other]);
  assert.equal((await calendarMaster('c-3')).location, 'Room 9 (both teams)');
  assert.equal(remoteItemOf(asked, 'c-3').series.master!.location, 'Room 9 (both teams)');
  assert.equal(remoteItemOf(other, 'c-3').series.master!.location, 'Room 9 (both teams)');
});

test('an edit against a delete says which side deleted, shows the other\'s content, and is settled only by a side', async () => {
  const conflict = await conflictOf('c-4', '(deleted)');
  await page.goto(`${base}/#/conflicts/${conflict.id}`);
  await page.getByRole('heading', { name: 'Conflict on Offsite (moved)' }).waitFor();
  await page.getByText('The calendar deleted the event; the remote edited it.').waitFor();
  assert.match(await page.locator('[data-side="calendar"]').innerText(), /deleted\s+The calendar deleted the event\./);
  const remote = await page.locator('[data-side="remote"]').innerText();
  assert.match(remote, /Title\s+Offsite \(moved\)/);
  assert.match(remote, /Location\s+Hall B/);
  assert.match(await page.locator('[data-side="base"]').innerText(), /Title\s+Offsite/);
  assert.equal(await page.locator('form.write').count(), 0, 'no value to write against a delete');
  await page.getByRole('button', { name: 'Keep remote\'s' }).click();
  await page.getByRole('status').filter({ hasText: 'Resolved: kept the remote\'s value' }).waitFor();
  assert.equal((await world.call('GET', `/admin/v1/conflicts/${conflict.id}`)).body.state, 'resolved');
  await converge(world, [asked, other]);
  assert.equal((await calendarMaster('c-4')).summary, 'Offsite (moved)', 'the edit is back in the calendar');
  assert.equal(remoteItemOf(other, 'c-4').series.master!.location, 'Hall B', 'and on the remote that had carried the delete out');
});

test('times are shown readably; a wrong JSON value is refused in the page and resolves nothing; a right one reaches every side', async () => {
  const conflict = await conflictOf('c-2', 'time');
  await page.goto(`${base}/#/conflicts/${conflict.id}`);
  await page.getByRole('heading', { name: /^Conflict on event/ }).waitFor();
  assert.match(await page.locator('[data-side="base"]').innerText(), /Starts\s+2026-03-02 10:00:00 Europe\/Berlin/);
  assert.match(await page.locator('[data-side="calendar"] mark').first().innerText(), /2026-03-02 11:00:00 Europe\/Berlin/);
  assert.match(await page.locator('[data-side="remote"] mark').first().innerText(), /2026-03-02 14:00:00 Europe\/Berlin/);

  const requests: string[] = [];
  page.on('request', (request) => { if (request.method() === 'POST') requests.push(request.url()); });
  const value = page.getByLabel('Write a value');
  await value.fill('{"allDay": false, "start": ');
  await page.getByRole('button', { name: 'Write this value' }).click();
  await page.getByRole('alert').filter({ hasText: 'That is not valid JSON, so nothing was sent' }).waitFor();
  assert.equal(await value.getAttribute('aria-invalid'), 'true');
  assert.deepEqual(requests, [], 'nothing was sent');
  assert.equal((await world.call('GET', `/admin/v1/conflicts/${conflict.id}`)).body.state, 'open');

  // Valid JSON the field does not accept: the admin API refuses it, the page says why.
  await value.fill('42');
  await page.getByRole('button', { name: 'Write this value' }).click();
  await page.locator('.status [role=alert]').waitFor();
  assert.equal((await world.call('GET', `/admin/v1/conflicts/${conflict.id}`)).body.state, 'open');

  const agreed = { allDay: false, start: { local: '2026-03-02T16:00:00', tz: 'Europe/Berlin' }, end: { local: '2026-03-02T17:00:00', tz: 'Europe/Berlin' } };
  await value.fill(JSON.stringify(agreed, null, 2));
  await page.getByRole('button', { name: 'Write this value' }).click();
  await page.getByRole('status').filter({ hasText: 'Resolved: wrote the value' }).waitFor();
  const resolved = (await world.call('GET', `/admin/v1/conflicts/${conflict.id}`)).body;
  assert.deepEqual([resolved.state, resolved.resolution], ['resolved', { value: agreed }]);
  await converge(world, [asked, other]);
  for (const master of [await calendarMaster('c-2'), remoteItemOf(asked, 'c-2').series.master!, remoteItemOf(other, 'c-2').series.master!]) {
    assert.deepEqual([master.start, master.end], [agreed.start, agreed.end]);
  }
  await page.getByText('No conflict is waiting for a decision.').waitFor();
  assert.deepEqual(await openConflicts(), []);
});

test('no page raised a script error or failed to load a file', () => {
  assert.deepEqual(pageErrors, []);
});
