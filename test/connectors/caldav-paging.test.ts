// A 5,000-event calendar is read page by page: the multistatus is parsed as it arrives
// and reading pauses between pages, so the server is held back by TCP instead of the
// whole calendar arriving in memory. A local server streams the events (10 KB each,
// 50 MB in all) and counts how many it could write.
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { createCalDavConnector } from '../../src/connectors/caldav/index.ts';
import { renderCalendar } from '../../src/core/ical/index.ts';
import { single } from '../helpers/events.ts';

const TOTAL = 5000;
const COLLECTION_STATE = `<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:response><d:href>/cal/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/><c:calendar/></d:resourcetype><d:sync-token>tok-1</d:sync-token><d:supported-report-set><d:supported-report><d:report><d:sync-collection/></d:report></d:supported-report></d:supported-report-set></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>`;

function member(i: number): string {
  const ics = renderCalendar(single({ uid: `e${i}`, description: 'x'.repeat(10_000) }), { dtstamp: '2026-01-01T00:00:00Z' });
  return `<d:response><d:href>/cal/e${i}.ics</d:href><d:propstat><d:prop><d:getetag>"e${i}"</d:getetag><c:calendar-data>${ics}</c:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`;
}

async function streamMembers(res: ServerResponse, progress: { written: number; closed: boolean }): Promise<void> {
  res.writeHead(207, { 'content-type': 'application/xml' });
  res.write('<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">');
  res.on('close', () => (progress.closed = true));
  for (let i = 0; i < TOTAL && !progress.closed; i++) {
    progress.written++;
    if (!res.write(member(i))) await new Promise((resolve) => res.once('drain', resolve).once('close', resolve));
  }
  if (!progress.closed) res.end('</d:multistatus>');
}

test('caldav paging: a 5,000-event listing holds one page of bodies, not the calendar', async (t) => {
  let writtenAfterTenPages = 0;
  const progress = { written: 0, closed: false };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'PROPFIND') res.writeHead(207, { 'content-type': 'application/xml' }).end(COLLECTION_STATE);
      else void streamMembers(res, progress);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const connector = createCalDavConnector({ serverUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, username: 'u', password: 'p', pageSize: 100 });
  try {
    const seen = new Set<string>();
    let page = await connector.listChanges('/cal/', null);
    for (let pages = 1; ; pages++) {
      assert.ok(page.items.length <= 100);
      for (const item of page.items) seen.add(item.remoteId);
      if (page.nextPageToken === null) break;
      if (pages === 10) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        writtenAfterTenPages = progress.written;
      }
      page = await connector.listChanges('/cal/', null, page.nextPageToken);
    }
    t.diagnostic(`server had written ${writtenAfterTenPages} of ${TOTAL} members when the reader paused after 1,000`);
    // Measured about 1,400: some 4 MB wait in loopback socket buffers, the rest on the server.
    assert.ok(writtenAfterTenPages < TOTAL / 2, 'the server was held back');
    assert.equal(seen.size, TOTAL);
    assert.equal(page.nextCursor, 'caldav-sync:tok-1');
  } finally {
    await connector.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
