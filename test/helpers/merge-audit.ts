// Checks of the merges a pass planned, against the inputs they were planned from (not
// against what the merge reports about itself): a value a merge dropped was changed on
// both sides since the base, so was every field it sent to a person, and the side that
// won a two-sided change is the one the binding's policy names.
import assert from 'node:assert/strict';
import { canonicalJson } from '../../src/core/hash.ts';
import type { MergeResult } from '../../src/core/merge.ts';
import type { CanonicalEvent, EventSeries } from '../../src/core/model.ts';
import { normaliseSeries } from '../../src/core/normalise.ts';
import type { Action, PlanInput } from '../../src/core/plan.ts';
import type { FieldRule, MergeField } from '../../src/core/policy.ts';

type MergeAction = Extract<Action, { op: 'merge' }>;

interface MergeInputs {
  base: EventSeries | null;
  calendar: EventSeries;
  remote: EventSeries;
  calendarAt: string | null;
  remoteAt: string | null;
}

/** One plan of a pass: the binding, what the planner was given and the actions it made. */
export interface PlannedSlice {
  binding: string;
  input: PlanInput;
  actions: Action[];
}

/** Every merge of a plan, audited against the rule the policy sets per unit; the number of values merges dropped. */
export function auditMerges(report: PlannedSlice, ruleOf: (unit: MergeField) => FieldRule): number {
  const { input, actions } = report;
  let dropped = 0;
  actions.forEach((action, i) => {
    if (action.op !== 'merge') return;
    const inputs = mergeInputs(input, actions.slice(0, i), action);
    const where = `${report.binding} ${action.rule} of ${action.eventId}`;
    for (const decision of action.result.decisions) {
      if (decision.lost === undefined) continue;
      dropped++;
      assert.ok(bothChanged(inputs, decision.field), `${where}: dropped a value of ${decision.field}, which one side only changed`);
      if (decision.rule === 'attendees/newest-response') continue;
      assert.equal(decision.took, expectedWinner(ruleOf, inputs, decision.field, action.result), `${where}: ${decision.field} went against the policy`);
    }
    for (const conflict of action.result.conflicts) {
      assert.ok(bothChanged(inputs, conflict.field), `${where}: conflict on ${conflict.field}, which one side only changed`);
    }
  });
  return dropped;
}

/** What the planner merged: the base it held (or the one a lost write's answer gave), the two sides. */
function mergeInputs(input: PlanInput, before: Action[], merge: MergeAction): MergeInputs {
  const status = input.statuses.find((s) => s.eventId === merge.eventId);
  const cal = input.calendar.find((e) => e.eventId === merge.eventId)!;
  // The delivery the merge was planned from (a listing may hold older ones of the item too).
  // Or, for a calendar change while fields are asked, what the status says the remote holds.
  const item = input.remote.items.find((i) => i.remoteId === merge.remoteId && i.etag === merge.etag)
    ?? { series: status!.asked!.remote, updatedAt: status!.remoteUpdatedAt ?? null };
  const landed = before.findLast((a) => a.op === 'skip' && a.rule === 'sent/landed' && a.eventId === merge.eventId)?.next;
  const base = merge.rule.startsWith('match/') ? null : landed && landed !== 'drop' ? landed.base : status!.base;
  // A tombstone restored by a remote edit merges onto the content it had when deleted.
  const calendar = merge.rule.startsWith('edit-vs-delete') ? cal.lastSeries! : cal.series!;
  return {
    base: base && normaliseSeries(base), calendar: normaliseSeries(calendar), remote: normaliseSeries(item.series!),
    calendarAt: cal.updatedAt, remoteAt: item.updatedAt,
  };
}

function bothChanged({ base, calendar, remote }: MergeInputs, field: string): boolean {
  const [c, r] = [valueAt(calendar, field), valueAt(remote, field)];
  if (base === null) return !same(c, r);
  const b = valueAt(base, field);
  return !same(c, b) && !same(r, b);
}

/** The side a two-sided change of `field` goes to under `policy` (merge.ts `decide`). */
function expectedWinner(ruleOf: (unit: MergeField) => FieldRule, inputs: MergeInputs, field: string, result: MergeResult): string {
  let rule = ruleOf(unitOf(field));
  // Without a base nobody can tell who changed what: the later write settles it.
  if (rule === 'ask' && !hadBase(inputs.base, field)) rule = 'latest';
  if (rule === 'ask') {
    assert.ok(result.conflicts.some((c) => c.field === field), `${field} was asked about but no conflict was raised`);
    return 'calendar';
  }
  if (rule !== 'latest') return rule;
  const c = inputs.calendarAt ? Date.parse(inputs.calendarAt) : Number.NaN;
  const r = inputs.remoteAt ? Date.parse(inputs.remoteAt) : Number.NaN;
  return Number.isFinite(r) && (!Number.isFinite(c) || r > c) ? 'remote' : 'calendar';
}

function unitOf(field: string): MergeField {
  const rest = field.replace(/^overrides\[[^\]]+\]\./, '');
  return (rest.startsWith('attendees[') ? 'attendees' : rest) as MergeField;
}

/** Whether the base holds the event (and attendee) the field belongs to. */
function hadBase(base: EventSeries | null, field: string): boolean {
  const { event, rest } = locate(base, field);
  if (!event) return false;
  const attendee = /^attendees\[(.+)\]\./.exec(rest ?? '');
  return !attendee || event.attendees.some((a) => a.email === attendee[1]);
}

function locate(series: EventSeries | null, field: string): { event: CanonicalEvent | undefined; rest: string | undefined } {
  const override = /^overrides\[([^\]]+)\](?:\.(.+))?$/.exec(field);
  if (!override) return { event: series?.master ?? undefined, rest: field };
  return { event: series?.overrides.find((o) => o.recurrenceId === override[1]), rest: override[2] };
}

/** The value of one merge unit, named as merge decisions name it, in a normal form. */
function valueAt(series: EventSeries, field: string): unknown {
  const { event, rest } = locate(series, field);
  if (rest === undefined) {
    // A whole instance: its override, and whether the master cancels it.
    const rid = /^overrides\[([^\]]+)\]$/.exec(field)![1]!;
    return { override: event ?? null, cancelled: series.master?.recurrence?.exdate.includes(rid) ?? false };
  }
  if (!event) return undefined;
  const attendee = /^attendees\[(.+)\]\.(person|response)$/.exec(rest);
  if (attendee) {
    const a = event.attendees.find((x) => x.email === attendee[1]);
    return a && (attendee[2] === 'person' ? { name: a.name, role: a.role } : a.response);
  }
  if (rest === 'time') return { allDay: event.allDay, start: event.start, end: event.end };
  if (rest === 'recurrence') return event.recurrence && { rrule: event.recurrence.rrule, rdate: event.recurrence.rdate };
  return event[rest as keyof CanonicalEvent];
}

function same(a: unknown, b: unknown): boolean {
  return canonicalJson(a ?? null) === canonicalJson(b ?? null);
}
