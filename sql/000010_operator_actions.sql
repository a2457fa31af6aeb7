-- What operators did to settle what the engine could not (src/store/operator-actions.ts):
-- retrying or lifting quarantined items, confirming or dismissing stopped passes,
-- pausing, resuming, changing and unbinding bindings, disconnecting accounts. One row per
-- action, with who asked (`api-key:<id>` or `cli`), what it named and what it changed.
-- Not sync_operations: those rows belong to a pass (pass_id is required) and describe a
-- pass's decisions on one side; an operator acts outside any pass. And no foreign key
-- to bindings or accounts: the record of an unbind or a disconnect must outlive the
-- binding or the credentials it removed (the tenant's rows all go with the tenant).
create table operator_actions (
  id bigint generated always as identity primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  binding_id uuid,
  account_id uuid,
  action text not null,
  actor text not null,
  -- What the action named: remote ids, event ids, the stopped pass.
  targets jsonb not null default '{}',
  -- What it changed and why: the operator's note, settings before and after, counts.
  detail jsonb not null default '{}',
  created_at timestamptz not null default now()
);
create index operator_actions_tenant on operator_actions (tenant_id, id desc);
create index operator_actions_binding on operator_actions (binding_id, id desc) where binding_id is not null;

-- An account an operator disconnected: its bindings paused, its push channels stopped,
-- its credentials dropped. Connecting it again makes it active.
alter table accounts drop constraint accounts_state_check,
  add constraint accounts_state_check check (state in ('active', 'revoked', 'error', 'disconnected'));

-- A binding being unbound (src/jobs/unbind-binding.ts): what happens to the remote items
-- calsync holds statuses for, `keep` or `delete`. The binding is paused meanwhile, so no
-- pass runs, and removed once its push channel is stopped and the copies are dealt with.
alter table bindings add column unbind_remote_copies text check (unbind_remote_copies in ('keep', 'delete'));
