// A feed cut into one iCalendar document per UID, for a feed that does not parse as a
// whole: each is parsed alone, so one broken VEVENT costs only its own UID (CONVENTIONS
// 21). Cut on bytes, lines and BEGIN/END only, like RFC 5545 §3.1 content lines: a
// VEVENT's text is not read here beyond its UID and TZID parameters, so what breaks it
// (a bad date, invalid UTF-8, a line that is no content line) stays inside its part.
// A feed whose components do not nest (an unclosed VEVENT, text outside VCALENDAR, an
// HTML page) cannot be cut: null, and the feed as a whole is unreadable.

export interface FeedPart {
  /** The UID of its VEVENTs as written (escapes undone); null for a VEVENT without one. */
  uid: string | null;
  /**
   * A VCALENDAR holding the VEVENTs of one UID first, then the feed's calendar
   * properties and the VTIMEZONEs those VEVENTs name (the iCalendar layer reads them in
   * any order), so its lines 2 on are the VEVENTs' own.
   */
  document: Uint8Array;
  /** The VEVENTs alone, as the feed has them: what an operator is shown. */
  events: Uint8Array;
  /** The feed's line number of a line of `document` within its VEVENTs; null for others. */
  feedLine(documentLine: number): number | null;
}

interface Line {
  /** Byte range of the whole (folded) line, its line break excluded. */
  start: number;
  end: number;
  name: string;
}

interface Calendar {
  properties: Line[];
  /** VTIMEZONE byte ranges by TZID, trimmed (Outlook pads TZIDs). */
  vtimezones: Map<string, [number, number]>;
  /** VEVENT byte ranges in feed order. */
  events: [number, number][];
}

const CRLF = new Uint8Array([0x0d, 0x0a]);
const decoder = new TextDecoder('utf-8');
const NAME = /^([A-Za-z0-9-]+)[;:]/;

/** Logical lines: a line starting with a space or tab continues the one before (a fold). */
function lines(bytes: Uint8Array): Line[] {
  const out: Line[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x0a && bytes[i] !== 0x0d) continue;
    const folded = bytes[start] === 0x20 || bytes[start] === 0x09;
    const last = out[out.length - 1];
    if (folded && last !== undefined) last.end = i;
    else if (i > start) out.push({ start, end: i, name: NAME.exec(decoder.decode(bytes.subarray(start, Math.min(i, start + 80))))?.[1]?.toUpperCase() ?? '' });
    if (bytes[i] === 0x0d && bytes[i + 1] === 0x0a) i++;
    start = i + 1;
  }
  return out;
}

/** The unfolded text of a line. */
function lineText(bytes: Uint8Array, line: Line): string {
  return decoder.decode(bytes.subarray(line.start, line.end)).replace(/\r?\n[ \t]|\r[ \t]/g, '');
}

/** A property's value: the text after the first colon outside a quoted parameter. */
function valueOf(text: string): string {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') quoted = !quoted;
    else if (text[i] === ':' && !quoted) return text.slice(i + 1);
  }
  return '';
}

const unescapeText = (value: string): string => value.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));

/** The VCALENDARs of the feed, or null when its components do not nest. */
function calendars(bytes: Uint8Array, all: Line[]): Calendar[] | null {
  const found: Calendar[] = [];
  const open: { name: string; start: number }[] = [];
  let calendar: Calendar | null = null;
  for (const line of all) {
    const text = line.name === 'BEGIN' || line.name === 'END' || line.name === '' ? lineText(bytes, line) : '';
    if (line.name === 'BEGIN') {
      const name = valueOf(text).trim().toUpperCase();
      if (open.length === 0 && name !== 'VCALENDAR') return null;
      if (open.length === 0) found.push((calendar = { properties: [], vtimezones: new Map(), events: [] }));
      open.push({ name, start: line.start });
    } else if (line.name === 'END') {
      const component = open.pop();
      if (component === undefined || component.name !== valueOf(text).trim().toUpperCase()) return null;
      if (open.length !== 1) continue;
      const range: [number, number] = [component.start, line.end];
      if (component.name === 'VEVENT') calendar!.events.push(range);
      if (component.name === 'VTIMEZONE') {
        const tzid = lines(bytes.subarray(...range)).find((l) => l.name === 'TZID');
        if (tzid !== undefined) calendar!.vtimezones.set(valueOf(lineText(bytes.subarray(...range), tzid)).trim(), range);
      }
    } else if (line.name === '') {
      // Text that is no content line breaks only the VEVENT it is in.
      if (!open.some((c) => c.name === 'VEVENT') && text.trim() !== '') return null;
    } else if (open.length === 0) {
      return null;
    } else if (open.length === 1) {
      calendar!.properties.push(line);
    }
  }
  return open.length === 0 && found.length > 0 ? found : null;
}

