// Events as Graph answers them (resources/event): members in the reference's order, times
// as dateTimeTimeZone in the zone asked for (`Prefer: outlook.timezone`, else UTC on
// reads; writes answer in the event's own zones), `@odata.etag` W/"changeKey".
// Occurrences in a calendarView delta are skeletal: id, type, seriesMasterId, start and
// end only (reported on the Graph issue trackers; the master carries the rest).
import type { MailboxStore, Moment } from './store.ts';
import type { ViewItem } from './view.ts';
import { graphDateTime, isoUtc, isoUtc7, type Zone } from './zones.ts';

export interface RenderOptions {
  /** The zone of start and end; null: each in the zone it was given in. */
  zone: Zone | null;
  skeletal?: boolean;
  /** singleValueExtendedProperties to include: ids (case-insensitive), or 'all'. */
  extended?: string[] | 'all' | null;
  /** $select: only these members (plus id and @odata.etag). */
  select?: string[] | null;
}

function moment(m: Moment, zone: Zone | null, allDay: boolean): { dateTime: string; timeZone: string } {
  const z = zone ?? m.zone;
  if (!allDay) return graphDateTime(m.ms, z);
  // All-day values are dates: midnight in whichever zone the answer is written in.
  const local = graphDateTime(m.ms, m.zone).dateTime.slice(0, 10);
  return { dateTime: `${local}T00:00:00.0000000`, timeZone: z.name };
}

export function renderItem(store: MailboxStore, item: ViewItem, options: RenderOptions): Record<string, unknown> {
  const source = item.source;
  const allDay = source.fields.isAllDay === true;
  const start = moment(item.start, options.zone, allDay);
  const end = moment(item.end, options.zone, allDay);
  if (options.skeletal && item.type === 'occurrence') {
    return { '@odata.type': '#microsoft.graph.event', id: item.id, type: 'occurrence', seriesMasterId: item.seriesMasterId, start, end };
  }
  const f = source.fields;
  const content = typeof (f.body as { content?: unknown })?.content === 'string' ? (f.body as { content: string }).content : '';
  const preview = content.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 255);
  const out: Record<string, unknown> = {
    '@odata.etag': `W/"${source.changeKey}"`,
    id: item.id,
    createdDateTime: isoUtc7(source.createdMs),
    lastModifiedDateTime: isoUtc7(source.modifiedMs),
    changeKey: source.changeKey,
    categories: f.categories ?? [],
    ...(source.transactionId !== null ? { transactionId: source.transactionId } : {}),
    originalStartTimeZone: source.start.zone.name,
    originalEndTimeZone: source.end.zone.name,
    iCalUId: source.iCalUId,
    reminderMinutesBeforeStart: f.reminderMinutesBeforeStart ?? 15,
    isReminderOn: f.isReminderOn ?? true,
    hasAttachments: false,
    subject: f.subject ?? '',
    bodyPreview: preview,
    importance: f.importance ?? 'normal',
    sensitivity: f.sensitivity ?? 'normal',
    isAllDay: allDay,
    isCancelled: false,
    isOrganizer: true,
    responseRequested: f.responseRequested ?? true,
    seriesMasterId: item.seriesMasterId,
    showAs: f.showAs ?? 'busy',
    type: item.type,
    webLink: `https://outlook.office365.com/owa/?itemid=${encodeURIComponent(item.id)}&exvsurl=1&path=/calendar/item`,
    onlineMeetingUrl: null,
    isOnlineMeeting: f.isOnlineMeeting === true,
    onlineMeetingProvider: f.isOnlineMeeting === true ? (f.onlineMeetingProvider ?? 'teamsForBusiness') : 'unknown',
    allowNewTimeProposals: f.allowNewTimeProposals ?? true,
    isDraft: false,
    hideAttendees: f.hideAttendees ?? false,
    responseStatus: { response: 'organizer', time: '0001-01-01T00:00:00Z' },
    body: f.body ?? { contentType: 'html', content: '' },
    start,
    end,
    location: f.location ?? { displayName: '', locationType: 'default', uniqueIdType: 'unknown', address: {}, coordinates: {} },
    locations: f.locations ?? [],
    recurrence: item.type === 'seriesMaster' ? source.recurrence : null,
    attendees: f.attendees ?? [],
    organizer: { emailAddress: { name: store.user.displayName, address: store.user.mail } },
    onlineMeeting: f.isOnlineMeeting === true ? { joinUrl: `https://teams.microsoft.com/l/meetup-join/19%3ameeting_${source.iCalUId.slice(-24)}%40thread.v2/0` } : null,
  };
  if (item.originalStartMs !== null) out.originalStart = isoUtc(item.originalStartMs);
  if (options.extended) {
    const wanted = options.extended;
    out.singleValueExtendedProperties = source.extended
      .filter((p) => wanted === 'all' || wanted.some((id) => id.toLowerCase() === p.id.toLowerCase()))
      .map((p) => ({ ...p }));
  }
  if (options.select && options.select.length > 0) {
    const keep = new Set(['@odata.etag', 'id', ...options.select, ...(options.extended ? ['singleValueExtendedProperties'] : [])]);
    for (const key of Object.keys(out)) if (!keep.has(key)) delete out[key];
  }
  return out;
}
