-- calsync's canonical schema. Vocabulary (ARCHITECTURE.md): tenant, account, calendar,
-- binding, event, sync status, base, cursor, version, pass.
--
-- Every tenant-owned table carries tenant_id, and references between tenant-owned rows
-- go through (tenant_id, id) so a row can never point at another tenant's row.

create extension if not exists btree_gist;

create table tenants (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(name) between 1 and 200),
  created_at timestamptz not null default now()
);

-- Keys are 256 random bits, so a plain SHA-256 is a safe one-way hash; key_prefix is
-- the readable start shown in listings so an operator can tell keys apart.
create table api_keys (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  name text not null,
  key_prefix text not null,
  key_hash bytea not null unique,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
create index api_keys_tenant on api_keys (tenant_id);

-- credentials holds AES-256-GCM ciphertext (see src/store/secrets.ts); its first bytes
-- name the key that wrote it, so keys can be rotated row by row.
create table accounts (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  provider text not null check (provider in ('google', 'microsoft', 'caldav', 'ics', 'webhook')),
  display_name text not null default '',
  login text not null default '',
  server_url text,
  credentials bytea,
  state text not null default 'active' check (state in ('active', 'revoked', 'error')),
  state_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, id)
);
create index accounts_tenant on accounts (tenant_id);

-- version is bumped in the same transaction as every canonical change of the calendar;
-- app sync tokens are versions. min_version is the oldest version a sync token may
-- still name: tombstones older than it have been purged.
create table calendars (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  summary text not null default '',
  description text not null default '',
  location text not null default '',
  time_zone text not null default 'UTC',
  color text,
  version bigint not null default 0,
  min_version bigint not null default 0,
  etag text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  unique (tenant_id, id)
);
create index calendars_tenant on calendars (tenant_id) where deleted_at is null;

-- One link between a calendar and a remote calendar through an account.
-- cursor: the provider's incremental position, stored last in a pass.
-- lease_*: at most one pass per binding runs at a time, across processes.
-- push_channel: the provider channel (Google watch / Graph subscription) and its expiry.
create table bindings (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null,
  calendar_id uuid not null,
  account_id uuid not null,
  remote_calendar_id text not null,
  remote_name text not null default '',
  direction text not null default 'two_way' check (direction in ('two_way', 'import', 'export')),
  projection jsonb not null default '{"mode": "full"}',
  conflict_policy jsonb not null default '{"default": "latest"}',
  sync_window jsonb,
  cursor text,
  cursor_updated_at timestamptz,
  -- The calendar version whose changes this binding has been given: the calendar side
  -- of a pass reads the change log after it.
  calendar_version bigint not null default 0,
  lease_owner text,
  lease_expires_at timestamptz,
  push_channel jsonb,
  push_channel_expires_at timestamptz,
  state text not null default 'active' check (state in ('active', 'paused', 'error')),
  paused_reason text,
  poll_interval_seconds integer not null default 300 check (poll_interval_seconds > 0),
  next_poll_at timestamptz,
  last_pass_id uuid,
  last_pass_started_at timestamptz,
  last_pass_finished_at timestamptz,
  last_pass_outcome text,
  last_success_at timestamptz,
  last_error jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, id),
  unique (account_id, remote_calendar_id, calendar_id),
  foreign key (tenant_id, calendar_id) references calendars (tenant_id, id) on delete cascade,
  foreign key (tenant_id, account_id) references accounts (tenant_id, id) on delete cascade
);
create index bindings_tenant on bindings (tenant_id);
create index bindings_calendar on bindings (calendar_id);
create index bindings_due on bindings (next_poll_at) where state = 'active';

