-- A notification of a channel calsync does not know is no longer matched to a binding by
-- the resource it watches (anyone may name a calendar's resource id): nothing reads
-- bindings by push_channel ->> 'resourceId' any more.
drop index bindings_push_resource_id;
