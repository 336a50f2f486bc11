import { expect, it } from 'vitest';
import { ErrorCode } from '../core/errors.js';
import { ShellTakenError } from '../core/warm-pool.js';
import { describeStoreContract, RANGE } from './test-support/store-contract.js';

// The warm pool's shells (issue 16, docs/warm-pool.md): ports shared with clusters, one taker each.
describeStoreContract('Store contract: warm shells', (h) => {
  const { account, cluster } = h;
  const reserve = (id: string, nodeCount = 3, flavor = 'small', range: { from: number; to: number } = RANGE) => h.store.warmShells.reserve({ id, flavor, nodeCount }, range);

  it('reserves shells on ports no cluster holds, and clusters on ports no shell holds', async () => {
    const a = await account('a');
    expect((await cluster(a.id, 'c1')).port).toBe(RANGE.from);
    expect(await reserve('s1')).toEqual({ id: 's1', flavor: 'small', nodeCount: 3, port: RANGE.from + 1, ready: false, createdAt: new Date(h.now()) });
    expect((await cluster(a.id, 'c2')).port).toBe(RANGE.from + 2);
    expect((await reserve('s2', 1)).port).toBe(RANGE.from + 3);
    expect((await h.store.warmShells.list()).map((s) => [s.id, s.port])).toEqual([
      ['s1', RANGE.from + 1],
      ['s2', RANGE.from + 3],
    ]);
  });

  it('refuses a shell when no port is left, and a cluster when shells hold the rest', async () => {
    const a = await account('a');
    const small = { from: 21000, to: 21001 };
    await reserve('s1', 3, 'small', small);
    await cluster(a.id, 'c1', small);
    await expect(reserve('s2', 3, 'small', small)).rejects.toMatchObject({ code: ErrorCode.PORTS_EXHAUSTED });
    await expect(cluster(a.id, 'c2', small)).rejects.toMatchObject({ code: ErrorCode.PORTS_EXHAUSTED });
  });

  it('picks a ready shell of the flavor with the most nodes not above the request', async () => {
    await reserve('s3');
    await reserve('s1', 1);
    await reserve('s5', 5);
    await reserve('big', 3, 'large');
    expect(await h.store.warmShells.pick('small', 3)).toBeUndefined(); // none ready yet
    for (const id of ['s3', 's1', 's5', 'big']) expect(await h.store.warmShells.markReady(id)).toBe(true);
    expect((await h.store.warmShells.pick('small', 3))?.id).toBe('s3');
    expect((await h.store.warmShells.pick('small', 4))?.id).toBe('s3');
    expect((await h.store.warmShells.pick('small', 2))?.id).toBe('s1');
    expect((await h.store.warmShells.pick('small', 9))?.id).toBe('s5');
    expect((await h.store.warmShells.pick('large', 2))).toBeUndefined();
    expect(await h.store.warmShells.markReady('gone')).toBe(false);
  });

  it('a create takes a ready shell: the cluster gets its id and port and the shell row goes, in one transaction', async () => {
    const a = await account('a');
    await cluster(a.id, 'c1');
    const shell = await reserve('s1');
    await h.store.warmShells.markReady('s1');
    const taken = await h.store.clusters.createWithinQuota(h.input(a.id, 'web', { id: 's1', fromShell: true, nodeCount: 3 }), RANGE);
    expect(taken).toMatchObject({ id: 's1', name: 'web', port: shell.port, status: 'new', nodeCount: 3 });
    expect(await h.store.warmShells.list()).toEqual([]);
    expect(await h.store.warmShells.release('s1')).toBe(false); // the keeper's release of a taken shell removes nothing
  });

  it('gives a shell to one create only; the other is told and nothing of it is stored', async () => {
    const a = await account('a');
    const b = await account('b');
    await reserve('s1');
    await h.store.warmShells.markReady('s1');
    const results = await Promise.allSettled([
      h.store.clusters.createWithinQuota(h.input(a.id, 'web', { id: 's1', fromShell: true }), RANGE),
      h.store.clusters.createWithinQuota(h.input(b.id, 'api', { id: 's1', fromShell: true }), RANGE),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected');
    expect(refused?.reason).toBeInstanceOf(ShellTakenError);
    const owners = [...(await h.store.clusters.listByAccount(a.id)), ...(await h.store.clusters.listByAccount(b.id))];
    expect(owners.map((c) => c.id)).toEqual(['s1']);
  });

  it('does not take a shell that is not ready, or was released; a refused create leaves the shell for the next', async () => {
    const a = await account('a', { clusters: 1, nodes: 5 });
    await reserve('s1');
    await expect(h.store.clusters.createWithinQuota(h.input(a.id, 'web', { id: 's1', fromShell: true }), RANGE)).rejects.toBeInstanceOf(ShellTakenError);
    await h.store.warmShells.markReady('s1');
    await cluster(a.id, 'first');
    await expect(h.store.clusters.createWithinQuota(h.input(a.id, 'web', { id: 's1', fromShell: true }), RANGE)).rejects.toMatchObject({ code: ErrorCode.QUOTA_EXCEEDED });
    expect((await h.store.warmShells.list()).map((s) => [s.id, s.ready])).toEqual([['s1', true]]);
    expect(await h.store.warmShells.release('s1')).toBe(true);
    expect(await h.store.warmShells.release('s1')).toBe(false);
    const b = await account('b');
    await expect(h.store.clusters.createWithinQuota(h.input(b.id, 'web', { id: 's1', fromShell: true }), RANGE)).rejects.toBeInstanceOf(ShellTakenError);
  });
});
