// A server that closes the connection after each answer, as HTTP/1.0 servers do
// (Radicale's WSGIServer), while a listing waits between pages. The client's HTTP parser
// pauses while the listing holds its body back; when it took the last bytes of a body
// in hand while the server's FIN had come, undici ended the paused parser with an
// uncatchable assertion that killed the whole process (nodejs/undici#5360; a
// `calsync worker` died of it mid-pass on a Radicale listing of a few hundred events).
// Which listing sizes meet it depends on how the socket's reads fall: on loopback with
// events of about 2 KB, 117 members did every time; the test lists 105 to 130.
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCalDavConnector } from '../../src/connectors/caldav/index.ts';
import { createUrlGuard } from '../../src/connectors/http-guard.ts';
import { pinnedFetch } from '../../src/connectors/pinned-fetch.ts';

const sizes = { from: 105, to: 130 };
const COLLECTION_STATE = `<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:response><d:href>/cal/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/><c:calendar/></d:resourcetype><d:sync-token>tok-1</d:sync-token><d:supported-report-set><d:supported-report><d:report><d:sync-collection/></d:report></d:supported-report></d:supported-report-set></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>`;

function member(i: number): string {
  const ics = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', 'BEGIN:VEVENT', `UID:e${i}`, 'DTSTAMP:20260101T000000Z',
    'DTSTART:20260302T090000Z', 'DTEND:20260302T100000Z', `SUMMARY:${'x'.repeat(2_000)}`, 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
  return `<d:response><d:href>/cal/e${i}.ics</d:href><d:propstat><d:prop><d:getetag>"e${i}"</d:getetag><c:calendar-data>${ics}</c:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`;
}
const members = Array.from({ length: sizes.to }, (_, i) => member(i));

/** One request per connection, HTTP/1.0 style: a Content-Length, the whole body, then FIN. */
function answer(socket: Socket, size: number): void {
  let request = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    request = Buffer.concat([request, chunk]);
    const head = request.indexOf('\r\n\r\n');
    if (head < 0) return;
    const length = Number(/content-length: *(\d+)/i.exec(request.subarray(0, head).toString())?.[1] ?? 0);
    if (request.length < head + 4 + length) return;
    socket.removeAllListeners('data');
    const body = Buffer.from(request.toString().startsWith('PROPFIND') ? COLLECTION_STATE
      : `<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">${members.slice(0, size).join('')}</d:multistatus>`);
    socket.end(Buffer.concat([Buffer.from(`HTTP/1.0 207 Multi-Status\r\nContent-Type: application/xml\r\nContent-Length: ${body.length}\r\n\r\n`), body]));
  });
}

test('listings waiting between pages survive a server that has sent everything and closed', async () => {
  let size = 0;
  const server = createServer((socket) => answer(socket, size));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const connector = createCalDavConnector({
    serverUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, username: 'u', password: 'p', pageSize: 100,
    fetch: pinnedFetch(createUrlGuard({ allowPrivateNetworks: true })) as typeof fetch,
  });
  try {
    for (size = sizes.from; size <= sizes.to; size++) {
      const first = await connector.listChanges('/cal/', null);
      assert.equal(first.items.length, 100);
      // A pass applies a page before it asks for the next one.
      await sleep(20);
      const second = await connector.listChanges('/cal/', null, first.nextPageToken!);
      assert.equal(second.items.length, size - 100);
      assert.equal(second.nextCursor, 'caldav-sync:tok-1');
    }
  } finally {
    await connector.close();
    await new Promise((resolve) => server.close(resolve));
  }
});
