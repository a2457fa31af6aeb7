// The sync engine as a random state machine (CONVENTIONS.md 6), on the real engine: one
// calendar in a real database, two to four bindings (one a busy-only export) to memory
// providers that behave as real ones do, passes run by the job handler. Random creates,
// edits, deletes, recurrence and instance changes on every side (the calendar through
// the app's write path) interleave with passes, failed writes and lost answers, flaky
// etags, other clients writing between a listing and a write, duplicated, reordered
// and stale deliveries, expired cursors, unreadable items, rate limits, and passes
// interrupted at any await: the process dies, the pass stalls past its lease while
// another worker takes the binding over, or the app writes meanwhile. Every merge
// policy. Then everything quiesces and the invariants of ARCHITECTURE.md must hold.
//   CALSYNC_MODEL_RUNS         runs (default 25: a short run for every test run)
//   CALSYNC_MODEL_STEPS        steps at most per run (default 40)
//   CALSYNC_MODEL_TOTAL_STEPS  a soak: batches of RUNS runs, seed after seed, until this many steps ran
//   CALSYNC_MODEL_SEED         (first) seed;  CALSYNC_MODEL_PATH  shrink path to replay
// `npm run test:soak` runs at least 100,000 steps.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import type { EventSeries } from '../../src/core/model.ts';
import { normaliseSeries } from '../../src/core/normalise.ts';
import { parsePolicy, type EditVsDeleteRule, type FieldRule, type MergeField, type PolicyMode } from '../../src/core/policy.ts';
import { busyCopyUid, project } from '../../src/core/projection.ts';
import { hashNormal } from '../../src/core/hash.ts';
import { listConflicts } from '../../src/store/conflicts.ts';
import { createApiKey } from '../../src/store/tenants.ts';
import { appOn } from '../helpers/app.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { ModelWorld, type PassRecord } from '../helpers/engine-model.ts';
import { event } from '../helpers/events.ts';
import type { Interruption, InterruptionKind } from '../helpers/interposer.ts';
import { auditMerges } from '../helpers/merge-audit.ts';
import { actual, FIELDS, journalKey, Journal, SeriesEditor, type InstanceChange, type SideName } from '../helpers/sync-model.ts';

let t: TestDatabase;
// The operator's view: what a person sees and settles goes through the admin API.
let app: FastifyInstance;
before(async () => {
  t = await freshDatabase();
  app = await appOn(t);
});
after(async () => {
  await app.close();
  await t.drop();
});

/** A request to the admin API as an operator of the world's tenant. */
async function admin(world: ModelWorld, method: 'GET' | 'POST', url: string, payload?: object): Promise<any> {
  world.apiKey ??= (await createApiKey(world.db, world.tenantId, 'operator')).key;
  const res = await app.inject({ method, url, headers: { authorization: `Bearer ${world.apiKey}` }, ...(payload ? { payload } : {}) });
  assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
  return res.json();
}

type Kind = 'timed' | 'weekly' | 'all-day' | 'zoned';
type Edit = { pick: number; field: (typeof FIELDS)[number]; n: number };
type Op =
  | { t: 'create'; side: number; kind: Kind }
  | ({ t: 'edit'; side: number } & Edit)
  | { t: 'rdate'; side: number; pick: number; n: number }
  | { t: 'instance'; side: number; pick: number; change: InstanceChange }
  | { t: 'delete'; side: number; pick: number }
  | { t: 'sync'; binding: number; interrupt: (Interruption & { edit: Edit }) | null }
  | { t: 'fault'; binding: number; kind: 'fail' | 'lost-answer' | 'flaky' | 'touch' | 'expire' | 'race' | 'corrupt' | 'rate-limit'; pick: number };

