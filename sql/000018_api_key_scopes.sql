-- What a key may call (src/http/auth.ts): `admin`, the operator console and /admin/v1;
-- `app`, the calendar API. Keys made before scopes existed keep working as both.
alter table api_keys add column scopes text[] not null default '{admin,app}'
  constraint api_keys_scopes_known check (cardinality(scopes) > 0 and scopes <@ '{admin,app}'::text[]);
