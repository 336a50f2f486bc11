import { describe, expect, it } from 'vitest';
import type { SessionRepository, StoredSession } from '../../core/ports.js';
import { SessionStore } from './session-store.js';

/** The repository as a map (its SQL is covered by the store's contract suite). */
function memoryRepository() {
  const rows = new Map<string, StoredSession>();
  const bounds: number[] = [];
  const repository: SessionRepository = {
    create: (s, max) => {
      rows.set(s.idHash, s);
      bounds.push(max);
      return Promise.resolve();
    },
    get: (idHash) => Promise.resolve(rows.get(idHash)),
    delete: (idHash) => {
      rows.delete(idHash);
      return Promise.resolve();
    },
    deleteExpired: (now) => {
      let n = 0;
      for (const [k, s] of rows) if (s.expiresAt.getTime() <= now.getTime() && rows.delete(k)) n++;
      return Promise.resolve(n);
    },
  };
  return { rows, bounds, repository };
}

describe('SessionStore', () => {
  const clock = () => {
    let t = 1_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it('creates opaque sessions with their own CSRF token, found by the cookie value only, stored by its hash', async () => {
    const c = clock();
    const m = memoryRepository();
    const store = new SessionStore({ repository: m.repository, ttlMs: 1000, maxPerAccount: 10, now: c.now });
    const a = await store.create('acct', 'hash');
    const b = await store.create('acct', 'hash');
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.id).not.toBe(b.id);
    expect(a.session.csrfToken).not.toBe(b.session.csrfToken);
    expect(await store.get(a.id)).toMatchObject({ accountId: 'acct', keyHash: 'hash', expiresAt: 2000 });
    expect(await store.get('guess')).toBeUndefined();
    expect([...m.rows.keys()]).not.toContain(a.id); // the cookie value itself is never stored
    expect(m.bounds).toEqual([10, 10]);
  });

  it('forgets a session when it expires or is deleted, and clears expired ones at the next sign-in', async () => {
    const c = clock();
    const m = memoryRepository();
    const store = new SessionStore({ repository: m.repository, ttlMs: 1000, maxPerAccount: 10, now: c.now });
    const a = await store.create('acct', 'hash');
    const b = await store.create('acct', 'hash');
    await store.delete(b.id);
    expect(await store.get(b.id)).toBeUndefined();
    c.advance(999);
    expect(await store.get(a.id)).toBeDefined();
    c.advance(1);
    expect(await store.get(a.id)).toBeUndefined();
    expect(m.rows.size).toBe(0);
    await store.create('x', 'h');
    c.advance(5000);
    await store.create('y', 'h');
    expect([...m.rows.values()].map((s) => s.accountId)).toEqual(['y']);
  });
});
