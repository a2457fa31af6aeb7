// The planner of one pass of one binding (ARCHITECTURE.md "A sync pass", CONVENTIONS.md
// 1): from the stored sync statuses, the calendar's events and the remote's changes it
// computes plain-data actions; only applying them does I/O. "Changed" means the
// normalised content hash differs from the base's, never just the etag.
import { isMirrorBlockUid } from './busy-mirror.ts';
import { CoreError } from './errors.ts';
import { hashNormal } from './hash.ts';
import { checkSeriesRecurrence } from './ical/recurrence-check.ts';
import { isOlder, newest } from './instants.ts';
import { baseAfterUnconfirmedWrite, baseForAdoptedCreate, baseUntilRemoteWritten, mergeSeries, type MergeConflict, type MergeResult } from './merge.ts';
import type { EventSeries, RemoteItem } from './model.ts';
import { normaliseSeries } from './normalise.ts';
import { editVsDeleteOutcome, parsePolicy, type Side } from './policy.ts';
import { isBusyCopyUid, project, type Projection } from './projection.ts';
import { deletionBudget, isOutsideWindow, parseSafety, wipeBrake, type SafetyStop } from './safety.ts';
import { checkPlanInput, type Action, type Asked, type CalendarEvent, type NextStatus, type Plan, type PlanInput, type SyncStatus } from './plan-types.ts';

export type * from './plan-types.ts';

interface Cal { event: CalendarEvent; hash: string | null; error: CoreError | null }

export function plan(input: PlanInput): Plan {
  checkPlanInput(input);
  return new Planner({ ...input, policy: parsePolicy(input.policy), safety: parseSafety(input.safety) }).run();
}

class Planner {
  private readonly actions: Action[] = [];
  private readonly handled = new Set<string>();
  private readonly statusByRemote = new Map<string, SyncStatus>();
  private readonly statusByEvent = new Map<string, SyncStatus>();
  private readonly calendar = new Map<string, Cal>();
  private readonly liveByUid = new Map<string, Cal>();
  private readonly deletedUids = new Set<string>();
  private readonly claimedUids = new Map<string, string>();
  private readonly canWriteCalendar: boolean;
  private readonly canWriteRemote: boolean;

  constructor(private readonly input: PlanInput) {
    const { direction, projection } = input.binding;
    // A busy-only binding only ever shows a projection, so nothing flows back from it.
    this.canWriteCalendar = direction !== 'export' && projection === 'full';
    this.canWriteRemote = direction !== 'import';
    for (const status of input.statuses) {
      this.statusByRemote.set(status.remoteId, status);
      this.statusByEvent.set(status.eventId, status);
    }
    for (const event of input.calendar) {
      const cal = this.view(event);
      this.calendar.set(event.eventId, cal);
      if (event.series && !cal.error) this.liveByUid.set(event.series.uid.trim(), cal);
      if (event.series === null && event.uid) this.deletedUids.add(event.uid.trim());
    }
  }

  run(): Plan {
    const items = newestOccurrences(this.input.remote.items);
    const stop = this.wipe(items);
    if (stop) return { actions: [], stop, held: [] };
    for (const item of items) this.remoteItem(item);
    if (this.input.remote.complete) this.absentItems(items);
    for (const cal of this.calendar.values()) this.calendarEvent(cal);
    const deletes = this.actions.filter((a) => a.op === 'delete').length;
    const size = Math.max(this.input.statuses.length, this.liveByUid.size);
    const budget = deletionBudget(deletes, size, this.input.safety);
    return budget ? { actions: [], stop: budget, held: this.actions } : { actions: this.actions, stop: null, held: [] };
  }

  private wipe(items: RemoteItem[]): SafetyStop | null {
    const known = this.input.statuses.filter((s) => !s.pending).length;
    if (this.input.remote.complete) {
      const stop = wipeBrake('remote', known, items.filter((i) => !i.deleted).length, this.input.safety);
      if (stop) return stop;
    }
    const tombstoned = this.input.statuses.filter((s) => !s.pending && this.calendar.get(s.eventId)?.event.series === null).length;
    return wipeBrake('calendar', known, known - tombstoned, this.input.safety);
  }

