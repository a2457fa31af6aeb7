// The data a planning pass takes and returns (plan.ts): plain values that the engine
// loads from the store and the connector, and actions it applies and audits.
import { isPlainObject } from './arguments.ts';
import { CoreError } from './errors.ts';
import type { MergeConflict, MergeResult } from './merge.ts';
import type { CalsyncId, EventSeries, RemoteItem } from './model.ts';
import type { MergePolicy, Side } from './policy.ts';
import { PROJECTIONS, type Projection } from './projection.ts';
import { checkWindow, type SafetySettings, type SafetyStop, type SyncWindow } from './safety.ts';

/** Per binding and item: where it lives remotely and the base both sides agreed on. */
export interface SyncStatus {
  eventId: string;
  remoteId: string;
  etag: string | null;
  /** hashNormal(base). */
  contentHash: string;
  /** Normalised content both sides last agreed on (as this binding projects it). */
  base: EventSeries;
  /** Set while a person decides an edit-against-delete; the planner leaves the item alone. */
  quarantined?: boolean;
  /**
   * A create was sent but its answer not stored (timeout, crash): `remoteId` is a
   * placeholder and `base` what was sent. The stamped item, once listed, is adopted
   * with this base; until then the create is repeated, which is idempotent.
   */
  pending?: boolean;
  /**
   * A remote write whose answer was lost: what was sent. If the item comes back with
   * exactly this content the write landed, and this is the base; otherwise it did not.
   */
  sent?: { base: EventSeries; contentHash: string };
  /**
   * The provider's last-modified instant of the newest version of the item this binding
   * has seen or written, when the provider reports one. A live item listed with an older
   * one is a stale delivery (a lagging replica, a replayed notification): taken as the
   * item's content, it would undo the newer edits.
   */
  remoteUpdatedAt?: string | null;
  /**
   * While fields are sent to a person (a merge that asked), what the remote holds: it
   * differs from `base` in those fields. The remote is unchanged while it holds this; a
   * calendar change is merged onto it, never written over the asked fields.
   */
  asked?: Asked | null;
}

/** The remote's content (normalised, projected) and its hash, while fields are asked. */
export interface Asked {
  remote: EventSeries;
  contentHash: string;
}

/** A calendar event as the planner sees it; `series` null is a tombstone. */
export interface CalendarEvent {
  /** The event id, also the calsync id stamped on remote copies. */
  eventId: string;
  series: EventSeries | null;
  /** The iCalUID, kept on tombstones so an untracked remote copy cannot revive them. */
  uid?: string;
  /**
   * On a tombstone: the content the event had when it was deleted. An edit that wins
   * against the delete is merged onto it, so changes other bindings brought in before
   * the delete are not undone by a restore.
   */
  lastSeries?: EventSeries | null;
  /** The calendar's last write of this event (ISO instant), for "latest write wins". */
  updatedAt: string | null;
}

export type Direction = 'two_way' | 'import' | 'export';

export interface PlanInput {
  binding: { direction: Direction; projection: Projection };
  policy: MergePolicy;
  safety: SafetySettings;
  /** Every sync status of the binding. */
  statuses: SyncStatus[];
  /**
   * The calendar's events this pass considers: at least those changed or deleted since
   * the binding's last pass and every live event whose UID a new remote item may carry
   * (the engine passes all live events and recent tombstones). An event not listed is
   * unchanged; absence is never deletion.
   */
  calendar: CalendarEvent[];
  remote: {
    /** Every page of this pull, in order; duplicates keep their last occurrence. */
    items: RemoteItem[];
    /** The pull listed every live item (no cursor, or a resync after an expired one). */
    complete: boolean;
    /** The binding's sync window, when its listings only cover one. */
    window: SyncWindow | null;
  };
}

/**
 * The status to store after an action: the new base and its hash, or drop it. After a
 * remote write, `remoteUpdatedAt` is raised to the write's when the answer carries one.
 */
export type NextStatus = { base: EventSeries; contentHash: string; remoteUpdatedAt: string | null; asked?: Asked | null } | 'drop' | null;

interface ActionCommon {
  /** The side the action writes or, for skips and conflicts, the side it is about. */
  side: Side;
  /** null for events the action creates. */
  eventId: string | null;
  /** null for items the action creates. */
  remoteId: string | null;
  rule: string;
  reason: string;
  next: NextStatus;
}

export type Action =
  /** A new calendar event from a remote item; the store allocates its id. */
  | ActionCommon & { op: 'create'; side: 'calendar'; series: EventSeries; etag: string }
  /** A new remote item for a calendar event, stamped with `calsyncId`. */
  | ActionCommon & { op: 'create'; side: 'remote'; eventId: string; calsyncId: CalsyncId; series: EventSeries; supersedes: string | null }
  /** Replace the calendar event (un-deleting a tombstone); `etag` is the remote's to store. */
  | ActionCommon & { op: 'update'; side: 'calendar'; eventId: string; series: EventSeries; etag: string }
  | ActionCommon & { op: 'update'; side: 'remote'; eventId: string; remoteId: string; series: EventSeries; ifMatch: string | null }
  | ActionCommon & { op: 'delete'; side: 'calendar'; eventId: string }
  | ActionCommon & { op: 'delete'; side: 'remote'; remoteId: string; ifMatch: string | null }
  /** Nothing to write; `etag` (when set) is the remote's current one to store. */
  /** `seenAt`: the last-modified instant of the version skipped, kept with its etag when no new base is stored. */
  | ActionCommon & { op: 'skip'; etag: string | null; seenAt?: string | null }
  /** Both sides changed: write `result.merged` where it differs. */
  | ActionCommon & {
    op: 'merge'; eventId: string; remoteId: string; result: MergeResult;
    writeCalendar: boolean; writeRemote: boolean; remoteSeries: EventSeries; ifMatch: string | null; etag: string;
    /**
     * The status to hold while the remote write is unconfirmed: the remote's content,
     * which the calendar has just absorbed, with asked fields at the base's value
     * (baseUntilRemoteWritten). Stored before the remote write, so a failed write leaves
     * a base against which neither side's changes look like the other's.
     */
    remoteBase: { base: EventSeries; contentHash: string; remoteUpdatedAt: string | null; asked?: Asked | null };
  }
  /**
   * Fields for the conflict queue; `quarantine` holds the item until a person decides.
   * `etag` and `seenAt`: the remote version the question is about, kept as seen (a held
   * item is not planned again, so an older version a lagging replica replays later is
   * recognised as stale, not taken for a new edit once the person decided).
   */
  | ActionCommon & { op: 'conflict'; eventId: string; conflicts: MergeConflict[]; quarantine: boolean; etag?: string | null; seenAt?: string | null }
  | ActionCommon & { op: 'quarantine'; error: { code: string; message: string; path: string | null } };

