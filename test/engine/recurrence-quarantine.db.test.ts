// A pass meeting a series it cannot expand, on either side, sets it aside and carries
// the rest: a remote item with FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30 is quarantined with
// the reason, and a calendar series stored with such a rule before calsync refused them
// is not written to the remote. Run under a hang guard: the rule once hung a pass.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { listQuarantined } from '../../src/store/quarantine.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { engineWorld } from '../helpers/engine.ts';
import { single, weekly } from '../helpers/events.ts';
import { withoutHanging } from '../helpers/hang-guard.ts';

let t: TestDatabase;
before(async () => { t = await freshDatabase(); });
after(async () => { await t.drop(); });

const never = (uid: string) => weekly({ uid, recurrence: { rrule: ['FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30'], rdate: [], exdate: [] } });

test('a series that cannot be expanded is set aside on either side; its neighbours sync', async () => {
  await withoutHanging(120, 'a pass with never-occurring rules', async () => {
    const world = await engineWorld(t);
    const a = await world.bind('remote-a');
    const remoteNever = a.connector.userCreate('remote-a', never('remote-never'));
    a.connector.userCreate('remote-a', single({ uid: 'remote-fine' }));
    await world.appWrite(null, never('calendar-never'));
    await world.appWrite(null, single({ uid: 'calendar-fine' }));

    const result = await world.pass(a);
    assert.ok(['ok', 'partial'].includes(result.outcome), result.outcome);
    const quarantined = await listQuarantined(t.db, world.tenantId, { bindingId: a.id });
    assert.deepEqual(quarantined.map((q) => q.remoteId), [remoteNever]);
    assert.match(quarantined[0]!.reason, /RRULE "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30" never occurs: February has no day BYMONTHDAY=30/);
    assert.ok(result.stats.quarantined >= 2, 'the remote item and the calendar series');

    const remoteUids = a.connector.liveItems('remote-a').map((i) => i.series.uid).sort();
    assert.deepEqual(remoteUids, ['calendar-fine', 'remote-fine', 'remote-never'], 'the calendar\'s never-occurring series was not written');
    const calendarUids = (await world.calendarSeries()).map((s) => s.series.uid).sort();
    assert.deepEqual(calendarUids, ['calendar-fine', 'calendar-never', 'remote-fine']);
  });
});
