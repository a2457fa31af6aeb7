// Event ids derived from calsync ids, so a create is idempotent (a retried insert with
// the same id is 409 duplicate, not a second event) and an update can put the stamp
// back without reading the event first. Google's client-chosen ids are base32hex
// (a-v, 0-9), 5-1024 characters, unique per calendar, deleted events included.
// - A calsync id that is a UUID (every id the engine makes) becomes its 32 hex digits:
//   the same id calsync's own Google-shaped API gives the event (events.api_id).
// - Any other id becomes `v` + base32hex of its UTF-8 bytes (ids up to 638 bytes), the
//   `v` telling it from a UUID's 32 hex digits.
// - Longer ones become `u` + base32hex of their SHA-256: still deterministic, but the
//   stamp cannot be read back from it.
import { createHash } from 'node:crypto';
import type { CalsyncId } from '../../core/model.ts';

const ALPHABET = '0123456789abcdefghijklmnopqrstuv';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_ID = 1024;

export function base32hex(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

function fromBase32hex(text: string): Uint8Array | null {
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of text) {
    const value = ALPHABET.indexOf(char);
    if (value < 0) return null;
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bytes.push((buffer >>> (bits - 8)) & 255);
      bits -= 8;
    }
    buffer &= (1 << bits) - 1;
  }
  // Left-over bits must be the zero padding base32hex writes.
  return buffer === 0 ? Uint8Array.from(bytes) : null;
}

/** The Google event id of the item stamped `calsyncId`. */
export function eventIdOf(calsyncId: CalsyncId): string {
  if (UUID.test(calsyncId)) return calsyncId.replace(/-/g, '');
  const encoded = `v${base32hex(Buffer.from(calsyncId, 'utf8'))}`;
  if (encoded.length >= 5 && encoded.length <= MAX_ID) return encoded;
  return `u${base32hex(createHash('sha256').update(calsyncId).digest())}`;
}

/**
 * The calsync id an event id was derived from; null for ids eventIdOf did not make
 * (Google's own, other clients') and for hashed ones. An id another client chose that
 * happens to read as one (32 hex digits) reads as stamped with an id no calsync event
 * has, and is matched by its iCalUID like any other.
 */
export function calsyncIdOfEventId(eventId: string): CalsyncId | null {
  if (/^[0-9a-f]{32}$/.test(eventId)) {
    return `${eventId.slice(0, 8)}-${eventId.slice(8, 12)}-${eventId.slice(12, 16)}-${eventId.slice(16, 20)}-${eventId.slice(20)}`;
  }
  if (!eventId.startsWith('v')) return null;
  const bytes = fromBase32hex(eventId.slice(1));
  if (bytes === null || bytes.length === 0) return null;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return eventIdOf(text) === eventId ? text : null;
  } catch {
    return null;
  }
}
