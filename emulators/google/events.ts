// events.get, insert, update, patch, delete and import on the store, and the instances
// of recurring events. Instances a master generates have ids `<master id>_<original
// start>` (src/core/google/ids.ts); writing one makes an exception, a separate resource
// with recurringEventId and originalStartTime, and deleting one makes a cancelled
// exception, as Google does.
import { isValidEventId, parseInstanceId } from '../../src/core/google/ids.ts';
import { googleErrors } from './errors.ts';
import { expand, type Occurrence, type Window } from './recurrence.ts';
import { bodyObject, checkEvent, htmlLink, mergePatch, nextSequence, withDefaults, type Body } from './resources.ts';
import { generatedId, type CalendarRecord, type EmulatorStore, type EventRecord, type StoredEvent, type WriteRecord } from './store.ts';
import { isoMillis, readMoment } from './times.ts';

export interface WriteContext {
  ifMatch: string | null;
  sendUpdates: string | null;
  method?: WriteRecord['method'];
}

/**
 * What events.import does with an iCalUID the calendar already has. Undocumented, and
 * reports differ: "the event is replaced if already existing" (insanum/gcalcli#599,
 * 2021) and "blows up saying events with the same UID are duplicates" (insanum/gcalcli#784,
 * 2024). `replace` (default) updates that event in place; `conflict` answers 409 duplicate.
 */
export type ImportExisting = 'replace' | 'conflict';

/** A stored event, or an instance a master generates that has no exception (yet). */
export type Found =
  | { kind: 'stored'; record: EventRecord }
  | { kind: 'instance'; master: EventRecord; occurrence: Occurrence; resource: StoredEvent };

/**
 * If-Match (guides/version-resources): "If the entry (and its etag) has not changed
 * since the last retrieval, the modification succeeds … Otherwise, you will get a 412".
 */
export function checkIfMatch(header: string | null, etag: string | undefined): void {
  if (header === null) return;
  const tags = header.split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (tags.includes('*') || (etag !== undefined && tags.includes(etag))) return;
  throw googleErrors.conditionNotMet();
}

export function instanceResource(master: StoredEvent, calendarId: string, o: Occurrence): StoredEvent {
  const { recurrence: _, ...rest } = structuredClone(master);
  return {
    ...rest, id: o.id, htmlLink: htmlLink(o.id, calendarId), recurringEventId: master.id,
    originalStartTime: o.originalStartTime, start: o.start, end: o.end,
  };
}

export class EventService {
  constructor(
    private readonly store: EmulatorStore,
    private readonly importExisting: () => ImportExisting,
  ) {}

  /** The event or instance with this id, or null. */
  find(calendar: CalendarRecord, eventId: string): Found | null {
    const record = this.store.get(calendar.id, eventId);
    if (record) return { kind: 'stored', record };
    const parsed = parseInstanceId(eventId);
    if (parsed === null) return null;
    const master = this.store.get(calendar.id, parsed.masterId);
    if (!master || master.resource.recurrence === undefined || master.resource.status === 'cancelled') return null;
    const at = readMoment(parsed.originalStartTime, 'originalStartTime', calendar.timeZone).ms;
    const occurrence = expand(master.resource, calendar.timeZone, { from: at, to: at + 1 }, 10).occurrences
      .find((o) => o.id.toLowerCase() === eventId.toLowerCase());
    if (!occurrence) return null;
    const exception = this.store.get(calendar.id, occurrence.id);
    if (exception) return { kind: 'stored', record: exception };
    return { kind: 'instance', master, occurrence, resource: instanceResource(master.resource, calendar.id, occurrence) };
  }

  /** events.get: "The get method always returns them" (cancelled events included). */
  get(calendar: CalendarRecord, eventId: string): StoredEvent {
    const found = this.find(calendar, eventId);
    if (!found) throw googleErrors.notFound();
    return found.kind === 'stored' ? found.record.resource : found.resource;
  }