const pick = fc.nat(5);
const side = fc.nat(3);
const editArb = fc.record({ pick, field: fc.constantFrom(...FIELDS), n: fc.nat(9) });
const instanceChange: fc.Arbitrary<InstanceChange> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('override' as const), inst: fc.nat(3), field: fc.constantFrom('summary' as const, 'location' as const, 'time' as const), n: fc.nat(9) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('cancel' as const), inst: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('uncancel' as const), inst: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('unoverride' as const), inst: fc.nat(3) }) },
);
const interruptArb = fc.option(fc.record({
  kind: fc.constantFrom<InterruptionKind>('crash', 'takeover', 'app-write'),
  // Passes of a few items take 10 to 60 statements and calls.
  at: fc.nat(60),
  edit: editArb,
}), { freq: 3 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ t: fc.constant('create' as const), side, kind: fc.constantFrom<Kind>('timed', 'weekly', 'weekly', 'all-day', 'zoned') }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('edit' as const), side, pick, field: fc.constantFrom(...FIELDS), n: fc.nat(9) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('rdate' as const), side, pick, n: fc.nat(3) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('instance' as const), side, pick, change: instanceChange }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('delete' as const), side, pick }) },
  { weight: 7, arbitrary: fc.record({ t: fc.constant('sync' as const), binding: fc.nat(3), interrupt: interruptArb }) },
  {
    weight: 2, arbitrary: fc.record({
      t: fc.constant('fault' as const), binding: fc.nat(3), pick,
      kind: fc.constantFrom('fail' as const, 'lost-answer' as const, 'flaky' as const, 'touch' as const, 'expire' as const, 'race' as const, 'corrupt' as const, 'rate-limit' as const),
    }),
  },
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
const maxSteps = Number(process.env.CALSYNC_MODEL_STEPS ?? 40);
const scenarioArb = fc.record({
  twoWay: fc.integer({ min: 1, max: 3 }),
  ops: fc.array(opArb, { minLength: 1, maxLength: maxSteps, size: 'max' }),
  policy: policyArb,
  noise: fc.record({
    duplicates: fc.boolean(), reorder: fc.boolean(), stale: fc.boolean(), seed: fc.nat(),
    derivedIds: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), snapshotDiffs: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
  }),
  repairAtEnd: fc.boolean(),
});

/** Over all runs: how often the paths the faults aim at were taken. */
const coverage = { steps: 0, resolved: 0, interrupted: { crash: 0, takeover: 0, 'app-write': 0 } as Record<InterruptionKind, number>, refused: 0, quarantined: 0, dropped: 0 };

function seriesOf(kind: Kind, uid: string, summary: string): EventSeries {
  const master = kind === 'all-day'
    ? event({ uid, summary, allDay: true, start: { local: '2026-03-05', tz: null }, end: { local: '2026-03-06', tz: null } })
    : kind === 'zoned'
      ? event({ uid, summary, start: { local: '2026-03-03T09:00:00', tz: 'America/New_York' }, end: { local: '2026-03-03T10:00:00', tz: 'America/New_York' } })
      : event({ uid, summary, ...(kind === 'weekly' ? { recurrence: { rrule: ['FREQ=WEEKLY;COUNT=6'], rdate: [], exdate: [] } } : {}) });
  return { uid, master, overrides: [] };
}

class Run {
  readonly journal = new Journal();
  private readonly editor: SeriesEditor;
  private uids = 0;

  constructor(readonly world: ModelWorld, readonly policy: PolicySpec) {
    this.editor = new SeriesEditor(this.journal, world.instant);
  }

  private sideOf(n: number): SideName {
    const sides: SideName[] = ['calendar', ...this.world.twoWay.map((b) => b.name)];
    return sides[n % sides.length]!;
  }

  private bindingOf(n: number): string {
    return this.world.bindings[n % this.world.bindings.length]!.name;
  }

