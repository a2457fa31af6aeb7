// Content hashes: SHA-256 over a canonical serialisation of the normalised form, so two
// items hash alike exactly when they differ only in what servers rewrite.
import { createHash } from 'node:crypto';
import { CoreError } from './errors.ts';
import type { CanonicalEvent, EventSeries } from './model.ts';
import { normaliseEvent, normaliseSeries } from './normalise.ts';

// Bumped whenever the normal form changes, so stored hashes from an older rule set
// never match by accident and the next pass re-compares content instead.
const HASH_VERSION = 'calsync-content-v1';

/**
 * JSON with object keys in code-point order and no whitespace; undefined members are
 * dropped as JSON.stringify does. Non-finite numbers, functions and cycles are errors.
 */
export function canonicalJson(value: unknown): string {
  return serialise(value, '$', new Set());
}

function serialise(value: unknown, path: string, seen: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new CoreError('INVALID_INPUT', 'number is not finite', path);
      return JSON.stringify(value);
    case 'object': {
      if (seen.has(value)) throw new CoreError('INVALID_INPUT', 'value contains a cycle', path);
      seen.add(value);
      const out = Array.isArray(value)
        ? `[${value.map((item, i) => serialise(item ?? null, `${path}[${i}]`, seen)).join(',')}]`
        : `{${Object.keys(value)
          .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
          .sort()
          .map((key) => `${JSON.stringify(key)}:${serialise((value as Record<string, unknown>)[key], `${path}.${key}`, seen)}`)
          .join(',')}}`;
      seen.delete(value);
      return out;
    }
    default:
      throw new CoreError('INVALID_INPUT', `cannot serialise a ${typeof value}`, path);
  }
}

/** SHA-256 hex of an already-normalised value. */
export function hashNormal(normal: EventSeries | CanonicalEvent): string {
  return createHash('sha256').update(HASH_VERSION).update('\n').update(canonicalJson(normal)).digest('hex');
}

/** The content hash of a series or a single event: equal exactly when normal forms are. */
export function contentHash(x: EventSeries | CanonicalEvent): string {
  return hashNormal(isSeries(x) ? normaliseSeries(x) : normaliseEvent(x));
}

export function isSeries(x: EventSeries | CanonicalEvent): x is EventSeries {
  return typeof x === 'object' && x !== null && 'overrides' in x && 'master' in x;
}
