// The pure parts of the CalDAV connector: resources ⇄ items, member names, cursors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCursor, encodeCursor, etagDigest } from '../../src/connectors/caldav/cursor.ts';
import { itemFromResource, lastModified, memberName, renderResource, stampOf } from '../../src/connectors/caldav/map.ts';
import { isConnectorError } from '../../src/connectors/connector.ts';
import { contentHash } from '../../src/core/hash.ts';
import { single, weekly, instance } from '../helpers/events.ts';

const VTODO = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VTODO\r\nUID:t1\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Task\r\nEND:VTODO\r\nEND:VCALENDAR\r\n';

test('caldav map: a rendered series reads back as the same item with its stamp', () => {
  const series = weekly({ uid: 's' }, [instance('2026-03-09', { uid: 's', summary: 'Moved' })]);
  const text = renderResource(series, 'cs-s', '2026-03-01T10:00:00.123Z');
  assert.equal(stampOf(text), 'cs-s');
  const item = itemFromResource('/cal/cs-s.ics', '"1"', text, lastModified('Sun, 01 Mar 2026 10:00:00 GMT'));
  assert.ok(!item.deleted);
  assert.equal(contentHash(item.series), contentHash(series));
  assert.equal(item.calsyncId, 'cs-s');
  assert.equal(item.updatedAt, '2026-03-01T10:00:00.000Z');
});

test('caldav map: no VEVENT reads as deleted; several UIDs or broken text are permanent, naming the href', () => {
  assert.equal(itemFromResource('/cal/t1.ics', '"1"', VTODO, null).deleted, true);
  const vevent = (uid: string) => `BEGIN:VEVENT\r\nUID:${uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260302T100000Z\r\nDTEND:20260302T110000Z\r\nEND:VEVENT\r\n`;
  const two = `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\n${vevent('a')}${vevent('b')}END:VCALENDAR\r\n`;
  assert.throws(() => itemFromResource('/cal/two.ics', '"1"', two, null), (e: unknown) => isConnectorError(e, 'permanent') && e.remoteId === '/cal/two.ics');
  assert.throws(() => itemFromResource('/cal/bad.ics', '"1"', 'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n', null), (e: unknown) => isConnectorError(e, 'permanent') && e.remoteId === '/cal/bad.ics');
  assert.equal(stampOf('garbage'), null);
  assert.equal(lastModified('yesterday'), null);
  assert.throws(() => renderResource(single({ status: 'bogus' as never }), null, '2026-03-01T10:00:00Z'), (e: unknown) => isConnectorError(e, 'permanent'));
});

test('caldav map: member names are deterministic and URL-safe', () => {
  assert.equal(memberName('cs-1_A'), 'cs-1_A.ics');
  const hashed = memberName('evt/ä b@c');
  assert.match(hashed, /^calsync-[A-Za-z0-9_-]{43}\.ics$/);
  assert.equal(memberName('evt/ä b@c'), hashed);
  assert.notEqual(memberName('evt/ä b@d'), hashed);
  assert.match(memberName('x'.repeat(121)), /^calsync-/);
});

test('caldav cursors: sync-tokens come back exactly; etag cursors round-trip; others are unknown', () => {
  for (const token of ['http://radicale.org/ns/sync/ab12', 'ac3c3ad1', '123e4', ' spaced ']) {
    assert.deepEqual(decodeCursor(encodeCursor({ kind: 'sync', token })), { kind: 'sync', token });
  }
  const etags = new Map([['/cal/a.ics', etagDigest('"1"')], ['/cal/b.ics', etagDigest('"2"')]]);
  assert.deepEqual(decodeCursor(encodeCursor({ kind: 'etags', ctag: '"c"', etags })), { kind: 'etags', ctag: '"c"', etags });
  assert.notEqual(etagDigest('"1"'), etagDigest('"2"'));
  for (const other of ['m1:0:0', 'caldav-etags:!!!', `caldav-etags:${Buffer.from('{}').toString('base64url')}`, '']) assert.equal(decodeCursor(other), null, other);
});
