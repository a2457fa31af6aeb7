import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RemoteItem, RemoteLiveItem } from '../../src/connectors/connector.ts';
import { CoreError } from '../../src/core/errors.ts';
import { hashNormal } from '../../src/core/hash.ts';
import type { EventSeries } from '../../src/core/model.ts';
import { normaliseSeries } from '../../src/core/normalise.ts';
import { plan, type Action, type CalendarEvent, type PlanInput, type SyncStatus } from '../../src/core/plan.ts';
import { defaultPolicy, parsePolicy } from '../../src/core/policy.ts';
import { defaultSafety } from '../../src/core/safety.ts';
import { single } from '../helpers/events.ts';

const status = (eventId: string, remoteId: string, series: EventSeries, etag = 'e1'): SyncStatus => {
  const base = normaliseSeries(series);
  return { eventId, remoteId, etag, base, contentHash: hashNormal(base) };
};
const cal = (eventId: string, series: EventSeries | null, updatedAt = '2026-03-01T08:00:00Z'): CalendarEvent =>
  ({ eventId, series, updatedAt, uid: series?.uid ?? `uid-${eventId}` });
const live = (remoteId: string, series: EventSeries, etag = 'e2', calsyncId: string | null = null): RemoteLiveItem =>
  ({ remoteId, etag, deleted: false, series, calsyncId, updatedAt: '2026-03-01T09:00:00Z' });
const gone = (remoteId: string): RemoteItem => ({ remoteId, etag: null, deleted: true, series: null, calsyncId: null, updatedAt: null });

const S = single({ uid: 'u1' });
const S2 = single({ uid: 'u1', summary: 'Edited' });

function run(partial: Partial<PlanInput> & { items?: RemoteItem[]; complete?: boolean }): ReturnType<typeof plan> {
  return plan({
    binding: { direction: 'two_way', projection: 'full' },
    policy: defaultPolicy,
    safety: defaultSafety,
    statuses: [],
    calendar: [],
    remote: { items: partial.items ?? [], complete: partial.complete ?? false, window: null },
    ...partial,
  });
}
const ops = (actions: Action[]) => actions.map((a) => `${a.op}:${a.side}:${a.rule}`);

test('the same content with a new etag is an echo that stores the etag', () => {
  const { actions } = run({ statuses: [status('E', 'R', S)], calendar: [cal('E', S)], items: [live('R', single({ uid: 'u1', summary: 'Planning ' }), 'e9')] });
  assert.deepEqual(ops(actions), ['skip:remote:echo']);
  assert.equal((actions[0] as { etag: string }).etag, 'e9');
});

test('only the remote changed: the calendar is fast-forwarded', () => {
  const { actions } = run({ statuses: [status('E', 'R', S)], calendar: [cal('E', S)], items: [live('R', S2)] });
  assert.deepEqual(ops(actions), ['update:calendar:remote-changed']);
  const action = actions[0]!;
  assert.ok(action.op === 'update' && action.side === 'calendar');
  assert.equal(action.series.master?.summary, 'Edited');
  assert.equal(action.etag, 'e2');
  assert.ok(action.next !== null && action.next !== 'drop' && action.next.contentHash === hashNormal(normaliseSeries(S2)));
});

test('only the calendar changed: the remote is updated with If-Match', () => {
  const { actions } = run({ statuses: [status('E', 'R', S, 'e1')], calendar: [cal('E', S2)] });
  assert.deepEqual(ops(actions), ['update:remote:calendar-changed']);
  assert.ok(actions[0]!.op === 'update' && actions[0]!.side === 'remote' && actions[0]!.ifMatch === 'e1');
});

test('nothing changed and nothing delivered: no actions', () => {
  assert.deepEqual(run({ statuses: [status('E', 'R', S)], calendar: [cal('E', S)] }).actions, []);
});

