// Three-way merge of one series, field by field against the base (ARCHITECTURE.md
// "Merge policy"). A unit changed on one side takes that side; changed on both, the
// binding's policy decides (later write, a person, or one side). Start, end and allDay
// move as one unit; the series rule is one unit while removed instances merge as a set;
// attendees merge by email with the newest response; overrides merge by recurrence id.
// Comparisons use normal forms; the merged event keeps each side's own presentation
// (HTML body, extras) where that side's value was taken.
import { objectArgument, stringArgument } from './arguments.ts';
import { CoreError } from './errors.ts';
import { canonicalJson } from './hash.ts';
import type { Attendee, CanonicalEvent, EventSeries, LocalDateTime } from './model.ts';
import { compare, normaliseEmail, normaliseEvent, normaliseLocal, normaliseSeries } from './normalise.ts';
import { defaultPolicy, editVsDeleteOutcome, parsePolicy, ruleFor, ruleName, type MergeField, type MergePolicy, type Side } from './policy.ts';

export interface MergeInput {
  /** What both sides last agreed on; null when they first meet (matched by iCalUID). */
  base: EventSeries | null;
  calendar: EventSeries;
  remote: EventSeries;
  /** When each side last wrote this item (ISO instants), for "latest write wins". */
  calendarUpdatedAt: string | null;
  remoteUpdatedAt: string | null;
  policy: MergePolicy;
}

export type Took = Side | 'both-same' | 'merged';

export interface MergeDecision {
  /** The unit decided, e.g. `summary`, `time`, `attendees[bob@example.com]`, `overrides[2026-03-09T10:00:00].location`. */
  field: string;
  took: Took;
  rule: string;
  reason: string;
  /** The value that lost a same-field change, kept for history. */
  lost?: unknown;
}

export interface MergeConflict {
  field: string;
  base: unknown;
  calendar: unknown;
  remote: unknown;
}

export interface MergeResult {
  /**
   * The series the calendar should hold. A field in `conflicts` keeps the calendar's
   * value until a person resolves it; the remote's value is in the conflict.
   */
  merged: EventSeries;
  /**
   * The series the remote should hold: `merged`, but a field in `conflicts` keeps the
   * remote's value, so neither side's value is overwritten before a person decides.
   */
  remote: EventSeries;
  /**
   * The base to store: `merged`, but a field in `conflicts` keeps the base's value, so
   * both sides still differ from it there and the field stays asked about.
   */
  base: EventSeries;
  decisions: MergeDecision[];
  conflicts: MergeConflict[];
}

/** Whose value a field sent to a person keeps meanwhile. */
type AskTakes = 'calendar' | 'remote' | 'base';

interface Context {
  policy: MergePolicy;
  askTakes: AskTakes;
  later: Side;
  laterReason: string;
  decisions: MergeDecision[];
  conflicts: MergeConflict[];
}

type Unit = { field: MergeField; get: (e: CanonicalEvent) => unknown; set: (e: CanonicalEvent, v: any) => void };

const plain = (field: Exclude<MergeField, 'time' | 'recurrence' | 'attendees'>): Unit => ({
  field,
  get: (e) => e[field],
  set: (e, v) => { (e as any)[field] = v; },
});

const UNITS: Unit[] = [
  {
    field: 'time',
    get: (e) => ({ allDay: e.allDay, start: e.start, end: e.end }),
    set: (e, v) => { e.allDay = v.allDay; e.start = v.start; e.end = v.end; },
  },
  {
    field: 'recurrence',
    get: (e) => (e.recurrence ? { rrule: e.recurrence.rrule, rdate: e.recurrence.rdate } : null),
    set: (e, v) => { e.recurrence = v ? { rrule: v.rrule, rdate: v.rdate, exdate: e.recurrence?.exdate ?? [] } : null; },
  },
  plain('status'), plain('summary'), plain('description'), plain('location'),
  plain('transparency'), plain('visibility'), plain('organizer'), plain('conference'),
  plain('reminders'), plain('categories'), plain('color'),
];

