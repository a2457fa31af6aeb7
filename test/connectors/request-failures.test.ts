import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnectorError } from '../../src/connectors/connector.ts';
import { networkFailure, RequestFailure, requestFailureOf, type RequestFailureReason } from '../../src/connectors/request-failures.ts';
import { asCalsyncError } from '../../src/engine/provider-errors.ts';
import { CalsyncError, errorCatalogue } from '../../src/errors.ts';

/** What fetch throws: "fetch failed", with the socket's error as its cause. */
const fetchFailed = (cause: Error & { code?: string; reason?: string }) => new TypeError('fetch failed', { cause });
const coded = (message: string, code: string, extra: object = {}) => Object.assign(new Error(message), { code, ...extra });

test('network failures: a refused connection and a certificate get their reason; others stay plain transient', () => {
  const refused = networkFailure(fetchFailed(coded('connect ECONNREFUSED 127.0.0.1:9', 'ECONNREFUSED')), 'CalDAV read https://dav.example/');
  assert.equal(requestFailureOf(refused)?.reason, 'connection-refused');
  assert.equal(refused.kind, 'transient');
  assert.equal(refused.message, 'CalDAV read https://dav.example/: connection refused (nothing listens on that host and port)');

  for (const [code, message] of [['CERT_HAS_EXPIRED', 'certificate has expired'], ['DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'], ['ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"], ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate']]) {
    const failure = networkFailure(fetchFailed(coded(message!, code!)), 'feed');
    assert.equal(requestFailureOf(failure)?.reason, 'tls', code);
    assert.equal(failure.message, `feed: the TLS connection failed (${code}: ${message})`);
  }
  const openssl = networkFailure(fetchFailed(coded('8020:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../ssl3_record.c:350:\n', 'ERR_SSL_WRONG_VERSION_NUMBER', { reason: 'wrong version number' })), 'feed');
  assert.equal(openssl.message, 'feed: the TLS connection failed (ERR_SSL_WRONG_VERSION_NUMBER: wrong version number)', 'one line, OpenSSL\'s reason');

  const reset = networkFailure(fetchFailed(coded('read ECONNRESET', 'ECONNRESET')), 'feed');
  assert.equal(requestFailureOf(reset), null);
  assert.equal(reset.kind, 'transient');
  assert.equal(reset.message, 'feed: read ECONNRESET');
  assert.equal(networkFailure(fetchFailed(new Error('bad port')), 'feed').message, 'feed: bad port');
  const passed = new ConnectorError('permanent', 'already classified');
  assert.equal(networkFailure(passed, 'feed'), passed);
});

test('provider errors: every reason has its own code, with the message kept', () => {
  const reasons: Record<RequestFailureReason, string> = {
    'url-invalid': 'PROVIDER_URL_INVALID', 'url-refused': 'PROVIDER_URL_REFUSED', 'host-unknown': 'PROVIDER_HOST_UNKNOWN',
    'connection-refused': 'PROVIDER_CONNECTION_REFUSED', tls: 'PROVIDER_TLS_FAILED', 'not-caldav': 'NOT_A_CALDAV_SERVER',
    'feed-not-found': 'FEED_NOT_FOUND', 'origin-refused': 'CALDAV_ORIGIN_REFUSED',
  };
  for (const [reason, code] of Object.entries(reasons)) {
    assert.ok(code in errorCatalogue, code);
    const mapped = asCalsyncError(new RequestFailure('permanent', reason as RequestFailureReason, `what happened (${reason})`));
    assert.ok(mapped instanceof CalsyncError);
    assert.equal(mapped.code, code);
    assert.equal(mapped.message, `what happened (${reason})`);
  }
  // Found as the cause too (fetch wraps what its connection threw).
  const wrapped = asCalsyncError(new TypeError('fetch failed', { cause: new RequestFailure('permanent', 'url-refused', 'x resolves to a loopback address') }));
  assert.equal((wrapped as CalsyncError).code, 'PROVIDER_URL_REFUSED');
  assert.equal((asCalsyncError(new ConnectorError('transient', 'HTTP 503')) as CalsyncError).code, 'PROVIDER_UNAVAILABLE');
});
