// The query parameters of events.list, read and checked as Google reads them
// (developers.google.com/calendar/api/v3/reference/events/list): maxResults 1-2500
// (default 250), orderBy startTime only with singleEvents, extended-property filters as
// `name=value`, timeZone an IANA name, and the parameters Google refuses next to a
// syncToken refused the same way. Bad values are 400 naming the
// parameter; unknown parameters are ignored, as Google's are.
import { isIanaZone } from '../core/timezones.ts';
import { CalsyncError } from '../errors.ts';
import type { PropertyFilter } from '../store/app-events.ts';
import { calendarDayMs, isInRange } from './time-bounds.ts';

export interface ListParams {
  maxResults: number;
  pageToken: string | null;
  syncToken: string | null;
  singleEvents: boolean;
  showDeleted: boolean;
  orderBy: 'startTime' | 'updated' | null;
  timeMin: string | null;
  timeMax: string | null;
  updatedMin: string | null;
  iCalUID: string | null;
  q: string | null;
  /** privateExtendedProperty and sharedExtendedProperty, in that order. */
  properties: PropertyFilter[];
  timeZone: string | null;
}

type Query = Record<string, string | string[] | undefined>;

// PROVIDER-FACTS: "With syncToken, these are not allowed"; showDeleted=false is refused too.
// Google answers 400 syncTokenWithRequestRestrictions (reported in
// qiita.com/shiraily/items/6762046f041551c269da; the Google emulator answers the same).
const notWithSyncToken = ['iCalUID', 'orderBy', 'privateExtendedProperty', 'q', 'sharedExtendedProperty', 'timeMin', 'timeMax', 'updatedMin'];

function invalid(parameter: string, message: string): never {
  throw new CalsyncError('INVALID_REQUEST', message, { parameter });
}

/** Google's answer to a filter next to a sync token (syncTokenWithRequestRestrictions, 400). */
function withSyncToken(parameter: string): never {
  throw new CalsyncError('SYNC_TOKEN_WITH_RESTRICTIONS', 'Sync token cannot be used with other request restrictions.', { parameter });
}

function one(query: Query, name: string): string | null {
  const value = query[name];
  if (value === undefined) return null;
  if (Array.isArray(value)) invalid(name, `${name} was given ${value.length} times; give it once`);
  return value;
}

function many(query: Query, name: string): string[] {
  const value = query[name];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** `propertyName=value` constraints (the value may hold `=` itself, or be empty). */
function properties(query: Query, name: string, scope: PropertyFilter['scope']): PropertyFilter[] {
  return many(query, name).map((constraint) => {
    const at = constraint.indexOf('=');
    if (at <= 0) invalid(name, `${name} must be propertyName=value, not ${JSON.stringify(constraint)}`);
    return { scope, name: constraint.slice(0, at), value: constraint.slice(at + 1) };
  });
}

function flag(query: Query, name: string, fallback: boolean): boolean {
  const value = one(query, name);
  if (value === null) return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return invalid(name, `${name} must be true or false, not ${JSON.stringify(value)}`);
}

/**
 * The `timeZone` parameter of events.list, get and instances ("Time zone used in the
 * response. … The default is the time zone of the calendar."): an IANA name, or null.
 */
export function responseZone(query: Query): string | null {
  const zone = one(query, 'timeZone');
  if (zone !== null && !isIanaZone(zone)) invalid('timeZone', `timeZone ${JSON.stringify(zone)} is not an IANA time zone name such as Europe/Berlin`);
  return zone;
}

/**
 * An RFC 3339 timestamp with an offset (Google refuses one without), as an ISO instant:
 * a day that exists, within years 1 to 9999 once in UTC (time-bounds.ts).
 */
export function instantParam(value: string | null, name: string): string | null {
  if (value === null) return null;
  const parts = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.exec(value);
  const ms = Date.parse(value);
  if (!parts || Number.isNaN(ms) || calendarDayMs(Number(parts[1]), Number(parts[2]), Number(parts[3])) === null) {
    invalid(name, `${name} must be an RFC 3339 timestamp with an offset, e.g. 2026-01-01T00:00:00Z, not ${JSON.stringify(value)}`);
  }
  if (!isInRange(ms)) invalid(name, `${name} must lie between the years 1 and 9999 (in UTC), not ${JSON.stringify(value)}`);
  return new Date(ms).toISOString();
}

export function readListParams(query: Query): ListParams {
  const raw = one(query, 'maxResults');
  let maxResults = 250;
  if (raw !== null) {
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < 1) invalid('maxResults', `maxResults must be a whole number from 1, not ${JSON.stringify(raw)}`);
    // Google: "The page size can never be larger than 2500 events"; larger asks get 2500.
    maxResults = Math.min(n, 2500);
  }
  const syncToken = one(query, 'syncToken');
  if (syncToken !== null) {
    for (const name of notWithSyncToken) if (query[name] !== undefined) withSyncToken(name);
    if (one(query, 'showDeleted') === 'false') withSyncToken('showDeleted');
  }
  const orderBy = one(query, 'orderBy');
  if (orderBy !== null && orderBy !== 'startTime' && orderBy !== 'updated') invalid('orderBy', `orderBy must be startTime or updated, not ${JSON.stringify(orderBy)}`);
  const singleEvents = flag(query, 'singleEvents', false);
  if (orderBy === 'startTime' && !singleEvents) invalid('orderBy', 'The requested ordering is not available for the particular query: orderBy=startTime needs singleEvents=true');
  const timeMin = instantParam(one(query, 'timeMin'), 'timeMin');
  const timeMax = instantParam(one(query, 'timeMax'), 'timeMax');
  if (timeMin !== null && timeMax !== null && timeMax <= timeMin) {
    throw new CalsyncError('TIME_RANGE_EMPTY', 'The specified time range is empty.', { parameter: 'timeMax' });
  }
  return {
    maxResults,
    pageToken: one(query, 'pageToken'),
    syncToken,
    singleEvents,
    // Deleted events always come with a sync token (PROVIDER-FACTS).
    showDeleted: syncToken !== null || flag(query, 'showDeleted', false),
    orderBy: orderBy as ListParams['orderBy'],
    timeMin,
    timeMax,
    updatedMin: instantParam(one(query, 'updatedMin'), 'updatedMin'),
    iCalUID: one(query, 'iCalUID'),
    q: one(query, 'q'),
    properties: [...properties(query, 'privateExtendedProperty', 'private'), ...properties(query, 'sharedExtendedProperty', 'shared')],
    timeZone: responseZone(query),
  };
}

/**
 * A page of a query that asked for one row more than `limit`: the rows to answer, and
 * the last of them when that extra row says another page follows (its token names it).
 */
export function pageOf<T>(rows: T[], limit: number): { page: T[]; continueAfter: T | null } {
  const page = rows.slice(0, limit);
  return { page, continueAfter: rows.length > limit ? page.at(-1) ?? null : null };
}
