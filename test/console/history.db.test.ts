// An event's history in the console, in headless Chromium: an event the app wrote, a remote
// edited (a pass carried it into the calendar), both edited in different fields (a merge with
// its per-field decisions) and then in the same field (a conflict under `manual`). Opened from
// the conflict's row, every version is shown newest first with the rule, reason and the
// fields that changed before and after, and every decision of a pass about the event on
// either side, as the database holds them.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { CanonicalEvent } from '../../src/core/model.ts';
import { requireChromium, screenshots, signedInConsole } from '../helpers/console-browser.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { converge, editRemoteMaster } from '../helpers/engine.ts';
import { single } from '../helpers/events.ts';
import { operatorWorld, type OperatorWorld } from '../helpers/operator.ts';

let t: TestDatabase;
let world: OperatorWorld;
let browser: Browser;
let page: Page;
let base: string;
let pageErrors: string[];
let eventId: string;
let asked: Awaited<ReturnType<OperatorWorld['bind']>>;

before(async () => {
  requireChromium();
  t = await freshDatabase();
  world = await operatorWorld(t);
  asked = await world.bind('Team calendar', { conflictPolicy: { mode: 'manual' } });
  eventId = await world.appWrite(null, single({ uid: 'h-1', summary: 'Planning', location: 'Room 1', description: 'Agenda' }));
  await converge(world, [asked]);
  editRemoteMaster(asked, 'h-1', { location: 'Room 2' });
  await converge(world, [asked]);
  // Different fields on each side: merged, each field from the side that changed it.
  await world.appWrite(eventId, single({ uid: 'h-1', summary: 'Planning (Q3)', location: 'Room 2', description: 'Agenda' }));
  editRemoteMaster(asked, 'h-1', { description: 'Agenda, budget first' });
  await converge(world, [asked]);
  // The same field on each side: under manual, a person decides.
  await world.appWrite(eventId, single({ uid: 'h-1', summary: 'Planning (Q3)', location: 'Room 4', description: 'Agenda, budget first' }));
  editRemoteMaster(asked, 'h-1', { location: 'Room 5' });
  await converge(world, [asked]);

  ({ browser, page, base, pageErrors } = await signedInConsole(t.db, world.tenantId, world.app));
});

after(async () => {
  await browser?.close();
  await world?.app.close();
  await t?.drop();
});

interface StoredVersion {
  version: number;
  actor: string;
  operation: string;
  pass_id: string | null;
  content: CanonicalEvent | null;
  rule: string | null;
  reason: string | null;
}

/** The versions as the database holds them, newest first, with the rule and reason of the pass's calendar write. */
async function storedVersions(): Promise<StoredVersion[]> {
  const { rows } = await t.db.query<StoredVersion>(
    `select h.version::int, h.actor, h.operation, h.pass_id, h.content, o.rule, o.reason
       from event_history h
       left join lateral (select rule, reason from sync_operations o where o.pass_id = h.pass_id and o.event_id = $1 and o.side = 'calendar'
                            and o.status = 'applied' and o.operation <> 'skip' order by o.id limit 1) o on true
      where h.event_id = $1 order by h.version desc`, [eventId]);
  return rows;
}

/** How the page writes a value: text as it is, a zoned time as its wall clock, the rest as JSON. */
function shown(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  if (value === '') return '(empty)';
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && typeof (value as { local?: unknown }).local === 'string') {
    const t = value as { local: string; tz: string | null };
    return `${t.local.replace('T', ' ')} ${t.tz ?? '(floating)'}`;
  }
  return JSON.stringify(value);
}

