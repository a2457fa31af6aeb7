// Writing a series: the master by POST (create) or PATCH (update), then each exception
// by PATCHing its occurrence and each removed instance by DELETEing its occurrence
// (map.ts, seriesToGraph). Occurrences are found through an instances listing around
// the original starts, matched by `originalStart`, as Graph has no "occurrence at"
// lookup.
import { createHash } from 'node:crypto';
import { CoreError } from '../../core/errors.ts';
import type { CalsyncId, EventSeries } from '../../core/model.ts';
import { ConnectorError, type WriteResult } from '../connector.ts';
import { instancesOf, type ListingContext } from './listing.ts';
import { seriesEtag, seriesEvents, seriesToGraph, seriesUpdatedAt, type GraphInstanceRef, type GraphSeriesWrite } from './map.ts';
import { GraphWriteRefused } from './render.ts';
import { defaultReminderProperty, KEPT_EXPAND, keptProperties, reminderValue } from './kept.ts';
import { CALSYNC_ID_PROPERTY, STAMP_EXPAND } from './stamp.ts';
import type { GraphEvent } from './types.ts';

/**
 * The transactionId of a create: the same for every attempt with one calsync id, so a
 * retried POST whose first answer was lost answers the event it made ("to avoid
 * redundant POST operations in case of client retries", event resource).
 */
export const transactionIdOf = (calsyncId: CalsyncId): string =>
  `calsync-${createHash('sha256').update(calsyncId).digest('hex').slice(0, 32)}`;

const calendarPath = (ctx: ListingContext): string => `/me/calendars/${encodeURIComponent(ctx.calendarId)}/events`;
const eventPath = (id: string): string => `/me/events/${encodeURIComponent(id)}`;

/** The writes of `series`, or a permanent failure naming what Graph cannot hold. */
export function plan(series: EventSeries, calendarTimeZone: string, calsyncId: CalsyncId | null, remoteId: string | null): GraphSeriesWrite {
  try {
    const write = seriesToGraph(series, { calendarTimeZone, calsyncId });
    if (write.master === null) return write;
    const properties = [...(write.master.singleValueExtendedProperties ?? []), ...keptProperties(series.uid)];
    return { ...write, master: { ...write.master, singleValueExtendedProperties: properties } };
  } catch (error) {
    if (error instanceof GraphWriteRefused || error instanceof CoreError) {
      throw new ConnectorError('permanent', `Graph cannot hold ${series.uid}: ${error.message}`, { remoteId, cause: error });
    }
    throw error;
  }
}

/** The master stamped with `calsyncId` in the calendar, or null. A failed lookup throws: it is never "none". */
export async function findStamped(ctx: ListingContext, calsyncId: CalsyncId): Promise<GraphEvent | null> {
  const value = calsyncId.replace(/'/g, '\'\'');
  const filter = `singleValueExtendedProperties/Any(ep: ep/id eq '${CALSYNC_ID_PROPERTY}' and ep/value eq '${value}')`;
  const q = new URLSearchParams({ $filter: filter, $expand: STAMP_EXPAND, $top: '2' });
  const answer = await ctx.client.request({ operation: 'get', method: 'GET', url: `${calendarPath(ctx)}?${q}`, headers: { prefer: 'outlook.timezone="UTC"' } });
  const found = (answer.body?.value ?? []) as GraphEvent[];
  return found[0] ?? null;
}

/** POST of the master with its transactionId; a 409 (a replayed transactionId some services refuse) finds the first by its stamp. */
export async function postMaster(ctx: ListingContext, body: GraphEvent, calsyncId: CalsyncId): Promise<GraphEvent> {
  const answer = await ctx.client.request({
    operation: 'create', method: 'POST', url: calendarPath(ctx), body: { ...body, transactionId: transactionIdOf(calsyncId) }, expected: [409],
  });
  if (answer.status !== 409) return answer.body as GraphEvent;
  const existing = await findStamped(ctx, calsyncId);
  if (existing === null) throw new ConnectorError('transient', `Graph refused the create of ${calsyncId} as a duplicate, then nothing was stamped with it`);
  return existing;
}