export function mergeSeries(input: MergeInput): MergeResult {
  objectArgument(input, 'input');
  const base = input.base == null ? null : normaliseSeries(input.base);
  const calendar = normaliseSeries(input.calendar);
  const remote = normaliseSeries(input.remote);
  const policy = parsePolicy(input.policy);
  const later = laterSide(input.calendarUpdatedAt, input.remoteUpdatedAt);
  const merge = (askTakes: AskTakes) => {
    const ctx: Context = { policy, askTakes, decisions: [], conflicts: [], ...later };
    return { series: mergeNormal(input, base, calendar, remote, ctx), ctx };
  };
  const { series: merged, ctx } = merge('calendar');
  // Fields sent to a person keep each side's value, and the base's in the status: the
  // same merge with the other side's, then the base's value taken for those fields.
  const [forRemote, forBase] = ctx.conflicts.length === 0 ? [merged, merged] : [merge('remote').series, merge('base').series];
  return { merged, remote: forRemote, base: forBase, decisions: ctx.decisions, conflicts: ctx.conflicts };
}

function mergeNormal(input: MergeInput, base: EventSeries | null, calendar: EventSeries, remote: EventSeries, ctx: Context): EventSeries {
  const actualCalendar = byRecurrenceId(input.calendar);
  const actualRemote = byRecurrenceId(input.remote);
  let master: CanonicalEvent | null;
  if (calendar.master && remote.master) {
    master = mergeEvent(base?.master ?? null, calendar.master, remote.master, ctx, '', actualCalendar.get(''), actualRemote.get(''));
  } else {
    // Only one side knows the master (Google lists only the instances an attendee was
    // invited to): the side that has it supplies it.
    master = calendar.master ?? remote.master;
  }
  if (master?.recurrence) {
    master.recurrence.exdate = mergeSet(
      base?.master?.recurrence?.exdate ?? [], calendar.master?.recurrence?.exdate ?? [],
      remote.master?.recurrence?.exdate ?? [], 'recurrence.exdate', ctx,
    );
  }
  const overrides = mergeOverrides(base, calendar, remote, ctx, actualCalendar, actualRemote);
  if (master?.recurrence) reconcileCancelledOverrides(master, overrides, base, calendar, ctx);
  return { uid: calendar.uid, master, overrides: [...overrides.values()].sort((a, b) => compare(a.recurrenceId!, b.recurrenceId!)) };
}

/**
 * The base to store while a merge's remote half is still to be written (the pass may die
 * first, or the write fail): the remote's content as listed, which both sides agree on
 * wherever the merge does not change the remote, except that a field sent to a person
 * keeps the base's value, so it stays asked about. Stored with the etag of the version
 * before (see applyCalendarSide), the listed version is then planned again, not taken
 * for an echo; a field the calendar took from the remote is agreed, so the remote's next
 * edit of it is one-sided, not a conflict.
 */
export function baseUntilRemoteWritten(result: Pick<MergeResult, 'remote' | 'base' | 'conflicts'>, remote: EventSeries): EventSeries {
  if (result.conflicts.length === 0) return normaliseSeries(remote);
  // From `result.remote` (the merge, with the remote's value where asked), the listed
  // remote differs exactly where the merge changes the remote, and `result.base` exactly
  // where a field is asked: each change is one-sided, so the policy never decides.
  return mergeSeries({ base: result.remote, calendar: remote, remote: result.base, calendarUpdatedAt: null, remoteUpdatedAt: null, policy: defaultPolicy }).merged;
}

/**
 * The base for an item a write was sent to without an answer, when the item came back
 * different from what was sent (someone edited it since, or the write never landed).
 * Per unit, a remote value equal to the sent one means the write landed and nobody
 * changed that unit since, so the sent value is the base there; elsewhere the stored
 * base stands. The three inputs are compared as normal forms (normalised here again,
 * which also checks them: a status read from storage is input like any other).
 */