  private remoteItem(item: RemoteItem): void {
    const status = this.statusByRemote.get(item.remoteId);
    const window = this.input.remote.window;
    if (window && (item.deleted ? status !== undefined && isOutsideWindow(status.base, window) : isOutsideWindow(item.series, window))) {
      // Outside the binding's sync window an item is absent, not deleted or new: a
      // windowed listing reports items leaving the window as removed (Graph's
      // calendarView delta), and what lies outside is not this binding's to mirror.
      this.skip('remote', status?.eventId ?? null, item.remoteId, 'window', 'outside the sync window', null, null);
      if (status) this.handled.add(status.eventId);
      return;
    }
    if (status && isOlder(item.updatedAt, status.remoteUpdatedAt)) {
      // An older version than one this binding already saw or wrote (a lagging replica, a
      // replayed notification), a deletion older than a re-creation included: as if not
      // listed, so it cannot undo the newer edits.
      this.skip('remote', status.eventId, status.remoteId, 'stale', `a version of ${item.updatedAt}, older than the ${status.remoteUpdatedAt} one already seen`, null, null);
      return;
    }
    if (status) {
      this.handled.add(status.eventId);
      this.pair(status, item);
      return;
    }
    const pending = item.calsyncId === null ? undefined : this.statusByEvent.get(item.calsyncId);
    if (pending?.pending) {
      // Our create whose answer was lost: the item is adopted with the base we sent,
      // recorded first so that a failure of what follows does not lose the adoption.
      this.handled.add(pending.eventId);
      const landed = item.deleted ? null : this.remoteHash(item, pending);
      if (!item.deleted && landed === null) return;
      // The item may hold less than was sent (a create of several requests cut short):
      // the instances that did not land are left out of the base, so the calendar's copy
      // completes them rather than their absence reading as the remote removing them.
      const partial = landed !== null && landed.hash !== pending.contentHash;
      const base = partial ? baseForAdoptedCreate(pending.base, landed.normal) : pending.base;
      const hash = partial ? hashNormal(base) : pending.contentHash;
      this.skip('remote', pending.eventId, item.remoteId, 'match/adopt', partial ? 'our create whose answer was lost; the item differs from what was sent' : 'our create whose answer was lost',
        item.etag, next(base, hash, item.updatedAt));
      this.pair({ ...pending, remoteId: item.remoteId, etag: item.etag, pending: false, base, contentHash: hash }, item);
      return;
    }
    // A deletion of an item this binding never tracked: nothing on either side.
    if (item.deleted) return;
    const remote = this.remoteHash(item);
    if (remote === null) return;
    const stamped = item.calsyncId === null ? undefined : this.calendar.get(item.calsyncId);
    if (stamped) {
      this.handled.add(stamped.event.eventId);
      const bound = this.statusByEvent.get(stamped.event.eventId);
      if (bound) {
        // Remote holds a second copy of an event already bound here (a create retried
        // after a lost response): the copy goes.
        this.deleteRemote(item.remoteId, item.etag, 'match/stamped-duplicate', `a second copy of event ${stamped.event.eventId}, bound to ${bound.remoteId}`);
      } else if (stamped.event.series === null) {
        // We wrote it, then the calendar deleted the event before the status was stored.
        this.deleteRemote(item.remoteId, item.etag, 'match/stamped-tombstone', 'stamped with an event the calendar deleted');
      } else {
        this.link(stamped, item, remote, 'match/calsync-id');
      }
      return;
    }
    const uid = item.series.uid.trim();
    const sameUid = this.liveByUid.get(uid);
    if (sameUid) {
      const bound = this.statusByEvent.get(sameUid.event.eventId);
      if (bound || this.handled.has(sameUid.event.eventId)) {
        // The same meeting twice in one remote calendar: a person picks which copy stays.
        this.quarantine('remote', item.remoteId, sameUid.event.eventId, 'match/ical-uid', new CoreError('INVALID_INPUT', `iCalUID ${uid} is already bound to ${bound?.remoteId ?? 'another item of this pass'}`));
        return;
      }
      this.handled.add(sameUid.event.eventId);
      this.link(sameUid, item, remote, 'match/ical-uid');
      return;
    }
    if (isBusyCopyUid(uid) || isMirrorBlockUid(uid)) {
      // A busy block calsync mirrored from some calendar (a busy-only binding's copy, or a
      // busy mirror's block): importing it would mirror the mirror back (two calendars
      // mirroring busy time into each other would loop).
      this.skip('remote', null, item.remoteId, 'match/busy-copy', 'a busy copy calsync made is never imported as a new event', null, null);
      return;
    }
    if (this.deletedUids.has(uid)) {
      // The calendar deleted this meeting; an untracked copy of it does not bring it back.
      this.skip('remote', null, item.remoteId, 'match/ical-uid-tombstone', `iCalUID ${uid} is a calendar tombstone`, null, null);
      return;
    }
    const claimedBy = this.claimedUids.get(uid);
    if (claimedBy !== undefined) {
      // Two new remote items with one iCalUID: importing both would duplicate the event.
      this.quarantine('remote', item.remoteId, null, 'new/duplicate-uid', new CoreError('INVALID_INPUT', `iCalUID ${uid} also arrived as ${claimedBy}`));
      return;
    }
    this.claimedUids.set(uid, item.remoteId);
    if (!this.canWriteCalendar) {
      // The binding does not write the calendar: the remote-only item stays remote.
      this.skip('remote', null, item.remoteId, 'direction', `${this.directionName()} does not import new items`, null, null);
      return;
    }
    // New on the remote: the calendar gets it.
    this.push({
      op: 'create', side: 'calendar', eventId: null, remoteId: item.remoteId, series: item.series, etag: item.etag,
      rule: 'new/remote', reason: 'a new remote item', next: next(remote.normal, remote.hash, item.updatedAt),
    });
  }