export interface Plan {
  /** What to apply; empty when the pass stopped. */
  actions: Action[];
  /** Why the pass stopped for confirmation, with the actions it held back. */
  stop: SafetyStop | null;
  held: Action[];
}

/** Shape checks of a plan input; content errors are quarantined per item instead. */
export function checkPlanInput(input: PlanInput): void {
  const fail = (message: string, path: string): never => { throw new CoreError('INVALID_INPUT', message, path); };
  const isObject = (x: unknown): boolean => typeof x === 'object' && x !== null;
  // Absent and null are one: the store writes null, object literals leave members out.
  const optionalString = (x: unknown): boolean => x == null || typeof x === 'string';
  const optionalBoolean = (x: unknown): boolean => x == null || typeof x === 'boolean';
  if (!isPlainObject(input)) fail('plan input must be an object', 'input');
  if (!['two_way', 'import', 'export'].includes(input.binding?.direction)) fail('direction must be two_way, import or export', 'input.binding.direction');
  if (!(PROJECTIONS as readonly unknown[]).includes(input.binding?.projection)) fail('projection must be full or busy-only', 'input.binding.projection');
  if (!Array.isArray(input.statuses)) fail('statuses must be an array', 'input.statuses');
  if (!Array.isArray(input.calendar)) fail('calendar must be an array', 'input.calendar');
  if (!Array.isArray(input.remote?.items)) fail('remote.items must be an array', 'input.remote.items');
  if (typeof input.remote.complete !== 'boolean') fail('remote.complete must be true or false', 'input.remote.complete');
  if (input.remote.window != null) checkWindow(input.remote.window, 'input.remote.window');
  const remoteIds = new Set<string>();
  const eventIds = new Set<string>();
  input.statuses.forEach((s, i) => {
    if (typeof s?.remoteId !== 'string' || typeof s.eventId !== 'string' || typeof s.contentHash !== 'string') fail('status needs eventId, remoteId and contentHash', `input.statuses[${i}]`);
    if (!isObject(s.base)) fail('status needs the base series', `input.statuses[${i}].base`);
    if (!optionalString(s.etag) || !optionalString(s.remoteUpdatedAt)) fail('etag and remoteUpdatedAt are strings or null', `input.statuses[${i}]`);
    if (!optionalBoolean(s.pending) || !optionalBoolean(s.quarantined)) fail('pending and quarantined are true or false', `input.statuses[${i}]`);
    if (s.sent != null && !(isObject(s.sent.base) && typeof s.sent.contentHash === 'string')) fail('sent needs a base and its contentHash', `input.statuses[${i}].sent`);
    if (remoteIds.has(s.remoteId)) fail(`two statuses for remote id ${s.remoteId}`, `input.statuses[${i}].remoteId`);
    if (eventIds.has(s.eventId)) fail(`two statuses for event ${s.eventId}`, `input.statuses[${i}].eventId`);
    remoteIds.add(s.remoteId);
    eventIds.add(s.eventId);
  });
  const calendarIds = new Set<string>();
  input.calendar.forEach((e, i) => {
    if (typeof e?.eventId !== 'string') fail('event needs an eventId', `input.calendar[${i}].eventId`);
    if (e.series !== null && !isObject(e.series)) fail('series must be a series, or null for a tombstone', `input.calendar[${i}].series`);
    if (e.lastSeries != null && !isObject(e.lastSeries)) fail('lastSeries must be a series or null', `input.calendar[${i}].lastSeries`);
    if (!optionalString(e.uid) || !optionalString(e.updatedAt)) fail('uid and updatedAt are strings or null', `input.calendar[${i}]`);
    if (calendarIds.has(e.eventId)) fail(`event ${e.eventId} listed twice`, `input.calendar[${i}].eventId`);
    calendarIds.add(e.eventId);
  });
  input.remote.items.forEach((item, i) => {
    if (typeof item?.remoteId !== 'string') fail('item needs a remoteId', `input.remote.items[${i}].remoteId`);
    if (typeof item.deleted !== 'boolean') fail('deleted must be true or false', `input.remote.items[${i}].deleted`);
    if (!item.deleted && !isObject(item.series)) fail('a live item needs a series', `input.remote.items[${i}].series`);
    if (!optionalString(item.etag) || !optionalString(item.calsyncId) || !optionalString(item.updatedAt)) {
      fail('etag, calsyncId and updatedAt are strings or null', `input.remote.items[${i}]`);
    }
  });
}
