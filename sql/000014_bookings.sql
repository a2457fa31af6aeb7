-- Resources and bookings in use (src/store/resources.ts, src/store/bookings.ts,
-- src/engine/bookings.ts). A resource (a person, a room) gets its booking rules: working
-- hours by weekday in its time zone, buffers, minimum notice, horizon and slot length; its
-- busy time comes from the calendars in resource_calendars, and its confirmed bookings
-- become events in resources.calendar_id. An optional email names the resource among an
-- event's attendees: an event it declined leaves its time free.
--
-- A booking holds `occupied`: its time widened by the resource's buffers when it was
-- made. No two live bookings (held or confirmed) of one resource overlap there: the
-- exclusion constraint is the last line behind the per-resource lock. A hold that
-- expires is marked `expired` by the next booking of its resource, so it stops counting.
alter table resources
  add column email text,
  add column working_hours jsonb not null default '{"monday":[["09:00","17:00"]],"tuesday":[["09:00","17:00"]],"wednesday":[["09:00","17:00"]],"thursday":[["09:00","17:00"]],"friday":[["09:00","17:00"]]}',
  add column buffer_before_minutes integer not null default 0 check (buffer_before_minutes between 0 and 1440),
  add column buffer_after_minutes integer not null default 0 check (buffer_after_minutes between 0 and 1440),
  add column minimum_notice_minutes integer not null default 0 check (minimum_notice_minutes between 0 and 525600),
  add column horizon_days integer not null default 60 check (horizon_days between 1 and 730),
  add column slot_minutes integer not null default 30 check (slot_minutes between 5 and 1440),
  add column updated_at timestamptz not null default now();

create table resource_calendars (
  tenant_id uuid not null,
  resource_id uuid not null,
  calendar_id uuid not null,
  primary key (tenant_id, resource_id, calendar_id),
  foreign key (tenant_id, resource_id) references resources (tenant_id, id) on delete cascade,
  foreign key (tenant_id, calendar_id) references calendars (tenant_id, id) on delete cascade
);
create index resource_calendars_calendar on resource_calendars (tenant_id, calendar_id);

alter table bookings drop constraint bookings_status_check;
alter table bookings add constraint bookings_status_check check (status in ('held', 'confirmed', 'cancelled', 'expired'));
alter table bookings drop constraint bookings_resource_id_during_excl;
alter table bookings
  add column occupied tstzrange,
  add column summary text not null default '',
  add column description text not null default '',
  add column attendees jsonb not null default '[]',
  add column request_hash text,
  add column confirmed_at timestamptz,
  add column updated_at timestamptz not null default now();
update bookings set occupied = during where occupied is null;
alter table bookings alter column occupied set not null;
alter table bookings add constraint bookings_occupied_covers check (occupied @> during);
alter table bookings add constraint bookings_held_until check ((status = 'held') = (held_until is not null) or status in ('cancelled', 'expired'));
alter table bookings add constraint bookings_no_overlap
  exclude using gist (tenant_id with =, resource_id with =, occupied with &&) where (status in ('held', 'confirmed'));
create index bookings_event on bookings (tenant_id, event_id) where event_id is not null;
