import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateSecretKeyText, parseSecretKey, Secrets } from '../../src/store/secrets.ts';

const keyA = parseSecretKey(generateSecretKeyText());
const keyB = parseSecretKey(generateSecretKeyText());

test('a sealed value opens with the same key and context, and is not the plaintext', () => {
  const secrets = new Secrets(keyA);
  const sealed = secrets.seal('refresh-token-123', 'account:1');
  assert.equal(sealed.includes(Buffer.from('refresh-token-123')), false);
  assert.equal(secrets.open(sealed, 'account:1').toString(), 'refresh-token-123');
});

test('sealing twice gives different ciphertexts (fresh IV)', () => {
  const secrets = new Secrets(keyA);
  assert.notDeepEqual(secrets.seal('x'), secrets.seal('x'));
});

test('a value moved to another row (other context) does not open', () => {
  const secrets = new Secrets(keyA);
  assert.throws(() => secrets.open(secrets.seal('x', 'account:1'), 'account:2'), { code: 'DECRYPT_FAILED' });
});

test('a tampered value does not open', () => {
  const secrets = new Secrets(keyA);
  const sealed = secrets.seal('x');
  sealed[sealed.length - 1] = sealed.at(-1)! ^ 1;
  assert.throws(() => secrets.open(sealed), { code: 'DECRYPT_FAILED' });
});

test('a value sealed with a previous key opens while that key is configured, and not after', () => {
  const old = new Secrets(keyA).seal('x');
  assert.equal(new Secrets(keyB, [keyA]).open(old).toString(), 'x');
  assert.throws(() => new Secrets(keyB).open(old), { code: 'DECRYPT_FAILED', message: new RegExp(keyA.id) });
});

test('keys are accepted as 64 hex characters or base64 of 32 bytes, and nothing else', () => {
  const hex = generateSecretKeyText();
  assert.equal(parseSecretKey(hex).key.length, 32);
  assert.deepEqual(parseSecretKey(Buffer.from(hex, 'hex').toString('base64')).key, Buffer.from(hex, 'hex'));
  assert.deepEqual(parseSecretKey(Buffer.from(hex, 'hex').toString('base64url')).key, Buffer.from(hex, 'hex'));
  for (const bad of ['', 'short', hex.slice(2), `${hex}00`, Buffer.alloc(16).toString('base64'), 'g'.repeat(64)]) {
    assert.throws(() => parseSecretKey(bad), { code: 'SECRET_KEY_INVALID' }, bad);
  }
});

test('garbage that is not a sealed value is refused clearly', () => {
  assert.throws(() => new Secrets(keyA).open(Buffer.from('plain text credentials')), { code: 'DECRYPT_FAILED' });
});
