// Strict readers for the members of a Google resource: a value of the wrong type or an
// unknown enum value is CoreError('INVALID_EVENT') naming the field as Google spells it
// (`start.dateTime`, `attendees[2].email`), never a crash or a silent default.
import { describe, isPlainObject } from '../arguments.ts';
import { CoreError } from '../errors.ts';

export type Obj = Record<string, unknown>;

export function fail(path: string, message: string, code: 'INVALID_EVENT' | 'INVALID_RECURRENCE' | 'UNKNOWN_TIME_ZONE' = 'INVALID_EVENT'): never {
  throw new CoreError(code, message, path || '(root)');
}

export function object(x: unknown, path: string): Obj {
  if (!isPlainObject(x)) fail(path, `expected an object, got ${describe(x)}`);
  return x;
}

export function optionalObject(x: unknown, path: string): Obj | undefined {
  return x === undefined ? undefined : object(x, path);
}

export function optionalString(x: unknown, path: string): string | undefined {
  if (x !== undefined && typeof x !== 'string') fail(path, `expected a string, got ${describe(x)}`);
  return x;
}

export function optionalBoolean(x: unknown, path: string): boolean | undefined {
  if (x !== undefined && typeof x !== 'boolean') fail(path, `expected true or false, got ${describe(x)}`);
  return x;
}

export function optionalInteger(x: unknown, path: string, min: number, max: number): number | undefined {
  if (x === undefined) return undefined;
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min || x > max) {
    fail(path, `expected a whole number from ${min} to ${max}, got ${describe(x)}`);
  }
  return x;
}

export function optionalArray(x: unknown, path: string): unknown[] | undefined {
  if (x !== undefined && !Array.isArray(x)) fail(path, `expected an array, got ${describe(x)}`);
  return x;
}

export function optionalOneOf<T extends string>(x: unknown, values: readonly T[], path: string): T | undefined {
  if (x === undefined) return undefined;
  if (typeof x !== 'string' || !(values as readonly string[]).includes(x)) {
    fail(path, `expected one of ${values.join(', ')}, got ${describe(x)}`);
  }
  return x as T;
}

/** A map of strings to strings (extendedProperties.private / .shared). */
export function optionalStringMap(x: unknown, path: string): Record<string, string> | undefined {
  const o = x === undefined ? undefined : object(x, path);
  if (o === undefined) return undefined;
  for (const [k, v] of Object.entries(o)) if (typeof v !== 'string') fail(`${path}.${k}`, `expected a string, got ${describe(v)}`);
  return o as Record<string, string>;
}

/**
 * A lower-cased address. Google's attendee email "must be a valid email address as per
 * RFC5322"; calsync checks the shape only (one @, no spaces), like the iCalendar reader.
 */
export function email(x: unknown, path: string): string {
  if (typeof x !== 'string') fail(path, `expected an email address, got ${describe(x)}`);
  const address = x.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(address)) fail(path, `not an email address: ${describe(x)}`);
  return address;
}
