-- Busy mirrors (src/store/busy-mirrors.ts, src/engine/busy-mirrors.ts): a rule copies the
-- busy time of one calendar into another as blocks that carry only what the rule allows.
-- A block is an ordinary event of the target calendar, so its bindings carry it to every
-- provider; busy_mirror_blocks says which source series each block stands for. Block ids
-- are derived from (rule, source series), so a retried or concurrent refresh writes the
-- same block, never a second one; a series that is some rule's block is never a source.
create table busy_mirrors (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null,
  source_calendar_id uuid not null,
  target_calendar_id uuid not null,
  -- What a block is called; `{summary}` stands for the source event's title.
  title text not null default 'Busy' check (length(title) between 1 and 200),
  include_location boolean not null default false,
  include_description boolean not null default false,
  include_attendees boolean not null default false,
  mark_tentative boolean not null default true,
  -- The address of whose answers count: a source event this attendee declined is left out.
  owner_email text,
  created_at timestamptz not null default now(),
  unique (tenant_id, id),
  unique (tenant_id, source_calendar_id, target_calendar_id),
  check (source_calendar_id <> target_calendar_id),
  foreign key (tenant_id) references tenants (id) on delete cascade,
  foreign key (tenant_id, source_calendar_id) references calendars (tenant_id, id) on delete cascade,
  foreign key (tenant_id, target_calendar_id) references calendars (tenant_id, id) on delete cascade
);
create index busy_mirrors_source on busy_mirrors (tenant_id, source_calendar_id);
create index busy_mirrors_target on busy_mirrors (tenant_id, target_calendar_id);

create table busy_mirror_blocks (
  tenant_id uuid not null,
  mirror_id uuid not null,
  source_event_id uuid not null,
  block_event_id uuid not null,
  primary key (tenant_id, mirror_id, source_event_id),
  unique (tenant_id, block_event_id),
  foreign key (tenant_id, mirror_id) references busy_mirrors (tenant_id, id) on delete cascade
);
