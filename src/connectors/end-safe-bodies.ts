// Keeps undici's HTTP/1 parser from pausing on the last bytes of a response whose
// connection ends with it. undici 6 and 7 (and the fetch built into Node 20) finish a
// paused parser when the server's FIN arrives with `assert(!this.paused)`, an
// AssertionError thrown from a socket event that no caller can catch: the process dies
// (nodejs/undici#5360; fixed in undici 8, which needs Node 22). A reader holding a body
// back makes the parser pause after the chunk in hand; a CalDAV listing does so between
// pages, and HTTP/1.0 servers such as Radicale's WSGIServer close every connection after
// the answer, so a `calsync worker` died whenever the last chunk of a Radicale listing
// arrived while its pass worked on a page.
//
// So the parser is told to pause only while the body's end is still ahead
// (Content-Length) or the connection stays open after it (chunked, no
// `Connection: close`); otherwise the chunk is handed on all the same and waits in the
// reader's stream buffer. What waits is that last chunk, or a close-delimited body that
// nobody can tell the end of; everything else is still held back by TCP.
import { DecoratorHandler, type Dispatcher } from 'undici';

function headerValue(rawHeaders: Array<Buffer | string>, name: string): string | null {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (String(rawHeaders[i]).toLowerCase() === name) return String(rawHeaders[i + 1]).toLowerCase();
  }
  return null;
}

class EndSafeHandler extends DecoratorHandler implements Dispatcher.DispatchHandlers {
  /** Body bytes still to come, where Content-Length says. */
  private remaining: number | null = null;
  /** Whether a pause can be left in place until the reader asks for more. */
  private mayPause = true;

  constructor(private readonly inner: Dispatcher.DispatchHandlers) {
    super(inner);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    const length = headerValue(rawHeaders, 'content-length')?.trim() ?? null;
    this.remaining = length !== null && /^\d+$/.test(length) ? Number(length) : null;
    const chunked = headerValue(rawHeaders, 'transfer-encoding')?.includes('chunked') ?? false;
    const closes = headerValue(rawHeaders, 'connection')?.includes('close') ?? false;
    this.mayPause = this.remaining !== null || (chunked && !closes);
    return this.inner.onHeaders?.(statusCode, rawHeaders, resume, statusText) ?? true;
  }

  onData(chunk: Buffer): boolean {
    const wantsMore = this.inner.onData?.(chunk) ?? true;
    if (this.remaining !== null) this.remaining -= chunk.length;
    const endAhead = this.remaining === null || this.remaining > 0;
    return wantsMore || !(this.mayPause && endAhead);
  }
}

/** A dispatcher interceptor (`agent.compose(endSafeBodies)`) applying the rule above to every request. */
export function endSafeBodies(dispatch: Dispatcher['dispatch']): Dispatcher['dispatch'] {
  return (options, handler) => dispatch(options, new EndSafeHandler(handler));
}
