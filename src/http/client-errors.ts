// Requests Node's HTTP parser cannot read (a request line and headers past its 16 KB, or
// bytes that are not HTTP) are answered before any route runs. Fastify's own answer has
// no `Connection: close` and then destroys the socket at once, so a keep-alive client
// sends its next request down a connection that is gone and reads ECONNRESET, and a
// socket destroyed with unread input resets before the answer is read. This answer says
// the connection closes, in calsync's error shape, and closes it only after the answer
// is written and what the client was still sending is read off.
import type { Socket } from 'node:net';
import { CalsyncError, errorCatalogue } from '../errors.ts';
import { errorBody } from './errors.ts';

/** How long the client's remaining input is read off before the socket goes regardless. */
const lingerMs = 2_000;

export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  // Answered once: the input read off below may trip the parser again.
  if (error.code === 'ECONNRESET' || socket.destroyed || socket.writableEnded) return;
  const failure = error.code === 'HPE_HEADER_OVERFLOW'
    ? new CalsyncError('HEADERS_TOO_LARGE', 'the request line and headers are longer than 16 KB')
    : new CalsyncError('INVALID_REQUEST', `the request is not readable HTTP (${error.code ?? error.message})`);
  const { status } = errorCatalogue[failure.code];
  const body = JSON.stringify(errorBody(failure));
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const reason = status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  socket.on('error', () => {});
  socket.resume();
  setTimeout(() => socket.destroy(), lingerMs).unref();
}
