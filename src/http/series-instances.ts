// Recurring series as instances (singleEvents=true and events.instances): the series in
// the window are expanded (src/core/ical/expand.ts, in the master's wall-clock time) and
// their instances ordered by start. Without timeMax the window ends two years after now
// or timeMin, whichever is later (and at the end of year 9999), and a series gives at
// most 2,500 instances, so an endless rule lists a bounded page set. A series cut short
// (more instances, or a rule too costly to expand within the bounds of
// expansion-budget.ts) is listed with what it has and named in `truncated`.
import { expandSeries } from '../core/ical/index.ts';
import type { CanonicalEvent, EventSeries } from '../core/model.ts';
import { CalsyncError } from '../errors.ts';
import type { Calendar } from '../store/calendars.ts';
import type { Queryable } from '../store/db.ts';
import { appRowsOfSeries, seriesIdsFor, type AppEvent, type PropertyFilter } from '../store/app-events.ts';
import { appEventByApiId } from '../store/app-events.ts';
import { seriesApiIdOf } from '../store/event-writes.ts';
import { googleExtras, type GoogleEvent } from '../core/google/index.ts';
import { instanceIdOf, instanceResource, resourceOf, type ResourceContext } from './event-resources.ts';
import { expansionBounds, expansionPacer } from '../engine/expansion-budget.ts';
import type { ListParams } from './list-params.ts';
import { clampToRange } from './time-bounds.ts';

export interface SeriesRows {
  /** The master or single row; null when only exceptions are stored. */
  master: AppEvent | null;
  /** Exception rows by original start (the override key). */
  overrides: Map<string, AppEvent>;
  rows: AppEvent[];
}

const defaultHorizonMs = 2 * 366 * 86_400_000;
const instancesPerSeries = 2500;
const seriesPerListing = 20_000;

function group(rows: AppEvent[]): Map<string, SeriesRows> {
  const bySeries = new Map<string, SeriesRows>();
  for (const row of rows) {
    const series: SeriesRows = bySeries.get(row.seriesId) ?? { master: null, overrides: new Map(), rows: [] };
    series.rows.push(row);
    if (row.kind === 'override') series.overrides.set(row.event.recurrenceId!, row);
    else series.master = row;
    bySeries.set(row.seriesId, series);
  }
  return bySeries;
}

/** Every row of a series, deleted ones too; null when it has none. */
export async function seriesRows(db: Queryable, tenantId: string, calendarId: string, seriesId: string): Promise<SeriesRows | null> {
  return group(await appRowsOfSeries(db, tenantId, calendarId, [seriesId])).get(seriesId) ?? null;
}

/** The series whose master (or single) row has this api id, or whose row it is. */
export async function seriesOf(db: Queryable, tenantId: string, calendar: Calendar, apiId: string): Promise<SeriesRows | null> {
  const row = await appEventByApiId(db, tenantId, calendar.id, seriesApiIdOf(apiId));
  return row ? seriesRows(db, tenantId, calendar.id, row.seriesId) : null;
}

/** The live content of a series, for expansion. */
function liveSeries(series: SeriesRows): EventSeries | null {
  const master = series.master && !series.master.deleted ? series.master.event : null;
  const overrides = [...series.overrides.values()].filter((o) => !o.deleted).map((o) => o.event);
  if (!master && overrides.length === 0) return null;
  return { uid: (master ?? overrides[0]!).uid, master, overrides };
}

/** Whether the event's extendedProperties meet every constraint (as the SQL filter in app-events.ts). */
function hasProperties(event: CanonicalEvent, filters: PropertyFilter[]): boolean {
  if (filters.length === 0) return true;
  const extended = googleExtras(event).fields?.extendedProperties as Partial<Record<PropertyFilter['scope'], Record<string, string>>> | undefined;
  return filters.every((f) => extended?.[f.scope]?.[f.name] === f.value);
}

function matches(resource: GoogleEvent, terms: string[]): boolean {
  if (terms.length === 0) return true;
  const text = JSON.stringify([resource.summary, resource.description, resource.location, resource.organizer, resource.attendees]).toLowerCase();
  return terms.every((t) => text.includes(t.toLowerCase()));
}

/** A series whose instances the listing could not give in full, and why. */
export interface TruncatedSeries {
  id: string;
  reason: string;
}

interface Listed {
  items: GoogleEvent[];
  /** The key to continue after, when more instances follow. */
  after: Array<string | number> | null;
  truncated: TruncatedSeries[];
}