  /** A remote item and the calendar event it is bound to. */
  private pair(stored: SyncStatus, item: RemoteItem): void {
    let status = stored;
    if (status.quarantined) {
      // A person is deciding an edit against a delete on this item: neither side is touched.
      // The etag seen is kept, so the item is written against it once the person decided.
      // Where the calendar deleted it and the remote edited it again meanwhile, the person
      // decides on its content now: taking the remote restores what the remote holds (no
      // later listing shows this version again).
      const calendarDeleted = this.calendar.get(status.eventId)?.event.series === null;
      if (item.deleted && calendarDeleted) {
        // The remote deleted its edit too: both sides agree, nothing is left to decide, and
        // the status goes (kept, it would name an item gone, and an answer taking the
        // remote would restore an edit nobody holds any more, sent nowhere).
        this.skip('remote', status.eventId, status.remoteId, 'delete/both', 'deleted on the remote too while a person was to decide', null, 'drop');
        return;
      }
      if (!item.deleted && calendarDeleted) {
        this.conflict(status, 'the calendar deleted what the remote edited', { field: '(deleted)', base: status.base, calendar: null, remote: item.series }, item);
      }
      // The version's last-modified instant is kept too: an older one replayed later is stale.
      this.push({ op: 'skip', side: 'remote', eventId: status.eventId, remoteId: status.remoteId, rule: 'quarantined', reason: 'awaiting a person', etag: item.deleted ? null : item.etag, seenAt: item.updatedAt, next: null });
      return;
    }
    const cal = this.calendar.get(status.eventId);
    if (cal?.error) {
      // The calendar's copy is malformed: it is set aside, and the remote item waits with it.
      this.quarantine('calendar', status.remoteId, status.eventId, 'invalid', cal.error);
      return;
    }
    const calDeleted = cal?.event.series === null;
    const changedSince = (base: SyncStatus) => cal !== undefined && !calDeleted && cal.hash !== base.contentHash;
    if (item.deleted) return this.remoteDeleted(status, cal, calDeleted, changedSince(status));
    const remote = this.remoteHash(item, status);
    if (remote === null) return;
    if (status.sent) {
      // A write whose answer was lost: where the item holds what we sent, the write
      // landed and that is the base. Recorded first, so a failure of what follows
      // cannot lose it.
      const base = status.sent.contentHash === remote.hash
        ? status.sent.base
        : normaliseSeries(baseAfterUnconfirmedWrite(status.base, status.sent.base, remote.normal));
      status = { ...status, base, contentHash: hashNormal(base), etag: item.etag };
      this.skip('remote', status.eventId, status.remoteId, 'sent/landed', 'an unanswered write is judged by what came back', item.etag, next(status.base, status.contentHash, remote.updatedAt));
    }
    const calChanged = changedSince(status);
    // While fields are asked of a person the remote holds its own value of them, not the
    // base's: it has changed only when it no longer holds what it held then.
    const remoteChanged = remote.hash !== (status.asked?.contentHash ?? status.contentHash);
    if (calDeleted) return this.calendarDeleted(status, cal, item, remoteChanged, remote);
    const calSeries = cal?.event.series ?? status.base;
    if (!remoteChanged && !calChanged) {
      // Our own write coming back, or a repeated delivery: nothing to write.
      // The status is rewritten as it stands, with the etag just seen (and, for an
      // adopted create, the real remote id).
      this.skip('remote', status.eventId, status.remoteId, 'echo', item.etag === status.etag ? 'repeated delivery' : 'our own write, or only the etag changed', item.etag, next(status.base, status.contentHash, remote.updatedAt, status.asked));
    } else if (!remoteChanged && status.asked) {
      // The calendar changed again while fields are asked: merged onto what the remote holds, so they stay asked.
      this.bothChanged(status, cal!, item, remote);
    } else if (!remoteChanged) {
      // Only the calendar changed: the remote item is updated.
      this.pushToRemote(status, calSeries, item.etag, remote.updatedAt, 'calendar-changed', 'only the calendar changed');
    } else if (!calChanged) {
      // Only the remote changed: the calendar event is fast-forwarded.
      this.pullToCalendar(status, item, remote, 'remote-changed', 'only the remote changed', calSeries);
    } else if (cal!.hash === remote.hash) {
      // Both sides made the same change: only the base moves.
      this.skip('remote', status.eventId, status.remoteId, 'both-same', 'both sides hold the same content', item.etag, next(remote.normal, remote.hash, remote.updatedAt));
    } else {
      this.bothChanged(status, cal!, item, remote);
    }
  }

