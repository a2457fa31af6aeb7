// What calsync wrote that Graph replaces with its own, kept beside the stamp in
// calsync's property set (stamp.ts) so a series reads back as it was written:
// - the uid: `iCalUId` is read-only and Graph makes its own, so the series' uid is kept
//   and read in its place (else every create would come back as a remote edit of the
//   uid);
// - "the calendar's default reminder" (`reminders: null`): nothing is written and
//   Outlook turns its own reminder on; the values it chose are kept, and while the
//   event still has exactly those, it reads as the default again. An edit of the
//   reminder by anyone changes the values, and then they are read as they are.
import type { EventSeries } from '../../core/model.ts';
import { CALSYNC_PROPERTY_SET, STAMP_EXPAND } from './stamp.ts';
import type { GraphEvent, GraphSingleValueProperty } from './types.ts';

export const UID_PROPERTY = `String {${CALSYNC_PROPERTY_SET}} Name calsyncUid`;
export const DEFAULT_REMINDER_PROPERTY = `String {${CALSYNC_PROPERTY_SET}} Name calsyncDefaultReminder`;

const fold = (id: string): string => id.toLowerCase().replace(/\s+/g, ' ').trim();
const KEPT = new Set([fold(UID_PROPERTY), fold(DEFAULT_REMINDER_PROPERTY)]);

/** `$expand` of the stamp and the kept values. */
export const KEPT_EXPAND = STAMP_EXPAND.replace(/\)$/, ` or id eq '${UID_PROPERTY}' or id eq '${DEFAULT_REMINDER_PROPERTY}')`);

export interface KeptValues {
  uid: string | null;
  /** `on:<minutes>` or `off:<minutes>`, as Graph set the reminder when calsync wrote none. */
  defaultReminder: string | null;
}

/** The event without the kept properties (they are calsync's, not the event's content), and their values. */
export function takeKept(event: GraphEvent): { event: GraphEvent; kept: KeptValues } {
  const list = Array.isArray(event.singleValueExtendedProperties) ? event.singleValueExtendedProperties : null;
  const kept: KeptValues = { uid: null, defaultReminder: null };
  if (list === null) return { event, kept };
  const others: GraphSingleValueProperty[] = [];
  for (const p of list) {
    const id = typeof p?.id === 'string' ? fold(p.id) : '';
    if (!KEPT.has(id) || typeof p.value !== 'string') others.push(p);
    else if (id === fold(UID_PROPERTY)) kept.uid = p.value;
    else kept.defaultReminder = p.value;
  }
  return { event: { ...event, singleValueExtendedProperties: others }, kept };
}

export const reminderValue = (event: GraphEvent): string | null =>
  typeof event.isReminderOn === 'boolean' && typeof event.reminderMinutesBeforeStart === 'number'
    ? `${event.isReminderOn ? 'on' : 'off'}:${event.reminderMinutesBeforeStart}` : null;

/** The series as calsync wrote it where Graph put its own values in: the kept uid, default reminders. */
export function applyKept(series: EventSeries, kept: KeptValues, master: GraphEvent): EventSeries {
  const uid = kept.uid ?? series.uid;
  const masterDefault = kept.defaultReminder !== null && reminderValue(master) === kept.defaultReminder;
  return {
    ...series,
    uid,
    master: series.master === null ? null : { ...series.master, uid, ...(masterDefault ? { reminders: null } : {}) },
    // An exception inherits its master's reminder unless it was changed on its own.
    overrides: series.overrides.map((o) => ({ ...o, uid, ...(masterDefault && sameReminder(o, series.master) ? { reminders: null } : {}) })),
  };
}

const sameReminder = (a: { reminders: unknown }, b: { reminders: unknown } | null): boolean => b !== null && JSON.stringify(a.reminders) === JSON.stringify(b.reminders);

/** The kept values written with a master: the uid, and an emptied reminder marker (set after the write when the reminder is the default). */
export function keptProperties(uid: string): GraphSingleValueProperty[] {
  return [{ id: UID_PROPERTY, value: uid }, { id: DEFAULT_REMINDER_PROPERTY, value: '' }];
}

export const defaultReminderProperty = (value: string): GraphSingleValueProperty => ({ id: DEFAULT_REMINDER_PROPERTY, value });

