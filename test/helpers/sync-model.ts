// The user side of the sync model (test/engine/sync-machine.db.test.ts): the edits a
// person makes to a series on one side, and the journal of what each side set, by
// which the end state is judged.
import type { Attendee, CanonicalEvent, EventSeries } from '../../src/core/model.ts';
import { normaliseSeries } from '../../src/core/normalise.ts';
import { instance } from './events.ts';

/** A binding's name in the model (`b1`…); a busy-only binding is only read by people. */
export type BindingName = string;
/** Where a person edits: the calendar (through the app API) or a two-way binding's remote. */
export type SideName = 'calendar' | BindingName;
export const FIELDS = ['summary', 'location', 'description', 'time', 'recurrence', 'attendee-add', 'attendee-respond'] as const;
const RESPONSES: Attendee['response'][] = ['accepted', 'declined', 'tentative'];
/** Instances of the weekly series the model creates (FREQ=WEEKLY;COUNT=6 from 2026-03-02 10:00). */
const MONDAYS = ['2026-03-09', '2026-03-16', '2026-03-23', '2026-03-30'];
const WEDNESDAYS = ['2026-03-04', '2026-03-11', '2026-03-18', '2026-03-25'];

/** A change to one instance of a series: edit (or move) its override, cancel, restore, drop the override. */
export type InstanceChange =
  | { t: 'override'; inst: number; field: 'summary' | 'location' | 'time'; n: number }
  | { t: 'cancel'; inst: number }
  | { t: 'uncancel'; inst: number }
  | { t: 'unoverride'; inst: number };

export interface Touch { step: number; value: unknown }

/** What the model remembers of user actions, to judge the end state. */
export class Journal {
  step = 0;
  /** uid → key → side → the last value that side set, and when. */
  readonly touched = new Map<string, Map<string, Map<SideName, Touch>>>();
  readonly edits = new Map<string, { step: number; side: SideName }[]>();
  readonly deletes = new Map<string, { step: number; side: SideName }[]>();
  /** Passes run; `asking`: uids with a question open on the binding after it, whose asked values it did not carry. */
  readonly passes: { step: number; side: BindingName; clean: boolean; asking: Set<string> }[] = [];
  /**
   * `uid binding` of creates whose answer was lost when the binding's cursor expired: a
   * complete listing cannot tell a create that never happened from an item deleted
   * since, and the planner re-creates rather than lose the event (plan.ts, pending).
   */
  readonly unknowable = new Set<string>();
  /** `uid key` of fields (and `uid (deleted)` of items) a person decided as a conflict: what they chose stands. */
  readonly decided = new Set<string>();
  /**
   * When an item was unreadable on a binding (from its corruption to the step a person
   * saved or deleted it there): a pass meanwhile quarantines it, so it neither brings
   * that binding's copy in nor carries the calendar's edits out to it.
   */
  readonly unreadable: { uid: string; side: BindingName; from: number; to: number }[] = [];

  corrupted(uid: string, side: BindingName): void {
    this.unreadable.push({ uid, side, from: this.step, to: Number.POSITIVE_INFINITY });
  }

  /** A person saved or deleted the item on `side` (or every item everywhere, `side` null): it is readable again. */
  readable(uid: string | null, side: SideName | null): void {
    for (const span of this.unreadable) {
      if ((uid === null || span.uid === uid) && (side === null || span.side === side) && span.to === Number.POSITIVE_INFINITY) span.to = this.step;
    }
  }

  touch(uid: string, key: string, who: SideName, value: unknown): void {
    const keys = this.touched.get(uid) ?? new Map();
    this.touched.set(uid, keys);
    const sides = keys.get(key) ?? new Map();
    keys.set(key, sides);
    sides.set(who, { step: this.step, value });
    this.edits.set(uid, [...(this.edits.get(uid) ?? []), { step: this.step, side: who }]);
  }

  /** Whether `edit` of item `uid` surely reached side `to` through clean passes before `before`. */
  surelySeen(uid: string, edit: { step: number; side: SideName }, to: SideName, before: number): boolean {
    const readableAt = (who: SideName, step: number) =>
      !this.unreadable.some((u) => u.uid === uid && u.side === who && u.from < step && step < u.to);
    const cleanPass = (who: SideName, after: number) =>
      this.passes.find((p) => p.side === who && p.clean && !p.asking.has(uid) && p.step > after && p.step < before && readableAt(who, p.step))?.step;
    if (edit.side === to) return true;
    if (edit.side === 'calendar') return cleanPass(to, edit.step) !== undefined;
    const inCalendar = cleanPass(edit.side, edit.step);
    if (inCalendar === undefined) return false;
    return to === 'calendar' || cleanPass(to, inCalendar) !== undefined;
  }
}

/** Changes `series` (a copy) as a person on `side` would; false when there is nothing to change. */
export class SeriesEditor {
  constructor(private readonly journal: Journal, private readonly now: () => string) {}