  private remoteDeleted(status: SyncStatus, cal: Cal | undefined, calDeleted: boolean, calChanged: boolean): void {
    if (calDeleted) {
      // Deleted on both sides: already a tombstone, the status goes.
      this.skip('remote', status.eventId, status.remoteId, 'delete/both', 'already deleted in the calendar', null, 'drop');
      return;
    }
    const outcome = !calChanged ? 'delete' : this.authority('calendar');
    if (outcome === 'delete' && this.canWriteCalendar) {
      // Deleted on the remote: the calendar event becomes a tombstone.
      this.push({
        op: 'delete', side: 'calendar', eventId: status.eventId, remoteId: status.remoteId, next: 'drop',
        rule: calChanged ? `edit-vs-delete:${this.input.policy.editVsDelete}` : 'delete/remote',
        reason: calChanged ? 'the remote deleted what the calendar edited; the delete wins' : 'deleted on the remote',
      });
    } else if (outcome === 'ask') {
      // The remote deleted what the calendar edited and the policy asks: a person decides.
      this.conflict(status, 'the remote deleted what the calendar edited', { field: '(deleted)', base: status.base, calendar: cal?.event.series, remote: null });
    } else if (this.canWriteRemote && cal?.event.series) {
      // The calendar keeps the event: the remote gets it back as a new item.
      this.createRemote(cal.event.eventId, cal.event.series, status.remoteId,
        calChanged ? `edit-vs-delete:${this.input.policy.editVsDelete}` : 'direction',
        calChanged ? 'the remote deleted what the calendar edited; the edit wins' : `${this.directionName()}: the calendar is the authority`);
    } else {
      // Deleted on the remote; this binding can neither tombstone the event nor send it
      // again (its series is not in this pass): only the status goes.
      this.skip('remote', status.eventId, status.remoteId, 'direction', `${this.directionName()} writes neither side`, null, 'drop');
    }
  }

