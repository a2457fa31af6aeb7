// Writing one series: its master through its own id, each exception through its
// instance id (`<master id>_<original start>`, which Google turns into an exception on
// the first write), cancelled instances by deleting the instance and restored ones by
// writing them back. Only resources whose content differs are written, each with the
// If-Match of the version read, so a change made meanwhile is a 412, not overwritten.
// Every write sends sendUpdates=none: syncing never emails attendees.
import { CoreError } from '../../core/errors.ts';
import { eventFromGoogle, seriesToGoogle, type GoogleEvent, type GoogleSeriesMeta } from '../../core/google/index.ts';
import { hashNormal } from '../../core/hash.ts';
import type { CalsyncId, CanonicalEvent, EventSeries } from '../../core/model.ts';
import { normaliseEvent, normaliseSeries } from '../../core/normalise.ts';
import { ConnectorError, type WriteResult } from '../connector.ts';
import type { GoogleClient } from './client.ts';
import { itemFromResources, prepared, seriesEtag, seriesResources, seriesUpdatedAt, type SeriesResources } from './map.ts';

export interface WriteContext {
  client: GoogleClient;
  calendarId: string;
  /** The calendar's zone: dateTime offsets are written in it. */
  zone: string;
  /** Reads the series again after writes whose new etags the answers do not give. */
  reread(seriesId: string, uid: string): Promise<SeriesResources>;
}

/** The series as Google resources; content Google cannot hold is `permanent`. */
export function render(series: EventSeries, meta: GoogleSeriesMeta): GoogleEvent[] {
  try {
    return seriesToGoogle(series, meta);
  } catch (error) {
    if (error instanceof CoreError) throw new ConnectorError('permanent', `cannot write ${series.uid} to Google: ${error.message}`, { remoteId: meta.id, cause: error });
    throw error;
  }
}

const eventHash = (e: CanonicalEvent): string => hashNormal(normaliseEvent(e));
const ifMatch = (etag: string | undefined): { headers?: Record<string, string> } => (etag ? { headers: { 'If-Match': etag } } : {});
const withSequence = (body: GoogleEvent, current: GoogleEvent | undefined): GoogleEvent =>
  (current?.sequence !== undefined && current.sequence > (body.sequence ?? 0) ? { ...body, sequence: current.sequence } : body);

/** What a series holds now, event by event: its master and its exceptions by recurrence id. */
interface CurrentEvents {
  /** The series' master, normalised with its cancelled instances folded into its exdates. */
  normalMaster: CanonicalEvent | null;
  master: CanonicalEvent | null;
  byRecurrence: Map<string, { resource: GoogleEvent; event: CanonicalEvent }>;
}

function currentEvents(seriesId: string, current: SeriesResources, zone: string): CurrentEvents {
  const byRecurrence = new Map<string, { resource: GoogleEvent; event: CanonicalEvent }>();
  if (current.master === null || current.master.status === 'cancelled') return { normalMaster: null, master: null, byRecurrence };
  const item = itemFromResources(seriesId, current, zone);
  if (item.deleted) return { normalMaster: null, master: null, byRecurrence };
  const master = item.series.master;
  for (const resource of current.exceptions) {
    const event = eventFromGoogle(prepared(resource), { calendarTimeZone: zone, master });
    byRecurrence.set(event.recurrenceId!, { resource, event });
  }
  return { normalMaster: normaliseSeries(item.series).master, master, byRecurrence };
}

/**
 * The instance at `exception`'s original start as the master makes it: how an
 * exception that the series no longer has is written back (Google has no call that
 * drops an exception).
 */
function plainInstance(seriesId: string, master: GoogleEvent, exception: GoogleEvent): GoogleEvent | null {
  const { id: _id, recurrence: _recurrence, etag: _etag, ...content } = master;
  const start = exception.originalStartTime!;
  let end: GoogleEvent['end'];
  if (start.date && master.start?.date && master.end?.date) {
    const days = Math.round((Date.parse(master.end.date) - Date.parse(master.start.date)) / 86_400_000);
    end = { date: new Date(Date.parse(start.date) + days * 86_400_000).toISOString().slice(0, 10) };
  } else {
    const length = Date.parse(master.end?.dateTime ?? '') - Date.parse(master.start?.dateTime ?? '');
    const at = Date.parse(start.dateTime ?? '');
    if (Number.isNaN(length) || Number.isNaN(at)) return null;
    end = { dateTime: new Date(at + length).toISOString().replace('.000', ''), ...(master.end?.timeZone ? { timeZone: master.end.timeZone } : {}) };
  }
  return { ...content, status: 'confirmed', recurringEventId: seriesId, originalStartTime: start, start, end };
}

/**
 * The series' master as it reads once this write has cancelled its instances: the
 * instances it deletes are exdates then, so a master that differs only by them (every
 * series create with cancelled instances: the master is inserted first) is not written
 * again.
 */
