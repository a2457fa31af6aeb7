-- Booking changes as an app hears of them (src/store/bookings.ts, listBookingChanges;
-- src/store/booking-channels.ts; src/jobs/deliver-booking-watch.ts). Every change of a
-- booking row gives it a new change number, from one counter per tenant, and queues a
-- delivery round to the tenant's booking channels. An app's booking sync token is a
-- change number: the listing returns every booking whose number is above it.
--
-- A trigger does it, not the store functions, because not every change of a booking row
-- passes through them: the foreign key to events sets event_id null when an event row
-- goes (a calendar deleted, tombstones purged). And it is a deferred constraint trigger,
-- so it runs at commit: the counter row's lock, which makes numbers follow commit order
-- (a listing that saw number N has seen every change numbered below it), is held for the
-- commit only, not from a transaction's first booking write to its end, where it would
-- serialise every booking decision and event write of the tenant and could deadlock
-- against the calendar and resource locks those take in either order.
create table booking_change_counters (
  tenant_id uuid not null primary key references tenants (id) on delete cascade,
  change_number bigint not null default 0
);

alter table bookings add column change_number bigint not null default 0;
create index bookings_changes on bookings (tenant_id, change_number, id);
create index bookings_resource_changes on bookings (tenant_id, resource_id, change_number, id);

-- Booking channels: a watch channel over a tenant's bookings, or one resource's. Progress
-- as for watch_channels: `message_number` is the last message the receiver acknowledged
-- (0: not even `sync`), `delivered_change` the change number the last acknowledged
-- `exists` covered; it starts at the tenant's counter when the channel is made. The
-- secret is sealed with the context "booking-channel:<tenant>:<id>".
create table booking_channels (
  id text not null,
  tenant_id uuid not null references tenants (id) on delete cascade,
  resource_id uuid,
  -- Google's X-Goog-Resource-ID and -URI: opaque, and where to list.
  watched_id text not null,
  watched_uri text not null,
  token text,
  address text not null,
  secret bytea not null,
  expires_at timestamptz not null,
  message_number bigint not null default 0,
  delivered_change bigint not null default 0,
  created_at timestamptz not null default now(),
  stopped_at timestamptz,
  primary key (tenant_id, id),
  foreign key (tenant_id, resource_id) references resources (tenant_id, id) on delete cascade
);
create index booking_channels_live on booking_channels (tenant_id) where stopped_at is null;

-- The task name is src/store/outbox.ts's deliverBookingWatchTask; the job key collapses a
-- burst of changes into one round per tenant, as queueWatchDelivery does per calendar.
create function booking_changed() returns trigger language plpgsql set search_path from current as $$
declare
  number bigint;
begin
  insert into booking_change_counters as c (tenant_id, change_number) values (new.tenant_id, 1)
    on conflict (tenant_id) do update set change_number = c.change_number + 1
    returning c.change_number into number;
  update bookings set change_number = number where tenant_id = new.tenant_id and id = new.id;
  perform graphile_worker.add_job('deliver_booking_watch', json_build_object('tenantId', new.tenant_id),
      job_key := 'booking-watch:' || new.tenant_id, job_key_mode := 'preserve_run_at', max_attempts := 25)
    where exists (select 1 from booking_channels where tenant_id = new.tenant_id and stopped_at is null and expires_at > now());
  return null;
end
$$;

create constraint trigger bookings_changed_on_insert after insert on bookings
  deferrable initially deferred for each row execute function booking_changed();
-- The function's own update sets change_number: it is not a change of its own.
create constraint trigger bookings_changed_on_update after update on bookings
  deferrable initially deferred for each row when (old.change_number is not distinct from new.change_number)
  execute function booking_changed();