  insert(calendar: CalendarRecord, raw: unknown, ctx: WriteContext): StoredEvent {
    const body = bodyObject(raw);
    const id = this.newId(calendar, body.id);
    const event = checkEvent(body, calendar, { exception: false, keepOrganizer: false });
    delete event.recurringEventId;
    delete event.originalStartTime;
    event.id = id;
    const saved = this.commit(calendar, null, event, body.sequence);
    this.store.recordWrite({ method: ctx.method ?? 'insert', calendarId: calendar.id, eventId: id, sendUpdates: ctx.sendUpdates, ifMatch: ctx.ifMatch });
    return saved;
  }

  update(calendar: CalendarRecord, eventId: string, raw: unknown, ctx: WriteContext): StoredEvent {
    return this.write(calendar, eventId, ctx, 'update', (current) => bodyObject(raw), raw);
  }

  patch(calendar: CalendarRecord, eventId: string, raw: unknown, ctx: WriteContext): StoredEvent {
    return this.write(calendar, eventId, ctx, 'patch', (current) => mergePatch(current, bodyObject(raw)), raw);
  }

  delete(calendar: CalendarRecord, eventId: string, ctx: WriteContext): void {
    const found = this.find(calendar, eventId);
    if (!found) throw googleErrors.notFound();
    const current = found.kind === 'stored' ? found.record.resource : found.resource;
    // errors guide, 410: "This error can also occur if a request attempts to delete an
    // event that has already been deleted."
    if (current.status === 'cancelled') throw googleErrors.deleted();
    checkIfMatch(ctx.ifMatch, current.etag);
    const cancelled = { ...structuredClone(current), status: 'cancelled' } as StoredEvent;
    cancelled.sequence = nextSequence(current, cancelled, undefined);
    if (found.kind === 'instance') cancelled.created = isoMillis(this.store.now());
    this.store.save(calendar.id, cancelled);
    if (current.recurrence !== undefined) {
      // Deleting a recurring event deletes its exceptions with it.
      for (const record of [...this.store.eventsOf(calendar.id).values()]) {
        const e = record.resource;
        if (e.recurringEventId === current.id && e.status !== 'cancelled') this.store.save(calendar.id, { ...structuredClone(e), status: 'cancelled' });
      }
    }
    this.store.recordWrite({ method: ctx.method ?? 'delete', calendarId: calendar.id, eventId: cancelled.id!, sendUpdates: ctx.sendUpdates, ifMatch: ctx.ifMatch });
  }

  /**
   * events.import: "add a private copy of an existing event to a calendar"; the iCalUID
   * "must be supplied when importing events". Organizer and attendees are kept as given.
   */
  import(calendar: CalendarRecord, raw: unknown, ctx: WriteContext): StoredEvent {
    const body = bodyObject(raw);
    if (typeof body.iCalUID !== 'string' || body.iCalUID === '') throw googleErrors.required('Missing iCalUID.');
    const original = body.originalStartTime === undefined ? null : readMoment(body.originalStartTime as StoredEvent['originalStartTime'], 'originalStartTime', calendar.timeZone).ms;
    const existing = [...this.store.eventsOf(calendar.id).values()].find((r) => {
      const e = r.resource;
      if (e.iCalUID !== body.iCalUID) return false;
      const at = e.originalStartTime === undefined ? null : readMoment(e.originalStartTime, 'originalStartTime', calendar.timeZone).ms;
      return at === original;
    });
    if (existing && this.importExisting() === 'conflict') throw googleErrors.duplicate();
    if (existing) return this.write(calendar, existing.resource.id!, { ...ctx, method: 'import' }, 'update', () => body, body, true);
    if (original !== null) {
      const master = [...this.store.eventsOf(calendar.id).values()].find((r) => r.resource.iCalUID === body.iCalUID && r.resource.recurrence !== undefined);
      if (!master) throw googleErrors.notFound();
      const occurrence = expand(master.resource, calendar.timeZone, { from: original, to: original + 1 }, 10).occurrences
        .find((o) => o.startMs === original);
      if (!occurrence) throw googleErrors.notFound();
      return this.write(calendar, occurrence.id, { ...ctx, method: 'import' }, 'update', () => body, body, true);
    }
    const id = this.newId(calendar, body.id);
    const event = checkEvent(body, calendar, { exception: false, keepOrganizer: true });
    delete event.recurringEventId;
    event.id = id;
    const saved = this.commit(calendar, null, event, body.sequence, true);
    this.store.recordWrite({ method: 'import', calendarId: calendar.id, eventId: id, sendUpdates: ctx.sendUpdates, ifMatch: ctx.ifMatch });
    return saved;
  }

