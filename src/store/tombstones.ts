// The purge of old tombstones. The API keeps deletions for the tombstone horizon
// (CALSYNC_TOMBSTONE_DAYS, 30 by default) so apps syncing with sync tokens see them;
// after that an event row that is a tombstone goes, with its change-log rows (its
// history rows cascade, a booking that named it keeps its time and loses the link), and
// the calendar's min_version rises to the highest version purged, so a sync token from
// before it gets 410 fullSyncRequired instead of missing the deletion.
//
// A tombstone stays while a sync status of the calendar's bindings still names its series
// and no row of the series is live: that binding has not carried the deletion to its
// remote yet (a failed write, a paused or import-only binding), and without the
// tombstone the remote copy would come back as a new event.
import { withTransaction, type Db, type Queryable } from './db.ts';

/**
 * Every calendar, of any tenant, with tombstones deleted before `before`: the purge's work
 * list. Like the queue it spans tenants, so only the purge job calls it.
 */
export async function calendarsWithOldTombstones(db: Queryable, before: Date): Promise<Array<{ tenantId: string; calendarId: string }>> {
  const { rows } = await db.query<{ tenant_id: string; calendar_id: string }>(
    `select tenant_id, calendar_id from events where deleted_at is not null and deleted_at < $1
      group by tenant_id, calendar_id order by tenant_id, calendar_id`, [before]);
  return rows.map((r) => ({ tenantId: r.tenant_id, calendarId: r.calendar_id }));
}

export interface Purged {
  /** Event rows deleted. */
  rows: number;
  /** The highest version among them, now the calendar's min_version; null when none. */
  version: number | null;
}

/**
 * Purges up to `limit` of the calendar's tombstones deleted before `before`, oldest first,
 * in one transaction. Rows a concurrent write holds are left for the next run.
 */
export async function purgeTombstones(db: Db, tenantId: string, calendarId: string, before: Date, limit: number): Promise<Purged> {
  return withTransaction(db, async (tx) => {
    const { rows: [row] } = await tx.query<{ purged: string; version: string | null }>(
      `with doomed as (
         select e.id from events e
          where e.tenant_id = $1 and e.calendar_id = $2 and e.deleted_at is not null and e.deleted_at < $3
            and (exists (select 1 from events l
                          where l.tenant_id = $1 and l.calendar_id = $2 and l.series_id = e.series_id and l.deleted_at is null)
                 or not exists (select 1 from bindings b join sync_status s on s.tenant_id = b.tenant_id and s.binding_id = b.id
                                 where b.tenant_id = $1 and b.calendar_id = $2 and s.event_id = e.series_id))
          order by e.deleted_at limit $4
          for update of e skip locked
       ), gone as (
         delete from events e using doomed d where e.tenant_id = $1 and e.calendar_id = $2 and e.id = d.id
         returning e.id, e.version
       ), log as (
         delete from change_log c using gone g where c.tenant_id = $1 and c.calendar_id = $2 and c.event_id = g.id
       )
       select count(*) as purged, max(version) as version from gone`, [tenantId, calendarId, before, limit]);
    const purged: Purged = { rows: Number(row!.purged), version: row!.version === null ? null : Number(row!.version) };
    // A token names the last version it has seen: one at the purged version saw the
    // deletion, so min_version is that version, not one above. (One above would expire
    // the nextSyncToken of a full sync made right after a purge, when nothing changed since.)
    if (purged.version !== null) {
      await tx.query('update calendars set min_version = greatest(min_version, $3) where tenant_id = $1 and id = $2',
        [tenantId, calendarId, purged.version]);
    }
    return purged;
  });
}
