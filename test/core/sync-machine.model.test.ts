// The sync algorithm as a random state machine (CONVENTIONS.md 6): a canonical calendar,
// two two-way memory bindings and a busy-only export binding take random creates, edits,
// deletes, recurrence and instance changes on every side, interleaved with passes,
// failed and lost-answer writes, flaky etags, other clients writing between a pass's
// listing and its writes, duplicated, reordered and stale deliveries and expired
// cursors, under a merge policy drawn per run. Then everything quiesces and the
// invariants of ARCHITECTURE.md must hold.
//   CALSYNC_MODEL_RUNS  number of runs (default 6000 of up to 60 steps: 15-20 s on 2 shared cores)
//   CALSYNC_MODEL_SEED  seed to replay;  CALSYNC_MODEL_PATH  shrink path to replay
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MemoryConnector, seededRng } from '../../src/connectors/memory/index.ts';
import type { EventSeries } from '../../src/core/model.ts';
import { normaliseSeries } from '../../src/core/normalise.ts';
import { parsePolicy, type EditVsDeleteRule, type FieldRule, type MergeField, type PolicyMode } from '../../src/core/policy.ts';
import { project } from '../../src/core/projection.ts';
import { event } from '../helpers/events.ts';
import { auditMerges } from '../helpers/merge-audit.ts';
import { LogicalClock, MemoryCalendar, SyncHarness, seriesHash, type Binding } from '../helpers/sync-engine.ts';
import {
  actual, ALL_BINDINGS, FIELDS, journalKey, Journal, SeriesEditor, SIDES,
  type BindingName, type InstanceChange, type SideName,
} from '../helpers/sync-model.ts';

const BINDINGS = ['b1', 'b2'] as const;

type Op =
  | { t: 'create'; side: SideName; weekly: boolean }
  | { t: 'edit'; side: SideName; pick: number; field: (typeof FIELDS)[number]; n: number }
  | { t: 'rdate'; side: SideName; pick: number; n: number }
  | { t: 'instance'; side: SideName; pick: number; change: InstanceChange }
  | { t: 'delete'; side: SideName; pick: number }
  | { t: 'sync'; binding: BindingName }
  | { t: 'fault'; binding: BindingName; kind: 'fail' | 'lost-answer' | 'flaky' | 'touch' | 'expire' | 'race' };

const side = fc.constantFrom(...SIDES);
const binding = fc.constantFrom(...ALL_BINDINGS);
const pick = fc.nat(5);
const inst = fc.nat(3);
const instanceChange: fc.Arbitrary<InstanceChange> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('override' as const), inst, field: fc.constantFrom('summary' as const, 'location' as const, 'time' as const), n: fc.nat(9) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('cancel' as const), inst }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('uncancel' as const), inst }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('unoverride' as const), inst }) },
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ t: fc.constant('create' as const), side, weekly: fc.boolean() }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('edit' as const), side, pick, field: fc.constantFrom(...FIELDS), n: fc.nat(9) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('rdate' as const), side, pick, n: fc.nat(3) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('instance' as const), side, pick, change: instanceChange }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('delete' as const), side, pick }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('sync' as const), binding }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('fault' as const), binding, kind: fc.constantFrom('fail' as const, 'lost-answer' as const, 'flaky' as const, 'touch' as const, 'expire' as const, 'race' as const) }) },
);
/** Every mode, the description sent to a person or not, and each edit-vs-delete rule or the mode's own. */
const policyArb = fc.record({
  mode: fc.constantFrom<PolicyMode>('default', 'manual', 'calendar-wins', 'remote-wins'),
  askDescription: fc.boolean(),
  editVsDelete: fc.constantFrom<EditVsDeleteRule | null>(null, 'edit-wins', 'delete-wins', 'calendar-wins', 'remote-wins', 'ask'),
});
type PolicySpec = { mode: PolicyMode; askDescription: boolean; editVsDelete: EditVsDeleteRule | null };

/**
 * The policy rules as policy.ts documents them, written out here rather than called,
 * so the invariants judge the policy code instead of repeating it.
 */
const MODE_FIELD_RULE: Record<PolicyMode, FieldRule> = { default: 'latest', manual: 'ask', 'calendar-wins': 'calendar', 'remote-wins': 'remote' };
const MODE_EDIT_VS_DELETE: Record<PolicyMode, EditVsDeleteRule> = { default: 'edit-wins', manual: 'ask', 'calendar-wins': 'calendar-wins', 'remote-wins': 'remote-wins' };
const fieldRule = (spec: PolicySpec) => (unit: MergeField): FieldRule => (unit === 'description' && spec.askDescription ? 'ask' : MODE_FIELD_RULE[spec.mode]);
/** Whether an edit on `edited` beats a delete on the other side of a binding. */
function editBeatsDelete(spec: PolicySpec, edited: 'calendar' | 'remote'): boolean {
  const rule = spec.editVsDelete ?? MODE_EDIT_VS_DELETE[spec.mode];
  return rule === 'edit-wins' || rule === `${edited}-wins`;
}
const scenarioArb = fc.record({
  ops: fc.array(opArb, { minLength: 1, maxLength: 60, size: 'max' }),
  policy: policyArb,
  noise: fc.record({ duplicates: fc.boolean(), reorder: fc.boolean(), stale: fc.boolean(), seed: fc.nat() }),
});

