// `calsync sandbox`: a change made in the Google emulator reaches the Graph emulator and
// calsync's calendar, the stream of edits keeps every side in agreement, SIGTERM stops
// everything (the process, the emulators' ports) and removes the sandbox's tenant; the
// console, signed in with the key it prints, opens on the health page with its bindings; next
// to a configured provider or a real account it refuses and makes nothing.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import type { Config } from '../../src/config.ts';
import { loadConfig } from '../../src/config.ts';
import { mayOfferSandbox, sandboxAllowed } from '../../src/main/sandbox/decide.ts';
import { removeSandboxTenants, sandboxTenantIds } from '../../src/store/sandbox-tenants.ts';
import { generateSecretKeyText } from '../../src/store/secrets.ts';
import { createTenant } from '../../src/store/tenants.ts';
import { runCalsync, startCalsync } from '../helpers/cli.ts';
import { openBrowser, screenshots, signIn } from '../helpers/console-browser.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

let t: TestDatabase;
let env: Record<string, string>;
before(async () => {
  t = await freshDatabase();
  env = { DATABASE_URL: t.url, CALSYNC_SECRET_KEY: generateSecretKeyText(), PORT: '0' };
});
after(async () => { await t.drop(); });
beforeEach(async () => { await t.db.query('delete from calsync.tenants'); });

async function tenants(): Promise<Array<{ name: string; accounts: number }>> {
  const { rows } = await t.db.query<{ name: string; accounts: string }>(
    'select t.name, (select count(*) from calsync.accounts a where a.tenant_id = t.id) as accounts from calsync.tenants t order by t.name');
  return rows.map((r) => ({ name: r.name, accounts: Number(r.accounts) }));
}

async function addAccount(tenantName: string, login: string): Promise<void> {
  const tenant = await createTenant(t.db, tenantName);
  await t.db.query(`insert into calsync.accounts (tenant_id, provider, login) values ($1, 'caldav', $2)`, [tenant.id, login]);
}

async function json(url: string, init: RequestInit = {}): Promise<any> {
  const response = await fetch(url, init);
  assert.ok(response.ok, `${init.method ?? 'GET'} ${url}: ${response.status} ${await response.clone().text()}`);
  return response.json();
}

