// JSON request bodies, parsed as Fastify's own parser does (a `__proto__` or `constructor`
// key is refused), once their nesting is known to be shallow enough. Parsing is not the
// risk (V8's JSON.parse is iterative); what follows is: schema validation, JSON.stringify
// and the mappings walk a value recursively, and a body of 10,000 nested arrays (20 KB,
// well under the body limit) overflowed the stack inside a batch (a 500). So the raw
// text's depth is counted first, without recursion, and a body past the limit is refused
// (JSON_TOO_DEEP) before anything reads it. A Google Calendar resource nests at most 5
// levels (an event's conferenceData.entryPoints[].…); 64 leaves room for any client's
// extended data while every recursive walk stays far from the stack's end.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CalsyncError } from '../errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Levels a JSON body of this route may add to maxJsonDepth: a batch's envelope holds other bodies. */
    jsonEnvelopeDepth?: number;
  }
}

export const maxJsonDepth = 64;

/**
 * The deepest nesting of arrays and objects in `text`, counting no further than `limit + 1`.
 * Brackets inside strings do not count; the text need not be valid JSON (the parser decides that).
 */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character, a quote included
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return deepest;
}

/** Replaces the app's application/json parser with one that refuses bodies nested past the limit first. */
export function registerJsonBodies(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request: FastifyRequest, body: string | Buffer, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    const limit = maxJsonDepth + (request.routeOptions.config?.jsonEnvelopeDepth ?? 0);
    if (jsonDepth(text, limit) > limit) {
      done(new CalsyncError('JSON_TOO_DEEP', `the JSON body nests arrays and objects more than ${limit} levels deep`, { limit }), undefined);
      return;
    }
    parse(request, text, done);
  });
}
