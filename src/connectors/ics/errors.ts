// Classifies what an ICS feed server answers into ConnectorError kinds, once, here.
// Messages name the feed by origin only: feed URLs often carry their secret in the path
// (Google's "secret address", Outlook's published calendars).
import { CoreError } from '../../core/errors.ts';
import { ConnectorError } from '../connector.ts';
import { redactUrl } from '../http-guard.ts';
import { networkFailure, RequestFailure } from '../request-failures.ts';

/** The feed as messages show it. */
export function describeFeed(url: string): string {
  try {
    return redactUrl(new URL(url));
  } catch {
    return 'the feed URL';
  }
}

/** Seconds from a Retry-After header: delta-seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterSeconds(value: string | null, now: number): number | null {
  if (value === null || value.trim() === '') return null;
  if (/^\s*\d+\s*$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

/** An answer other than 200 or 304. */
export function responseError(response: Response, feed: string, now: number): ConnectorError {
  const { status } = response;
  const retryAfter = retryAfterSeconds(response.headers.get('retry-after'), now);
  if (status === 401 || status === 403) {
    return new ConnectorError('auth-revoked', `${feed} refused access (${status}); the feed's secret address may have been reset`);
  }
  if (status === 404 || status === 410) {
    return new RequestFailure('permanent', 'feed-not-found', `${feed} does not exist (${status}); the feed was removed or its address changed`);
  }
  if (status === 429 || (status === 503 && retryAfter !== null)) {
    return new ConnectorError('rate-limited', `${feed} asks to slow down (${status})`, { retryAfterSeconds: retryAfter });
  }
  if (status === 408 || status >= 500) return new ConnectorError('transient', `${feed} failed with ${status}`);
  return new ConnectorError('permanent', `${feed} answered ${status}, not a calendar`);
}

/** A request that failed before an answer: timeout, refused connection, certificate, reset. */
export function requestError(error: unknown, feed: string, timeoutMs: number): ConnectorError {
  if (error instanceof ConnectorError) return error;
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new ConnectorError('transient', `${feed} did not answer within ${timeoutMs / 1000} s`, { cause: error });
  }
  return networkFailure(error, `${feed} could not be fetched`);
}

export function tooLarge(feed: string, maxBytes: number): ConnectorError {
  return new ConnectorError('permanent', `${feed} is larger than the ${formatBytes(maxBytes)} limit for ICS feeds`);
}

/** parseCalendar names the line; an HTML page (a login or error page served with 200) says so too. */
export function unreadableFeed(error: CoreError, feed: string, contentType: string | null): ConnectorError {
  const html = contentType?.toLowerCase().includes('html') ? ' (the server sent an HTML page)' : '';
  return new ConnectorError('permanent', `${feed} is not a valid iCalendar feed${html}: ${error.message}`, { cause: error });
}

function formatBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}