/**
 * PATCHes exceptions onto their occurrences and DELETEs cancelled ones. An instance
 * already gone is a cancellation done; an exception whose occurrence is gone (cancelled
 * before) cannot be brought back by Graph: permanent.
 */
export async function writeInstances(ctx: ListingContext, masterId: string, write: GraphSeriesWrite): Promise<void> {
  const refs: GraphInstanceRef[] = [...write.exceptions, ...write.cancellations];
  if (refs.length === 0) return;
  const times = refs.map((r) => Date.parse(r.originalStart));
  const day = 86_400_000;
  const window = { from: new Date(Math.min(...times) - day).toISOString(), to: new Date(Math.max(...times) + 2 * day).toISOString() };
  const instances = await instancesOf(ctx, masterId, window);
  const at = new Map<number, GraphEvent>();
  for (const i of instances) {
    const original = typeof i.originalStart === 'string' ? Date.parse(i.originalStart) : Number.NaN;
    if (!Number.isNaN(original)) at.set(original, i);
  }
  await Promise.all([
    ...write.exceptions.map(async (e) => {
      const instance = at.get(Date.parse(e.originalStart));
      if (!instance?.id) throw new ConnectorError('permanent', `Graph series ${masterId} has no instance at ${e.recurrenceId} to change (it was cancelled, and Graph cannot restore it)`, { remoteId: masterId });
      await ctx.client.request({ operation: 'update', method: 'PATCH', url: eventPath(instance.id), body: e.body, remoteId: masterId });
    }),
    ...write.cancellations.map(async (c) => {
      const instance = at.get(Date.parse(c.originalStart));
      if (!instance?.id) return;
      await ctx.client.request({ operation: 'delete', method: 'DELETE', url: eventPath(instance.id), remoteId: masterId, expected: [404] });
    }),
  ]);
}

/** GET of the master with its stamp; null on 404. */
export async function getMaster(ctx: ListingContext, id: string): Promise<GraphEvent | null> {
  const answer = await ctx.client.request({
    operation: 'get', method: 'GET', url: `${calendarPath(ctx)}/${encodeURIComponent(id)}?$expand=${encodeURIComponent(KEPT_EXPAND)}`,
    headers: { prefer: 'outlook.timezone="UTC"' }, remoteId: id, expected: [404],
  });
  return answer.status === 404 ? null : (answer.body as GraphEvent);
}

/** The write's result as a listing will show it: the master's own etag, or the series etag over it and its exceptions. */
export async function resultOf(ctx: ListingContext, master: GraphEvent): Promise<WriteResult> {
  if (master.type !== 'seriesMaster') {
    return { remoteId: master.id!, etag: seriesEtag({ master, exceptions: [] }), updatedAt: seriesUpdatedAt([master]) };
  }
  const current = (await getMaster(ctx, master.id!)) ?? master;
  const { exceptions } = seriesEvents(master.id!, [current, ...(await instancesOf(ctx, master.id!))]);
  return { remoteId: master.id!, etag: seriesEtag({ master: current, exceptions }), updatedAt: seriesUpdatedAt([current, ...exceptions]) };
}

/**
 * After a write of a master whose reminder is the calendar's default (nothing written),
 * keeps the reminder Outlook chose, so it reads as the default (kept.ts). Answers the
 * master as it now is.
 */
export async function keepDefaultReminder(ctx: ListingContext, series: EventSeries, master: GraphEvent): Promise<GraphEvent> {
  const value = reminderValue(master);
  if (series.master?.reminders !== null || value === null) return master;
  const answer = await ctx.client.request({
    operation: 'update', method: 'PATCH', url: eventPath(master.id!), body: { singleValueExtendedProperties: [defaultReminderProperty(value)] }, remoteId: master.id!,
  });
  return answer.body as GraphEvent;
}