export function baseAfterUnconfirmedWrite(baseIn: EventSeries, sentIn: EventSeries, remoteIn: EventSeries): EventSeries {
  const [base, sent, remote] = [normaliseSeries(baseIn), normaliseSeries(sentIn), normaliseSeries(remoteIn)];
  const pick = (b: CanonicalEvent, s: CanonicalEvent | undefined, r: CanonicalEvent | undefined): CanonicalEvent => {
    if (!s || !r) return b;
    const out: CanonicalEvent = { ...b };
    for (const unit of UNITS) if (same(unit.get(r), unit.get(s))) unit.set(out, unit.get(s));
    if (same(r.attendees, s.attendees)) out.attendees = s.attendees;
    if (out.recurrence && same(r.recurrence?.exdate, s.recurrence?.exdate)) out.recurrence = { ...out.recurrence, exdate: s.recurrence?.exdate ?? [] };
    return out;
  };
  const [b, s, r] = [byRid(base.overrides), byRid(sent.overrides), byRid(remote.overrides)];
  const overrides: CanonicalEvent[] = [];
  for (const rid of [...new Set([...b.keys(), ...s.keys()])].sort(compare)) {
    const [bo, so, ro] = [b.get(rid), s.get(rid), r.get(rid)];
    // An override we sent and the item has: the write landed; one we removed and the
    // item lacks: so did the removal. Otherwise the stored base stands.
    if (so && ro) overrides.push(bo ? pick(bo, so, ro) : so);
    else if (bo && (so || ro)) overrides.push(bo);
  }
  return { uid: base.uid, master: base.master && pick(base.master, sent.master ?? undefined, remote.master ?? undefined), overrides };
}

/**
 * The base for a create whose answer was lost, adopted when its item is listed. What
 * was sent is the base, except for instances the item lacks: a create of several
 * requests (a Google series: its master, then each moved or cancelled instance) may
 * have been cut short, and an override or cancellation that never landed must not read
 * as the remote removing it. Left out of the base, the calendar's copy completes the
 * item; any other difference (a field someone edited since) is the remote's change.
 */
export function baseForAdoptedCreate(sentIn: EventSeries, remoteIn: EventSeries): EventSeries {
  const [sent, remote] = [normaliseSeries(sentIn), normaliseSeries(remoteIn)];
  const landed = new Set(remote.overrides.map((o) => o.recurrenceId));
  const master = sent.master && sent.master.recurrence
    ? { ...sent.master, recurrence: { ...sent.master.recurrence, exdate: sent.master.recurrence.exdate.filter((d) => remote.master?.recurrence?.exdate.includes(d)) } }
    : sent.master;
  return normaliseSeries({ uid: sent.uid, master, overrides: sent.overrides.filter((o) => landed.has(o.recurrenceId)) });
}

function mergeEvent(
  base: CanonicalEvent | null, calendar: CanonicalEvent, remote: CanonicalEvent, ctx: Context,
  prefix: string, actualCalendar: CanonicalEvent | undefined, actualRemote: CanonicalEvent | undefined,
): CanonicalEvent {
  const merged: CanonicalEvent = { ...calendar };
  for (const unit of UNITS) {
    const took = decide(`${prefix}${unit.field}`, unit.field, base && unit.get(base), unit.get(calendar), unit.get(remote), base !== null, ctx);
    unit.set(merged, took.value);
    if (unit.field === 'description') {
      const source = took.side === 'remote' ? actualRemote : actualCalendar;
      if (source && sameText(source, took.value)) {
        merged.description = source.description;
        merged.descriptionHtml = source.descriptionHtml;
      }
    }
  }
  merged.attendees = mergeAttendees(base, calendar, remote, ctx, prefix, actualCalendar, actualRemote);
  merged.sequence = Math.max(actualCalendar?.sequence ?? 0, actualRemote?.sequence ?? 0);
  merged.extras = { ...actualCalendar?.extras, ...actualRemote?.extras };
  return merged;
}

