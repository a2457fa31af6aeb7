// Wall-clock time ⇄ instant in an IANA zone, computed with Intl (the platform's tz
// database), never with hand-written offsets.
import type { LocalDateTime } from '../model.ts';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      era: 'short',
    });
    formatters.set(tz, f);
  }
  return f;
}

export interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function parseLocal(local: LocalDateTime): Fields {
  const [date = '', time = '00:00:00'] = local.split('T');
  const [year = 0, month = 1, day = 1] = date.split('-').map(Number);
  const [hour = 0, minute = 0, second = 0] = time.split(':').map(Number);
  return { year, month, day, hour, minute, second };
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

export function formatDate(f: Pick<Fields, 'year' | 'month' | 'day'>): LocalDateTime {
  return `${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)}`;
}

export function formatLocal(f: Fields): LocalDateTime {
  return `${formatDate(f)}T${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)}`;
}

/** Milliseconds of the wall-clock fields read as if they were UTC. */
export function fieldsAsUtc(f: Fields): number {
  const d = new Date(0);
  d.setUTCFullYear(f.year, f.month - 1, f.day);
  d.setUTCHours(f.hour, f.minute, f.second, 0);
  return d.getTime();
}

export function utcFields(ms: number): Fields {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

const FORMATTED = /^(\d+)\/(\d+)\/(\d+) (AD|BC), (\d+):(\d+):(\d+)$/;

/** The wall-clock fields of an instant in a zone. */
export function zonedFields(ms: number, tz: string): Fields {
  // format() is twice as fast as formatToParts(); the parts are the fallback should an
  // ICU version print en-US differently.
  const m = FORMATTED.exec(formatter(tz).format(ms));
  if (m !== null) {
    const year = Number(m[3]);
    return {
      year: m[4] === 'BC' ? 1 - year : year,
      month: Number(m[1]),
      day: Number(m[2]),
      hour: Number(m[5]),
      minute: Number(m[6]),
      second: Number(m[7]),
    };
  }
  const parts: Record<string, string> = {};
  for (const p of formatter(tz).formatToParts(new Date(ms))) parts[p.type] = p.value;
  const year = Number(parts.year);
  return {
    year: parts.era === 'BC' ? 1 - year : year,
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
}

function exactOffset(ms: number, tz: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return Math.round((fieldsAsUtc(zonedFields(whole, tz)) - whole) / 1000);
}

// Offsets are cached at the edges of 15-minute slots; inside a slot whose two edges
// agree there is no transition, so the offset is known without asking Intl. Expanding
// a daily series over ten years needs ~15,000 offsets: Intl answers in ~6 µs each.
const SLOT = 15 * 60_000;
const edges = new Map<string, number>();

function edge(slot: number, tz: string): number {
  const key = `${tz} ${slot}`;
  let offset = edges.get(key);
  if (offset === undefined) {
    offset = exactOffset(slot * SLOT, tz);
    if (edges.size > 200_000) edges.clear();
    edges.set(key, offset);
  }
  return offset;
}

/** UTC offset of a zone at an instant, in seconds east of Greenwich. */
export function offsetSeconds(ms: number, tz: string): number {
  const slot = Math.floor(ms / SLOT);
  const first = edge(slot, tz);
  return first === edge(slot + 1, tz) ? first : exactOffset(ms, tz);
}

/**
 * The instant of a wall-clock time in a zone. RFC 5545 §3.3.5: a time inside a
 * spring-forward gap is read with the offset before the gap (02:30 → 03:30 CEST); a
 * time that occurs twice in a fall-back hour is the first occurrence.
 */
export function localToInstant(local: LocalDateTime, tz: string): number {
  return wallToInstant(fieldsAsUtc(parseLocal(local)), tz);
}

/** localToInstant of a wall-clock time given as its fields read as UTC, in milliseconds. */
export function wallToInstant(asUtc: number, tz: string): number {
  const day = 86_400_000;
  // At most one transition falls within a day, so the offsets half a day either side
  // are the only candidates.
  const before = offsetSeconds(asUtc - day / 2, tz) * 1000;
  const after = offsetSeconds(asUtc + day / 2, tz) * 1000;
  // A candidate is right when the zone's offset at it is the offset it was made with.
  const matches = [asUtc - before, asUtc - after].filter((t) => offsetSeconds(t, tz) * 1000 === asUtc - t);
  return matches.length > 0 ? Math.min(...matches) : asUtc - before;
}

export function instantToLocal(ms: number, tz: string): LocalDateTime {
  return formatLocal(zonedFields(ms, tz));
}

/** A date `days` later (or earlier) on the calendar. */
export function addDays(date: LocalDateTime, days: number): LocalDateTime {
  const f = parseLocal(date);
  const moved = utcFields(fieldsAsUtc(f) + days * 86_400_000);
  return date.includes('T') ? formatLocal(moved) : formatDate(moved);
}

export function isoInstant(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
