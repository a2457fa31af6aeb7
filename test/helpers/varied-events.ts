// Varied events as another CalDAV client writes them (its own PRODID, no calsync stamp):
// timed in UTC, zoned in a few IANA zones (with a VTIMEZONE or, as some clients do,
// without), all-day, weekly series with an EXDATE and a moved instance, daily series,
// and long descriptions holding what iCalendar must escape and non-ASCII text.
import type { Rng } from '../../src/connectors/memory/index.ts';
import { berlinTimezone, otherClientCalendar } from './caldav-servers.ts';

export type EventKind = 'utc' | 'zoned' | 'all-day' | 'weekly' | 'daily';

export interface VariedEvent {
  uid: string;
  kind: EventKind;
  summary: string;
  /** '' when the event has no DESCRIPTION. */
  description: string;
  /** '' when the event has no LOCATION. */
  location: string;
  ics: string;
}

const tokyoTimezone = ['BEGIN:VTIMEZONE', 'TZID:Asia/Tokyo', 'BEGIN:STANDARD', 'DTSTART:19700101T000000',
  'TZOFFSETFROM:+0900', 'TZOFFSETTO:+0900', 'END:STANDARD', 'END:VTIMEZONE'];
// Berlin and Tokyo come with their VTIMEZONE; New York, Sydney and São Paulo by name only.
const zones: Array<{ tz: string; vtimezone: string[] }> = [
  { tz: 'Europe/Berlin', vtimezone: berlinTimezone }, { tz: 'Asia/Tokyo', vtimezone: tokyoTimezone },
  { tz: 'America/New_York', vtimezone: [] }, { tz: 'Australia/Sydney', vtimezone: [] }, { tz: 'America/Sao_Paulo', vtimezone: [] },
];
const topics = ['Planning', 'Stand-up', 'Review', 'Dentist', 'Café with Zoë', 'Board meeting', 'Release, phase 2', 'Workshop; day 1', '東京 call', 'Offsite'];
const words = ['agenda', 'budget', 'naïve', 'résumé', 'Straße', '会議', 'follow-up', 'a, b; c', 'back\\slash', 'quarterly', 'notes', 'décor'];

const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
const between = (rng: Rng, min: number, max: number): number => min + Math.floor(rng() * (max - min + 1));
const pad = (n: number): string => String(n).padStart(2, '0');

/** RFC 5545 TEXT escaping. */
function text(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\n/g, '\\n');
}

/** Folds at 75 octets without splitting a UTF-8 sequence (RFC 5545 §3.1). */
function fold(line: string): string[] {
  const out: string[] = [];
  let current = '';
  let octets = 0;
  for (const char of line) {
    const size = Buffer.byteLength(char);
    if (octets + size > 75) {
      out.push(current);
      current = ' ';
      octets = 1;
    }
    current += char;
    octets += size;
  }
  out.push(current);
  return out;
}

/** A description: none, a line, or one to four kilobytes of paragraphs. */
export function variedDescription(rng: Rng, label: string): string {
  const roll = rng();
  if (roll < 0.2) return '';
  if (roll < 0.6) return `${label}: ${pick(rng, words)} and ${pick(rng, words)}`;
  const paragraphs: string[] = [label];
  const target = between(rng, 1000, 4000);
  while (paragraphs.join('\n').length < target) {
    paragraphs.push(Array.from({ length: between(rng, 8, 30) }, () => pick(rng, words)).join(' '));
  }
  return paragraphs.join('\n');
}

/** Wall-clock date-time `days` and `minutes` after a local start (no zone arithmetic). */
function shift(local: { y: number; m: number; d: number; h: number; min: number }, days: number, minutes = 0): Date {
  return new Date(Date.UTC(local.y, local.m - 1, local.d + days, local.h, local.min + minutes));
}

const basic = (at: Date): string => `${at.getUTCFullYear()}${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())}T${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}00`;
const basicDate = (at: Date): string => basic(at).slice(0, 8);
const weekday = (at: Date): string => ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'][at.getUTCDay()]!;

export function variedEvent(rng: Rng, uid: string, label: string): VariedEvent {
  const roll = rng();
  const kind: EventKind = roll < 0.3 ? 'utc' : roll < 0.55 ? 'zoned' : roll < 0.7 ? 'all-day' : roll < 0.9 ? 'weekly' : 'daily';
  const summary = `${label} ${pick(rng, topics)}`;
  const description = variedDescription(rng, label);
  const location = rng() < 0.5 ? `Room ${between(rng, 1, 40)}, floor ${between(rng, 1, 9)}` : '';
  const start = { y: 2026, m: between(rng, 1, 11), d: between(rng, 1, 28), h: between(rng, 7, 18), min: pick(rng, [0, 15, 30, 45]) };
  const minutes = pick(rng, [30, 45, 60, 90, 120]);
  const zone = kind === 'weekly' ? zones[between(rng, 0, 2)]! : pick(rng, zones);
  const first = shift(start, 0);
  const end = shift(start, 0, minutes);
  const texts = [`SUMMARY:${text(summary)}`, ...(description ? [`DESCRIPTION:${text(description)}`] : []), ...(location ? [`LOCATION:${text(location)}`] : [])];
  const head = ['BEGIN:VEVENT', `UID:${uid}`, 'DTSTAMP:20260101T000000Z'];
  let lines: string[];
  if (kind === 'utc') {
    lines = [...head, `DTSTART:${basic(first)}Z`, `DTEND:${basic(end)}Z`, ...texts, 'END:VEVENT'];
  } else if (kind === 'all-day') {
    lines = [...head, `DTSTART;VALUE=DATE:${basicDate(first)}`, `DTEND;VALUE=DATE:${basicDate(shift(start, between(rng, 1, 3)))}`, ...texts,
      'TRANSP:TRANSPARENT', 'END:VEVENT'];
  } else if (kind === 'zoned' || kind === 'daily') {
    const rule = kind === 'daily' ? [`RRULE:FREQ=DAILY;COUNT=${between(rng, 3, 7)}`] : [];
    lines = [...zone.vtimezone, ...head, `DTSTART;TZID=${zone.tz}:${basic(first)}`, `DTEND;TZID=${zone.tz}:${basic(end)}`, ...rule, ...texts, 'END:VEVENT'];
  } else {
    // Weekly: the third instance removed, the fourth moved two hours later.
    const at = (week: number, extra = 0) => `${zone.tz}:${basic(shift(start, 7 * week, extra))}`;
    lines = [...zone.vtimezone, ...head, `DTSTART;TZID=${at(0)}`, `DTEND;TZID=${at(0, minutes)}`,
      `RRULE:FREQ=WEEKLY;BYDAY=${weekday(first)};COUNT=${between(rng, 6, 12)}`, `EXDATE;TZID=${at(2)}`, ...texts, 'END:VEVENT',
      ...head, `RECURRENCE-ID;TZID=${at(3)}`, `DTSTART;TZID=${at(3, 120)}`, `DTEND;TZID=${at(3, 120 + minutes)}`,
      `SUMMARY:${text(`${summary} (moved)`)}`, 'END:VEVENT'];
  }
  return { uid, kind, summary, description, location, ics: otherClientCalendar(lines.flatMap(fold)) };
}
