-- The newest provider modification time seen or written for each item (Google `updated`,
-- CalDAV getlastmodified). A provider that delivers an older version of an item after a
-- newer one (a stale replay) is recognised by it and cannot take the calendar back.
alter table sync_status add column remote_updated_at timestamptz;
