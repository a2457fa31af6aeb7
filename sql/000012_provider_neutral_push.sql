-- Push subscriptions of any provider (src/store/push-channels.ts), no longer Google-shaped.
-- bindings.push_subscription holds the live subscription: {id, resourceId, secretHash,
-- expiresAt, createdAt, confirmedAt, extras}. `secretHash` is the SHA-256 of what the
-- provider echoes in every notification (Google's channel token, Graph's clientState);
-- `extras` is the provider's own data about it, opaque to calsync. Beside it, the one
-- being made ({pending: {id, secretHash, startedAt, confirmedAt?}}) and a failed
-- attempt's {error, retryAt}, as before. bindings.push_expires_at is the live one's
-- expiry, which the renewal job selects on. Retired subscriptions (migration 000011)
-- keep the secret's digest under the same name.
alter table bindings rename column push_channel to push_subscription;
alter table bindings rename column push_channel_expires_at to push_expires_at;
alter index bindings_push_channel_id rename to bindings_push_subscription_id;
alter index bindings_push_pending_id rename to bindings_push_subscription_pending_id;

update bindings
   set push_subscription = (push_subscription - 'tokenHash'::text - 'pending'::text)
     || case when push_subscription ? 'tokenHash'
             then jsonb_build_object('secretHash', push_subscription -> 'tokenHash', 'extras', '{}'::jsonb) else '{}'::jsonb end
     || case when push_subscription ? 'pending'
             then jsonb_build_object('pending', ((push_subscription -> 'pending') - 'tokenHash'::text)
                    || jsonb_build_object('secretHash', push_subscription -> 'pending' -> 'tokenHash'))
             else '{}'::jsonb end
 where push_subscription is not null;

alter table retired_push_channels rename to retired_push_subscriptions;
alter table retired_push_subscriptions rename column token_hash to secret_hash;
alter table retired_push_subscriptions rename constraint retired_push_channels_pkey to retired_push_subscriptions_pkey;
alter table retired_push_subscriptions rename constraint retired_push_channels_tenant_id_binding_id_fkey to retired_push_subscriptions_tenant_id_binding_id_fkey;
alter index retired_push_channels_binding rename to retired_push_subscriptions_binding;
alter index retired_push_channels_stops rename to retired_push_subscriptions_stops;
alter index retired_push_channels_expiry rename to retired_push_subscriptions_expiry;

-- Which providers exist is the registry's to say (src/connectors/registry.ts): a new
-- provider is a folder and a line there, not a schema change. Accounts are only made
-- with a registered provider's name.
alter table accounts drop constraint accounts_provider_check;
