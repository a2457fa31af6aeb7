// Text Postgres cannot store, refused at the edge before any route reads it, so no route
// can forget: a NUL character (text and jsonb both refuse \u0000) and an unpaired UTF-16
// surrogate (Postgres's JSON parser refuses "\ud800", and pg would silently turn one in a
// text parameter into U+FFFD, storing something else than was sent). Checked in every
// path parameter, query parameter and header (onRequest), and in every key and string of
// a JSON body at any depth (preValidation, before the route's schema or the core's mapping
// reads it); a body number JSON.parse could not hold (1e400 is Infinity) is refused too.
// Google's answer to these is not documented; refusing with 400 names what to fix.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CalsyncError } from '../errors.ts';

// A NUL, a high surrogate not followed by a low one, or a low one not preceded by a high one.
const unstorable = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const what = 'holds a NUL character (\\u0000) or an unpaired surrogate, which cannot be stored';

export function isStorableText(value: string): boolean {
  return !unstorable.test(value);
}

function checkStrings(values: Record<string, unknown> | undefined, kind: 'parameter' | 'header'): void {
  for (const [name, value] of Object.entries(values ?? {})) {
    if (!isStorableText(name)) throw new CalsyncError('STRING_NOT_STORABLE', `the name of a ${kind} ${what}`);
    for (const text of Array.isArray(value) ? value : [value]) {
      if (typeof text === 'string' && !isStorableText(text)) throw new CalsyncError('STRING_NOT_STORABLE', `${kind} ${name} ${what}`, { [kind]: name });
    }
  }
}

/** `attendees[0].displayName`, as the core names members (src/core/google/checks.ts). */
function memberPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

/**
 * Every key and string of a parsed JSON value. Iterative, not recursive: a body limit's
 * worth of `[[[[…` nests some 30,000 levels, deeper than the call stack allows.
 */
export function checkJsonValue(value: unknown, root = ''): void {
  const pending: Array<{ value: unknown; path: string }> = [{ value, path: root }];
  while (pending.length > 0) {
    const { value: current, path } = pending.pop()!;
    if (typeof current === 'string') {
      if (!isStorableText(current)) throw new CalsyncError('STRING_NOT_STORABLE', `${path || 'the body'} ${what}`, { field: path || '(body)' });
    } else if (typeof current === 'number') {
      if (!Number.isFinite(current)) throw new CalsyncError('VALUE_OUT_OF_RANGE', `${path || 'the body'} is a number too large to hold`, { field: path || '(body)' });
    } else if (Array.isArray(current)) {
      current.forEach((item, index) => pending.push({ value: item, path: memberPath(path, index) }));
    } else if (current !== null && typeof current === 'object') {
      for (const [key, item] of Object.entries(current)) {
        if (!isStorableText(key)) throw new CalsyncError('STRING_NOT_STORABLE', `a member name in ${path || 'the body'} ${what}`, { field: path || '(body)' });
        pending.push({ value: item, path: memberPath(path, key) });
      }
    }
  }
}

async function checkUrlAndHeaders(request: FastifyRequest): Promise<void> {
  checkStrings(request.params as Record<string, unknown> | undefined, 'parameter');
  checkStrings(request.query as Record<string, unknown> | undefined, 'parameter');
  checkStrings(request.headers, 'header');
}

async function checkBody(request: FastifyRequest): Promise<void> {
  checkJsonValue(request.body);
}

/** Registers both checks on the root instance, so every route, in every scope, has them. */
export function refuseUnstorableText(app: FastifyInstance): void {
  app.addHook('onRequest', checkUrlAndHeaders);
  app.addHook('preValidation', checkBody);
}
