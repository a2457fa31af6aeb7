-- Indexes the health page walks (src/store/health.ts) so that it costs the same on a tenant
-- of 100,000 events as on one of 100 (bench/console-health.ts).
--
-- The writes to remotes of the last hour, for the propagation figures: without it the
-- query reads every operation the tenant's passes ever recorded (skips and merges
-- included), which grows with events and time.
create index sync_operations_remote_writes on sync_operations (tenant_id, finished_at)
  where side = 'remote' and status = 'applied' and operation in ('create', 'update', 'delete');

-- Items held for a person, per binding: the primary key (binding_id, remote_id) makes
-- counting them read every status row of the binding, one per event it syncs.
create index sync_status_quarantined on sync_status (tenant_id, binding_id) where quarantined_at is not null;
