// The Channel body of events.watch and channels.stop, checked as Google documents it
// (developers.google.com/calendar/api/guides/push): a channel id of at most 64
// characters from [A-Za-z0-9-_+/=], type web_hook (or webhook), an address, an optional
// token of at most 256 characters, and params.ttl in seconds (default 604800, one week).
// Unknown members are refused, so a typo never silently falls back to a default.
import { CalsyncError } from '../errors.ts';

/** Channels live at most 30 days; a longer ttl or later expiration is capped, as Google caps it. */
export const maxChannelSeconds = 30 * 86_400;
const defaultTtlSeconds = 604_800;

// Every member of Google's Channel resource. Output members (kind, resourceId,
// resourceUri) are accepted so a channel read back from a response can be sent again.
const channelMembers = new Set(['id', 'type', 'address', 'token', 'params', 'expiration', 'payload', 'kind', 'resourceId', 'resourceUri']);
const channelIdPattern = /^[A-Za-z0-9\-_+/=]{1,64}$/;
// The token is echoed in a header: printable ASCII only.
const tokenPattern = /^[\x20-\x7e]{1,256}$/;

export interface WatchRequest {
  id: string;
  address: string;
  token: string | null;
  params: Record<string, string>;
  expiresAt: Date;
}

function invalid(field: string, message: string): CalsyncError {
  return new CalsyncError('INVALID_REQUEST', message, { field });
}

function channelObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new CalsyncError('INVALID_REQUEST', 'the body must be a JSON object (a Channel resource)');
  const channel = body as Record<string, unknown>;
  const unknown = Object.keys(channel).find((key) => !channelMembers.has(key));
  if (unknown !== undefined) throw invalid(unknown, `Invalid value for field ${unknown}: not a member of a Channel`);
  return channel;
}

function requiredString(channel: Record<string, unknown>, field: string): string {
  const value = channel[field];
  if (value === undefined || value === null || value === '') throw invalid(field, `Required: ${field}`);
  if (typeof value !== 'string') throw invalid(field, `Invalid value for field ${field}: must be a string`);
  return value;
}

/** A whole number given as a JSON number or as a string of digits (Google's int64 members are strings). */
function wholeNumber(value: unknown): number | null {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value.trim())) return Number(value.trim());
  return null;
}

function readParams(value: unknown): { params: Record<string, string>; ttlSeconds: number | null } {
  if (value === undefined || value === null) return { params: {}, ttlSeconds: null };
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid('params', 'Invalid value for field params: must be an object');
  const params = value as Record<string, unknown>;
  const unknown = Object.keys(params).find((key) => key !== 'ttl');
  if (unknown !== undefined) throw invalid(`params.${unknown}`, `Invalid value for field params.${unknown}: the only channel parameter is ttl`);
  if (params.ttl === undefined) return { params: {}, ttlSeconds: null };
  const ttl = wholeNumber(params.ttl);
  if (ttl === null || ttl <= 0) throw invalid('params.ttl', `Invalid value for field params.ttl: ${JSON.stringify(params.ttl)} is not a positive number of seconds`);
  return { params: { ttl: String(ttl) }, ttlSeconds: ttl };
}

/** The channel an events.watch body asks for, with its expiration decided. */
export function readWatchRequest(body: unknown, now: Date): WatchRequest {
  const channel = channelObject(body);
  const id = channelId(channel);
  const type = requiredString(channel, 'type');
  if (type !== 'web_hook' && type !== 'webhook') throw invalid('type', `Invalid value for field type: ${type} (web_hook is the only channel type)`);
  const address = requiredString(channel, 'address');
  const token = channelToken(channel);
  if (channel.payload !== undefined && channel.payload !== false) throw invalid('payload', 'Invalid value for field payload: notifications carry no payload');
  if (channel.kind !== undefined && channel.kind !== 'api#channel') throw invalid('kind', 'Invalid value for field kind: must be api#channel');
  const { params, ttlSeconds } = readParams(channel.params);
  return { id, address, token, params, expiresAt: channelExpiry(ttlSeconds, channel.expiration, now) };
}

/** The earliest of: the ttl (default one week), the expiration asked for, 30 days. */
function channelExpiry(ttlSeconds: number | null, expiration: unknown, now: Date): Date {
  const nowMs = now.getTime();
  let expiresMs = nowMs + Math.min(ttlSeconds ?? defaultTtlSeconds, maxChannelSeconds) * 1000;
  if (expiration !== undefined && expiration !== null) {
    const asked = wholeNumber(expiration);
    if (asked === null) throw invalid('expiration', 'Invalid value for field expiration: milliseconds since the epoch, as a number or a string of digits');
    if (asked <= nowMs) throw invalid('expiration', 'Invalid value for field expiration: it lies in the past');
    if (ttlSeconds === null) expiresMs = Math.min(asked, nowMs + maxChannelSeconds * 1000);
    else expiresMs = Math.min(asked, expiresMs);
  }
  return new Date(expiresMs);
}

function channelId(channel: Record<string, unknown>): string {
  const id = requiredString(channel, 'id');
  if (!channelIdPattern.test(id)) throw invalid('id', 'Invalid channel id: at most 64 characters from A-Z, a-z, 0-9, -, _, +, / and =');
  return id;
}

function channelToken(channel: Record<string, unknown>): string | null {
  if (channel.token === undefined || channel.token === null || channel.token === '') return null;
  if (typeof channel.token !== 'string' || !tokenPattern.test(channel.token)) throw invalid('token', 'Invalid value for field token: at most 256 printable ASCII characters');
  return channel.token;
}

const bookingChannelMembers = new Set(['id', 'type', 'address', 'token', 'expiration', 'resourceId']);
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A booking channel's body (POST /admin/v1/bookings/watch): the same id, address, token
 * and expiration rules as a calendar's channel, `type` optional, and an optional
 * resourceId naming the one resource whose bookings it watches.
 */
export function readBookingWatchRequest(body: unknown, now: Date): { id: string; address: string; token: string | null; expiresAt: Date; resourceId: string | null } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new CalsyncError('INVALID_REQUEST', 'the body must be a JSON object ({id, address, token?, expiration?, resourceId?})');
  const channel = body as Record<string, unknown>;
  const unknown = Object.keys(channel).find((key) => !bookingChannelMembers.has(key));
  if (unknown !== undefined) throw invalid(unknown, `Invalid value for field ${unknown}: a booking channel has id, address, token, expiration and resourceId`);
  const id = channelId(channel);
  if (channel.type !== undefined && channel.type !== 'web_hook' && channel.type !== 'webhook') throw invalid('type', `Invalid value for field type: ${String(channel.type)} (web_hook is the only channel type)`);
  const address = requiredString(channel, 'address');
  const token = channelToken(channel);
  let resourceId: string | null = null;
  if (channel.resourceId !== undefined && channel.resourceId !== null) {
    if (typeof channel.resourceId !== 'string' || !uuidPattern.test(channel.resourceId)) throw invalid('resourceId', 'Invalid value for field resourceId: the id of a resource (a UUID)');
    resourceId = channel.resourceId.toLowerCase();
  }
  return { id, address, token, expiresAt: channelExpiry(null, channel.expiration, now), resourceId };
}

/** The channel channels.stop names: id and resourceId are both required, as on Google. */
export function readStopRequest(body: unknown): { id: string; resourceId: string } {
  const channel = channelObject(body);
  return { id: requiredString(channel, 'id'), resourceId: requiredString(channel, 'resourceId') };
}
