// The emulator's own in-memory store: one Google account with its calendars and their
// events (single events, recurring masters and exceptions), each stored as the Event
// resource Google would answer, plus a change counter. Every change takes the next
// change number; sync tokens are change numbers, so an incremental listing is "every
// event whose last change is after the token". Deleted events stay, with status
// "cancelled", as Google keeps them ("Such cancelled events will eventually disappear").
import { randomBytes } from 'node:crypto';
import type { GoogleEvent } from '../../src/core/google/types.ts';
import { googleErrors } from './errors.ts';
import { checkZone, isoMillis } from './times.ts';

export interface CalendarRecord {
  id: string;
  summary: string;
  description?: string;
  timeZone: string;
  primary: boolean;
  /** The change number of the last change to the calendar or its events. */
  seq: number;
}

export type StoredEvent = GoogleEvent & Record<string, unknown>;

export interface EventRecord {
  calendarId: string;
  resource: StoredEvent;
  /** Change number of the event's last change. */
  seq: number;
}

/** One write the emulator took, for tests that check what a connector sent. */
export interface WriteRecord {
  at: string;
  method: 'insert' | 'update' | 'patch' | 'delete' | 'import' | 'anotherClient';
  calendarId: string;
  eventId: string;
  /** The sendUpdates parameter as sent (sendNotifications=false is recorded as "none"), or null. */
  sendUpdates: string | null;
  ifMatch: string | null;
}

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

/** A server-chosen id: 26 base32hex characters, like the ids Google generates. */
export function generatedId(): string {
  return [...randomBytes(26)].map((b) => BASE32HEX[b % 32]).join('');
}

export class EmulatorStore {
  readonly calendars = new Map<string, CalendarRecord>();
  private readonly events = new Map<string, Map<string, EventRecord>>();
  readonly writes: WriteRecord[] = [];
  /** The last change number given out. */
  seq = 0;
  /** Sync and page tokens of an older generation answer 410 (control: expire all sync tokens). */
  tokenGeneration = 0;

  constructor(
    readonly account: string,
    readonly now: () => number,
    private readonly onChange: (calendarId: string) => void,
  ) {}

  /** A calendar by id; `primary` is the account's own calendar. Unknown: 404 notFound. */
  calendar(idOrPrimary: string): CalendarRecord {
    const id = idOrPrimary === 'primary' ? this.account : idOrPrimary;
    const calendar = this.calendars.get(id);
    if (!calendar) throw googleErrors.notFound();
    return calendar;
  }

  addCalendar(input: { id?: string; summary?: string; description?: string; timeZone?: string; primary?: boolean }): CalendarRecord {
    const id = input.id ?? `${generatedId()}@group.calendar.google.com`;
    if (this.calendars.has(id)) throw googleErrors.duplicate();
    const calendar: CalendarRecord = {
      id,
      summary: input.summary ?? id,
      ...(input.description !== undefined ? { description: input.description } : {}),
      timeZone: checkZone(input.timeZone ?? 'UTC', 'timeZone'),
      primary: input.primary ?? false,
      seq: ++this.seq,
    };
    this.calendars.set(id, calendar);
    this.events.set(id, new Map());
    return calendar;
  }

  eventsOf(calendarId: string): Map<string, EventRecord> {
    return this.events.get(calendarId)!;
  }

  get(calendarId: string, eventId: string): EventRecord | undefined {
    return this.events.get(calendarId)?.get(eventId);
  }

  /**
   * Store a new version of an event: the next change number, `updated` now and a new
   * etag ("Every resource has a version field that changes every time the resource
   * changes — the etag field", guides/version-resources). Watch channels hear of it.
   */
  save(calendarId: string, resource: StoredEvent): EventRecord {
    const seq = ++this.seq;
    const now = this.now();
    resource.updated = isoMillis(now);
    resource.etag = `"${now}${String(seq % 1_000_000).padStart(6, '0')}"`;
    const record: EventRecord = { calendarId, resource, seq };
    this.events.get(calendarId)!.set(resource.id!, record);
    this.calendar(calendarId).seq = seq;
    this.onChange(calendarId);
    return record;
  }

  recordWrite(write: Omit<WriteRecord, 'at'>): void {
    this.writes.push({ at: isoMillis(this.now()), ...write });
  }
}
