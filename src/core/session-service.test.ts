import { describe, expect, it } from 'vitest';
import type { SessionRepository, StoredSession } from './ports.js';
import { SessionService } from './session-service.js';
import type { Account } from './types.js';

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

const account = (id: string, keyHash = 'hash'): Account => ({ id, name: `name-${id}`, keyHash, quotaClusters: 3, quotaNodes: 5, registryQuotaBytes: null, createdAt: new Date(0) });

/** A service over a memory repository, a clock that moves only when told, and the accounts given. */
function harness(accounts: Account[] = [account('acct')]) {
  let t = 1_000;
  const known = new Map(accounts.map((a) => [a.id, a]));
  const m = memoryRepository();
  const sessions = new SessionService({
    repository: m.repository,
    accounts: { findById: (id) => Promise.resolve(known.get(id)) },
    ttlMs: 1000,
    maxPerAccount: 10,
    now: () => t,
  });
  return { sessions, known, ...m, advance: (ms: number) => (t += ms) };
}

describe('SessionService', () => {
  it('creates opaque sessions with their own CSRF token, found by the cookie value only, stored by its hash', async () => {
    const h = harness();
    const a = await h.sessions.signIn(account('acct'));
    const b = await h.sessions.signIn(account('acct'));
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.id).not.toBe(b.id);
    expect(a.session.csrfToken).not.toBe(b.session.csrfToken);
    expect((await h.sessions.live(a.id))?.session).toMatchObject({ accountId: 'acct', keyHash: 'hash', expiresAt: 2000 });
    expect(await h.sessions.live('guess')).toBeUndefined();
    expect([...h.rows.keys()]).not.toContain(a.id); // the cookie value itself is never stored
    expect(h.bounds).toEqual([10, 10]);
  });

  it('forgets a session when it expires or is signed out, and clears expired ones at the next sign-in', async () => {
    const h = harness([account('acct'), account('x'), account('y')]);
    const a = await h.sessions.signIn(account('acct'));
    const b = await h.sessions.signIn(account('acct'));
    await h.sessions.signOut(b.id);
    expect(await h.sessions.live(b.id)).toBeUndefined();
    h.advance(999);
    expect(await h.sessions.live(a.id)).toBeDefined();
    h.advance(1);
    expect(await h.sessions.live(a.id)).toBeUndefined();
    expect(h.rows.size).toBe(0);
    await h.sessions.signIn(account('x'));
    h.advance(5000);
    await h.sessions.signIn(account('y'));
    expect([...h.rows.values()].map((s) => s.accountId)).toEqual(['y']);
  });

  it('ends the previous session of the browser that signs in again', async () => {
    const h = harness();
    const first = await h.sessions.signIn(account('acct'));
    const second = await h.sessions.signIn(account('acct'), first.id);
    expect(await h.sessions.live(first.id)).toBeUndefined();
    expect((await h.sessions.live(second.id))?.account.id).toBe('acct');
  });

  it('ends a session whose account was deleted or whose API key was rotated since sign-in', async () => {
    const h = harness([account('acct'), account('gone')]);
    const rotated = await h.sessions.signIn(account('acct'));
    const deleted = await h.sessions.signIn(account('gone'));
    h.known.set('acct', account('acct', 'new-hash'));
    h.known.delete('gone');
    expect(await h.sessions.live(rotated.id)).toBeUndefined();
    expect(await h.sessions.live(deleted.id)).toBeUndefined();
    expect(h.rows.size).toBe(0);
  });
});
