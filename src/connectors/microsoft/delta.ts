// One page of a calendarView delta round, read: the events, the ids Graph reports as
// `@removed`, and the link to follow. "A GET request with the delta function returns
// either an @odata.nextLink … or an @odata.deltaLink" (delta-query-events): a page with
// both or neither is refused, since following the wrong one loses changes.
import { CoreError } from '../../core/errors.ts';
import type { GraphEvent } from './types.ts';

export interface DeltaPage {
  events: GraphEvent[];
  /** Ids of `{id, "@removed": {reason}}` entries, with the reason Graph gave. */
  removed: { id: string; reason: string | null }[];
  /** Follow as is for the next page of this round. */
  nextLink: string | null;
  /** Store after the round's changes are applied: the next round starts from it. */
  deltaLink: string | null;
}

export function deltaPageOf(body: unknown): DeltaPage {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new CoreError('INVALID_INPUT', 'a delta page is a JSON object', 'body');
  const page = body as Record<string, unknown>;
  const link = (name: string): string | null => {
    const value = page[name];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string' || !URL.canParse(value)) throw new CoreError('INVALID_INPUT', `${name} is not a URL`, name);
    return value;
  };
  const nextLink = link('@odata.nextLink');
  const deltaLink = link('@odata.deltaLink');
  if ((nextLink === null) === (deltaLink === null)) throw new CoreError('INVALID_INPUT', 'a delta page carries exactly one of @odata.nextLink and @odata.deltaLink', 'body');
  if (!Array.isArray(page.value)) throw new CoreError('INVALID_INPUT', 'a delta page lists its entries in value', 'value');
  const events: GraphEvent[] = [];
  const removed: DeltaPage['removed'] = [];
  page.value.forEach((entry, i) => {
    if (typeof entry !== 'object' || entry === null || typeof (entry as GraphEvent).id !== 'string') throw new CoreError('INVALID_INPUT', 'an entry without an id', `value[${i}]`);
    const e = entry as GraphEvent;
    if (e['@removed'] !== undefined) removed.push({ id: e.id!, reason: typeof e['@removed']?.reason === 'string' ? e['@removed'].reason : null });
    else events.push(e);
  });
  return { events, removed, nextLink, deltaLink };
}