/** One unit: one-sided changes take that side; two-sided ones go by the policy. */
function decide(
  field: string, unit: MergeField, base: unknown, calendar: unknown, remote: unknown, hasBase: boolean, ctx: Context,
): { value: unknown; side: Side } {
  const calendarChanged = !hasBase || !same(calendar, base);
  const remoteChanged = !hasBase || !same(remote, base);
  const rule = ruleName(ctx.policy, unit);
  if (same(calendar, remote)) {
    if (hasBase && calendarChanged) ctx.decisions.push({ field, took: 'both-same', rule, reason: 'both sides made the same change' });
    return { value: calendar, side: 'calendar' };
  }
  if (!remoteChanged) {
    ctx.decisions.push({ field, took: 'calendar', rule, reason: 'only the calendar changed it' });
    return { value: calendar, side: 'calendar' };
  }
  if (!calendarChanged) {
    ctx.decisions.push({ field, took: 'remote', rule, reason: 'only the remote changed it' });
    return { value: remote, side: 'remote' };
  }
  const both = hasBase ? 'both sides changed it' : 'both sides had it when first matched';
  // Without a base nobody can tell who changed what, so nothing is asked: the later
  // write settles it (the same meeting met on two calendars for the first time).
  const fieldRule = ruleFor(ctx.policy, unit) === 'ask' && !hasBase ? 'latest' : ruleFor(ctx.policy, unit);
  if (fieldRule === 'ask') {
    ctx.conflicts.push({ field, base: hasBase ? base : null, calendar, remote });
    ctx.decisions.push({ field, took: 'calendar', rule, reason: `${both}; a person decides, each side keeps its value meanwhile` });
    if (ctx.askTakes === 'remote') return { value: remote, side: 'remote' };
    return ctx.askTakes === 'base' ? { value: base, side: 'calendar' } : { value: calendar, side: 'calendar' };
  }
  const side: Side = fieldRule === 'latest' ? ctx.later : fieldRule;
  const reason = fieldRule === 'latest' ? `${both}; ${ctx.laterReason}` : `${both}; the ${side} side is the authority`;
  ctx.decisions.push({ field, took: side, rule, reason, lost: side === 'calendar' ? remote : calendar });
  return { value: side === 'calendar' ? calendar : remote, side };
}

function laterSide(calendarAt: string | null, remoteAt: string | null): { later: Side; laterReason: string } {
  for (const [at, path] of [[calendarAt, 'input.calendarUpdatedAt'], [remoteAt, 'input.remoteUpdatedAt']] as const) {
    if (at != null && typeof at !== 'string') throw new CoreError('INVALID_INPUT', 'a write time is an ISO instant or null', path);
  }
  const c = calendarAt ? Date.parse(calendarAt) : Number.NaN;
  const r = remoteAt ? Date.parse(remoteAt) : Number.NaN;
  if (Number.isFinite(r) && (!Number.isFinite(c) || r > c)) {
    return { later: 'remote', laterReason: `the remote wrote later (${remoteAt} > ${calendarAt ?? 'unknown'})` };
  }
  if (Number.isFinite(c) && Number.isFinite(r) && c > r) {
    return { later: 'calendar', laterReason: `the calendar wrote later (${calendarAt} > ${remoteAt})` };
  }
  // Equal or unknown times: the calendar is the source of truth.
  return { later: 'calendar', laterReason: 'write times equal or unknown; the calendar is the source of truth' };
}

// Attendees merge by email: additions and removals from either side apply, a removal
// loses to a response change on the other side, and the newest response wins.
function mergeAttendees(
  base: CanonicalEvent | null, calendar: CanonicalEvent, remote: CanonicalEvent, ctx: Context, prefix: string,
  actualCalendar: CanonicalEvent | undefined, actualRemote: CanonicalEvent | undefined,
): Attendee[] {
  const b = byEmail(base?.attendees ?? []);
  const c = byEmail(calendar.attendees);
  const r = byEmail(remote.attendees);
  const respondedC = byEmail(actualCalendar?.attendees ?? []);
  const respondedR = byEmail(actualRemote?.attendees ?? []);
  const emails = [...new Set([...b.keys(), ...c.keys(), ...r.keys()])].sort(compare);
  const rule = ruleName(ctx.policy, 'attendees');
  const out: Attendee[] = [];
  for (const email of emails) {
    const field = `${prefix}attendees[${email}]`;
    const [ba, ca, ra] = [b.get(email), c.get(email), r.get(email)];
    if (!ca && !ra) continue;
    if (!ca || !ra) {
      const present = (ca ?? ra)!;
      const presentSide: Side = ca ? 'calendar' : 'remote';
      const other: Side = ca ? 'remote' : 'calendar';
      if (ba && same(present, ba)) {
        ctx.decisions.push({ field, took: other, rule, reason: `the ${other} removed the attendee` });
        continue;
      }
      const reason = ba ? `the ${presentSide} changed the attendee the ${other} removed` : `the ${presentSide} added the attendee`;
      ctx.decisions.push({ field, took: presentSide, rule, reason });
      out.push(withRespondedAt(present, (ca ? respondedC : respondedR).get(email)));
      continue;
    }
    if (same(ca, ra)) {
      if (ba && !same(ca, ba)) ctx.decisions.push({ field, took: 'both-same', rule, reason: 'both sides made the same change' });
      out.push(withRespondedAt(ca, newer(respondedC.get(email), respondedR.get(email))));
      continue;
    }
    const hasBase = ba !== undefined;
    const person = decide(`${field}.person`, 'attendees', ba && { name: ba.name, role: ba.role }, { name: ca.name, role: ca.role }, { name: ra.name, role: ra.role }, hasBase, ctx).value as Pick<Attendee, 'name' | 'role'>;
    const response = mergeResponse(field, ba, ca, ra, respondedC.get(email), respondedR.get(email), rule, ctx);
    out.push({ email, ...person, ...response });
  }
  return out;
}

