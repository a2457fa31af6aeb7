import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnectorError } from '../../src/connectors/connector.ts';
import { classifyGraphFailure, errorBodyOf, failureOf, retryAfterSeconds, type GraphOperation } from '../../src/connectors/microsoft/errors.ts';
import { graphFixture } from '../fixtures/microsoft/fixtures.ts';

const NOW = Date.parse('2026-03-02T10:00:00Z');

function classify(status: number | null, body: unknown, options: { operation?: GraphOperation; retryAfter?: string; token?: boolean } = {}): ConnectorError {
  return classifyGraphFailure(failureOf(
    { status, headers: options.retryAfter === undefined ? {} : { 'Retry-After': options.retryAfter }, body },
    { operation: options.operation ?? 'get', fromTokenEndpoint: options.token ?? false, remoteId: 'AAMk1', now: NOW },
  ));
}

const graphError = (code: string, message = 'm') => ({ error: { code, message } });

test('the throttling page\'s 429 is rate-limited, with its fractional Retry-After rounded up', () => {
  const answer = graphFixture('error_throttled_fractional_retry_after.json');
  const error = classifyGraphFailure(failureOf({ status: answer.status, headers: answer.headers, body: answer.body }, { operation: 'list', now: NOW }));
  assert.equal(error.kind, 'rate-limited');
  assert.equal(error.retryAfterSeconds, 3);
  assert.match(error.message, /HTTP 429 TooManyRequests: Please retry again later\./);
  assert.equal(errorBodyOf(answer.body).innerCode, '429');
});

test('an expired delta token is cursor-expired however its code is cased, and any 410 on a listing is too', () => {
  const answer = graphFixture('error_sync_state_not_found.json');
  assert.equal(classify(answer.status, answer.body, { operation: 'list' }).kind, 'cursor-expired');
  for (const code of ['syncStateNotFound', 'SyncStateNotFound', 'resyncRequired', 'ResyncRequired', 'resyncChangesApplyDifferences']) {
    assert.equal(classify(400, graphError(code), { operation: 'list' }).kind, 'cursor-expired', code);
  }
  assert.equal(classify(410, graphError('Gone'), { operation: 'list' }).kind, 'cursor-expired');
  assert.equal(classify(410, graphError('Gone'), { operation: 'get' }).kind, 'not-found');
});

test('a stale If-Match is precondition-failed', () => {
  const answer = graphFixture('error_precondition_failed.json');
  assert.equal(classify(answer.status, answer.body, { operation: 'update' }).kind, 'precondition-failed');
  assert.equal(classify(409, graphError('ErrorIrresolvableConflict'), { operation: 'update' }).kind, 'precondition-failed');
  assert.equal(classify(412, {}, { operation: 'delete' }).kind, 'precondition-failed');
});

test('a missing item is not-found', () => {
  assert.equal(classify(404, graphError('ErrorItemNotFound', 'The specified object was not found in the store.')).kind, 'not-found');
  assert.equal(classify(404, null).kind, 'not-found');
  assert.equal(classify(400, graphError('ErrorItemNotFound')).kind, 'not-found');
});

test('a rejected access token is auth-revoked', () => {
  assert.equal(classify(401, graphError('InvalidAuthenticationToken', 'Access token has expired or is not yet valid.')).kind, 'auth-revoked');
  assert.equal(classify(401, null).kind, 'auth-revoked');
});

test('token endpoint: a dead grant is auth-revoked, a busy endpoint transient', () => {
  const documented = graphFixture('token_error_response.json');
  // invalid_scope is calsync's own misconfiguration: retrying cannot mend it.
  assert.equal(classify(documented.status, documented.body, { token: true }).kind, 'auth-revoked');
  assert.deepEqual(errorBodyOf(documented.body).aadCodes, [70011]);
  for (const aadsts of [70000, 700082, 50173, 70008, 700084]) {
    const body = { error: 'invalid_grant', error_description: `AADSTS${aadsts}: The refresh token has expired.`, error_codes: [aadsts] };
    const error = classify(400, body, { token: true });
    assert.equal(error.kind, 'auth-revoked', String(aadsts));
    assert.match(error.message, /^token refresh: HTTP 400 invalid_grant: AADSTS/);
  }
  assert.equal(classify(400, { error: 'interaction_required', error_description: 'AADSTS50076: multi-factor authentication required' }, { token: true }).kind, 'auth-revoked');
  assert.equal(classify(503, { error: 'temporarily_unavailable', error_description: 'AADSTS50196: busy' }, { token: true }).kind, 'transient');
  assert.equal(classify(null, null, { token: true }).kind, 'transient');
});

test('throttles Outlook names differently are rate-limited too', () => {
  assert.equal(classify(429, graphError('ApplicationThrottled', 'Application is over its MailboxConcurrency limit.')).kind, 'rate-limited');
  assert.equal(classify(503, graphError('ApplicationThrottled', 'Application is over its MailboxConcurrency limit.')).kind, 'rate-limited');
  assert.equal(classify(429, graphError('MailboxConcurrency')).kind, 'rate-limited');
  assert.equal(classify(429, null).retryAfterSeconds, null);
});

test('503 and 504 are transient and keep their Retry-After; no answer is transient', () => {
  const busy = classify(503, graphError('serviceNotAvailable'), { retryAfter: '10' });
  assert.equal(busy.kind, 'transient');
  assert.equal(busy.retryAfterSeconds, 10);
  assert.equal(classify(504, null, { retryAfter: '0.5' }).retryAfterSeconds, 1);
  assert.equal(classify(500, null).kind, 'transient');
  const lost = classifyGraphFailure(failureOf({ status: null, error: new TypeError('fetch failed') }, { operation: 'list', now: NOW }));
  assert.equal(lost.kind, 'transient');
  assert.match(lost.message, /no answer: fetch failed/);
});

test('refusals are permanent', () => {
  assert.equal(classify(403, graphError('ErrorAccessDenied', 'Access is denied. Check credentials and try again.')).kind, 'permanent');
  assert.equal(classify(400, graphError('ErrorInvalidRequest')).kind, 'permanent');
  assert.equal(classify(400, graphError('BadRequest')).kind, 'permanent');
});

test('Retry-After: seconds with decimals, an HTTP date, or nothing', () => {
  assert.equal(retryAfterSeconds('2.128', NOW), 3);
  assert.equal(retryAfterSeconds('10', NOW), 10);
  assert.equal(retryAfterSeconds(new Date(NOW + 30_000).toUTCString(), NOW), 30);
  assert.equal(retryAfterSeconds('soon', NOW), null);
  assert.equal(retryAfterSeconds(null, NOW), null);
});

test('the error body is read in both spellings of innerError, and garbage reads as nothing', () => {
  assert.equal(errorBodyOf({ error: { code: 'x', innererror: { code: 'inner' } } }).innerCode, 'inner');
  assert.deepEqual(errorBodyOf('<html>Bad gateway</html>'), { code: null, innerCode: null, message: null, aadCodes: [] });
  assert.equal(classify(502, '<html>Bad gateway</html>').kind, 'transient');
});