  async apply(op: Op): Promise<void> {
    const j = this.journal;
    j.step++;
    coverage.steps++;
    const value = `${op.t}-${j.step}`;
    switch (op.t) {
      case 'create': {
        const who = this.sideOf(op.side);
        await this.world.create(who, seriesOf(op.kind, `u${++this.uids}`, value));
        return;
      }
      case 'edit': case 'rdate': case 'instance': case 'delete': {
        const who = this.sideOf(op.side);
        // Instance changes pick among series of the Monday 10:00 rule they are written for.
        const items = (await this.world.view(who)).filter((v) => (op.t !== 'rdate' && op.t !== 'instance')
          || (v.series.master?.recurrence && v.series.master.start.tz === 'Europe/Berlin' && v.series.master.start.local === '2026-03-02T10:00:00'));
        const target = items[op.pick % Math.max(items.length, 1)];
        if (!target) return;
        if (op.t === 'delete') {
          j.deletes.set(target.series.uid, [...(j.deletes.get(target.series.uid) ?? []), { step: j.step, side: who }]);
          // A provider whose ids calsync does not choose reports a deletion by id alone: an
          // item whose create answer was lost cannot be told from one calsync never made.
          // Listings that are snapshot differences never report an item made after the
          // stored cursor and gone before the next listing, whatever its id.
          const side = who === 'calendar' ? null : this.world.binding(who);
          if (side && (!side.derivedIds || side.connector.capabilities.snapshotDiffs) && await this.pendingCreate(who, target.series.uid)) j.unknowable.add(`${target.series.uid} ${who}`);
          await this.world.remove(who, target.id);
          if (who !== 'calendar') j.readable(target.series.uid, who);
          return;
        }
        const series = structuredClone(target.series);
        const changed = op.t === 'edit' ? this.editor.edit(series, who, op.field, op.n, value)
          : op.t === 'rdate' ? this.editor.addRdate(series, who, op.n)
            : this.editor.instance(series, who, op.change, value);
        if (changed) {
          await this.world.save(who, target.id, series);
          if (who !== 'calendar') j.readable(target.series.uid, who);
        }
        return;
      }
      case 'sync': {
        const name = this.bindingOf(op.binding);
        const interrupt = op.interrupt;
        const pass = await this.world.passConfirming(name, interrupt && { kind: interrupt.kind, at: interrupt.at }, async () => {
          // The app edits the calendar while the pass runs.
          await this.world.appEdit(interrupt!.edit.pick, (series) => this.editor.edit(series, 'calendar', interrupt!.edit.field, interrupt!.edit.n, `during-${j.step}`));
        });
        if (pass.fired) coverage.interrupted[pass.fired as InterruptionKind]++;
        j.passes.push({ step: j.step, side: name, clean: pass.clean, asking: await this.asking(name) });
        return;
      }
      case 'fault': {
        const b = this.world.binding(this.bindingOf(op.binding));
        const faults = b.connector.faults;
        if (op.kind === 'fail') Object.assign(faults, { failWrites: 1, failAfterApply: false });
        if (op.kind === 'lost-answer') Object.assign(faults, { failWrites: 1, failAfterApply: true });
        if (op.kind === 'flaky') faults.flakyEtags = faults.flakyEtags > 0 ? 0 : 0.5;
        if (op.kind === 'rate-limit') faults.rateLimit = 1;
        if (op.kind === 'race') this.raceNextWrite(b.name);
        if (op.kind === 'corrupt' && !b.busy) {
          const uid = this.world.corrupt(b.name, op.pick);
          if (uid !== null) j.corrupted(uid, b.name);
        }
        if (op.kind === 'touch') {
          const items = b.connector.liveItems(b.name);
          if (items.length > 0) b.connector.touch(b.name, items[op.pick % items.length]!.remoteId);
        }
        if (op.kind === 'expire') {
          b.connector.expireCursors(b.name);
          // A complete listing cannot tell a create whose answer was lost from an item
          // deleted since: the planner re-creates rather than lose the event.
          const { rows } = await this.world.db.query<{ uid: string }>(
            `select e.ical_uid as uid from sync_status s join events e on e.tenant_id = s.tenant_id and e.id = s.event_id where s.binding_id = $1 and s.pending`, [b.id]);
          for (const row of rows) j.unknowable.add(`${row.uid} ${b.name}`);
        }
        return;
      }
    }
  }

