-- freeBusy finds the events that may be busy in a window through events_range. A master
-- whose rule has no end has no series_until_at, so that index only holds its first
-- instance: such masters are found through this index instead (by start, before the
-- window's end), without reading the calendar's other rows.
create index events_endless on events (calendar_id, start_at) where deleted_at is null and kind = 'master' and series_until_at is null;
