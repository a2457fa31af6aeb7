// What a binding shows of an event. `busy-only` bindings (a work calendar mirrored into
// a personal one) carry time, recurrence and free/busy only; the rest stays private.
// A busy copy has a UID of its own, derived from the event's: the meeting's real UID
// would tell the copy's readers which meeting it is, and would make the copy the same
// meeting as the original for any sync that meets both (two calendars mirroring busy
// time into each other's remotes would merge each block back onto its own event).
import { createHash } from 'node:crypto';
import { oneOfArgument } from './arguments.ts';
import { CoreError } from './errors.ts';
import type { CanonicalEvent, EventSeries } from './model.ts';

export const PROJECTIONS = ['full', 'busy-only'] as const;
export type Projection = (typeof PROJECTIONS)[number];

export function project(series: EventSeries, projection: Projection): EventSeries {
  oneOfArgument(projection, PROJECTIONS, 'projection');
  if (typeof series !== 'object' || series === null) throw new CoreError('INVALID_EVENT', 'series must be an object', 'series');
  if (typeof series.master !== 'object') throw new CoreError('INVALID_EVENT', 'master must be an event or null', 'series.master');
  const overrides = series.overrides ?? [];
  if (!Array.isArray(overrides)) throw new CoreError('INVALID_EVENT', 'overrides must be an array', 'series.overrides');
  if (projection === 'full') return series;
  if (typeof series.uid !== 'string') throw new CoreError('INVALID_EVENT', 'uid must be a string', 'series.uid');
  const uid = busyCopyUid(series.uid);
  return { uid, master: series.master && busy(series.master, uid, 'series.master'), overrides: overrides.map((o, i) => busy(o, uid, `series.overrides[${i}]`)) };
}

const busyCopyPrefix = 'calsync-busy-';

/** The UID of the busy copy of the meeting with `uid`: the same for every copy, telling nothing of the meeting. */
export function busyCopyUid(uid: string): string {
  return `${busyCopyPrefix}${createHash('sha256').update(uid.trim()).digest('hex').slice(0, 32)}`;
}

/** Whether a UID is a busy copy's: such an item is a mirror calsync made, never a meeting to import. */
export function isBusyCopyUid(uid: string): boolean {
  return uid.trim().startsWith(busyCopyPrefix);
}

/** What a block of busy time never carries of the meeting it stands for (fresh each call: callers may change it). */
export function nobodysMeeting(): Pick<CanonicalEvent, 'visibility' | 'organizer' | 'attendees' | 'conference' | 'reminders' | 'categories' | 'color' | 'extras'> {
  return { visibility: 'private', organizer: null, attendees: [], conference: null, reminders: [], categories: [], color: null, extras: {} };
}

function busy(event: CanonicalEvent, uid: string, path: string): CanonicalEvent {
  if (typeof event !== 'object' || event === null) throw new CoreError('INVALID_EVENT', 'event must be an object', path);
  return { ...event, uid, summary: 'Busy', description: '', descriptionHtml: null, location: '', ...nobodysMeeting() };
}
