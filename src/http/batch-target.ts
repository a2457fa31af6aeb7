// The path a batch part calls, normalised once, checked, and then the only thing routed.
// The part runs through app.inject, which reads its URL with the WHATWG URL parser: `..`
// segments are removed, `%2e` is a dot there, `\` is a `/`. A check on the path as the
// part wrote it was a check on something else: `../../batch`, `..\..\batch` and
// `%2E%2e/%2e%2E/batch` all ran a batch inside the batch. So the path is parsed here the
// same way (dot segments, backslashes), percent-encoded unreserved characters are decoded
// (RFC 3986 §6.2.2.2: `/%62atch` is `/batch`), and the check reads that path with every
// escape decoded and case ignored. Re-parsing the result changes nothing, so what is
// checked is what runs.
import { CalsyncError } from '../errors.ts';

/** Where a path without a leading slash is resolved: the Calendar API's root. */
const apiRoot = '/calendar/v3/';

/**
 * What a part may call: the API a key opens. Not the probes, the OpenAPI document or the
 * provider webhooks: a batch of forged notifications would come from this host's address.
 */
const apiPaths = /^\/(?:calendar\/v3|admin\/v1)\//;

/** Only the path and query of a target are read; its scheme and host must be these if it has them. */
const base = 'http://localhost';

const unreserved = /^[A-Za-z0-9\-._~]$/;

function decodeUnreserved(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (escape, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return unreserved.test(char) ? char : escape.toUpperCase();
  });
}

function parse(target: string): URL {
  try {
    return new URL(target, base);
  } catch {
    throw new CalsyncError('INVALID_REQUEST', `the request's path is not a URL path: ${JSON.stringify(target.slice(0, 200))}`);
  }
}

/** True when `path` names a batch route, however it is spelt: a batch part must not. */
function namesBatch(path: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // A malformed escape is no route either; refused as a batch, to be safe.
    return true;
  }
  return /^\/+batch(?:[/?;]|$)/i.test(decoded);
}

/**
 * The path and query a part calls: resolved against the API root (a path without a leading
 * slash) or taken from a whole URL, normalised as above. A batch inside a batch and a path
 * outside the API are refused (BATCH_PART_REFUSED), as is a path that would read as a host
 * (`//…`).
 */
export function normaliseTarget(target: string): string {
  const trimmed = target.trim();
  const absolute = /^[A-Za-z][A-Za-z0-9+.-]*:/.test(trimmed);
  if (absolute && !/^https?:\/\//i.test(trimmed)) throw new CalsyncError('INVALID_REQUEST', `a batch part calls a path or an http(s) URL, not ${JSON.stringify(trimmed.slice(0, 80))}`);
  // `//host/path` is a URL without a scheme to the parser, not a path.
  if (/^[/\\]{2}/.test(trimmed)) throw new CalsyncError('INVALID_REQUEST', `the request's path ${JSON.stringify(trimmed.slice(0, 80))} begins with //`);
  const rooted = absolute || trimmed.startsWith('/') || trimmed.startsWith('\\');
  const first = parse(rooted ? trimmed : `${apiRoot}${trimmed}`);
  // On the base, so a path that became `//…` stays a path (as light-my-request reads one).
  const decoded = parse(`${base}${decodeUnreserved(first.pathname)}${first.search}`);
  const path = decoded.pathname;
  if (namesBatch(path)) throw new CalsyncError('BATCH_PART_REFUSED', 'a batch cannot contain another batch: put its requests in this one');
  if (path.startsWith('//')) throw new CalsyncError('INVALID_REQUEST', `the request's path ${JSON.stringify(path.slice(0, 80))} begins with //`);
  if (!apiPaths.test(path)) throw new CalsyncError('BATCH_PART_REFUSED', `a batch holds requests to /calendar/v3/ and /admin/v1/, not to ${JSON.stringify(path.slice(0, 80))}`);
  return `${path}${decoded.search}`;
}
