// Creating, updating and deleting events (user-post-events, event-update, event-delete):
// - unknown members are 400 RequestBodyRead, as OData answers them; read-only members a
//   client sends back (id, changeKey, type…) are ignored;
// - start and end are dateTimeTimeZone with a Windows or IANA zone; isAllDay needs both at
//   midnight and a whole number of days ("If true, … start and end time must be set to
//   midnight and be in the same time zone");
// - transactionId: "A custom identifier specified by a client app for the server to avoid
//   redundant POST operations in case of client retries to create the same event … After
//   you set transactionId when creating an event, you cannot change transactionId in a
//   subsequent update." A second POST with a known transactionId answers the event the
//   first made (201, nothing new), or 409 when `transactionIdReplay` is 'conflict';
// - If-Match with a stale etag is 412 ErrorIrresolvableConflict and changes nothing;
// - updating an occurrence makes an exception under the occurrence's id; deleting an
//   occurrence cancels it on its master; changing a master's start, end or recurrence
//   drops its exceptions and cancellations (Outlook rebuilds the series).
import { randomBytes } from 'node:crypto';
import { graphErrors, GraphError } from './errors.ts';
import { checkRecurrence } from './recurrence.ts';
import { newChangeKey, newItemId, type CalendarRecord, type ExtendedProperty, type MailboxStore, type Moment, type StoredEvent } from './store.ts';
import { findItem, type ViewItem } from './view.ts';
import { instantToLocal, parseDateTime, resolveZone, toInstant } from './zones.ts';

export type TransactionIdReplay = 'existing' | 'conflict';

const WRITABLE = new Set([
  'subject', 'body', 'start', 'end', 'location', 'locations', 'attendees', 'showAs', 'sensitivity', 'categories', 'isAllDay',
  'isOnlineMeeting', 'onlineMeetingProvider', 'importance', 'isReminderOn', 'reminderMinutesBeforeStart', 'recurrence',
  'transactionId', 'singleValueExtendedProperties', 'responseRequested', 'allowNewTimeProposals', 'hideAttendees',
]);
const IGNORED = new Set([
  '@odata.etag', '@odata.type', '@odata.context', 'id', 'createdDateTime', 'lastModifiedDateTime', 'changeKey', 'iCalUId', 'type',
  'seriesMasterId', 'organizer', 'webLink', 'bodyPreview', 'isCancelled', 'isOrganizer', 'responseStatus', 'originalStart',
  'onlineMeeting', 'onlineMeetingUrl', 'isDraft', 'hasAttachments', 'originalStartTimeZone', 'originalEndTimeZone',
]);
const ENUMS: Record<string, { type: string; values: string[] }> = {
  showAs: { type: 'microsoft.graph.freeBusyStatus', values: ['free', 'tentative', 'busy', 'oof', 'workingElsewhere', 'unknown'] },
  sensitivity: { type: 'microsoft.graph.sensitivity', values: ['normal', 'personal', 'private', 'confidential'] },
  importance: { type: 'microsoft.graph.importance', values: ['low', 'normal', 'high'] },
  onlineMeetingProvider: { type: 'microsoft.graph.onlineMeetingProviderType', values: ['unknown', 'teamsForBusiness', 'skypeForBusiness', 'skypeForConsumer'] },
};
/** "String {00020329-0000-0000-c000-000000000046} Name x", "Integer 0x8503" and the like. */
const EXTENDED_ID = /^(String|Integer|Boolean|SystemTime|Binary|Guid|Double|Currency|Short|Long|Float|CLSID)\s+(\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}\s+(Name\s+\S.*|Id\s+0x[0-9a-f]{1,4})|0x[0-9a-f]{1,4})$/i;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const convert = (value: unknown, type: string) => new GraphError(400, 'RequestBodyRead', `Cannot convert the literal '${String(value)}' to the expected type '${type}'.`);

