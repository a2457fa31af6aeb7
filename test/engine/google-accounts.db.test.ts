// A Google account as the composition root builds its connector: credentials read from
// their sealed column, a pass against the emulator, refreshed tokens (and a refresh
// token Google rotated) sealed again.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import type { EngineDeps } from '../../src/engine/sync-pass.ts';
import { syncBinding } from '../../src/engine/sync-pass.ts';
import type { GoogleCredentials } from '../../src/connectors/google/index.ts';
import { connectorFactory, urlGuard } from '../../src/main/connectors.ts';
import { createAccount, readCredentials } from '../../src/store/accounts.ts';
import { createBinding } from '../../src/store/bindings.ts';
import { createCalendar } from '../../src/store/calendars.ts';
import { listSeriesPage } from '../../src/store/events.ts';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';
import { createTenant } from '../../src/store/tenants.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { EMULATOR_CLIENT, listeningEmulator, type ListeningEmulator } from '../helpers/google-connector.ts';

let t: TestDatabase;
let emulator: ListeningEmulator;
before(async () => {
  t = await freshDatabase();
  emulator = await listeningEmulator({ timeZone: 'Europe/Berlin' });
});
after(async () => {
  await emulator?.close();
  await t?.drop();
});

test('a pass of a Google binding refreshes an expired access token and stores it; a rotated refresh token is stored too', async () => {
  const secrets = new Secrets(parseSecretKey(generateSecretKeyText()));
  const tenantId = (await createTenant(t.db, 'google')).id;
  const calendarId = (await createCalendar(t.db, tenantId, { summary: 'work', timeZone: 'Europe/Berlin' })).id;
  const grant = emulator.app.emulator.issueGrant();
  const rotated = emulator.app.emulator.issueGrant();
  const account = await createAccount(t.db, secrets, tenantId, {
    provider: 'google', login: emulator.app.emulator.account, displayName: emulator.app.emulator.account,
    credentials: { refreshToken: grant.refresh_token, accessToken: 'ya29.expired', expiry: Date.now() - 1000 },
  });
  const binding = await createBinding(t.db, tenantId, { calendarId, accountId: account.id, remoteCalendarId: 'primary' });
  emulator.app.emulator.insertEvent('primary', { summary: 'Dentist', start: { dateTime: '2026-03-04T08:00:00+01:00' }, end: { dateTime: '2026-03-04T09:00:00+01:00' } });

  // Google may answer a refresh with a new refresh token: it must replace the old one.
  let rotate = true;
  const fetchWithRotation: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (!rotate || !String(input instanceof Request ? input.url : input).endsWith('/token')) return response;
    rotate = false;
    const body = await response.json() as Record<string, unknown>;
    return new Response(JSON.stringify({ ...body, refresh_token: rotated.refresh_token }), { status: response.status, headers: response.headers });
  };
  const engine: EngineDeps = {
    db: t.db, logger: pino({ level: 'silent' }), now: () => new Date(), workerName: 'google', debounceMs: 0,
    connectorFor: connectorFactory({
      db: t.db, secrets, fetch: fetchWithRotation, guard: urlGuard({ allowPrivateUrls: false, allowedUrlHosts: [] }),
      google: { ...EMULATOR_CLIENT, apiUrl: emulator.root, oauthUrl: emulator.root },
    }),
  };
  const result = await syncBinding(engine, { tenantId, bindingId: binding.id, trigger: 'manual' });
  assert.equal(result.outcome, 'ok', JSON.stringify(result.error));
  assert.deepEqual((await listSeriesPage(t.db, tenantId, calendarId, null, 10)).map((s) => s.series.master?.summary), ['Dentist']);
  const stored = await readCredentials<GoogleCredentials>(t.db, secrets, tenantId, account.id);
  assert.equal(stored!.refreshToken, rotated.refresh_token);
  assert.notEqual(stored!.accessToken, 'ya29.expired');
  assert.ok(stored!.expiry! > Date.now() + 3000 * 1000);

  // The next pass runs on what was stored, the old grant revoked meanwhile.
  emulator.app.emulator.revokeGrant(grant.refresh_token);
  emulator.app.emulator.expireAccessTokens();
  const second = await syncBinding(engine, { tenantId, bindingId: binding.id, trigger: 'manual' });
  assert.equal(second.outcome, 'ok', JSON.stringify(second.error));
});

test('without CALSYNC_GOOGLE_CLIENT_ID a Google binding cannot get a connector, and says why', async () => {
  const secrets = new Secrets(parseSecretKey(generateSecretKeyText()));
  const tenantId = (await createTenant(t.db, 'unconfigured')).id;
  const calendarId = (await createCalendar(t.db, tenantId, { summary: 'x' })).id;
  const account = await createAccount(t.db, secrets, tenantId, { provider: 'google', credentials: { refreshToken: 'r', accessToken: null, expiry: null } });
  const binding = await createBinding(t.db, tenantId, { calendarId, accountId: account.id, remoteCalendarId: 'primary' });
  const factory = connectorFactory({ db: t.db, secrets, fetch, guard: urlGuard({ allowPrivateUrls: false, allowedUrlHosts: [] }) });
  await assert.rejects(factory(binding), (e: Error & { code?: string }) => e.code === 'PROVIDER_NOT_CONFIGURED' && /CALSYNC_GOOGLE_CLIENT_ID/.test(e.message));
});
