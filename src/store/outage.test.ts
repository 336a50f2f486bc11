import { describe, expect, it } from 'vitest';
import { CarinaError, ErrorCode } from '../core/errors.js';
import type { Store } from '../core/ports.js';
import { guardStore, isStoreOutage } from './outage.js';

const driverError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('store outages', () => {
  it.each([
    ['PostgreSQL refused the connection', driverError('ECONNREFUSED')],
    ['PostgreSQL is shutting down (57P01)', driverError('57P01', 'terminating connection due to administrator command')],
    ['PostgreSQL connection exception (08006)', driverError('08006')],
    ['pg lost the connection', new Error('Connection terminated unexpectedly')],
    ['SQLite disk full', driverError('SQLITE_FULL', 'database or disk is full')],
    ['SQLite read-only file', driverError('SQLITE_READONLY_DBMOVED')],
    ['SQLite I/O error', driverError('SQLITE_IOERR_WRITE')],
    ['a transaction SQLite rolled back by itself (disk full)', driverError('SQLITE_ERROR', 'cannot rollback - no transaction is active')],
    ['wrapped in a cause', new Error('query failed', { cause: driverError('ECONNRESET') })],
  ])('%s is an outage', (_, err) => {
    expect(isStoreOutage(err)).toBe(true);
  });

  it.each([
    ['a unique violation', driverError('23505')],
    ['a foreign-key violation', driverError('SQLITE_CONSTRAINT_FOREIGNKEY')],
    ['a syntax error', driverError('42601')],
    ['a domain error', new CarinaError(ErrorCode.CLUSTER_EXISTS, 'exists')],
    ['not an error', 'ECONNREFUSED'],
  ])('%s is not', (_, err) => {
    expect(isStoreOutage(err)).toBe(false);
  });

  it('turns a repository call that hits an outage into STORE_UNAVAILABLE with a Retry-After, and lets other errors through', async () => {
    const exists = new CarinaError(ErrorCode.CLUSTER_EXISTS, 'exists');
    const outages: string[] = [];
    const store = guardStore({
      accounts: {
        findById: () => Promise.reject(driverError('ECONNREFUSED')),
        findByName: () => Promise.reject(exists),
        list: () => Promise.resolve([]),
      },
      close: () => Promise.resolve(),
    } as unknown as Store, (repository) => outages.push(repository));
    const refused = await store.accounts.findById('a').catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: ErrorCode.STORE_UNAVAILABLE, details: { retryAfterSeconds: 5 } });
    expect((refused as Error).message).toMatch(/nothing was changed: try again/);
    await expect(store.accounts.findByName('a')).rejects.toBe(exists);
    await expect(store.accounts.list()).resolves.toEqual([]);
    await expect(store.close()).resolves.toBeUndefined();
    expect(outages).toEqual(['accounts']); // the outage only: a refused query is no store error
  });
});
