// The Graph webhook verifier against Microsoft's own examples (test/fixtures/microsoft,
// README.md there names each page): the validation request is echoed, change
// notifications ask for a pass, `reauthorizationRequired` and `subscriptionRemoved` for
// the subscription again, `missed` for a pass. The examples' clientState is their own
// placeholder; calsync's (`<calsync subscription id>.<secret>`) is put in its place.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { mock, test } from 'node:test';
import type { InboundRequest, Notification, WebhookReading } from '../../src/connectors/provider.ts';
import { clientStateOf, graphWebhook, readClientState } from '../../src/connectors/microsoft/webhook.ts';
import { secretDigest } from '../../src/core/secret-digest.ts';
import { graphFixture } from '../fixtures/microsoft/fixtures.ts';

const calsyncId = '7d4c1c8e-2f7e-4f0b-9a51-0c6a5f1e2b3d';
const secret = 'q8Jv2n0Yt1Xo4Wl7Zp5Rk3Hs6Df9Gb2Mc8Na0Ve1Ux4';
const clientState = clientStateOf(calsyncId, secret);

const request = (body: string | object, query: Record<string, string> = {}): InboundRequest => ({
  header: () => '',
  query,
  body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
});

/** A fixture with calsync's clientState in every entry instead of the example's. */
function withCalsyncState(name: string): { value: Array<Record<string, unknown>> } {
  const example = graphFixture(name);
  return { ...example, value: example.value.map((entry: Record<string, unknown>) => ({ ...entry, clientState })) };
}

const notificationsOf = (reading: WebhookReading): Notification[] => {
  assert.ok('notifications' in reading, `answered ${JSON.stringify(reading)}`);
  return reading.notifications;
};

const refusal = (reading: WebhookReading): { status: number; error: string } => {
  assert.ok('answer' in reading, `read as ${JSON.stringify(reading)}`);
  return { status: reading.answer.status, error: (reading.answer.body as { error: string }).error };
};

test('the validation request is answered 200 with the token as text/plain, and nothing is read from its body', () => {
  const example = graphFixture('subscription_validation_request.json');
  const token = new URL(example.url.replace('{notificationUrl}', 'calsync.example.org/webhooks/microsoft')).searchParams.get('validationToken')!;
  assert.equal(token, '{opaqueTokenCreatedByMicrosoftGraph}');
  const reading = graphWebhook.read(request(example.body, { validationToken: token }));
  assert.deepEqual(reading, { answer: { status: 200, contentType: 'text/plain; charset=utf-8', body: token } });

  // The token as the emulator and Graph's pages show it: words, a colon and spaces, decoded once by the route.
  const spoken = 'Validation: Testing client application reachability for subscription Request-Id: 0f7a4b1e';
  assert.deepEqual(graphWebhook.read(request('', { validationToken: spoken })), { answer: { status: 200, contentType: 'text/plain; charset=utf-8', body: spoken } });
});

test('a validation token longer than any of Graph\'s is refused', () => {
  const longest = 'x'.repeat(4096);
  assert.deepEqual(graphWebhook.read(request('', { validationToken: longest })), { answer: { status: 200, contentType: 'text/plain; charset=utf-8', body: longest } });
  const long = graphWebhook.read(request('', { validationToken: 'x'.repeat(4097) }));
  assert.equal(refusal(long).status, 400);
  assert.match(refusal(long).error, /too long/);
});

test('the documented change notification asks for a pass of the subscription its clientState names', () => {
  assert.deepEqual(notificationsOf(graphWebhook.read(request(withCalsyncState('change_notification.json')))), [
    { subscriptionId: calsyncId, secret, resourceId: '{subscription_guid}', kind: 'changed' },
  ]);
});

test('reauthorizationRequired and subscriptionRemoved ask for the subscription again; missed asks for a pass', () => {
  assert.deepEqual(notificationsOf(graphWebhook.read(request(withCalsyncState('lifecycle_reauthorization_required.json')))), [
    { subscriptionId: calsyncId, secret, resourceId: 'e3898f08-5cd0-4a6a-80fc-6addbfb73b7b', kind: 'resubscribe' },
  ]);
  assert.deepEqual(notificationsOf(graphWebhook.read(request(withCalsyncState('lifecycle_subscription_removed.json')))), [
    { subscriptionId: calsyncId, secret, resourceId: '<subscription_guid>', kind: 'resubscribe' },
  ]);
  assert.deepEqual(notificationsOf(graphWebhook.read(request(withCalsyncState('lifecycle_missed.json')))), [
    { subscriptionId: calsyncId, secret, resourceId: '<subscription_guid>', kind: 'changed' },
  ]);
});

test('a batch ("each with a possibly different lifecycleEvent") is read entry by entry, in order', () => {
  const other = clientStateOf('0b9e8f52-3a11-4c67-8d2e-5f4a3b2c1d0e', 'another-secret');
  const value = [
    ...withCalsyncState('lifecycle_missed.json').value,
    { ...withCalsyncState('change_notification.json').value[0], clientState: other },
    ...withCalsyncState('lifecycle_subscription_removed.json').value,
  ];
  assert.deepEqual(notificationsOf(graphWebhook.read(request({ value }))).map((n) => [n.subscriptionId, n.secret, n.kind]), [
    [calsyncId, secret, 'changed'],
    ['0b9e8f52-3a11-4c67-8d2e-5f4a3b2c1d0e', 'another-secret', 'changed'],
    [calsyncId, secret, 'resubscribe'],
  ]);
});

