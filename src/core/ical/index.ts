// The iCalendar layer: text ⇄ canonical series, and bounded expansion for availability.
export { parseCalendar, type ParsedCalendar, type ParsedSeries } from './parse.ts';
export { renderCalendar, PRODID, type RenderOptions } from './render.ts';
export { expandSeries, eventTimeInstant, type ExpandOptions, type Expansion, type Instance } from './expand.ts';
export { icalExtras, type IcalExtras } from './extras.ts';