const reasons: Record<string, string> = {
  instances: `more than ${instancesPerSeries} instances in the window: narrow timeMin and timeMax to see the rest`,
  work: 'the rule is too costly to expand (its instances lie far apart, or it walks many before the window): fix the rule, or narrow timeMin and timeMax',
  rule: 'a rule of the series cannot be read and adds no instance: fix its recurrence',
};

export async function listInstances(
  db: Queryable, tenantId: string, calendar: Calendar, params: ListParams,
  page: { since: number | null; upTo: number; after: Array<string | number> }, now: Date, only?: SeriesRows,
): Promise<Listed> {
  const from = params.timeMin ?? '1970-01-01T00:00:00.000Z';
  const to = params.timeMax ?? new Date(clampToRange(Math.max(now.getTime(), Date.parse(from)) + defaultHorizonMs)).toISOString();
  // A window that ends before it starts (timeMax alone, before 1970) holds no instance.
  if (to <= from) return { items: [], after: null, truncated: [] };
  const context: ResourceContext = { calendarTimeZone: calendar.timeZone };
  let all: SeriesRows[];
  if (only) {
    all = [only];
  } else {
    const ids = await seriesIdsFor(db, tenantId, calendar.id, {
      since: page.since, upTo: page.upTo, timeMin: from, timeMax: to, iCalUID: params.iCalUID, properties: params.properties, limit: seriesPerListing + 1,
    });
    if (ids.length > seriesPerListing) {
      throw new CalsyncError('INVALID_REQUEST', `more than ${seriesPerListing} series fall in this window: narrow timeMin and timeMax`, { parameter: 'timeMax' });
    }
    all = [...group(await appRowsOfSeries(db, tenantId, calendar.id, ids)).values()];
  }
  const terms = params.q?.split(/\s+/).filter(Boolean) ?? [];
  // Resources are rendered for the page only (some 0.1 ms each: 2,500 instances of one
  // series would hold the event loop for a quarter of a second), or for a `q` to match.
  const found: Array<{ start: string; id: string; resource: () => GoogleEvent }> = [];
  const truncated: TruncatedSeries[] = [];
  const pace = expansionPacer();
  // An instance has the properties of the row it shows: its exception's, else its master's.
  const add = (event: CanonicalEvent, start: string, id: string, render: () => GoogleEvent): void => {
    if (!hasProperties(event, params.properties)) return;
    let resource: GoogleEvent | undefined;
    found.push({ start, id, resource: () => (resource ??= render()) });
  };
  for (const series of all) {
    const live = liveSeries(series);
    if (live === null) {
      // Deleted series show as their cancelled rows, where deletions are asked for.
      const master = series.master;
      if (params.showDeleted && master) add(master.event, master.startAt, master.apiId, () => resourceOf(master, null, context));
      continue;
    }
    if (params.updatedMin !== null && !series.rows.some((r) => r.updated.toISOString() >= params.updatedMin!)) continue;
    await pace();
    const { instances, cause } = expandSeries(live, { from, to, defaultZone: calendar.timeZone, limit: instancesPerSeries, ...expansionBounds });
    if (cause !== null) truncated.push({ id: seriesApiIdOf((series.master ?? series.rows[0]!).apiId), reason: reasons[cause]! });
    const head = series.master ?? series.rows[0]!;
    for (const instance of instances) {
      add(instance.event, instance.start, instanceIdOf(head, instance, series.overrides, context), () => instanceResource(head, instance, series.overrides, context));
    }
    if (params.showDeleted) {
      for (const override of series.overrides.values()) {
        if (override.deleted || override.event.status === 'cancelled') add(override.event, override.startAt, override.apiId, () => resourceOf(override, series.master?.event ?? null, context));
      }
    }
  }
  const ordered = found
    .filter((f) => terms.length === 0 || matches(f.resource(), terms))
    .sort((a, b) => (a.start === b.start ? (a.id < b.id ? -1 : 1) : a.start < b.start ? -1 : 1));
  const [afterStart, afterId] = page.after as [string?, string?];
  const rest = afterStart === undefined ? ordered
    : ordered.filter((f) => f.start > afterStart || (f.start === afterStart && f.id > afterId!));
  const items = rest.slice(0, params.maxResults);
  const more = rest.length > params.maxResults;
  return { items: items.map((i) => i.resource()), after: more ? [items.at(-1)!.start, items.at(-1)!.id] : null, truncated };
}