  private calendarDeleted(status: SyncStatus, cal: Cal | undefined, item: RemoteItem & { deleted: false }, remoteChanged: boolean, remote: Hashed): void {
    const outcome = !remoteChanged ? 'delete' : this.authority('remote');
    if (outcome === 'delete' && this.canWriteRemote) {
      // Deleted in the calendar (over a remote edit, if the policy says so): the remote item goes.
      this.deleteRemote(status.remoteId, item.etag,
        remoteChanged ? `edit-vs-delete:${this.input.policy.editVsDelete}` : 'delete/calendar',
        remoteChanged ? 'the calendar deleted what the remote edited; the delete wins' : 'deleted in the calendar', status.eventId);
    } else if (outcome === 'ask') {
      // The calendar deleted what the remote edited and the policy asks: a person decides.
      this.conflict(status, 'the calendar deleted what the remote edited', { field: '(deleted)', base: status.base, calendar: null, remote: item.series }, item);
    } else if (this.canWriteCalendar && cal?.event.lastSeries && this.canWriteRemote) {
      // The remote edited what the calendar deleted: the tombstone is restored with the
      // remote's edits merged onto its last content.
      const result = mergeSeries({
        base: status.base, calendar: cal.event.lastSeries, remote: item.series,
        calendarUpdatedAt: cal.event.updatedAt, remoteUpdatedAt: item.updatedAt, policy: this.input.policy,
      });
      this.mergeAction(status.eventId, item, result, null, remote, `edit-vs-delete:${this.input.policy.editVsDelete}`, 'the calendar deleted what the remote edited; the edit wins');
    } else if (this.canWriteCalendar) {
      // The remote edited after the calendar deleted: the tombstone is restored.
      this.push({
        op: 'update', side: 'calendar', eventId: status.eventId, remoteId: status.remoteId, series: item.series, etag: item.etag,
        rule: remoteChanged ? `edit-vs-delete:${this.input.policy.editVsDelete}` : 'direction',
        reason: remoteChanged ? 'the calendar deleted what the remote edited; the edit wins' : `${this.directionName()}: the remote is the authority`,
        next: next(remote.normal, remote.hash, remote.updatedAt),
      });
    } else {
      // Deleted in the calendar, but this binding writes neither side's way: the remote item stays.
      this.skip('remote', status.eventId, status.remoteId, 'direction', `${this.directionName()} keeps the remote item`, item.etag, null);
    }
  }

  private bothChanged(status: SyncStatus, cal: Cal, item: RemoteItem & { deleted: false }, remote: Hashed): void {
    const calSeries = cal.event.series!;
    // Both changed, but this binding never writes the calendar (export, busy-only): the calendar's copy overwrites the remote.
    if (!this.canWriteCalendar) return this.pushToRemote(status, calSeries, item.etag, remote.updatedAt, 'direction', `${this.directionName()}: the calendar is the authority`);
    // Both changed, but this binding never writes the remote (import): the remote's copy overwrites the calendar.
    if (!this.canWriteRemote) return this.pullToCalendar(status, item, remote, 'direction', `${this.directionName()}: the remote is the authority`, calSeries);
    const result = mergeSeries({
      base: status.base, calendar: calSeries, remote: item.series,
      calendarUpdatedAt: cal.event.updatedAt, remoteUpdatedAt: item.updatedAt, policy: this.input.policy,
    });
    this.mergeAction(status.eventId, item, result, cal.hash!, remote, 'merge/three-way', 'both sides changed since the base');
  }

  /** A remote item and a calendar event found to be one (stamped id or iCalUID) without a status. */
  private link(cal: Cal, item: RemoteItem & { deleted: false }, remote: Hashed, rule: string): void {
    if (cal.hash === remote.hash) {
      // Already the same on both sides: only the status is recorded.
      this.skip('remote', cal.event.eventId, item.remoteId, rule, 'matched and identical', item.etag, next(remote.normal, remote.hash, item.updatedAt));
      return;
    }
    // The link is recorded first, with the remote's content as the base, so that a
    // failed write below cannot leave the pair unlinked (and a second copy created).
    this.skip('remote', cal.event.eventId, item.remoteId, rule, 'matched; the copies differ', item.etag, next(remote.normal, remote.hash, item.updatedAt));
    const calSeries = cal.event.series!;
    const status: SyncStatus = { eventId: cal.event.eventId, remoteId: item.remoteId, etag: item.etag, contentHash: remote.hash, base: remote.normal };
    // Matched copies differ and this binding never writes the calendar (export, busy-only): the calendar's copy wins.
    if (!this.canWriteCalendar) return this.pushToRemote(status, calSeries, item.etag, remote.updatedAt, rule, `matched; ${this.directionName()}: the calendar is the authority`);
    // Matched copies differ and this binding never writes the remote (import): the remote's copy wins.
    if (!this.canWriteRemote) return this.pullToCalendar(status, item, remote, rule, `matched; ${this.directionName()}: the remote is the authority`, calSeries);
    const result = mergeSeries({
      base: null, calendar: calSeries, remote: item.series,
      calendarUpdatedAt: cal.event.updatedAt, remoteUpdatedAt: item.updatedAt, policy: this.input.policy,
    });
    this.mergeAction(cal.event.eventId, item, result, cal.hash!, remote, rule, 'matched without a base; the two copies differ');
  }

