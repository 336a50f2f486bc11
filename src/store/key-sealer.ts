import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CarinaError, ErrorCode } from '../core/errors.js';

/** How every sealed value begins (no LIKE wildcard in it: queries may match on it). */
export const SEALED_PREFIX = 'sealed:v1:';
const ALGORITHM = 'aes-256-gcm';

/** Encrypts private keys before they are stored, and decrypts them when read (AES-256-GCM). */
export interface KeySealer {
  seal(plaintext: string): string;
  /** The plaintext of a sealed value; a value stored before sealing existed is returned as it is. */
  open(stored: string, what: string): string;
}

/** True if `stored` was written by a sealer (and is not plaintext from before). */
export function isSealed(stored: string): boolean {
  return stored.startsWith(SEALED_PREFIX);
}

/**
 * A sealer over a 32-byte secret key: `sealed:v1:<iv>:<tag>:<ciphertext>` (base64url), a fresh
 * 96-bit IV per value; the tag makes a wrong key or an altered value fail instead of answer garbage.
 */
export function createKeySealer(key: Buffer): KeySealer {
  if (key.length !== 32) throw new CarinaError(ErrorCode.INTERNAL, `the secret key must be 32 bytes (got ${key.length})`);
  return {
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv(ALGORITHM, key, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return `${SEALED_PREFIX}${iv.toString('base64url')}:${cipher.getAuthTag().toString('base64url')}:${body.toString('base64url')}`;
    },
    open(stored, what) {
      if (!isSealed(stored)) return stored;
      const [iv = '', tag = '', body = ''] = stored.slice(SEALED_PREFIX.length).split(':');
      try {
        const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(iv, 'base64url'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      } catch (e) {
        throw new CarinaError(
          ErrorCode.INTERNAL,
          `cannot decrypt ${what}: the secret key (CARINA_SECRET_KEY_FILE) is not the one it was sealed with; restore that key file from your backup`,
          { cause: e },
        );
      }
    },
  };
}

/** Reads nothing and seals nothing: for a store opened without a secret key (tests, benchmarks). */
export const PLAINTEXT: KeySealer = {
  seal: (plaintext) => plaintext,
  open(stored, what) {
    if (isSealed(stored)) throw new CarinaError(ErrorCode.INTERNAL, `cannot decrypt ${what}: this store holds sealed keys; open it with its secret key (CARINA_SECRET_KEY_FILE)`);
    return stored;
  },
};
