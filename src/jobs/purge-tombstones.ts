// Hourly: purges tombstones older than the horizon (src/store/tombstones.ts), calendar by
// calendar, 1,000 rows per transaction so no write waits long on the rows it locks.
// Hourly runs stay small: each purges about an hour's deletions of a month ago.
import { calendarsWithOldTombstones, purgeTombstones } from '../store/tombstones.ts';
import { defineTask } from './registry.ts';

const rowsPerTransaction = 1000;

/** graphile-worker's cron payload ({_cron: {ts, backfilled}}) carries nothing the purge needs. */
export type PurgeTombstonesPayload = Record<string, never>;

export const purgeTombstonesJob = defineTask<PurgeTombstonesPayload>({
  name: 'purge_tombstones',
  schedule: { match: '17 * * * *', maxAttempts: 3 },
  parse: () => ({}),
  async run(_payload, deps) {
    const before = new Date(deps.engine.now().getTime() - deps.tombstoneMs);
    let rows = 0;
    const calendars = await calendarsWithOldTombstones(deps.db, before);
    for (const { tenantId, calendarId } of calendars) {
      for (;;) {
        const purged = await purgeTombstones(deps.db, tenantId, calendarId, before, rowsPerTransaction);
        rows += purged.rows;
        if (purged.version !== null) deps.engine.logger.info({ tenantId, calendarId, rows: purged.rows, minVersion: purged.version }, 'tombstones purged');
        if (purged.rows < rowsPerTransaction) break;
      }
    }
    deps.engine.logger.debug({ calendars: calendars.length, rows, before: before.toISOString() }, 'tombstone purge finished');
  },
});
