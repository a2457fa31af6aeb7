// The guard for URLs that users give (CalDAV servers, ICS feeds): calsync fetches them
// from inside the operator's network, so a URL must not reach loopback, private,
// link-local (cloud metadata at 169.254.169.254) or otherwise non-public addresses
// unless the operator allows it. Ranges follow the IANA special-purpose registries
// (RFC 6890 and its updates).
//
// `check` refuses a URL before any request, with a message that names the address.
// What a name resolves to may change between that check and the connection (DNS
// rebinding with a short TTL), so the connection itself resolves through
// `connectLookup`, which checks every address again and hands the socket only checked
// ones: pinned-fetch.ts gives it to undici's fetch as its dispatcher's lookup.
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { ConnectorError } from './connector.ts';
import { RequestFailure, requestFailureOf } from './request-failures.ts';

export type AddressKind =
  | 'unspecified' | 'loopback' | 'private' | 'shared' | 'link-local'
  | 'unique-local' | 'multicast' | 'reserved' | 'documentation';

/** Kinds that `allowPrivateNetworks` opens: where self-hosted servers live. */
const PRIVATE_NETWORK_KINDS = new Set<AddressKind>(['loopback', 'private', 'shared', 'unique-local']);

type Range = [bytes: number[], prefixBits: number, kind: AddressKind];

const IPV4_RANGES: Range[] = [
  [[0, 0, 0, 0], 8, 'unspecified'], // "this network"
  [[10, 0, 0, 0], 8, 'private'],
  [[100, 64, 0, 0], 10, 'shared'], // carrier-grade NAT, also Tailscale
  [[127, 0, 0, 0], 8, 'loopback'],
  [[169, 254, 0, 0], 16, 'link-local'], // cloud metadata services
  [[172, 16, 0, 0], 12, 'private'],
  [[192, 0, 0, 0], 24, 'reserved'], // IETF protocol assignments
  [[192, 0, 2, 0], 24, 'documentation'],
  [[192, 168, 0, 0], 16, 'private'],
  [[198, 18, 0, 0], 15, 'reserved'], // benchmarking
  [[198, 51, 100, 0], 24, 'documentation'],
  [[203, 0, 113, 0], 24, 'documentation'],
  [[224, 0, 0, 0], 4, 'multicast'],
  [[240, 0, 0, 0], 4, 'reserved'], // future use and 255.255.255.255 broadcast
];

