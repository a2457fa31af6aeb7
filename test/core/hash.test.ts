import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoreError } from '../../src/core/errors.ts';
import { canonicalJson, contentHash } from '../../src/core/hash.ts';
import { event, instance, single, weekly } from '../helpers/events.ts';

test('canonical JSON sorts keys at every depth and drops undefined', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: undefined } }), '{"a":{"d":[1,{"e":3,"f":2}]},"b":1}');
});

test('canonical JSON rejects what has no canonical form', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  for (const bad of [{ n: Number.NaN }, cyclic, { f: () => 1 }]) {
    assert.throws(() => canonicalJson(bad), (e: unknown) => e instanceof CoreError && e.code === 'INVALID_INPUT');
  }
});

test('the hash is SHA-256 hex and stable', () => {
  const hash = contentHash(single());
  assert.match(hash, /^[0-9a-f]{64}$/);
  assert.equal(hash, contentHash(single()));
});

test('server rewrites keep the hash; edits change it', () => {
  const base = contentHash(single({ summary: 'Planning' }));
  assert.equal(contentHash(single({ summary: 'Planning ', sequence: 3, start: { local: '2026-03-02T10:00', tz: 'Europe/Berlin' } })), base);
  assert.notEqual(contentHash(single({ summary: 'Planning!' })), base);
  assert.notEqual(contentHash(single({ end: { local: '2026-03-02T11:30:00', tz: 'Europe/Berlin' } })), base);
});

test('an EXDATE and a bare cancelled override hash alike', () => {
  const a = weekly({ recurrence: { rrule: ['FREQ=WEEKLY;BYDAY=MO;COUNT=10'], rdate: [], exdate: ['2026-03-09T10:00:00'] } });
  const b = weekly({}, [instance('2026-03-09', { status: 'cancelled' })]);
  assert.equal(contentHash(a), contentHash(b));
  assert.notEqual(contentHash(a), contentHash(weekly()));
});

test('a lone event hashes by its own normal form', () => {
  assert.equal(contentHash(event({ summary: 'x ' })), contentHash(event({ summary: 'x' })));
  assert.notEqual(contentHash(event()), contentHash(single()));
});