test('a lifecycle event Graph may add later is taken as a change: a pass is never wrong', () => {
  const value = [{ ...withCalsyncState('lifecycle_missed.json').value[0], lifecycleEvent: 'somethingNew' }];
  assert.deepEqual(notificationsOf(graphWebhook.read(request({ value }))).map((n) => n.kind), ['changed']);
});

test('requests that are no notification of a calsync subscription are refused with 400, whole', () => {
  const cases: Array<[string, string | object, RegExp]> = [
    ['not JSON', '{"value": [', /not JSON/],
    ['empty body', '', /not JSON/],
    ['JSON null', 'null', /no "value" array/],
    ['no value', { notifications: [] }, /no "value" array/],
    ['value not an array', { value: { subscriptionId: calsyncId, clientState } }, /no "value" array/],
    ['empty value', { value: [] }, /no "value" array/],
    // The examples as printed: their clientState placeholders are no calsync subscription's.
    ['the change example\'s own clientState', graphFixture('change_notification.json'), /clientState of calsync's shape/],
    ['the reauthorization example\'s own clientState', graphFixture('lifecycle_reauthorization_required.json'), /clientState of calsync's shape/],
    ['no clientState', { value: [{ ...withCalsyncState('lifecycle_missed.json').value[0], clientState: undefined }] }, /clientState/],
    ['clientState not a string', { value: [{ ...withCalsyncState('lifecycle_missed.json').value[0], clientState: 42 }] }, /clientState/],
    ['clientState without an id', { value: [{ ...withCalsyncState('lifecycle_missed.json').value[0], clientState: `.${secret}` }] }, /clientState/],
    ['clientState without a secret', { value: [{ ...withCalsyncState('lifecycle_missed.json').value[0], clientState: `${calsyncId}.` }] }, /clientState/],
    ['no subscriptionId', { value: [{ ...withCalsyncState('lifecycle_missed.json').value[0], subscriptionId: undefined }] }, /subscriptionId/],
    ['a subscriptionId with a NUL', { value: [{ ...withCalsyncState('lifecycle_missed.json').value[0], subscriptionId: 'a\u0000b' }] }, /subscriptionId/],
    ['a clientState with a NUL in its id', { value: [{ ...withCalsyncState('lifecycle_missed.json').value[0], clientState: `\u0000x.${secret}` }] }, /clientState/],
    ['an entry that is not an object', { value: [...withCalsyncState('lifecycle_missed.json').value, 'missed'] }, /clientState/],
  ];
  for (const [what, body, error] of cases) {
    const answer = refusal(graphWebhook.read(request(body)));
    assert.equal(answer.status, 400, what);
    assert.match(answer.error, error, what);
  }
});

test('clientState is calsync\'s subscription id (a UUID) and a base64url secret, or nothing of calsync\'s', () => {
  assert.deepEqual(readClientState(`${calsyncId.toUpperCase()}.${secret}`), { subscriptionId: calsyncId, secret });
  assert.equal(readClientState(`${calsyncId}.a.b`), null, 'calsync\'s secrets hold no dot');
  assert.equal(readClientState(`\u0000x.${secret}`), null, 'a NUL, which Postgres could not look up');
  assert.equal(readClientState(`not-a-uuid.${secret}`), null);
  assert.equal(readClientState(`${calsyncId}.${'a'.repeat(129)}`), null);
  assert.equal(readClientState('no-dot-at-all'), null);
  assert.equal(readClientState(null), null);
  // Graph takes clientState of at most 128 characters (resources/subscription); calsync's is well under.
  assert.ok(clientState.length <= 128, `${clientState.length} characters`);
});

test('authentic compares the secret\'s SHA-256 with the stored digest, with timingSafeEqual', () => {
  const [notification] = notificationsOf(graphWebhook.read(request(withCalsyncState('lifecycle_missed.json'))));
  const stored = { secretHash: secretDigest(secret) };
  assert.equal(graphWebhook.authentic(notification!, stored), true);
  assert.equal(graphWebhook.authentic({ ...notification!, secret: `${secret.slice(0, -1)}x` }, stored), false, 'one character off');
  assert.equal(graphWebhook.authentic({ ...notification!, secret: secret.repeat(3) }, stored), false, 'another length');
  assert.equal(graphWebhook.authentic({ ...notification!, secret: '' }, stored), false);
  assert.equal(graphWebhook.authentic({ ...notification!, secret: stored.secretHash }, stored), false, 'the digest itself is no secret');
  assert.equal(graphWebhook.authentic(notification!, { secretHash: 'not hex' }), false, 'a malformed digest matches nothing');
  assert.equal(graphWebhook.authentic(notification!, { secretHash: '' }), false);

  // Constant time: two 32-byte digests through crypto.timingSafeEqual, whatever the secret's length.
  const compared = mock.method(crypto, 'timingSafeEqual');
  syncBuiltinESMExports();
  try {
    graphWebhook.authentic({ ...notification!, secret: 'short' }, stored);
    graphWebhook.authentic(notification!, stored);
  } finally {
    compared.mock.restore();
    syncBuiltinESMExports();
  }
  assert.equal(compared.mock.callCount(), 2);
  for (const call of compared.mock.calls) assert.deepEqual(call.arguments.map((b) => (b as Buffer).length), [32, 32]);
  assert.deepEqual(compared.mock.calls.map((c) => c.result), [false, true]);
});
