-- A merge that sends fields to a person (a same-field conflict under an asking policy)
-- leaves each side its own value of them. The status's base holds the base's value,
-- which neither side holds; `asked` keeps what the remote holds meanwhile ({remote,
-- contentHash}: its normalised content and hash), so the remote's copy is not taken for
-- a new edit (a calendar delete then deletes it; src/core/plan.ts), and a later change
-- of the calendar is merged onto it rather than written over the asked fields. Null when
-- nothing is asked.
alter table sync_status add column asked jsonb;