test('both changed: a three-way merge, with asked fields in a conflict', () => {
  const policy = parsePolicy({ fields: { description: 'ask' } });
  const calendar = single({ uid: 'u1', summary: 'Cal title', description: 'cal' });
  const remote = single({ uid: 'u1', location: 'Room 2', description: 'remote' });
  const { actions } = run({ policy, statuses: [status('E', 'R', S)], calendar: [cal('E', calendar)], items: [live('R', remote)] });
  assert.deepEqual(ops(actions), ['merge:calendar:merge/three-way', 'conflict:calendar:default/ask']);
  const merge = actions[0]!;
  assert.ok(merge.op === 'merge');
  assert.equal(merge.result.merged.master?.summary, 'Cal title');
  assert.equal(merge.result.merged.master?.location, 'Room 2');
  assert.equal(merge.writeCalendar && merge.writeRemote, true);
  // Until the remote write lands, the base is what the calendar absorbed, but the asked field keeps the base's value.
  const pending = normaliseSeries({ ...remote, master: { ...remote.master!, description: S.master!.description } });
  assert.deepEqual([merge.remoteBase.base, merge.remoteBase.contentHash], [pending, hashNormal(pending)]);
  assert.ok(actions[1]!.op === 'conflict' && actions[1]!.conflicts[0]?.field === 'description');
});

test('both made the same change: only the base moves', () => {
  const { actions } = run({ statuses: [status('E', 'R', S)], calendar: [cal('E', S2)], items: [live('R', S2)] });
  assert.deepEqual(ops(actions), ['skip:remote:both-same']);
});

test('matching: the status by remote id comes before the stamped calsync id', () => {
  const other = single({ uid: 'u2' });
  const { actions } = run({
    statuses: [status('E', 'R', S), status('F', 'Q', other)],
    calendar: [cal('E', S), cal('F', other)],
    items: [live('R', S2, 'e2', 'F')],
  });
  assert.deepEqual(actions.map((a) => [a.op, a.eventId]), [['update', 'E']]);
});

test('matching: a stamped calsync id links an item whose status was lost', () => {
  const { actions } = run({ calendar: [cal('E', S)], items: [live('R', S, 'e2', 'E')] });
  assert.deepEqual(ops(actions), ['skip:remote:match/calsync-id']);
  assert.ok(actions[0]!.next && actions[0]!.next !== 'drop');
});

test('matching: a create whose answer was lost is adopted with the base it sent, or repeated', () => {
  const pending = { ...status('E', 'pending:E', S), pending: true };
  const adopted = run({ statuses: [pending], calendar: [cal('E', S2)], items: [live('R', S, 'e7', 'E')] }).actions;
  assert.deepEqual(ops(adopted), ['skip:remote:match/adopt', 'update:remote:calendar-changed']);
  assert.deepEqual([adopted[1]!.remoteId, adopted[1]!.op === 'update' && adopted[1]!.side === 'remote' && adopted[1]!.ifMatch], ['R', 'e7']);
  assert.deepEqual(ops(run({ statuses: [pending], calendar: [cal('E', S)], complete: true, items: [live('Z', single({ uid: 'z' }))] }).actions), ['create:calendar:new/remote', 'create:remote:create/retry']);
  assert.deepEqual(ops(run({ statuses: [pending, status('K', 'KR', single({ uid: 'k' }))], calendar: [cal('E', null)] }).actions), ['skip:calendar:create/abandoned']);
});