  /**
   * Another client writes the item the binding's next conditional write is about, after
   * the pass listed it: a person's edit (the server only rewrites the etag of busy
   * blocks, which nobody edits). The write then fails with 412 and is merged.
   */
  private raceNextWrite(name: string): void {
    const b = this.world.binding(name);
    b.connector.beforeConditionalWrite = (remoteCalendarId, remoteId) => {
      const item = b.connector.liveItems(remoteCalendarId).find((i) => i.remoteId === remoteId);
      if (!item?.series.master || b.busy || b.corrupted.has(remoteId)) {
        b.connector.touch(remoteCalendarId, remoteId);
        return;
      }
      const series = structuredClone(item.series);
      const field = this.journal.step % 2 === 0 ? 'summary' : 'location';
      const value = `race-${name}-${this.journal.step}`;
      series.master![field] = value;
      this.journal.touch(series.uid, field, name, value);
      b.connector.userUpdate(remoteCalendarId, remoteId, series);
    };
  }

  private async pendingCreate(name: string, uid: string): Promise<boolean> {
    const { rows } = await this.world.db.query(
      `select 1 from sync_status s join events e on e.tenant_id = s.tenant_id and e.id = s.event_id
        where s.binding_id = $1 and s.pending and e.ical_uid = $2`, [this.world.binding(name).id, uid]);
    return rows.length > 0;
  }

  /** uid → bindings on which a person must decide an edit against a delete (its items stay as they are). */
  /** The uids with a question open on the binding: its passes keep each side's value of what is asked. */
  private async asking(name: string): Promise<Set<string>> {
    const { rows } = await this.world.db.query<{ uid: string }>(
      `select distinct e.ical_uid as uid from conflicts c join events e on e.tenant_id = c.tenant_id and e.id = c.event_id
        where c.tenant_id = $1 and c.binding_id = $2 and c.state = 'open'`, [this.world.tenantId, this.world.binding(name).id]);
    return new Set(rows.map((r) => r.uid));
  }

  async awaitingPerson(): Promise<Set<string>> {
    const { rows } = await this.world.db.query<{ uid: string; binding_id: string }>(
      `select distinct e.ical_uid as uid, s.binding_id from sync_status s join events e on e.tenant_id = s.tenant_id and e.id = s.event_id
        where s.tenant_id = $1 and s.quarantined_at is not null`, [this.world.tenantId]);
    return new Set(rows.map((r) => `${r.uid} ${this.world.bindings.find((b) => b.id === r.binding_id)!.name}`));
  }
}

