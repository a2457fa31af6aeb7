// HTTP for ICS feeds: one conditional GET, the body read under a size limit and a
// deadline. `fetch` is injected and is expected to be guardedFetch (../http-guard.ts).
import type { FetchLike } from '../http-guard.ts';
import { requestError, responseError, tooLarge } from './errors.ts';

/** What the server said about its copy, sent back as If-None-Match / If-Modified-Since. */
export interface FeedValidators {
  etag: string | null;
  lastModified: string | null;
}

export type FeedResponse =
  | { modified: false }
  | { modified: true; body: Uint8Array; contentType: string | null; validators: FeedValidators };

export interface IcsClientOptions {
  fetch: FetchLike;
  maxBytes: number;
  timeoutMs: number;
  /** Milliseconds since the epoch, for Retry-After given as a date. */
  now: () => number;
}

export class IcsClient {
  constructor(private readonly options: IcsClientOptions) {}

  async get(url: string, feed: string, validators: FeedValidators | null): Promise<FeedResponse> {
    const { fetch, timeoutMs, now } = this.options;
    const headers: Record<string, string> = { accept: 'text/calendar, */*;q=0.5' };
    if (validators?.etag) headers['if-none-match'] = validators.etag;
    if (validators?.lastModified) headers['if-modified-since'] = validators.lastModified;
    try {
      // The deadline covers the body too: the same signal aborts a slow stream.
      const response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
      if (response.status === 304 && validators !== null) return { modified: false };
      if (response.status !== 200) {
        await response.body?.cancel();
        throw responseError(response, feed, now());
      }
      const body = await this.readBody(response, feed);
      return {
        modified: true,
        body,
        contentType: response.headers.get('content-type'),
        validators: { etag: response.headers.get('etag'), lastModified: response.headers.get('last-modified') },
      };
    } catch (error) {
      throw requestError(error, feed, timeoutMs);
    }
  }

  /** Stops reading at the limit instead of buffering an endless or huge body first. */
  private async readBody(response: Response, feed: string): Promise<Uint8Array> {
    const { maxBytes } = this.options;
    if (Number(response.headers.get('content-length')) > maxBytes) {
      await response.body?.cancel();
      throw tooLarge(feed, maxBytes);
    }
    if (response.body === null) return new Uint8Array();
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return Buffer.concat(chunks, size);
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw tooLarge(feed, maxBytes);
      }
      chunks.push(value);
    }
  }
}