-- A canonical event: a single event, a series master, or an override of one instance
-- of a series (keyed by the instance's original start, in the master's start terms).
-- series_id groups a series: the master's id (which is also the calsync id stamped on
-- remote copies); an override may arrive without its master (an invitation to one
-- instance), so series_id is not a foreign key.
-- Times: start_local/end_local are wall-clock times; start_tz/end_tz their IANA zone
-- (null = floating); all-day events keep dates (local midnight, zone null, all_day).
-- start_at/end_at are the instants in UTC for range queries (floating and all-day
-- events are placed in the calendar's zone); for a master they span the first
-- instance, and series_until_at bounds the series (null = no end).
create table events (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null,
  calendar_id uuid not null,
  kind text not null check (kind in ('single', 'master', 'override')),
  series_id uuid not null,
  original_start text,
  ical_uid text not null,
  sequence integer not null default 0 check (sequence >= 0),
  status text not null default 'confirmed' check (status in ('confirmed', 'tentative', 'cancelled')),
  summary text not null default '',
  description text not null default '',
  description_html text,
  location text not null default '',
  all_day boolean not null default false,
  start_local timestamp not null,
  start_tz text,
  end_local timestamp not null,
  end_tz text,
  start_at timestamptz not null,
  end_at timestamptz not null,
  rrule text[] not null default '{}',
  rdate text[] not null default '{}',
  exdate text[] not null default '{}',
  series_until_at timestamptz,
  transparency text not null default 'opaque' check (transparency in ('opaque', 'transparent')),
  visibility text not null default 'default' check (visibility in ('default', 'public', 'private', 'confidential')),
  organizer jsonb,
  attendees jsonb not null default '[]',
  conference jsonb,
  reminders jsonb,
  categories text[] not null default '{}',
  color text,
  extras jsonb not null default '{}',
  content_hash text not null,
  etag text not null,
  version bigint not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  unique (tenant_id, id),
  foreign key (tenant_id, calendar_id) references calendars (tenant_id, id) on delete cascade,
  check ((kind = 'override') = (original_start is not null)),
  check (kind = 'override' or series_id = id),
  check (kind = 'master' or (rrule = '{}' and rdate = '{}' and exdate = '{}')),
  check (end_at >= start_at)
);
-- The same meeting (iCalUID plus recurrence id) is one event per calendar.
create unique index events_uid on events (calendar_id, ical_uid, coalesce(original_start, '')) where deleted_at is null;
create index events_calendar_version on events (calendar_id, version);
create index events_range on events using gist (calendar_id, tstzrange(start_at, coalesce(series_until_at, end_at), '[]')) where deleted_at is null;
create index events_series on events (series_id);

-- Every version of every event, for audit and rollback.
create table event_history (
  id bigint generated always as identity primary key,
  tenant_id uuid not null,
  event_id uuid not null,
  calendar_id uuid not null,
  version bigint not null,
  operation text not null check (operation in ('create', 'update', 'delete', 'restore')),
  content jsonb not null,
  actor text not null,
  pass_id uuid,
  recorded_at timestamptz not null default now(),
  foreign key (tenant_id, event_id) references events (tenant_id, id) on delete cascade
);
create index event_history_event on event_history (event_id, version);

-- Per-calendar change log: one row per canonical change, keyed by the version it made.
create table change_log (
  tenant_id uuid not null,
  calendar_id uuid not null,
  version bigint not null,
  event_id uuid not null,
  operation text not null check (operation in ('create', 'update', 'delete')),
  changed_at timestamptz not null default now(),
  primary key (calendar_id, version),
  foreign key (tenant_id, calendar_id) references calendars (tenant_id, id) on delete cascade
);

-- Per binding and item: where the item lives remotely and the base, the normalised
-- content both sides last agreed on (a three-way merge needs content, not a hash).
create table sync_status (
  tenant_id uuid not null,
  binding_id uuid not null,
  event_id uuid not null,
  remote_id text not null,
  remote_href text,
  etag text,
  content_hash text not null,
  base jsonb not null,
  -- A create was sent but its answer not stored: remote_id is a placeholder and base
  -- what was sent, until the stamped item is listed and adopted.
  pending boolean not null default false,
  synced_at timestamptz not null default now(),
  quarantined_at timestamptz,
  quarantine_error jsonb,
  primary key (binding_id, remote_id),
  -- event_id is a series id (events.series_id), not a row id: a series may lack a master.
  unique (binding_id, event_id),
  foreign key (tenant_id, binding_id) references bindings (tenant_id, id) on delete cascade
);

-- One row per pass of one binding.
create table sync_passes (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null,
  binding_id uuid not null,
  trigger text not null check (trigger in ('poll', 'push', 'manual', 'resync', 'change')),
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  outcome text check (outcome in ('ok', 'partial', 'failed', 'stopped')),
  stats jsonb not null default '{}',
  error jsonb,
  unique (tenant_id, id),
  foreign key (tenant_id, binding_id) references bindings (tenant_id, id) on delete cascade
);
create index sync_passes_binding on sync_passes (binding_id, started_at desc);

-- The audit trail: every decision of a pass, with the side it touched, the rule that
-- decided it and why, and what happened when it was carried out.
create table sync_operations (
  id bigint generated always as identity primary key,
  tenant_id uuid not null,
  pass_id uuid not null,
  binding_id uuid not null,
  event_id uuid,
  remote_id text,
  side text not null check (side in ('calendar', 'remote')),
  operation text not null check (operation in ('create', 'update', 'delete', 'skip', 'merge', 'conflict', 'quarantine')),
  rule text not null,
  reason text not null,
  status text not null check (status in ('planned', 'applied', 'failed', 'skipped')),
  before jsonb,
  after jsonb,
  error jsonb,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  foreign key (tenant_id, pass_id) references sync_passes (tenant_id, id) on delete cascade
);
create index sync_operations_pass on sync_operations (pass_id);
create index sync_operations_event on sync_operations (event_id) where event_id is not null;

-- Same-field changes on both sides that a policy sends to a person.
create table conflicts (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null,
  binding_id uuid not null,
  -- a series id (events.series_id)
  event_id uuid not null,
  pass_id uuid,
  fields text[] not null check (cardinality(fields) > 0),
  base jsonb,
  ours jsonb,
  theirs jsonb,
  state text not null default 'open' check (state in ('open', 'resolved', 'dismissed')),
  resolution jsonb,
  resolved_by text,
  created_at timestamptz not null default now(),
  resolved_at timestamptz,
  foreign key (tenant_id, binding_id) references bindings (tenant_id, id) on delete cascade
);
create index conflicts_open on conflicts (tenant_id, created_at) where state = 'open';

-- The app's push channels (Google `events.watch` semantics). secret signs deliveries
-- (HMAC-SHA256) and is stored encrypted like other credentials.
create table watch_channels (
  id text not null,
  tenant_id uuid not null,
  calendar_id uuid not null,
  resource_id text not null,
  resource_uri text not null,
  token text,
  address text not null,
  secret bytea not null,
  params jsonb not null default '{}',
  expires_at timestamptz not null,
  message_number bigint not null default 0,
  delivered_version bigint not null default 0,
  created_at timestamptz not null default now(),
  stopped_at timestamptz,
  primary key (tenant_id, id),
  foreign key (tenant_id, calendar_id) references calendars (tenant_id, id) on delete cascade
);
create index watch_channels_calendar on watch_channels (calendar_id) where stopped_at is null;

-- Bookable resources (rooms, people, equipment) and their bookings. The exclusion
-- constraint makes two live bookings of one resource over overlapping time impossible,
-- whatever the application does.
create table resources (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  name text not null,
  calendar_id uuid,
  time_zone text not null default 'UTC',
  created_at timestamptz not null default now(),
  unique (tenant_id, id),
  foreign key (tenant_id, calendar_id) references calendars (tenant_id, id) on delete set null (calendar_id)
);

create table bookings (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null,
  resource_id uuid not null,
  event_id uuid,
  during tstzrange not null check (not isempty(during) and lower_inc(during) and not upper_inc(during)),
  status text not null default 'confirmed' check (status in ('held', 'confirmed', 'cancelled')),
  idempotency_key text,
  held_until timestamptz,
  created_at timestamptz not null default now(),
  cancelled_at timestamptz,
  unique (tenant_id, idempotency_key),
  foreign key (tenant_id, resource_id) references resources (tenant_id, id) on delete cascade,
  foreign key (tenant_id, event_id) references events (tenant_id, id) on delete set null (event_id),
  exclude using gist (resource_id with =, during with &&) where (status <> 'cancelled')
);

-- Process-wide settings; holds the secret-key check value.
create table settings (
  name text primary key,
  value jsonb not null,
  updated_at timestamptz not null default now()
);

-- Queue probes: `calsync queue probe` enqueues N no-op jobs and every run of one leaves
-- a row here, so an operator (and the exactly-once test) can see each ran once.
create table queue_probes (
  probe_id uuid not null,
  seq integer not null,
  worker text not null,
  ran_at timestamptz not null default clock_timestamp()
);
create index queue_probes_probe on queue_probes (probe_id, seq);
