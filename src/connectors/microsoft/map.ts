// Pure: Graph events ⇄ RemoteItem and the writes of a series. Graph keeps a recurring
// series as a `seriesMaster` (with `recurrence`), its `occurrence`s (computed, each
// with an id of its own) and its `exception`s (occurrences changed on their own), all
// pointing at the master through `seriesMasterId`. A RemoteItem is the whole series
// under the master's id: the master and its exceptions; occurrences say nothing a
// master does not, except by their absence: an instance the pattern gives that Graph
// does not list was cancelled (deleted). Graph names those on the master as
// `cancelledOccurrences` ("OID.<master id>.<date>") when asked with $select, and
// otherwise only by their absence from an instances listing (exdatesFromInstances).
import { createHash } from 'node:crypto';
import { CoreError } from '../../core/errors.ts';
import { expandSeries } from '../../core/ical/expand.ts';
import { isoInstant, localToInstant } from '../../core/ical/zoned.ts';
import type { CanonicalEvent, EventSeries, LocalDateTime } from '../../core/model.ts';
import { compare } from '../../core/normalise.ts';
import { validateSeries } from '../../core/validate.ts';
import { unreadableItem, type RemoteDeletedItem, type RemoteItem, type UnreadableItem } from '../connector.ts';
import { occurrenceDate, readGraphEvent, type GraphMasterTerms } from './read.ts';
import { allDayZone, eventToGraph, type GraphRenderMeta } from './render.ts';
import { stampOf } from './stamp.ts';
import type { GraphEvent } from './types.ts';
import { ianaFromGraphZone } from './zones.ts';

/** A delta entry for an item that left the window or was deleted: `{id, "@removed": {reason}}`. */
export const isRemoved = (entry: GraphEvent): boolean => typeof entry === 'object' && entry !== null && entry['@removed'] !== undefined;

/**
 * A deleted item. Graph's `@removed` entry carries only the id, so it carries no
 * stamp; calendarView delta also reports as removed what left the round's window,
 * which the connector filters by its own window (PROVIDER-FACTS.md).
 */
export function deletedItem(remoteId: string): RemoteDeletedItem {
  return { remoteId, etag: null, deleted: true, series: null, calsyncId: null, updatedAt: null };
}

export interface GraphSeriesEvents {
  /** The seriesMaster or singleInstance; null when only exceptions are known. */
  master: GraphEvent | null;
  exceptions: GraphEvent[];
}

/** The id of the series an event belongs to: its master's, or its own. */
export function seriesIdOf(event: GraphEvent): string {
  return (event.type === 'occurrence' || event.type === 'exception') && typeof event.seriesMasterId === 'string' ? event.seriesMasterId : event.id!;
}

/**
 * The events of series `seriesId` among `events` (a listing holds others too);
 * occurrences are left out. A master read with `$expand=exceptionOccurrences` carries
 * its exceptions inside it, without `type` or `seriesMasterId`: they count too.
 */
export function seriesEvents(seriesId: string, events: GraphEvent[]): GraphSeriesEvents {
  let master: GraphEvent | null = null;
  const exceptions = new Map<string, GraphEvent>();
  for (const e of events) {
    if (isRemoved(e)) continue;
    if (e.id === seriesId && e.type !== 'exception' && e.type !== 'occurrence') master = e;
    else if (e.type === 'exception' && e.seriesMasterId === seriesId && typeof e.id === 'string') exceptions.set(e.id, e);
  }
  const expanded = Array.isArray(master?.exceptionOccurrences) ? (master.exceptionOccurrences as GraphEvent[]) : [];
  for (const e of expanded) {
    if (typeof e?.id === 'string' && !exceptions.has(e.id)) exceptions.set(e.id, { ...e, type: 'exception', seriesMasterId: seriesId });
  }
  return { master, exceptions: [...exceptions.values()].sort((a, b) => compare(a.id!, b.id!)) };
}

/**
 * The item's etag: the master's own `@odata.etag` when it stands alone, so If-Match
 * takes it as is; else `series:` and a digest of every event's id and change key, which
 * moves when any of them does.
 */
export function seriesEtag({ master, exceptions }: GraphSeriesEvents): string {
  const version = (e: GraphEvent): string => e['@odata.etag'] ?? e.changeKey ?? '';
  if (exceptions.length === 0 && master !== null) return version(master);
  const digest = createHash('sha256');
  for (const e of [...(master ? [master] : []), ...exceptions]) digest.update(`${e.id}\t${version(e)}\n`);
  return `series:${digest.digest('base64url').slice(0, 27)}`;
}

/** The latest lastModifiedDateTime of the series' events, or null when one has none. */
export function seriesUpdatedAt(events: GraphEvent[]): string | null {
  const times = events.map((e) => (typeof e.lastModifiedDateTime === 'string' ? Date.parse(e.lastModifiedDateTime) : Number.NaN));
  if (times.length === 0 || times.some(Number.isNaN)) return null;
  return new Date(Math.max(...times)).toISOString();
}

