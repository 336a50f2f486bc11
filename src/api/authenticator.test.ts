import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../core/ports.js';
import { openStore } from '../store/open-store.js';
import { generateApiKey, hashApiKey } from './api-keys.js';
import { ACCOUNT_RECHECK_MS, Authenticator } from './authenticator.js';

// A verified key costs no query while its account was read within ACCOUNT_RECHECK_MS; past that
// bound a rotated key or a deleted account is refused.
describe('Authenticator', () => {
  const id = 'aa11bb22cc33dd44';
  let store: Store;
  let reads = 0;
  let time = 1_000_000;
  let auth: Authenticator;
  let key = '';

  beforeEach(async () => {
    store = await openStore({ url: 'sqlite::memory:' });
    key = generateApiKey(id);
    await store.accounts.create({ id, name: 'ada', keyHash: await hashApiKey(key), quotaClusters: 1, quotaNodes: 1 });
    const counted: Store = { ...store, accounts: { ...store.accounts, findById: (x) => (reads++, store.accounts.findById(x)) } };
    auth = new Authenticator(counted, () => time);
    reads = 0;
  });
  afterEach(() => store.close());

  it('answers a verified key from memory within the bound, and reads the account again after it', async () => {
    expect((await auth.authenticate(`Bearer ${key}`)).name).toBe('ada');
    expect(reads).toBe(1);
    for (let i = 0; i < 5; i++) expect((await auth.authenticate(`Bearer ${key}`)).id).toBe(id);
    expect((await auth.authenticate(`Basic ${Buffer.from(`ada:${key}`).toString('base64')}`)).id).toBe(id);
    expect(reads).toBe(1);
    await expect(auth.authenticate(`Basic ${Buffer.from(`eve:${key}`).toString('base64')}`)).rejects.toMatchObject({ code: 'CARINA_ERR_UNAUTHORIZED' });
    time += ACCOUNT_RECHECK_MS;
    await auth.authenticate(`Bearer ${key}`);
    expect(reads).toBe(3);
  });

  it('refuses a rotated key and a deleted account once the bound has passed', async () => {
    await auth.authenticate(`Bearer ${key}`);
    const fresh = generateApiKey(id);
    await store.accounts.updateKeyHash(id, await hashApiKey(fresh));
    time += ACCOUNT_RECHECK_MS - 1;
    await expect(auth.authenticate(`Bearer ${key}`)).resolves.toMatchObject({ id }); // within the documented bound
    time += 1;
    await expect(auth.authenticate(`Bearer ${key}`)).rejects.toMatchObject({ code: 'CARINA_ERR_UNAUTHORIZED' });
    expect((await auth.authenticate(`Bearer ${fresh}`)).id).toBe(id);
    await store.accounts.delete(id);
    time += ACCOUNT_RECHECK_MS;
    await expect(auth.authenticate(`Bearer ${fresh}`)).rejects.toMatchObject({ code: 'CARINA_ERR_UNAUTHORIZED' });
  });

  it('never answers a wrong key from memory', async () => {
    await auth.authenticate(`Bearer ${key}`);
    const wrong = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    await expect(auth.authenticate(`Bearer ${wrong}`)).rejects.toMatchObject({ code: 'CARINA_ERR_UNAUTHORIZED' });
  });
});
