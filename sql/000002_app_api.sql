-- The app-facing API speaks Google Calendar v3: every event row gets the id apps see.
-- A master or single event carries its series' id: the series uuid written without
-- hyphens (32 characters of 0-9a-f, a valid Google event id: base32hex, 5-1024 long)
-- or the id an app chose when inserting it. An override carries that id, "_" and its
-- original start in basic format, as Google forms instance ids. An id stays taken after
-- its event is deleted, as Google's do (an insert with it is a 409 duplicate).
alter table events add column api_id text;
update events
   set api_id = replace(series_id::text, '-', '')
     || case when kind = 'override' then '_' || regexp_replace(original_start, '[-:]', '', 'g') else '' end;
alter table events alter column api_id set not null;
create unique index events_api_id on events (calendar_id, api_id);

-- updatedMin and orderBy=updated list by modification time.
create index events_calendar_updated on events (calendar_id, updated_at);
