// The Google Calendar API v3 layer: event resource ⇄ canonical event and series, ids.
// Used by calsync's Google-shaped app API and by the Google connector. Pure.
export { eventFromGoogle, calsyncIdOf, type GoogleReadContext, type GoogleMasterTerms } from './read.ts';
export { eventToGoogle, originalStartTime, type GoogleRenderMeta } from './render.ts';
export { seriesFromGoogle, seriesToGoogle, type GoogleSeries, type GoogleSeriesContext, type GoogleSeriesMeta } from './series.ts';
export { renderInstant } from './times.ts';
export { isValidEventId, instanceId, parseInstanceId, type ParsedInstanceId } from './ids.ts';
export { googleExtras, type GoogleExtras } from './extras.ts';
export { PRIVATE_KEYS } from './private-properties.ts';
export type * from './types.ts';
export { EVENT_MEMBERS, EVENT_TYPES } from './types.ts';
