// Shape checks for the arguments of core entry points that are not events (events go
// through validate.ts or normalise.ts): a wrong type is CoreError('INVALID_INPUT')
// naming the argument, never a TypeError further in or a value quietly read as another.
import { CoreError } from './errors.ts';

/** A bad value as an error message shows it, shortened; safe for any value. */
export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'string') return `"${x.length > 40 ? `${x.slice(0, 40)}…` : x}"`;
  if (typeof x === 'number' || typeof x === 'boolean' || typeof x === 'bigint') return String(x);
  return typeof x;
}

function invalid(path: string, expected: string, x: unknown): never {
  throw new CoreError('INVALID_INPUT', `expected ${expected}, got ${describe(x)}`, path);
}

export function stringArgument(x: unknown, path: string): string {
  if (typeof x !== 'string') invalid(path, 'a string', x);
  return x;
}

/** A plain object: not an array, a Map, a Date or a boxed value, which spread to `{}`. */
export function objectArgument(x: unknown, path: string): Record<string, unknown> {
  if (!isPlainObject(x)) invalid(path, 'an object', x);
  return x;
}

export function booleanArgument(x: unknown, path: string): boolean {
  if (typeof x !== 'boolean') invalid(path, 'true or false', x);
  return x;
}

export function countArgument(x: unknown, path: string): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) invalid(path, 'a whole number ≥ 0', x);
  return x;
}

export function oneOfArgument<T extends string>(x: unknown, values: readonly T[], path: string): T {
  if (!(values as readonly unknown[]).includes(x)) invalid(path, `one of ${values.join(', ')}`, x);
  return x as T;
}

export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}
