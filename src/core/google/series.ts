// A series ⇄ Google resources. Google stores a recurring event as its master plus one
// event per changed or cancelled instance (`recurringEventId`, `originalStartTime`),
// each with an id of its own: `<master id>_<original start>` (ids.ts). A connector
// receives them in any order, an exception possibly without its master (events.list
// with syncToken returns only what changed), a cancelled one possibly with nothing but
// id, recurringEventId, originalStartTime and status (PROVIDER-FACTS.md).
import { describe, objectArgument } from '../arguments.ts';
import { CoreError } from '../errors.ts';
import type { CalsyncId, CanonicalEvent, EventSeries } from '../model.ts';
import { compare } from '../normalise.ts';
import { validateSeries } from '../validate.ts';
import { object } from './checks.ts';
import { instanceId } from './ids.ts';
import { calsyncIdOf, eventFromGoogle, type GoogleMasterTerms } from './read.ts';
import { eventToGoogle, originalStartTime } from './render.ts';
import { calendarZoneArgument } from './times.ts';
import type { GoogleEvent, GoogleServerFields } from './types.ts';

export interface GoogleSeries extends EventSeries {
  /** The calsync id stamped on the master (else the first exception), or null. */
  calsyncId: CalsyncId | null;
}

export interface GoogleSeriesContext {
  calendarTimeZone: string;
  /** The master as last known, for exceptions that arrive without it. */
  master?: GoogleMasterTerms | null;
  /** The uid when the master has no iCalUID. */
  uid?: string;
}

/** An error from one resource, its path prefixed with the resource's index. */
function at(index: number, read: () => CanonicalEvent): CanonicalEvent {
  try {
    return read();
  } catch (e) {
    if (!(e instanceof CoreError) || e.path === null || e.path.startsWith('context')) throw e;
    const suffix = ` (at ${e.path})`;
    const message = e.message.endsWith(suffix) ? e.message.slice(0, -suffix.length) : e.message;
    throw new CoreError(e.code, message, e.path === '(root)' ? `[${index}]` : `[${index}].${e.path}`);
  }
}

function invalid(path: string, message: string): never {
  throw new CoreError('INVALID_EVENT', message, path);
}

export function seriesFromGoogle(resources: unknown, context: GoogleSeriesContext): GoogleSeries {
  if (!Array.isArray(resources)) throw new CoreError('INVALID_INPUT', `expected a list of events, got ${describe(resources)}`, 'resources');
  const ctx = objectArgument(context, 'context');
  const calendarTimeZone = calendarZoneArgument(ctx.calendarTimeZone, 'context.calendarTimeZone');
  const items = resources.map((r, i) => ({ index: i, o: object(r, `[${i}]`) }));
  const masters = items.filter(({ o }) => o.recurringEventId === undefined);
  if (masters.length > 1) invalid(`[${masters[1]!.index}].recurringEventId`, 'a second event that is no instance: one series has one master');
  if (items.length === 0) invalid('resources', 'a series needs at least one event');
  const masterItem = masters[0];
  const master = masterItem === undefined
    ? null
    : at(masterItem.index, () => eventFromGoogle(masterItem.o, { calendarTimeZone, uid: ctx.uid as string | undefined }));
  const seriesId = masterItem?.o.id ?? items.find(({ o }) => o.recurringEventId !== undefined)?.o.recurringEventId;
  const terms = master ?? (ctx.master as GoogleMasterTerms | null | undefined) ?? null;
  const seen = new Set<string>();
  const overrides = items.filter((item) => item !== masterItem).map(({ index, o }) => {
    if (o.recurringEventId !== seriesId) invalid(`[${index}].recurringEventId`, `belongs to series ${describe(o.recurringEventId)}, not ${describe(seriesId)}`);
    const event = at(index, () => eventFromGoogle(o, { calendarTimeZone, master: terms, uid: master?.uid ?? (ctx.uid as string | undefined) }));
    if (master !== null && event.uid !== master.uid) invalid(`[${index}].iCalUID`, `differs from the master's "${master.uid}"`);
    if (seen.has(event.recurrenceId!)) invalid(`[${index}].originalStartTime`, `instance ${event.recurrenceId} is listed twice`);
    seen.add(event.recurrenceId!);
    return event;
  });
  const uid = master?.uid ?? overrides[0]!.uid;
  overrides.forEach((o, i) => {
    if (o.uid !== uid) invalid(`[${items.filter((item) => item !== masterItem)[i]!.index}].iCalUID`, `differs from the series' "${uid}"`);
  });
  overrides.sort((a, b) => compare(a.recurrenceId!, b.recurrenceId!));
  const series: EventSeries = { uid, master, overrides };
  validateSeries(series);
  const stamped = [masterItem, ...items.filter((item) => item !== masterItem)].find((item) => item !== undefined && calsyncIdOf(item.o) !== null);
  return { ...series, calsyncId: stamped ? calsyncIdOf(stamped.o) : null };
}

export interface GoogleSeriesMeta {
  /** The id of the series (its master's id; exceptions get `<id>_<original start>`). */
  id: string;
  calendarTimeZone: string;
  /** Stamped on every resource of the series. */
  calsyncId?: CalsyncId | null;
  /** Server-owned members per resource id. */
  servers?: Record<string, GoogleServerFields>;
  /** The master as last known, for a series whose master is null. */
  master?: Pick<CanonicalEvent, 'allDay' | 'start'> | null;
}

export function seriesToGoogle(series: EventSeries, meta: GoogleSeriesMeta): GoogleEvent[] {
  validateSeries(series);
  const m = objectArgument(meta, 'meta');
  if (typeof m.id !== 'string' || m.id === '') throw new CoreError('INVALID_INPUT', `expected the series' id, got ${describe(m.id)}`, 'meta.id');
  const calendarTimeZone = calendarZoneArgument(m.calendarTimeZone, 'meta.calendarTimeZone');
  const servers = (m.servers ?? {}) as Record<string, GoogleServerFields>;
  if (typeof servers !== 'object' || servers === null) throw new CoreError('INVALID_INPUT', 'expected server fields by id', 'meta.servers');
  const server = (id: string): GoogleServerFields => (Object.hasOwn(servers, id) ? objectArgument(servers[id], `meta.servers.${id}`) : {});
  const calsyncId = (m.calsyncId ?? null) as CalsyncId | null;
  const master = series.master ?? (m.master as GoogleSeriesMeta['master']) ?? null;
  const out: GoogleEvent[] = [];
  if (series.master !== null) out.push(eventToGoogle(series.master, { ...server(m.id), id: m.id, calendarTimeZone, calsyncId }));
  for (const override of series.overrides) {
    const id = instanceId(m.id, originalStartTime(override, master, calendarTimeZone), calendarTimeZone);
    out.push(eventToGoogle(override, { ...server(id), id, recurringEventId: m.id, master, calendarTimeZone, calsyncId }));
  }
  return out;
}
