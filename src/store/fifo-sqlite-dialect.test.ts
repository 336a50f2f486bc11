import { describe, expect, it } from 'vitest';
import { openStore } from './open-store.js';
import { FifoLock } from './fifo-sqlite-dialect.js';

describe('FifoLock', () => {
  it('serves waiters one at a time in arrival order, each release waking only the next', async () => {
    const lock = new FifoLock();
    const order: number[] = [];
    await lock.acquire();
    const waiters = [1, 2, 3].map((i) => lock.acquire().then(() => order.push(i)));
    expect(lock.queued).toBe(3);
    lock.release();
    await Promise.resolve();
    await Promise.resolve();
    expect(order).toEqual([1]);
    expect(lock.queued).toBe(2);
    lock.release();
    lock.release();
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3]);
    lock.release();
    await lock.acquire(); // free again: taken at once
  });
});

describe('the SQLite store under many queries at once', () => {
  it('answers each of 5,000 concurrent reads, and a transaction queued among them, with the lock handed on in order', async () => {
    const store = await openStore({ url: 'sqlite::memory:' });
    try {
      const reads = Array.from({ length: 5_000 }, () => store.clusters.endpointsVersion());
      const account = store.accounts.create({ id: 'a0a0a0a0a0a0a0a0', name: 'ann', keyHash: 'h', quotaClusters: 1, quotaNodes: 1 });
      const versions = await Promise.all(reads);
      expect(new Set(versions).size).toBe(1);
      expect((await account).name).toBe('ann');
    } finally {
      await store.close();
    }
  });
});
