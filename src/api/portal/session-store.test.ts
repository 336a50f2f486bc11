import { describe, expect, it } from 'vitest';
import { SessionStore } from './session-store.js';

describe('SessionStore', () => {
  const clock = () => {
    let t = 1_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it('creates opaque sessions with their own CSRF token, found by the cookie value only', () => {
    const c = clock();
    const store = new SessionStore({ ttlMs: 1000, max: 10, now: c.now });
    const a = store.create('acct', 'hash');
    const b = store.create('acct', 'hash');
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.id).not.toBe(b.id);
    expect(a.session.csrfToken).not.toBe(b.session.csrfToken);
    expect(store.get(a.id)).toMatchObject({ accountId: 'acct', keyHash: 'hash', expiresAt: 2000 });
    expect(store.get('guess')).toBeUndefined();
  });

  it('forgets a session when it expires or is deleted', () => {
    const c = clock();
    const store = new SessionStore({ ttlMs: 1000, max: 10, now: c.now });
    const a = store.create('acct', 'hash');
    const b = store.create('acct', 'hash');
    store.delete(b.id);
    expect(store.get(b.id)).toBeUndefined();
    c.advance(999);
    expect(store.get(a.id)).toBeDefined();
    c.advance(1);
    expect(store.get(a.id)).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('keeps at most `max` sessions, dropping the oldest', () => {
    const store = new SessionStore({ ttlMs: 1000, max: 2, now: () => 0 });
    const [a, b, c] = [store.create('1', 'h'), store.create('2', 'h'), store.create('3', 'h')];
    expect(store.get(a.id)).toBeUndefined();
    expect(store.get(b.id)).toBeDefined();
    expect(store.get(c.id)).toBeDefined();
    expect(store.size).toBe(2);
  });
});
