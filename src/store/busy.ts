// What freeBusy reads from a calendar for a window: the busy time of its single events,
// merged by Postgres, and the recurring series that may have an instance in the window,
// for expansion. Both find rows through the events_range GiST index; masters whose rule
// has no end (no series_until_at) through events_endless. Every query names its tenant
// and calendar.
import type { Period } from '../core/busy.ts';
import type { Queryable } from './db.ts';

const overlapsWindow = `tstzrange(start_at, coalesce(series_until_at, end_at), '[]') && tstzrange($3::timestamptz, $4::timestamptz, '[)')`;

/**
 * The busy periods of the calendar's single events in `[from, to)`, clipped and merged
 * (range_agg merges overlapping and touching ranges and drops empty ones). Which events
 * block time is blocksTime's rule (src/core/busy.ts): not cancelled, not transparent;
 * availability also leaves out `excludeEventIds` and events `declinedBy` declined.
 */
export async function singleBusyPeriods(
  db: Queryable, tenantId: string, calendarId: string, from: string, to: string,
  options: { excludeEventIds?: readonly string[]; declinedBy?: string | null } = {},
): Promise<Period[]> {
  const { rows } = await db.query<{ start_at: Date; end_at: Date }>(
    `select lower(r) as start_at, upper(r) as end_at
       from unnest((select range_agg(tstzrange(greatest(start_at, $3::timestamptz), least(end_at, $4::timestamptz), '[)'))
                      from events
                     where tenant_id = $1 and calendar_id = $2 and deleted_at is null and kind = 'single'
                       and status <> 'cancelled' and transparency = 'opaque' and ${overlapsWindow}
                       and id <> all($5::uuid[])
                       and ($6::text is null or not attendees @> jsonb_build_array(jsonb_build_object('email', $6::text, 'response', 'declined'))))) as r
      order by 1`, [tenantId, calendarId, from, to, options.excludeEventIds ?? [], options.declinedBy ?? null]);
  return rows.map((r) => ({ start: r.start_at.getTime(), end: r.end_at.getTime() }));
}

/**
 * The series with a live master or exception that may have an instance in `[from, to)`,
 * at most `limit`, in series id order. An exception counts where it now is, so a moved
 * instance brings its series along.
 */
export async function recurringSeriesIn(db: Queryable, tenantId: string, calendarId: string, from: string, to: string, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ series_id: string }>(
    `select series_id from events
      where tenant_id = $1 and calendar_id = $2 and deleted_at is null and kind <> 'single' and ${overlapsWindow}
     union
     select series_id from events
      where tenant_id = $1 and calendar_id = $2 and deleted_at is null and kind = 'master' and series_until_at is null
        and start_at < $4::timestamptz
     order by series_id limit $5`, [tenantId, calendarId, from, to, limit]);
  return rows.map((r) => r.series_id);
}
