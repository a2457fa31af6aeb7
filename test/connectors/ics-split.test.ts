// A feed that does not parse as a whole, cut UID by UID (src/connectors/ics/split.ts):
// line breaks, folds and bytes as feeds write them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readParts } from '../../src/connectors/ics/map.ts';
import { splitFeed } from '../../src/connectors/ics/split.ts';

const encode = (text: string) => new TextEncoder().encode(text);
const event = (uid: string, start = '20260302T100000Z', extra: string[] = []) =>
  ['BEGIN:VEVENT', `UID:${uid}`, 'DTSTAMP:20260301T080000Z', `DTSTART:${start}`, 'DTEND:20260302T110000Z', ...extra, 'END:VEVENT'];

test('ics split: LF line breaks, a folded UID and a BOM; the bad VEVENT\'s line is the feed\'s', () => {
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', ...event('good@example.org'), 'BEGIN:VEVENT', 'UID:folded-', ' uid@example.org', 'DTSTAMP:20260301T080000Z', 'DTSTART:2026-03-02', 'END:VEVENT', 'END:VCALENDAR', ''];
  const read = readParts(splitFeed(encode(`\uFEFF${lines.join('\n')}`))!);
  assert.deepEqual(read.items.map((i) => i.remoteId), ['uid:good@example.org']);
  assert.deepEqual(read.unreadable.map((u) => u.remoteId), ['uid:folded-uid@example.org']);
  assert.match(read.unreadable[0]!.reason, new RegExp(`\\(at line ${lines.indexOf('DTSTART:2026-03-02') + 1}\\)$`));
});

test('ics split: bytes that are no UTF-8 break only their VEVENT; a VTIMEZONE without TZID breaks nothing', () => {
  const head = encode(['BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VTIMEZONE', 'X-NO-TZID:1', 'END:VTIMEZONE', ...event('a@example.org'), 'BEGIN:VEVENT', 'UID:b@example.org', 'SUMMARY:'].join('\r\n'));
  const tail = encode(['', 'DTSTAMP:20260301T080000Z', 'DTSTART:20260302T100000Z', 'END:VEVENT', ...event('c@example.org'), 'END:VCALENDAR', ''].join('\r\n'));
  const bytes = new Uint8Array([...head, 0xff, 0xfe, ...tail]);
  const read = readParts(splitFeed(bytes)!);
  assert.deepEqual(read.items.map((i) => i.remoteId), ['uid:a@example.org', 'uid:c@example.org']);
  assert.deepEqual(read.unreadable.map((u) => [u.remoteId, /not valid UTF-8/.test(u.reason)]), [['uid:b@example.org', true]]);
});

test('ics split: text outside VCALENDAR, or components that do not nest, cannot be cut', () => {
  assert.equal(splitFeed(encode('<html><body>Sign in</body></html>')), null);
  assert.equal(splitFeed(encode(['BEGIN:VCALENDAR', ...event('a').slice(0, -1), 'END:VCALENDAR'].join('\r\n'))), null);
  assert.equal(splitFeed(encode(['BEGIN:VCALENDAR', 'not a content line', ...event('a'), 'END:VCALENDAR'].join('\r\n'))), null);
  assert.equal(splitFeed(encode('')), null);
});