test('a write whose answer was lost is the base when the item comes back as sent', () => {
  const sent = { ...status('E', 'R', S), sent: { base: normaliseSeries(S2), contentHash: hashNormal(normaliseSeries(S2)) } };
  assert.deepEqual(ops(run({ statuses: [sent, status('K', 'KR', single({ uid: 'k' }))], calendar: [cal('E', null)], items: [live('R', S2)] }).actions), ['skip:remote:sent/landed', 'delete:remote:delete/calendar']);
  assert.deepEqual(ops(run({ statuses: [sent], calendar: [cal('E', S2)], items: [live('R', S2)] }).actions), ['skip:remote:sent/landed', 'skip:remote:echo']);
  // Landed, then the remote edited another field: our description is not a remote change.
  const sentDescription = single({ uid: 'u1', description: 'ours' });
  const sentD = { ...status('E', 'R', S), sent: { base: normaliseSeries(sentDescription), contentHash: hashNormal(normaliseSeries(sentDescription)) } };
  const afterLanding = run({ statuses: [sentD], calendar: [cal('E', single({ uid: 'u1', description: 'ours again' }))], items: [live('R', single({ uid: 'u1', description: 'ours', location: 'Theirs' }))], policy: parsePolicy({ fields: { description: 'ask' } }) }).actions;
  assert.deepEqual(ops(afterLanding), ['skip:remote:sent/landed', 'merge:calendar:merge/three-way']);
  assert.ok(afterLanding[1]!.op === 'merge' && afterLanding[1]!.result.conflicts.length === 0);
  assert.deepEqual([afterLanding[1]!.result.merged.master?.description, afterLanding[1]!.result.merged.master?.location], ['ours again', 'Theirs']);
  const other = single({ uid: 'u1', summary: 'Someone else' });
  assert.deepEqual(ops(run({ statuses: [sent], calendar: [cal('E', S2)], items: [live('R', other)] }).actions), ['skip:remote:sent/landed', 'merge:calendar:merge/three-way']);
});

test('matching: a second stamped copy of a bound event is deleted', () => {
  const { actions } = run({ statuses: [status('E', 'R', S)], calendar: [cal('E', S)], items: [live('R2', S, 'e5', 'E')] });
  assert.deepEqual(ops(actions), ['delete:remote:match/stamped-duplicate']);
  assert.equal(actions[0]!.remoteId, 'R2');
});

test('matching: the iCalUID links the same meeting; differing copies merge without a base', () => {
  const same = run({ calendar: [cal('E', S)], items: [live('R', S)] });
  assert.deepEqual(ops(same.actions), ['skip:remote:match/ical-uid']);
  const differ = run({ calendar: [cal('E', S)], items: [live('R', S2)] });
  assert.deepEqual(ops(differ.actions), ['skip:remote:match/ical-uid', 'merge:calendar:match/ical-uid']);
});

test('matching: a new remote item is created in the calendar once per iCalUID', () => {
  const { actions } = run({ items: [live('R1', single({ uid: 'n1' })), live('R2', single({ uid: 'n1' })), live('R3', single({ uid: 'n2' }))] });
  assert.deepEqual(ops(actions), ['create:calendar:new/remote', 'quarantine:remote:new/duplicate-uid', 'create:calendar:new/remote']);
});

test('an untracked copy of a calendar tombstone does not come back', () => {
  const { actions } = run({ calendar: [cal('E', null)].map((e) => ({ ...e, uid: 'u1' })), items: [live('R', S)] });
  assert.deepEqual(ops(actions), ['skip:remote:match/ical-uid-tombstone']);
});

test('a new calendar event is created remotely, stamped with its event id', () => {
  const { actions } = run({ calendar: [cal('E', S)] });
  assert.deepEqual(ops(actions), ['create:remote:new/calendar']);
  assert.ok(actions[0]!.op === 'create' && actions[0]!.side === 'remote' && actions[0]!.calsyncId === 'E');
});

test('remote delete: tombstone unless the calendar edited it (edit wins, delete wins, ask)', () => {
  const base = { statuses: [status('E', 'R', S)], items: [gone('R')] };
  assert.deepEqual(ops(run({ ...base, calendar: [cal('E', S)] }).actions), ['delete:calendar:delete/remote']);
  const edited = run({ ...base, calendar: [cal('E', S2)] }).actions;
  assert.deepEqual(ops(edited), ['create:remote:edit-vs-delete:edit-wins']);
  assert.ok(edited[0]!.op === 'create' && edited[0]!.side === 'remote' && edited[0]!.supersedes === 'R');
  assert.deepEqual(ops(run({ ...base, calendar: [cal('E', S2)], policy: parsePolicy({ editVsDelete: 'delete-wins' }) }).actions), ['delete:calendar:edit-vs-delete:delete-wins']);
  const ask = run({ ...base, calendar: [cal('E', S2)], policy: parsePolicy({ editVsDelete: 'ask' }) }).actions;
  assert.ok(ask.length === 1 && ask[0]!.op === 'conflict' && ask[0]!.quarantine);
});

