// The signature checks of inbound sources, on fixed inputs: Calendly's scheme
// (`t=<unix>,v1=<hex HMAC-SHA256 of "<t>." + raw body>`) and the generic HMAC one.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { signWebhook, verifyHmacSignature, verifyTimestampedSignature } from '../../src/core/webhook-signature.ts';

const key = 'test-signing-key';
const body = Buffer.from('{"event":"invitee.created"}');
const t = 1_772_352_000;

test('Calendly-style: the signature of "<t>.<body>" passes inside the window, and nothing else does', () => {
  const header = signWebhook(key, t, body.toString());
  const digest = createHmac('sha256', key).update(`${t}.${body}`).digest('hex');
  assert.equal(header, `t=${t},v1=${digest}`, 'the scheme Calendly documents');
  assert.equal(verifyTimestampedSignature(header, key, body, t + 180, 180), null);
  assert.equal(verifyTimestampedSignature(header, key, body, t - 180, 180), null);
  assert.equal(verifyTimestampedSignature(header, key, body, t + 181, 180), 'stale');
  assert.equal(verifyTimestampedSignature(header, key, body, t - 181, 180), 'stale');
  assert.equal(verifyTimestampedSignature(header, 'other-key', body, t, 180), 'mismatch');
  assert.equal(verifyTimestampedSignature(header, key, Buffer.from('{"event":"invitee.canceled"}'), t, 180), 'mismatch');
  // The timestamp is signed: moving it to look fresh breaks the signature.
  assert.equal(verifyTimestampedSignature(header.replace(`t=${t}`, `t=${t + 600}`), key, body, t + 600, 180), 'mismatch');
  assert.equal(verifyTimestampedSignature('', key, body, t, 180), 'missing');
  assert.equal(verifyTimestampedSignature(`v1=${digest}`, key, body, t, 180), 'malformed');
  assert.equal(verifyTimestampedSignature(`t=${t}`, key, body, t, 180), 'malformed');
  assert.equal(verifyTimestampedSignature(`t=${t},v1=zz`, key, body, t, 180), 'mismatch');
  // Several v1 (a key change under way): one that matches is enough.
  assert.equal(verifyTimestampedSignature(`t=${t},v1=${'0'.repeat(64)},v1=${digest}`, key, body, t, 180), null);
});

test('generic HMAC: hex or base64 of the body, or of "<t>.<body>" with a timestamp header', () => {
  const hex = createHmac('sha256', key).update(body).digest('hex');
  const plain = (signature: string) => verifyHmacSignature({ signature, encoding: 'hex', timestamp: null }, key, body, t);
  assert.equal(plain(hex), null);
  assert.equal(plain(`sha256=${hex}`), null);
  assert.equal(plain(hex.toUpperCase()), null);
  assert.equal(plain(''), 'missing');
  assert.equal(plain('abc'), 'malformed');
  assert.equal(plain(createHmac('sha256', 'other').update(body).digest('hex')), 'mismatch');
  const b64 = createHmac('sha256', key).update(`${t}.`).update(body).digest('base64');
  const timed = (signature: string, value: string, now = t) => verifyHmacSignature({ signature, encoding: 'base64', timestamp: { value, toleranceSeconds: 60 } }, key, body, now);
  assert.equal(timed(b64, String(t)), null);
  assert.equal(timed(b64, String(t), t + 61), 'stale');
  assert.equal(timed(b64, ''), 'missing');
  assert.equal(timed(b64, 'yesterday'), 'malformed');
  assert.equal(timed(b64, String(t + 1), t), 'mismatch');
  assert.equal(timed(createHmac('sha256', key).update(body).digest('base64'), String(t)), 'mismatch', 'the body alone is not what a timed scheme signs');
});
