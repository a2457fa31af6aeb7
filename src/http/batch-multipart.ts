// multipart/mixed as Google's batch endpoint reads and writes it (RFC 2046 framing):
// parts split on `--<boundary>` lines up to the closing `--<boundary>--`, each part's
// headers up to the first empty line, then its body.
//
// Written here rather than taken from @mjackson/multipart-parser or busboy: both only
// split on CRLF delimiters, and Google's Python client writes its batches with Python's
// email generator, whose lines end in a bare LF (policy compat32), which Google accepts.
// So reading takes both line ends; writing uses CRLF, which the Python client needs
// between a response part's headers and its body.
import { CalsyncError } from '../errors.ts';

export interface MimePart {
  /** Header names in lower case; a repeated header keeps its last value. */
  headers: Record<string, string>;
  body: string;
}

/** The boundary of a multipart Content-Type, or null when it has none. */
export function boundaryOf(contentType: string | undefined): string | null {
  // RFC 2046 bchars hold no quote or backslash, so a quoted boundary needs no unescaping.
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^;\s"]{1,70}))/i.exec(contentType ?? '');
  return match ? (match[1] ?? match[2])! : null;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Header lines (folded lines joined) into a map with lower-case names. */
export function parseHeaderLines(lines: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  let last: string | null = null;
  for (const line of lines) {
    if (/^[ \t]/.test(line) && last !== null) {
      headers[last] = `${headers[last]} ${line.trim()}`.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new CalsyncError('INVALID_REQUEST', `malformed header line ${JSON.stringify(line.slice(0, 80))}`);
    last = line.slice(0, colon).trim().toLowerCase();
    headers[last] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** Splits `text` at its first empty line into header lines and the rest. */
export function splitHead(text: string): { head: string[]; rest: string } {
  const blank = /\r?\n\r?\n/.exec(text);
  // Without an empty line the text is all head; the line break that ends its last line
  // (a GET part: "GET /path" and the CRLF before the next delimiter) ends no header.
  const head = blank ? text.slice(0, blank.index) : text.replace(/\r?\n$/, '');
  return { head: head === '' ? [] : head.split(/\r?\n/), rest: blank ? text.slice(blank.index + blank[0].length) : '' };
}

/** The parts of a multipart body; INVALID_REQUEST when the framing is broken. */
export function parseMultipart(body: string, boundary: string): MimePart[] {
  // A delimiter is a whole line; the line break before it belongs to the delimiter.
  const delimiter = new RegExp(`(?:^|\\r?\\n)--${escapeRegExp(boundary)}(--)?[ \\t]*(?=\\r?\\n|$)`, 'g');
  const parts: MimePart[] = [];
  let start: number | null = null;
  for (let match = delimiter.exec(body); match; match = delimiter.exec(body)) {
    if (start !== null) {
      const text = body.slice(start, match.index).replace(/^\r?\n/, '');
      const { head, rest } = splitHead(text);
      parts.push({ headers: parseHeaderLines(head), body: rest });
    }
    if (match[1]) return parts;
    start = match.index + match[0].length;
  }
  throw new CalsyncError('INVALID_REQUEST', start === null
    ? `the body has no --${boundary} delimiter line`
    : `the body does not end with the closing --${boundary}-- line`);
}

/** A multipart body of `parts`, lines ending in CRLF. */
export function writeMultipart(parts: MimePart[], boundary: string): string {
  const sections = parts.map((part) => {
    const head = Object.entries(part.headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
    return `--${boundary}\r\n${head}\r\n${part.body}\r\n`;
  });
  return `${sections.join('')}--${boundary}--\r\n`;
}