  edit(series: EventSeries, side: SideName, field: (typeof FIELDS)[number], n: number, value: string): boolean {
    const master = series.master;
    if (!master) return false;
    const uid = series.uid;
    const j = this.journal;
    switch (field) {
      case 'summary': case 'location': case 'description':
        master[field] = value;
        j.touch(uid, field, side, value);
        return true;
      case 'time': {
        // All-day events move by days, timed ones by hours in their own zone (or floating).
        const time = master.allDay
          ? { start: { local: `2026-03-${String(2 + n).padStart(2, '0')}`, tz: null }, end: { local: `2026-03-${String(3 + n).padStart(2, '0')}`, tz: null } }
          : { start: { local: `${master.start.local.slice(0, 10)}T${String(7 + n).padStart(2, '0')}:00:00`, tz: master.start.tz }, end: { local: `${master.start.local.slice(0, 10)}T${String(7 + n).padStart(2, '0')}:45:00`, tz: master.start.tz } };
        Object.assign(master, time);
        j.touch(uid, 'time', side, time);
        return true;
      }
      case 'recurrence': {
        if (!master.recurrence) return false;
        master.recurrence.rrule = [`FREQ=WEEKLY;COUNT=${n + 2}`];
        j.touch(uid, 'recurrence', side, recurrenceState(master));
        return true;
      }
      case 'attendee-add': {
        const email = `${side}-${j.step}@example.org`;
        master.attendees.push({ email, name: null, role: 'required', response: 'needs-action', respondedAt: null });
        j.touch(uid, `attendee:${email}`, side, 'needs-action');
        return true;
      }
      case 'attendee-respond': {
        const attendee = master.attendees[n % Math.max(master.attendees.length, 1)];
        if (!attendee) return false;
        attendee.response = RESPONSES[n % RESPONSES.length]!;
        attendee.respondedAt = this.now();
        j.touch(uid, `attendee:${attendee.email}`, side, attendee.response);
        return true;
      }
    }
  }

  /** An extra instance (RDATE) on a Wednesday; the rule and its extra dates are one merge unit. */
  addRdate(series: EventSeries, side: SideName, n: number): boolean {
    const recurrence = series.master?.recurrence;
    const date = `${WEDNESDAYS[n % WEDNESDAYS.length]!}T10:00:00`;
    if (!recurrence || recurrence.rdate.includes(date)) return false;
    recurrence.rdate.push(date);
    this.journal.touch(series.uid, 'recurrence', side, recurrenceState(series.master!));
    return true;
  }

  instance(series: EventSeries, side: SideName, change: InstanceChange, value: string): boolean {
    const master = series.master;
    if (!master?.recurrence) return false;
    // Restoring and dropping pick among the instances that are cancelled or overridden, so they seldom miss.
    const dates = MONDAYS.filter((d) => change.t === 'uncancel' ? isCancelled(series, `${d}T10:00:00`)
      : change.t === 'unoverride' ? series.overrides.some((o) => o.recurrenceId === `${d}T10:00:00`) : true);
    const date = dates[change.inst % Math.max(dates.length, 1)];
    if (date === undefined) return false;
    const rid = `${date}T10:00:00`;
    const cancelled = isCancelled(series, rid);
    const key = `instance:${rid}`;
    if (change.t === 'uncancel') {
      if (!cancelled) return false;
      master.recurrence.exdate = master.recurrence.exdate.filter((d) => d !== rid);
      series.overrides = series.overrides.filter((o) => o.recurrenceId !== rid || o.status !== 'cancelled');
      this.journal.touch(series.uid, key, side, undefined);
      return true;
    }
    if (cancelled) return false;
    const existing = series.overrides.find((o) => o.recurrenceId === rid);
    if (change.t === 'unoverride') {
      if (!existing) return false;
      series.overrides = series.overrides.filter((o) => o !== existing);
      this.journal.touch(series.uid, key, side, undefined);
      return true;
    }
    if (change.t === 'cancel') {
      series.overrides = series.overrides.filter((o) => o !== existing);
      // The calendar writes an EXDATE; providers send a bare cancelled instance (Google).
      if (side === 'calendar') master.recurrence.exdate.push(rid);
      else series.overrides.push(instance(date, { uid: series.uid, status: 'cancelled', summary: '' }));
      this.journal.touch(series.uid, key, side, { cancelled: true });
      return true;
    }
    const target = existing ?? instance(date, { uid: series.uid, summary: master.summary, location: master.location });
    if (!existing) series.overrides.push(target);
    if (change.field === 'time') {
      const hour = String(11 + (change.n % 6)).padStart(2, '0');
      target.start = { local: `${date}T${hour}:00:00`, tz: 'Europe/Berlin' };
      target.end = { local: `${date}T${hour}:30:00`, tz: 'Europe/Berlin' };
    } else {
      target[change.field] = value;
    }
    this.journal.touch(series.uid, key, side, { ...instanceState(target), cancelled: false });
    return true;
  }
}

export function isCancelled(series: EventSeries, rid: string): boolean {
  return normaliseSeries(series).master?.recurrence?.exdate.includes(rid) ?? false;
}

function instanceState(o: CanonicalEvent): { summary: string; location: string; start: string } {
  return { summary: o.summary, location: o.location, start: o.start.local };
}

function recurrenceState(master: CanonicalEvent): { rrule: string[]; rdate: string[] } {
  return { rrule: [...master.recurrence!.rrule], rdate: [...new Set(master.recurrence!.rdate)].sort() };
}

/** What a normalised series holds under a journal key. */
export function actual(series: EventSeries, key: string): unknown {
  const master = series.master!;
  if (key === 'time') return { start: master.start, end: master.end };
  if (key === 'recurrence') return master.recurrence && recurrenceState(master);
  if (key.startsWith('attendee:')) return master.attendees.find((a) => a.email === key.slice(9))?.response;
  if (key.startsWith('instance:')) {
    const rid = key.slice(9);
    if (master.recurrence?.exdate.includes(rid)) return { cancelled: true };
    const o = series.overrides.find((x) => x.recurrenceId === rid);
    return o ? { ...instanceState(o), cancelled: false } : undefined;
  }
  return master[key as 'summary' | 'location' | 'description'];
}

/** The journal key a merge field or conflict is about. */
export function journalKey(field: string): string {
  const override = /^overrides\[([^\]]+)\]/.exec(field);
  if (override) return `instance:${override[1]}`;
  const attendee = /^attendees\[([^\]]+)\]/.exec(field);
  return attendee ? `attendee:${attendee[1]}` : field;
}
