// freeBusy in Google Calendar v3 shapes (developers.google.com/calendar/api/v3/reference/
// freebusy/query): `POST /calendar/v3/freeBusy` with {timeMin, timeMax, timeZone?,
// groupExpansionMax?, calendarExpansionMax?, items: [{id}]} answers {kind:
// "calendar#freeBusy", timeMin, timeMax, calendars: {<id>: {busy: [{start, end}]}}}.
// - A calendar the tenant does not have gets `errors: [{domain: "global", reason:
//   "notFound"}]` and no busy time in a 200, as Google answers for a calendar it cannot
//   read, so one wrong id does not cost the others' answers.
// - Google's calendarExpansionMax is at most 50 (and 50 when absent): calendars past it
//   get Google's `tooManyCalendarsRequested`. groupExpansionMax (at most 100) is checked
//   and otherwise unused: calsync has no groups, so a group id is not found.
// - The bounds come back in UTC with milliseconds, busy times in UTC (`Z`) or with the
//   offset of `timeZone`, as Google writes them.
// - A calendar with a series that cannot be expanded in full in the window (more than
//   10,000 instances, or a rule too costly to expand) gets `errors: [{domain: "calsync",
//   reason: "expansionIncomplete", message}]` and no busy time, beside the others.
// - Google refuses a long range with `timeRangeTooLong` at a limit it does not document;
//   clients in production query 90 days at a time, so calsync takes up to 93 days (any
//   three months) and refuses longer ranges the same way.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { renderInstant } from '../core/google/index.ts';
import { isIanaZone } from '../core/timezones.ts';
import { CalsyncError, isCalsyncError } from '../errors.ts';
import type { Calendar } from '../store/calendars.ts';
import type { Db } from '../store/db.ts';
import { tenantOf } from './auth.ts';
import { calendarOf } from './calendar-scope.ts';
import { unreadQuery } from './google-parameters.ts';
import { calendarBusy, instancesPerSeries } from '../engine/busy-time.ts';
import { instantParam } from './list-params.ts';

const maxWindowMs = 93 * 86_400_000;
const maxCalendars = 50;

interface FreeBusyBody {
  timeMin: string;
  timeMax: string;
  timeZone?: string;
  groupExpansionMax?: number;
  calendarExpansionMax?: number;
  items?: Array<{ id: string }>;
}

const body = {
  type: 'object', additionalProperties: false, required: ['timeMin', 'timeMax'],
  properties: {
    timeMin: { type: 'string' },
    timeMax: { type: 'string' },
    timeZone: { type: 'string', maxLength: 64 },
    groupExpansionMax: { type: 'integer', minimum: 1, maximum: 100 },
    calendarExpansionMax: { type: 'integer', minimum: 1, maximum: maxCalendars },
    // Ids past calendarExpansionMax cost no query, but each is a key of the answer.
    items: {
      type: 'array', maxItems: 1000,
      items: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', maxLength: 1024 } } },
    },
  },
} as const;

interface Window {
  from: number;
  to: number;
}

type Entry = { busy: Array<{ start: string; end: string }> } | { errors: Array<{ domain: string; reason: string; message?: string }>; busy: [] };

const failed = (reason: string): Entry => ({ errors: [{ domain: 'global', reason }], busy: [] });

function windowOf(q: FreeBusyBody): Window {
  const from = Date.parse(instantParam(q.timeMin, 'timeMin')!);
  const to = Date.parse(instantParam(q.timeMax, 'timeMax')!);
  if (to <= from) throw new CalsyncError('TIME_RANGE_EMPTY', 'The specified time range is empty.', { parameter: 'timeMax' });
  if (to - from > maxWindowMs) throw new CalsyncError('TIME_RANGE_TOO_LONG', 'The requested time range is too long: freeBusy answers at most 93 days at once.', { parameter: 'timeMax' });
  return { from, to };
}

/**
 * A calendar whose busy time cannot be given in full: a series with more instances in
 * the window than calsync expands, or a rule too costly to expand within the bounds of
 * expansion-budget.ts. Busy time left out would let an app book over it, so the
 * calendar gets an error instead of a short answer, beside the others' answers, in the
 * shape Google gives a calendar it could not compute (`errors` and no busy time).
 */
const incomplete = (calendarId: string): Entry => ({
  errors: [{
    domain: 'calsync', reason: 'expansionIncomplete',
    message: `a recurring series of calendar ${calendarId} has more than ${instancesPerSeries} instances in this window, or a rule too costly to expand: narrow timeMin and timeMax, or fix the rule`,
  }],
  busy: [],
});

async function entryOf(db: Db, request: FastifyRequest, id: string, window: Window, zone: string): Promise<Entry> {
  let calendar: Calendar;
  try {
    calendar = await calendarOf(db, request, id);
  } catch (error) {
    if (isCalsyncError(error, 'NOT_FOUND')) return failed('notFound');
    throw error;
  }
  const busy = await calendarBusy(db, tenantOf(request), calendar, window);
  if (busy === null) return incomplete(id);
  return { busy: busy.map((p) => ({ start: renderInstant(p.start, zone), end: renderInstant(p.end, zone) })) };
}

export function freeBusyRoutes(app: FastifyInstance, deps: { db: Db }): void {
  app.post<{ Body: FreeBusyBody }>('/calendar/v3/freeBusy', { schema: { querystring: unreadQuery, body } }, async (request) => {
    const q = request.body;
    const window = windowOf(q);
    const zone = q.timeZone ?? 'UTC';
    if (!isIanaZone(zone)) {
      throw new CalsyncError('INVALID_REQUEST', `timeZone ${JSON.stringify(zone)} is not an IANA time zone name such as Europe/Berlin`, { parameter: 'timeZone' });
    }
    const expansionMax = q.calendarExpansionMax ?? maxCalendars;
    const ids = [...new Set((q.items ?? []).map((item) => item.id))];
    const entries: Array<[string, Entry]> = [];
    for (const [index, id] of ids.entries()) {
      entries.push([id, index < expansionMax ? await entryOf(deps.db, request, id, window, zone) : failed('tooManyCalendarsRequested')]);
    }
    return {
      kind: 'calendar#freeBusy',
      timeMin: new Date(window.from).toISOString(),
      timeMax: new Date(window.to).toISOString(),
      // fromEntries: an id such as "__proto__" stays a key of the answer.
      calendars: Object.fromEntries(entries),
    };
  });
}
