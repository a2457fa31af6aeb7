// Credentials at rest: AES-256-GCM. A sealed value is
//   1 byte format (1) | 4 bytes key id | 12 bytes IV | 16 bytes tag | ciphertext
// The key id (first 4 bytes of SHA-256 of the key) lets values written with an older
// key still open while `calsync secrets rotate` re-encrypts them with the current one.
// The optional context (e.g. "account:<id>") is bound as additional authenticated data,
// so a sealed value copied into another row does not open there.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { CalsyncError } from '../errors.ts';
import type { Queryable } from './db.ts';

const format = 1;
const headerLength = 1 + 4 + 12 + 16;
const checkPlaintext = 'calsync secret key check';

export interface SecretKey {
  id: string;
  key: Buffer;
}

export function parseSecretKey(text: string, variable = 'CALSYNC_SECRET_KEY'): SecretKey {
  const trimmed = text.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) key = Buffer.from(trimmed, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) key = Buffer.from(trimmed, 'base64');
  if (key?.length !== 32) {
    throw new CalsyncError('SECRET_KEY_INVALID', `${variable} is not a 32-byte key (64 hex characters or base64)`, { variable });
  }
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 8), key };
}

export function generateSecretKeyText(): string {
  return randomBytes(32).toString('hex');
}

export class Secrets {
  readonly current: SecretKey;
  private readonly byId: Map<string, SecretKey>;

  constructor(current: SecretKey, previous: SecretKey[] = []) {
    this.current = current;
    this.byId = new Map([...previous, current].map((k) => [k.id, k]));
  }

  seal(plaintext: string | Buffer, context = ''): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([format]), Buffer.from(this.current.id, 'hex'), iv, cipher.getAuthTag(), body]);
  }

  open(sealed: Buffer, context = ''): Buffer {
    if (sealed.length < headerLength || sealed[0] !== format) {
      throw new CalsyncError('DECRYPT_FAILED', 'a stored secret is not in calsync\'s sealed format');
    }
    const keyId = sealed.subarray(1, 5).toString('hex');
    const key = this.byId.get(keyId);
    if (!key) throw new CalsyncError('DECRYPT_FAILED', `a stored secret was sealed with key ${keyId}, which is not configured`, { keyId });
    const decipher = createDecipheriv('aes-256-gcm', key.key, sealed.subarray(5, 17));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(sealed.subarray(17, headerLength));
    try {
      return Buffer.concat([decipher.update(sealed.subarray(headerLength)), decipher.final()]);
    } catch (cause) {
      throw new CalsyncError('DECRYPT_FAILED', `a stored secret did not authenticate with key ${keyId}`, { keyId }, { cause });
    }
  }

  /**
   * A 32-byte key for another use than sealing (e.g. signing tokens), derived with HKDF
   * from each configured key, the current one's first: what the current key's derived key
   * signed before a rotation still verifies with the previous one's.
   */
  derivedKeys(purpose: string): Buffer[] {
    const keys = [this.current, ...[...this.byId.values()].filter((k) => k.id !== this.current.id)];
    return keys.map((k) => Buffer.from(hkdfSync('sha256', k.key, Buffer.alloc(0), `calsync ${purpose}`, 32)));
  }

  keyIdOf(sealed: Buffer): string {
    return sealed.subarray(1, 5).toString('hex');
  }
}

// The database remembers which key it was encrypted with (a sealed constant), so a
// wrong CALSYNC_SECRET_KEY is caught at start instead of on the first credential read.
export async function verifySecretKey(db: Queryable, secrets: Secrets): Promise<void> {
  const { rows } = await db.query<{ value: { sealed: string } }>(`select value from settings where name = 'secret_key_check'`);
  const stored = rows[0];
  if (!stored) {
    await writeKeyCheck(db, secrets);
    return;
  }
  try {
    secrets.open(Buffer.from(stored.value.sealed, 'base64'), 'secret-key-check');
  } catch {
    throw new CalsyncError('SECRET_KEY_MISMATCH', `CALSYNC_SECRET_KEY (key ${secrets.current.id}) is not the key this database was encrypted with (key ${secrets.keyIdOf(Buffer.from(stored.value.sealed, 'base64'))})`);
  }
}

export async function writeKeyCheck(db: Queryable, secrets: Secrets): Promise<void> {
  const sealed = secrets.seal(checkPlaintext, 'secret-key-check').toString('base64');
  await db.query(
    `insert into settings (name, value) values ('secret_key_check', $1::jsonb)
     on conflict (name) do update set value = excluded.value, updated_at = now()`,
    [JSON.stringify({ sealed })]);
}
