-- The tombstone purge (src/jobs/purge-tombstones.ts) finds a calendar's deletions older
-- than the horizon, and the change-log rows of the events it deletes, without reading
-- the calendar's live events or its whole change log. Tombstones are few next to live
-- events, so the partial index stays small.
create index events_tombstones on events (calendar_id, deleted_at) where deleted_at is not null;
create index change_log_event on change_log (calendar_id, event_id);
