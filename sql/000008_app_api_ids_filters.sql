-- Exceptions get the ids Google gives instances (src/core/google/ids.ts): the series id,
-- "_" and the original start in UTC basic format with a Z (`…_20260302T090000Z`). Until
-- now they carried the original start in the master's wall clock (`…_20260302T100000`,
-- migration 000002); those ids still resolve (src/http/events-targets.ts). All-day
-- exceptions (`…_20260302`) already had Google's form.
--
-- The original start is in the master's zone (the calendar's for a floating master), or
-- without a master in the exception's own. It becomes an instant as the model reads
-- wall-clock times (src/core/ical/zoned.ts localToInstant): of the offsets half a day
-- before and after, one that gives the wall clock back, the earlier instant when both do
-- (the first 01:30 of a fall-back night); in a spring-forward gap, the offset before it.
with terms as (
  select o.id, split_part(o.api_id, '_', 1) as series_api_id, o.original_start::timestamp as wall,
         coalesce(case when m.id is null then o.start_tz else m.start_tz end, c.time_zone) as zone
    from events o
    join calendars c on c.tenant_id = o.tenant_id and c.id = o.calendar_id
    left join events m on m.tenant_id = o.tenant_id and m.id = o.series_id and m.kind <> 'override'
   where o.kind = 'override' and o.original_start like '%T%'
), candidates as (
  select id, series_api_id, wall, zone,
         wall at time zone 'UTC' - ((wall at time zone 'UTC' - interval '12 hours') at time zone zone
           - (wall at time zone 'UTC' - interval '12 hours') at time zone 'UTC') as before,
         wall at time zone 'UTC' - ((wall at time zone 'UTC' + interval '12 hours') at time zone zone
           - (wall at time zone 'UTC' + interval '12 hours') at time zone 'UTC') as after
    from terms
), instants as (
  select id, series_api_id,
         coalesce(least(case when before at time zone zone = wall then before end,
                         case when after at time zone zone = wall then after end), before) as instant
    from candidates
)
update events e
   set api_id = i.series_api_id || '_' || to_char(i.instant at time zone 'UTC', 'YYYYMMDD"T"HH24MISS"Z"')
  from instants i
 where e.id = i.id;

-- events.list's privateExtendedProperty / sharedExtendedProperty filters ask whether an
-- event's Google extendedProperties (kept in extras, src/core/google/extras.ts) contain
-- `{"private": {name: value}}`: without an index that reads every event of the calendar.
create index events_extended_properties on events using gin ((extras -> 'google' -> 'fields' -> 'extendedProperties') jsonb_path_ops);
