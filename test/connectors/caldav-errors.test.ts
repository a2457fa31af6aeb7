// CalDAV error classification on bodies servers really send (test/fixtures/caldav,
// captured from Radicale 3.1.8 and Xandikos 0.2.8 unless the file says otherwise).
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { ConnectorErrorKind } from '../../src/connectors/connector.ts';
import { classifyResponse, classifyThrown, garbage, retryAfterSeconds, type DavFailure } from '../../src/connectors/caldav/errors.ts';
import { readResponse } from '../../src/connectors/caldav/client.ts';
import { CALDAV, DAV, XmlError, descendant, parseXml, streamMultistatus } from '../../src/connectors/caldav/xml.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/caldav/${name}`, import.meta.url), 'utf8');
const NOW = Date.parse('2026-03-01T12:00:00Z');

function kind(status: number, body: string, extra: Partial<DavFailure> = {}): ConnectorErrorKind {
  return classifyResponse({ status, retryAfter: null, body, operation: 'read', url: 'http://dav.example/cal/', now: NOW, ...extra }).kind;
}

test('caldav errors: an invalid sync token is cursor-expired whatever the status and prefix', () => {
  assert.equal(kind(403, fixture('radicale_invalid_sync_token_403.xml')), 'cursor-expired');
  assert.equal(kind(412, fixture('prefixed_valid_sync_token_412.xml')), 'cursor-expired');
  assert.equal(kind(207, fixture('prefixed_valid_sync_token_412.xml')), 'cursor-expired');
  assert.equal(kind(403, fixture('sabre_shaped_invalid_sync_token_403.xml')), 'cursor-expired');
});

test('caldav errors: a valid-sync-token look-alike outside the DAV: namespace is not a cursor error', () => {
  assert.equal(kind(403, '<error xmlns="urn:example:not-dav"><valid-sync-token/></error>'), 'auth-revoked');
  assert.equal(kind(403, '<D:error xmlns:D="DAV:"><x:valid-sync-token xmlns:x="urn:example"/></D:error>'), 'auth-revoked');
});

test('caldav errors: Xandikos 0.2.8 answers an unknown token with a bare 500, which alone is transient', () => {
  // listing.ts turns it into cursor-expired after the server reads its own current token.
  assert.equal(kind(500, fixture('xandikos_0.2.8_unknown_sync_token_500.txt')), 'transient');
});

test('caldav errors: writes refused by a precondition', () => {
  assert.equal(kind(412, fixture('radicale_put_if_match_412.txt'), { operation: 'update' }), 'precondition-failed');
  assert.equal(kind(412, '', { operation: 'delete' }), 'precondition-failed');
  // The same UID at another href: a pull matches it by UID, then the write is an update.
  assert.equal(kind(409, fixture('radicale_put_uid_elsewhere_409.xml'), { operation: 'create' }), 'precondition-failed');
  assert.equal(kind(207, fixture('xandikos_put_uid_elsewhere_207.xml'), { operation: 'create' }), 'precondition-failed');
  // Content the server will never take: retrying or merging does not help.
  assert.equal(kind(207, fixture('xandikos_put_invalid_calendar_207.xml'), { operation: 'create' }), 'permanent');
  assert.equal(kind(400, fixture('radicale_put_invalid_calendar_400.txt'), { operation: 'create' }), 'permanent');
});

test('caldav errors: auth, missing resources, rate limits and server failures', () => {
  assert.equal(kind(401, 'Unauthorized'), 'auth-revoked');
  assert.equal(kind(403, ''), 'auth-revoked');
  assert.equal(kind(403, '<d:error xmlns:d="DAV:"><d:need-privileges/></d:error>'), 'auth-revoked');
  assert.equal(kind(403, '<d:error xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><c:max-resource-size/></d:error>'), 'permanent');
  assert.equal(kind(404, 'Path /user/calendars/cal1/missing.ics not found.', { operation: 'update' }), 'not-found');
  assert.equal(kind(410, ''), 'not-found');
  assert.equal(kind(207, fixture('xandikos_propfind_missing_collection_207.xml')), 'not-found');
  assert.equal(kind(500, '<html>oops</html>'), 'transient');
  assert.equal(kind(502, ''), 'transient');
  assert.equal(kind(503, ''), 'transient');
  assert.equal(kind(408, ''), 'transient');
  assert.equal(kind(415, ''), 'permanent');

  const limited = classifyResponse({ status: 429, retryAfter: '120', body: '', operation: 'read', url: 'u', now: NOW });
  assert.equal(limited.kind, 'rate-limited');
  assert.equal(limited.retryAfterSeconds, 120);
  const busy = classifyResponse({ status: 503, retryAfter: 'Sun, 01 Mar 2026 12:01:30 GMT', body: '', operation: 'update', url: 'u', now: NOW, remoteId: '/cal/a.ics' });
  assert.equal(busy.kind, 'rate-limited');
  assert.equal(busy.retryAfterSeconds, 90);
  assert.equal(busy.remoteId, '/cal/a.ics');
  assert.equal(classifyResponse({ status: 429, retryAfter: null, body: '', operation: 'read', url: 'u', now: NOW }).retryAfterSeconds, null);
});