const IPV6_RANGES: Range[] = [
  [[0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48, 'private'], // local-use NAT64 (RFC 8215)
  [[0x01, 0x00, 0, 0, 0, 0, 0, 0], 64, 'reserved'], // discard-only
  [[0x20, 0x01, 0x0d, 0xb8], 32, 'documentation'],
  [[0xfc], 7, 'unique-local'],
  [[0xfe, 0x80], 10, 'link-local'],
  [[0xfe, 0xc0], 10, 'private'], // deprecated site-local
  [[0xff], 8, 'multicast'],
];

function inRange(bytes: number[], [prefix, bits]: Range): boolean {
  for (let i = 0; i * 8 < bits; i++) {
    const mask = bits - i * 8 >= 8 ? 0xff : (0xff << (8 - (bits - i * 8))) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

function ipv4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

/** 16 bytes of an address that `isIP` accepted as IPv6 (zone id and dotted tail allowed). */
function ipv6Bytes(address: string): number[] {
  let text = address.replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = ipv4Bytes(dotted[1]!);
    text = `${text.slice(0, dotted.index)}${((a! << 8) | b!).toString(16)}:${((c! << 8) | d!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, null];
  const groups = (part: string | null | undefined) => (part ? part.split(':') : []);
  const fill = tail === null ? [] : new Array<string>(8 - groups(head).length - groups(tail).length).fill('0');
  return [...groups(head), ...fill, ...groups(tail)].flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

/** What kind of non-public address this is, or null for a public one. */
export function classifyAddress(address: string): AddressKind | null {
  const family = isIP(address.replace(/%.*$/, ''));
  if (family === 4) {
    const bytes = ipv4Bytes(address);
    return IPV4_RANGES.find((r) => inRange(bytes, r))?.[2] ?? null;
  }
  if (family !== 6) return 'reserved';
  const bytes = ipv6Bytes(address);
  const zeros = (n: number) => bytes.slice(0, n).every((b) => b === 0);
  if (zeros(16)) return 'unspecified';
  if (zeros(15) && bytes[15] === 1) return 'loopback';
  // IPv4 inside IPv6 reaches the IPv4 address: mapped ::ffff:0:0/96, deprecated
  // compatible ::/96, NAT64 64:ff9b::/96 (RFC 6052) and 6to4 2002::/16 (RFC 3056).
  const mapped = zeros(10) && bytes[10] === 0xff && bytes[11] === 0xff;
  const nat64 = inRange(bytes, [[0x00, 0x64, 0xff, 0x9b], 96, 'reserved']);
  if (mapped || zeros(12) || nat64) return classifyAddress(bytes.slice(12).join('.'));
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return classifyAddress(bytes.slice(2, 6).join('.'));
  return IPV6_RANGES.find((r) => inRange(bytes, r))?.[2] ?? null;
}

export interface LookupAddress {
  address: string;
  family: number;
}

export type Lookup = (hostname: string) => Promise<LookupAddress[]>;

export interface UrlGuardOptions {
  /** Allow loopback, private (RFC 1918), shared (CGNAT) and unique-local addresses. */
  allowPrivateNetworks?: boolean;
  /** Host names or IP literals allowed whatever they resolve to (link-local included). */
  allowedHosts?: readonly string[];
  /** Default: node:dns/promises lookup with `all: true`. */
  lookup?: Lookup;
}

export interface UrlGuard {
  /** The parsed URL when it may be fetched; else a `permanent` RequestFailure saying why not. */
  check(url: string | URL): Promise<URL>;
  /**
   * A `lookup` for net.connect and tls.connect: resolves the host, refuses it unless
   * every address passes (as `check` does), and gives the socket only those addresses.
   */
  connectLookup: LookupFunction;
}

const defaultLookup: Lookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** The URL without path, query or credentials: feed URLs often carry a secret in them. */
export function redactUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname === '/' && !url.search ? '/' : '/…'}`;
}

/** A URL from user input, or a `url-invalid` RequestFailure that says what is wrong with it. */
export function parseUserUrl(input: string | URL): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch (cause) {
    const shown = String(input).length > 80 ? `${String(input).slice(0, 80)}…` : String(input);
    throw new RequestFailure('permanent', 'url-invalid', `"${shown}" is not a valid URL`, { cause });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new RequestFailure('permanent', 'url-invalid', `${redactUrl(url)} is not an http or https URL`);
  }
  // The URL parser takes port 0 (and refuses 65536 and up); no server listens on it, and
  // net.connect refuses it with a RangeError of its own.
  if (url.port === '0') throw new RequestFailure('permanent', 'url-invalid', `${redactUrl(url)} names port 0, where no server listens`);
  return url;
}

export function createUrlGuard(options: UrlGuardOptions = {}): UrlGuard {
  const lookup = options.lookup ?? defaultLookup;
  const allowedHosts = new Set((options.allowedHosts ?? []).map((h) => h.toLowerCase().replace(/^\[(.*)\]$/, '$1')));
  const allowed = (kind: AddressKind) => options.allowPrivateNetworks === true && PRIVATE_NETWORK_KINDS.has(kind);

  /** Throws when one of the host's addresses may not be reached. */
  const refuseUnlessPublic = (host: string, addresses: string[], shown: string): void => {
    for (const address of addresses) {
      const kind = classifyAddress(address);
      if (kind === null || allowed(kind)) continue;
      const how = PRIVATE_NETWORK_KINDS.has(kind)
        ? 'set CALSYNC_ALLOW_PRIVATE_URLS=1 to allow'
        : `add ${host} to CALSYNC_ALLOWED_URL_HOSTS to allow`;
      const where = address === host ? '' : ` (${address})`;
      throw new RequestFailure('permanent', 'url-refused', `${shown} resolves to a ${kind} address${where}; ${how}`);
    }
  };

  const connectLookup: LookupFunction = (hostname, lookupOptions, callback) => {
    const host = hostname.toLowerCase();
    resolve(lookup, host, host).then((resolved) => {
      if (!allowedHosts.has(host)) refuseUnlessPublic(host, resolved.map((a) => a.address), host);
      const family = lookupOptions.family === 'IPv4' ? 4 : lookupOptions.family === 'IPv6' ? 6 : lookupOptions.family;
      const addresses = family === 4 || family === 6 ? resolved.filter((a) => a.family === family) : resolved;
      if (addresses.length === 0) throw new RequestFailure('permanent', 'host-unknown', `host ${host} has no IPv${family} address`);
      if (lookupOptions.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    }).catch((error: NodeJS.ErrnoException) => callback(error, ''));
  };

  return {
    async check(input) {
      const url = parseUserUrl(input);
      const shown = redactUrl(url);
      // WHATWG URL parsing already turned 2130706433, 0x7f.1 and friends into 127.0.0.1.
      const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
      if (allowedHosts.has(host)) return url;
      refuseUnlessPublic(host, isIP(host) ? [host] : (await resolve(lookup, host, shown)).map((a) => a.address), shown);
      return url;
    },
    connectLookup,
  };
}

async function resolve(lookup: Lookup, host: string, shown: string): Promise<LookupAddress[]> {
  try {
    const addresses = await lookup(host);
    if (addresses.length === 0) throw Object.assign(new Error(`no addresses for ${host}`), { code: 'ENODATA' });
    return addresses;
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    const message = `${shown}: host ${host} does not resolve (${String(code ?? cause)})`;
    // A name that does not exist stays that way; anything else (EAI_AGAIN, timeouts) may pass.
    if (code === 'ENOTFOUND' || code === 'ENODATA') throw new RequestFailure('permanent', 'host-unknown', message, { cause });
    throw new ConnectorError('transient', message, { cause });
  }
}

export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/**
 * `fetch` that checks every request URL with the guard and follows redirects itself,
 * checking each hop, at most five (fetch's own limit is 20 and checks nothing).
 * Credentials are dropped when a redirect leaves the origin, as fetch does. With
 * `redirect: 'manual'` a redirect is the answer, for callers that follow it themselves.
 * A refusal made while connecting (the guard's connectLookup) is thrown as it is, not
 * as fetch's "fetch failed".
 */
export function guardedFetch(fetch: FetchLike, guard: UrlGuard): FetchLike {
  const send = async (url: URL, request: RequestInit): Promise<Response> => {
    try {
      return await fetch(url, request);
    } catch (error) {
      throw requestFailureOf(error) ?? error;
    }
  };
  return async (input, init = {}) => {
    let url = await guard.check(input);
    const manual = init.redirect === 'manual';
    let request: RequestInit = { ...init, redirect: 'manual' };
    for (let hop = 0; ; hop++) {
      const response = await send(url, request);
      const location = response.headers.get('location');
      if (manual || !REDIRECTS.has(response.status) || location === null) return response;
      await response.body?.cancel();
      if (hop === MAX_REDIRECTS) throw new ConnectorError('permanent', `${redactUrl(url)} redirected more than ${MAX_REDIRECTS} times`);
      const next = await guard.check(new URL(location, url));
      request = redirectedRequest(request, response.status, url.origin !== next.origin);
      url = next;
    }
  };
}

/** The request to send to a redirect's Location, as fetch (WHATWG) makes it. */
export function redirectedRequest(request: RequestInit, status: number, crossOrigin: boolean): RequestInit {
  const method = (request.method ?? 'GET').toUpperCase();
  const toGet = status === 303 ? method !== 'HEAD' : (status === 301 || status === 302) && method === 'POST';
  const headers = new Headers(request.headers);
  if (crossOrigin) for (const name of ['authorization', 'cookie', 'proxy-authorization']) headers.delete(name);
  if (toGet) for (const name of ['content-type', 'content-length', 'content-encoding', 'content-language']) headers.delete(name);
  return { ...request, headers: Object.fromEntries(headers), ...(toGet ? { method: 'GET', body: null } : {}) };
}
