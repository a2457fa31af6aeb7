// Event rows as Google Calendar v3 Event resources and back: the app API's edge of the
// Google mapping in src/core/google, with the ids, etags and times the store keeps.
import type { Instance } from '../core/ical/index.ts';
import { CoreError } from '../core/errors.ts';
import type { CanonicalEvent } from '../core/model.ts';
import { EVENT_MEMBERS, eventFromGoogle, eventToGoogle, renderInstant, type GoogleEvent, type GoogleEventDateTime } from '../core/google/index.ts';
import { instanceApiId, seriesApiIdOf } from '../store/event-writes.ts';
import type { AppEvent } from '../store/app-events.ts';

export interface ResourceContext {
  calendarTimeZone: string;
}

/** The master of an exception: its start terms are those the originalStartTime is in. */
export type MasterTerms = Pick<CanonicalEvent, 'uid' | 'allDay' | 'start' | 'end'>;

/** A deleted event as Google lists it: its id and status only (PROVIDER-FACTS). */
function cancelled(row: AppEvent): GoogleEvent {
  const base: GoogleEvent = { kind: 'calendar#event', etag: row.etag, id: row.apiId, status: 'cancelled', updated: row.updated.toISOString() };
  return row.kind === 'override' ? { ...base, recurringEventId: seriesApiIdOf(row.apiId) } : base;
}

/** The resource of a stored row: a single event, a series master or an exception. */
export function resourceOf(row: AppEvent, master: MasterTerms | null, context: ResourceContext): GoogleEvent {
  if (row.deleted) return cancelled(row);
  return eventToGoogle(row.event, {
    id: row.apiId, etag: row.etag, created: row.created.toISOString(), updated: row.updated.toISOString(),
    calendarTimeZone: context.calendarTimeZone,
    ...(row.kind === 'override' ? { recurringEventId: seriesApiIdOf(row.apiId), master: master ?? undefined } : {}),
  });
}

/** One instance of a series (singleEvents=true, events.instances) as Google shows it. */
export function instanceResource(master: AppEvent, instance: Instance, overrides: Map<string, AppEvent>, context: ResourceContext): GoogleEvent {
  const seriesApiId = seriesApiIdOf(master.apiId);
  if (instance.recurrenceId === null) return resourceOf(master, null, context);
  const override = overrides.get(instance.recurrenceId);
  if (override) return resourceOf(override, master.event, context);
  // An instance the master generates: the master's content at this instance's times.
  const { recurrence: _, ...withoutRule } = master.event;
  const event: CanonicalEvent = {
    ...withoutRule, recurrence: null, recurrenceId: instance.recurrenceId,
    start: { ...master.event.start, local: shiftLocal(master.event, instance.recurrenceId) },
    end: { ...master.event.end, local: shiftLocal(master.event, instance.recurrenceId, true) },
  };
  return eventToGoogle(event, {
    id: instanceIdOf(master, instance, overrides, context), etag: master.etag, created: master.created.toISOString(),
    updated: master.updated.toISOString(), calendarTimeZone: context.calendarTimeZone, recurringEventId: seriesApiId, master: master.event,
  });
}

/**
 * The id instanceResource gives an instance, without rendering it: a listing orders and
 * pages thousands of instances by id and renders only the page's.
 */
export function instanceIdOf(master: AppEvent, instance: Instance, overrides: Map<string, AppEvent>, context: ResourceContext): string {
  if (instance.recurrenceId === null) return master.apiId;
  const override = overrides.get(instance.recurrenceId);
  if (override) return override.apiId;
  const start = { ...master.event.start, local: shiftLocal(master.event, instance.recurrenceId) };
  return instanceApiId(seriesApiIdOf(master.apiId), { recurrenceId: instance.recurrenceId, start }, master.event, context.calendarTimeZone);
}

/** An instance's start (or end) in the master's terms: its recurrence id, plus the duration for the end. */
function shiftLocal(master: CanonicalEvent, recurrenceId: string, end = false): string {
  if (!end) return recurrenceId;
  const durationMs = Date.parse(`${asDateTime(master.end.local)}Z`) - Date.parse(`${asDateTime(master.start.local)}Z`);
  const shifted = new Date(Date.parse(`${asDateTime(recurrenceId)}Z`) + durationMs).toISOString();
  return master.allDay ? shifted.slice(0, 10) : shifted.slice(0, 19);
}

function asDateTime(local: string): string {
  return local.length === 10 ? `${local}T00:00:00` : local;
}

const TIMES = ['start', 'end', 'originalStartTime'] as const;

/**
 * A resource as answered for the request's `timeZone`: every `dateTime` with an offset
 * written in that zone's wall clock and offset, the same instant (the calendar's zone
 * otherwise, times.ts). Dates, `timeZone` members and a wall clock a DST gap skips
 * (written without an offset) stay as they are.
 */
export function inResponseZone(resource: GoogleEvent, zone: string | null): GoogleEvent {
  if (zone === null) return resource;
  const written = (time: GoogleEventDateTime): GoogleEventDateTime =>
    time.dateTime !== undefined && time.dateTime !== null && /(Z|[+-]\d{2}:\d{2})$/.test(time.dateTime)
      ? { ...time, dateTime: renderInstant(Date.parse(time.dateTime), zone) } : time;
  return Object.fromEntries(Object.entries(resource).map(([key, value]) => [
    key, (TIMES as readonly string[]).includes(key) && value ? written(value as GoogleEventDateTime) : value,
  ])) as GoogleEvent;
}

// The members of Google's Event resource (events reference). The Google mapping keeps
// members it does not know, as a provider's items must lose nothing; an app's body with a
// member Google does not have is a mistake, refused so it cannot go unnoticed.
const EVENT_MEMBER_SET = new Set<string>(EVENT_MEMBERS);

/** A request body as a canonical event (a CoreError, with the field's path, when it is not one). */
export function eventOfBody(body: Record<string, unknown>, context: ResourceContext & { master?: MasterTerms | undefined }): CanonicalEvent {
  const unknown = Object.keys(body).find((key) => !EVENT_MEMBER_SET.has(key));
  if (unknown !== undefined) throw new CoreError('INVALID_EVENT', `unknown field ${JSON.stringify(unknown)}: Google's Event resource has no such member`, unknown);
  return eventFromGoogle(body, { calendarTimeZone: context.calendarTimeZone, master: context.master });
}