function mergeResponse(
  field: string, base: Attendee | undefined, calendar: Attendee, remote: Attendee,
  actualC: Attendee | undefined, actualR: Attendee | undefined, rule: string, ctx: Context,
): Pick<Attendee, 'response' | 'respondedAt'> {
  const fromC = { response: calendar.response, respondedAt: actualC?.respondedAt ?? null };
  const fromR = { response: remote.response, respondedAt: actualR?.respondedAt ?? null };
  if (calendar.response === remote.response) return { response: calendar.response, respondedAt: newer(actualC, actualR)?.respondedAt ?? null };
  const calendarChanged = !base || base.response !== calendar.response;
  const remoteChanged = !base || base.response !== remote.response;
  if (calendarChanged && !remoteChanged) {
    ctx.decisions.push({ field: `${field}.response`, took: 'calendar', rule, reason: 'only the calendar changed the response' });
    return fromC;
  }
  if (remoteChanged && !calendarChanged) {
    ctx.decisions.push({ field: `${field}.response`, took: 'remote', rule, reason: 'only the remote changed the response' });
    return fromR;
  }
  const remoteNewer = (fromR.respondedAt ?? '') > (fromC.respondedAt ?? '');
  ctx.decisions.push({
    field: `${field}.response`, took: remoteNewer ? 'remote' : 'calendar', rule: 'attendees/newest-response',
    reason: `both sides changed the response; the newest response wins (${fromC.respondedAt ?? 'unknown'} vs ${fromR.respondedAt ?? 'unknown'})`,
    lost: remoteNewer ? fromC : fromR,
  });
  return remoteNewer ? fromR : fromC;
}

function mergeOverrides(
  base: EventSeries | null, calendar: EventSeries, remote: EventSeries, ctx: Context,
  actualCalendar: Map<string, CanonicalEvent>, actualRemote: Map<string, CanonicalEvent>,
): Map<LocalDateTime, CanonicalEvent> {
  const b = byRid(base?.overrides ?? []);
  const c = byRid(calendar.overrides);
  const r = byRid(remote.overrides);
  const out = new Map<LocalDateTime, CanonicalEvent>();
  const rids = [...new Set([...b.keys(), ...c.keys(), ...r.keys()])].sort(compare);
  for (const rid of rids) {
    const field = `overrides[${rid}]`;
    const [bo, co, ro] = [b.get(rid), c.get(rid), r.get(rid)];
    if (co && ro) {
      out.set(rid, mergeEvent(bo ?? null, co, ro, ctx, `${field}.`, actualCalendar.get(rid), actualRemote.get(rid)));
      continue;
    }
    if (!co && !ro) continue;
    const present = (co ?? ro)!;
    const presentSide: Side = co ? 'calendar' : 'remote';
    const other: Side = co ? 'remote' : 'calendar';
    const rule = `${ctx.policy.mode}/overrides`;
    if (bo && same(present, bo)) {
      // The other side removed the override: the instance follows the master again.
      ctx.decisions.push({ field, took: other, rule, reason: `the ${other} removed the override` });
      continue;
    }
    const reason = bo ? `the ${presentSide} changed the override the ${other} removed` : `the ${presentSide} added the override`;
    ctx.decisions.push({ field, took: presentSide, rule, reason });
    out.set(rid, present);
  }
  return out;
}