function afterCancellations(now: CurrentEvents, desired: EventSeries, cancelled: Set<string>): CanonicalEvent {
  const master = now.normalMaster!;
  if (master.recurrence === null) return master;
  const byInstance = [...desired.overrides.map((o) => o.recurrenceId!), ...now.byRecurrence.keys()].filter((x) => cancelled.has(x));
  const exdate = [...new Set([...master.recurrence.exdate, ...byInstance])].sort();
  return { ...master, recurrence: { ...master.recurrence, exdate } };
}

/**
 * Makes series `seriesId` hold `desired`, given what it holds now (`current`, read just
 * before, or the master just inserted). Returns the series' new etag.
 */
export async function writeSeries(ctx: WriteContext, seriesId: string, desired: EventSeries, current: SeriesResources, stamp: CalsyncId | null): Promise<WriteResult> {
  const { client, calendarId, zone } = ctx;
  const now = currentEvents(seriesId, current, zone);
  const resources = render(desired, { id: seriesId, calendarTimeZone: zone, calsyncId: stamp, master: desired.master ?? now.master });
  const masterResource = desired.master ? resources[0]! : null;
  const overrideResources = resources.slice(desired.master ? 1 : 0);
  const state = new Map<string, GoogleEvent>([...(current.master ? [current.master] : []), ...current.exceptions].map((r) => [r.id!.toLowerCase(), r]));
  let unknownEtags = false;
  let masterWritten = false;

  // `sequenceOf`: the resource whose sequence is the floor. An instance never written
  // carries its master's, so a new exception takes the master's as it is now.
  const put = async (id: string, body: GoogleEvent, before: GoogleEvent | undefined, sequenceOf = before): Promise<void> => {
    const answer = await client.call('update', id, (o) => client.api.events.update({ calendarId, eventId: id, sendUpdates: 'none', requestBody: withSequence(body, sequenceOf) }, { ...o, ...ifMatch(before?.etag) }), [400]);
    // A sequence below Google's: the resource changed since `before` (a retry after a
    // lost answer meets its own write so when it moved the instance), as with a 412.
    if (!answer.ok && /sequence/i.test(answer.error.message)) {
      throw new ConnectorError('precondition-failed', `Google event ${id} changed since it was read (${answer.error.message})`, { remoteId: id, cause: answer.error });
    }
    if (!answer.ok) throw answer.error;
    state.set(id.toLowerCase(), answer.data as GoogleEvent);
  };
  const cancel = async (id: string, before: GoogleEvent | undefined): Promise<void> => {
    // 410: already cancelled; 404: no such instance any more (the recurrence moved on).
    const answer = await client.call('delete', id, (o) => client.api.events.delete({ calendarId, eventId: id, sendUpdates: 'none' }, { ...o, ...ifMatch(before?.etag) }), [404, 410]);
    if (!answer.ok && answer.status === 404) return;
    unknownEtags = true;
  };

  const normal = normaliseSeries(desired);
  const cancelled = new Set([...(normal.master?.recurrence?.exdate ?? []), ...desired.overrides.filter((o) => o.status === 'cancelled').map((o) => o.recurrenceId!)]);
  if (masterResource && (now.normalMaster === null || hashNormal(normal.master!) !== hashNormal(afterCancellations(now, desired, cancelled)))) {
    await put(seriesId, masterResource, current.master ?? undefined);
    masterWritten = true;
  }
  const wanted = new Set<string>();
  for (const [i, override] of desired.overrides.entries()) {
    const x = override.recurrenceId!;
    wanted.add(x);
    const resource = overrideResources[i]!;
    const existing = now.byRecurrence.get(x);
    if (cancelled.has(x)) {
      if (existing?.resource.status !== 'cancelled') await cancel(resource.id!, existing?.resource);
    } else if (!existing || existing.resource.status === 'cancelled' || eventHash(existing.event) !== eventHash(override)) {
      await put(resource.id!, resource, existing?.resource, existing?.resource ?? state.get(seriesId.toLowerCase()));
    }
  }
  for (const [x, { resource }] of now.byRecurrence) {
    if (wanted.has(x)) continue;
    if (cancelled.has(x)) {
      if (resource.status !== 'cancelled') await cancel(resource.id!, resource);
      continue;
    }
    // An exception the series no longer has: the instance goes back to the master's.
    const plain = plainInstance(seriesId, masterResource ?? current.master!, resource);
    if (plain) await put(resource.id!, plain, resource);
  }

  // Deleting an instance answers no body; a written master may change its exceptions.
  const after = unknownEtags || (masterWritten && state.size > 1)
    ? await ctx.reread(seriesId, desired.uid)
    : seriesResources(seriesId, [...state.values()]);
  return { remoteId: seriesId, etag: seriesEtag(after), updatedAt: seriesUpdatedAt([...(after.master ? [after.master] : []), ...after.exceptions]) };
}
