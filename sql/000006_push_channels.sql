-- Google push channels of bindings (src/store/push-channels.ts). bindings.push_channel holds
-- the live channel as jsonb: {id, resourceId, tokenHash, expiresAt, createdAt, confirmedAt},
-- the one being made ({pending: {id, tokenHash, confirmedAt?}}: Google may send its first
-- message before events.watch has answered), and a failed attempt's {error, retryAt}.
-- Every webhook request finds its binding by the channel id in X-Goog-Channel-ID, and a
-- channel calsync no longer knows by the resource id it watches (stable per calendar).
create unique index bindings_push_channel_id on bindings ((push_channel ->> 'id')) where push_channel ->> 'id' is not null;
create index bindings_push_pending_id on bindings ((push_channel -> 'pending' ->> 'id')) where push_channel -> 'pending' ->> 'id' is not null;
create index bindings_push_resource_id on bindings ((push_channel ->> 'resourceId')) where push_channel ->> 'resourceId' is not null;