// An instance one side cancelled (EXDATE) while the other edited its override is an
// edit against a delete; the binding's edit-vs-delete rule settles it.
function reconcileCancelledOverrides(
  master: CanonicalEvent, overrides: Map<LocalDateTime, CanonicalEvent>, base: EventSeries | null, calendar: EventSeries, ctx: Context,
): void {
  const recurrence = master.recurrence!;
  const baseExdates = new Set(base?.master?.recurrence?.exdate ?? []);
  for (const rid of [...overrides.keys()]) {
    if (!recurrence.exdate.includes(rid) || baseExdates.has(rid)) continue;
    const field = `overrides[${rid}]`;
    const edited: Side = calendar.overrides.some((o) => o.recurrenceId === rid) ? 'calendar' : 'remote';
    const outcome = editVsDeleteOutcome(ctx.policy, edited);
    const rule = `edit-vs-delete:${ctx.policy.editVsDelete}`;
    const baseOverride = base?.overrides.find((o) => o.recurrenceId === rid) ?? null;
    if (outcome === 'ask') {
      // A person decides; meanwhile each side keeps its own state of the instance, and
      // the base keeps its (neither the edit nor the cancellation).
      const edit = overrides.get(rid)!;
      ctx.conflicts.push({ field, base: baseOverride, calendar: edited === 'calendar' ? edit : 'cancelled', remote: edited === 'remote' ? edit : 'cancelled' });
      ctx.decisions.push({ field, took: 'merged', rule, reason: 'one side cancelled the instance another edited; a person decides, each side keeps its state meanwhile' });
      if (ctx.askTakes === edited) {
        recurrence.exdate = recurrence.exdate.filter((d) => d !== rid);
      } else if (ctx.askTakes === 'base') {
        recurrence.exdate = recurrence.exdate.filter((d) => d !== rid);
        if (baseOverride) overrides.set(rid, baseOverride);
        else overrides.delete(rid);
      } else {
        overrides.delete(rid);
      }
    } else if (outcome === 'delete') {
      overrides.delete(rid);
      ctx.decisions.push({ field, took: 'merged', rule, reason: 'one side cancelled the instance another edited; the cancellation wins' });
    } else {
      recurrence.exdate = recurrence.exdate.filter((d) => d !== rid);
      ctx.decisions.push({ field, took: 'merged', rule, reason: 'one side cancelled the instance another edited; the edit wins' });
    }
  }
}

/** A set merged three ways: what either side added is in, what either side removed is out. */
function mergeSet(base: string[], calendar: string[], remote: string[], field: string, ctx: Context): string[] {
  const b = new Set(base);
  const c = new Set(calendar);
  const r = new Set(remote);
  const out = new Set(base);
  for (const x of [...c, ...r]) if (!b.has(x)) out.add(x);
  for (const x of b) if (!c.has(x) || !r.has(x)) out.delete(x);
  const result = [...out].sort(compare);
  if (!same(result, base)) {
    const took: Took = same(result, calendar) ? (same(result, remote) ? 'both-same' : 'calendar') : same(result, remote) ? 'remote' : 'merged';
    ctx.decisions.push({ field, took, rule: 'set-merge', reason: 'instances removed on either side stay removed, restored ones return' });
  }
  return result;
}

function byRecurrenceId(series: EventSeries): Map<string, CanonicalEvent> {
  const map = new Map<string, CanonicalEvent>();
  if (series.master) map.set('', series.master);
  for (const o of series.overrides ?? []) {
    if (o.recurrenceId != null) map.set(normaliseLocal(o.recurrenceId, o.allDay, 'override.recurrenceId'), o);
  }
  return map;
}

function byRid(events: CanonicalEvent[]): Map<LocalDateTime, CanonicalEvent> {
  return new Map(events.map((e) => [e.recurrenceId!, e]));
}

function byEmail(attendees: Attendee[]): Map<string, Attendee> {
  return new Map(attendees.map((a) => [normaliseEmail(a.email), a]));
}