async function checkInvariants(run: Run, repairAtEnd: boolean): Promise<void> {
  const { world, journal, policy } = run;
  for (const b of world.bindings) {
    Object.assign(b.connector.faults, { failWrites: 0, flakyEtags: 0, rateLimit: 0 });
    b.connector.beforeConditionalWrite = null;
  }
  if (repairAtEnd) {
    world.repairAll();
    journal.readable(null, null);
  }
  await world.quiesce();
  // Meanwhile each side keeps its value of a field sent to a person; now a person
  // decides every open conflict (one side, then the other), and the choice must reach
  // every side. A resolution can leave another binding's conflict on the field open.
  for (let round = 0; round < 5; round++) {
    const open = await listConflicts(world.db, world.tenantId, { state: 'open', limit: 1000 });
    if (open.length === 0) break;
    // Every open conflict is listed for a person, with its values.
    const listed = (await admin(world, 'GET', '/admin/v1/conflicts?maxResults=500')).items as Array<{ id: string; field: string }>;
    assert.deepEqual(listed.map((c) => c.id).sort(), open.map((c) => c.id).sort(), 'the admin API lists every open conflict');
    const uids = await uidsOf(world, open.map((c) => c.eventId));
    for (const [i, conflict] of open.sort((a, b) => `${uids.get(a.eventId)} ${a.field}`.localeCompare(`${uids.get(b.eventId)} ${b.field}`)).entries()) {
      await admin(world, 'POST', `/admin/v1/conflicts/${conflict.id}/resolve`, { take: i % 2 === 0 ? 'calendar' : 'remote' });
      journal.decided.add(`${uids.get(conflict.eventId)} ${journalKey(conflict.field)}`);
      coverage.resolved++;
    }
    await world.quiesce();
  }
  assert.deepEqual(await listConflicts(world.db, world.tenantId, { state: 'open' }), [], 'every conflict was decided');
  for (const pass of world.passes) {
    coverage.dropped += auditPass(pass, policy);
    // Two passes of one binding never write at once.
    assert.equal(pass.writesAfterTakeover, 0, `${pass.binding}: a pass wrote to the provider after another took its lease over`);
    assert.equal(pass.commitsAfterTakeover, 0, `${pass.binding}: a pass committed after another took its lease over`);
  }
  for (const b of world.bindings) assert.ok(await world.leaseFree(b.name), `${b.name}: a lease is still held after the world settled`);

  const awaiting = await run.awaitingPerson();
  const live = await world.view('calendar');
  const uids = live.map((e) => e.series.uid);
  assert.equal(new Set(uids).size, uids.length, `the calendar holds a uid twice: ${uids.join(' ')}`);
  // Items nobody can read keep whatever they hold; every one is listed for an operator.
  // Per binding, the uids of its items nobody can read; `unreadable` all of them.
  const unreadableOn = new Map<string, Set<string>>();
  const unreadable = new Set<string>();
  for (const b of world.bindings) {
    const listed = (await admin(world, 'GET', `/admin/v1/quarantine?bindingId=${b.id}&kind=remote&maxResults=500`)).items.map((q: { remoteId: string }) => q.remoteId).sort();
    assert.deepEqual(listed, [...b.corrupted.keys()].sort(), `${b.name}: the admin API lists exactly the unreadable items as quarantined`);
    coverage.quarantined += listed.length;
    const uids = new Set(b.connector.liveItems(b.name).filter((i) => b.corrupted.has(i.remoteId)).map((i) => i.series.uid));
    unreadableOn.set(b.name, uids);
    for (const uid of uids) unreadable.add(uid);
  }
  for (const b of world.bindings) {
    const items = b.connector.liveItems(b.name);
    const remoteUids = items.map((i) => i.series.uid);
    assert.equal(new Set(remoteUids).size, remoteUids.length, `${b.name} holds a uid twice: ${remoteUids.join(' ')}`);
    // What the binding shows of a calendar event is keyed by the UID its copy carries.
    const shownUid = (uid: string) => (b.busy ? busyCopyUid(uid) : uid);
    const held = new Set([...(unreadableOn.get(b.name) ?? [])]);
    const settled = (uid: string) => !awaiting.has(`${uid} ${b.name}`) && !held.has(uid);
    const shown = (series: EventSeries) => hash(b.busy ? project(series, 'busy-only') : series);
    assert.deepEqual(
      new Map(items.filter((i) => settled(i.series.uid)).map((i) => [i.series.uid, hash(i.series)])),
      new Map(live.filter((e) => settled(shownUid(e.series.uid))).map((e) => [shownUid(e.series.uid), shown(e.series)])),
      `${b.name} differs from the calendar`,
    );
  }

  const alive = new Map(live.map((e) => [e.series.uid, normaliseSeries(e.series)]));
  const isAwaiting = (uid: string, who: SideName) => who !== 'calendar' && awaiting.has(`${uid} ${who}`);
  // In the deleting binding an edit arrives through the calendar; in every other binding
  // the delete arrives through the calendar and meets the edit on the remote side.
  const canBeatDelete = (edited: SideName, deleter: SideName) => edited !== deleter && (
    (deleter !== 'calendar' && editBeatsDelete(policy, 'calendar')) || (edited !== 'calendar' && editBeatsDelete(policy, 'remote')));
  // Nothing deleted comes back unless an edit the deleter had not seen beat the delete under the policy.
  for (const [uid, deletes] of journal.deletes) {
    if (!alive.has(uid) || unreadable.has(uid)) continue;
    const last = deletes[deletes.length - 1]!;
    if (journal.unknowable.has(`${uid} ${last.side}`) || isAwaiting(uid, last.side)) continue;
    if (journal.decided.has(`${uid} (deleted)`)) continue;
    const revivers = (journal.edits.get(uid) ?? [])
      .filter((e) => (e.step > last.step || !journal.surelySeen(uid, e, last.side, last.step)) && canBeatDelete(e.side, last.side));
    assert.ok(revivers.length > 0, `${uid} deleted by ${last.side} at step ${last.step} came back without an edit that beats a delete under ${JSON.stringify(policy)}`);
  }

  // Content never goes backwards: a field holds its last edit when that edit was made on
  // a copy that had surely seen every other side's edit of it. On an event deleted and
  // revived this is well defined for a field one side set, unless that side deleted its
  // own edited copy.
  for (const [uid, keys] of journal.touched) {
    const series = alive.get(uid);
    if (!series?.master || unreadable.has(uid)) continue;
    const deletes = journal.deletes.get(uid) ?? [];
    for (const [key, sides] of keys) {
      const [who, last] = [...sides].reduce((a, b) => (b[1].step > a[1].step ? b : a));
      // A person decided this field, or the item's fate (an edit against a delete: taking
      // a side keeps one side's copy whole, and the other's edits go with it).
      if ([...sides.keys()].some((s) => isAwaiting(uid, s)) || journal.decided.has(`${uid} ${key}`) || journal.decided.has(`${uid} (deleted)`)) continue;
      if (deletes.length > 0) {
        if (sides.size > 1 || deletes.some((d) => d.side === who && d.step >= last.step)) continue;
      } else if ([...sides].some(([other, touch]) => !journal.surelySeen(uid, { step: touch.step, side: other }, who, last.step))) {
        continue;
      }
      assert.deepEqual(actual(series, key), last.value, `${uid} ${key}: ${who} set it last at step ${last.step}, having seen every other edit`);
    }
  }

  // Conflicts arise only where both sides of a binding changed the same field, or one
  // side edited what the other deleted.
  const { rows: conflicts } = await world.db.query<{ binding_id: string; uid: string; fields: string[] }>(
    `select c.binding_id, (select min(e.ical_uid) from events e where e.tenant_id = c.tenant_id and e.series_id = c.event_id) as uid, c.fields
       from conflicts c where c.tenant_id = $1`, [world.tenantId]);
  for (const conflict of conflicts) {
    const name = world.bindings.find((b) => b.id === conflict.binding_id)!.name;
    for (const field of conflict.fields) {
      if (field === '(deleted)') {
        assert.ok(journal.deletes.has(conflict.uid) && journal.edits.has(conflict.uid), `edit-vs-delete conflict on ${conflict.uid} without an edit and a delete`);
        continue;
      }
      const sides = journal.touched.get(conflict.uid)?.get(journalKey(field));
      assert.ok(sides && sides.size >= 2 && (sides.has(name) || sides.has('calendar')), `conflict on ${conflict.uid} ${field} in ${name}, touched by ${[...(sides?.keys() ?? [])].join(',')}`);
    }
  }
}

