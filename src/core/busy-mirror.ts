// Busy mirrors: the block a rule makes of a source series, in the target calendar. A
// block carries the source's time, recurrence and busy state, and of the rest only what
// the rule allows: its title is the rule's (`{summary}` brings in the source's), and
// location, description and attendees stay out unless the rule asks for them. Instances
// that leave the time free (cancelled, transparent, declined by the rule's owner) are
// excluded from the block's recurrence; a tentative source makes a tentative block.
//
// A block's id and UID derive from (rule, source series): a retried or concurrent refresh
// writes the same block, and the UID (`calsync-mirror-<digest>`) says "a mirror calsync
// made" wherever the block travels, so no binding ever imports it as a new event (the
// guard busy copies have, src/core/projection.ts).
import { createHash } from 'node:crypto';
import { busyFor } from './busy.ts';
import type { CanonicalEvent, EventSeries } from './model.ts';
import { nobodysMeeting } from './projection.ts';

/** What a rule lets a block carry. */
export interface MirrorRule {
  id: string;
  /** The block's title; `{summary}` stands for the source event's. */
  title: string;
  includeLocation: boolean;
  includeDescription: boolean;
  includeAttendees: boolean;
  /** A tentative source makes a tentative block (otherwise a confirmed one). */
  markTentative: boolean;
  /** Whose answers count: a source event this attendee declined is left out. */
  ownerEmail: string | null;
}

const blockUidPrefix = 'calsync-mirror-';

function digest(ruleId: string, sourceSeriesId: string): string {
  return createHash('sha256').update(`${ruleId.toLowerCase()}:${sourceSeriesId.toLowerCase()}`).digest('hex');
}

/** The series id of the block `ruleId` makes of the source series: a UUID (version 8, RFC 9562) from their digest. */
export function mirrorBlockId(ruleId: string, sourceSeriesId: string): string {
  const hex = digest(ruleId, sourceSeriesId);
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The UID of that block: the same for every refresh, telling nothing of the source. */
export function mirrorBlockUid(ruleId: string, sourceSeriesId: string): string {
  return `${blockUidPrefix}${digest(ruleId, sourceSeriesId).slice(0, 32)}`;
}

/** Whether a UID is a mirror block's: such an item is calsync's mirror, never a meeting to import. */
export function isMirrorBlockUid(uid: string): boolean {
  return uid.trim().startsWith(blockUidPrefix);
}

/** The block's title: the rule's, with `{summary}` replaced by the source's title (trimmed; "Busy" when that leaves nothing). */
export function blockTitle(template: string, summary: string): string {
  const title = template.split('{summary}').join(summary).trim();
  return title === '' ? 'Busy' : title;
}

function blockDescription(event: CanonicalEvent, rule: MirrorRule): string {
  const parts: string[] = [];
  if (rule.includeDescription && event.description.trim() !== '') parts.push(event.description);
  // Attendees go into the text, never onto the block: a provider sends an event's
  // attendees invitations when it is created (Microsoft Graph, "Create event":
  // learn.microsoft.com/en-us/graph/api/user-post-events, "When an event is sent, the
  // server sends invitations to all the attendees"), and a block is nobody's meeting.
  if (rule.includeAttendees && event.attendees.length > 0) {
    parts.push(`Attendees: ${event.attendees.map((a) => (a.name ? `${a.name} <${a.email}>` : a.email)).join(', ')}`);
  }
  return parts.join('\n\n');
}

function block(event: CanonicalEvent, uid: string, rule: MirrorRule, excluded: string[]): CanonicalEvent {
  const recurrence = event.recurrence && {
    rrule: [...event.recurrence.rrule],
    rdate: [...event.recurrence.rdate],
    exdate: [...new Set([...event.recurrence.exdate, ...excluded])].sort(),
  };
  return {
    uid,
    recurrenceId: event.recurrenceId,
    sequence: event.sequence,
    status: event.status === 'tentative' && rule.markTentative ? 'tentative' : 'confirmed',
    summary: blockTitle(rule.title, event.summary),
    description: blockDescription(event, rule),
    descriptionHtml: null,
    location: rule.includeLocation ? event.location : '',
    allDay: event.allDay,
    start: { ...event.start },
    end: { ...event.end },
    recurrence,
    transparency: 'opaque',
    ...nobodysMeeting(),
  };
}

/**
 * The block rule `rule` makes of the source series `sourceSeriesId`, or null when it
 * makes none: the series leaves the time free (its single event or master is cancelled,
 * transparent or declined), or only overrides of it are known. An override that leaves
 * its instance free becomes an exclusion of the block's recurrence.
 */
export function mirrorBlock(source: EventSeries, sourceSeriesId: string, rule: MirrorRule): EventSeries | null {
  const master = source.master;
  const owner = rule.ownerEmail?.toLowerCase() ?? null;
  if (master === null || !busyFor(master, owner)) return null;
  const uid = mirrorBlockUid(rule.id, sourceSeriesId);
  const busyOverrides = master.recurrence ? source.overrides.filter((o) => busyFor(o, owner)) : [];
  const excluded = master.recurrence ? source.overrides.filter((o) => !busyFor(o, owner)).map((o) => o.recurrenceId!) : [];
  return {
    uid,
    master: block(master, uid, rule, excluded),
    overrides: busyOverrides.map((o) => block(o, uid, rule, [])),
  };
}
