// The pure parts of the CalDAV connector: resources ⇄ items, member names, cursors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCursor, encodeCursor, etagDigest } from '../../src/connectors/caldav/cursor.ts';
import { hrefStamp, itemFromResource, lastModified, memberName, propertyStamp, renderResource, stampOf } from '../../src/connectors/caldav/map.ts';
import { isConnectorError } from '../../src/connectors/connector.ts';
import { contentHash } from '../../src/core/hash.ts';
import { single, weekly, instance } from '../helpers/events.ts';

const VTODO = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VTODO\r\nUID:t1\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Task\r\nEND:VTODO\r\nEND:VCALENDAR\r\n';

test('caldav map: a rendered series reads back as the same item with its stamp', () => {
  const series = weekly({ uid: 's' }, [instance('2026-03-09', { uid: 's', summary: 'Moved' })]);
  const text = renderResource(series, 'cs-s', '2026-03-01T10:00:00.123Z');
  assert.equal(stampOf(text, '/cal/cs-s.ics'), 'cs-s');
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
  assert.equal(stampOf('garbage', '/cal/3f2b8c1e-9d4a-4f6b-8e2c-1a5d7b9c0e3f.ics'), null);
  assert.equal(lastModified('yesterday'), null);
  assert.throws(() => renderResource(single({ status: 'bogus' as never }), null, '2026-03-01T10:00:00Z'), (e: unknown) => isConnectorError(e, 'permanent'));
});

test('caldav map: the href is the stamp of a calsync id; X-CALSYNC-ID only where the href cannot carry it', () => {
  const id = '3f2b8c1e-9d4a-4f6b-8e2c-1a5d7b9c0e3f';
  const href = `/cal/${memberName(id)}`;
  assert.equal(hrefStamp(href), id);
  assert.equal(propertyStamp(id, href), null);
  const text = renderResource(single({ uid: 'mine' }), propertyStamp(id, href), '2026-03-01T10:00:00Z');
  assert.doesNotMatch(text, /X-CALSYNC-ID/);
  assert.equal(stampOf(text, href), id);
  assert.equal(itemFromResource(href, '"1"', text, null).calsyncId, id);

  // Written before the href was the stamp: the line still counts, and one the href does not carry stays.
  const older = renderResource(single({ uid: 'old' }), id, '2026-03-01T10:00:00Z');
  assert.match(older, /X-CALSYNC-ID:3f2b8c1e/);
  assert.equal(stampOf(older, '/cal/elsewhere.ics'), id);
  assert.equal(propertyStamp(id, '/cal/elsewhere.ics'), id);

  // Other clients' members: no stamp unless named like calsync's (a lower-case UUID).
  for (const other of ['/cal/other-client.ics', '/cal/3F2B8C1E-9D4A-4F6B-8E2C-1A5D7B9C0E3F.ics', `/cal/${id}.ICS`, `/cal/${id}`, `/cal/${id}.ics/`]) {
    assert.equal(hrefStamp(other), null, other);
  }
  assert.equal(propertyStamp('cs-1', '/cal/cs-1.ics'), 'cs-1', 'an id that is no UUID is written as a line');
});

test('caldav map: a resource keeps no METHOD (RFC 4791 §4.1), and its other calendar properties', () => {
  const feed = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nCALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\nBEGIN:VEVENT\r\nUID:f\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260302T100000Z\r\nDTEND:20260302T110000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';
  const item = itemFromResource('/cal/f.ics', '"1"', feed, null);
  assert.ok(!item.deleted);
  const text = renderResource(item.series, null, '2026-03-01T10:00:00Z');
  assert.doesNotMatch(text, /METHOD/);
  assert.match(text, /\r\nCALSCALE:GREGORIAN\r\n/);
  assert.match(text, /\r\nDTSTAMP:20260101T000000Z\r\n/);
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
    assert.deepEqual(decodeCursor(encodeCursor({ kind: 'sync', token, probe: null })), { kind: 'sync', token, probe: null });
    assert.equal(encodeCursor({ kind: 'sync', token, probe: null }), `caldav-sync:${token}`, 'cursors without a probe read as before');
    const probe = { lastModified: 'Mon, 30 Nov 2026 05:44:48 GMT', seenAt: 1_800_000_000_000, checkedAt: 1_800_000_000_000, trusted: true };
    assert.deepEqual(decodeCursor(encodeCursor({ kind: 'sync', token, probe })), { kind: 'sync', token, probe });
  }
  for (const bad of [{ token: 1, probe: {} }, { token: 't', probe: { lastModified: 'x', seenAt: '1', checkedAt: 1, trusted: true } }]) {
    assert.equal(decodeCursor(`caldav-sync-probed:${Buffer.from(JSON.stringify(bad)).toString('base64url')}`), null);
  }
  const etags = new Map([['/cal/a.ics', etagDigest('"1"')], ['/cal/b.ics', etagDigest('"2"')]]);
  assert.deepEqual(decodeCursor(encodeCursor({ kind: 'etags', ctag: '"c"', etags })), { kind: 'etags', ctag: '"c"', etags });
  assert.notEqual(etagDigest('"1"'), etagDigest('"2"'));
  for (const other of ['m1:0:0', 'caldav-etags:!!!', `caldav-etags:${Buffer.from('{}').toString('base64url')}`, '']) assert.equal(decodeCursor(other), null, other);
});
