-- Signed inbound sources (src/store/inbound-sources.ts): a booking tool (Calendly, or any
-- tool that signs its posts with an HMAC) posts to /webhooks/in/<id>. The signature is the
-- only credential, so the secret is sealed like account credentials (context
-- "inbound-source:<tenant>:<id>") and rotated with them. A source books into one resource.
-- It is not a row of `accounts`: it has no provider connector, no bindings and no remote
-- calendars, and everything that walks accounts (passes, disconnects, push channels) would
-- have to learn to skip it.
--
-- Every authentic delivery is kept once per (source, source event id): the source's
-- retries and replays find their row and change nothing. `state` is `queued` until the
-- job maps it (`done`, `ignored`) or refuses it (`failed`, with the error code an operator
-- reads, e.g. SLOT_TAKEN).
create table inbound_sources (
  id uuid not null default gen_random_uuid() primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  name text not null default '',
  scheme text not null check (scheme in ('calendly', 'hmac')),
  secret bytea not null,
  resource_id uuid not null,
  -- Seconds a signed timestamp may differ from now; null: the scheme signs no timestamp.
  tolerance_seconds integer check (tolerance_seconds between 1 and 86400),
  -- The generic scheme's headers and digest encoding; null for Calendly's fixed ones.
  signature_header text,
  timestamp_header text,
  digest_encoding text check (digest_encoding in ('hex', 'base64')),
  created_at timestamptz not null default now(),
  unique (tenant_id, id),
  foreign key (tenant_id, resource_id) references resources (tenant_id, id) on delete cascade,
  check ((scheme = 'hmac') = (signature_header is not null and digest_encoding is not null)),
  check (timestamp_header is null or tolerance_seconds is not null),
  check (scheme <> 'calendly' or tolerance_seconds is not null)
);
create index inbound_sources_tenant on inbound_sources (tenant_id);

create table inbound_deliveries (
  id uuid not null default gen_random_uuid() primary key,
  tenant_id uuid not null,
  source_id uuid not null,
  source_event_id text not null,
  kind text not null,
  body jsonb not null,
  state text not null default 'queued' check (state in ('queued', 'done', 'ignored', 'failed')),
  error_code text,
  error text,
  booking_id uuid,
  received_at timestamptz not null default now(),
  processed_at timestamptz,
  unique (source_id, source_event_id),
  foreign key (tenant_id, source_id) references inbound_sources (tenant_id, id) on delete cascade
);
create index inbound_deliveries_listing on inbound_deliveries (tenant_id, source_id, received_at desc, id);