test('the conflict\'s row leads to its event\'s history: every version newest first, with its cause, rule, reason and changes as stored', async () => {
  await page.goto(`${base}/#/conflicts`);
  const row = page.locator('tr[data-conflict]').filter({ hasText: 'location' });
  await row.getByRole('link', { name: /^History of/ }).click();
  await page.getByRole('heading', { name: 'History of Planning (Q3)' }).waitFor();
  assert.equal(new URL(page.url()).hash, `#/calendars/${world.calendarId}/events/${eventId}/history`);
  assert.doesNotMatch(await page.locator('main').innerText(), /\b(null|undefined)\b/);

  const stored = await storedVersions();
  assert.ok(stored.length >= 4, `versions: ${stored.map((v) => `${v.version} ${v.actor}`).join(', ')}`);
  const cards = page.locator('section.version');
  assert.deepEqual(await cards.evaluateAll((cs) => cs.map((c) => Number(c.getAttribute('data-version')))), stored.map((v) => v.version), 'newest first');

  for (const [i, v] of stored.entries()) {
    const card = cards.nth(i);
    assert.match(await card.locator('h2').innerText(), new RegExp(`^Version ${v.version}: ${v.operation}`));
    const rule = v.actor === 'app' ? 'app' : v.rule;
    const reason = v.actor === 'app' ? 'written through the app API' : v.reason;
    assert.ok(rule && reason, `version ${v.version} has a cause in the database`);
    assert.equal(await card.locator('[data-rule]').innerText(), rule);
    assert.equal(await card.locator('[data-reason]').innerText(), reason);
    if (v.actor.startsWith('binding:')) {
      assert.match(await card.innerText(), new RegExp(`a pass of binding ${asked.id}[\\s\\S]*pass ${v.pass_id}`));
    } else {
      assert.match(await card.innerText(), /By\s+the app/);
    }

    // Every field that differs from the previous version, and only those, before and after.
    const previous = (stored[i + 1]?.content ?? null) as Record<string, unknown> | null;
    const current = v.content as unknown as Record<string, unknown>;
    const changed = Object.keys(current).filter((f) => JSON.stringify(previous ? previous[f] ?? null : null) !== JSON.stringify(current[f] ?? null));
    const rows = card.locator('table.changes tr[data-field]');
    assert.deepEqual((await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-field')))).sort(), changed.sort());
    for (const field of changed) {
      const r = card.locator(`table.changes tr[data-field="${field}"]`);
      assert.equal(await r.locator('td.before').innerText(), shown(previous ? previous[field] ?? null : null), `version ${v.version} ${field} before`);
      assert.equal(await r.locator('td.after').innerText(), shown(current[field] ?? null), `version ${v.version} ${field} after`);
    }
  }

  // The changes the scenario made, by name: the remote's location through a pass, the app's title.
  const moved = stored.find((v) => v.actor.startsWith('binding:') && v.content?.location === 'Room 2' && v.content.summary === 'Planning')!;
  const movedRow = page.locator(`section.version[data-version="${moved.version}"] tr[data-field="location"]`);
  assert.deepEqual([await movedRow.locator('del').innerText(), await movedRow.locator('ins').innerText()], ['Room 1', 'Room 2']);
  const renamed = stored.find((v, i) => v.actor === 'app' && v.content?.summary === 'Planning (Q3)' && stored[i + 1]?.content?.summary === 'Planning')!;
  const renamedRow = page.locator(`section.version[data-version="${renamed.version}"] tr[data-field="summary"]`);
  assert.deepEqual([await renamedRow.locator('del').innerText(), await renamedRow.locator('ins').innerText()], ['Planning', 'Planning (Q3)']);
  await page.screenshot({ path: path.join(screenshots, 'history.png'), fullPage: true });
});

test('a merge shows what it decided per field; the conflict\'s own page links to the history too', async () => {
  const { rows: [merge] } = await t.db.query<{ version: number; decisions: Array<{ field: string; took: string; rule: string; reason: string }> }>(
    `select h.version::int, o.after -> 'decisions' as decisions from event_history h
       join sync_operations o on o.pass_id = h.pass_id and o.event_id = $1 and o.side = 'calendar' and o.status = 'applied' and o.operation = 'merge'
      where h.event_id = $1 order by h.version desc limit 1`, [eventId]);
  assert.ok(merge && merge.decisions.length > 0, 'the engine recorded a merge with decisions');
  await page.goto(`${base}/#/calendars/${world.calendarId}/events/${eventId}/history`);
  const card = page.locator(`section.version[data-version="${merge.version}"]`);
  await card.waitFor();
  for (const d of merge.decisions) {
    const row = card.locator(`tr[data-decision="${d.field}"]`);
    assert.deepEqual(await row.locator('td').allInnerTexts(), [d.took, d.rule, d.reason]);
  }

  // Every decision of a pass about the event, the remote writes included, newest first.
  const { rows: ops } = await t.db.query<{ id: string; side: string; operation: string; rule: string; reason: string }>(
    `select id::text, side, operation, rule, reason from sync_operations where event_id = $1 and operation <> 'skip' order by id desc`, [eventId]);
  assert.ok(ops.some((o) => o.side === 'remote') && ops.some((o) => o.side === 'calendar'));
  const shownOps = page.locator('table.operations tbody tr');
  assert.deepEqual(await shownOps.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-operation'))), ops.map((o) => o.id));
  for (const [i, o] of ops.entries()) {
    assert.deepEqual((await shownOps.nth(i).locator('td').allInnerTexts()).slice(2, 6), [o.side, o.operation, o.rule, o.reason]);
  }

  const conflict = (await world.call('GET', '/admin/v1/conflicts?state=open')).body.items[0];
  await page.goto(`${base}/#/conflicts/${conflict.id}`);
  await page.getByRole('link', { name: 'Why the event changed: its history' }).click();
  await page.getByRole('heading', { name: 'History of Planning (Q3)' }).waitFor();
});

test('an unknown event says so instead of a page', async () => {
  await page.goto(`${base}/#/calendars/${world.calendarId}/events/00000000-0000-4000-8000-000000000000/history`);
  await page.getByRole('heading', { name: 'Something went wrong' }).waitFor();
  assert.match(await page.getByRole('alert').innerText(), /not found/);
});

test('no page raised a script error or failed to load a file', () => {
  assert.deepEqual(pageErrors, []);
});
