// Pure parts of the Google connector: event ids derived from calsync ids, and failures
// classified into connector error kinds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isValidEventId } from '../../src/core/google/index.ts';
import { classifyFailure, retryAfterSeconds, type GoogleFailure } from '../../src/connectors/google/errors.ts';
import { calsyncIdOfEventId, eventIdOf } from '../../src/connectors/google/ids.ts';

test('event ids: valid for Google, a UUID as its hex digits, any other id reversible', () => {
  assert.equal(eventIdOf('0f8fad5b-d9cb-469f-a165-70867728950e'), '0f8fad5bd9cb469fa16570867728950e');
  assert.equal(calsyncIdOfEventId('0f8fad5bd9cb469fa16570867728950e'), '0f8fad5b-d9cb-469f-a165-70867728950e');
  fc.assert(fc.property(fc.oneof(fc.uuid(), fc.string({ minLength: 2, maxLength: 700 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 50 })), (calsyncId) => {
    const id = eventIdOf(calsyncId);
    assert.ok(isValidEventId(id), id);
    const back = calsyncIdOfEventId(id);
    if (back !== null) assert.equal(back, calsyncId);
    else assert.ok(id.startsWith('u'), 'only hashed ids lose the stamp');
  }), { numRuns: 500 });
  assert.equal(calsyncIdOfEventId('7cbh8rpc10lrc0ckih9tafss99'), null, 'an id Google chose');
});

const failure = (f: Partial<GoogleFailure>): GoogleFailure => ({
  status: 500, reason: null, message: 'm', retryAfter: null, operation: 'list', fromTokenEndpoint: false, now: Date.parse('2026-03-01T00:00:00Z'), ...f,
});

test('failures by status and reason', () => {
  const kind = (f: Partial<GoogleFailure>) => classifyFailure(failure(f)).kind;
  assert.equal(kind({ status: 503 }), 'transient');
  assert.equal(kind({ status: null }), 'transient');
  assert.equal(kind({ status: 401, reason: 'authError' }), 'auth-revoked');
  assert.equal(kind({ status: 400, reason: 'invalid_grant', fromTokenEndpoint: true }), 'auth-revoked');
  assert.equal(kind({ status: 503, fromTokenEndpoint: true }), 'transient');
  assert.equal(kind({ status: 410, reason: 'fullSyncRequired' }), 'cursor-expired');
  assert.equal(kind({ status: 410, reason: 'updatedMinTooLongAgo' }), 'cursor-expired');
  assert.equal(kind({ status: 410, reason: 'deleted', operation: 'delete' }), 'not-found');
  assert.equal(kind({ status: 412, reason: 'conditionNotMet', operation: 'update' }), 'precondition-failed');
  assert.equal(kind({ status: 403, reason: 'rateLimitExceeded' }), 'rate-limited');
  assert.equal(kind({ status: 403, reason: 'userRateLimitExceeded' }), 'rate-limited');
  assert.equal(kind({ status: 403, reason: 'forbidden', operation: 'update' }), 'permanent');
  assert.equal(kind({ status: 400, reason: 'invalid', operation: 'create' }), 'permanent');
  assert.equal(classifyFailure(failure({ status: 403, reason: 'quotaExceeded' })).retryAfterSeconds, 3600);
  assert.equal(classifyFailure(failure({ status: 429, retryAfter: '7' })).retryAfterSeconds, 7);
  assert.equal(retryAfterSeconds('2.128', 0), 3);
  assert.equal(retryAfterSeconds('Sun, 01 Mar 2026 00:00:30 GMT', Date.parse('2026-03-01T00:00:00Z')), 30);
});
