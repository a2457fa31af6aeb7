// The calsync id stamped on items calsync writes (ARCHITECTURE.md, matching), kept in
// a single-value extended property: "String {GUID} Name <name>" is the documented id
// form of a named string property (singleValueLegacyExtendedProperty). The GUID is
// calsync's own property set, fixed once; the property is read with
// `$expand=singleValueExtendedProperties($filter=id eq '<id>')` and written in the
// create or PATCH body.
import type { GraphEvent, GraphSingleValueProperty } from './types.ts';

export const CALSYNC_PROPERTY_SET = '4adf6aae-dd63-4d55-81c3-a185a72460dc';
export const CALSYNC_ID_PROPERTY = `String {${CALSYNC_PROPERTY_SET}} Name calsyncId`;

/** The query option that makes Graph return the stamp with each event. */
export const STAMP_EXPAND = `singleValueExtendedProperties($filter=id eq '${CALSYNC_ID_PROPERTY}')`;

// Exchange answers property ids in its own spelling (the GUID's case, the spaces),
// so ids are compared folded.
const fold = (id: string): string => id.toLowerCase().replace(/\s+/g, ' ').trim();

export const isStampProperty = (id: unknown): boolean => typeof id === 'string' && fold(id) === fold(CALSYNC_ID_PROPERTY);

/** The stamp on an event, or null when it carries none (or one that is not text). */
export function stampOf(event: Pick<GraphEvent, 'singleValueExtendedProperties'> | null | undefined): string | null {
  const list = event?.singleValueExtendedProperties;
  if (!Array.isArray(list)) return null;
  const found = list.find((p) => typeof p === 'object' && p !== null && isStampProperty(p.id));
  return typeof found?.value === 'string' && found.value !== '' ? found.value : null;
}

export function stampProperty(calsyncId: string): GraphSingleValueProperty {
  return { id: CALSYNC_ID_PROPERTY, value: calsyncId };
}
