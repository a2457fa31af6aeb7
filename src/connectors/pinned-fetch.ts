// fetch for user-given URLs whose connections go only to addresses the URL guard
// checked: undici's own fetch with an Agent whose `connect.lookup` is the guard's
// (Node's built-in fetch takes no dispatcher of another undici version, nor a lookup).
// Wrap it in guardedFetch (http-guard.ts) for the early check and checked redirects.
//
// undici is loaded only here (and in end-safe-bodies.ts, which only this module
// imports), and this module only where a CalDAV or ICS request is made (import it
// lazily): loading undici takes about 0.1 s, which every other command would pay. It is
// a CommonJS package, so it is imported statically (a dynamic import of one sees only
// its default export once bundled). Its bodies end safely on connections the server
// closes after the answer (end-safe-bodies.ts).
import { Agent, fetch as undiciFetch } from 'undici';
import { endSafeBodies } from './end-safe-bodies.ts';
import type { FetchLike, UrlGuard } from './http-guard.ts';

export function pinnedFetch(guard: Pick<UrlGuard, 'connectLookup'>): FetchLike {
  const dispatcher = new Agent({ connect: { lookup: guard.connectLookup } }).compose(endSafeBodies);
  return (input, init) => undiciFetch(input, { ...(init as object), dispatcher }) as unknown as Promise<Response>;
}