  private mergeAction(eventId: string, item: RemoteItem & { deleted: false }, result: MergeResult, calHash: string | null, remote: Hashed, rule: string, reason: string): void {
    const projection = this.input.binding.projection;
    const calendarHash = hashNormal(normaliseSeries(project(result.merged, projection)));
    const remoteSeries = project(result.remote, projection);
    const remoteHash = hashNormal(normaliseSeries(remoteSeries));
    // Fields sent to a person keep the base's value in the status (result.base), so they
    // stay asked about; without such fields both sides hold the merge and it is the base.
    const base = normaliseSeries(project(result.base, projection));
    const asks = result.conflicts.length > 0;
    // Both sides changed: the merge result goes wherever it differs.
    this.push({
      op: 'merge', side: 'calendar', eventId, remoteId: item.remoteId, result, remoteSeries,
      writeCalendar: calendarHash !== calHash,
      writeRemote: remoteHash !== remote.hash, ifMatch: item.etag, etag: item.etag,
      remoteBase: { ...pendingBase(result, remote, projection), asked: asks ? { remote: remote.normal, contentHash: remote.hash } : null },
      rule, reason, next: next(base, hashNormal(base), remote.updatedAt, asks ? { remote: normaliseSeries(remoteSeries), contentHash: remoteHash } : null),
    });
    if (result.conflicts.length > 0) {
      // Same-field changes the policy sends to a person; the merge above still applies.
      this.push({
        op: 'conflict', side: 'calendar', eventId, remoteId: item.remoteId, conflicts: result.conflicts, quarantine: false,
        rule: `${this.input.policy.mode}/ask`, reason: `both sides changed ${result.conflicts.map((c) => c.field).join(', ')}`, next: null,
      });
    }
  }

  /** `seenAt`: the newest last-modified instant known of the remote item, kept with the status. */
  private pushToRemote(status: SyncStatus, series: EventSeries, ifMatch: string | null, seenAt: string | null, rule: string, reason: string): void {
    if (!this.canWriteRemote) {
      this.skip('calendar', status.eventId, status.remoteId, 'direction', `${this.directionName()} does not write the remote`, null, null);
      return;
    }
    const projected = project(series, this.input.binding.projection);
    const normal = normaliseSeries(projected);
    // The calendar's content goes to the remote item.
    this.push({
      op: 'update', side: 'remote', eventId: status.eventId, remoteId: status.remoteId, series: projected, ifMatch,
      rule, reason, next: next(normal, hashNormal(normal), seenAt),
    });
  }

  private pullToCalendar(status: SyncStatus, item: RemoteItem & { deleted: false }, remote: Hashed, rule: string, reason: string, calSeries: EventSeries): void {
    if (!this.canWriteCalendar) return this.pushToRemote(status, calSeries, item.etag, remote.updatedAt, 'direction', `${this.directionName()}: the calendar is the authority`);
    // The remote's content goes to the calendar event (a fast-forward).
    this.push({
      op: 'update', side: 'calendar', eventId: status.eventId, remoteId: item.remoteId, series: item.series, etag: item.etag,
      rule, reason, next: next(remote.normal, remote.hash, remote.updatedAt),
    });
  }

  /** Statuses whose item a complete listing no longer shows. */
  private absentItems(items: RemoteItem[]): void {
    const listed = new Set(items.map((i) => i.remoteId));
    for (const status of this.input.statuses) {
      if (status.pending || listed.has(status.remoteId) || this.handled.has(status.eventId)) continue;
      const window = this.input.remote.window;
      // Outside the sync window a missing item is absent, not deleted: nothing happens.
      if (window && isOutsideWindow(status.base, window)) continue;
      this.handled.add(status.eventId);
      this.pair(status, { remoteId: status.remoteId, etag: null, deleted: true, series: null, calsyncId: status.eventId, updatedAt: null });
    }
  }