test('calendar delete: the remote goes unless it was edited; deleting a tombstone again is a no-op', () => {
  const kept = single({ uid: 'kept' });
  const base = { statuses: [status('E', 'R', S), status('K', 'KR', kept)], calendar: [cal('E', null), cal('K', kept)] };
  assert.deepEqual(ops(run(base).actions), ['delete:remote:delete/calendar']);
  assert.deepEqual(ops(run({ ...base, items: [live('R', S)] }).actions), ['delete:remote:delete/calendar']);
  assert.deepEqual(ops(run({ ...base, items: [live('R', S2)] }).actions), ['update:calendar:edit-vs-delete:edit-wins']);
  // With the tombstone's last content, the restore keeps what the calendar had.
  const last = single({ uid: 'u1', description: 'from another binding' });
  const restored = run({ ...base, calendar: [{ ...cal('E', null), lastSeries: last }, cal('K', kept)], items: [live('R', S2)] }).actions;
  assert.deepEqual(ops(restored), ['merge:calendar:edit-vs-delete:edit-wins']);
  assert.ok(restored[0]!.op === 'merge' && restored[0]!.writeCalendar && restored[0]!.writeRemote);
  assert.deepEqual([restored[0]!.result.merged.master?.summary, restored[0]!.result.merged.master?.description], ['Edited', 'from another binding']);
  const twice = run({ ...base, items: [gone('R')] }).actions;
  assert.deepEqual(ops(twice), ['skip:remote:delete/both']);
  assert.equal(twice[0]!.next, 'drop');
});

test('import never writes the remote; export overwrites remote edits', () => {
  const imp = run({ binding: { direction: 'import', projection: 'full' }, statuses: [status('E', 'R', S)], calendar: [cal('E', S2)] });
  assert.deepEqual(imp.actions, []);
  assert.deepEqual(ops(run({ binding: { direction: 'import', projection: 'full' }, calendar: [cal('F', S)] }).actions), []);
  const exp = run({ binding: { direction: 'export', projection: 'full' }, statuses: [status('E', 'R', S)], calendar: [cal('E', S)], items: [live('R', S2)] });
  assert.deepEqual(ops(exp.actions), ['update:remote:direction']);
  assert.ok(exp.actions[0]!.op === 'update' && exp.actions[0]!.series.master?.summary === 'Planning');
});

test('busy-only shows only time and busy state, and takes nothing back', () => {
  const secret = single({ uid: 'u1', summary: 'Doctor', location: 'Clinic', description: 'private' });
  const { actions } = run({ binding: { direction: 'two_way', projection: 'busy-only' }, calendar: [cal('E', secret)] });
  assert.ok(actions[0]!.op === 'create' && actions[0]!.side === 'remote');
  const written = (actions[0] as { series: EventSeries }).series.master!;
  assert.deepEqual([written.summary, written.location, written.description], ['Busy', '', '']);
  assert.deepEqual(written.start, secret.master!.start);
});

test('wipe brake: a complete listing of nothing stops the pass until confirmed', () => {
  const input = { statuses: [status('E', 'R', S)], calendar: [cal('E', S)], complete: true, safety: { ...defaultSafety, deleteAllowance: 0 } };
  const stopped = run(input);
  assert.equal(stopped.stop?.kind, 'wipe');
  assert.deepEqual(stopped.actions, []);
  const confirmed = run({ ...input, safety: { ...defaultSafety, confirmWipe: true } });
  assert.deepEqual(ops(confirmed.actions), ['delete:calendar:delete/remote']);
});