/** Polls until `check` holds, for at most `ms`. */
async function eventually(what: string, ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check().catch(() => false)) return Date.now() - started;
    assert.ok(Date.now() - started < ms, `${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('the sandbox starts only where nothing real is set up, and removes only its own tenant', async () => {
  const config = (vars: Record<string, string>): Config => loadConfig(vars, '/srv');
  assert.equal(mayOfferSandbox(config({})), true, 'a fresh embedded install');
  assert.equal(mayOfferSandbox(config({ CALSYNC_SANDBOX: 'off' })), false);
  assert.equal(mayOfferSandbox(config({ DATABASE_URL: 'postgres://db/x' })), false, 'not offered on a server database');
  assert.equal(mayOfferSandbox(config({ CALSYNC_MICROSOFT_CLIENT_ID: 'id' })), false);

  assert.equal(await sandboxAllowed(t.db, 'offer'), true, 'an empty database');
  await addAccount('sandbox', 'alice@sandbox.invalid');
  assert.equal(await sandboxAllowed(t.db, 'offer'), true, "the sandbox's own tenant is not a real setup");
  await createTenant(t.db, 'local').then((local) => t.db.query(`insert into calsync.calendars (tenant_id, summary) values ($1, 'Front desk')`, [local.id]));
  assert.equal(await sandboxAllowed(t.db, 'offer'), false, "an app's calendar is a real setup: not offered");
  assert.equal(await sandboxAllowed(t.db, 'require'), true, 'asked for, calendars without accounts do not stop it');

  // A tenant named "sandbox" holding a real login is not the sandbox's: it counts, and stays.
  await addAccount('sandbox', 'me@example.org');
  await assert.rejects(sandboxAllowed(t.db, 'require'), (e: Error & { code?: string }) => e.code === 'SANDBOX_REFUSED' && /1 account outside/.test(e.message));
  assert.equal((await sandboxTenantIds(t.db)).size, 1);
  assert.equal(await removeSandboxTenants(t.db), 1);
  assert.deepEqual(await tenants(), [{ name: 'local', accounts: 0 }, { name: 'sandbox', accounts: 1 }]);
});

test('calsync sandbox: a Google edit reaches Outlook and calsync, the stream keeps every side in agreement, SIGTERM stops all of it', async () => {
  const sandbox = startCalsync(['sandbox', '--edit-every', '2'], env);
  try {
    const [, googleUrl, graphUrl] = await sandbox.waitFor(/Google Calendar emulator on (http:\/\/127\.0\.0\.1:\d+)\/ .*Microsoft Graph emulator on (http:\/\/127\.0\.0\.1:\d+)\//, 60_000);
    const [, calsyncUrl] = await sandbox.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const [, key] = await sandbox.waitFor(/\n {2}(csk_[A-Za-z0-9_-]{43})\n/);
    await sandbox.waitFor(/'Team' ⇄ calsync 'Team' ⇄ bob's Outlook 'Team': 6 events, in agreement/, 60_000);
    assert.deepEqual(await tenants(), [{ name: 'sandbox', accounts: 2 }]);

    // Alice adds an event in Google's Team calendar, as another client would.
    const google = { authorization: `Bearer ${(await json(`${googleUrl}/emulator/grants`, { method: 'POST' })).access_token}` };
    const googleTeam = (await json(`${googleUrl}/calendar/v3/users/me/calendarList`, { headers: google })).items.find((c: any) => c.summary === 'Team').id;
    const title = `Visit from the test ${randomBytes(3).toString('hex')}`;
    const start = new Date(Date.now() + 86_400_000);
    await json(`${googleUrl}/emulator/calendars/${encodeURIComponent(googleTeam)}/events`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ summary: title, start: { dateTime: start.toISOString() }, end: { dateTime: new Date(start.getTime() + 1_800_000).toISOString() } }),
    });

    // The stream may rename it meanwhile ("… (edit n)"), keeping the title it had.
    const graph = { authorization: `Bearer ${(await json(`${graphUrl}/emulator/grants`, { method: 'POST' })).access_token}` };
    const outlookTeam = (await json(`${graphUrl}/v1.0/me/calendars`, { headers: graph })).value.find((c: any) => c.name === 'Team').id;
    await eventually('the event in Outlook', 30_000, async () =>
      (await json(`${graphUrl}/v1.0/me/calendars/${outlookTeam}/events?$top=100`, { headers: graph })).value.some((e: any) => e.subject.includes(title)));
    const app = { authorization: `Bearer ${key}` };
    const team = (await json(`${calsyncUrl}/calendar/v3/users/me/calendarList`, { headers: app })).items.find((c: any) => c.summary === 'Team').id;
    await eventually("the event in calsync's Team calendar", 30_000, async () =>
      (await json(`${calsyncUrl}/calendar/v3/calendars/${encodeURIComponent(team)}/events`, { headers: app })).items.some((e: any) => e.summary.includes(title)));

    // The stream's own edits reach every side too.
    await sandbox.waitFor(/✓ ".+" is on every side of '(Team|Alice|Bob)'/, 30_000);
    assert.doesNotMatch(sandbox.output(), /✗|an edit failed/, sandbox.output());

    // The console, signed in with the printed key, opens on the health page: every binding
    // of the sandbox (two Google, two Outlook) has passed, and nothing waits for a first pass.
    const { browser, page, pageErrors } = await openBrowser(calsyncUrl!);
    try {
      await signIn(page, `${calsyncUrl}/`, key!);
      assert.match(page.url(), /#\/health$/);
      const rows = page.locator('tbody tr[data-binding]');
      await rows.nth(3).waitFor();
      assert.equal(await rows.count(), 4);
      const providers = (await rows.locator('td:nth-child(2)').allTextContents()).map((text) => /^(google|microsoft)/.exec(text)?.[1]).sort();
      assert.deepEqual(providers, ['google', 'google', 'microsoft', 'microsoft']);
      // Each binding is named by the calendar and the remote calendar's name, as the provider lists it.
      const names = (await rows.locator('th a').allTextContents()).sort();
      assert.deepEqual(names, ['Alice ⇄ alice@sandbox.invalid', 'Bob ⇄ Calendar', 'Team ⇄ Team', 'Team ⇄ Team']);
      assert.equal(await page.locator('[data-count="waiting"]').textContent(), '0');
      await page.screenshot({ path: path.join(screenshots, 'sandbox-health.png'), fullPage: true });
      assert.deepEqual(pageErrors, []);
    } finally {
      await browser.close();
    }

    const pid = sandbox.child.pid!;
    assert.equal(await sandbox.stop('SIGTERM'), 0, sandbox.output());
    assert.throws(() => process.kill(pid, 0), (e: NodeJS.ErrnoException) => e.code === 'ESRCH', 'the process is gone');
    for (const url of [googleUrl, graphUrl, calsyncUrl]) {
      await assert.rejects(fetch(`${url}/`), `${url} no longer answers`);
    }
    assert.deepEqual(await tenants(), [], "the sandbox's tenant is removed");
  } finally {
    await sandbox.stop('SIGKILL');
  }
});

test('calsync sandbox refuses next to a configured provider, before anything is made', async () => {
  const refused = await runCalsync(['sandbox'], { ...env, CALSYNC_GOOGLE_CLIENT_ID: 'real-client.apps.googleusercontent.com' });
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /the sandbox does not start next to real providers: CALSYNC_GOOGLE_CLIENT_ID is set/);
  assert.match(refused.stderr, /calsync serve/, 'says what to do');
  assert.doesNotMatch(refused.stdout, /emulator on|listening/);
  assert.deepEqual(await tenants(), []);
});

test('calsync sandbox refuses on a database with real accounts, and leaves them alone', async () => {
  await addAccount('acme', 'front-desk@example.org');
  const refused = await runCalsync(['sandbox'], env);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /the database holds 1 account outside the sandbox's tenant/);
  assert.doesNotMatch(refused.stdout, /emulator on|listening/);
  assert.deepEqual(await tenants(), [{ name: 'acme', accounts: 1 }]);
});

test("a command's default tenant is the only one beside the sandbox's", async () => {
  await addAccount('sandbox', 'bob@sandbox.invalid');
  const local = await createTenant(t.db, 'local');
  await t.db.query(`insert into calsync.calendars (tenant_id, summary) values ($1, 'Front desk')`, [local.id]);
  const listed = await runCalsync(['calendar', 'list', '--json'], env);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout).map((c: { summary: string }) => c.summary), ['Front desk']);
});

test('calsync sandbox --help says what it runs, how it refuses and how serve is kept from it', async () => {
  const help = await runCalsync(['sandbox', '--help'], {});
  assert.equal(help.code, 0, help.stderr);
  for (const text of ['--edit-every <seconds>', 'Google Calendar and Microsoft Graph emulators', 'two-way', 'refuses', 'CALSYNC_GOOGLE_CLIENT_ID', 'CALSYNC_SANDBOX=off', '--no-sandbox']) {
    assert.ok(help.stdout.includes(text), `${text} in ${help.stdout}`);
  }
  const serve = await runCalsync(['serve', '--help'], {});
  assert.match(serve.stdout, /--no-sandbox/);
  const bad = await runCalsync(['sandbox', '--edit-every', '0'], {});
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--edit-every.*must be a positive integer/);
});