  /** A calendar event no remote item of this pass touched. */
  private calendarEvent(cal: Cal): void {
    const { eventId, series } = cal.event;
    if (this.handled.has(eventId)) return;
    if (cal.error) {
      // The calendar event is malformed: it is set aside with its error, nothing is written.
      this.quarantine('calendar', null, eventId, 'invalid', cal.error);
      return;
    }
    const status = this.statusByEvent.get(eventId);
    // A person is deciding an edit against a delete on this event: neither side is touched.
    if (status?.quarantined) return;
    if (!status) {
      // A tombstone never synced here: nothing to do.
      if (series === null) return;
      // New in the calendar, but this binding only imports: the remote does not get it.
      if (!this.canWriteRemote) return;
      // New in the calendar but outside the binding's sync window: not this binding's to mirror.
      const window = this.input.remote.window;
      if (window && isOutsideWindow(series, window)) return;
      // New in the calendar: the remote gets it.
      this.createRemote(eventId, series, null, 'new/calendar', 'a new calendar event');
      return;
    }
    if (status.pending) {
      // A create whose answer was lost and whose item was not listed: send it again
      // (idempotent), or forget it once the event is gone. After an expired cursor the
      // listing cannot tell a create that never happened from an item deleted since;
      // re-creating keeps the event rather than risk losing it. It sends what the first
      // attempt sent, whatever the calendar holds now: the item an earlier attempt made
      // holds that, and so the one base fits whichever attempt landed. The calendar's
      // later edits follow as an update once the item is read again (apply.ts).
      if (series === null) this.skip('calendar', eventId, null, 'create/abandoned', 'deleted before its create was confirmed', null, 'drop');
      else if (this.canWriteRemote) {
        this.push({
          op: 'create', side: 'remote', eventId, remoteId: null, calsyncId: eventId, series: status.base, supersedes: null,
          rule: 'create/retry', reason: 'the earlier create was not confirmed', next: next(status.base, status.contentHash, null),
        });
      }
      return;
    }
    if (series === null) {
      // Deleted in the calendar: the remote item goes.
      if (this.canWriteRemote) this.deleteRemote(status.remoteId, status.etag, 'delete/calendar', 'deleted in the calendar', eventId);
      return;
    }
    // Only the calendar changed (the remote listed nothing of it): the remote item is
    // updated. Unchanged, or an import binding: nothing to do.
    if (cal.hash === status.contentHash || !this.canWriteRemote) return;
    if (status.asked) {
      // Fields are asked of a person: the change is merged onto what the remote holds
      // (written against the etag it was seen with), never written over those fields.
      // Without a known etag, '' matches no version: the write is refused and the item read again.
      const held = { remoteId: status.remoteId, etag: status.etag ?? '', deleted: false as const, series: status.asked.remote, calsyncId: eventId, updatedAt: status.remoteUpdatedAt ?? null };
      this.bothChanged(status, cal, held, { normal: status.asked.remote, hash: status.asked.contentHash, updatedAt: status.remoteUpdatedAt ?? null });
      return;
    }
    this.pushToRemote(status, series, status.etag, status.remoteUpdatedAt ?? null, 'calendar-changed', 'only the calendar changed');
  }

  private createRemote(eventId: string, series: EventSeries, supersedes: string | null, rule: string, reason: string): void {
    const projected = project(series, this.input.binding.projection);
    const normal = normaliseSeries(projected);
    this.push({
      op: 'create', side: 'remote', eventId, remoteId: null, calsyncId: eventId, series: projected, supersedes,
      rule, reason, next: next(normal, hashNormal(normal), null),
    });
  }

  private deleteRemote(remoteId: string, ifMatch: string | null, rule: string, reason: string, eventId: string | null = null): void {
    this.push({ op: 'delete', side: 'remote', eventId, remoteId, ifMatch, rule, reason, next: eventId ? 'drop' : null });
  }

  private skip(side: Side, eventId: string | null, remoteId: string | null, rule: string, reason: string, etag: string | null, nextStatus: NextStatus): void {
    this.push({ op: 'skip', side, eventId, remoteId, rule, reason, etag, next: nextStatus });
  }

