import { describe, expect, it } from 'vitest';
import { accountIdOfKey, generateApiKey, hashApiKey, verifyApiKey } from './api-keys.js';

describe('API keys', () => {
  it('names the account and verifies only against its own hash', async () => {
    const key = generateApiKey('0123456789ab');
    expect(accountIdOfKey(key)).toBe('0123456789ab');
    const stored = await hashApiKey(key);
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(stored).not.toContain(key);
    expect(await verifyApiKey(key, stored)).toBe(true);
    expect(await verifyApiKey(generateApiKey('0123456789ab'), stored)).toBe(false);
    expect(await verifyApiKey(key, 'garbage')).toBe(false);
  });

  it('rejects keys of the wrong shape', () => {
    expect(accountIdOfKey('nope')).toBeUndefined();
    expect(accountIdOfKey('carina_XYZ_abc')).toBeUndefined();
  });

  it('salts: the same key hashes differently twice', async () => {
    const key = generateApiKey('0123456789ab');
    expect(await hashApiKey(key)).not.toBe(await hashApiKey(key));
  });
});
