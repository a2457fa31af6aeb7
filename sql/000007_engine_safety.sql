-- Remote items a binding could not take in (src/store/quarantine.ts): iCalendar that does
-- not parse, a payload the mapping refuses, a second item with a bound iCalUID. A pass
-- records them here and goes on with their neighbours; an operator reads the reason and
-- the payload, asks for a retry (the next pass reads the item again) or dismisses it.
-- Bound items held for a person (edit against delete, a write the provider refuses) stay
-- marked on their sync status (sync_status.quarantined_at).
create table quarantined_items (
  tenant_id uuid not null,
  binding_id uuid not null,
  remote_id text not null,
  etag text,
  calsync_id text,
  reason text not null,
  raw text,
  -- The provider's last-modified instant of the unreadable version: an older version
  -- delivered later (a lagging replica) is stale and does not lift the quarantine.
  remote_updated_at timestamptz,
  first_seen_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  retry_requested_at timestamptz,
  dismissed_at timestamptz,
  primary key (binding_id, remote_id),
  foreign key (tenant_id, binding_id) references bindings (tenant_id, id) on delete cascade
);
create index quarantined_items_open on quarantined_items (tenant_id, binding_id) where dismissed_at is null;

-- What a remote write whose answer is outstanding sent: its base and hash. Set before the
-- write, cleared by its answer; after a lost answer the item that comes back is compared
-- with it, so the write is recognised as landed instead of read as the remote's own edit.
alter table sync_status add column sent jsonb;

-- A pass the brakes stopped (a wipe, more deletions than the budget): {kind, side,
-- passId, at, message, known, deletes, limit}. Cleared by the next pass that is not
-- stopped; confirming or dismissing it is an operator's decision.
alter table bindings add column stopped jsonb;

-- One open conflict per binding, event and field set: a field both sides keep changing
-- under `manual` is asked once until a person decides.
update conflicts c set state = 'dismissed', resolved_at = now(), resolved_by = 'calsync: a repeat of an older open conflict'
 where c.state = 'open'
   and exists (select 1 from conflicts o
                where o.state = 'open' and o.binding_id = c.binding_id and o.event_id = c.event_id and o.fields = c.fields
                  and (o.created_at, o.id) < (c.created_at, c.id));
create unique index conflicts_open_fields on conflicts (binding_id, event_id, fields) where state = 'open';
