import { expect, it } from 'vitest';
import { ErrorCode } from '../core/errors.js';
import { describeStoreContract } from './test-support/store-contract.js';

// The store's logs and short-lived records: the gateway's audit log, portal sessions, leases, kicks.
describeStoreContract('Store contract: audit, sessions, leases and kicks', (h) => {
  const { account, cluster } = h;

  it('appends and lists audit entries in order, after an id and up to a limit, and deletes them with the cluster', async () => {
    const a = await account('a');
    const c = await cluster(a.id, 'web');
    const other = await cluster(a.id, 'api');
    const entry = { clusterId: c.id, account: 'a', method: 'POST', path: '/v1.41/containers/create', status: 201, certSerial: '4a', deniedCode: null };
    const e1 = await h.store.audit.append(entry);
    await h.store.audit.append({ ...entry, clusterId: other.id });
    h.advance(5);
    const e2 = await h.store.audit.append({ ...entry, status: 403, deniedCode: 'CARINA-1001' });
    const e3 = await h.store.audit.append({ ...entry, method: 'DELETE', path: '/containers/x', status: 204 });
    expect(e1).toEqual({ ...entry, id: e1.id, at: new Date(h.now() - 5) });
    expect(e2).toMatchObject({ status: 403, deniedCode: 'CARINA-1001' });
    expect(e3.id).toBeGreaterThan(e2.id);
    expect(e2.id).toBeGreaterThan(e1.id);
    expect(await h.store.audit.list(c.id)).toEqual([e1, e2, e3]);
    expect(await h.store.audit.list(c.id, { afterId: e1.id })).toEqual([e2, e3]);
    expect(await h.store.audit.list(c.id, { limit: 1 })).toEqual([e1]);
    await expect(h.store.audit.append({ ...entry, clusterId: 'missing' })).rejects.toMatchObject({ code: ErrorCode.CLUSTER_NOT_FOUND });
    await h.store.clusters.delete(c.id);
    expect(await h.store.audit.list(c.id)).toEqual([]);
    expect(await h.store.audit.list(other.id)).toHaveLength(1);
  });

  it('prunes audit entries older than a cutoff, of every cluster', async () => {
    const a = await account('a');
    const c = await cluster(a.id, 'web');
    const other = await cluster(a.id, 'api');
    const entry = { clusterId: c.id, account: 'a', method: 'POST', path: '/containers/create', status: 201, certSerial: '4a', deniedCode: null };
    await h.store.audit.append(entry);
    await h.store.audit.append({ ...entry, clusterId: other.id });
    h.advance(86_400_000);
    const cutoff = new Date(h.now());
    const kept = await h.store.audit.append(entry);
    expect(await h.store.audit.pruneBefore(cutoff)).toBe(2);
    expect(await h.store.audit.list(c.id)).toEqual([kept]);
    expect(await h.store.audit.list(other.id)).toEqual([]);
    expect(await h.store.audit.pruneBefore(cutoff)).toBe(0);
  });

  it('keeps portal sessions: get, delete, expiry, a bound per account, and none past its account', async () => {
    const a = await account('a');
    const b = await account('b');
    const session = (idHash: string, accountId: string, ttlMs = 60_000) => ({
      idHash, accountId, keyHash: `hash-${accountId}`, csrfToken: `csrf-${idHash}`, createdAt: new Date(h.now()), expiresAt: new Date(h.now() + ttlMs),
    });
    const s1 = session('h1', a.id);
    await h.store.sessions.create(s1, 2);
    expect(await h.store.sessions.get('h1')).toEqual(s1);
    expect(await h.store.sessions.get('nope')).toBeUndefined();
    h.advance(1000);
    await h.store.sessions.create(session('h2', a.id, 1000), 2);
    await h.store.sessions.create(session('hb', b.id), 2);
    h.advance(1000);
    await h.store.sessions.create(session('h3', a.id), 2); // a third of a's: the oldest (h1) ends
    expect(await h.store.sessions.get('h1')).toBeUndefined();
    expect((await h.store.sessions.get('h2'))?.accountId).toBe(a.id);
    expect(await h.store.sessions.deleteExpired(new Date(h.now()))).toBe(1); // h2 expired just now
    expect(await h.store.sessions.get('h2')).toBeUndefined();
    expect((await h.store.sessions.get('hb'))?.accountId).toBe(b.id);
    await h.store.sessions.delete('h3');
    expect(await h.store.sessions.get('h3')).toBeUndefined();
    await h.store.accounts.delete(b.id);
    expect(await h.store.sessions.get('hb')).toBeUndefined();
  });

  it('hands a lease to one holder at a time: renewals keep its term, takeovers wait for expiry, release frees it', async () => {
    const at = () => new Date(h.now());
    expect(await h.store.leases.acquire('cp', 'a', at(), 10_000)).toMatchObject({ holder: 'a' });
    const first = at();
    expect(await h.store.leases.acquire('cp', 'b', at(), 10_000)).toBeUndefined();
    expect(await h.store.leases.acquire('other', 'b', at(), 10_000)).toMatchObject({ holder: 'b' }); // leases are independent
    h.advance(6_000);
    expect(await h.store.leases.acquire('cp', 'a', at(), 10_000)).toMatchObject({ holder: 'a' }); // renewed until +16 s
    expect(await h.store.leases.get('cp')).toEqual({ name: 'cp', holder: 'a', generation: 1, acquiredAt: first, expiresAt: new Date(h.now() + 10_000) });
    h.advance(9_999);
    expect(await h.store.leases.acquire('cp', 'b', at(), 10_000)).toBeUndefined();
    h.advance(1);
    expect(await h.store.leases.acquire('cp', 'b', at(), 10_000)).toMatchObject({ holder: 'b' }); // expired: b's term begins
    expect(await h.store.leases.get('cp')).toEqual({ name: 'cp', holder: 'b', generation: 2, acquiredAt: at(), expiresAt: new Date(h.now() + 10_000) });
    expect(await h.store.leases.acquire('cp', 'a', at(), 10_000)).toBeUndefined();
    await h.store.leases.release('cp', 'a'); // not a's: nothing happens
    expect((await h.store.leases.get('cp'))?.holder).toBe('b');
    await h.store.leases.release('cp', 'b');
    expect(await h.store.leases.get('cp')).toBeUndefined();
    expect(await h.store.leases.acquire('cp', 'a', at(), 10_000)).toMatchObject({ holder: 'a', generation: 3 }); // released: its generation stays
  });

  it('keeps one kick per cluster until the leader takes it', async () => {
    expect(await h.store.kicks.take()).toEqual([]);
    await h.store.kicks.request('c1');
    await h.store.kicks.request('c2');
    await h.store.kicks.request('c1'); // asked twice before it was taken: worked on once
    expect((await h.store.kicks.take()).sort()).toEqual(['c1', 'c2']);
    expect(await h.store.kicks.take()).toEqual([]);
    await h.store.kicks.request('c2');
    expect(await h.store.kicks.take()).toEqual(['c2']);
  });

  it('counts wrong keys per bucket in fixed windows, for every replica alike', async () => {
    const at = () => new Date(h.now());
    const start = at();
    expect(await h.store.authFailures.current('ip|acc', at(), 60_000)).toBeUndefined();
    await h.store.authFailures.record('ip|acc', at(), 60_000);
    h.advance(30_000);
    await h.store.authFailures.record('ip|acc', at(), 60_000);
    await h.store.authFailures.record('ip|other', at(), 60_000);
    expect(await h.store.authFailures.current('ip|acc', at(), 60_000)).toEqual({ failures: 2, windowStart: start });
    h.advance(30_000); // the first window is over
    expect(await h.store.authFailures.current('ip|acc', at(), 60_000)).toBeUndefined();
    await h.store.authFailures.record('ip|acc', at(), 60_000);
    expect(await h.store.authFailures.current('ip|acc', at(), 60_000)).toEqual({ failures: 1, windowStart: at() });
    expect(await h.store.authFailures.current('ip|other', at(), 60_000)).toEqual({ failures: 1, windowStart: new Date(h.now() - 30_000) });
    h.advance(30_000);
    await h.store.authFailures.record('ip|acc', at(), 60_000); // and buckets whose window is over are forgotten
    expect(await h.store.authFailures.current('ip|other', new Date(h.now() - 1), 60_000)).toBeUndefined();
  });
});