async function uidsOf(world: ModelWorld, eventIds: string[]): Promise<Map<string, string>> {
  const { rows } = await world.db.query<{ series_id: string; uid: string }>(
    'select distinct series_id, ical_uid as uid from events where tenant_id = $1 and series_id = any($2::uuid[])', [world.tenantId, eventIds]);
  return new Map(rows.map((r) => [r.series_id, r.uid]));
}

function auditPass(pass: PassRecord, policy: PolicySpec): number {
  let dropped = 0;
  for (const { input, actions } of pass.plans) dropped += auditMerges({ binding: pass.binding, input, actions }, fieldRule(policy));
  coverage.refused += pass.plans.reduce((n, p) => n + p.actions.filter((a) => a.rule === 'sent/landed').length, 0);
  return dropped;
}

function hash(series: EventSeries): string {
  return hashNormal(normaliseSeries(series));
}

/** After every step, not only at the end: no side ever holds one meeting twice. */
async function checkNoDuplicates(run: Run): Promise<void> {
  for (const who of ['calendar', ...run.world.bindings.map((b) => b.name)]) {
    const uids = (await run.world.view(who)).map((v) => v.series.uid);
    assert.equal(new Set(uids).size, uids.length, `${who} holds a uid twice after step ${run.journal.step}: ${uids.join(' ')}`);
  }
}