/** The UID of a VEVENT, from its own lines (not those of its VALARMs). */
function uidOf(event: Uint8Array): string | null {
  let depth = 0;
  for (const line of lines(event)) {
    if (line.name === 'BEGIN') depth++;
    else if (line.name === 'END') depth--;
    else if (depth === 1 && line.name === 'UID') {
      const uid = unescapeText(valueOf(lineText(event, line)));
      return uid.trim() === '' ? null : uid;
    }
  }
  return null;
}

/** TZID parameters the text names, trimmed. */
function zonesNamed(text: string): Set<string> {
  return new Set([...text.matchAll(/;TZID=(?:"([^"]*)"|([^;:]*))/gi)].map((m) => (m[1] ?? m[2] ?? '').trim()));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const withBreak = (part: Uint8Array): Uint8Array[] => [part, CRLF];

/** Physical lines up to each byte offset: `lineAt(offset)` is the 1-based line an offset is on. */
function lineNumbers(bytes: Uint8Array): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0d && bytes[i + 1] === 0x0a) i++;
    if (bytes[i] === 0x0a || bytes[i] === 0x0d) starts.push(i + 1);
  }
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid]! <= offset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  };
}

interface Event {
  text: Uint8Array;
  /** The feed's line of its BEGIN:VEVENT, and how many lines it spans. */
  line: number;
  lines: number;
}

const BEGIN = new TextEncoder().encode('BEGIN:VCALENDAR');
const END = new TextEncoder().encode('END:VCALENDAR');

/** One part per UID (VEVENTs without a UID one each), in feed order; null when the feed cannot be cut. */
export function splitFeed(input: Uint8Array): FeedPart[] | null {
  const bytes = input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf ? input.subarray(3) : input;
  const found = calendars(bytes, lines(bytes));
  if (found === null) return null;
  const lineAt = lineNumbers(bytes);
  const properties = found.flatMap((c) => c.properties.map((l) => bytes.subarray(l.start, l.end)));
  const groups = new Map<string, { uid: string | null; calendar: Calendar; events: Event[] }>();
  for (const calendar of found) {
    for (const [start, end] of calendar.events) {
      const text = bytes.subarray(start, end);
      const uid = uidOf(text);
      const key = uid === null ? `#${groups.size}` : `uid:${uid}`;
      const group = groups.get(key) ?? { uid, calendar, events: [] };
      group.events.push({ text, line: lineAt(start), lines: lineAt(end) - lineAt(start) + 1 });
      groups.set(key, group);
    }
  }
  return [...groups.values()].map(({ uid, calendar, events }) => {
    const texts = events.map((e) => e.text);
    const named = zonesNamed(decoder.decode(concat(texts)));
    const zones = [...calendar.vtimezones].filter(([tzid]) => named.has(tzid)).map(([, range]) => bytes.subarray(...range));
    const document = concat([BEGIN, CRLF, ...texts.flatMap(withBreak), ...properties.flatMap(withBreak), ...zones.flatMap(withBreak), END, CRLF]);
    const feedLine = (documentLine: number): number | null => {
      let first = 2;
      for (const event of events) {
        if (documentLine < first + event.lines) return documentLine >= first ? event.line + documentLine - first : null;
        first += event.lines;
      }
      return null;
    };
    return { uid, document, events: concat(texts.flatMap(withBreak)), feedLine };
  });
}