interface Checked {
  fields: Record<string, unknown>;
  start?: Moment;
  end?: Moment;
  recurrence?: StoredEvent['recurrence'] | undefined;
  recurrenceGiven: boolean;
  extended?: ExtendedProperty[];
  transactionId?: string;
}

function readMoment(raw: unknown, path: string): Moment {
  if (!isObject(raw)) throw graphErrors.invalidRequest(`${path} must be a dateTimeTimeZone object.`);
  const zone = resolveZone(raw.timeZone ?? 'UTC');
  if (zone === null) throw graphErrors.invalidTimeZone(raw.timeZone);
  const parsed = parseDateTime(raw.dateTime);
  if (parsed === null) throw graphErrors.invalidRequest(`${path}.dateTime '${String(raw.dateTime)}' is not a valid date and time.`);
  return { ms: toInstant(parsed, zone), zone };
}

function checkBody(raw: unknown): Checked {
  if (!isObject(raw)) throw graphErrors.unreadableBody();
  const out: Checked = { fields: {}, recurrenceGiven: false };
  for (const [key, value] of Object.entries(raw)) {
    if (IGNORED.has(key) || key.startsWith('@odata.')) continue;
    if (!WRITABLE.has(key)) throw graphErrors.unknownProperty(key);
    const e = ENUMS[key];
    if (e && !(typeof value === 'string' && e.values.includes(value))) throw convert(value, e.type);
    switch (key) {
      case 'start': out.start = readMoment(value, 'start'); break;
      case 'end': out.end = readMoment(value, 'end'); break;
      case 'recurrence': out.recurrenceGiven = true; out.recurrence = value === null ? null : checkRecurrence(value, 'UTC'); break;
      case 'transactionId':
        if (typeof value !== 'string' || value === '') throw convert(value, 'Edm.String');
        out.transactionId = value;
        break;
      case 'singleValueExtendedProperties':
        if (!Array.isArray(value)) throw graphErrors.invalidRequest('singleValueExtendedProperties must be an array.');
        out.extended = value.map((p, i) => {
          if (!isObject(p) || typeof p.id !== 'string' || !EXTENDED_ID.test(p.id.trim())) throw graphErrors.invalidRequest(`singleValueExtendedProperties[${i}].id is not a valid extended property id.`);
          if (typeof p.value !== 'string') throw convert(p.value, 'Edm.String');
          return { id: p.id.trim(), value: p.value };
        });
        break;
      case 'subject':
        if (typeof value !== 'string' && value !== null) throw convert(value, 'Edm.String');
        out.fields.subject = value ?? '';
        break;
      case 'body':
        if (!isObject(value) || !['text', 'html'].includes(String(value.contentType ?? 'text').toLowerCase()) || (value.content !== undefined && typeof value.content !== 'string')) {
          throw graphErrors.invalidRequest('body must be {contentType: text|html, content}.');
        }
        out.fields.body = { contentType: String(value.contentType ?? 'text').toLowerCase(), content: value.content ?? '' };
        break;
      case 'attendees':
        if (!Array.isArray(value)) throw graphErrors.invalidRequest('attendees must be an array.');
        out.fields.attendees = value.map((a, i) => {
          const address = isObject(a) && isObject(a.emailAddress) ? a.emailAddress.address : undefined;
          if (typeof address !== 'string' || !address.includes('@')) throw graphErrors.invalidRequest(`attendees[${i}].emailAddress.address must be an email address.`);
          const type = (a as Record<string, unknown>).type ?? 'required';
          if (!['required', 'optional', 'resource'].includes(String(type))) throw convert(type, 'microsoft.graph.attendeeType');
          const name = (a as { emailAddress: { name?: unknown } }).emailAddress.name;
          return { type, status: { response: 'none', time: '0001-01-01T00:00:00Z' }, emailAddress: { name: typeof name === 'string' ? name : address, address } };
        });
        break;
      case 'categories':
        if (!Array.isArray(value) || value.some((c) => typeof c !== 'string')) throw graphErrors.invalidRequest('categories must be an array of strings.');
        out.fields.categories = value;
        break;
      case 'isAllDay': case 'isOnlineMeeting': case 'isReminderOn': case 'responseRequested': case 'allowNewTimeProposals': case 'hideAttendees':
        if (typeof value !== 'boolean') throw convert(value, 'Edm.Boolean');
        out.fields[key] = value;
        break;
      case 'reminderMinutesBeforeStart':
        if (!Number.isInteger(value)) throw convert(value, 'Edm.Int32');
        out.fields[key] = value;
        break;
      case 'location':
        if (!isObject(value)) throw graphErrors.invalidRequest('location must be an object.');
        out.fields.location = { displayName: '', locationType: 'default', uniqueIdType: 'unknown', address: {}, coordinates: {}, ...value };
        break;
      case 'locations':
        if (!Array.isArray(value)) throw graphErrors.invalidRequest('locations must be an array.');
        out.fields.locations = value;
        break;
      default:
        out.fields[key] = value;
    }
  }
  return out;
}

