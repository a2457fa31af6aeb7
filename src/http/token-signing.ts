// The tokens calsync hands out (sync tokens, and the page tokens of the app API and the
// operator routes) are signed, so a token an app forged, edited or truncated is refused
// before any of its fields is read: no field of one can be out of range. A token is
//   base64url(JSON payload) "." base64url(HMAC-SHA256(kind "\n" payload))[0..16 bytes]
// with a key derived from calsync's secret key (Secrets.derivedKeys): no new secret to
// configure, and a rotation keeps tokens signed with the previous key valid while that
// key is configured. 128 bits of tag is what an online forger would have to guess; the
// kind names the route or token type, so a token of one listing means nothing at another.
// node:crypto does the HMAC; the format is this small because nothing else reads it.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Secrets } from '../store/secrets.ts';

const tagBytes = 16;

export class TokenSigner {
  private readonly keys: Buffer[];

  /** `keys`: the signing key first, then keys whose tokens still verify. */
  constructor(keys: Buffer[]) {
    if (keys.length === 0) throw new Error('a token signer needs a key');
    this.keys = keys;
  }

  static fromSecrets(secrets: Secrets): TokenSigner {
    return new TokenSigner(secrets.derivedKeys('api token signing'));
  }

  sign(kind: string, payload: unknown): string {
    const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    return `${body}.${this.tag(this.keys[0]!, kind, body).toString('base64url')}`;
  }

  /** The payload of a token this signer (or one with a configured previous key) made for `kind`; null for anything else. */
  open(kind: string, token: string): unknown {
    const dot = token.indexOf('.');
    if (dot <= 0) return null;
    const body = token.slice(0, dot);
    const tag = Buffer.from(token.slice(dot + 1), 'base64url');
    if (tag.length !== tagBytes || !this.keys.some((key) => timingSafeEqual(tag, this.tag(key, kind, body)))) return null;
    try {
      return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown;
    } catch {
      return null;
    }
  }

  private tag(key: Buffer, kind: string, body: string): Buffer {
    return createHmac('sha256', key).update(`${kind}\n${body}`).digest().subarray(0, tagBytes);
  }
}