  private conflict(status: SyncStatus, reason: string, conflict: MergeConflict, seen: RemoteItem | null = null): void {
    // Edit against delete under `ask`: the item waits for a person, nothing is written.
    this.push({
      op: 'conflict', side: 'calendar', eventId: status.eventId, remoteId: status.remoteId, conflicts: [conflict], quarantine: true,
      rule: `edit-vs-delete:${this.input.policy.editVsDelete}`, reason, next: null,
      ...(seen && !seen.deleted ? { etag: seen.etag, seenAt: seen.updatedAt ?? null } : {}),
    });
  }

  private quarantine(side: Side, remoteId: string | null, eventId: string | null, rule: string, error: CoreError): void {
    // A bad item is set aside with its error; the rest of the pass goes on.
    this.push({ op: 'quarantine', side, eventId, remoteId, rule, reason: error.message, next: null, error: { code: error.code, message: error.message, path: error.path } });
  }

  private push(action: Action): void {
    this.actions.push(action);
  }

  /** Who wins an edit on `edited` against a delete, with the direction as authority. */
  private authority(edited: Side): 'edit' | 'delete' | 'ask' {
    const { direction, projection } = this.input.binding;
    if (direction === 'import') return edited === 'remote' ? 'edit' : 'delete';
    if (direction === 'export' || projection !== 'full') return edited === 'calendar' ? 'edit' : 'delete';
    return editVsDeleteOutcome(this.input.policy, edited);
  }

  private directionName(): string {
    const { direction, projection } = this.input.binding;
    return projection === 'full' ? direction : `${direction} (${projection})`;
  }

  private view(event: CalendarEvent): Cal {
    if (event.series === null) return { event, hash: null, error: null };
    try {
      const normal = normaliseSeries(project(event.series, this.input.binding.projection));
      // A series stored before calsync refused rules it cannot expand is set aside too.
      checkSeriesRecurrence(normal);
      return { event, hash: hashNormal(normal), error: null };
    } catch (error) {
      if (error instanceof CoreError) return { event, hash: null, error };
      throw error;
    }
  }

  private remoteHash(item: RemoteItem & { deleted: false }, status?: SyncStatus): Hashed | null {
    try {
      const normal = normaliseSeries(item.series);
      // Connectors that parse refuse such rules already; this covers every connector.
      checkSeriesRecurrence(normal);
      return { normal, hash: hashNormal(normal), updatedAt: newest(status?.remoteUpdatedAt, item.updatedAt) };
    } catch (error) {
      if (!(error instanceof CoreError)) throw error;
      this.quarantine('remote', item.remoteId, this.statusByRemote.get(item.remoteId)?.eventId ?? null, 'invalid', error);
      return null;
    }
  }
}

/**
 * A remote item's normal form and hash, and the newest last-modified instant known of
 * it: the item's, or the status's when the item carries none.
 */
interface Hashed { normal: EventSeries; hash: string; updatedAt: string | null }

/** The status a merge leaves until its remote write lands (baseUntilRemoteWritten). */
function pendingBase(result: MergeResult, remote: Hashed, projection: Projection): { base: EventSeries; contentHash: string; remoteUpdatedAt: string | null } {
  if (result.conflicts.length === 0) return { base: remote.normal, contentHash: remote.hash, remoteUpdatedAt: remote.updatedAt };
  const base = normaliseSeries(project(baseUntilRemoteWritten(result, remote.normal), projection));
  return { base, contentHash: hashNormal(base), remoteUpdatedAt: remote.updatedAt };
}

function next(base: EventSeries, contentHash: string, remoteUpdatedAt: string | null | undefined, asked: Asked | null = null): NextStatus {
  return { base, contentHash, remoteUpdatedAt: remoteUpdatedAt ?? null, asked };
}

/**
 * One entry per remote id, in order of first delivery: the newest delivered by the
 * provider's last-modified instant, else the last delivered (Graph delta repeats an item
 * with its latest state last; a lagging replica can append an older one after it).
 */
function newestOccurrences(items: RemoteItem[]): RemoteItem[] {
  const byId = new Map<string, RemoteItem>();
  for (const item of items) {
    const seen = byId.get(item.remoteId);
    if (seen === undefined || !isOlder(item.updatedAt, seen.updatedAt)) byId.set(item.remoteId, item);
  }
  return [...byId.values()];
}