/** isAllDay: midnight starts and ends, a whole number of days, end after start. */
function checkTimes(start: Moment, end: Moment, allDay: boolean): void {
  if (end.ms < start.ms) throw graphErrors.invalidRequest('The end of an event must not be before its start.');
  if (!allDay) return;
  const atMidnight = (m: Moment): boolean => instantToLocal(m.ms, m.zone.iana).endsWith('T00:00:00');
  if (!atMidnight(start) || !atMidnight(end) || end.ms <= start.ms) {
    throw graphErrors.invalidRequest('Your request can\'t be completed. If the event is an all-day event, its start and end must be at midnight and its end after its start.');
  }
}

function mergeExtended(current: ExtendedProperty[], patch: ExtendedProperty[]): ExtendedProperty[] {
  const out = current.map((p) => ({ ...p }));
  for (const p of patch) {
    const i = out.findIndex((q) => q.id.toLowerCase() === p.id.toLowerCase());
    if (i >= 0) out[i] = p;
    else out.push(p);
  }
  return out;
}

export interface WriteContext {
  ifMatch: string | null;
  method: 'POST' | 'PATCH' | 'DELETE' | 'anotherClient';
}

export class EventService {
  constructor(private readonly store: MailboxStore, private readonly replay: () => TransactionIdReplay) {}

  /** Create; `replayed` says an earlier POST with the same transactionId made the event. */
  create(calendar: CalendarRecord, raw: unknown, ctx: WriteContext): { event: StoredEvent; replayed: boolean } {
    const c = checkBody(raw);
    if (c.transactionId !== undefined) {
      const existing = this.store.byTransactionId(c.transactionId);
      if (existing && !existing.deleted) {
        if (this.replay() === 'conflict') throw new GraphError(409, 'ErrorDuplicateTransactionId', 'An item with the same transaction id already exists.');
        this.store.recordWrite({ method: ctx.method, eventId: existing.id, ifMatch: null, transactionId: c.transactionId, replayed: true });
        return { event: existing, replayed: true };
      }
    }
    if (!c.start || !c.end) throw graphErrors.invalidRequest(`${!c.start ? 'start' : 'end'} is required.`);
    const allDay = c.fields.isAllDay === true;
    checkTimes(c.start, c.end, allDay);
    const recurrence = c.recurrence === undefined || c.recurrence === null ? null
      : checkRecurrence(raw && (raw as Record<string, unknown>).recurrence, c.start.zone.name);
    const now = this.store.now();
    const event: StoredEvent = {
      id: newItemId(), calendarId: calendar.id, type: recurrence ? 'seriesMaster' : 'singleInstance', seriesMasterId: null, originalStartMs: null,
      fields: c.fields, start: c.start, end: c.end, recurrence, cancelled: [], extended: c.extended ?? [],
      transactionId: c.transactionId ?? null,
      iCalUId: `040000008200E00074C5B7101A82E00800000000${randomBytes(24).toString('hex').toUpperCase()}`,
      createdMs: now, modifiedMs: now, changeKey: newChangeKey(), seq: 0, deleted: false,
    };
    this.store.save(event, 'created');
    this.store.recordWrite({ method: ctx.method, eventId: event.id, ifMatch: null, transactionId: event.transactionId, replayed: false });
    return { event, replayed: false };
  }

