// Webhook signatures, Calendly style. calsync signs every watch notification so:
//   X-Calsync-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
// keyed with the channel's signing secret (its text, as returned by events.watch).
// The timestamp inside the signed text lets a receiver refuse replays older than its
// window; `v1` names the scheme so a later one can be sent alongside during a change.
// The same scheme is checked on what Calendly posts to inbound sources, beside a generic
// HMAC one (src/http/inbound-webhooks.ts).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const signatureHeader = 'X-Calsync-Signature';

export function signWebhook(secret: string, unixSeconds: number, body: string): string {
  const digest = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${digest}`;
}

/** Why a signature is refused; the route answers every one alike (401), the reason goes to the log. */
export type SignatureRefusal = 'missing' | 'malformed' | 'stale' | 'mismatch';

/** `expected` and `given` as bytes, compared in constant time (unequal lengths are refused first, which leaks only the length). */
function sameDigest(expected: Buffer, given: Buffer): boolean {
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Checks a Calendly-style header (`t=<unix seconds>,v1=<hex>`) against the raw body, as
 * Calendly documents it: HMAC-SHA256 keyed with the signing key over `<t>.<raw body>`,
 * hex (developer.calendly.com/docs/webhooks/overview, "Signature";
 * developer.calendly.com/api-docs/overview/webhooks/webhook-signatures). `t` further than
 * `toleranceSeconds` from now either way is a replay, or a clock too wrong to trust. Any
 * `v1` that matches passes, so a sender may send an old and a new one during a change.
 */
export function verifyTimestampedSignature(header: string, secret: string, body: Buffer, nowSeconds: number, toleranceSeconds: number): SignatureRefusal | null {
  if (header === '') return 'missing';
  let t: string | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    const key = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (key === 't') t = value;
    else if (key === 'v1') signatures.push(value);
  }
  if (t === null || !/^\d{1,12}$/.test(t) || signatures.length === 0) return 'malformed';
  if (Math.abs(nowSeconds - Number(t)) > toleranceSeconds) return 'stale';
  const expected = createHmac('sha256', secret).update(`${t}.`).update(body).digest();
  return signatures.some((s) => /^[0-9a-f]{64}$/i.test(s) && sameDigest(expected, Buffer.from(s, 'hex'))) ? null : 'mismatch';
}

export interface HmacScheme {
  /** The header carrying the digest, optionally prefixed `sha256=`. */
  signature: string;
  encoding: 'hex' | 'base64';
  /** With a timestamp: the header carrying unix seconds, and the signed text is `<t>.<raw body>`. */
  timestamp: { value: string; toleranceSeconds: number } | null;
}

/** Checks a generic HMAC-SHA256 signature of the raw body (or of `<t>.<raw body>` when the scheme has a timestamp header). */
export function verifyHmacSignature(scheme: HmacScheme, secret: string, body: Buffer, nowSeconds: number): SignatureRefusal | null {
  const given = scheme.signature.replace(/^sha256=/i, '');
  if (given === '') return 'missing';
  const hmac = createHmac('sha256', secret);
  if (scheme.timestamp) {
    const t = scheme.timestamp.value;
    if (t === '') return 'missing';
    if (!/^\d{1,12}$/.test(t)) return 'malformed';
    if (Math.abs(nowSeconds - Number(t)) > scheme.timestamp.toleranceSeconds) return 'stale';
    hmac.update(`${t}.`);
  }
  const expected = hmac.update(body).digest();
  const pattern = scheme.encoding === 'hex' ? /^[0-9a-f]{64}$/i : /^[A-Za-z0-9+/]{43}=$/;
  if (!pattern.test(given)) return 'malformed';
  return sameDigest(expected, Buffer.from(given, scheme.encoding)) ? null : 'mismatch';
}
