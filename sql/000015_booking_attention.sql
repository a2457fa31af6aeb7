-- A booking whose event a provider (or the app's event API) moved onto time another
-- booking of its resource holds is not moved: it keeps its time and says why a person
-- must look at it in `attention` (src/store/bookings.ts, followBookingEvents). Null when
-- nothing is wrong.
alter table bookings add column attention text;