  /**
   * The instances of a master in a window, exceptions in place of the instances they
   * replace (cancelled ones only when asked for), at most `limit`.
   */
  instances(calendar: CalendarRecord, master: EventRecord, window: Window, limit: number, showDeleted: boolean): StoredEvent[] {
    const out: StoredEvent[] = [];
    for (const o of expand(master.resource, calendar.timeZone, window, limit).occurrences) {
      const exception = this.store.get(calendar.id, o.id);
      if (exception) {
        if (exception.resource.status !== 'cancelled' || showDeleted) out.push(exception.resource);
      } else {
        out.push(instanceResource(master.resource, calendar.id, o));
      }
    }
    return out;
  }

  private newId(calendar: CalendarRecord, id: unknown): string {
    if (id === undefined || id === null) return generatedId();
    // events reference, `id`: "characters allowed in the ID are those used in base32hex
    // encoding, i.e. lowercase letters a-v and digits 0-9 … the length of the ID must be
    // between 5 and 1024 characters"; "the ID must be unique per calendar", deleted
    // events included (errors guide, 409 duplicate: "An instance with the given ID
    // already exists in the storage").
    if (typeof id !== 'string' || !isValidEventId(id)) throw googleErrors.invalid('Invalid resource id value.');
    if (this.store.get(calendar.id, id)) throw googleErrors.duplicate();
    return id;
  }

  private write(
    calendar: CalendarRecord, eventId: string, ctx: WriteContext, method: 'update' | 'patch',
    next: (current: Body) => Body, raw: unknown, keepOrganizer = false,
  ): StoredEvent {
    const found = this.find(calendar, eventId);
    if (!found) throw googleErrors.notFound();
    const current = found.kind === 'stored' ? found.record.resource : found.resource;
    checkIfMatch(ctx.ifMatch, current.etag);
    const exception = current.recurringEventId !== undefined;
    const candidate = next(current as Body);
    const event = checkEvent(candidate, calendar, { exception, keepOrganizer });
    event.id = current.id!;
    if (exception) {
      event.recurringEventId = current.recurringEventId;
      event.originalStartTime = current.originalStartTime;
    } else {
      delete event.recurringEventId;
      delete event.originalStartTime;
    }
    if (found.kind === 'instance') current.created = isoMillis(this.store.now());
    const saved = this.commit(calendar, current, event, bodyObject(raw).sequence, keepOrganizer);
    this.store.recordWrite({ method: ctx.method ?? method, calendarId: calendar.id, eventId: saved.id!, sendUpdates: ctx.sendUpdates, ifMatch: ctx.ifMatch });
    return saved;
  }

  /** Fill in what the server owns and store the new version. */
  private commit(calendar: CalendarRecord, previous: StoredEvent | null, event: StoredEvent, sequence: unknown, keepOrganizer = false): StoredEvent {
    const owner = calendar.primary ? { email: this.store.account, self: true } : { email: calendar.id, displayName: calendar.summary, self: true };
    event.kind = 'calendar#event';
    event.htmlLink = htmlLink(event.id!, calendar.id);
    event.created = previous?.created ?? isoMillis(this.store.now());
    if (!keepOrganizer || event.creator === undefined) event.creator = (previous?.creator as StoredEvent['creator']) ?? { email: this.store.account, self: true };
    if (!keepOrganizer || event.organizer === undefined) event.organizer = (previous?.organizer as StoredEvent['organizer']) ?? owner;
    event.iCalUID = previous?.iCalUID ?? event.iCalUID ?? `${event.id}@google.com`;
    if (previous === null) {
      if (typeof sequence === 'number') event.sequence = sequence;
      else event.sequence = 0;
    } else {
      event.sequence = nextSequence(previous, withDefaults(event), sequence);
    }
    return this.store.save(calendar.id, withDefaults(event)).resource;
  }
}
