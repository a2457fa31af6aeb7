// What a calendar view holds: the single events, occurrences and exceptions that overlap
// a time window (calendar-list-calendarview: "the occurrences, exceptions, and single
// instances of events in a calendar view defined by a time range"), and, for delta, the
// series masters that have an instance in it. Occurrences are computed from their master
// here; their ids encode the master and the original start, and an exception keeps the id
// of the occurrence it replaces.
import { occurrenceDates } from './recurrence.ts';
import type { MailboxStore, Moment, StoredEvent } from './store.ts';
import { instantToLocal, localToInstant } from './zones.ts';

export interface Window {
  from: number;
  to: number;
}

/** One item of a view: a stored event, or an occurrence computed from a master. */
export interface ViewItem {
  id: string;
  type: 'singleInstance' | 'seriesMaster' | 'occurrence' | 'exception';
  /** The stored event whose members the item shows: itself, or the master of an occurrence. */
  source: StoredEvent;
  start: Moment;
  end: Moment;
  seriesMasterId: string | null;
  originalStartMs: number | null;
  /** Changes whenever what the item shows changes. */
  version: string;
}

const PREFIX = 'AAMkO';

export function occurrenceId(masterId: string, originalStartMs: number): string {
  return PREFIX + Buffer.from(`${masterId}|${originalStartMs}`).toString('base64').replace(/\//g, '-').replace(/\+/g, '_');
}

export function parseOccurrenceId(id: string): { masterId: string; originalStartMs: number } | null {
  if (!id.startsWith(PREFIX)) return null;
  const text = Buffer.from(id.slice(PREFIX.length).replace(/-/g, '/').replace(/_/g, '+'), 'base64').toString('utf8');
  const bar = text.lastIndexOf('|');
  const ms = Number(text.slice(bar + 1));
  return bar > 0 && Number.isSafeInteger(ms) ? { masterId: text.slice(0, bar), originalStartMs: ms } : null;
}

const overlaps = (start: number, end: number, w: Window): boolean => (end > start ? start < w.to && end > w.from : start >= w.from && start < w.to);

export const itemOf = (event: StoredEvent): ViewItem => ({
  id: event.id, type: event.type, source: event, start: event.start, end: event.end,
  seriesMasterId: event.seriesMasterId, originalStartMs: event.originalStartMs, version: event.changeKey,
});

/**
 * Occurrences one series answers at most for one window: converting a wall clock to an
 * instant goes through Intl and costs microseconds, so a daily series over centuries is
 * cut here rather than stalling the emulator (Google's emulator caps at 2500 likewise).
 */
export const MAX_INSTANCES = 5000;

/** The occurrences of a master overlapping [fromMs, untilMs) or near it (cancelled ones left out, exceptions not applied). */
export function occurrencesOf(master: StoredEvent, fromMs: number, untilMs: number): ViewItem[] {
  const rec = master.recurrence;
  if (rec === null) return [];
  const zone = master.start.zone.iana;
  const timeOfDay = instantToLocal(master.start.ms, zone).slice(11);
  const duration = master.end.ms - master.start.ms;
  const until = instantToLocal(untilMs + 86_400_000, zone).slice(0, 10);
  const from = Number.isFinite(fromMs) ? instantToLocal(fromMs - duration - 2 * 86_400_000, zone).slice(0, 10) : '0000-01-01';
  const out: ViewItem[] = [];
  for (const date of occurrenceDates(rec, until).dates) {
    if (date < from) continue;
    const ms = localToInstant(`${date}T${timeOfDay}`, zone);
    if (master.cancelled.includes(ms)) continue;
    out.push({
      id: occurrenceId(master.id, ms), type: 'occurrence', source: master,
      start: { ms, zone: master.start.zone }, end: { ms: ms + duration, zone: master.end.zone },
      seriesMasterId: master.id, originalStartMs: ms, version: `${master.changeKey}@${ms}`,
    });
    if (out.length >= MAX_INSTANCES) break;
  }
  return out;
}

/** The instances of a series in a window: occurrences with exceptions in their place. */
export function instancesOf(store: MailboxStore, master: StoredEvent, window: Window): ViewItem[] {
  const exceptions = store.exceptionsOf(master.id);
  const replaced = new Set(exceptions.map((e) => e.id));
  const items = occurrencesOf(master, window.from, window.to)
    .filter((o) => !replaced.has(o.id) && overlaps(o.start.ms, o.end.ms, window));
  for (const e of exceptions) if (overlaps(e.start.ms, e.end.ms, window)) items.push(itemOf(e));
  return items.sort((a, b) => a.start.ms - b.start.ms || a.id.localeCompare(b.id));
}

/** The items of a calendar's view of a window, sorted by start. */
export function viewOf(store: MailboxStore, calendarId: string, window: Window, includeMasters: boolean): ViewItem[] {
  const items: ViewItem[] = [];
  for (const event of store.events.values()) {
    if (event.deleted || event.calendarId !== calendarId || event.type === 'exception') continue;
    if (event.type === 'singleInstance') {
      if (overlaps(event.start.ms, event.end.ms, window)) items.push(itemOf(event));
      continue;
    }
    const instances = instancesOf(store, event, window);
    if (instances.length > 0 && includeMasters) items.push(itemOf(event));
    items.push(...instances);
  }
  return items.sort((a, b) => a.start.ms - b.start.ms || a.id.localeCompare(b.id));
}

/** Any event or occurrence by id, as GET /me/events/{id} finds it; undefined when there is none. */
export function findItem(store: MailboxStore, id: string): ViewItem | undefined {
  const stored = store.live(id);
  if (stored) return itemOf(stored);
  const occ = parseOccurrenceId(id);
  if (occ === null) return undefined;
  const master = store.live(occ.masterId);
  if (!master || master.type !== 'seriesMaster') return undefined;
  return occurrencesOf(master, occ.originalStartMs, occ.originalStartMs).find((o) => o.originalStartMs === occ.originalStartMs);
}
