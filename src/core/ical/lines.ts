// Raw iCalendar text ⇄ content lines and components (RFC 5545 §3.1), keeping the line
// number where each starts so errors can name it. Values are left raw here; parse.ts
// decodes the properties calsync models with ical.js.
import { CoreError } from '../errors.ts';

export interface ContentLine {
  /** 1-based line of the input where this (possibly folded) line starts. */
  line: number;
  /** The unfolded line. */
  text: string;
  /** Upper-cased property name. */
  name: string;
}

export interface RawComponent {
  name: string;
  line: number;
  properties: ContentLine[];
  components: RawComponent[];
}

function invalid(message: string, line: number): never {
  throw new CoreError('INVALID_ICALENDAR', message, `line ${line}`);
}

const LF = 0x0a;
const CR = 0x0d;

function isFoldStart(first: number | undefined): boolean {
  return first === 0x20 || first === 0x09;
}

/** Lines split at CRLF, LF or a lone CR (old Mac exports), without their breaks. */
function splitBytes(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== LF && bytes[i] !== CR) continue;
    lines.push(bytes.subarray(start, i));
    if (bytes[i] === CR && bytes[i + 1] === LF) i++;
    start = i + 1;
  }
  lines.push(bytes.subarray(start));
  return lines;
}

/**
 * Bytes are unfolded before UTF-8 decoding, so a fold that splits a multi-byte
 * character (simple encoders fold at 75 octets, RFC 5545 §3.1 warns of it) rejoins it.
 */
function unfoldBytes(bytes: Uint8Array): { line: number; text: string }[] {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const out: { line: number; parts: Uint8Array[] }[] = [];
  splitBytes(bytes).forEach((slice, i) => {
    const last = out[out.length - 1];
    if (last !== undefined && isFoldStart(slice[0])) last.parts.push(slice.subarray(1));
    else out.push({ line: i + 1, parts: [slice] });
  });
  return out.map(({ line, parts }) => {
    const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      joined.set(p, offset);
      offset += p.length;
    }
    try {
      return { line, text: decoder.decode(joined) };
    } catch {
      return invalid('not valid UTF-8', line);
    }
  });
}

function unfoldText(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  text.split(/\r\n|\n|\r/).forEach((raw, i) => {
    const last = out[out.length - 1];
    if (last !== undefined && (raw.startsWith(' ') || raw.startsWith('\t'))) last.text += raw.slice(1);
    else out.push({ line: i + 1, text: raw });
  });
  return out;
}

const NAME = /^([A-Za-z0-9-]+)[;:]/;

export function contentLines(input: string | Uint8Array): ContentLine[] {
  const text = typeof input === 'string' ? input.replace(/^\uFEFF/, '') : input;
  const unfolded = typeof text === 'string' ? unfoldText(text) : unfoldBytes(stripBom(text));
  const lines: ContentLine[] = [];
  for (const { line, text: t } of unfolded) {
    if (t.trim() === '') continue;
    const m = NAME.exec(t);
    if (m === null) invalid(`not an iCalendar content line: "${t.slice(0, 60)}"`, line);
    lines.push({ line, text: t, name: m[1]!.toUpperCase() });
  }
  return lines;
}

function stripBom(bytes: Uint8Array): Uint8Array {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
}

function componentName(l: ContentLine): string {
  const name = l.text.slice(l.text.indexOf(':') + 1).trim().toUpperCase();
  if (!/^[A-Z0-9-]+$/.test(name)) invalid(`bad component name "${name}"`, l.line);
  return name;
}

/** The top-level components of the input (normally one VCALENDAR). */
export function components(input: string | Uint8Array): RawComponent[] {
  const roots: RawComponent[] = [];
  const stack: RawComponent[] = [];
  for (const l of contentLines(input)) {
    const open = stack[stack.length - 1];
    if (l.name === 'BEGIN') {
      const c: RawComponent = { name: componentName(l), line: l.line, properties: [], components: [] };
      if (open === undefined) roots.push(c);
      else open.components.push(c);
      stack.push(c);
    } else if (l.name === 'END') {
      const name = componentName(l);
      if (open === undefined) invalid(`END:${name} without a matching BEGIN`, l.line);
      if (open.name !== name) invalid(`END:${name} closes BEGIN:${open.name} of line ${open.line}`, l.line);
      stack.pop();
    } else {
      if (open === undefined) invalid(`property ${l.name} outside any component`, l.line);
      open.properties.push(l);
    }
  }
  const unclosed = stack[stack.length - 1];
  if (unclosed !== undefined) invalid(`BEGIN:${unclosed.name} is never closed (END:${unclosed.name} missing)`, unclosed.line);
  if (roots.length === 0) invalid('no BEGIN:VCALENDAR', 1);
  return roots;
}

/** A component back as unfolded lines joined by CRLF, for keeping it opaque in extras. */
export function componentText(c: RawComponent): string {
  const body: string[] = [`BEGIN:${c.name}`, ...c.properties.map((p) => p.text)];
  for (const child of c.components) body.push(componentText(child));
  body.push(`END:${c.name}`);
  return body.join('\r\n');
}

/**
 * RFC 5545 §3.1: lines longer than 75 octets are folded with CRLF + space. Folds fall
 * between characters, never inside a UTF-8 sequence or a surrogate pair.
 */
export function fold(line: string): string {
  const out: string[] = [];
  let current = '';
  let octets = 0;
  for (const ch of line) {
    const cp = ch.codePointAt(0)!;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    const limit = out.length === 0 ? 75 : 74;
    if (octets + size > limit) {
      out.push(current);
      current = '';
      octets = 0;
    }
    current += ch;
    octets += size;
  }
  out.push(current);
  return out.join('\r\n ');
}

export function escapeText(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r\n|\r|\n/g, '\\n');
}

/**
 * The values of a multi-valued TEXT property (CATEGORIES), split at unescaped commas.
 * ical.js reads `\\,` (an escaped backslash, then a separator) as an escaped comma.
 */
export function splitTextValues(raw: string): string[] {
  const values: string[] = [];
  let start = 0;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '\\') i++;
    else if (raw[i] === ',') {
      values.push(raw.slice(start, i));
      start = i + 1;
    }
  }
  values.push(raw.slice(start));
  return values.map(unescapeText);
}

export function unescapeText(value: string): string {
  return value.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

export type Params = Record<string, string | string[]>;

/** RFC 6868 caret encoding (ical.js decodes it), quoted when it holds `;`, `:` or `,`. */
function paramValue(v: string): string {
  const encoded = v.replace(/\^/g, '^^').replace(/"/g, "^'").replace(/\r\n|\r|\n/g, '^n');
  return /[;:,]/.test(encoded) ? `"${encoded}"` : encoded;
}

/** One content line, unfolded. `value` must already be in iCalendar form. */
export function contentLine(name: string, params: Params, value: string): string {
  const p = Object.entries(params)
    .map(([k, v]) => `;${k.toUpperCase()}=${(Array.isArray(v) ? v : [v]).map(paramValue).join(',')}`)
    .join('');
  return `${name}${p}:${value}`;
}