test('caldav errors: Retry-After as seconds, as a date, in the past, or unreadable', () => {
  assert.equal(retryAfterSeconds('30', NOW), 30);
  assert.equal(retryAfterSeconds('Sun, 01 Mar 2026 12:00:10 GMT', NOW), 10);
  assert.equal(retryAfterSeconds('Sun, 01 Mar 2026 11:00:00 GMT', NOW), 0);
  assert.equal(retryAfterSeconds('soon', NOW), null);
  assert.equal(retryAfterSeconds(null, NOW), null);
});

test('caldav errors: network failures and garbage are transient', () => {
  assert.equal(classifyThrown(new TypeError('fetch failed'), 'read', 'u').kind, 'transient');
  assert.equal(garbage('read', 'u', 'not XML').kind, 'transient');
});

test('caldav xml: Xandikos lists supported reports without the DAV:report wrapper', () => {
  const root = parseXml(fixture('xandikos_supported_reports_without_report_wrapper.xml'));
  const [response] = root.children;
  const read = readResponse(response!, new URL('http://127.0.0.1/'));
  assert.equal(read.path, '/user/calendars/cal1/');
  assert.ok(descendant(read.props.get(`{${DAV}}supported-report-set`), DAV, 'sync-collection'));
  assert.ok(descendant(read.props.get(`{${DAV}}resourcetype`), CALDAV, 'calendar'));
  assert.equal(read.props.get(`{${DAV}}sync-token`)?.text, 'ac3c3ad113103cd1f93bc0c096bafd426aebbe0c');
});

test('caldav xml: a multistatus streams its responses, the sync-token found before or after them', async () => {
  async function read(text: string, chunk = 7) {
    const bytes = new TextEncoder().encode(text);
    const body = (async function* () {
      for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
    })();
    const stream = streamMultistatus(body);
    const hrefs: string[] = [];
    for (;;) {
      const next = await stream.next();
      if (next.done) return { hrefs, token: next.value.syncToken };
      hrefs.push(next.value.children[0]!.text);
    }
  }
  const radicale = `<?xml version='1.0' encoding='utf-8'?>\n<multistatus xmlns="DAV:"><sync-token>http://radicale.org/ns/sync/ab</sync-token><response><href>/a.ics</href></response><response><href>/b%C3%A9.ics</href></response></multistatus>`;
  assert.deepEqual(await read(radicale), { hrefs: ['/a.ics', '/b%C3%A9.ics'], token: 'http://radicale.org/ns/sync/ab' });
  const xandikos = '<ns0:multistatus xmlns:ns0="DAV:"><ns0:response><ns0:href>/é.ics</ns0:href></ns0:response><ns0:sync-token>ac3c</ns0:sync-token></ns0:multistatus>';
  // One byte at a time splits the UTF-8 sequence of "é": the decoder joins it again.
  assert.deepEqual(await read(xandikos, 1), { hrefs: ['/é.ics'], token: 'ac3c' });
  await assert.rejects(read('<error xmlns="DAV:"><valid-sync-token/></error>'), /expected a DAV:multistatus/);
  await assert.rejects(read('<d:multistatus xmlns:d="DAV:"><d:response>'), XmlError);
  await assert.rejects(read(''), /empty body/);
});

test('caldav xml: a streamed response is let go once handed on, so a long listing is not held in memory', async () => {
  // A regression: every response stayed attached to the multistatus root until the
  // listing ended (about 1.5 KB of parsed elements per item, 75 MB at 50,000).
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const response = (i: number) => `<response><href>/cal/${i}.ics</href><propstat><prop><getetag>"${i}"</getetag></prop></propstat></response>`;
  const body = (async function* () {
    yield new TextEncoder().encode(`<multistatus xmlns="DAV:">${response(0)}`);
    for (let i = 1; i < 50; i++) yield new TextEncoder().encode(response(i));
    yield new TextEncoder().encode('</multistatus>');
  })();
  const stream = streamMultistatus(body);
  const firstRef = await (async () => {
    const first = await stream.next();
    assert.ok(!first.done);
    return new WeakRef(first.value);
  })();
  for (let n = 1; ; n++) {
    const next = await stream.next();
    if (next.done) break;
    if (n === 25) {
      await new Promise((resolve) => setImmediate(resolve));
      gc();
      assert.equal(firstRef.deref(), undefined, 'the first response is collected while the listing goes on');
    }
  }
});
