-- Push channels a binding no longer uses that Google may still deliver (src/store/push-channels.ts):
-- an old channel whose stop failed, one whose watch answer was lost, the spare of a renewal
-- that lost a race. Kept until they expire, so a notification naming one with its token is
-- known as calsync's and the channel stopped with the binding's account, at most once per
-- resource an hour; a notification that is not (any channel id, any token) causes no work.
create table retired_push_channels (
  channel_id text primary key,
  tenant_id uuid not null,
  binding_id uuid not null,
  -- Null when the watch never answered: the notification's X-Goog-Resource-ID then names it.
  resource_id text,
  token_hash text not null,
  expires_at timestamptz not null,
  -- When a notification last queued its stop: the hour's one stop of its resource.
  stop_queued_at timestamptz,
  foreign key (tenant_id, binding_id) references bindings (tenant_id, id) on delete cascade
);
create index retired_push_channels_binding on retired_push_channels (tenant_id, binding_id);
create index retired_push_channels_stops on retired_push_channels (resource_id, stop_queued_at) where stop_queued_at is not null;
create index retired_push_channels_expiry on retired_push_channels (expires_at);
