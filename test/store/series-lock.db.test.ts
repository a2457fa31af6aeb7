// lockSeriesVersions under a concurrent writer: an override another transaction adds
// while this one waits for the series' lock counts as a change of the series. (Found
// by the Google interop test: a pass's plan overwrote an instance another binding's
// pass had just cancelled, because the locking statement did not see the new row.)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createCalendar } from '../../src/store/calendars.ts';
import { withTransaction } from '../../src/store/db.ts';
import { lockSeriesVersions, writeSeries } from '../../src/store/event-writes.ts';
import { createTenant } from '../../src/store/tenants.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { instance, weekly } from '../helpers/events.ts';

let t: TestDatabase;
before(async () => { t = await freshDatabase(); });
after(async () => { await t?.drop(); });

test('a row added to a series while waiting for its lock is in the versions returned', async () => {
  const tenantId = (await createTenant(t.db, 'lock')).id;
  const calendarId = (await createCalendar(t.db, tenantId, { summary: 'c', timeZone: 'Europe/Berlin' })).id;
  const ctx = { tenantId, calendarId, actor: 'test' };
  const { eventId } = await writeSeries(t.db, ctx, null, weekly({ uid: 'lock-1' }));
  const before = (await lockSeriesVersions(t.db, tenantId, calendarId, [eventId])).get(eventId)!;

  let release!: () => void;
  const held = new Promise<void>((resolve) => { release = resolve; });
  let locked!: () => void;
  const lockTaken = new Promise<void>((resolve) => { locked = resolve; });
  // Writer A holds the series' rows and adds an override before committing.
  const writer = withTransaction(t.db, async (tx) => {
    await lockSeriesVersions(tx, tenantId, calendarId, [eventId]);
    await writeSeries(tx, ctx, eventId, weekly({ uid: 'lock-1' }, [instance('2026-03-16', { uid: 'lock-1', status: 'cancelled' })]));
    locked();
    await held;
  });
  await lockTaken;
  // B asks for the lock while A holds it, and gets it after A commits.
  const waiting = withTransaction(t.db, (tx) => lockSeriesVersions(tx, tenantId, calendarId, [eventId]));
  await new Promise((resolve) => setTimeout(resolve, 200));
  release();
  await writer;
  const seen = (await waiting).get(eventId)!;
  assert.ok(seen > before, `the version after A's override (${seen}) is above the one before (${before})`);
});