test('wipe brake: a calendar that deleted every synced event stops the pass', () => {
  const stopped = run({ statuses: [status('E', 'R', S)], calendar: [cal('E', null)], safety: { ...defaultSafety, deleteAllowance: 0 } });
  assert.deepEqual([stopped.stop?.kind, stopped.stop?.kind === 'wipe' && stopped.stop.side], ['wipe', 'calendar']);
});

test('deletion budget: more deletes than the share pauses the pass', () => {
  const series = Array.from({ length: 30 }, (_, i) => single({ uid: `u${i}` }));
  const statuses = series.map((s, i) => status(`E${i}`, `R${i}`, s));
  const calendar = series.map((s, i) => cal(`E${i}`, s));
  const items = series.slice(0, 8).map((_, i) => gone(`R${i}`));
  const stopped = run({ statuses, calendar, items });
  assert.ok(stopped.stop?.kind === 'deletion-budget' && stopped.stop.limit === 7);
  assert.equal(stopped.held.length, 8);
  assert.equal(run({ statuses, calendar, items: items.slice(0, 7) }).stop, null);
  assert.equal(run({ statuses, calendar, items, safety: { ...defaultSafety, confirmDeletions: true } }).actions.length, 8);
});

test('a complete listing: missing items are deleted, except outside the window', () => {
  const old = single({ uid: 'old', start: { local: '2020-01-01T10:00:00', tz: 'UTC' }, end: { local: '2020-01-01T11:00:00', tz: 'UTC' } });
  const statuses = [status('E', 'R', S), status('O', 'Q', old), status('K', 'K1', single({ uid: 'k' }))];
  const calendar = [cal('E', S), cal('O', old), cal('K', single({ uid: 'k' }))];
  const { actions } = plan({
    binding: { direction: 'two_way', projection: 'full' }, policy: defaultPolicy, safety: defaultSafety, statuses, calendar,
    remote: { items: [live('K1', single({ uid: 'k' }))], complete: true, window: { start: '2026-01-01', end: '2026-12-31' } },
  });
  assert.deepEqual(actions.map((a) => [a.op, a.side, a.eventId]), [['skip', 'remote', 'K'], ['delete', 'calendar', 'E']]);
});

test('a repeated delivery of one item plans once; a bad item is quarantined, the rest goes on', () => {
  const bad = { ...live('X', single({ uid: 'bad' })), series: single({ uid: 'bad', start: { local: 'soon', tz: null } }) };
  const { actions } = run({ statuses: [status('E', 'R', S)], calendar: [cal('E', S)], items: [live('R', S2), live('R', S2), bad] });
  assert.deepEqual(ops(actions), ['update:calendar:remote-changed', 'quarantine:remote:invalid']);
  assert.ok(actions[1]!.op === 'quarantine' && actions[1]!.error.path === 'series.master.start.local');
});