/** Over all runs: how often the paths the faults aim at were taken. */
const coverage = { preconditionFailed: 0, dropped: 0 };

class World {
  readonly clock = new LogicalClock();
  readonly calendar = new MemoryCalendar(this.clock);
  readonly harness: SyncHarness;
  readonly journal = new Journal();
  private readonly editor = new SeriesEditor(this.journal, this.clock.now);
  private uids = 0;

  constructor(readonly policy: PolicySpec, noise: { duplicates: boolean; reorder: boolean; stale: boolean; seed: number }) {
    const parsed = parsePolicy({ mode: policy.mode, fields: policy.askDescription ? { description: 'ask' } : {}, ...(policy.editVsDelete ? { editVsDelete: policy.editVsDelete } : {}) });
    const bindings: Binding[] = ALL_BINDINGS.map((name, i) => {
      const connector = new MemoryConnector({
        rng: seededRng(noise.seed + i), clock: this.clock.now, pageSize: 3,
        faults: { duplicateDelivery: noise.duplicates ? 0.3 : 0, reorder: noise.reorder, staleReplay: noise.stale ? 0.3 : 0 },
      });
      connector.addCalendar('remote');
      const busy = name === 'b3';
      return {
        name, connector, remoteCalendarId: 'remote', direction: busy ? 'export' : 'two_way', projection: busy ? 'busy-only' : 'full',
        policy: parsed, statuses: new Map(), cursor: null,
      };
    });
    this.harness = new SyncHarness(this.calendar, bindings);
  }

  /** The live series on one side, in a stable order, with how to write one back. */
  view(who: SideName): { id: string; series: EventSeries }[] {
    if (who === 'calendar') return this.calendar.live().map((e) => ({ id: e.eventId, series: e.series })).sort((a, b) => a.id.localeCompare(b.id));
    return this.connector(who).liveItems('remote').map((i) => ({ id: i.remoteId, series: i.series })).sort((a, b) => a.id.localeCompare(b.id));
  }

  connector(who: BindingName): MemoryConnector {
    return this.harness.binding(who).connector;
  }

  write(who: SideName, id: string, series: EventSeries): void {
    if (who === 'calendar') this.calendar.update(id, series);
    else this.connector(who).userUpdate('remote', id, series);
  }

  async apply(op: Op): Promise<void> {
    const j = this.journal;
    j.step++;
    const value = `${op.t}-${j.step}`;
    switch (op.t) {
      case 'create': {
        const uid = `u${++this.uids}`;
        const master = event({ uid, summary: value, ...(op.weekly ? { recurrence: { rrule: ['FREQ=WEEKLY;COUNT=6'], rdate: [], exdate: [] } } : {}) });
        const series = { uid, master, overrides: [] };
        if (op.side === 'calendar') this.calendar.create(series);
        else this.connector(op.side).userCreate('remote', series);
        return;
      }
      case 'edit': case 'rdate': case 'instance': case 'delete': {
        // Recurrence and instance changes pick among the series that have instances.
        const items = this.view(op.side).filter((v) => (op.t !== 'rdate' && op.t !== 'instance') || v.series.master?.recurrence);
        const target = items[op.pick % Math.max(items.length, 1)];
        if (!target) return;
        if (op.t === 'delete') {
          j.deletes.set(target.series.uid, [...(j.deletes.get(target.series.uid) ?? []), { step: j.step, side: op.side }]);
          if (op.side === 'calendar') this.calendar.delete(target.id);
          else this.connector(op.side).userDelete('remote', target.id);
          return;
        }
        const series = structuredClone(target.series);
        const changed = op.t === 'edit' ? this.editor.edit(series, op.side, op.field, op.n, value)
          : op.t === 'rdate' ? this.editor.addRdate(series, op.side, op.n)
            : this.editor.instance(series, op.side, op.change, value);
        if (changed) this.write(op.side, target.id, series);
        return;
      }
      case 'sync': {
        const report = await this.harness.runPass(this.harness.binding(op.binding));
        j.passes.push({ step: j.step, side: op.binding, clean: report.failures.length === 0 });
        coverage.preconditionFailed += report.failures.filter((f) => f.kind === 'precondition-failed').length;
        return;
      }
      case 'fault': {
        const connector = this.connector(op.binding);
        if (op.kind === 'fail') Object.assign(connector.faults, { failWrites: 1, failAfterApply: false });
        if (op.kind === 'lost-answer') Object.assign(connector.faults, { failWrites: 1, failAfterApply: true });
        if (op.kind === 'flaky') connector.faults.flakyEtags = connector.faults.flakyEtags > 0 ? 0 : 0.5;
        if (op.kind === 'race') this.raceNextWrite(op.binding);
        if (op.kind === 'expire') {
          connector.expireCursors('remote');
          for (const status of this.harness.binding(op.binding).statuses.values()) {
            if (status.pending) j.unknowable.add(`${this.calendar.events.get(status.eventId)?.uid ?? ''} ${op.binding}`);
          }
        }
        if (op.kind === 'touch') {
          const items = connector.liveItems('remote');
          if (items.length > 0) connector.touch('remote', items[j.step % items.length]!.remoteId);
        }
        return;
      }
    }
  }