/** An error from one event, its path prefixed with the event's id. */
function within<T>(event: GraphEvent, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (!(e instanceof CoreError)) throw e;
    const suffix = e.path === null ? '' : ` (at ${e.path})`;
    const message = e.message.endsWith(suffix) ? e.message.slice(0, -suffix.length) : e.message;
    throw new CoreError(e.code, message, `event ${event.id ?? '(no id)'}${e.path && e.path !== '(root)' ? `.${e.path}` : ''}`);
  }
}

/**
 * The EXDATEs a master's `cancelledOccurrences` names. The id carries the date alone,
 * read as the instance's date in the master's zone with the master's time of day.
 */
function cancelledExdates(master: GraphEvent, event: CanonicalEvent): LocalDateTime[] {
  const list = Array.isArray(master.cancelledOccurrences) ? master.cancelledOccurrences : [];
  return list.flatMap((id, i) => {
    const date = occurrenceDate(id, master.id ?? undefined);
    if (date === null) throw new CoreError('INVALID_EVENT', `expected an occurrence id like OID.<master id>.2020-04-30, got ${JSON.stringify(id)}`, `cancelledOccurrences[${i}]`);
    return [event.allDay ? date : `${date}T${event.start.local.slice(11)}`];
  });
}

export interface GraphSeries extends EventSeries {
  /** The stamp on the master (else on the first exception), or null. */
  calsyncId: string | null;
}

export interface GraphSeriesContext {
  /** The master as last known, for exceptions that come without it. */
  master?: GraphMasterTerms | null;
  /** The series' uid when the master is not among the events. */
  uid?: string;
}

/** One series from its master and exceptions (occurrences and other series' events are ignored). */
export function seriesFromGraph(events: GraphSeriesEvents, context: GraphSeriesContext = {}): GraphSeries {
  const { master, exceptions } = events;
  if (master === null && exceptions.length === 0) throw new CoreError('INVALID_EVENT', 'a series needs its master or an exception', 'events');
  let terms: GraphMasterTerms | null = context.master ?? null;
  let masterEvent: CanonicalEvent | null = null;
  if (master !== null) {
    const read = within(master, () => readGraphEvent(master, { uid: context.uid }));
    masterEvent = read.event;
    terms = { uid: read.event.uid, allDay: read.event.allDay, start: read.event.start, zone: read.zone };
    if (masterEvent.recurrence !== null) {
      const exdate = within(master, () => cancelledExdates(master, masterEvent!));
      masterEvent.recurrence.exdate = [...new Set(exdate)].sort(compare);
    } else if (exceptions.length > 0) {
      // A master that no longer recurs has no instances for exceptions to replace.
      return { uid: masterEvent.uid, master: masterEvent, overrides: [], calsyncId: stampOf(master) };
    }
  }
  const seen = new Set<string>();
  const overrides = exceptions.map((e) => {
    const event = within(e, () => readGraphEvent(e, { master: terms, uid: terms?.uid ?? context.uid }).event);
    if (seen.has(event.recurrenceId!)) throw new CoreError('INVALID_EVENT', `two exceptions replace the instance of ${event.recurrenceId}`, `event ${e.id}.originalStart`);
    seen.add(event.recurrenceId!);
    return event;
  }).sort((a, b) => compare(a.recurrenceId!, b.recurrenceId!));
  const uid = masterEvent?.uid ?? overrides[0]!.uid;
  const series: EventSeries = { uid, master: masterEvent, overrides };
  validateSeries(series);
  const stamped = [master, ...exceptions].find((e) => e !== null && stampOf(e) !== null);
  return { ...series, calsyncId: stamped ? stampOf(stamped) : null };
}

/**
 * What series `seriesId` is from the events a listing gave: a deleted item when neither
 * its master nor an exception is there, else the series, or an unreadable item naming
 * the event and member Graph sent that calsync cannot read (an unknown time zone, a
 * pattern Graph does not document…), so one bad event holds back no other.
 */
export function readSeries(seriesId: string, events: GraphSeriesEvents, context: GraphSeriesContext = {}): RemoteItem | UnreadableItem {
  const all = [...(events.master ? [events.master] : []), ...events.exceptions];
  if (all.length === 0) return deletedItem(seriesId);
  const etag = seriesEtag(events);
  const updatedAt = seriesUpdatedAt(all);
  try {
    const { calsyncId, ...series } = seriesFromGraph(events, context);
    return { remoteId: seriesId, etag, deleted: false, series, calsyncId, updatedAt };
  } catch (error) {
    if (!(error instanceof CoreError)) throw error;
    return unreadableItem(seriesId, `Graph event ${seriesId} cannot be read: ${error.message}`, JSON.stringify(all), {
      etag, calsyncId: stampOf(events.master) ?? events.exceptions.map(stampOf).find((s) => s !== null) ?? null, updatedAt,
    });
  }
}

export const isUnreadable = (entry: RemoteItem | UnreadableItem): entry is UnreadableItem => 'reason' in entry;

/**
 * A series with the instances an instances listing (GET /events/{id}/instances over
 * `[from, to)`) leaves out added as EXDATEs: the pattern gives them, Graph has no
 * occurrence or exception for them, so they were deleted. `instances` must be the
 * whole listing of that window; an occurrence is known by its `originalStart`, else
 * by its start (an occurrence is where its pattern puts it).
 */