test('an older version listed after a newer one does not take the calendar back', () => {
  const older = { ...live('R', S2, 'e2'), updatedAt: '2026-03-01T09:00:00Z' };
  const newer = { ...live('R', single({ uid: 'u1', summary: 'Edited again' }), 'e3'), updatedAt: '2026-03-01T10:00:00Z' };
  // In one listing, the newest delivery is the item's state, wherever it comes.
  const { actions } = run({ statuses: [status('E', 'R', S)], calendar: [cal('E', S)], items: [newer, older] });
  assert.deepEqual(ops(actions), ['update:calendar:remote-changed']);
  const pulled = actions[0]!;
  assert.ok(pulled.op === 'update' && pulled.side === 'calendar' && pulled.series.master?.summary === 'Edited again' && pulled.etag === 'e3');
  assert.ok(pulled.next !== null && pulled.next !== 'drop' && pulled.next.remoteUpdatedAt === '2026-03-01T10:00:00Z');
  // In a later listing, a version older than the one the status holds is as if not listed:
  // the calendar's own change still goes out, against the etag the status holds.
  const seen = { ...status('E', 'R', newer.series, 'e3'), remoteUpdatedAt: newer.updatedAt };
  const edited = single({ uid: 'u1', summary: 'Edited again', location: 'Room 4' });
  const later = run({ statuses: [seen], calendar: [cal('E', edited)], items: [older] });
  assert.deepEqual(ops(later.actions), ['skip:remote:stale', 'update:remote:calendar-changed']);
  const pushed = later.actions[1]!;
  assert.ok(pushed.op === 'update' && pushed.side === 'remote' && pushed.ifMatch === 'e3' && pushed.series.master?.location === 'Room 4');
  // Without last-modified instants nothing is judged stale.
  assert.deepEqual(ops(run({ statuses: [seen], calendar: [cal('E', newer.series)], items: [{ ...older, updatedAt: null }] }).actions), ['update:calendar:remote-changed']);
  // A deletion older than the version the status holds (the item was made again since) is stale too.
  const oldDeletion = { remoteId: 'R', etag: null, deleted: true as const, series: null, calsyncId: 'E', updatedAt: '2026-03-01T09:30:00Z' };
  assert.deepEqual(ops(run({ statuses: [seen], calendar: [cal('E', newer.series)], items: [oldDeletion] }).actions), ['skip:remote:stale']);
  assert.deepEqual(ops(run({ statuses: [seen], calendar: [cal('E', newer.series)], items: [{ ...oldDeletion, updatedAt: '2026-03-01T11:00:00Z' }] }).actions), ['delete:calendar:delete/remote']);
});

test('bad plan input is INVALID_INPUT', () => {
  const cases: [Partial<PlanInput>, string][] = [
    [{ binding: { direction: 'sideways' as never, projection: 'full' } }, 'input.binding.direction'],
    [{ statuses: [status('E', 'R', S), status('F', 'R', S)] }, 'input.statuses[1].remoteId'],
    [{ calendar: [cal('E', S), cal('E', S)] }, 'input.calendar[1].eventId'],
    [{ statuses: 'none' as never }, 'input.statuses'],
  ];
  assert.throws(() => run({ policy: { mode: 'loudest' } as never }), (e: unknown) => e instanceof CoreError && e.code === 'INVALID_POLICY' && e.path === 'policy.mode');
  assert.throws(() => run({ safety: { ...defaultSafety, maxDeleteShare: -1 } }), (e: unknown) => e instanceof CoreError && e.code === 'INVALID_INPUT' && e.path === 'safety.maxDeleteShare');
  for (const [input, path] of cases) {
    assert.throws(() => run(input), (e: unknown) => e instanceof CoreError && e.code === 'INVALID_INPUT' && e.path === path, path);
  }
});

test('a version listed while a person decides an edit against a delete keeps its last-modified instant, so an older one replayed later is stale', () => {
  const held = { ...status('E', 'R', S), quarantined: true, remoteUpdatedAt: '2026-03-01T08:00:00Z' };
  const newer = { ...live('R', S2, 'e5'), updatedAt: '2026-03-01T10:00:00Z' };
  const seen = run({ statuses: [held], calendar: [cal('E', null)], items: [newer] }).actions;
  const skip = seen.find((a) => a.op === 'skip' && a.rule === 'quarantined');
  assert.ok(skip && skip.op === 'skip');
  assert.deepEqual([skip.etag, skip.seenAt], ['e5', '2026-03-01T10:00:00Z']);
  // Stored, that instant makes a replay of an older version stale: the conflict keeps the newer one.
  const older = { ...live('R', single({ uid: 'u1', summary: 'Older' }), 'e3'), updatedAt: '2026-03-01T09:00:00Z' };
  const replayed = run({ statuses: [{ ...held, remoteUpdatedAt: '2026-03-01T10:00:00Z' }], calendar: [cal('E', null)], items: [older] }).actions;
  assert.deepEqual(ops(replayed), ['skip:remote:stale']);
});
