// Time zones and Graph's dateTimeTimeZone values. Graph names zones either way: a
// Windows name ("Pacific Standard Time") or an IANA one ("America/Los_Angeles"); both are
// accepted in `start.timeZone`, `recurrence.range.recurrenceTimeZone` and
// `Prefer: outlook.timezone` (dateTimeTimeZone resource: "timeZone … See TimeZoneInfo
// … for more possible values", which lists both). Windows names map to IANA through
// CLDR's windowsZones table (the windows-iana package) rather than a hand-typed list.
// Wall clock ↔ instant uses Intl, which carries the IANA database; Temporal is not in
// Node 20, and the emulator must not share calsync's own zone code (src/core) so that a
// bug there is not mirrored here.
import { findIana } from 'windows-iana';

export interface Zone {
  /** The IANA zone the name stands for. */
  iana: string;
  /** The name as the client gave it; answers repeat it. */
  name: string;
}

function isIana(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** A zone from a Windows or IANA name; null when neither knows it. */
export function resolveZone(name: unknown): Zone | null {
  if (typeof name !== 'string' || name.trim() === '') return null;
  const trimmed = name.trim();
  const windows = findIana(trimmed)[0];
  if (windows !== undefined) return { iana: windows, name: trimmed };
  return isIana(trimmed) ? { iana: trimmed, name: trimmed } : null;
}

export const UTC: Zone = { iana: 'UTC', name: 'UTC' };

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(iana: string): Intl.DateTimeFormat {
  let f = formatters.get(iana);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: iana, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(iana, f);
  }
  return f;
}

/** `yyyy-mm-ddThh:mm:ss` of an instant in a zone. */
export function instantToLocal(ms: number, iana: string): string {
  const parts = Object.fromEntries(formatter(iana).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const year = Number(parts.year) <= 0 ? '0000' : parts.year!.padStart(4, '0');
  return `${year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
}

const wallMs = (local: string): number => Date.parse(`${local}Z`);

/**
 * The instant of a wall clock in a zone. A time skipped by a DST jump moves forward by the
 * jump (02:30 on a spring-forward day is 03:30), a repeated one takes the earlier instant,
 * as Exchange and most calendars place them.
 */
export function localToInstant(local: string, iana: string): number {
  const target = wallMs(local);
  let guess = target;
  for (let i = 0; i < 3; i++) {
    const offset = wallMs(instantToLocal(guess, iana)) - guess;
    const next = target - offset;
    if (next === guess) break;
    guess = next;
  }
  const earlier = guess - 3_600_000;
  if (wallMs(instantToLocal(earlier, iana)) === target) return earlier;
  if (wallMs(instantToLocal(guess, iana)) !== target) {
    const offsetAfter = wallMs(instantToLocal(guess + 86_400_000, iana)) - (guess + 86_400_000);
    return target - offsetAfter;
  }
  return guess;
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?(Z|[+-]\d{2}:\d{2})?$/i;

/** A dateTime as clients send it: `2026-03-02T09:00:00`, with optional fraction and offset. */
export function parseDateTime(value: unknown): { local: string; offset: string | null } | null {
  if (typeof value !== 'string') return null;
  const m = LOCAL.exec(value.trim());
  if (!m) return null;
  const local = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}`;
  const check = new Date(wallMs(local));
  if (Number.isNaN(check.getTime()) || check.toISOString().slice(0, 19) !== local) return null;
  return { local, offset: m[8] ?? null };
}

/** An instant from a dateTime and a zone; an explicit offset in the dateTime wins. */
export function toInstant(parsed: { local: string; offset: string | null }, zone: Zone): number {
  if (parsed.offset !== null) return Date.parse(`${parsed.local}${parsed.offset.toUpperCase() === 'Z' ? 'Z' : parsed.offset}`);
  return localToInstant(parsed.local, zone.iana);
}

/** As Graph writes dateTime: the wall clock with seven fractional digits, no offset. */
export function graphDateTime(ms: number, zone: Zone): { dateTime: string; timeZone: string } {
  return { dateTime: `${instantToLocal(ms, zone.iana)}.0000000`, timeZone: zone.name };
}

/** `2026-03-02T09:00:00Z` (createdDateTime, originalStart and the like carry UTC). */
export const isoUtc = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
/** With seven fractional digits, as Graph writes lastModifiedDateTime. */
export const isoUtc7 = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
