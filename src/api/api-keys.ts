import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));

// scrypt parameters: N=2^15, r=8, p=1 (~32 MiB, ~50–100 ms): slow enough to make a stolen database useless.
const N = 1 << 15;
const R = 8;
const P = 1;
const KEYLEN = 32;
const MAXMEM = 64 * 1024 * 1024;

/** A new API key. It names its account so a bearer key alone finds the row to verify against. */
export function generateApiKey(accountId: string): string {
  return `carina_${accountId}_${randomBytes(24).toString('base64url')}`;
}

/** An API key's shape (what generateApiKey makes): `carina_`, the account id, `_`, the secret (24 bytes, base64url). */
const KEY_ACCOUNT = '[a-f0-9]{12,32}';
const KEY_SECRET = '[A-Za-z0-9_-]{32}';
const WHOLE_KEY = new RegExp(`^carina_(${KEY_ACCOUNT})_${KEY_SECRET}$`);

/** API keys anywhere in a text; group 1 is the key up to its secret (`carina_<account id>_`), which names no secret. */
export const API_KEY_IN_TEXT = new RegExp(`\\b(carina_${KEY_ACCOUNT}_)${KEY_SECRET}`, 'g');

/** The account id an API key claims, if it has the right shape. */
export function accountIdOfKey(key: string): string | undefined {
  return WHOLE_KEY.exec(key)?.[1];
}

/** `scrypt$N$r$p$salt$hash` of a key. */
export async function hashApiKey(key: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(key, salt, KEYLEN, { N, r: R, p: P, maxmem: MAXMEM });
  return ['scrypt', N, R, P, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** Checks a key against a stored hash in constant time. */
export async function verifyApiKey(key: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(key, Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: MAXMEM });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A fast fingerprint of a key for the in-memory verification cache (never stored). */
export function keyFingerprint(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}