  /**
   * Another client writes the item the binding's next conditional write is about, after
   * the pass listed it: a person's edit (the server only rewrites the etag of busy
   * blocks, which nobody edits). The write then fails with 412 and the next pass merges.
   */
  private raceNextWrite(who: BindingName): void {
    const connector = this.connector(who);
    connector.beforeConditionalWrite = (remoteCalendarId, remoteId) => {
      const item = connector.liveItems(remoteCalendarId).find((i) => i.remoteId === remoteId);
      if (!item?.series.master || who === 'b3') {
        connector.touch(remoteCalendarId, remoteId);
        return;
      }
      const series = structuredClone(item.series);
      const field = this.journal.step % 2 === 0 ? 'summary' : 'location';
      const value = `race-${who}-${this.journal.step}`;
      series.master![field] = value;
      this.journal.touch(series.uid, field, who, value);
      connector.userUpdate(remoteCalendarId, remoteId, series);
    };
  }

  /** Statuses a person must decide (edit against delete under `ask`): their items stay as they are. */
  awaitingPerson(uid: string, who: SideName): boolean {
    if (who === 'calendar') return false;
    return [...this.harness.binding(who).statuses.values()].some((s) => s.quarantined && this.calendar.events.get(s.eventId)?.uid === uid);
  }
}

async function checkInvariants(world: World): Promise<void> {
  const { harness, journal, calendar, policy } = world;
  const rounds = await harness.quiesce();
  assert.ok(rounds <= 12);
  assert.deepEqual(harness.quarantines.map((q) => q.reason), [], 'nothing is quarantined');
  for (const report of harness.passes) coverage.dropped += auditMerges(report, fieldRule(policy));

  // No event exists twice anywhere.
  const live = calendar.live();
  const uids = live.map((e) => e.series.uid);
  assert.equal(new Set(uids).size, uids.length, `calendar holds a uid twice: ${uids.join(' ')}`);
  for (const name of BINDINGS) {
    const items = world.connector(name).liveItems('remote');
    const remoteUids = items.map((i) => i.series.uid);
    assert.equal(new Set(remoteUids).size, remoteUids.length, `${name} holds a uid twice: ${remoteUids.join(' ')}`);
    // Every side converges on the same content, but for items a person has yet to decide.
    const settled = (uid: string) => !world.awaitingPerson(uid, name);
    assert.deepEqual(
      new Map(items.filter((i) => settled(i.series.uid)).map((i) => [i.series.uid, seriesHash(i.series)])),
      new Map(live.filter((e) => settled(e.series.uid)).map((e) => [e.series.uid, seriesHash(e.series)])),
      `${name} differs from the calendar`,
    );
  }
  const busy = world.connector('b3').liveItems('remote');
  assert.deepEqual(
    new Map(busy.map((i) => [i.series.uid, seriesHash(i.series)])),
    new Map(live.map((e) => [e.series.uid, seriesHash(project(e.series, 'busy-only'))])),
    'the busy-only binding shows exactly the calendar as busy blocks',
  );

  const alive = new Map(live.map((e) => [e.series.uid, normaliseSeries(e.series)]));
  // In the deleting binding an edit arrives through the calendar; in every other binding
  // the delete arrives through the calendar and meets the edit on the remote side.
  const canBeatDelete = (edited: SideName, deleter: SideName) => edited !== deleter && (
    (deleter !== 'calendar' && editBeatsDelete(policy, 'calendar')) || (edited !== 'calendar' && editBeatsDelete(policy, 'remote')));
  // Nothing deleted comes back unless an edit the deleter had not seen beat the delete under the policy.
  for (const [uid, deletes] of journal.deletes) {
    if (!alive.has(uid)) continue;
    const last = deletes[deletes.length - 1]!;
    if (journal.unknowable.has(`${uid} ${last.side}`) || world.awaitingPerson(uid, last.side)) continue;
    const revivers = (journal.edits.get(uid) ?? [])
      .filter((e) => (e.step > last.step || !journal.surelySeen(e, last.side, last.step)) && canBeatDelete(e.side, last.side));
    assert.ok(revivers.length > 0, `${uid} deleted by ${last.side} at step ${last.step} came back without an edit that beats a delete under ${JSON.stringify(policy)}`);
  }

  // Content never goes backwards: a field holds its last edit when that edit was made on
  // a copy that had surely seen every other side's edit of it. On an event deleted and
  // revived this is well defined for a field one side set, unless that side deleted its
  // own edited copy.
  for (const [uid, keys] of journal.touched) {
    const series = alive.get(uid);
    if (!series?.master) continue;
    const deletes = journal.deletes.get(uid) ?? [];
    for (const [key, sides] of keys) {
      const [who, last] = [...sides].reduce((a, b) => (b[1].step > a[1].step ? b : a));
      if ([...sides.keys()].some((s) => world.awaitingPerson(uid, s))) continue;
      if (deletes.length > 0) {
        if (sides.size > 1 || deletes.some((d) => d.side === who && d.step >= last.step)) continue;
      } else if ([...sides].some(([other, t]) => !journal.surelySeen({ step: t.step, side: other }, who, last.step))) {
        continue;
      }
      assert.deepEqual(actual(series, key), last.value, `${uid} ${key}: ${who} set it last at step ${last.step}, having seen every other edit`);
    }
  }

  // Conflicts arise only where both sides of a binding changed the same field, or one
  // side edited what the other deleted.
  for (const conflict of harness.conflicts) {
    const uid = calendar.events.get(conflict.eventId)?.uid ?? '';
    for (const field of conflict.fields) {
      if (field === '(deleted)') {
        assert.ok(journal.deletes.has(uid) && journal.edits.has(uid), `edit-vs-delete conflict on ${uid} without an edit and a delete`);
        continue;
      }
      const sides = journal.touched.get(uid)?.get(journalKey(field));
      assert.ok(sides && sides.size >= 2 && sides.has(conflict.binding as SideName), `conflict on ${uid} ${field} in ${conflict.binding}, touched by ${[...(sides?.keys() ?? [])].join(',')}`);
    }
  }
}

