// The emulator's in-memory mailbox: one user, its calendars and their events. Series
// masters hold their recurrence and the original starts of cancelled occurrences;
// exceptions are stored on their own under the id of the occurrence they replace.
// Occurrences are not stored: they are computed from the master (view.ts). Deleted
// events stay as tombstones so a delta round can tell what left. Every change takes the
// next change number and a new changeKey (the event's `@odata.etag` is `W/"changeKey"`).
import { randomBytes, randomUUID } from 'node:crypto';
import { graphErrors } from './errors.ts';
import type { Recurrence } from './recurrence.ts';
import type { Zone } from './zones.ts';

export interface User {
  id: string;
  displayName: string;
  givenName: string;
  surname: string;
  mail: string;
  userPrincipalName: string;
}

export interface CalendarRecord {
  id: string;
  name: string;
  color: string;
  hexColor: string;
  isDefaultCalendar: boolean;
  changeKey: string;
}

/** A start or end: the instant, the zone it was given in, and its wall clock there. */
export interface Moment {
  ms: number;
  zone: Zone;
}

export interface ExtendedProperty {
  id: string;
  value: string;
}

export interface StoredEvent {
  id: string;
  calendarId: string;
  type: 'singleInstance' | 'seriesMaster' | 'exception';
  seriesMasterId: string | null;
  /** The start of the occurrence an exception replaces. */
  originalStartMs: number | null;
  /** Client-settable members as Graph answers them (subject, body, attendees, showAs…). */
  fields: Record<string, unknown>;
  start: Moment;
  end: Moment;
  recurrence: Recurrence | null;
  /** Series masters: original starts of cancelled occurrences. */
  cancelled: number[];
  extended: ExtendedProperty[];
  transactionId: string | null;
  iCalUId: string;
  createdMs: number;
  modifiedMs: number;
  changeKey: string;
  seq: number;
  deleted: boolean;
}

export type ChangeType = 'created' | 'updated' | 'deleted';

/** One write the emulator took, for tests that check what a connector sent. */
export interface WriteRecord {
  at: string;
  method: 'POST' | 'PATCH' | 'DELETE' | 'anotherClient';
  eventId: string;
  ifMatch: string | null;
  transactionId: string | null;
  /** A POST answered with the event an earlier POST of the same transactionId made. */
  replayed: boolean;
}

/** Graph ids are long base64 strings ("AAMkAGI2…AAA="); these look alike and are opaque. */
export function newItemId(): string {
  return `AAMkA${randomBytes(44).toString('base64').replace(/\//g, '-').replace(/\+/g, '_')}`;
}

export const newChangeKey = (): string => randomBytes(12).toString('base64');

export class MailboxStore {
  readonly calendars = new Map<string, CalendarRecord>();
  readonly events = new Map<string, StoredEvent>();
  private readonly exceptions = new Map<string, Set<string>>();
  readonly writes: WriteRecord[] = [];
  seq = 0;

  constructor(
    readonly user: User,
    readonly tenantId: string,
    readonly now: () => number,
    private readonly onChange: (event: StoredEvent, change: ChangeType) => void,
  ) {}

  get defaultCalendar(): CalendarRecord {
    return [...this.calendars.values()].find((c) => c.isDefaultCalendar)!;
  }

  /** A calendar by id; unknown is 404 ErrorItemNotFound. */
  calendar(id: string): CalendarRecord {
    const calendar = this.calendars.get(id);
    if (!calendar) throw graphErrors.itemNotFound();
    return calendar;
  }

  addCalendar(input: { id?: string; name?: string; isDefaultCalendar?: boolean }): CalendarRecord {
    const id = input.id ?? newItemId();
    if (this.calendars.has(id)) throw graphErrors.badRequest(`A calendar with id ${id} exists.`);
    const calendar: CalendarRecord = {
      id, name: input.name ?? 'Calendar', color: 'auto', hexColor: '', isDefaultCalendar: input.isDefaultCalendar ?? false, changeKey: newChangeKey(),
    };
    this.calendars.set(id, calendar);
    return calendar;
  }

  /** A live (not deleted) stored event. */
  live(id: string): StoredEvent | undefined {
    const event = this.events.get(id);
    return event && !event.deleted ? event : undefined;
  }

  exceptionsOf(masterId: string): StoredEvent[] {
    return [...(this.exceptions.get(masterId) ?? [])].map((id) => this.events.get(id)!).filter((e) => !e.deleted);
  }

  byTransactionId(transactionId: string): StoredEvent | undefined {
    return [...this.events.values()].find((e) => e.transactionId === transactionId);
  }

  /** Store a new version: the next change number, a new changeKey, lastModified now. */
  save(event: StoredEvent, change: ChangeType): StoredEvent {
    event.seq = ++this.seq;
    event.changeKey = newChangeKey();
    event.modifiedMs = this.now();
    this.events.set(event.id, event);
    if (event.seriesMasterId !== null) {
      const set = this.exceptions.get(event.seriesMasterId) ?? new Set<string>();
      set.add(event.id);
      this.exceptions.set(event.seriesMasterId, set);
    }
    this.onChange(event, change);
    return event;
  }

  recordWrite(write: Omit<WriteRecord, 'at'>): void {
    this.writes.push({ at: new Date(this.now()).toISOString(), ...write });
  }
}

export function defaultUser(mail: string): User {
  const local = mail.split('@')[0] ?? 'user';
  const given = local.charAt(0).toUpperCase() + local.slice(1);
  return { id: randomUUID(), displayName: `${given} Example`, givenName: given, surname: 'Example', mail, userPrincipalName: mail };
}
