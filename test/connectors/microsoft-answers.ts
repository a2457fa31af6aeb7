// Graph's answer to calsync's writes, for round trips: the written body with Graph's
// own members added, among them the zones it was written in ("the start time zone that
// was set when the event was created", event resource), an exception's originalStart,
// and the master's cancelledOccurrences.
import assert from 'node:assert/strict';
import type { EventSeries } from '../../src/core/model.ts';
import { seriesFromGraph, seriesToGraph } from '../../src/connectors/microsoft/map.ts';
import type { GraphRenderMeta } from '../../src/connectors/microsoft/render.ts';
import type { GraphEvent } from '../../src/connectors/microsoft/types.ts';

function answered(body: GraphEvent, extra: GraphEvent): GraphEvent {
  const copy: GraphEvent = JSON.parse(JSON.stringify(body));
  return { ...copy, originalStartTimeZone: copy.start!.timeZone, originalEndTimeZone: copy.end!.timeZone, ...extra };
}

/**
 * The series written to Graph and read back from what Graph would answer. Graph makes
 * the calendar's owner the organizer of what is written there: `owner`, or none.
 */
export function throughGraph(series: EventSeries, meta: GraphRenderMeta & { calsyncId: string }, owner?: { name: string; address: string }): EventSeries {
  const id = 'AAMkWritten=';
  const write = seriesToGraph(series, meta);
  const master = answered(write.master!, {
    id, iCalUId: series.uid, type: series.master!.recurrence ? 'seriesMaster' : 'singleInstance', ...(owner ? { organizer: { emailAddress: owner } } : {}),
  });
  const exceptions = write.exceptions.map((e, i) => answered(e.body, { id: `${id}x${i}`, type: 'exception', seriesMasterId: id, originalStart: e.originalStart }));
  if (write.cancellations.length > 0) master.cancelledOccurrences = write.cancellations.map((c) => `OID.${id}.${c.recurrenceId.slice(0, 10)}`);
  const { calsyncId, ...again } = seriesFromGraph({ master, exceptions });
  assert.equal(calsyncId, meta.calsyncId);
  return again;
}
