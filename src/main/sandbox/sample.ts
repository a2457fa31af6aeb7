// The sandbox's two people and their calendars. Alice keeps her calendar in Google, Bob
// in Outlook; their team shares a calendar that exists in both, which calsync keeps in
// agreement through its own 'Team' calendar. Events are placed in the days around now,
// inside every connector's sync window.
import { sandboxLoginDomain } from '../../store/sandbox-tenants.ts';

export const people = {
  alice: { name: 'Alice', login: `alice@${sandboxLoginDomain}` },
  bob: { name: 'Bob', login: `bob@${sandboxLoginDomain}` },
} as const;

export interface SampleEvent {
  title: string;
  /** Whole days from today (UTC). */
  day: number;
  /** Start, hours after midnight UTC. */
  hour: number;
  minutes: number;
}

export const samples: Record<'aliceGoogle' | 'teamGoogle' | 'bobOutlook' | 'teamOutlook', SampleEvent[]> = {
  aliceGoogle: [
    { title: 'Dentist', day: 1, hour: 8, minutes: 45 },
    { title: 'Focus time', day: 0, hour: 13, minutes: 120 },
    { title: 'Call with the bank', day: 2, hour: 10, minutes: 30 },
  ],
  teamGoogle: [
    { title: 'Weekly planning', day: 0, hour: 9, minutes: 60 },
    { title: 'Design review', day: 1, hour: 14, minutes: 60 },
    { title: 'Release checklist', day: 3, hour: 11, minutes: 30 },
  ],
  bobOutlook: [
    { title: 'Gym', day: 0, hour: 7, minutes: 60 },
    { title: 'Car service', day: 2, hour: 15, minutes: 90 },
    { title: 'Lunch with Sam', day: 1, hour: 12, minutes: 60 },
  ],
  teamOutlook: [
    { title: 'Customer demo', day: 2, hour: 13, minutes: 45 },
    { title: 'Retrospective', day: 4, hour: 15, minutes: 60 },
    { title: 'Hiring sync', day: 1, hour: 10, minutes: 30 },
  ],
};

/** Start and end of a sample event, as UTC instants. */
export function instants(event: Pick<SampleEvent, 'day' | 'hour' | 'minutes'>, now: Date): { start: Date; end: Date } {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + event.day, event.hour));
  return { start, end: new Date(start.getTime() + event.minutes * 60_000) };
}

/** A Google event body for an instant range. */
export function googleBody(title: string, start: Date, end: Date): Record<string, unknown> {
  return { summary: title, start: { dateTime: start.toISOString() }, end: { dateTime: end.toISOString() } };
}

/** A Graph event body for an instant range (UTC wall clock). */
export function graphBody(title: string, start: Date, end: Date): Record<string, unknown> {
  const wall = (d: Date): string => d.toISOString().slice(0, 19);
  return { subject: title, start: { dateTime: wall(start), timeZone: 'UTC' }, end: { dateTime: wall(end), timeZone: 'UTC' } };
}