function newer(a: Attendee | undefined, b: Attendee | undefined): Attendee | undefined {
  return (b?.respondedAt ?? '') > (a?.respondedAt ?? '') ? b : a;
}

function withRespondedAt(attendee: Attendee, actual: Attendee | undefined): Attendee {
  return { ...attendee, respondedAt: actual?.respondedAt ?? null };
}

function sameText(source: CanonicalEvent, text: unknown): boolean {
  return normaliseEvent({ ...source, recurrence: null, recurrenceId: null, attendees: [] }).description === text;
}

function same(a: unknown, b: unknown): boolean {
  return a === b || canonicalJson(a ?? null) === canonicalJson(b ?? null);
}

/**
 * Where a merge field lives: the event (master or the override of `rid`) and the rest
 * of the field name (`summary`, `attendees[a@b].person`), or the whole instance.
 */
function locateField(series: EventSeries, field: string): { event: CanonicalEvent | null; rest: string | null; rid: string | null } {
  const override = /^overrides\[([^\]]+)\](?:\.(.+))?$/.exec(field);
  if (!override) return { event: series.master, rest: field, rid: null };
  const rid = override[1]!;
  return { event: series.overrides.find((o) => o.recurrenceId === rid) ?? null, rest: override[2] ?? null, rid };
}

/**
 * The value of one merge field as merge decisions and conflicts name it (`time`,
 * `overrides[2026-03-09T10:00:00].location`, `attendees[a@b].person`, `overrides[…]`
 * for a whole instance: its override, or `cancelled`). Compared as normal forms.
 */
export function mergeFieldValue(seriesIn: EventSeries, field: string): unknown {
  stringArgument(field, 'field');
  const series = normaliseSeries(seriesIn);
  const { event, rest, rid } = locateField(series, field);
  if (rest === null) return series.master?.recurrence?.exdate.includes(rid!) ? 'cancelled' : event;
  if (!event) return undefined;
  const attendee = /^attendees\[(.+)\]\.person$/.exec(rest);
  if (attendee) {
    const a = event.attendees.find((x) => x.email === attendee[1]);
    return a && { name: a.name, role: a.role };
  }
  const unit = UNITS.find((u) => u.field === rest);
  if (!unit) throw new CoreError('INVALID_INPUT', `unknown merge field ${JSON.stringify(field)}`, 'field');
  return unit.get(event);
}

/**
 * A copy of the series with one merge field set to `value` (as mergeFieldValue reads
 * it): how a person's decision on a conflict is written. Throws INVALID_INPUT when the
 * field names an instance or attendee the series does not have, or the value does not
 * fit the field (validateSeries then refuses the result).
 */
export function withMergeField(seriesIn: EventSeries, field: string, value: unknown): EventSeries {
  stringArgument(field, 'field');
  const series: EventSeries = structuredClone(seriesIn);
  const { event, rest, rid } = locateField(series, field);
  const missing = (what: string): never => { throw new CoreError('INVALID_INPUT', `the event has no ${what} for ${field}`, 'field'); };
  if (rest === null) {
    // A whole instance: cancelled, an override, or back to what the rule makes (null).
    const recurrence = series.master?.recurrence ?? missing('recurring master');
    series.overrides = series.overrides.filter((o) => o.recurrenceId !== rid);
    recurrence.exdate = recurrence.exdate.filter((d) => d !== rid);
    if (value === 'cancelled') recurrence.exdate.push(rid!);
    else if (value !== null && value !== undefined) series.overrides.push({ ...(value as CanonicalEvent), recurrenceId: rid });
    return series;
  }
  if (!event) return missing(rid === null ? 'master' : `instance ${rid}`);
  const attendee = /^attendees\[(.+)\]\.person$/.exec(rest);
  if (attendee) {
    const a = event.attendees.find((x) => normaliseEmail(x.email) === attendee[1]) ?? missing(`attendee ${attendee[1]}`);
    const person = objectArgument(value, 'value');
    a.name = person.name as string | null;
    a.role = person.role as Attendee['role'];
    return series;
  }
  const unit = UNITS.find((u) => u.field === rest) ?? missing(`field ${rest}`);
  unit.set(event, structuredClone(value));
  return series;
}