/** After every step, not only at the end: no side ever holds one meeting twice. */
function checkNoDuplicates(world: World): void {
  for (const who of [...SIDES, 'b3' as const]) {
    const uids = who === 'calendar' ? world.view('calendar').map((v) => v.series.uid) : world.connector(who).liveItems('remote').map((i) => i.series.uid);
    assert.equal(new Set(uids).size, uids.length, `${who} holds a uid twice after step ${world.journal.step}: ${uids.join(' ')}`);
  }
}

test('sync-machine: random interleavings on every side converge without duplicates, revivals or lost edits', { timeout: 30 * 60_000 }, async () => {
  const numRuns = Number(process.env.CALSYNC_MODEL_RUNS ?? 6000);
  const seed = process.env.CALSYNC_MODEL_SEED === undefined ? Date.now() % 2 ** 31 : Number(process.env.CALSYNC_MODEL_SEED);
  const path = process.env.CALSYNC_MODEL_PATH;
  const started = performance.now();
  try {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ ops, policy, noise }) => {
        const world = new World(policy, noise);
        for (const op of ops) {
          await world.apply(op);
          checkNoDuplicates(world);
        }
        for (const name of ALL_BINDINGS) {
          Object.assign(world.connector(name).faults, { failWrites: 0, flakyEtags: 0 });
          world.connector(name).beforeConditionalWrite = null;
        }
        await checkInvariants(world);
      }),
      { numRuns, seed, ...(path ? { path } : {}) },
    );
  } catch (error) {
    const found = /seed: (-?\d+), path: "([^"]*)"/.exec(String((error as Error).message));
    console.error(`sync-machine failed; replay with CALSYNC_MODEL_SEED=${found?.[1] ?? seed} CALSYNC_MODEL_PATH=${found?.[2] ?? ''} CALSYNC_MODEL_RUNS=1`);
    console.error(String((error as Error).cause ?? ''));
    throw error;
  }
  console.log(`sync-machine: ${numRuns} runs, seed ${seed}, ${((performance.now() - started) / 1000).toFixed(1)} s; ${coverage.preconditionFailed} writes refused by If-Match, ${coverage.dropped} values dropped by merges`);
  // The race fault exists to exercise If-Match → 412 → the next pass merges; a full run must take that path.
  if (numRuns >= 1000 && !path) assert.ok(coverage.preconditionFailed > 0, 'no write was refused with 412 (precondition failed)');
});