  private checkIfMatch(item: ViewItem, ifMatch: string | null): void {
    if (ifMatch === null || ifMatch.trim() === '*') return;
    const tags = ifMatch.split(',').map((t) => t.trim());
    if (!tags.includes(`W/"${item.source.changeKey}"`) && !tags.includes(`"${item.source.changeKey}"`)) throw graphErrors.irresolvableConflict();
  }

  /** The item an id names, or 404 ErrorItemNotFound. */
  find(id: string): ViewItem {
    const item = findItem(this.store, id);
    if (!item) throw graphErrors.itemNotFound();
    return item;
  }

  update(id: string, raw: unknown, ctx: WriteContext): ViewItem {
    const item = this.find(id);
    const c = checkBody(raw);
    this.checkIfMatch(item, ctx.ifMatch);
    if (c.transactionId !== undefined && c.transactionId !== item.source.transactionId) {
      throw graphErrors.invalidRequest('transactionId cannot be changed after the event is created.');
    }
    if (c.recurrenceGiven && item.type !== 'singleInstance' && item.type !== 'seriesMaster') {
      throw graphErrors.invalidRequest('The recurrence of an occurrence or exception cannot be set; update its series master.');
    }
    let target: StoredEvent;
    if (item.type === 'occurrence') {
      const master = item.source;
      target = {
        ...structuredClone(master), id: item.id, type: 'exception', seriesMasterId: master.id, originalStartMs: item.originalStartMs,
        start: item.start, end: item.end, recurrence: null, cancelled: [], transactionId: null, createdMs: this.store.now(),
      };
    } else {
      target = structuredClone(item.source);
    }
    const start = c.start ?? target.start;
    const end = c.end ?? target.end;
    const fields = { ...target.fields, ...c.fields };
    checkTimes(start, end, fields.isAllDay === true);
    const rebuild = target.type === 'seriesMaster' && (c.start !== undefined || c.end !== undefined || c.recurrenceGiven);
    target.fields = fields;
    target.start = start;
    target.end = end;
    if (c.extended) target.extended = mergeExtended(target.extended, c.extended);
    if (c.recurrenceGiven) {
      const rec = c.recurrence ? checkRecurrence((raw as Record<string, unknown>).recurrence, start.zone.name) : null;
      target.recurrence = rec;
      target.type = rec ? 'seriesMaster' : 'singleInstance';
    }
    if (rebuild) {
      target.cancelled = [];
      for (const e of this.store.exceptionsOf(target.id)) this.store.save({ ...e, deleted: true }, 'deleted');
    }
    this.store.save(target, item.type === 'occurrence' ? 'created' : 'updated');
    this.store.recordWrite({ method: ctx.method, eventId: target.id, ifMatch: ctx.ifMatch, transactionId: null, replayed: false });
    return this.find(target.id);
  }

  delete(id: string, ctx: WriteContext): void {
    const item = this.find(id);
    this.checkIfMatch(item, ctx.ifMatch);
    if (item.type === 'occurrence' || item.type === 'exception') {
      const masterId = item.seriesMasterId!;
      const master = structuredClone(this.store.live(masterId)!);
      master.cancelled = [...master.cancelled, item.originalStartMs!];
      if (item.type === 'exception') this.store.save({ ...item.source, deleted: true }, 'deleted');
      this.store.save(master, 'updated');
    } else {
      for (const e of this.store.exceptionsOf(item.id)) this.store.save({ ...e, deleted: true }, 'deleted');
      this.store.save({ ...item.source, deleted: true }, 'deleted');
    }
    this.store.recordWrite({ method: ctx.method, eventId: id, ifMatch: ctx.ifMatch, transactionId: null, replayed: false });
  }
}