const soak = process.env.CALSYNC_MODEL_TOTAL_STEPS !== undefined;

test('sync-machine: the real engine converges without duplicates, revivals or lost edits under faults, crashes and takeovers', { timeout: (soak ? 3 * 60 : 60) * 60_000 }, async () => {
  const numRuns = Number(process.env.CALSYNC_MODEL_RUNS ?? 25);
  // A soak runs batches of numRuns, each from the next seed, until this many steps ran.
  const totalSteps = Number(process.env.CALSYNC_MODEL_TOTAL_STEPS ?? 0);
  const firstSeed = process.env.CALSYNC_MODEL_SEED === undefined ? Date.now() % 2 ** 31 : Number(process.env.CALSYNC_MODEL_SEED);
  const path = process.env.CALSYNC_MODEL_PATH;
  const started = performance.now();
  let batches = 0;
  do {
    const seed = (firstSeed + batches) % 2 ** 31;
    batches++;
    try {
      await fc.assert(
        fc.asyncProperty(scenarioArb, async ({ twoWay, ops, policy, noise, repairAtEnd }) => {
          const parsed = parsePolicy({ mode: policy.mode, fields: policy.askDescription ? { description: 'ask' } : {}, ...(policy.editVsDelete ? { editVsDelete: policy.editVsDelete } : {}) });
          const world = await ModelWorld.create(t.db, twoWay, parsed, noise);
          const run = new Run(world, policy);
          for (const op of ops) {
            await run.apply(op);
            await checkNoDuplicates(run);
          }
          await checkInvariants(run, repairAtEnd);
        }),
        { numRuns, seed, ...(path ? { path } : {}) },
      );
    } catch (error) {
      const found = /seed: (-?\d+), path: "([^"]*)"/.exec(String((error as Error).message));
      console.error(String((error as Error).cause ?? ''));
      console.error(`sync-machine failed after ${coverage.steps} steps; replay with CALSYNC_MODEL_SEED=${found?.[1] ?? seed} CALSYNC_MODEL_PATH=${found?.[2] ?? ''} CALSYNC_MODEL_RUNS=1 CALSYNC_MODEL_STEPS=${maxSteps} npm test -- sync-machine`);
      throw error;
    }
    if (soak) console.log(`sync-machine: ${coverage.steps} steps so far (batch ${batches}, seed ${seed}), ${((performance.now() - started) / 1000).toFixed(0)} s`);
  } while (coverage.steps < totalSteps && !path);
  const seconds = (performance.now() - started) / 1000;
  console.log(`sync-machine: ${batches * numRuns} runs, ${coverage.steps} steps, seeds ${firstSeed}…${(firstSeed + batches - 1) % 2 ** 31}, ${seconds.toFixed(1)} s; interrupted ${JSON.stringify(coverage.interrupted)}; ${coverage.refused} lost answers recognised, ${coverage.quarantined} items quarantined at the end, ${coverage.resolved} conflicts decided, ${coverage.dropped} values dropped by merges`);
  if (batches * numRuns >= 200 && !path) {
    // The faults exist to take these paths; a long run that never did proves little.
    for (const kind of ['crash', 'takeover', 'app-write'] as const) assert.ok(coverage.interrupted[kind] > 0, `no pass was interrupted by ${kind}`);
    assert.ok(coverage.resolved > 0, 'no conflict was decided');
    assert.ok(coverage.quarantined > 0, 'no unreadable item was left quarantined');
  }
});
