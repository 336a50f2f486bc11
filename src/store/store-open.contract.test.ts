import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../core/errors.js';
import { openStore, parseStoreUrl } from './open-store.js';
import { describeStoreContract, rawQuery } from './test-support/store-contract.js';

// Opening a store: its URL, and the schema brought up to date (or refused) on both databases.
describeStoreContract('Store contract: opening a database', (h) => {
  const { account } = h;

  it('runs migrations idempotently when the same database is opened again', async () => {
    await account('persisted');
    const second = await openStore({ url: h.url });
    expect((await second.accounts.findByName('persisted'))?.id).toBe('acc-persisted');
    await second.close();
    await h.store.close();
    h.store = await openStore({ url: h.url });
    expect((await h.store.accounts.list()).map((a) => a.name)).toEqual(['persisted']);
  });

  it('refuses a database a newer Carina migrated, naming the migrations it does not know, and leaves it as it was', async () => {
    await h.store.close();
    await rawQuery(h.url, 'INSERT INTO kysely_migration (name, timestamp) VALUES ($1, $2)', ['9999_from_the_future', new Date().toISOString()]);
    const before = await rawQuery(h.url, 'SELECT name FROM kysely_migration ORDER BY name');
    const opened = openStore({ url: h.url });
    await expect(opened).rejects.toThrow(/newer version of Carina \(it has migration 9999_from_the_future, .*\): run that version/);
    await expect(opened).rejects.toMatchObject({ code: ErrorCode.INTERNAL });
    expect(await rawQuery(h.url, 'SELECT name FROM kysely_migration ORDER BY name')).toEqual(before);
    await rawQuery(h.url, 'DELETE FROM kysely_migration WHERE name = $1', ['9999_from_the_future']);
    h.store = await openStore({ url: h.url }); // the harness closes it after the test
  });
});

describe('parseStoreUrl', () => {
  it('recognizes sqlite files, memory and postgres urls', () => {
    expect(parseStoreUrl('sqlite:/var/lib/carina.db')).toEqual({ dialect: 'sqlite', path: '/var/lib/carina.db' });
    expect(parseStoreUrl('sqlite:///var/lib/carina.db')).toEqual({ dialect: 'sqlite', path: '/var/lib/carina.db' });
    expect(parseStoreUrl('sqlite::memory:')).toEqual({ dialect: 'sqlite', path: ':memory:' });
    expect(parseStoreUrl('postgresql://u:p@h/db')).toEqual({ dialect: 'postgres', connectionString: 'postgresql://u:p@h/db' });
    expect(parseStoreUrl('postgres://h/db').dialect).toBe('postgres');
  });

  it('refuses anything else without echoing a password', () => {
    expect(() => parseStoreUrl('mysql://u:secret@h/db')).toThrow(/unsupported store url "mysql:\/\/\*\*\*@h\/db"/);
    expect(() => parseStoreUrl('sqlite:')).toThrow(/unsupported store url/);
  });

  it('opens an in-memory store', async () => {
    const store = await openStore({ url: 'sqlite::memory:' });
    await store.accounts.create({ id: 'x', name: 'x', keyHash: 'h', quotaClusters: 1, quotaNodes: 1 });
    expect(await store.accounts.list()).toHaveLength(1);
    await store.close();
    await store.close();
  });
});