export function exdatesFromInstances(series: EventSeries, instances: GraphEvent[], window: { from: string; to: string }, calendarTimeZone: string): EventSeries {
  const master = series.master;
  if (master === null || master.recurrence === null) return series;
  const zone = master.allDay ? allDayZone(master, calendarTimeZone) : (master.start.tz ?? calendarTimeZone);
  const listed = new Set(instances.filter((i) => !isRemoved(i)).map((i, n) => isoInstant(originalInstant(i, n, master, zone))));
  const bare: EventSeries = { ...series, master: { ...master, recurrence: { ...master.recurrence, exdate: [] } }, overrides: [] };
  const expansion = expandSeries(bare, { from: window.from, to: window.to, defaultZone: zone });
  if (expansion.truncated) throw new CoreError('INVALID_INPUT', 'the window holds too many instances to compare', 'window');
  const missing = expansion.instances.filter((i) => !listed.has(i.start)).map((i) => i.recurrenceId!);
  const exdate = [...new Set([...master.recurrence.exdate, ...missing])].sort(compare);
  return { ...series, master: { ...master, recurrence: { ...master.recurrence, exdate } } };
}

/**
 * Where an instance was before any change: its `originalStart`, else the date of its
 * `occurrenceId` at the master's time, else (an occurrence, which is where its pattern
 * put it) its start. An exception with neither is refused: its start is where it was
 * moved to, and reading it as its original would take its true date for a deletion.
 */
function originalInstant(instance: GraphEvent, n: number, master: CanonicalEvent, zone: string): number {
  if (typeof instance.originalStart === 'string' && !Number.isNaN(Date.parse(instance.originalStart))) return Date.parse(instance.originalStart);
  const date = occurrenceDate(instance.occurrenceId);
  if (date !== null) return localToInstant(master.allDay ? `${date}T00:00:00` : `${date}T${master.start.local.slice(11)}`, zone);
  const start = instance.start;
  if (instance.type === 'exception' || start === undefined) throw new CoreError('INVALID_EVENT', 'an exception without originalStart or occurrenceId', `instances[${n}]`);
  const local = start.dateTime.replace(/\.\d+$/, '');
  return localToInstant(local, ianaFromGraphZone(start.timeZone, `instances[${n}].start.timeZone`));
}

/** An instance of a series as Graph knows it: its original start as an instant, for matching occurrences. */
export interface GraphInstanceRef {
  /** The override key (model terms). */
  recurrenceId: LocalDateTime;
  /** The instance's original start (UTC), as Graph's `originalStart` writes it. */
  originalStart: string;
}

export interface GraphSeriesWrite {
  /** The create or PATCH body of the master (or single event); null when the series has none. */
  master: GraphEvent | null;
  /** Each exception: PATCH the occurrence whose original start this is with the body. */
  exceptions: (GraphInstanceRef & { body: GraphEvent })[];
  /** Instances to delete: the master's EXDATEs and overrides that are only a cancellation. */
  cancellations: GraphInstanceRef[];
}

/** The master's terms an instance is written in: its start and, for all-day series, the zone of its dates. */
export type GraphMasterWriteTerms = Pick<CanonicalEvent, 'allDay' | 'start' | 'extras'>;

/** The original start of an instance as an instant, in the master's terms (its zone, or the calendar's for floating series). */
function instanceRef(recurrenceId: LocalDateTime, master: GraphMasterWriteTerms | null, calendarTimeZone: string): GraphInstanceRef {
  const allDay = !recurrenceId.includes('T');
  const zone = master === null ? calendarTimeZone : allDay ? allDayZone(master, calendarTimeZone) : (master.start.tz ?? calendarTimeZone);
  return { recurrenceId, originalStart: isoInstant(localToInstant(allDay ? `${recurrenceId}T00:00:00` : recurrenceId, zone)) };
}

/**
 * The writes that make Graph hold `series`: the master's body (with `recurrence` and the
 * stamp), one PATCH per override, one DELETE per removed instance. Graph keeps no
 * content on a deleted occurrence, so a cancelled override is written as a deletion.
 * Throws GraphWriteRefused for what Graph cannot hold (recurrence.ts, render.ts).
 */
export function seriesToGraph(series: EventSeries, meta: GraphRenderMeta & { master?: GraphMasterWriteTerms | null }): GraphSeriesWrite {
  validateSeries(series);
  const master = series.master;
  // Overrides without their master are placed by the master as last known.
  const terms = master ?? meta.master ?? null;
  const out: GraphSeriesWrite = { master: master === null ? null : eventToGraph(master, meta), exceptions: [], cancellations: [] };
  for (const exdate of master?.recurrence?.exdate ?? []) out.cancellations.push(instanceRef(exdate, master, meta.calendarTimeZone));
  for (const override of series.overrides) {
    const ref = instanceRef(override.recurrenceId!, terms, meta.calendarTimeZone);
    if (override.status === 'cancelled') out.cancellations.push(ref);
    else out.exceptions.push({ ...ref, body: eventToGraph({ ...override, recurrence: null }, meta) });
  }
  return out;
}
