import assert from 'node:assert/strict';
import { test } from 'node:test';
import { responseContentId } from '../../src/http/batch-google.ts';
import { boundaryOf, parseMultipart, splitHead, writeMultipart } from '../../src/http/batch-multipart.ts';

test('the boundary is read bare or quoted (Python quotes its ===…== boundaries)', () => {
  assert.equal(boundaryOf('multipart/mixed; boundary=batch_foobarbaz'), 'batch_foobarbaz');
  assert.equal(boundaryOf('multipart/mixed; boundary="===============7330845974216740156=="'), '===============7330845974216740156==');
  assert.equal(boundaryOf('Multipart/Mixed;charset=utf-8;BOUNDARY=x'), 'x');
  assert.equal(boundaryOf('multipart/mixed'), null);
  assert.equal(boundaryOf(undefined), null);
});

test('CRLF and bare-LF bodies read alike; preamble and epilogue are ignored; folded headers are joined', () => {
  const crlf = 'preamble\r\n--b\r\nContent-Type: application/http\r\nContent-ID:\r\n <a + 1>\r\n\r\nGET /x HTTP/1.1\r\n\r\n--b\r\nContent-Type: application/http\r\n\r\nPOST /y\r\n\r\n{"a": 1}\r\n--b--\r\nepilogue';
  for (const body of [crlf, crlf.replaceAll('\r\n', '\n')]) {
    const parts = parseMultipart(body, 'b');
    assert.equal(parts.length, 2);
    assert.deepEqual(parts[0]!.headers, { 'content-type': 'application/http', 'content-id': '<a + 1>' });
    assert.match(parts[0]!.body, /^GET \/x HTTP\/1\.1/);
    assert.match(parts[1]!.body, /^POST \/y\r?\n\r?\n\{"a": 1\}$/);
  }
});

test('a delimiter must be a whole line: the boundary inside a line is content', () => {
  const parts = parseMultipart('--b\r\nX: y\r\n\r\nsee --b in text\r\n--b--', 'b');
  assert.equal(parts[0]!.body, 'see --b in text');
});

test('what is written reads back, and response ids follow Google\'s <response-ID>', () => {
  const body = writeMultipart([{ headers: { 'Content-Type': 'application/http' }, body: 'HTTP/1.1 204 No Content\r\n\r\n' }], 'z');
  assert.equal(body, '--z\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n\r\n--z--\r\n');
  assert.equal(parseMultipart(body, 'z')[0]!.body, 'HTTP/1.1 204 No Content\r\n\r\n');
  assert.equal(responseContentId('<item1:12930812@barnyard.example.com>'), '<response-item1:12930812@barnyard.example.com>');
  assert.equal(responseContentId('<6d0f + 3>'), '<response-6d0f + 3>');
  assert.equal(responseContentId('plain'), 'response-plain');
});

test("a GET part as Google's batch guide lays it out (request line, empty line, delimiter) has no headers and no body", async () => {
  // developers.google.com/calendar/api/guides/batch: "GET /farm/v1/animals/pony" then an empty line before the next delimiter.
  const body = '--batch_foobarbaz\r\nContent-Type: application/http\r\nContent-ID: <item1>\r\n\r\nGET /farm/v1/animals/pony\r\n\r\n--batch_foobarbaz--\r\n';
  const [part] = parseMultipart(body, 'batch_foobarbaz');
  const { head, rest } = splitHead(part!.body);
  assert.deepEqual(head, ['GET /farm/v1/animals/pony']);
  assert.equal(rest, '');
});
