-- The console's charts read a tenant's passes of the last hours; sync_passes_binding
-- serves one binding, this one the tenant's window.
create index sync_passes_tenant_started on sync_passes (tenant_id, started_at);
